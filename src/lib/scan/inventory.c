/* The inventory (inventory.h): an image visitor that keeps the package
 * databases, os-release and the special files' headers in a small map of
 * paths, honouring whiteouts, then the same assembly for a directory. */
#include "scan/strhash.h"
#include "scan/fcaps.h"
#include "scan/inventory.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/str.h"
#include "image/image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define DB_MAX (512u << 20) /* the largest database read (an rpmdb.sqlite) */

enum kind {
	K_NONE,
	K_STATUS,
	K_STATUSD,
	K_LIST,
	K_APK,
	K_RPM_SQLITE,
	K_RPM_BDB,
	K_RPM_NDB,
	K_OSREL,
	K_SPECIAL,
	K_TOPLINK
};

/* rpm's databases, in the order one is preferred when an image has
 * several (a converted database leaves the old file behind) */
static const struct {
	const char *path;
	enum kind kind;
} rpm_dbs[] = {
	{ "var/lib/rpm/rpmdb.sqlite", K_RPM_SQLITE },
	{ "usr/lib/sysimage/rpm/rpmdb.sqlite", K_RPM_SQLITE },
	{ "usr/lib/sysimage/rpm/Packages.db", K_RPM_NDB },
	{ "var/lib/rpm/Packages.db", K_RPM_NDB },
	{ "var/lib/rpm/Packages", K_RPM_BDB },
	{ "usr/lib/sysimage/rpm/Packages", K_RPM_BDB },
};

struct kept {
	char *path;
	enum kind kind;
	size_t layer;
	unsigned mode;
	uid_t uid;
	gid_t gid;
	char *data; /* database, list or os-release content */
	size_t len;
	char *link; /* a symlink's target: os-release, or a top-level directory (bin -> usr/bin) */
	char *caps;
	int dead;
};

/* A snapshot of one database as one layer left it: "name\tarch\tversion" keys. */
struct snap {
	size_t layer;
	char **keys;
	size_t n;
};

struct map {
	struct kept *v;
	size_t n, cap;
	size_t *slots; /* open addressing: index + 1, 0 empty */
	size_t nslots;
	size_t cur; /* the layer being walked */
	struct snap *snaps;
	size_t nsnaps;
	int has_db;
};

static struct kept *m_get(struct map *m, const char *path)
{
	if (!m->nslots)
		return NULL;
	for (size_t i = kscan_strhash(path) & (m->nslots - 1);; i = (i + 1) & (m->nslots - 1)) {
		if (!m->slots[i])
			return NULL;
		struct kept *k = &m->v[m->slots[i] - 1];
		if (!strcmp(k->path, path))
			return k;
	}
}

static void kept_clear(struct kept *k)
{
	free(k->data);
	free(k->link);
	free(k->caps);
	k->data = k->link = k->caps = NULL;
	k->len = 0;
	k->dead = 1;
}

static int m_rehash(struct map *m, size_t nslots)
{
	size_t *s = calloc(nslots, sizeof(*s));
	if (!s)
		return -1;
	free(m->slots);
	m->slots = s;
	m->nslots = nslots;
	for (size_t k = 0; k < m->n; k++) {
		size_t i = kscan_strhash(m->v[k].path) & (nslots - 1);
		while (s[i])
			i = (i + 1) & (nslots - 1);
		s[i] = k + 1;
	}
	return 0;
}

/* The slot for PATH, reused when it was kept before. */
static struct kept *m_put(struct map *m, const char *path)
{
	struct kept *k = m_get(m, path);
	if (k) {
		kept_clear(k);
		k->dead = 0;
		return k;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		struct kept *v = realloc(m->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		m->v = v;
		m->cap = cap;
	}
	if ((m->n + 1) * 2 > m->nslots && m_rehash(m, m->nslots ? m->nslots * 2 : 1024) < 0)
		return NULL;
	k = &m->v[m->n];
	memset(k, 0, sizeof(*k));
	if (!(k->path = strdup(path)))
		return NULL;
	size_t i = kscan_strhash(path) & (m->nslots - 1);
	while (m->slots[i])
		i = (i + 1) & (m->nslots - 1);
	m->slots[i] = ++m->n;
	return k;
}

static void m_free(struct map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		kept_clear(&m->v[i]);
		free(m->v[i].path);
	}
	free(m->v);
	free(m->slots);
	for (size_t i = 0; i < m->nsnaps; i++) {
		for (size_t j = 0; j < m->snaps[i].n; j++)
			free(m->snaps[i].keys[j]);
		free(m->snaps[i].keys);
	}
	free(m->snaps);
}

