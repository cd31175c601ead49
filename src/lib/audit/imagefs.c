/* Image tarballs (`docker save` or an OCI image layout) as an in-memory
 * index of the image's final filesystem: a visitor of the image reader
 * (image/image.h), which streams the layers in order.  Entries go into a
 * hash index over an array, each tagged with its layer; a whiteout or an
 * opaque directory hides what the lower layers have there.  Small files
 * that checks read (passwd, shadow, credentials) keep their content; every
 * small file is scanned for private keys as it streams by. */
#include "internal.h"

#include "common/cleanup.h"
#include "image/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SCAN_MAX (256u << 10)      /* files scanned for private keys up to this size */
#define MAX_FILES 4000000

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

int kimagefs_wants_content(const char *path, int64_t size)
{
	if (size > 256 * 1024)
		return 0;
	static const char *const exact[] = { "etc/passwd", "etc/shadow", "etc/group", "etc/gshadow" };
	for (size_t i = 0; i < ARRAY_SIZE(exact); i++)
		if (!strcmp(path, exact[i]))
			return 1;
	static const char *const names[] = { ".netrc", ".git-credentials", ".pgpass", ".npmrc", ".pypirc",
					     "credentials", "config.json", ".dockercfg", ".env" };
	const char *b = base_name(path);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(b, names[i]))
			return 1;
	return 0;
}

static void kfile_free(struct kfile *f)
{
	free(f->path);
	free(f->data);
	free(f->link);
}

static void files_free(struct kfile *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kfile_free(&v[i]);
	free(v);
}

static int has_private_key(const char *d, size_t n)
{
	const char *p = memmem(d, n, "-----BEGIN ", 11);
	while (p) {
		size_t off = (size_t)(p - d);
		const char *end = memchr(p, '\n', n - off);
		size_t l = end ? (size_t)(end - p) : n - off;
		if (memmem(p, l, "PRIVATE KEY-----", 16))
			return 1;
		p = memmem(p + 11, n - off - 11, "-----BEGIN ", 11);
	}
	return 0;
}

/* ---- the merged filesystem: a hash index over an array ---- */

struct merged {
	struct kfile *v;
	size_t n, cap;
	size_t *tab;       /* index+1, 0 empty */
	size_t tcap;
	unsigned char *dead;
	size_t *layer;     /* the layer each entry comes from */
	size_t cur;        /* the layer being read */
};

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static long m_find(struct merged *m, const char *path)
{
	if (!m->tcap)
		return -1;
	for (size_t i = hash(path) & (m->tcap - 1);; i = (i + 1) & (m->tcap - 1)) {
		if (!m->tab[i])
			return -1;
		if (!strcmp(m->v[m->tab[i] - 1].path, path))
			return (long)(m->tab[i] - 1);
	}
}

static int m_grow(struct merged *m)
{
	size_t ncap = m->tcap ? m->tcap * 2 : 1024;
	size_t *nt = calloc(ncap, sizeof(size_t));
	if (!nt)
		return -1;
	for (size_t k = 0; k < m->n; k++) {
		size_t i = hash(m->v[k].path) & (ncap - 1);
		while (nt[i])
			i = (i + 1) & (ncap - 1);
		nt[i] = k + 1;
	}
	free(m->tab);
	m->tab = nt;
	m->tcap = ncap;
	return 0;
}

/* Take F (moved) into the merged view, replacing an older entry. */
static int m_put(struct merged *m, struct kfile *f)
{
	long at = m_find(m, f->path);
	if (at >= 0) {
		kfile_free(&m->v[at]);
		m->v[at] = *f;
		m->dead[at] = 0;
		m->layer[at] = m->cur;
		return 0;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		struct kfile *nv = realloc(m->v, cap * sizeof(*nv));
		if (!nv)
			return -1;
		m->v = nv;
		unsigned char *nd = realloc(m->dead, cap);
		if (!nd)
			return -1;
		m->dead = nd;
		size_t *nl = realloc(m->layer, cap * sizeof(*nl));
		if (!nl)
			return -1;
		m->layer = nl;
		m->cap = cap;
	}
	if ((m->n + 1) * 2 > m->tcap && m_grow(m) < 0)
		return -1;
	m->v[m->n] = *f;
	m->dead[m->n] = 0;
	m->layer[m->n] = m->cur;
	size_t i = hash(f->path) & (m->tcap - 1);
	while (m->tab[i])
		i = (i + 1) & (m->tcap - 1);
	m->tab[i] = m->n + 1;
	m->n++;
	return 0;
}

