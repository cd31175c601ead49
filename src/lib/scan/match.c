/* Matching (match.h). */
#include "scan/match.h"

#include "common/cleanup.h"
#include "common/str.h"
#include "scan/version.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const sev_names[] = { "unknown", "negligible", "low", "medium", "high", "critical" };
KAPSEL_DEFINE_NAME_TABLE(kscan_severity, enum kscan_severity, sev_names);
static const char *const verdict_names[] = { "affected", "resolved", "not-affected" };
KAPSEL_DEFINE_NAME_TABLE(kscan_verdict, enum kscan_verdict, verdict_names);

enum kscan_severity kscan_severity_of_urgency(const char *u)
{
	if (!u)
		return KSEV_UNKNOWN;
	size_t n = strcspn(u, "*");
	if (n == 11 && !strncmp(u, "unimportant", n))
		return KSEV_NEGLIGIBLE;
	if (n == 3 && !strncmp(u, "low", n))
		return KSEV_LOW;
	if (n == 6 && !strncmp(u, "medium", n))
		return KSEV_MEDIUM;
	if (n == 4 && !strncmp(u, "high", n))
		return KSEV_HIGH;
	return KSEV_UNKNOWN;
}

enum kscan_severity kscan_severity_of_score(double s)
{
	if (s >= 9.0)
		return KSEV_CRITICAL;
	if (s >= 7.0)
		return KSEV_HIGH;
	if (s >= 4.0)
		return KSEV_MEDIUM;
	if (s > 0)
		return KSEV_LOW;
	return KSEV_UNKNOWN;
}

/* CVSS v3.1 specification, section 7.4: round up to one decimal. */
static double roundup(double x)
{
	long i = lround(x * 100000);
	return i % 10000 == 0 ? i / 100000.0 : (floor(i / 10000.0) + 1) / 10.0;
}

static int metric(const char *vec, const char *name, const char *vals, const double *w, double *out)
{
	char key[8];
	snprintf(key, sizeof(key), "/%s:", name);
	const char *p = strstr(vec, key);
	if (!p)
		return -1;
	p += strlen(key);
	const char *at = strchr(vals, *p);
	if (!*p || !at || (p[1] && p[1] != '/'))
		return -1;
	*out = w[at - vals];
	return 0;
}

double kscan_cvss3_score(const char *v)
{
	if (!v || (!kstr_starts(v, "CVSS:3.0/") && !kstr_starts(v, "CVSS:3.1/")))
		return -1;
	double av, ac, pr, ui, c, i, a, s;
	int changed;
	if (metric(v, "S", "UC", (const double[]){ 0, 1 }, &s) < 0)
		return -1;
	changed = s > 0.5;
	if (metric(v, "AV", "NALP", (const double[]){ 0.85, 0.62, 0.55, 0.2 }, &av) < 0 ||
	    metric(v, "AC", "LH", (const double[]){ 0.77, 0.44 }, &ac) < 0 ||
	    metric(v, "PR", "NLH", changed ? (const double[]){ 0.85, 0.68, 0.5 } : (const double[]){ 0.85, 0.62, 0.27 },
		   &pr) < 0 ||
	    metric(v, "UI", "NR", (const double[]){ 0.85, 0.62 }, &ui) < 0 ||
	    metric(v, "C", "HLN", (const double[]){ 0.56, 0.22, 0 }, &c) < 0 ||
	    metric(v, "I", "HLN", (const double[]){ 0.56, 0.22, 0 }, &i) < 0 ||
	    metric(v, "A", "HLN", (const double[]){ 0.56, 0.22, 0 }, &a) < 0)
		return -1;
	double iss = 1 - (1 - c) * (1 - i) * (1 - a);
	double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) : 6.42 * iss;
	double expl = 8.22 * av * ac * pr * ui;
	if (impact <= 0)
		return 0;
	double base = changed ? 1.08 * (impact + expl) : impact + expl;
	return roundup(base > 10 ? 10 : base);
}

static int cmp_ver(enum kscan_eco eco, const char *a, const char *b)
{
	switch (eco) {
	case KSCAN_DEB: return kver_deb_cmp(a, b);
	case KSCAN_APK: return kver_apk_cmp(a, b);
	default: return kver_rpm_cmp(a, b);
	}
}

static int add(struct kscan_result *r, struct kscan_finding *f, kerr *e)
{
	struct kscan_finding *v = realloc(r->v, (r->n + 1) * sizeof(*v));
	if (!v) {
		free(f->rule);
		return kerr_set(e, ENOMEM, "findings");
	}
	r->v = v;
	v[r->n++] = *f;
	return 0;
}

