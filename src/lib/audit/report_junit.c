/* JUnit XML: one testsuite per section, one testcase per check; WARN is a
 * failure, SKIP is skipped, PASS, INFO and NOTE pass (with their evidence
 * in system-out).  Plus the dispatcher for every format. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void xml(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (*p < 0x20 && *p != '\n' && *p != '\t')
				fputc('?', f);
			else
				fputc(*p, f);
		}
	}
}

static void section(const char *id, char *buf, size_t n)
{
	snprintf(buf, n, "%.*s", (int)strcspn(id, "."), id);
}

static void evidence(FILE *f, const struct audit_result *res)
{
	if (res->reason) {
		xml(f, res->reason);
		fputc('\n', f);
	}
	for (size_t k = 0; k < res->nev; k++) {
		const struct audit_evidence *ev = &res->ev[k];
		fprintf(f, "[%s] ", audit_level_name(ev->level));
		xml(f, ev->object);
		if (ev->line)
			fprintf(f, ":%d", ev->line);
		fputs(": ", f);
		xml(f, ev->message);
		fputc('\n', f);
	}
}

static char *format_junit(const struct audit_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	size_t fails = 0, skips = 0;
	for (size_t i = 0; i < r->n; i++) {
		fails += r->results[i].level == AUDIT_WARN;
		skips += r->results[i].level == AUDIT_SKIP;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"kapsel audit\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n",
		r->n, fails, skips, r->duration_ms / 1000.0);
	for (size_t i = 0; i < r->n;) {
		char sec[16];
		section(r->results[i].check->id, sec, sizeof(sec));
		size_t j = i, sf = 0, ss = 0;
		double t = 0;
		for (; j < r->n; j++) {
			char s2[16];
			section(r->results[j].check->id, s2, sizeof(s2));
			if (strcmp(s2, sec))
				break;
			sf += r->results[j].level == AUDIT_WARN;
			ss += r->results[j].level == AUDIT_SKIP;
			t += r->results[j].ms;
		}
		fprintf(f, "  <testsuite name=\"");
		fprintf(f, "%s - ", sec);
		xml(f, audit_section_title(sec));
		fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n", j - i, sf, ss, t / 1000.0);
		for (size_t k = i; k < j; k++) {
			const struct audit_result *res = &r->results[k];
			const struct audit_check *c = res->check;
			fprintf(f, "    <testcase classname=\"kapsel.audit.%s\" name=\"%s - ", sec, c->id);
			xml(f, c->title);
			fprintf(f, "\" time=\"%.3f\">\n", res->ms / 1000.0);
			if (res->level == AUDIT_WARN) {
				fprintf(f, "      <failure type=\"WARN\" message=\"");
				xml(f, c->title);
				fprintf(f, " (severity %s)\">", audit_severity_name(c->severity));
				evidence(f, res);
				fprintf(f, "Remediation: ");
				xml(f, c->remediation);
				fprintf(f, "</failure>\n");
			} else if (res->level == AUDIT_SKIP) {
				fprintf(f, "      <skipped message=\"");
				xml(f, res->reason ? res->reason : "skipped");
				fprintf(f, "\"/>\n");
			} else if (res->nev || res->reason) {
				fprintf(f, "      <system-out>[%s] ", audit_level_name(res->level));
				evidence(f, res);
				fprintf(f, "</system-out>\n");
			}
			fprintf(f, "    </testcase>\n");
		}
		fprintf(f, "  </testsuite>\n");
		i = j;
	}
	fprintf(f, "</testsuites>\n");
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
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