/* Delete what lower layers have at PATH and below (only below: opaque). */
static void m_hide(struct map *m, const char *path, int below_only)
{
	size_t n = strlen(path);
	for (size_t i = 0; i < m->n; i++) {
		struct kept *k = &m->v[i];
		if (k->dead || k->layer >= m->cur)
			continue;
		int at = !strcmp(k->path, path);
		int under = !n || (!strncmp(k->path, path, n) && k->path[n] == '/');
		if ((at && !below_only) || under)
			kept_clear(k);
	}
}

static enum kind kind_of(const char *p)
{
	if (!strcmp(p, "var/lib/dpkg/status"))
		return K_STATUS;
	if (kstr_starts(p, "var/lib/dpkg/status.d/") && !strchr(p + 22, '/') && p[22])
		return K_STATUSD;
	if (kstr_starts(p, "var/lib/dpkg/info/") && kstr_ends(p, ".list") && !strchr(p + 18, '/'))
		return K_LIST;
	if (!strcmp(p, "lib/apk/db/installed"))
		return K_APK;
	for (size_t i = 0; i < ARRAY_SIZE(rpm_dbs); i++)
		if (!strcmp(p, rpm_dbs[i].path))
			return rpm_dbs[i].kind;
	if (!strcmp(p, "etc/os-release") || !strcmp(p, "usr/lib/os-release"))
		return K_OSREL;
	return K_NONE;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *pkg_key(const struct kscan_pkg *p)
{
	return kstr_printf("%s\t%s\t%s", p->name, p->arch, p->version);
}

/* Record which packages a database held after this layer. */
static int snapshot(struct map *m, const struct kscan_pkgs *ps, kerr *e)
{
	struct snap *v = realloc(m->snaps, (m->nsnaps + 1) * sizeof(*v));
	if (!v)
		return kerr_set(e, ENOMEM, "database snapshot");
	m->snaps = v;
	struct snap *s = &v[m->nsnaps++];
	s->layer = m->cur;
	s->n = 0;
	s->keys = calloc(ps->n ? ps->n : 1, sizeof(char *));
	if (!s->keys)
		return kerr_set(e, ENOMEM, "database snapshot");
	for (size_t i = 0; i < ps->n; i++)
		if (!(s->keys[s->n++] = pkg_key(&ps->v[i])))
			return kerr_set(e, ENOMEM, "database snapshot");
	qsort(s->keys, s->n, sizeof(char *), cmp_str);
	return 0;
}

static int parse_db(enum kind kind, const char *path, const char *data, size_t len, struct kscan_pkgs *out,
		    struct kscan_buf *files, kerr *e)
{
	switch (kind) {
	case K_STATUS: return kscan_dpkg_parse(data, len, path, 0, out, e);
	case K_STATUSD: return kscan_dpkg_parse(data, len, path, 1, out, e);
	case K_APK: return kscan_apk_parse(data, len, path, out, NULL, NULL, e);
	case K_RPM_SQLITE: return kscan_rpm_sqlite(data, len, path, out, files, e);
	case K_RPM_BDB: return kscan_rpm_bdb(data, len, path, out, files, e);
	case K_RPM_NDB: return kscan_rpm_ndb(data, len, path, out, files, e);
	default: return 0;
	}
}

static int is_rpm(enum kind k)
{
	return k == K_RPM_SQLITE || k == K_RPM_BDB || k == K_RPM_NDB;
}

/* ---- the visitor ---- */

static int on_layer(void *ud, const struct kimage_layer *l, kerr *e)
{
	(void)e;
	((struct map *)ud)->cur = l->index;
	return 0;
}

static int on_whiteout(void *ud, const struct kimage_layer *l, const char *path, kerr *e)
{
	(void)l, (void)e;
	m_hide(ud, path, 0);
	return 0;
}

static int on_opaque(void *ud, const struct kimage_layer *l, const char *dir, kerr *e)
{
	(void)l, (void)e;
	m_hide(ud, dir, 1);
	return 0;
}

static int on_entry(void *ud, struct kimage_entry *ent, kerr *e)
{
	struct map *m = ud;
	if (!*ent->path)
		return 0;
	enum kind kind = kind_of(ent->path);
	size_t caplen = 0;
	const void *cap = S_ISREG(ent->mode) ? kimage_xattr(ent, "security.capability", &caplen) : NULL;
	int special = S_ISREG(ent->mode) && ((ent->mode & (S_ISUID | S_ISGID)) || cap);
	if (kind == K_STATUSD && kstr_ends(ent->path, ".md5sums"))
		kind = K_LIST;
	if (kind == K_NONE && S_ISLNK(ent->mode) && !strchr(ent->path, '/'))
		kind = K_TOPLINK;
	if (kind == K_NONE && !special) {
		/* a plain file replaces what a lower layer had here */
		struct kept *old = m_get(m, ent->path);
		if (old && !old->dead)
			kept_clear(old);
		return 0;
	}
	struct kept *k = m_put(m, ent->path);
	if (!k)
		return kerr_set(e, ENOMEM, "%s", ent->path);
	k->kind = special ? K_SPECIAL : kind;
	k->layer = m->cur;
	k->mode = ent->mode;
	k->uid = ent->uid;
	k->gid = ent->gid;
	if (special) {
		if (cap && !(k->caps = kscan_fcaps_text(cap, caplen)))
			return kerr_set(e, ENOMEM, "%s", ent->path);
		return 0;
	}
	if (S_ISLNK(ent->mode) && (kind == K_OSREL || kind == K_TOPLINK)) {
		if (!(k->link = strdup(ent->symlink)))
			return kerr_set(e, ENOMEM, "%s", ent->path);
		return 0;
	}
	if (!S_ISREG(ent->mode)) {
		k->dead = 1; /* a directory or link where a database would be: nothing to read */
		return 0;
	}
	if (kimage_read_all(ent, DB_MAX, &k->data, &k->len, e) < 0)
		return kerr_wrap(e, "%s", ent->path);
	if (kind == K_STATUS || kind == K_APK || is_rpm(kind)) {
		struct kscan_pkgs ps = { 0 };
		kerr pe = { 0 };
		int r = parse_db(kind, ent->path, k->data, k->len, &ps, NULL, &pe);
		if (r == 0)
			r = snapshot(m, &ps, e);
		else if (is_rpm(kind))
			r = 0; /* maybe a leftover next to the database used: assemble() reports it if it is the one */
		else
			*e = pe;
		kscan_pkgs_done(&ps);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* ---- assembly ---- */

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct kscan_file *)a)->path, ((const struct kscan_file *)b)->path);
}