/* The verdict of one record for installed version V. */
static enum kscan_verdict judge(enum kscan_eco eco, const struct kvuln_rec *rec, const char *v, int *actionable,
				char **rule)
{
	*actionable = 0;
	if (rec->state == KVULN_NOT_AFFECTED) {
		*rule = kstr_printf("%s says fixed_version \"0\": never affected", rec->package);
		return KSCAN_NOT_AFFECTED;
	}
	if (*rec->introduced && cmp_ver(eco, v, rec->introduced) < 0) {
		*rule = kstr_printf("installed %s < introduced %s", v, rec->introduced);
		return KSCAN_NOT_AFFECTED;
	}
	if (rec->state == KVULN_FIXED) {
		if (cmp_ver(eco, v, rec->fixed) >= 0) {
			*rule = kstr_printf("installed %s >= fixed %s", v, rec->fixed);
			return KSCAN_RESOLVED;
		}
		*actionable = 1;
		*rule = kstr_printf("installed %s < fixed %s", v, rec->fixed);
		return KSCAN_AFFECTED;
	}
	*rule = kstr_printf("state %s in %s: no fixed version", kvuln_state_to_name(rec->state), rec->release);
	return KSCAN_AFFECTED;
}

static int cmp_finding(const void *a, const void *b)
{
	const struct kscan_finding *x = a, *y = b;
	if (x->pkg != y->pkg)
		return x->pkg < y->pkg ? -1 : 1;
	return strcmp(x->rec.id, y->rec.id);
}

int kscan_match(const struct kscan_inventory *inv, const struct kvuln_db *db, unsigned flags, const char *only_id,
		struct kscan_result *out, kerr *e)
{
	memset(out, 0, sizeof(*out));
	out->release = kvuln_release_key(inv->os_id, inv->os_version_id, inv->os_codename);
	if (!out->release)
		return kerr_msg(e, EINVAL, "unknown distribution release (os-release ID \"%s\", VERSION_ID \"%s\")",
				inv->os_id ? inv->os_id : "", inv->os_version_id ? inv->os_version_id : "");
	/* is there a tracker source at all? then it decides for Debian */
	int tracker = 0;
	for (size_t i = 0; i < kvuln_db_nsources(db); i++) {
		struct kvuln_source s;
		kvuln_db_source(db, i, &s);
		tracker |= s.kind == KVULN_SRC_DEBIAN;
	}
	for (size_t p = 0; p < inv->npkgs; p++) {
		const struct kscan_pkg *pkg = &inv->pkgs[p];
		size_t first, n;
		kvuln_db_find(db, out->release, pkg->source, &first, &n);
		/* records are sorted by id, then source: one group per id */
		for (size_t i = first; i < first + n;) {
			struct kvuln_rec r0;
			kvuln_db_get(db, i, &r0);
			size_t j = i;
			int has_tracker = 0;
			for (; j < first + n; j++) {
				struct kvuln_rec r;
				kvuln_db_get(db, j, &r);
				if (strcmp(r.id, r0.id))
					break;
				struct kvuln_source s;
				kvuln_db_source(db, r.source, &s);
				has_tracker |= s.kind == KVULN_SRC_DEBIAN;
			}
			if (only_id && strcmp(r0.id, only_id)) {
				i = j;
				continue;
			}
			/* the group's verdict: affected beats resolved beats not-affected */
			struct kscan_finding best = { .verdict = KSCAN_NOT_AFFECTED + 1 };
			for (size_t k = i; k < j; k++) {
				struct kscan_finding f = { .pkg = p };
				kvuln_db_get(db, k, &f.rec);
				struct kvuln_source s;
				kvuln_db_source(db, f.rec.source, &s);
				if (has_tracker && tracker && pkg->eco == KSCAN_DEB && s.kind != KVULN_SRC_DEBIAN)
					continue;
				f.verdict = judge(pkg->eco, &f.rec, pkg->source_version, &f.actionable, &f.rule);
				if (!f.rule) {
					free(best.rule);
					return kerr_set(e, ENOMEM, "findings");
				}
				if (f.verdict < best.verdict) {
					free(best.rule);
					best = f;
				} else {
					free(f.rule);
				}
			}
			i = j;
			if (best.verdict > KSCAN_NOT_AFFECTED)
				continue;
			if (best.verdict != KSCAN_AFFECTED && !(flags & KSCAN_MATCH_ALL)) {
				free(best.rule);
				continue;
			}
			best.severity = kscan_severity_of_urgency(best.rec.urgency);
			best.cvss_score = kscan_cvss3_score(best.rec.severity);
			if (best.cvss_score < 0)
				best.cvss_score = 0;
			if (best.severity == KSEV_UNKNOWN && best.cvss_score > 0)
				best.severity = kscan_severity_of_score(best.cvss_score);
			if (best.verdict == KSCAN_AFFECTED) {
				out->by_state[best.rec.state]++;
				out->actionable += best.actionable;
			}
			if (add(out, &best, e) < 0)
				return -1;
		}
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_finding);
	return 0;
}

void kscan_result_done(struct kscan_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].rule);
	free(r->v);
	free(r->release);
	memset(r, 0, sizeof(*r));
}
