/* JUnit XML (report.h): <testsuites> of <testsuite> of <testcase>, with
 * <failure>, <skipped/> or <system-out>, in the layout CI systems read. */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>

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

static void counts(const struct krep_case *c, size_t n, size_t *fails, size_t *skips)
{
	for (size_t i = 0; i < n; i++) {
		*fails += c[i].status == KREP_FAILED;
		*skips += c[i].status == KREP_SKIPPED;
	}
}

static void testcase(FILE *f, const struct krep_case *c)
{
	fputs("    <testcase classname=\"", f);
	xml(f, c->classname);
	fputs("\" name=\"", f);
	xml(f, c->name);
	fprintf(f, "\" time=\"%.3f\">\n", c->ms / 1000.0);
	if (c->status == KREP_FAILED) {
		fputs("      <failure type=\"", f);
		xml(f, c->type);
		fputs("\" message=\"", f);
		xml(f, c->message);
		fputs("\">", f);
		xml(f, c->text);
		fputs("</failure>\n", f);
	} else if (c->status == KREP_SKIPPED) {
		fputs("      <skipped message=\"", f);
		xml(f, c->message);
		fputs("\"/>\n", f);
	} else if (c->text) {
		fputs("      <system-out>", f);
		xml(f, c->text);
		fputs("</system-out>\n", f);
	}
	fputs("    </testcase>\n", f);
}

char *krep_junit(const struct krep_junit *j)
{
	char *buf = NULL;
	size_t len = 0, tests = 0, fails = 0, skips = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < j->n; i++) {
		tests += j->suites[i].n;
		counts(j->suites[i].cases, j->suites[i].n, &fails, &skips);
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"", f);
	xml(f, j->name);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n", tests, fails,
		skips, j->ms / 1000.0);
	for (size_t i = 0; i < j->n; i++) {
		const struct krep_suite *s = &j->suites[i];
		size_t sf = 0, ss = 0;
		double ms = 0;
		counts(s->cases, s->n, &sf, &ss);
		for (size_t k = 0; k < s->n; k++)
			ms += s->cases[k].ms;
		fputs("  <testsuite name=\"", f);
		xml(f, s->name);
		fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n", s->n, sf, ss,
			ms / 1000.0);
		for (size_t k = 0; k < s->n; k++)
			testcase(f, &s->cases[k]);
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