/* The layer that put P there: the oldest of the newest run of snapshots
 * that hold its exact name, arch and version. */
static size_t intro_layer(const struct map *m, const struct kscan_pkg *p)
{
	_cleanup_free_ char *key = pkg_key(p);
	size_t layer = KSCAN_NO_LAYER;
	if (!key)
		return layer;
	for (size_t i = m->nsnaps; i-- > 0;) {
		const struct snap *s = &m->snaps[i];
		if (!bsearch(&key, s->keys, s->n, sizeof(char *), cmp_str))
			break;
		layer = s->layer;
	}
	return layer;
}

static struct kscan_pkg *find_pkg(struct kscan_inventory *inv, const char *name)
{
	/* NAME may be "pkg:arch" (multi-arch .list files) */
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", name);
	char *colon = strchr(buf, ':');
	if (colon)
		*colon = 0;
	for (size_t i = 0; i < inv->npkgs; i++)
		if (!strcmp(inv->pkgs[i].name, buf) && (!colon || !strcmp(inv->pkgs[i].arch, colon + 1)))
			return &inv->pkgs[i];
	return NULL;
}

static int add_file(struct kscan_file **v, size_t *n, const struct kept *k, kerr *e)
{
	struct kscan_file *nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return kerr_set(e, ENOMEM, "special files");
	*v = nv;
	struct kscan_file *f = &nv[(*n)++];
	*f = (struct kscan_file){ .mode = k->mode, .uid = k->uid, .gid = k->gid, .layer = k->layer };
	f->path = strdup(k->path);
	f->caps = k->caps ? strdup(k->caps) : NULL;
	if (!f->path || (k->caps && !f->caps))
		return kerr_set(e, ENOMEM, "special files");
	return 0;
}

