/* The policy file: INI-style sections of "key = value" lines, '#'
 * comments.  Documented in docs/policy.md. */
#include "policy/policy.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/names.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define DEFAULT_LOG "/var/log/kapsel/decisions.log"

static const char *const level_table[] = {
	[KPOL_PRIVILEGED] = "privileged", [KPOL_BASELINE] = "baseline", [KPOL_RESTRICTED] = "restricted",
};
KAPSEL_DEFINE_NAME_TABLE(kpol_level, enum kpol_level, level_table);

static const char *const action_table[] = { [KPOL_REFUSE] = "refuse", [KPOL_HARDEN] = "harden", [KPOL_FIX] = "fix" };
KAPSEL_DEFINE_NAME_TABLE(kpol_action, enum kpol_action, action_table);

static const char *const severity_table[] = { "unknown", "negligible", "low", "medium", "high", "critical" };
KAPSEL_DEFINE_NAME_TABLE(kpol_severity, enum kpol_severity, severity_table);

const char *kpol_level_name(enum kpol_level l)
{
	return kpol_level_to_name(l);
}

int kpol_level_parse(const char *s, enum kpol_level *out)
{
	int l = kpol_level_from_name(s);
	if (l < 0)
		return -1;
	*out = l;
	return 0;
}

const char *kpol_action_name(enum kpol_action a)
{
	return kpol_action_to_name(a);
}

void kpolicy_default(struct kpolicy *p)
{
	memset(p, 0, sizeof(*p));
	p->file = strdup("built-in");
	p->enforce = KPOL_BASELINE;
	p->warn = KPOL_RESTRICTED;
	p->audit = KPOL_RESTRICTED;
	/* fill in what baseline finds missing, refuse what a client asked for */
	p->action = KPOL_FIX;
	p->log = strdup(DEFAULT_LOG);
	p->syslog = KPOL_SYSLOG_YES;
	p->min_level = KPOL_BASELINE;
	p->allow_annotation = 0;
	p->harden_memory = 256LL << 20;
	p->harden_pids = 512;
	p->harden_cpu_quota = 100000;
	p->harden_cpu_period = 100000;
	p->harden_nofile = 1024;
	p->harden_nproc = 4096;
	/* off by default: the files of the image and of volumes are then
	 * seen as "nobody" by the container's root, which some images mind */
	p->harden_userns_base = 0;
	p->harden_userns_size = 65536;
	p->scan_refuse_on = -1;
}

void kpolicy_free(struct kpolicy *p)
{
	free(p->file);
	free(p->log);
	for (size_t i = 0; i < p->n_image; i++)
		free(p->exempt_image[i]);
	for (size_t i = 0; i < p->n_name; i++)
		free(p->exempt_name[i]);
	for (size_t i = 0; i < p->n_namespace; i++)
		free(p->exempt_namespace[i]);
	for (size_t i = 0; i < p->n_disabled; i++)
		free(p->disabled[i]);
	memset(p, 0, sizeof(*p));
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* "256m", "1g", "1024" -> bytes */
static int parse_size(const char *v, long long *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || d < 0)
		return -1;
	long long mul = 1;
	switch (tolower((unsigned char)*end)) {
	case '\0': break;
	case 'k': mul = 1LL << 10; end++; break;
	case 'm': mul = 1LL << 20; end++; break;
	case 'g': mul = 1LL << 30; end++; break;
	default: return -1;
	}
	if (mul > 1 && *end == 'i')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -1;
	*out = (long long)(d * mul);
	return 0;
}

static int parse_count(const char *v, long long *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n <= 0)
		return -1;
	*out = n;
	return 0;
}

static int add_pattern(char **arr, size_t *n, const char *v)
{
	if (*n >= KPOL_MAX_PATTERNS)
		return -1;
	arr[(*n)++] = strdup(v);
	return 0;
}

