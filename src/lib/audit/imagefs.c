/* Image tarballs (`docker save` or an OCI image layout), read with
 * libarchive without writing anything to disk: the layers are applied in
 * order, with whiteouts (.wh.NAME) and opaque directories (.wh..wh..opq),
 * into an in-memory index of the image's final filesystem.  Small files
 * that checks read (passwd, shadow, credentials) keep their content; every
 * small file is scanned for private keys as it streams by. */
#include "internal.h"

#include "common/cleanup.h"
#include "common/json.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SMALL_BLOB (1u << 20)      /* outer entries kept in memory up to this size */
#define SCAN_MAX (256u << 10)      /* files scanned for private keys up to this size */
#define MAX_FILES 4000000

struct blob {
	char *name;
	char *data;        /* small entries */
	size_t len;
	struct kfile *files; /* parsed layer (large entries, parsed while streaming) */
	size_t nfiles;
	int parsed;
};

static char *norm_path(const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	while (*p == '/')
		p++;
	if (!strcmp(p, "."))
		p = "";
	char *s = strdup(p);
	if (s) {
		size_t n = strlen(s);
		while (n && s[n - 1] == '/')
			s[--n] = '\0';
	}
	return s;
}

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

/* Read one layer archive into a list of entries (whiteouts included). */
static int parse_layer(struct archive *a, struct kfile **out, size_t *nout, kerr *e, const char *what)
{
	struct archive_entry *ent;
	struct kfile *v = NULL;
	size_t n = 0, cap = 0;
	int r;
	int first = 1;
	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		first = 0;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct kfile *nv = ncap <= MAX_FILES ? realloc(v, ncap * sizeof(*nv)) : NULL;
			if (!nv) {
				files_free(v, n);
				return kerr_set(e, ENOMEM, "%s: too many files", what);
			}
			v = nv;
			cap = ncap;
		}
		struct kfile *f = &v[n];
		memset(f, 0, sizeof(*f));
		f->path = norm_path(archive_entry_pathname(ent) ? archive_entry_pathname(ent) : "");
		if (!f->path)
			continue;
		f->mode = archive_entry_mode(ent);
		f->uid = (uid_t)archive_entry_uid(ent);
		f->gid = (gid_t)archive_entry_gid(ent);
		f->size = archive_entry_size(ent);
		if (archive_entry_symlink(ent))
			f->link = strdup(archive_entry_symlink(ent));
		if (archive_entry_hardlink(ent) && !S_ISREG(f->mode))
			f->mode = (f->mode & 07777) | S_IFREG;
		if (S_ISREG(f->mode) && f->size > 0 && (uint64_t)f->size <= SCAN_MAX) {
			char *d = malloc((size_t)f->size + 1);
			la_ssize_t got = d ? archive_read_data(a, d, (size_t)f->size) : -1;
			if (got >= 0) {
				d[got] = '\0';
				f->private_key = has_private_key(d, (size_t)got);
				if (kimagefs_wants_content(f->path, f->size)) {
					f->data = d;
					f->len = (size_t)got;
					d = NULL;
				}
			}
			free(d);
		}
		n++;
	}
	if (r != ARCHIVE_EOF) {
		const char *msg = archive_error_string(a);
		files_free(v, n);
		return kerr_msg(e, EINVAL, "%s: %s", what, first ? "not a layer archive" : msg ? msg : "broken archive");
	}
	*out = v;
	*nout = n;
	return 0;
}

static struct archive *new_reader(void)
{
	struct archive *a = archive_read_new();
	if (a) {
		archive_read_support_filter_all(a);
		archive_read_support_format_tar(a);
		archive_read_support_format_gnutar(a);
	}
	return a;
}

struct nested {
	struct archive *outer;
	char buf[65536];
};

static la_ssize_t nested_read(struct archive *a, void *ud, const void **buf)
{
	(void)a;
	struct nested *n = ud;
	*buf = n->buf;
	return archive_read_data(n->outer, n->buf, sizeof(n->buf));
}

/* ---- the merged filesystem: a hash index over an array ---- */

struct merged {
	struct kfile *v;
	size_t n, cap;
	size_t *tab;       /* index+1, 0 empty */
	size_t tcap;
	unsigned char *dead;
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
		m->cap = cap;
	}
	if ((m->n + 1) * 2 > m->tcap && m_grow(m) < 0)
		return -1;
	m->v[m->n] = *f;
	m->dead[m->n] = 0;
	size_t i = hash(f->path) & (m->tcap - 1);
	while (m->tab[i])
		i = (i + 1) & (m->tcap - 1);
	m->tab[i] = m->n + 1;
	m->n++;
	return 0;
}

