/* Reading the vulnerability index (vulndb.h): one read-only map, offsets
 * checked on every access, binary search on (release, package). */
#include "scan/vulndb.h"
#include "scan/vulndb_int.h"

#include "common/cleanup.h"
#include "common/sha256.h"
#include "common/str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const state_names[] = {
	[KVULN_FIXED] = "fixed",     [KVULN_OPEN] = "open",
	[KVULN_NO_DSA] = "no-dsa",   [KVULN_POSTPONED] = "postponed",
	[KVULN_IGNORED] = "ignored", [KVULN_UNDETERMINED] = "undetermined",
	[KVULN_EOL] = "end-of-life", [KVULN_NOT_AFFECTED] = "not-affected",
};
KAPSEL_DEFINE_NAME_TABLE(kvuln_state, enum kvuln_state, state_names);

static const char *const kind_names[] = {
	[KVULN_SRC_DEBIAN] = "debian-tracker",
	[KVULN_SRC_OSV] = "osv",
	[KVULN_SRC_SECDB] = "alpine-secdb",
};
KAPSEL_DEFINE_NAME_TABLE(kvuln_source_kind, enum kvuln_source_kind, kind_names);

struct kvuln_db {
	const unsigned char *map;
	size_t len;
	const struct kvuln_disk_hdr *h;
	const struct kvuln_disk_src *srcs;
	const struct kvuln_disk_rec *recs;
	const char *pool;
	char digest[KSHA256_DIGEST];
};

int kvuln_db_open(const char *dir, struct kvuln_db **out, kerr *e)
{
	_cleanup_free_ char *path = kstr_printf("%s/index", dir);
	if (!path)
		return kerr_set(e, ENOMEM, "%s", dir);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return kerr_msg(
				e, ENOENT,
				"%s: no vulnerability index: run `kapsel scan db update --from FILE|DIR` or `--url URL`",
				path);
		return kerr_errno(e, "open %s", path);
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return kerr_errno(e, "stat %s", path);
	size_t len = (size_t)st.st_size;
	if (len < sizeof(struct kvuln_disk_hdr))
		return kerr_msg(e, EINVAL, "%s: not a kapsel vulnerability index (too short)", path);
	void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return kerr_errno(e, "map %s", path);
	struct kvuln_db *db = calloc(1, sizeof(*db));
	if (!db) {
		munmap(m, len);
		return kerr_set(e, ENOMEM, "%s", path);
	}
	db->map = m;
	db->len = len;
	db->h = m;
	const struct kvuln_disk_hdr *h = db->h;
	uint64_t srcs_end = (uint64_t)h->sources_off + (uint64_t)h->nsources * sizeof(struct kvuln_disk_src);
	uint64_t recs_end = (uint64_t)h->records_off + (uint64_t)h->nrecords * sizeof(struct kvuln_disk_rec);
	if (memcmp(h->magic, KVULN_MAGIC, 8) || h->version != KVULN_VERSION) {
		kvuln_db_close(db);
		return kerr_msg(e, EINVAL,
				"%s: not a kapsel vulnerability index of version %d: run `kapsel scan db update`", path,
				KVULN_VERSION);
	}
	if (srcs_end > len || recs_end > len || h->sources_off % 8 || h->records_off % 4 ||
	    (uint64_t)h->pool_off + h->pool_len > len || !h->pool_len || db->map[h->pool_off + h->pool_len - 1]) {
		kvuln_db_close(db);
		return kerr_msg(e, EINVAL, "%s: corrupt vulnerability index (tables outside the file)", path);
	}
	db->srcs = (const void *)(db->map + h->sources_off);
	db->recs = (const void *)(db->map + h->records_off);
	db->pool = (const char *)db->map + h->pool_off;
	/* the index's identity, for caching and reports: its header and source
	 * table name every input by digest, so this is cheap and unique */
	uint8_t sum[KSHA256_LEN];
	ksha256(db->map, (size_t)srcs_end, sum);
	ksha256_digest(sum, db->digest);
	*out = db;
	return 0;
}

