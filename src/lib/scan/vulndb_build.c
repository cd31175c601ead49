/* Building the vulnerability index (vulndb.h): the three source formats
 * read into records, strings interned into one pool, the records sorted
 * and written with the sources' table.
 *
 *   Debian tracker JSON  {PKG: {CVE: {"releases": {CODENAME: {"status",
 *                        "fixed_version", "urgency", "nodsa",
 *                        "nodsa_reason"}}}}}
 *   OSV (1.6 schema)     {"id", "modified", "withdrawn", "severity": [{type,
 *                        score}], "affected": [{"package": {"ecosystem",
 *                        "name"}, "ranges": [{"type": "ECOSYSTEM",
 *                        "events": [{"introduced"}, {"fixed"}]}],
 *                        "ecosystem_specific": {"urgency"}}]}
 *   Alpine secdb         {"distroversion", "packages": [{"pkg": {"name",
 *                        "secfixes": {VERSION: [ID ...]}}}]} */
#include "scan/strhash.h"
#include "scan/vulndb.h"
#include "scan/vulndb_int.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/str.h"
#include "common/time.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOURCE_MAX (1u << 30) /* one source file: the tracker's JSON is ~70 MB */

struct src {
	enum kvuln_source_kind kind;
	uint32_t origin, digest;
	int64_t date;
	uint32_t records;
};

struct kvuln_builder {
	char *pool;
	size_t plen, pcap;
	uint32_t *slots; /* interned strings: offset + 1 */
	size_t nslots, nstr;
	struct kvuln_disk_rec *recs;
	size_t nrecs, rcap;
	struct src *srcs;
	size_t nsrcs;
};

static int regrow(struct kvuln_builder *b)
{
	size_t n = b->nslots ? b->nslots * 2 : 1 << 16;
	uint32_t *s = calloc(n, sizeof(*s));
	if (!s)
		return -1;
	for (size_t i = 0; i < b->nslots; i++) {
		if (!b->slots[i])
			continue;
		size_t j = kscan_strhash(b->pool + b->slots[i] - 1) & (n - 1);
		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = b->slots[i];
	}
	free(b->slots);
	b->slots = s;
	b->nslots = n;
	return 0;
}

/* The pool offset of S (added once); (uint32_t)-1 on ENOMEM or overflow. */
static uint32_t intern(struct kvuln_builder *b, const char *s)
{
	if (!s)
		s = "";
	if ((b->nstr + 1) * 2 > b->nslots && regrow(b) < 0)
		return UINT32_MAX;
	size_t j = kscan_strhash(s) & (b->nslots - 1);
	for (; b->slots[j]; j = (j + 1) & (b->nslots - 1))
		if (!strcmp(b->pool + b->slots[j] - 1, s))
			return b->slots[j] - 1;
	size_t n = strlen(s) + 1;
	if (b->plen + n >= UINT32_MAX - 1)
		return UINT32_MAX;
	if (b->plen + n > b->pcap) {
		size_t cap = (b->pcap + n) * 2;
		char *p = realloc(b->pool, cap);
		if (!p)
			return UINT32_MAX;
		b->pool = p;
		b->pcap = cap;
	}
	memcpy(b->pool + b->plen, s, n);
	uint32_t off = (uint32_t)b->plen;
	b->plen += n;
	b->slots[j] = off + 1;
	b->nstr++;
	return off;
}

int kvuln_builder_new(struct kvuln_builder **out, kerr *e)
{
	struct kvuln_builder *b = calloc(1, sizeof(*b));
	if (!b || intern(b, "") != 0) {
		kvuln_builder_free(b);
		return kerr_set(e, ENOMEM, "vulnerability index");
	}
	*out = b;
	return 0;
}

void kvuln_builder_free(struct kvuln_builder *b)
{
	if (!b)
		return;
	free(b->pool);
	free(b->slots);
	free(b->recs);
	free(b->srcs);
	free(b);
}

struct rec_in {
	const char *release, *package, *id, *introduced, *fixed, *urgency, *severity, *note;
	enum kvuln_state state;
};