/* PATH as the image stores it: a merged-/usr image has bin -> usr/bin,
 * and dpkg's lists still say /bin/ping.  OUT gets PATH with its first
 * component replaced when that is a top-level symlink to a relative
 * directory inside the root. */
static const char *canon(struct map *m, const char *path, char *out, size_t n)
{
	const char *slash = strchr(path, '/');
	if (!slash || (size_t)(slash - path) >= 256)
		return path;
	char top[256];
	snprintf(top, sizeof(top), "%.*s", (int)(slash - path), path);
	const struct kept *k = m_get(m, top);
	if (!k || k->dead || k->kind != K_TOPLINK || !k->link)
		return path;
	const char *t = k->link;
	while (*t == '/')
		t++;
	if (!*t || strstr(t, ".."))
		return path;
	snprintf(out, n, "%s%s", t, slash);
	return out;
}

/* Give each special file to the package whose file list names it
 * (PKG_FILES: apk's and rpm's "path\tname[:arch]" lines). */
static int attribute(struct map *m, struct kscan_inventory *inv, const char *apk_files, kerr *e)
{
	/* owner[i]: the package of special file m->v[i] */
	struct kscan_pkg **owner = calloc(m->n ? m->n : 1, sizeof(*owner));
	if (!owner)
		return kerr_set(e, ENOMEM, "special files");
	size_t nspecial = 0;
	for (size_t i = 0; i < m->n; i++)
		nspecial += !m->v[i].dead && m->v[i].kind == K_SPECIAL;
	for (size_t i = 0; nspecial && i < m->n; i++) {
		const struct kept *l = &m->v[i];
		if (l->dead || l->kind != K_LIST || !l->data)
			continue;
		/* info/NAME.list: "/usr/bin/su" per line; status.d/NAME.md5sums: "md5  usr/bin/su" */
		const char *base = strrchr(l->path, '/') + 1;
		int md5 = kstr_ends(base, ".md5sums");
		char name[512];
		snprintf(name, sizeof(name), "%.*s", (int)(strlen(base) - (md5 ? 8 : 5)), base);
		struct kscan_pkg *p = find_pkg(inv, name);
		if (!p)
			continue;
		for (char *s = l->data, *nl; s && *s; s = nl ? nl + 1 : NULL) {
			nl = strchr(s, '\n');
			if (nl)
				*nl = 0;
			const char *path = s;
			if (md5) {
				path = strstr(s, "  ");
				path = path ? path + 2 : s;
			}
			while (*path == '/')
				path++;
			char buf[4096];
			struct kept *k = *path ? m_get(m, path) : NULL;
			if (*path && (!k || k->dead))
				k = m_get(m, canon(m, path, buf, sizeof(buf)));
			if (k && !k->dead && k->kind == K_SPECIAL)
				owner[k - m->v] = p;
			if (nl)
				*nl = '\n';
		}
	}
	for (const char *s = apk_files; s && *s;) {
		const char *tab = strchr(s, '\t'), *nl = strchr(s, '\n');
		if (!tab || !nl || tab > nl)
			break;
		char path[4096], buf[4096];
		snprintf(path, sizeof(path), "%.*s", (int)(tab - s), s);
		struct kept *k = m_get(m, path);
		if (!k || k->dead)
			k = m_get(m, canon(m, path, buf, sizeof(buf)));
		if (k && !k->dead && k->kind == K_SPECIAL) {
			char name[512];
			snprintf(name, sizeof(name), "%.*s", (int)(nl - tab - 1), tab + 1);
			owner[k - m->v] = find_pkg(inv, name);
		}
		s = nl + 1;
	}
	int r = 0;
	for (size_t i = 0; i < m->n && r == 0; i++) {
		const struct kept *k = &m->v[i];
		if (k->dead || k->kind != K_SPECIAL)
			continue;
		if (owner[i])
			r = add_file(&owner[i]->files, &owner[i]->nfiles, k, e);
		else
			r = add_file(&inv->unowned, &inv->nunowned, k, e);
	}
	free(owner);
	if (r < 0)
		return -1;
	/* qsort's array may not be NULL, even with nothing in it */
	for (size_t i = 0; i < inv->npkgs; i++)
		if (inv->pkgs[i].nfiles)
			qsort(inv->pkgs[i].files, inv->pkgs[i].nfiles, sizeof(struct kscan_file), cmp_file);
	if (inv->nunowned)
		qsort(inv->unowned, inv->nunowned, sizeof(struct kscan_file), cmp_file);
	return 0;
}

