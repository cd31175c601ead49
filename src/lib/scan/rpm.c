/* rpm's package database in its SQLite form (rpm >= 4.16: rpmdb.sqlite,
 * table Packages(hnum, blob)), opened in memory with sqlite3_deserialize,
 * and the header blobs every rpm database holds: the header structure of
 * rpm's file format (big-endian: index count, data length, 16-byte index
 * entries {tag, type, offset, count}, then the data store), of which the
 * NAME, VERSION, RELEASE, EPOCH, ARCH and SOURCERPM tags are read, and
 * the file list (BASENAMES, DIRNAMES, DIRINDEXES; OLDFILENAMES in very
 * old packages).  The BerkeleyDB and NDB files are rpmdb.c. */
#include "scan/inventory.h"

#include "common/cleanup.h"
#include "common/str.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	TAG_NAME = 1000,
	TAG_VERSION = 1001,
	TAG_RELEASE = 1002,
	TAG_EPOCH = 1003,
	TAG_ARCH = 1022,
	TAG_SOURCERPM = 1044,
	TAG_OLDFILENAMES = 1027,
	TAG_DIRINDEXES = 1116,
	TAG_BASENAMES = 1117,
	TAG_DIRNAMES = 1118
};
enum { TYPE_INT32 = 4, TYPE_STRING = 6, TYPE_STRING_ARRAY = 8, TYPE_I18NSTRING = 9 };

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct hdr {
	const unsigned char *index, *data;
	uint32_t il, dl;
};

/* The string of TAG, NULL when absent; -1 when malformed. */
static int hdr_str(const struct hdr *h, uint32_t tag, const char **out, kerr *e)
{
	*out = NULL;
	for (uint32_t i = 0; i < h->il; i++) {
		const unsigned char *ent = h->index + 16 * (size_t)i;
		if (be32(ent) != tag)
			continue;
		uint32_t type = be32(ent + 4), off = be32(ent + 8);
		if (type != TYPE_STRING && type != TYPE_I18NSTRING)
			return kerr_msg(e, EINVAL, "tag %u: type %u, want a string", tag, type);
		if (off >= h->dl || !memchr(h->data + off, '\0', h->dl - off))
			return kerr_msg(e, EINVAL, "tag %u: string outside the header's data", tag);
		*out = (const char *)h->data + off;
		return 0;
	}
	return 0;
}

static int hdr_int(const struct hdr *h, uint32_t tag, int *found, uint32_t *out, kerr *e)
{
	*found = 0;
	for (uint32_t i = 0; i < h->il; i++) {
		const unsigned char *ent = h->index + 16 * (size_t)i;
		if (be32(ent) != tag)
			continue;
		uint32_t type = be32(ent + 4), off = be32(ent + 8), count = be32(ent + 12);
		if (type != TYPE_INT32 || count < 1)
			return kerr_msg(e, EINVAL, "tag %u: type %u, want int32", tag, type);
		if (off % 4 || (uint64_t)off + 4 > h->dl)
			return kerr_msg(e, EINVAL, "tag %u: value outside the header's data", tag);
		*out = be32(h->data + off);
		*found = 1;
		return 0;
	}
	return 0;
}

static int hdr_open(struct hdr *h, const void *blob, size_t len, kerr *e)
{
	const unsigned char *b = blob;
	if (len < 8)
		return kerr_msg(e, EINVAL, "header of %zu bytes", len);
	h->il = be32(b);
	h->dl = be32(b + 4);
	if (h->il < 1 || h->il > 0xffff || h->dl > 256u << 20 || 8 + 16 * (uint64_t)h->il + h->dl > len)
		return kerr_msg(e, EINVAL, "header index of %u entries and %u data bytes does not fit its %zu bytes",
				h->il, h->dl, len);
	h->index = b + 8;
	h->data = h->index + 16 * (size_t)h->il;
	return 0;
}

/* The COUNT strings of array TAG: *OUT points at the first (they follow
 * each other, NUL-terminated, all inside the data); *COUNT 0 when absent. */
static int hdr_strs(const struct hdr *h, uint32_t tag, const char **out, uint32_t *count, kerr *e)
{
	*out = NULL;
	*count = 0;
	for (uint32_t i = 0; i < h->il; i++) {
		const unsigned char *ent = h->index + 16 * (size_t)i;
		if (be32(ent) != tag)
			continue;
		uint32_t type = be32(ent + 4), off = be32(ent + 8), n = be32(ent + 12);
		if (type != TYPE_STRING_ARRAY)
			return kerr_msg(e, EINVAL, "tag %u: type %u, want a string array", tag, type);
		if (off > h->dl)
			return kerr_msg(e, EINVAL, "tag %u: strings outside the header's data", tag);
		const char *p = (const char *)h->data + off, *end = (const char *)h->data + h->dl;
		for (uint32_t k = 0; k < n; k++) {
			const char *z = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
			if (!z)
				return kerr_msg(e, EINVAL, "tag %u: string %u of %u outside the header's data", tag, k,
						n);
			p = z + 1;
		}
		*out = (const char *)h->data + off;
		*count = n;
		return 0;
	}
	return 0;
}