static int add_rec(struct kvuln_builder *b, const struct rec_in *r, kerr *e)
{
	if (b->nrecs == b->rcap) {
		size_t cap = b->rcap ? b->rcap * 2 : 4096;
		struct kvuln_disk_rec *v = realloc(b->recs, cap * sizeof(*v));
		if (!v)
			return kerr_set(e, ENOMEM, "vulnerability index");
		b->recs = v;
		b->rcap = cap;
	}
	struct kvuln_disk_rec *d = &b->recs[b->nrecs];
	memset(d, 0, sizeof(*d));
	const char *s[KVULN_NSTR] = { r->release, r->package, r->id,       r->introduced,
				      r->fixed,   r->urgency, r->severity, r->note };
	for (int i = 0; i < KVULN_NSTR; i++)
		if ((d->str[i] = intern(b, s[i])) == UINT32_MAX)
			return kerr_set(e, ENOMEM, "vulnerability index: string pool");
	d->state = (uint8_t)r->state;
	d->source = (uint32_t)b->nsrcs - 1;
	b->nrecs++;
	b->srcs[b->nsrcs - 1].records++;
	return 0;
}

static int add_source(struct kvuln_builder *b, enum kvuln_source_kind kind, const char *origin, const char *digest,
		      int64_t date, kerr *e)
{
	struct src *v = realloc(b->srcs, (b->nsrcs + 1) * sizeof(*v));
	if (!v)
		return kerr_set(e, ENOMEM, "vulnerability index");
	b->srcs = v;
	struct src *s = &v[b->nsrcs];
	s->kind = kind;
	s->origin = intern(b, origin);
	s->digest = intern(b, digest);
	s->date = date;
	s->records = 0;
	if (s->origin == UINT32_MAX || s->digest == UINT32_MAX)
		return kerr_set(e, ENOMEM, "vulnerability index");
	b->nsrcs++;
	return 0;
}

/* ---- the Debian security tracker ---- */

static int tracker_state(const char *status, const char *fixed, const char *urgency, const char *nodsa,
			 const char *reason, enum kvuln_state *out)
{
	if (!strcmp(status, "resolved")) {
		*out = fixed && !strcmp(fixed, "0") ? KVULN_NOT_AFFECTED : KVULN_FIXED;
		return fixed && *fixed ? 0 : -1;
	}
	if (!strcmp(status, "undetermined")) {
		*out = KVULN_UNDETERMINED;
		return 0;
	}
	if (strcmp(status, "open"))
		return -1;
	if (urgency && !strcmp(urgency, "end-of-life"))
		*out = KVULN_EOL;
	else if (reason && !strcmp(reason, "ignored"))
		*out = KVULN_IGNORED;
	else if (reason && !strcmp(reason, "postponed"))
		*out = KVULN_POSTPONED;
	else if (nodsa)
		*out = KVULN_NO_DSA;
	else
		*out = KVULN_OPEN;
	return 0;
}

static int import_tracker(struct kvuln_builder *b, json_object *root, const char *origin, kerr *e)
{
	json_object_object_foreach(root, pkg, cves)
	{
		if (!json_object_is_type(cves, json_type_object))
			return kerr_msg(e, EINVAL, "%s: %s: expected an object of CVEs", origin, pkg);
		json_object_object_foreach(cves, cve, info)
		{
			json_object *rels = kj_get(info, "releases");
			if (!rels)
				continue;
			if (!json_object_is_type(rels, json_type_object))
				return kerr_msg(e, EINVAL, "%s: %s.%s.releases: expected an object", origin, pkg, cve);
			json_object_object_foreach(rels, codename, r)
			{
				const char *status = kj_get_str(r, "status");
				const char *fixed = kj_get_str(r, "fixed_version");
				const char *urgency = kj_get_str(r, "urgency");
				const char *nodsa = kj_get_str(r, "nodsa");
				const char *reason = kj_get_str(r, "nodsa_reason");
				enum kvuln_state st;
				if (!status || tracker_state(status, fixed, urgency, nodsa, reason, &st) < 0)
					return kerr_msg(
						e, EINVAL,
						"%s: %s.%s.releases.%s: status \"%s\"%s: want resolved (with a fixed_version), open or undetermined",
						origin, pkg, cve, codename, status ? status : "(missing)",
						status && !strcmp(status, "resolved") ? " without fixed_version" : "");
				_cleanup_free_ char *rel = kvuln_release_key("debian", NULL, codename);
				struct rec_in ri = {
					.release = rel,
					.package = pkg,
					.id = cve,
					.introduced = "",
					.fixed = st == KVULN_FIXED || st == KVULN_NOT_AFFECTED ? fixed : "",
					.urgency = urgency,
					.severity = "",
					.note = nodsa ? nodsa : "",
					.state = st,
				};
				if (!rel)
					return kerr_set(e, ENOMEM, "%s", origin);
				if (add_rec(b, &ri, e) < 0)
					return -1;
			}
		}
	}
	return 0;
}