/* Remove PATH and everything below it (or only below, for opaque dirs),
 * as the lower layers have it: a whiteout never hides its own layer. */
static void m_remove(struct merged *m, const char *path, int only_children)
{
	size_t l = strlen(path);
	for (size_t k = 0; k < m->n; k++) {
		const char *p = m->v[k].path;
		if (m->layer[k] >= m->cur)
			continue;
		int below = l == 0 ? *p != '\0' : (!strncmp(p, path, l) && p[l] == '/');
		int self = !strcmp(p, path);
		if (below || (self && !only_children))
			m->dead[k] = 1;
	}
}

/* ---- the visitor ---- */

static int on_layer(void *ud, const struct kimage_layer *l, kerr *e)
{
	(void)e;
	((struct merged *)ud)->cur = l->index;
	return 0;
}

static int on_whiteout(void *ud, const struct kimage_layer *l, const char *path, kerr *e)
{
	(void)l, (void)e;
	m_remove(ud, path, 0);
	return 0;
}

static int on_opaque(void *ud, const struct kimage_layer *l, const char *dir, kerr *e)
{
	(void)l, (void)e;
	m_remove(ud, dir, 1);
	return 0;
}

static int on_entry(void *ud, struct kimage_entry *ent, kerr *e)
{
	struct merged *m = ud;
	if (!*ent->path)
		return 0;
	if (m->n >= MAX_FILES)
		return kerr_msg(e, EFBIG, "more than %d files", MAX_FILES);
	struct kfile f = {
		.mode = ent->mode,
		.uid = ent->uid,
		.gid = ent->gid,
		.size = ent->size,
		.path = strdup(ent->path),
		.link = ent->symlink ? strdup(ent->symlink) : NULL,
	};
	if (!f.path || (ent->symlink && !f.link)) {
		kfile_free(&f);
		return kerr_set(e, ENOMEM, "%s", ent->path);
	}
	if (S_ISREG(f.mode) && f.size > 0 && (uint64_t)f.size <= SCAN_MAX) {
		char *d;
		size_t len;
		if (kimage_read_all(ent, SCAN_MAX, &d, &len, e) < 0) {
			kfile_free(&f);
			return -1;
		}
		f.private_key = has_private_key(d, len);
		if (kimagefs_wants_content(f.path, f.size)) {
			f.data = d;
			f.len = len;
		} else {
			free(d);
		}
	}
	if (m_put(m, &f) < 0) {
		kfile_free(&f);
		return kerr_set(e, ENOMEM, "%s", ent->path);
	}
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct kfile *)a)->path, ((const struct kfile *)b)->path);
}

int kimagefs_load(struct kimagefs *fs, const char *path, kerr *e)
{
	memset(fs, 0, sizeof(*fs));
	struct kimage *img;
	if (kimage_open(path, &img, e) < 0)
		return -1;
	fs->path = strdup(path);
	fs->name = strdup(img->name ? img->name : base_name(path));
	fs->config = json_object_get(img->config);
	static const struct kimage_visitor v = {
		.layer_begin = on_layer, .entry = on_entry, .whiteout = on_whiteout, .opaque = on_opaque,
	};
	struct merged m = { 0 };
	int rc = !fs->path || !fs->name ? kerr_set(e, ENOMEM, "image %s", path) : kimage_walk(img, &v, &m, e);
	kimage_close(img);
	size_t k = 0;
	for (size_t i = 0; i < m.n; i++) {
		if (m.dead[i])
			kfile_free(&m.v[i]);
		else
			m.v[k++] = m.v[i];
	}
	if (rc) {
		files_free(m.v, k);
	} else {
		qsort(m.v, k, sizeof(*m.v), cmp_file);
		fs->files = m.v;
		fs->nfiles = k;
	}
	free(m.tab);
	free(m.dead);
	free(m.layer);
	return rc;
}

void kimagefs_free(struct kimagefs *fs)
{
	free(fs->path);
	free(fs->name);
	json_object_put(fs->config);
	files_free(fs->files, fs->nfiles);
	free(fs->error);
	memset(fs, 0, sizeof(*fs));
}

const struct kfile *kimagefs_find(const struct kimagefs *fs, const char *path)
{
	while (*path == '/')
		path++;
	struct kfile key = { .path = (char *)path };
	return bsearch(&key, fs->files, fs->nfiles, sizeof(key), cmp_file);
}
