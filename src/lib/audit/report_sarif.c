/* The SARIF 2.1.0 log of an audit: its results mapped onto report/'s
 * neutral model.  One rule per check; a result per WARN evidence of a WARN
 * check (or one for the check when it has none); files, Dockerfiles and
 * bundles are physical locations, the rest logical ones. */
#include "internal.h"

#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void section(const char *id, char *buf, size_t n)
{
	snprintf(buf, n, "%.*s", (int)strcspn(id, "."), id);
}

static enum krep_level sarif_level(const struct audit_check *c)
{
	return c->severity >= AUDIT_SEV_HIGH ? KREP_ERROR : c->severity == AUDIT_SEV_INFO ? KREP_NOTE : KREP_WARNING;
}

static const char *security_severity(enum audit_severity s)
{
	static const char *const v[] = { "0.0", "3.0", "5.5", "8.0", "9.5" };
	return v[s];
}

/* What one result needs to outlive the call to krep_sarif. */
struct slot {
	char *text;
	struct krep_location loc;
	char fp[17];
};

static void fill(struct krep_result *out, struct slot *sl, const struct audit_result *res, size_t rule,
		 const struct audit_evidence *ev)
{
	const struct audit_check *c = res->check;
	sl->text = ev ? (ev->line ? kstr_printf("%s:%d: %s", ev->object, ev->line, ev->message)
			 : (*ev->object && !strstr(ev->message, ev->object)) ? kstr_printf("%s: %s", ev->object, ev->message)
									      : kstr_printf("%s", ev->message))
		      : kstr_printf("%s", res->reason ? res->reason : c->title);
	*out = (struct krep_result){ .rule = rule, .level = sarif_level(c), .message = sl->text,
				     .fingerprint_key = "kapselAudit/v1", .fingerprint = sl->fp };
	if (ev && *ev->object) {
		int file = !strcmp(ev->kind, "file") || !strcmp(ev->kind, "dockerfile") || !strcmp(ev->kind, "bundle");
		sl->loc = file ? (struct krep_location){ .path = ev->object, .line = ev->line }
			       : (struct krep_location){ .name = ev->object, .kind = ev->kind };
		out->location = &sl->loc;
	}
	/* stable across runs, for code scanning's de-duplication */
	const char *parts[] = { c->id, ev ? ev->object : "", sl->text ? sl->text : "" };
	krep_fingerprint(parts, 3, sl->fp);
}

char *audit_format_sarif(const struct audit_report *r);
char *audit_format_sarif(const struct audit_report *r)
{
	size_t nres = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->results[i].level == AUDIT_WARN)
			nres += r->results[i].nev ? r->results[i].nev : 1;
	struct krep_rule *rules = calloc(r->n + 1, sizeof(*rules));
	struct krep_result *results = calloc(nres + 1, sizeof(*results));
	struct slot *slots = calloc(nres + 1, sizeof(*slots));
	struct krep_notice *notes = calloc(r->nnotices + 1, sizeof(*notes));
	const char *(*tags)[3] = calloc(r->n + 1, sizeof(*tags));
	char *out = NULL;
	size_t k = 0, nn = 0;
	if (!rules || !results || !slots || !notes || !tags)
		goto out;
	for (size_t i = 0; i < r->n; i++) {
		const struct audit_result *res = &r->results[i];
		const struct audit_check *c = res->check;
		char sec[16];
		section(c->id, sec, sizeof(sec));
		json_object *props = json_object_new_object();
		json_object_object_add(props, "section", json_object_new_string(sec));
		json_object_object_add(props, "scored", json_object_new_boolean(c->scored));
		json_object_object_add(props, "severity", json_object_new_string(audit_severity_name(c->severity)));
		json_object_object_add(props, "security-severity", json_object_new_string(security_severity(c->severity)));
		tags[i][0] = "security";
		tags[i][1] = c->id[0] == 'K' ? "kapsel" : "CIS Docker Benchmark v1.6.0";
		rules[i] = (struct krep_rule){ .id = c->id, .short_desc = c->title, .help = c->remediation ? c->remediation : "",
					       .level = sarif_level(c), .tags = tags[i], .properties = props };
		if (res->level != AUDIT_WARN)
			continue;
		size_t before = k;
		for (size_t e = 0; e < res->nev; e++)
			if (res->ev[e].level == AUDIT_WARN) {
				fill(&results[k], &slots[k], res, i, &res->ev[e]);
				k++;
			}
		if (k == before) {
			fill(&results[k], &slots[k], res, i, NULL);
			k++;
		}
	}
	if (r->daemon_error)
		notes[nn++] = (struct krep_notice){ KREP_WARNING, r->daemon_error };
	for (size_t i = 0; i < r->nnotices; i++)
		notes[nn++] = (struct krep_notice){ KREP_WARNING, r->notices[i] };
	const struct krep_sarif s = { .tool = "kapsel-audit", .version = KAPSEL_VERSION, .rules = rules, .nrules = r->n,
				      .results = results, .nresults = k, .notices = notes, .nnotices = nn };
	out = krep_sarif(&s);
out:
	for (size_t i = 0; rules && i < r->n; i++)
		json_object_put(rules[i].properties);
	for (size_t i = 0; slots && i < k; i++)
		free(slots[i].text);
	free(rules);
	free(results);
	free(slots);
	free(notes);
	free(tags);
	return out;
}