/* ---- OSV ---- */

static char *ecosystem_key(const char *eco)
{
	/* "Debian:12" -> "debian:12", "Alpine:v3.19" -> "alpine:v3.19" */
	char *k = strdup(eco);
	if (!k)
		return NULL;
	for (char *p = k; *p && *p != ':'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return k;
}

static int import_osv(struct kvuln_builder *b, json_object *o, const char *origin, int64_t *newest, kerr *e)
{
	const char *id = kj_get_str(o, "id");
	if (!id || !*id)
		return kerr_msg(e, EINVAL, "%s: OSV record without an id", origin);
	if (kj_get_str(o, "withdrawn"))
		return 0;
	const char *mod = kj_get_str(o, "modified");
	struct timespec ts;
	if (mod && ktime_parse(mod, &ts) == 0 && ts.tv_sec > *newest)
		*newest = ts.tv_sec;
	/* Debian's own OSV ids wrap the CVE: DEBIAN-CVE-2024-1 is CVE-2024-1 */
	const char *vid = kstr_starts(id, "DEBIAN-CVE-") ? id + 7 : id;
	const char *sev = "";
	json_object *sv = kj_get(o, "severity");
	for (size_t i = 0; sv && json_object_is_type(sv, json_type_array) && i < json_object_array_length(sv); i++) {
		const char *s = kj_get_str(json_object_array_get_idx(sv, i), "score");
		if (s) {
			sev = s;
			break;
		}
	}
	const char *summary = kj_get_str(o, "summary");
	json_object *aff = kj_get(o, "affected");
	if (aff && !json_object_is_type(aff, json_type_array))
		return kerr_msg(e, EINVAL, "%s: %s: affected: expected an array", origin, id);
	for (size_t i = 0; aff && i < json_object_array_length(aff); i++) {
		json_object *a = json_object_array_get_idx(aff, i), *pkg = kj_get(a, "package");
		const char *eco = kj_get_str(pkg, "ecosystem"), *name = kj_get_str(pkg, "name");
		if (!eco || !name)
			return kerr_msg(e, EINVAL, "%s: %s: affected[%zu].package: want ecosystem and name", origin, id,
					i);
		_cleanup_free_ char *rel = ecosystem_key(eco);
		if (!rel)
			return kerr_set(e, ENOMEM, "%s", origin);
		const char *urg = kj_get_str(kj_get(a, "ecosystem_specific"), "urgency");
		json_object *ranges = kj_get(a, "ranges");
		for (size_t j = 0;
		     ranges && json_object_is_type(ranges, json_type_array) && j < json_object_array_length(ranges);
		     j++) {
			json_object *r = json_object_array_get_idx(ranges, j), *ev = kj_get(r, "events");
			const char *type = kj_get_str(r, "type");
			if (!type || strcmp(type, "ECOSYSTEM") || !ev || !json_object_is_type(ev, json_type_array))
				continue;
			const char *intro = NULL;
			size_t nev = json_object_array_length(ev);
			for (size_t k = 0; k <= nev; k++) {
				json_object *x = k < nev ? json_object_array_get_idx(ev, k) : NULL;
				const char *in = kj_get_str(x, "introduced"), *fx = kj_get_str(x, "fixed");
				if (in && !intro) {
					intro = in;
					continue;
				}
				if (!intro || (x && !fx && !in))
					continue; /* last_affected / limit: not used by the distributions' data */
				struct rec_in ri = {
					.release = rel,
					.package = name,
					.id = vid,
					.introduced = !strcmp(intro, "0") ? "" : intro,
					.fixed = fx ? fx : "",
					.urgency = urg ? urg : "",
					.severity = sev,
					.note = summary ? summary : "",
					.state =
						fx ? (!strcmp(fx, "0") ? KVULN_NOT_AFFECTED : KVULN_FIXED) : KVULN_OPEN,
				};
				if (add_rec(b, &ri, e) < 0)
					return -1;
				intro = in;
			}
		}
	}
	return 0;
}

/* ---- Alpine secdb ---- */

static int import_secdb(struct kvuln_builder *b, json_object *o, const char *origin, kerr *e)
{
	const char *dv = kj_get_str(o, "distroversion");
	json_object *pkgs = kj_get(o, "packages");
	if (!dv || !pkgs || !json_object_is_type(pkgs, json_type_array))
		return kerr_msg(e, EINVAL, "%s: secdb: want distroversion and a packages array", origin);
	_cleanup_free_ char *rel = kstr_printf("alpine:%s%s", dv[0] == 'v' ? "" : "v", dv);
	if (!rel)
		return kerr_set(e, ENOMEM, "%s", origin);
	for (size_t i = 0; i < json_object_array_length(pkgs); i++) {
		json_object *p = kj_get(json_object_array_get_idx(pkgs, i), "pkg");
		const char *name = kj_get_str(p, "name");
		json_object *fixes = kj_get(p, "secfixes");
		if (!name || (fixes && !json_object_is_type(fixes, json_type_object)))
			return kerr_msg(e, EINVAL, "%s: packages[%zu].pkg: want name and a secfixes object", origin, i);
		if (!fixes)
			continue;
		json_object_object_foreach(fixes, ver, ids)
		{
			if (!json_object_is_type(ids, json_type_array))
				return kerr_msg(e, EINVAL, "%s: %s.secfixes.%s: expected an array", origin, name, ver);
			for (size_t j = 0; j < json_object_array_length(ids); j++) {
				const char *idv = kj_str(json_object_array_get_idx(ids, j));
				char id[128];
				/* "CVE-2023-1 GHSA-x": the first name is the id */
				snprintf(id, sizeof(id), "%.*s", (int)strcspn(idv, " \t"), idv);
				if (!*id)
					continue;
				struct rec_in ri = {
					.release = rel,
					.package = name,
					.id = id,
					.introduced = "",
					.fixed = ver,
					.urgency = "",
					.severity = "",
					.note = "",
					.state = !strcmp(ver, "0") ? KVULN_NOT_AFFECTED : KVULN_FIXED,
				};
				if (add_rec(b, &ri, e) < 0)
					return -1;
			}
		}
	}
	return 0;
}

/* ---- telling the kinds apart ---- */

static int is_osv(json_object *o)
{
	return json_object_is_type(o, json_type_object) && kj_get_str(o, "id") &&
	       (kj_get(o, "affected") || kj_get(o, "modified"));
}

static int add_json(struct kvuln_builder *b, const char *buf, size_t len, const char *origin, const char *digest,
		    int64_t date, kerr *e)
{
	_cleanup_json_ json_object *o = kj_parse(origin, buf, len, e);
	if (!o)
		return -1;
	if (!json_object_is_type(o, json_type_object))
		return kerr_msg(e, EINVAL, "%s: not a tracker, OSV or secdb document (expected an object)", origin);
	if (is_osv(o)) {
		int64_t newest = 0;
		if (add_source(b, KVULN_SRC_OSV, origin, digest, date, e) < 0 ||
		    import_osv(b, o, origin, &newest, e) < 0)
			return -1;
		if (newest)
			b->srcs[b->nsrcs - 1].date = newest;
		return 0;
	}
	if (kj_get(o, "distroversion") && kj_get(o, "packages"))
		return add_source(b, KVULN_SRC_SECDB, origin, digest, date, e) < 0 ? -1 : import_secdb(b, o, origin, e);
	return add_source(b, KVULN_SRC_DEBIAN, origin, digest, date, e) < 0 ? -1 : import_tracker(b, o, origin, e);
}

static void digest_of(const void *buf, size_t len, char out[KSHA256_DIGEST])
{
	uint8_t sum[KSHA256_LEN];
	ksha256(buf, len, sum);
	ksha256_digest(sum, out);
}

static int is_zip(const char *buf, size_t len)
{
	return len >= 4 && !memcmp(buf, "PK\3\4", 4);
}

/* An OSV zip (osv.dev's per-ecosystem all.zip): every .json member is a record. */
static int add_zip(struct kvuln_builder *b, const char *buf, size_t len, const char *origin, const char *digest,
		   int64_t date, kerr *e)
{
	struct archive *a = archive_read_new();
	if (!a)
		return kerr_set(e, ENOMEM, "%s", origin);
	archive_read_support_format_zip(a);
	int r = -1;
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
		kerr_msg(e, EINVAL, "%s: %s", origin, archive_error_string(a));
		goto out;
	}
	if (add_source(b, KVULN_SRC_OSV, origin, digest, date, e) < 0)
		goto out;
	int64_t newest = 0;
	struct archive_entry *ent;
	int st;
	while ((st = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ent);
		if (!name || !kstr_ends(name, ".json") || archive_entry_filetype(ent) != AE_IFREG)
			continue;
		int64_t size = archive_entry_size(ent);
		if (size < 0 || size > 64 << 20) {
			kerr_msg(e, EFBIG, "%s: %s: %lld bytes", origin, name, (long long)size);
			goto out;
		}
		_cleanup_free_ char *data = malloc((size_t)size + 1);
		if (!data) {
			kerr_set(e, ENOMEM, "%s", origin);
			goto out;
		}
		la_ssize_t got = archive_read_data(a, data, (size_t)size);
		if (got != size) {
			kerr_msg(e, EINVAL, "%s: %s: %s", origin, name,
				 got < 0 ? archive_error_string(a) : "short read");
			goto out;
		}
		_cleanup_free_ char *what = kstr_printf("%s: %s", origin, name);
		_cleanup_json_ json_object *o = what ? kj_parse(what, data, (size_t)size, e) : NULL;
		if (!o || !is_osv(o)) {
			if (o)
				kerr_msg(e, EINVAL, "%s: not an OSV record", what);
			goto out;
		}
		if (import_osv(b, o, what, &newest, e) < 0)
			goto out;
	}
	if (st != ARCHIVE_EOF) {
		kerr_msg(e, EINVAL, "%s: %s", origin, archive_error_string(a));
		goto out;
	}
	if (newest)
		b->srcs[b->nsrcs - 1].date = newest;
	r = 0;
out:
	archive_read_free(a);
	return r;
}