/* Remove PATH and everything below it (or only below, for opaque dirs). */
static void m_remove(struct merged *m, const char *path, int only_children)
{
	size_t l = strlen(path);
	for (size_t k = 0; k < m->n; k++) {
		const char *p = m->v[k].path;
		int below = l == 0 ? *p != '\0' : (!strncmp(p, path, l) && p[l] == '/');
		int self = !strcmp(p, path);
		if (below || (self && !only_children))
			m->dead[k] = 1;
	}
}

static void apply_layer(struct merged *m, struct kfile *files, size_t n)
{
	/* whiteouts first: they hide lower layers, not this one */
	for (size_t i = 0; i < n; i++) {
		const char *b = base_name(files[i].path);
		if (!str_starts(b, ".wh."))
			continue;
		char dir[4096];
		snprintf(dir, sizeof(dir), "%.*s", (int)(b - files[i].path), files[i].path);
		size_t dl = strlen(dir);
		if (dl && dir[dl - 1] == '/')
			dir[dl - 1] = '\0';
		if (!strcmp(b, ".wh..wh..opq")) {
			m_remove(m, dir, 1);
		} else {
			char target[4096];
			snprintf(target, sizeof(target), "%s%s%s", dir, *dir ? "/" : "", b + 4);
			m_remove(m, target, 0);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (str_starts(base_name(files[i].path), ".wh.") || !*files[i].path) {
			kfile_free(&files[i]);
			continue;
		}
		if (m_put(m, &files[i]) < 0)
			kfile_free(&files[i]);
	}
	free(files);
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct kfile *)a)->path, ((const struct kfile *)b)->path);
}

/* ---- the outer tarball ---- */