static const struct kept *live(struct map *m, const char *path)
{
	const struct kept *k = m_get(m, path);
	return k && !k->dead ? k : NULL;
}

static int os_release(struct map *m, struct kscan_inventory *inv, kerr *e)
{
	const struct kept *k = live(m, "etc/os-release");
	if (k && k->link) {
		/* "../usr/lib/os-release" or "/usr/lib/os-release", inside the image */
		_cleanup_free_ char *joined = k->link[0] == '/' ? strdup(k->link) : kstr_printf("etc/%s", k->link);
		if (!joined)
			return kerr_set(e, ENOMEM, "os-release");
		char *p = joined, *out = joined;
		/* resolve "..": the reader's normaliser refuses it, so walk it here, clamped at the root */
		char *parts[64];
		int n = 0;
		for (char *tok = strtok(p, "/"); tok; tok = strtok(NULL, "/")) {
			if (!strcmp(tok, ".."))
				n = n ? n - 1 : 0;
			else if (strcmp(tok, ".") && n < 64)
				parts[n++] = tok;
		}
		char target[4096] = "";
		for (int i = 0; i < n; i++)
			snprintf(target + strlen(target), sizeof(target) - strlen(target), "%s%s", i ? "/" : "",
				 parts[i]);
		(void)out;
		k = live(m, target);
		if (k && !k->data)
			k = NULL;
	}
	if (!k || !k->data)
		k = live(m, "usr/lib/os-release");
	if (k && k->data)
		return kscan_osrelease_parse(k->data, k->len, inv, e);
	return 0;
}

