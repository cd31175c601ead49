/* The vulnerability index: the security data of the Debian security
 * tracker (its JSON export), OSV records and Alpine's secdb, compiled by
 * `kapsel scan db update` into one file that a scan maps read-only.
 *
 *   DIR/index        the compiled index (written to DIR/index.tmp, fsync'ed,
 *                    renamed: a scan sees the old index or the new one)
 *   DIR/http.json    the ETag and Last-Modified of each URL fetched (fetch.h)
 *   DIR/sources/     the last copy of each URL fetched
 *
 * The index is a header, a table of sources (kind, where it came from,
 * sha256 of its bytes, its date), fixed-size records sorted by (release,
 * package, vulnerability) and a pool of NUL-terminated strings.  Every
 * offset is checked when it is read, so a corrupt or hostile index gives
 * an error or an empty string, never a read outside the map.
 *
 * A record says what one source says about one source package of one
 * release: "debian:12" util-linux CVE-2024-28085 fixed in
 * 2.38.1-5+deb12u1, urgency "not yet assigned".  Debian's states stay
 * distinct (state below); "fixed" with version "0" is "not affected", as
 * the tracker writes it.  OSV ranges become one record per range
 * (introduced, fixed); an OSV range without a fix is "open". */
#ifndef KAPSEL_SCAN_VULNDB_H
#define KAPSEL_SCAN_VULNDB_H

#include "common/err.h"
#include "common/names.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum kvuln_state {
	KVULN_FIXED,        /* a fixed version exists (fixed_version) */
	KVULN_OPEN,         /* affected, no fix yet */
	KVULN_NO_DSA,       /* affected, minor: fixed in a point release if at all */
	KVULN_POSTPONED,    /* no-dsa, postponed to a later update */
	KVULN_IGNORED,      /* no-dsa, ignored: will not be fixed */
	KVULN_UNDETERMINED, /* not yet known whether affected */
	KVULN_EOL,          /* the package is no longer supported in this release */
	KVULN_NOT_AFFECTED, /* fixed_version "0": never affected */
	KVULN_STATE_MAX,
};
KAPSEL_DECLARE_NAME_TABLE(kvuln_state, enum kvuln_state); /* "fixed", "open", "no-dsa", ... */

enum kvuln_source_kind { KVULN_SRC_DEBIAN, KVULN_SRC_OSV, KVULN_SRC_SECDB };
KAPSEL_DECLARE_NAME_TABLE(kvuln_source_kind, enum kvuln_source_kind); /* "debian-tracker", "osv", "alpine-secdb" */

struct kvuln_source {
	enum kvuln_source_kind kind;
	const char *origin; /* the file, directory or URL it was read from */
	const char *digest; /* "sha256:<hex>" of its bytes (a directory: of its files' names and digests) */
	int64_t date;       /* its date (newest OSV "modified", else the file's or HTTP Last-Modified), Unix seconds */
	uint32_t records;
};

struct kvuln_rec {
	const char *release;    /* "debian:12", "alpine:v3.19" */
	const char *package;    /* source package name */
	const char *id;         /* "CVE-2024-28085", "DSA-5650-1", "GHSA-..." */
	const char *introduced; /* "" or "0": from the beginning */
	const char *fixed;      /* the fixed version, "" when none */
	const char *urgency;    /* Debian's word as it is ("low", "unimportant", "not yet assigned"), or "" */
	const char *severity;   /* OSV's CVSS vector or score, or "" */
	const char *note;       /* nodsa text, a description line, or "" */
	enum kvuln_state state;
	unsigned source; /* index into the sources */
};

/* ---- building (db update) ---- */

struct kvuln_builder;
int kvuln_builder_new(struct kvuln_builder **out, kerr *e);
void kvuln_builder_free(struct kvuln_builder *b);
/* Import PATH: a tracker JSON file, an OSV record (.json), a directory of
 * OSV records, an OSV zip (e.g. Debian:12's all.zip), or an Alpine secdb
 * JSON; the kind is told from the content.  ORIGIN (may be NULL: PATH)
 * names it in the index; DATE (0: the file's mtime) is its date. */
int kvuln_builder_add_path(struct kvuln_builder *b, const char *path, const char *origin, int64_t date, kerr *e);
/* The same for bytes already in memory (a download). */
int kvuln_builder_add_buffer(struct kvuln_builder *b, const char *buf, size_t len, const char *origin, int64_t date,
			     kerr *e);
/* Write DIR/index atomically (DIR is created). */
int kvuln_builder_write(struct kvuln_builder *b, const char *dir, kerr *e);

/* ---- reading (scan) ---- */

struct kvuln_db;
int kvuln_db_open(const char *dir, struct kvuln_db **out, kerr *e);
void kvuln_db_close(struct kvuln_db *db);
int64_t kvuln_db_built(const struct kvuln_db *db);
size_t kvuln_db_nsources(const struct kvuln_db *db);
void kvuln_db_source(const struct kvuln_db *db, size_t i, struct kvuln_source *out);
const char *kvuln_db_digest(const struct kvuln_db *db); /* "sha256:<hex>" of the index file */
size_t kvuln_db_nrecords(const struct kvuln_db *db);
/* The records of (RELEASE, PACKAGE): *first and *n into the record order. */
void kvuln_db_find(const struct kvuln_db *db, const char *release, const char *package, size_t *first, size_t *n);
void kvuln_db_get(const struct kvuln_db *db, size_t i, struct kvuln_rec *out);

/* The release key of an os-release: ID "debian" + VERSION_ID "12" ->
 * "debian:12" (a codename is mapped: bookworm -> 12); alpine 3.19.1 ->
 * "alpine:v3.19".  NULL when unknown (malloc'ed). */
char *kvuln_release_key(const char *os_id, const char *version_id, const char *codename);

#endif