int kpolicy_parse(const char *file, const char *text, struct kpolicy *p, kerr *e)
{
	char section[32] = "";
	int lineno = 0;
	const char *line = text;

	kpolicy_default(p);
	free(p->file);
	p->file = strdup(file);
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[1024];
		lineno++;
		if (len >= sizeof(buf)) {
			kpolicy_free(p);
			return kerr_msg(e, EINVAL, "%s:%d: line too long", file, lineno);
		}
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = nl ? nl + 1 : NULL;
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(buf);
		if (!*s)
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (!close || close[1]) {
				kpolicy_free(p);
				return kerr_msg(e, EINVAL, "%s:%d: a section header is [name]", file, lineno);
			}
			*close = '\0';
			snprintf(section, sizeof(section), "%s", trim(s + 1));
			if (strcmp(section, "policy") && strcmp(section, "exempt") && strcmp(section, "override") &&
			    strcmp(section, "rules") && strcmp(section, "harden") && strcmp(section, "scan")) {
				kerr_msg(e, EINVAL, "%s:%d: unknown section [%s] (policy, exempt, override, rules, harden, scan)",
					 file, lineno, section);
				kpolicy_free(p);
				return -1;
			}
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			kpolicy_free(p);
			return kerr_msg(e, EINVAL, "%s:%d: expected \"key = value\"", file, lineno);
		}
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);
		if (!*section) {
			kerr_msg(e, EINVAL, "%s:%d: \"%s\" is outside any [section]", file, lineno, k);
			kpolicy_free(p);
			return -1;
		}
		if (!*v) {
			kerr_msg(e, EINVAL, "%s:%d: %s: empty value", file, lineno, k);
			kpolicy_free(p);
			return -1;
		}
		const char *bad = NULL;
		if (!strcmp(section, "policy")) {
			if (!strcmp(k, "enforce") || !strcmp(k, "warn") || !strcmp(k, "audit")) {
				enum kpol_level *l = !strcmp(k, "enforce") ? &p->enforce : !strcmp(k, "warn") ? &p->warn : &p->audit;
				if (kpol_level_parse(v, l) < 0)
					bad = "a level: privileged, baseline or restricted";
			} else if (!strcmp(k, "action")) {
				int a = kpol_action_from_name(v);
				if (a < 0)
					bad = "refuse, fix or harden";
				else
					p->action = a;
			} else if (!strcmp(k, "log")) {
				free(p->log);
				p->log = strcmp(v, "none") ? strdup(v) : NULL;
				if (p->log && p->log[0] != '/')
					bad = "an absolute path or none";
			} else if (!strcmp(k, "syslog")) {
				if (!strcmp(v, "yes"))
					p->syslog = KPOL_SYSLOG_YES;
				else if (!strcmp(v, "no"))
					p->syslog = KPOL_SYSLOG_NO;
				else if (!strcmp(v, "required"))
					p->syslog = KPOL_SYSLOG_REQUIRED;
				else
					bad = "yes, no or required";
			} else {
				bad = "";
			}
		} else if (!strcmp(section, "scan")) {
			if (strcmp(k, "refuse_on"))
				bad = "";
			else if (!strcmp(v, "none"))
				p->scan_refuse_on = -1;
			else if ((p->scan_refuse_on = kpol_severity_from_name(v)) < 0)
				bad = "none, unknown, negligible, low, medium, high or critical";
		} else if (!strcmp(section, "exempt")) {
			int r = !strcmp(k, "image") ? add_pattern(p->exempt_image, &p->n_image, v)
				: !strcmp(k, "name") ? add_pattern(p->exempt_name, &p->n_name, v)
				: !strcmp(k, "namespace") ? add_pattern(p->exempt_namespace, &p->n_namespace, v)
				: 1;
			if (r == 1)
				bad = "";
			else if (r < 0)
				bad = "at most 64 patterns";
		} else if (!strcmp(section, "override")) {
			if (!strcmp(k, "annotation")) {
				if (!strcmp(v, "yes"))
					p->allow_annotation = 1;
				else if (!strcmp(v, "no"))
					p->allow_annotation = 0;
				else
					bad = "yes or no";
			} else if (!strcmp(k, "min-level")) {
				if (kpol_level_parse(v, &p->min_level) < 0)
					bad = "a level: privileged, baseline or restricted";
			} else {
				bad = "";
			}
		} else if (!strcmp(section, "rules")) {
			if (!strcmp(k, "disable")) {
				if (!kpol_rule_find(v))
					bad = "a rule id (see `policy rules`)";
				else if (p->n_disabled >= KPOL_MAX_RULES)
					bad = "a rule that fits: at most 64 disable lines";
				else
					p->disabled[p->n_disabled++] = strdup(v);
			} else {
				bad = "";
			}
		} else { /* harden */
			long long n;
			if (!strcmp(k, "memory")) {
				if (parse_size(v, &p->harden_memory) < 0 || p->harden_memory < (4 << 20))
					bad = "a size of at least 4m (e.g. 256m, 1g)";
			} else if (!strcmp(k, "pids")) {
				if (parse_count(v, &p->harden_pids) < 0)
					bad = "a positive count";
			} else if (!strcmp(k, "cpus")) {
				char *end;
				double c = strtod(v, &end);
				/* the kernel's least quota is 1000 us of a 100 ms period */
				if (*end || end == v || c != c || c < 0.01 || c > 1024)
					bad = "a number of CPUs from 0.01 to 1024, e.g. 0.5 or 2";
				else
					p->harden_cpu_quota = (long long)(c * p->harden_cpu_period);
			} else if (!strcmp(k, "nofile")) {
				if (parse_count(v, &n) < 0)
					bad = "a positive count";
				else
					p->harden_nofile = n;
			} else if (!strcmp(k, "userns")) {
				/* "no", or BASE:SIZE: root in the container becomes host uid BASE */
				long long b, z;
				char extra;
				if (!strcmp(v, "no"))
					p->harden_userns_base = 0;
				else if (sscanf(v, "%lld:%lld%c", &b, &z, &extra) != 2 || b <= 0 || z < 1 ||
					 b + z > 4294967295LL)
					bad = "no or BASE:SIZE (e.g. 100000:65536, BASE above 0)";
				else {
					p->harden_userns_base = b;
					p->harden_userns_size = z;
				}
			} else if (!strcmp(k, "nproc")) {
				if (parse_count(v, &n) < 0)
					bad = "a positive count";
				else
					p->harden_nproc = n;
			} else {
				bad = "";
			}
		}
		if (bad) {
			if (*bad)
				kerr_msg(e, EINVAL, "%s:%d: %s: \"%s\" is not %s", file, lineno, k, v, bad);
			else
				kerr_msg(e, EINVAL, "%s:%d: unknown key \"%s\" in [%s]", file, lineno, k, section);
			kpolicy_free(p);
			return -1;
		}
	}
	if (p->min_level > p->enforce)
		p->min_level = p->enforce;
	return 0;
}

int kpolicy_load(const char *path, struct kpolicy *p, kerr *e)
{
	const char *file = path && *path ? path : KPOL_DEFAULT_FILE;
	_cleanup_free_ char *text = NULL;

	if (kfs_read_file(file, &text, NULL, e) < 0) {
		if (e->errnum == ENOENT && file == (const char *)KPOL_DEFAULT_FILE) {
			kpolicy_default(p);
			return 0;
		}
		return kerr_wrap(e, "policy");
	}
	return kpolicy_parse(file, text, p, e);
}