static struct blob *blob_find(struct blob *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static struct blob *blob_digest(struct blob *v, size_t n, const char *digest)
{
	char name[256];
	if (!digest || !str_starts(digest, "sha256:"))
		return NULL;
	snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
	return blob_find(v, n, name);
}

static json_object *blob_json(struct blob *b)
{
	kerr e;
	return b && b->data && b->len ? kj_parse(b->name, b->data, b->len, &e) : NULL;
}

static int layer_files(struct blob *b, struct kfile **out, size_t *n, kerr *e, const char *tar)
{
	if (b->parsed) {
		*out = b->files;
		*n = b->nfiles;
		b->files = NULL;
		b->nfiles = 0;
		b->parsed = 0;
		return 0;
	}
	if (!b->data) {
		*out = NULL;
		*n = 0;
		return 0;
	}
	struct archive *a = new_reader();
	if (!a)
		return kerr_set(e, ENOMEM, "%s", tar);
	char what[512];
	snprintf(what, sizeof(what), "%s: layer %s", tar, b->name);
	int rc = archive_read_open_memory(a, b->data, b->len) == ARCHIVE_OK ? parse_layer(a, out, n, e, what)
									      : kerr_msg(e, EINVAL, "%s: unreadable", what);
	archive_read_free(a);
	return rc;
}

int kimagefs_load(struct kimagefs *fs, const char *path, kerr *e)
{
	memset(fs, 0, sizeof(*fs));
	fs->path = strdup(path);
	fs->name = strdup(base_name(path));
	struct archive *a = new_reader();
	if (!a || !fs->path || !fs->name) {
		if (a)
			archive_read_free(a);
		return kerr_set(e, ENOMEM, "%s", path);
	}
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		kerr_msg(e, EINVAL, "image %s: %s", path, archive_error_string(a) ? archive_error_string(a) : "cannot open");
		archive_read_free(a);
		return -1;
	}
	struct blob *blobs = NULL;
	size_t nb = 0;
	struct archive_entry *ent;
	int r, rc = 0;
	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (!S_ISREG(archive_entry_mode(ent)))
			continue;
		struct blob *nbv = realloc(blobs, (nb + 1) * sizeof(*nbv));
		if (!nbv) {
			rc = kerr_set(e, ENOMEM, "%s", path);
			break;
		}
		blobs = nbv;
		struct blob *b = &blobs[nb++];
		memset(b, 0, sizeof(*b));
		b->name = norm_path(archive_entry_pathname(ent) ? archive_entry_pathname(ent) : "");
		if (!b->name) {
			nb--;
			continue;
		}
		int64_t size = archive_entry_size(ent);
		if (size >= 0 && size <= SMALL_BLOB) {
			b->data = malloc((size_t)size + 1);
			la_ssize_t got = b->data ? archive_read_data(a, b->data, (size_t)size) : -1;
			if (got < 0) {
				rc = kerr_msg(e, EINVAL, "image %s: %s: %s", path, b->name ? b->name : "?",
					      archive_error_string(a) ? archive_error_string(a) : "read error");
				break;
			}
			b->data[got] = '\0';
			b->len = (size_t)got;
		} else {
			/* a large entry can only be a layer: parse it as it streams */
			struct archive *in = new_reader();
			struct nested *nest = malloc(sizeof(*nest));
			char what[512];
			snprintf(what, sizeof(what), "image %s: layer %s", path, b->name ? b->name : "?");
			if (in && nest) {
				nest->outer = a;
				if (archive_read_open(in, nest, NULL, nested_read, NULL) == ARCHIVE_OK) {
					kerr le;
					if (parse_layer(in, &b->files, &b->nfiles, &le, what) == 0)
						b->parsed = 1;
				}
			}
			if (in)
				archive_read_free(in);
			free(nest);
		}
	}
	if (!rc && r != ARCHIVE_EOF)
		rc = kerr_msg(e, EINVAL, "image %s: %s", path, archive_error_string(a) ? archive_error_string(a) : "broken tar");
	archive_read_free(a);

	/* the manifest: docker save's manifest.json, else the OCI index */
	json_object *layers = NULL, *man = NULL, *idx = NULL, *oman = NULL;
	const char *config_name = NULL;
	struct blob *cfgb = NULL;
	if (!rc) {
		struct blob *mb = blob_find(blobs, nb, "manifest.json");
		if (mb && (man = blob_json(mb)) && json_object_is_type(man, json_type_array) && json_object_array_length(man)) {
			json_object *m0 = json_object_array_get_idx(man, 0);
			config_name = js(m0, "Config");
			layers = jget(m0, "Layers");
			json_object *tags = jget(m0, "RepoTags");
			if (tags && json_object_is_type(tags, json_type_array) && json_object_array_length(tags)) {
				free(fs->name);
				fs->name = strdup(json_object_get_string(json_object_array_get_idx(tags, 0)));
			}
			cfgb = config_name ? blob_find(blobs, nb, config_name) : NULL;
		} else if ((idx = blob_json(blob_find(blobs, nb, "index.json")))) {
			json_object *ms = jget(idx, "manifests");
			json_object *d0 = ms && json_object_is_type(ms, json_type_array) && json_object_array_length(ms)
						  ? json_object_array_get_idx(ms, 0) : NULL;
			const char *ref = js(jget(d0, "annotations"), "io.containerd.image.name");
			if (!ref)
				ref = js(jget(d0, "annotations"), "org.opencontainers.image.ref.name");
			if (ref) {
				free(fs->name);
				fs->name = strdup(ref);
			}
			oman = blob_json(blob_digest(blobs, nb, js(d0, "digest")));
			/* an index inside the index: take its first manifest */
			json_object *inner = jget(oman, "manifests");
			if (inner && json_object_is_type(inner, json_type_array) && json_object_array_length(inner)) {
				json_object *m2 = blob_json(blob_digest(blobs, nb, js(json_object_array_get_idx(inner, 0), "digest")));
				json_object_put(oman);
				oman = m2;
			}
			cfgb = blob_digest(blobs, nb, js(jget(oman, "config"), "digest"));
			layers = jget(oman, "layers");
		}
		if (!layers)
			rc = kerr_msg(e, EINVAL, "image %s: neither a docker save tarball (manifest.json) nor an OCI image layout (index.json)", path);
	}
	if (!rc) {
		fs->config = blob_json(cfgb);
		struct merged m = { 0 };
		for (size_t i = 0; i < json_object_array_length(layers) && !rc; i++) {
			json_object *l = json_object_array_get_idx(layers, i);
			struct blob *b = json_object_is_type(l, json_type_string) ? blob_find(blobs, nb, json_object_get_string(l))
										   : blob_digest(blobs, nb, js(l, "digest"));
			struct kfile *files = NULL;
			size_t n = 0;
			if (!b) {
				rc = kerr_msg(e, EINVAL, "image %s: layer %s is missing from the tarball", path,
					      json_object_is_type(l, json_type_string) ? json_object_get_string(l) : js(l, "digest"));
				break;
			}
			if (layer_files(b, &files, &n, e, path) < 0) {
				rc = -1;
				break;
			}
			apply_layer(&m, files, n);
		}
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
	}
	json_object_put(man);
	json_object_put(idx);
	json_object_put(oman);
	for (size_t i = 0; i < nb; i++) {
		free(blobs[i].name);
		free(blobs[i].data);
		files_free(blobs[i].files, blobs[i].nfiles);
	}
	free(blobs);
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