int kvuln_builder_add_buffer(struct kvuln_builder *b, const char *buf, size_t len, const char *origin, int64_t date,
			     kerr *e)
{
	char digest[KSHA256_DIGEST];
	digest_of(buf, len, digest);
	if (is_zip(buf, len))
		return add_zip(b, buf, len, origin, digest, date, e);
	return add_json(b, buf, len, origin, digest, date, e);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory of OSV records: one source, its digest over the sorted
 * names and each file's digest. */
static int add_dir(struct kvuln_builder *b, const char *dir, const char *origin, int64_t date, kerr *e)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return kerr_errno(e, "open %s", dir);
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	int r = -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !kstr_ends(de->d_name, ".json"))
			continue;
		char **v = realloc(names, (n + 1) * sizeof(*v));
		if (!v || !(v[n] = strdup(de->d_name))) {
			names = v ? v : names;
			kerr_set(e, ENOMEM, "%s", dir);
			goto out;
		}
		names = v;
		n++;
	}
	if (!n) {
		kerr_msg(e, ENOENT, "%s: no .json files (OSV records) in the directory", dir);
		goto out;
	}
	qsort(names, n, sizeof(*names), cmp_name);
	struct ksha256 all;
	ksha256_init(&all);
	if (add_source(b, KVULN_SRC_OSV, origin, "", date, e) < 0)
		goto out;
	size_t si = b->nsrcs - 1;
	int64_t newest = 0;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = kstr_printf("%s/%s", dir, names[i]);
		_cleanup_free_ char *data = NULL;
		size_t len;
		if (!p) {
			kerr_set(e, ENOMEM, "%s", dir);
			goto out;
		}
		if (kfs_read_file(p, &data, &len, e) < 0)
			goto out;
		char dg[KSHA256_DIGEST];
		digest_of(data, len, dg);
		ksha256_update(&all, names[i], strlen(names[i]) + 1);
		ksha256_update(&all, dg, strlen(dg) + 1);
		_cleanup_json_ json_object *o = kj_parse(p, data, len, e);
		if (!o)
			goto out;
		if (!is_osv(o)) {
			kerr_msg(e, EINVAL, "%s: not an OSV record (no id and affected)", p);
			goto out;
		}
		if (import_osv(b, o, p, &newest, e) < 0)
			goto out;
	}
	uint8_t sum[KSHA256_LEN];
	char dg[KSHA256_DIGEST];
	ksha256_final(&all, sum);
	ksha256_digest(sum, dg);
	if ((b->srcs[si].digest = intern(b, dg)) == UINT32_MAX) {
		kerr_set(e, ENOMEM, "%s", dir);
		goto out;
	}
	if (newest)
		b->srcs[si].date = newest;
	r = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int kvuln_builder_add_path(struct kvuln_builder *b, const char *path, const char *origin, int64_t date, kerr *e)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return kerr_errno(e, "%s", path);
	if (!date)
		date = st.st_mtime;
	if (S_ISDIR(st.st_mode))
		return add_dir(b, path, origin ? origin : path, date, e);
	if (!S_ISREG(st.st_mode))
		return kerr_msg(e, EINVAL, "%s: not a file or directory", path);
	if ((uint64_t)st.st_size > SOURCE_MAX)
		return kerr_msg(e, EFBIG, "%s: larger than %u MiB", path, SOURCE_MAX >> 20);
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (kfs_read_file(path, &data, &len, e) < 0)
		return -1;
	return kvuln_builder_add_buffer(b, data, len, origin ? origin : path, date, e);
}

