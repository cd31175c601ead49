/* The text report, in docker-bench-security's familiar shape:
 *   [WARN] 5.11 - Ensure that the memory usage for containers is limited
 *   [WARN]      * web: no memory limit */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *color(enum audit_level l)
{
	switch (l) {
	case AUDIT_PASS: return "\033[1;32m";
	case AUDIT_WARN: return "\033[1;31m";
	case AUDIT_INFO: return "\033[1;34m";
	case AUDIT_NOTE: return "\033[1;33m";
	default: return "\033[0;37m";
	}
}

static void tag(FILE *f, enum audit_level l, unsigned flags)
{
	if (flags & AUDIT_TEXT_COLOR)
		fprintf(f, "%s[%s]\033[0m ", color(l), audit_level_name(l));
	else
		fprintf(f, "[%s] ", audit_level_name(l));
}

/* "5.11" -> "5"; "1.1.3" -> "1" and "1.1"; "K2.1" -> "K2" */
static void section_of(const char *id, char *top, size_t n, char *sub, size_t m)
{
	size_t a = strcspn(id, ".");
	snprintf(top, n, "%.*s", (int)a, id);
	const char *dot2 = id[a] ? strchr(id + a + 1, '.') : NULL;
	if (dot2)
		snprintf(sub, m, "%.*s", (int)(dot2 - id), id);
	else
		sub[0] = '\0';
}

char *audit_format_text(const struct audit_report *r, unsigned flags);
char *audit_format_text(const struct audit_report *r, unsigned flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f, "# kapsel audit %s: CIS Docker Benchmark v1.6.0 and kapsel's own checks\n", KAPSEL_VERSION);
	if (r->daemon_reachable)
		fprintf(f, "# Docker daemon: %s (Engine %s)\n", r->docker_host, r->daemon_version ? r->daemon_version : "?");
	else
		fprintf(f, "# Docker daemon: %s\n", r->daemon_error ? r->daemon_error : "not used");
	for (size_t i = 0; i < r->nnotices; i++)
		fprintf(f, "# notice: %s\n", r->notices[i]);
	char last_top[16] = "", last_sub[16] = "";
	size_t count[AUDIT_LEVELS] = { 0 };
	for (size_t i = 0; i < r->n; i++) {
		const struct audit_result *res = &r->results[i];
		const struct audit_check *c = res->check;
		char top[16], sub[16];
		section_of(c->id, top, sizeof(top), sub, sizeof(sub));
		if (strcmp(top, last_top)) {
			fprintf(f, "\n");
			tag(f, AUDIT_INFO, flags);
			fprintf(f, "%s - %s\n", top, audit_section_title(top) ? audit_section_title(top) : "");
			snprintf(last_top, sizeof(last_top), "%s", top);
			last_sub[0] = '\0';
		}
		if (*sub && strcmp(sub, last_sub) && audit_section_title(sub)) {
			tag(f, AUDIT_INFO, flags);
			fprintf(f, "%s - %s\n", sub, audit_section_title(sub));
			snprintf(last_sub, sizeof(last_sub), "%s", sub);
		}
		enum audit_level lvl = (enum audit_level)res->level;
		count[lvl]++;
		tag(f, lvl, flags);
		fprintf(f, "%s - %s%s", c->id, c->title, c->manual ? " (Manual)" : "");
		if (res->reason && lvl == AUDIT_PASS)
			fprintf(f, " (%s)", res->reason);
		fprintf(f, "\n");
		if (res->reason && lvl != AUDIT_PASS) {
			tag(f, lvl, flags);
			fprintf(f, "     * %s\n", res->reason);
		}
		for (size_t k = 0; k < res->nev; k++) {
			const struct audit_evidence *ev = &res->ev[k];
			if (ev->level == AUDIT_PASS && !(flags & AUDIT_TEXT_VERBOSE))
				continue;
			tag(f, ev->level, flags);
			if (ev->line)
				fprintf(f, "     * %s:%d: %s\n", ev->object, ev->line, ev->message);
			else if (*ev->object && !strstr(ev->message, ev->object))
				fprintf(f, "     * %s: %s\n", ev->object, ev->message);
			else
				fprintf(f, "     * %s\n", ev->message);
		}
		if (lvl == AUDIT_WARN && (flags & AUDIT_TEXT_REMEDIATION)) {
			tag(f, AUDIT_INFO, flags);
			fprintf(f, "     Remediation (%s): %s\n", audit_severity_name(c->severity), c->remediation);
		}
		if (res->suppressed) {
			tag(f, AUDIT_INFO, flags);
			fprintf(f, "     * %zu finding%s ignored\n", res->suppressed, res->suppressed == 1 ? "" : "s");
		}
	}
	fprintf(f, "\n");
	tag(f, AUDIT_INFO, flags);
	fprintf(f, "Checks: %zu (PASS %zu, WARN %zu, INFO %zu, NOTE %zu, SKIP %zu)\n", r->n, count[AUDIT_PASS],
		count[AUDIT_WARN], count[AUDIT_INFO], count[AUDIT_NOTE], count[AUDIT_SKIP]);
	tag(f, AUDIT_INFO, flags);
	fprintf(f, "Score: %d\n", audit_score(r));
	tag(f, AUDIT_INFO, flags);
	fprintf(f, "Audited %zu containers and %zu images in %.0f ms\n", r->containers, r->images, r->duration_ms);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