static int assemble(struct map *m, struct kscan_inventory *inv, kerr *e)
{
	struct kscan_pkgs ps = { 0 };
	_cleanup_free_ char *apk_files = NULL;
	size_t napk = 0;
	const struct kept *k;
	if (os_release(m, inv, e) < 0)
		return -1;
	if ((k = live(m, "var/lib/dpkg/status")) && k->data) {
		inv->eco = KSCAN_DEB;
		inv->db = strdup(k->path);
		if (kscan_dpkg_parse(k->data, k->len, k->path, 0, &ps, e) < 0)
			goto fail;
		for (size_t i = 0; i < ps.n; i++)
			ps.v[i].layer = intro_layer(m, &ps.v[i]);
	}
	size_t nstatus = ps.n;
	int statusd = 0;
	for (size_t i = 0; i < m->n; i++) {
		k = &m->v[i];
		if (k->dead || k->kind != K_STATUSD || !k->data)
			continue;
		size_t before = ps.n;
		if (kscan_dpkg_parse(k->data, k->len, k->path, 1, &ps, e) < 0)
			goto fail;
		for (size_t j = before; j < ps.n; j++)
			ps.v[j].layer = k->layer;
		statusd = 1;
	}
	if (statusd) {
		inv->eco = KSCAN_DEB;
		if (!inv->db)
			inv->db = strdup("var/lib/dpkg/status.d");
	}
	(void)nstatus;
	if (!inv->db && (k = live(m, "lib/apk/db/installed")) && k->data) {
		inv->eco = KSCAN_APK;
		inv->db = strdup(k->path);
		if (kscan_apk_parse(k->data, k->len, k->path, &ps, &apk_files, &napk, e) < 0)
			goto fail;
		for (size_t i = 0; i < ps.n; i++)
			ps.v[i].layer = intro_layer(m, &ps.v[i]);
	}
	struct kscan_buf rpm_files = { 0 };
	for (size_t i = 0; !inv->db && i < ARRAY_SIZE(rpm_dbs); i++) {
		if (!(k = live(m, rpm_dbs[i].path)) || !k->data)
			continue;
		inv->eco = KSCAN_RPM;
		inv->db = strdup(k->path);
		if (parse_db(k->kind, k->path, k->data, k->len, &ps, &rpm_files, e) < 0) {
			free(rpm_files.s);
			goto fail;
		}
		for (size_t j = 0; j < ps.n; j++)
			ps.v[j].layer = intro_layer(m, &ps.v[j]);
		free(apk_files);
		apk_files = steal_ptr(rpm_files.s);
	}
	if (!inv->db) {
		kerr_msg(
			e, ENOPKG,
			"no package database (var/lib/dpkg/status, var/lib/dpkg/status.d/, lib/apk/db/installed, rpm's rpmdb.sqlite, Packages.db or Packages)");
		goto fail;
	}
	inv->pkgs = ps.v;
	inv->npkgs = ps.n;
	memset(&ps, 0, sizeof(ps));
	qsort(inv->pkgs, inv->npkgs, sizeof(*inv->pkgs), kscan_pkg_cmp);
	return attribute(m, inv, apk_files, e);
fail:
	kscan_pkgs_done(&ps);
	return -1;
}

void kscan_inventory_done(struct kscan_inventory *inv)
{
	free(inv->os_id);
	free(inv->os_version_id);
	free(inv->os_codename);
	free(inv->os_pretty);
	free(inv->db);
	for (size_t i = 0; i < inv->npkgs; i++)
		kscan_pkg_done(&inv->pkgs[i]);
	free(inv->pkgs);
	for (size_t i = 0; i < inv->nunowned; i++) {
		free(inv->unowned[i].path);
		free(inv->unowned[i].caps);
	}
	free(inv->unowned);
	for (size_t i = 0; i < inv->nlayers; i++) {
		free(inv->layers[i].diff_id);
		free(inv->layers[i].created_by);
	}
	free(inv->layers);
	memset(inv, 0, sizeof(*inv));
}

int kscan_inventory_image(struct kimage *img, struct kscan_inventory *inv, kerr *e)
{
	memset(inv, 0, sizeof(*inv));
	struct map m = { 0 };
	static const struct kimage_visitor v = {
		.layer_begin = on_layer,
		.entry = on_entry,
		.whiteout = on_whiteout,
		.opaque = on_opaque,
	};
	inv->layers = calloc(img->nlayers ? img->nlayers : 1, sizeof(*inv->layers));
	if (!inv->layers)
		return kerr_set(e, ENOMEM, "%s", img->path);
	inv->nlayers = img->nlayers;
	for (size_t i = 0; i < img->nlayers; i++) {
		inv->layers[i].diff_id = kstr_dup(img->layers[i].diff_id);
		inv->layers[i].created_by = kstr_dup(img->layers[i].created_by);
	}
	int r = kimage_walk(img, &v, &m, e);
	if (r == 0)
		r = assemble(&m, inv, e);
	m_free(&m);
	if (r < 0) {
		kscan_inventory_done(inv);
		return kerr_wrap(e, "inventory of %s", img->name ? img->name : img->path);
	}
	return 0;
}