void kvuln_db_close(struct kvuln_db *db)
{
	if (!db)
		return;
	munmap((void *)db->map, db->len);
	free(db);
}

static const char *str(const struct kvuln_db *db, uint32_t off)
{
	return off < db->h->pool_len ? db->pool + off : "";
}

int64_t kvuln_db_built(const struct kvuln_db *db)
{
	return db->h->built;
}

const char *kvuln_db_digest(const struct kvuln_db *db)
{
	return db->digest;
}

size_t kvuln_db_nsources(const struct kvuln_db *db)
{
	return db->h->nsources;
}

size_t kvuln_db_nrecords(const struct kvuln_db *db)
{
	return db->h->nrecords;
}

void kvuln_db_source(const struct kvuln_db *db, size_t i, struct kvuln_source *out)
{
	const struct kvuln_disk_src *s = &db->srcs[i];
	out->kind = s->kind <= KVULN_SRC_SECDB ? (enum kvuln_source_kind)s->kind : KVULN_SRC_OSV;
	out->origin = str(db, s->origin);
	out->digest = str(db, s->digest);
	out->date = s->date;
	out->records = s->records;
}

void kvuln_db_get(const struct kvuln_db *db, size_t i, struct kvuln_rec *out)
{
	const struct kvuln_disk_rec *r = &db->recs[i];
	const char **s[KVULN_NSTR] = { &out->release, &out->package, &out->id,       &out->introduced,
				       &out->fixed,   &out->urgency, &out->severity, &out->note };
	for (int k = 0; k < KVULN_NSTR; k++)
		*s[k] = str(db, r->str[k]);
	out->state = r->state < KVULN_STATE_MAX ? (enum kvuln_state)r->state : KVULN_UNDETERMINED;
	out->source = r->source < db->h->nsources ? r->source : 0;
}

static int key_cmp(const struct kvuln_db *db, size_t i, const char *release, const char *package)
{
	const struct kvuln_disk_rec *r = &db->recs[i];
	int c = strcmp(str(db, r->str[KVULN_S_RELEASE]), release);
	return c ? c : strcmp(str(db, r->str[KVULN_S_PACKAGE]), package);
}

void kvuln_db_find(const struct kvuln_db *db, const char *release, const char *package, size_t *first, size_t *n)
{
	size_t lo = 0, hi = db->h->nrecords;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp(db, mid, release, package) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < db->h->nrecords && !key_cmp(db, end, release, package))
		end++;
	*first = lo;
	*n = end - lo;
}

char *kvuln_release_key(const char *os_id, const char *version_id, const char *codename)
{
	static const struct {
		const char *codename, *version;
	} debian[] = {
		{ "buzz", "1.1" },    { "jessie", "8" },  { "stretch", "9" }, { "buster", "10" }, { "bullseye", "11" },
		{ "bookworm", "12" }, { "trixie", "13" }, { "forky", "14" },  { "duke", "15" },
	};
	if (!os_id)
		return NULL;
	if (!strcmp(os_id, "debian")) {
		if (version_id && *version_id) {
			/* "12" (os-release), never "12.5": the tracker is per release */
			return kstr_printf("debian:%.*s", (int)strcspn(version_id, "."), version_id);
		}
		for (size_t i = 0; codename && i < sizeof(debian) / sizeof(*debian); i++)
			if (!strcmp(codename, debian[i].codename))
				return kstr_printf("debian:%s", debian[i].version);
		return codename && *codename ? kstr_printf("debian:%s", codename) : NULL;
	}
	if (!strcmp(os_id, "alpine")) {
		if (!version_id)
			return NULL;
		const char *dot = strchr(version_id, '.');
		const char *dot2 = dot ? strchr(dot + 1, '.') : NULL;
		size_t n = dot2 ? (size_t)(dot2 - version_id) : strlen(version_id);
		return kstr_printf("alpine:v%.*s", (int)n, version_id);
	}
	return version_id ? kstr_printf("%s:%s", os_id, version_id) : NULL;
}
