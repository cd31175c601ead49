/* The check catalogue: every table in report order, section titles, level
 * and severity names, id patterns, --fail-on. */
#include "internal.h"

#include "common/cleanup.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static struct audit_check *all;
static size_t nall;
static pthread_once_t all_once = PTHREAD_ONCE_INIT;

static void build(void)
{
	const struct { const struct audit_check *t; size_t n; } parts[] = {
		{ audit_checks_host, audit_nchecks_host },
		{ audit_checks_daemon, audit_nchecks_daemon },
		{ audit_checks_files, audit_nchecks_files },
		{ audit_checks_images, audit_nchecks_images },
		{ audit_checks_runtime, audit_nchecks_runtime },
		{ audit_checks_ops, audit_nchecks_ops },
		{ audit_checks_kapsel, audit_nchecks_kapsel },
		{ audit_checks_imagefs, audit_nchecks_imagefs },
		{ audit_checks_dockerfile, audit_nchecks_dockerfile },
	};
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		n += parts[i].n;
	all = calloc(n, sizeof(*all));
	if (!all)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		for (size_t k = 0; k < parts[i].n; k++)
			all[nall++] = parts[i].t[k];
}

const struct audit_check *audit_checks(size_t *n)
{
	pthread_once(&all_once, build);
	*n = nall;
	return all;
}

static const struct { const char *id, *title; } sections[] = {
	{ "1", "Host Configuration" },
	{ "1.1", "Linux Hosts Specific Configuration" },
	{ "1.2", "General Configuration" },
	{ "2", "Docker daemon configuration" },
	{ "3", "Docker daemon configuration files" },
	{ "4", "Container Images and Build File" },
	{ "5", "Container Runtime" },
	{ "6", "Docker Security Operations" },
	{ "7", "Docker Swarm Configuration" },
	{ "K1", "Host hardening (kapsel)" },
	{ "K2", "Image filesystem (kapsel)" },
	{ "K3", "Dockerfile lint (kapsel)" },
};

const char *audit_section_title(const char *section)
{
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (!strcmp(sections[i].id, section))
			return sections[i].title;
	return NULL;
}

const char *audit_level_name(enum audit_level l)
{
	static const char *const n[] = { "PASS", "WARN", "INFO", "NOTE", "SKIP" };
	return (unsigned)l < ARRAY_SIZE(n) ? n[l] : "?";
}

const char *audit_severity_name(enum audit_severity s)
{
	static const char *const n[] = { "info", "low", "medium", "high", "critical" };
	return (unsigned)s < ARRAY_SIZE(n) ? n[s] : "?";
}

int audit_parse_fail_on(const char *s, struct audit_fail_on *f)
{
	memset(f, 0, sizeof(*f));
	if (!strcasecmp(s, "none") || !strcasecmp(s, "never")) {
		f->never = 1;
		return 0;
	}
	static const struct { const char *n; enum audit_level l; } lv[] = {
		{ "warn", AUDIT_WARN }, { "info", AUDIT_INFO }, { "note", AUDIT_NOTE },
	};
	for (size_t i = 0; i < ARRAY_SIZE(lv); i++)
		if (!strcasecmp(s, lv[i].n)) {
			f->level = lv[i].l;
			return 0;
		}
	for (int sev = AUDIT_SEV_LOW; sev <= AUDIT_SEV_CRITICAL; sev++)
		if (!strcasecmp(s, audit_severity_name(sev))) {
			f->by_severity = 1;
			f->level = AUDIT_WARN;
			f->severity = sev;
			return 0;
		}
	return -1;
}

int audit_id_matches(const char *pattern, const char *id)
{
	size_t n = strlen(pattern);
	if (!strcasecmp(pattern, "K"))
		return id[0] == 'K';
	if (n && pattern[n - 1] == '.')
		n--;
	return !strncasecmp(pattern, id, n) && (id[n] == '\0' || id[n] == '.');
}

int audit_validate_opts(const struct audit_opts *o, kerr *e)
{
	size_t n;
	const struct audit_check *t = audit_checks(&n);
	char **lists[] = { o->select, o->exclude };
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; lists[l] && lists[l][i]; i++) {
			int any = 0;
			for (size_t k = 0; k < n && !any; k++)
				any = audit_id_matches(lists[l][i], t[k].id);
			if (!any)
				return kerr_msg(e, EINVAL, "%s: no check or section \"%s\" (see --list)",
						l ? "--exclude" : "--check", lists[l][i]);
		}
	}
	char **files[] = { o->image_tars, o->dockerfiles, o->oci_bundles };
	const char *what[] = { "--image", "--dockerfile", "--oci-bundle" };
	for (size_t l = 0; l < 3; l++) {
		for (size_t i = 0; files[l] && files[l][i]; i++) {
			struct stat st;
			if (stat(files[l][i], &st) < 0)
				return kerr_set(e, errno, "%s %s", what[l], files[l][i]);
		}
	}
	return 0;
}

int audit_failed(const struct audit_report *r, const struct audit_fail_on *f)
{
	if (f->never)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		int lvl = r->results[i].level;
		if (f->by_severity) {
			if (lvl == AUDIT_WARN && r->results[i].check->severity >= f->severity)
				return 1;
			continue;
		}
		if (lvl == AUDIT_WARN)
			return 1;
		if (f->level == AUDIT_INFO && lvl == AUDIT_INFO)
			return 1;
		if (f->level == AUDIT_NOTE && (lvl == AUDIT_INFO || lvl == AUDIT_NOTE))
			return 1;
	}
	return 0;
}

int audit_score(const struct audit_report *r)
{
	int s = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (!r->results[i].check->scored)
			continue;
		s += r->results[i].level == AUDIT_PASS;
		s -= r->results[i].level == AUDIT_WARN;
	}
	return s;
}

void audit_check_manual(struct audit_ctx *ctx, struct audit_result *r)
{
	(void)ctx;
	audit_res_set(r, AUDIT_NOTE, "manual check: review it by hand");
}

int audit_secret_name(const char *name)
{
	static const char *const words[] = { "PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY",
					     "ACCESS_KEY", "PRIVATE_KEY", "CREDENTIAL", "AUTH_KEY", "_PASS" };
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (kstr_icontains(name, words[i]))
			return 1;
	return 0;
}