/* ---- writing ---- */

static const char *sort_pool;

static int cmp_rec(const void *x, const void *y)
{
	const struct kvuln_disk_rec *a = x, *b = y;
	for (int i = 0; i < 3; i++) {
		int r = strcmp(sort_pool + a->str[i], sort_pool + b->str[i]);
		if (r)
			return r;
	}
	if (a->source != b->source)
		return a->source < b->source ? -1 : 1;
	int r = strcmp(sort_pool + a->str[KVULN_S_INTRODUCED], sort_pool + b->str[KVULN_S_INTRODUCED]);
	return r ? r : strcmp(sort_pool + a->str[KVULN_S_FIXED], sort_pool + b->str[KVULN_S_FIXED]);
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int kvuln_builder_write(struct kvuln_builder *b, const char *dir, kerr *e)
{
	if (!b->nsrcs)
		return kerr_msg(e, EINVAL, "no sources to index");
	if (kfs_mkdir_p(dir, 0755, e) < 0)
		return -1;
	sort_pool = b->pool;
	qsort(b->recs, b->nrecs, sizeof(*b->recs), cmp_rec);
	struct kvuln_disk_hdr h = { 0 };
	memcpy(h.magic, KVULN_MAGIC, sizeof(h.magic));
	h.version = KVULN_VERSION;
	h.nsources = (uint32_t)b->nsrcs;
	h.nrecords = (uint32_t)b->nrecs;
	h.sources_off = sizeof(h);
	h.records_off = h.sources_off + (uint32_t)(b->nsrcs * sizeof(struct kvuln_disk_src));
	uint64_t pool_off = h.records_off + (uint64_t)b->nrecs * sizeof(struct kvuln_disk_rec);
	if (pool_off + b->plen > UINT32_MAX)
		return kerr_msg(e, EFBIG, "vulnerability index over 4 GiB");
	h.pool_off = (uint32_t)pool_off;
	h.pool_len = (uint32_t)b->plen;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	h.built = now.tv_sec;
	_cleanup_free_ char *tmp = kstr_printf("%s/index.tmp", dir);
	_cleanup_free_ char *final = kstr_printf("%s/index", dir);
	if (!tmp || !final)
		return kerr_set(e, ENOMEM, "%s", dir);
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return kerr_errno(e, "create %s", tmp);
	int ok = write_all(fd, &h, sizeof(h)) == 0;
	for (size_t i = 0; ok && i < b->nsrcs; i++) {
		struct kvuln_disk_src s = { .kind = b->srcs[i].kind,
					    .origin = b->srcs[i].origin,
					    .digest = b->srcs[i].digest,
					    .records = b->srcs[i].records,
					    .date = b->srcs[i].date };
		ok = write_all(fd, &s, sizeof(s)) == 0;
	}
	ok = ok && write_all(fd, b->recs, b->nrecs * sizeof(*b->recs)) == 0;
	ok = ok && write_all(fd, b->pool, b->plen) == 0;
	if (!ok || fsync(fd) < 0) {
		kerr_errno(e, "write %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, final) < 0) {
		kerr_errno(e, "rename %s to %s", tmp, final);
		unlink(tmp);
		return -1;
	}
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	return 0;
}