/* ---- a root filesystem ---- */

static int read_in_root(int root, const char *path, char **out, size_t *len, kerr *e)
{
	_cleanup_close_ int fd = kfs_open_in_root(root, path, O_RDONLY | O_NOFOLLOW, 0);
	if (fd < 0) {
		/* os-release is a symlink: let openat2 follow it inside the root */
		fd = kfs_open_in_root(root, path, O_RDONLY, 0);
	}
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 1 : kerr_errno(e, "open %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return kerr_errno(e, "stat %s", path);
	if (!S_ISREG(st.st_mode))
		return 1;
	if ((uint64_t)st.st_size > DB_MAX)
		return kerr_msg(e, EFBIG, "%s: larger than %u MiB", path, DB_MAX >> 20);
	return kfs_read_fd(fd, out, len, e) < 0 ? -1 : 0;
}

/* Stat PATH under ROOT: keep it when setuid, setgid or with file caps. */
static int probe_special(struct map *m, int root, const char *path, kerr *e)
{
	char buf[4096];
	while (*path == '/')
		path++;
	path = canon(m, path, buf, sizeof(buf));
	if (!*path || m_get(m, path))
		return 0;
	_cleanup_close_ int fd = kfs_open_in_root(root, path, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0)
		return 0; /* listed but gone (a conffile removed, a diverted path) */
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	char proc[64], cap[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ssize_t cl = getxattr(proc, "security.capability", cap, sizeof(cap));
	if (!(st.st_mode & (S_ISUID | S_ISGID)) && cl <= 0)
		return 0;
	struct kept *k = m_put(m, path);
	if (!k)
		return kerr_set(e, ENOMEM, "%s", path);
	k->kind = K_SPECIAL;
	k->layer = KSCAN_NO_LAYER;
	k->mode = st.st_mode;
	k->uid = st.st_uid;
	k->gid = st.st_gid;
	if (cl > 0 && !(k->caps = kscan_fcaps_text(cap, (size_t)cl)))
		return kerr_set(e, ENOMEM, "%s", path);
	return 0;
}

static int keep_file(struct map *m, int root, const char *path, enum kind kind, kerr *e)
{
	char *data = NULL;
	size_t len = 0;
	int r = read_in_root(root, path, &data, &len, e);
	if (r != 0)
		return r < 0 ? -1 : 0;
	struct kept *k = m_put(m, path);
	if (!k) {
		free(data);
		return kerr_set(e, ENOMEM, "%s", path);
	}
	k->kind = kind;
	k->layer = KSCAN_NO_LAYER;
	k->mode = S_IFREG | 0644;
	k->data = data;
	k->len = len;
	return 0;
}

static int keep_dir(struct map *m, int root, const char *dir, enum kind kind, const char *suffix, kerr *e)
{
	_cleanup_close_ int fd = kfs_open_in_root(root, dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : kerr_errno(e, "open %s", dir);
	DIR *d = fdopendir(fd);
	if (!d)
		return kerr_errno(e, "open %s", dir);
	fd = -1;
	_cleanup_closedir_ DIR *dd = d;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (suffix && !kstr_ends(de->d_name, suffix)))
			continue;
		_cleanup_free_ char *p = kstr_printf("%s/%s", dir, de->d_name);
		if (!p)
			return kerr_set(e, ENOMEM, "%s", dir);
		enum kind k = kind == K_STATUSD && kstr_ends(p, ".md5sums") ? K_LIST : kind;
		if (keep_file(m, root, p, k, e) < 0)
			return -1;
	}
	return 0;
}

/* The symlinks of the root directory (bin -> usr/bin), for canon(). */
static int keep_toplinks(struct map *m, int root, kerr *e)
{
	_cleanup_close_ int fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d)
		return kerr_errno(e, "read the root directory");
	fd = -1;
	_cleanup_closedir_ DIR *dd = d;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_LNK)
			continue;
		char target[4096];
		ssize_t n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		struct kept *k = m_put(m, de->d_name);
		if (!k || !(k->link = strdup(target)))
			return kerr_set(e, ENOMEM, "%s", de->d_name);
		k->kind = K_TOPLINK;
		k->layer = KSCAN_NO_LAYER;
	}
	return 0;
}