static int buf_add(struct kscan_buf *b, const char *dir, const char *base, const char *owner)
{
	while (*dir == '/')
		dir++;
	if (!*dir)
		while (*base == '/')
			base++;
	size_t n = strlen(dir) + strlen(base) + strlen(owner) + 3;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (!s)
			return -1;
		b->s = s;
		b->cap = cap;
	}
	b->len += (size_t)snprintf(b->s + b->len, b->cap - b->len, "%s%s\t%s\n", dir, base, owner);
	return 0;
}

int kscan_rpm_files(const void *blob, size_t len, const char *owner, struct kscan_buf *files, kerr *e)
{
	struct hdr h;
	if (hdr_open(&h, blob, len, e) < 0)
		return -1;
	const char *base, *dirs, *old;
	uint32_t nbase, ndirs, nold;
	if (hdr_strs(&h, TAG_BASENAMES, &base, &nbase, e) < 0 || hdr_strs(&h, TAG_DIRNAMES, &dirs, &ndirs, e) < 0 ||
	    hdr_strs(&h, TAG_OLDFILENAMES, &old, &nold, e) < 0)
		return -1;
	if (!nbase) {
		for (uint32_t i = 0; i < nold; i++, old += strlen(old) + 1)
			if (buf_add(files, "", old, owner) < 0)
				return kerr_set(e, ENOMEM, "rpm file list");
		return 0;
	}
	/* DIRINDEXES: one int32 per basename, naming its directory */
	const unsigned char *ix = NULL;
	for (uint32_t i = 0; i < h.il; i++) {
		const unsigned char *ent = h.index + 16 * (size_t)i;
		if (be32(ent) != TAG_DIRINDEXES)
			continue;
		uint32_t type = be32(ent + 4), off = be32(ent + 8), n = be32(ent + 12);
		if (type != TYPE_INT32 || n != nbase || off % 4 || (uint64_t)off + 4 * (uint64_t)n > h.dl)
			return kerr_msg(e, EINVAL, "tag %u: want %u int32s inside the header's data", TAG_DIRINDEXES,
					nbase);
		ix = h.data + off;
	}
	if (!ix)
		return kerr_msg(e, EINVAL, "BASENAMES without DIRINDEXES");
	_cleanup_free_ const char **dv = calloc(ndirs ? ndirs : 1, sizeof(*dv));
	if (!dv)
		return kerr_set(e, ENOMEM, "rpm file list");
	for (uint32_t i = 0; i < ndirs; i++, dirs += strlen(dirs) + 1)
		dv[i] = dirs;
	for (uint32_t i = 0; i < nbase; i++, base += strlen(base) + 1) {
		uint32_t d = be32(ix + 4 * (size_t)i);
		if (d >= ndirs)
			return kerr_msg(e, EINVAL, "file %u: directory %u of %u", i, d, ndirs);
		if (buf_add(files, dv[d], base, owner) < 0)
			return kerr_set(e, ENOMEM, "rpm file list");
	}
	return 0;
}

int kscan_rpm_add(const void *blob, size_t len, struct kscan_pkgs *out, struct kscan_buf *files, kerr *e)
{
	struct kscan_pkg p;
	if (kscan_rpm_header(blob, len, &p, e) < 0)
		return -1;
	/* gpg-pubkey entries are keys, not packages */
	if (!strcmp(p.name, "gpg-pubkey")) {
		kscan_pkg_done(&p);
		return 0;
	}
	if (files) {
		_cleanup_free_ char *owner = *p.arch ? kstr_printf("%s:%s", p.name, p.arch) : strdup(p.name);
		if (!owner) {
			kscan_pkg_done(&p);
			return kerr_set(e, ENOMEM, "rpm file list");
		}
		if (kscan_rpm_files(blob, len, owner, files, e) < 0) {
			kerr_wrap(e, "%s", p.name);
			kscan_pkg_done(&p);
			return -1;
		}
	}
	return kscan_pkgs_add(out, &p, e);
}

