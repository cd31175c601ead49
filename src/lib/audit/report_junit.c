/* JUnit XML, written by report/: one testsuite per section, one testcase
 * per check; WARN is a failure, SKIP is skipped, PASS, INFO and NOTE pass
 * (with their evidence in system-out).  Plus the dispatcher for every
 * format. */
#include "internal.h"

#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void section(const char *id, char *buf, size_t n)
{
	snprintf(buf, n, "%.*s", (int)strcspn(id, "."), id);
}

/* The reason and the evidence, one per line (the writer escapes them). */
static void evidence(FILE *f, const struct audit_result *res)
{
	if (res->reason)
		fprintf(f, "%s\n", res->reason);
	for (size_t k = 0; k < res->nev; k++) {
		const struct audit_evidence *ev = &res->ev[k];
		fprintf(f, "[%s] %s", audit_level_name(ev->level), ev->object ? ev->object : "");
		if (ev->line)
			fprintf(f, ":%d", ev->line);
		fprintf(f, ": %s\n", ev->message ? ev->message : "");
	}
}

/* The strings of one test case (freed after the writer ran). */
struct strs {
	char *classname, *name, *message, *text;
};

static void fill_case(struct krep_case *kc, struct strs *st, const struct audit_result *res, const char *sec)
{
	const struct audit_check *c = res->check;
	size_t len;
	FILE *f = NULL;
	st->classname = kstr_printf("kapsel.audit.%s", sec);
	st->name = kstr_printf("%s - %s", c->id, c->title);
	*kc = (struct krep_case){ .classname = st->classname, .name = st->name, .ms = res->ms, .status = KREP_PASSED };
	if (res->level == AUDIT_WARN) {
		kc->status = KREP_FAILED;
		kc->type = "WARN";
		kc->message = st->message = kstr_printf("%s (severity %s)", c->title, audit_severity_name(c->severity));
		if ((f = open_memstream(&st->text, &len))) {
			evidence(f, res);
			fprintf(f, "Remediation: %s", c->remediation ? c->remediation : "");
		}
	} else if (res->level == AUDIT_SKIP) {
		kc->status = KREP_SKIPPED;
		kc->message = res->reason ? res->reason : "skipped";
	} else if (res->nev || res->reason) {
		if ((f = open_memstream(&st->text, &len))) {
			fprintf(f, "[%s] ", audit_level_name(res->level));
			evidence(f, res);
		}
	}
	if (f && fclose(f) != 0) {
		free(st->text);
		st->text = NULL;
	}
	kc->text = st->text;
}

/* JUnit: a testsuite per section (checks come grouped by section). */
static char *format_junit(const struct audit_report *r)
{
	struct krep_case *cases = calloc(r->n + 1, sizeof(*cases));
	struct strs *strs = calloc(r->n + 1, sizeof(*strs));
	struct krep_suite *suites = calloc(r->n + 1, sizeof(*suites));
	char **names = calloc(r->n + 1, sizeof(*names));
	char *out = NULL;
	size_t ns = 0;
	if (!cases || !strs || !suites || !names)
		goto out;
	for (size_t i = 0; i < r->n;) {
		char sec[16];
		section(r->results[i].check->id, sec, sizeof(sec));
		size_t j = i;
		for (; j < r->n; j++) {
			char s2[16];
			section(r->results[j].check->id, s2, sizeof(s2));
			if (strcmp(s2, sec))
				break;
			fill_case(&cases[j], &strs[j], &r->results[j], sec);
		}
		const char *title = audit_section_title(sec);
		names[ns] = kstr_printf("%s - %s", sec, title ? title : "");
		suites[ns] = (struct krep_suite){ .name = names[ns], .cases = &cases[i], .n = j - i };
		ns++;
		i = j;
	}
	const struct krep_junit j = { .name = "kapsel audit", .ms = r->duration_ms, .suites = suites, .n = ns };
	out = krep_junit(&j);
out:
	for (size_t i = 0; strs && i < r->n; i++) {
		free(strs[i].classname);
		free(strs[i].name);
		free(strs[i].message);
		free(strs[i].text);
	}
	for (size_t i = 0; names && i < ns; i++)
		free(names[i]);
	free(cases);
	free(strs);
	free(suites);
	free(names);
	return out;
}

char *audit_format_text(const struct audit_report *r, unsigned flags);
char *audit_format_json(const struct audit_report *r);
char *audit_format_sarif(const struct audit_report *r);

char *audit_format(const struct audit_report *r, enum audit_format fmt, unsigned flags)
{
	switch (fmt) {
	case AUDIT_FMT_JSON: return audit_format_json(r);
	case AUDIT_FMT_SARIF: return audit_format_sarif(r);
	case AUDIT_FMT_JUNIT: return format_junit(r);
	default: return audit_format_text(r, flags);
	}
}