static int probe_lists(struct map *m, int root, kerr *e)
{
	size_t n = m->n;
	for (size_t i = 0; i < n; i++) {
		if (m->v[i].kind != K_LIST || !m->v[i].data)
			continue;
		int md5 = kstr_ends(m->v[i].path, ".md5sums");
		_cleanup_free_ char *copy = strndup(m->v[i].data, m->v[i].len);
		if (!copy)
			return kerr_set(e, ENOMEM, "%s", m->v[i].path);
		for (char *s = copy, *nl; s && *s; s = nl ? nl + 1 : NULL) {
			nl = strchr(s, '\n');
			if (nl)
				*nl = 0;
			const char *path = s;
			if (md5 && (path = strstr(s, "  ")))
				path += 2;
			if (path && probe_special(m, root, path, e) < 0)
				return -1;
		}
	}
	return 0;
}

/* The files apk's or rpm's database lists ("path\tpackage" lines):
 * stat'ed for setuid, setgid and capabilities. */
static int probe_pkg_files(struct map *m, int root, kerr *e)
{
	struct kscan_pkgs ps = { 0 };
	_cleanup_free_ char *list = NULL;
	int r = 0;
	const struct kept *k = live(m, "lib/apk/db/installed");
	if (k && k->data) {
		size_t nf = 0;
		r = kscan_apk_parse(k->data, k->len, k->path, &ps, &list, &nf, e);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(rpm_dbs); i++) {
			if (!(k = live(m, rpm_dbs[i].path)) || !k->data)
				continue;
			struct kscan_buf b = { 0 };
			r = parse_db(k->kind, k->path, k->data, k->len, &ps, &b, e);
			list = b.s;
			break;
		}
	}
	kscan_pkgs_done(&ps);
	for (char *s = list; r == 0 && s && *s;) {
		char *tab = strchr(s, '\t'), *nl = strchr(s, '\n');
		if (!tab || !nl)
			break;
		*tab = 0;
		r = probe_special(m, root, s, e);
		s = nl + 1;
	}
	return r;
}

int kscan_inventory_root(const char *dir, struct kscan_inventory *inv, kerr *e)
{
	memset(inv, 0, sizeof(*inv));
	_cleanup_close_ int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return kerr_errno(e, "open %s", dir);
	return kscan_inventory_rootfd(root, dir, inv, e);
}

int kscan_inventory_rootfd(int root, const char *dir, struct kscan_inventory *inv, kerr *e)
{
	memset(inv, 0, sizeof(*inv));
	struct map m = { 0 };
	static const struct {
		const char *path;
		enum kind kind;
	} files[] = {
		{ "var/lib/dpkg/status", K_STATUS },
		{ "lib/apk/db/installed", K_APK },
		{ "etc/os-release", K_OSREL },
		{ "usr/lib/os-release", K_OSREL },
	};
	int r = 0;
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(files); i++)
		r = keep_file(&m, root, files[i].path, files[i].kind, e);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(rpm_dbs); i++)
		r = keep_file(&m, root, rpm_dbs[i].path, rpm_dbs[i].kind, e);
	if (r == 0)
		r = keep_toplinks(&m, root, e);
	if (r == 0)
		r = keep_dir(&m, root, "var/lib/dpkg/status.d", K_STATUSD, NULL, e);
	if (r == 0)
		r = keep_dir(&m, root, "var/lib/dpkg/info", K_LIST, ".list", e);
	if (r == 0)
		r = probe_lists(&m, root, e);
	if (r == 0)
		r = probe_pkg_files(&m, root, e);
	if (r == 0)
		r = assemble(&m, inv, e);
	m_free(&m);
	if (r < 0) {
		kscan_inventory_done(inv);
		return kerr_wrap(e, "inventory of %s", dir);
	}
	return 0;
}