int kscan_rpm_header(const void *blob, size_t len, struct kscan_pkg *out, kerr *e)
{
	memset(out, 0, sizeof(*out));
	struct hdr h;
	if (hdr_open(&h, blob, len, e) < 0)
		return -1;
	const char *name, *ver, *rel, *arch, *srpm;
	uint32_t epoch = 0;
	int has_epoch;
	if (hdr_str(&h, TAG_NAME, &name, e) < 0 || hdr_str(&h, TAG_VERSION, &ver, e) < 0 ||
	    hdr_str(&h, TAG_RELEASE, &rel, e) < 0 || hdr_str(&h, TAG_ARCH, &arch, e) < 0 ||
	    hdr_str(&h, TAG_SOURCERPM, &srpm, e) < 0 || hdr_int(&h, TAG_EPOCH, &has_epoch, &epoch, e) < 0)
		return -1;
	if (!name || !ver || !rel)
		return kerr_msg(e, EINVAL, "header without %s", !name ? "NAME" : !ver ? "VERSION" : "RELEASE");
	out->eco = KSCAN_RPM;
	out->layer = KSCAN_NO_LAYER;
	out->name = strdup(name);
	out->arch = strdup(arch ? arch : "");
	out->version = has_epoch ? kstr_printf("%u:%s-%s", epoch, ver, rel) : kstr_printf("%s-%s", ver, rel);
	if (srpm) {
		/* NAME-VERSION-RELEASE.src.rpm */
		size_t n = strlen(srpm);
		if (kstr_ends(srpm, ".src.rpm"))
			n -= 8;
		else if (kstr_ends(srpm, ".nosrc.rpm"))
			n -= 10;
		_cleanup_free_ char *nvr = strndup(srpm, n);
		char *d2 = nvr ? strrchr(nvr, '-') : NULL;
		char *d1 = NULL;
		if (d2) {
			*d2 = 0;
			d1 = strrchr(nvr, '-');
			*d2 = '-';
		}
		if (d1) {
			out->source = strndup(nvr, (size_t)(d1 - nvr));
			out->source_version = has_epoch ? kstr_printf("%u:%s", epoch, d1 + 1) : strdup(d1 + 1);
		}
	}
	if (!out->source)
		out->source = strdup(name);
	if (!out->source_version)
		out->source_version = strdup(out->version ? out->version : "");
	if (!out->name || !out->arch || !out->version || !out->source || !out->source_version) {
		kscan_pkg_done(out);
		return kerr_set(e, ENOMEM, "rpm header");
	}
	return 0;
}

static void close_db(sqlite3 **db)
{
	if (*db)
		sqlite3_close(*db);
}

int kscan_rpm_sqlite(const void *buf, size_t len, const char *file, struct kscan_pkgs *out, struct kscan_buf *files,
		     kerr *e)
{
	__attribute__((cleanup(close_db))) sqlite3 *db = NULL;
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return kerr_msg(e, ENOMEM, "%s: sqlite: %s", file, db ? sqlite3_errmsg(db) : "out of memory");
	unsigned char *copy = sqlite3_malloc64(len ? len : 1);
	if (!copy)
		return kerr_set(e, ENOMEM, "%s", file);
	memcpy(copy, buf, len);
	/* rpm keeps the database in WAL mode (header bytes 18 and 19 are 2); a
	 * deserialized database cannot be, and the image's checkpointed file
	 * is all there is to read: mark the copy as a rollback-journal one */
	if (len >= 100 && copy[18] == 2 && copy[19] == 2)
		copy[18] = copy[19] = 1;
	/* the copy belongs to sqlite now, read-only: nothing goes to disk */
	if (sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
				SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY) != SQLITE_OK)
		return kerr_msg(e, EINVAL, "%s: not an SQLite database: %s", file, sqlite3_errmsg(db));
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT hnum, blob FROM Packages ORDER BY hnum", -1, &st, NULL) != SQLITE_OK)
		return kerr_msg(e, EINVAL, "%s: no rpm Packages table: %s", file, sqlite3_errmsg(db));
	size_t start = out->n;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *blob = sqlite3_column_blob(st, 1);
		int n = sqlite3_column_bytes(st, 1);
		if (kscan_rpm_add(blob, blob ? (size_t)n : 0, out, files, e) < 0) {
			kerr_wrap(e, "%s: package %lld", file, (long long)sqlite3_column_int64(st, 0));
			goto fail;
		}
	}
	if (rc != SQLITE_DONE) {
		kerr_msg(e, EINVAL, "%s: reading Packages: %s", file, sqlite3_errmsg(db));
		goto fail;
	}
	sqlite3_finalize(st);
	return 0;
fail:
	sqlite3_finalize(st);
	while (out->n > start)
		kscan_pkg_done(&out->v[--out->n]);
	return -1;
}
