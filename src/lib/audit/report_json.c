/* The JSON report (schema: tests/fixtures/audit/kapsel-audit.schema.json)
 * and the SARIF 2.1.0 log, both built as json-c trees. */
#include "internal.h"

#include "common/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_object *str(const char *s)
{
	return json_object_new_string(s ? s : "");
}

static void add(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static char *finish(json_object *root)
{
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								   JSON_C_TO_STRING_NOSLASHESCAPE);
	char *out = s ? xasprintf("%s\n", s) : NULL;
	json_object_put(root);
	return out;
}

static void section(const char *id, char *buf, size_t n)
{
	snprintf(buf, n, "%.*s", (int)strcspn(id, "."), id);
}

char *audit_format_json(const struct audit_report *r);
char *audit_format_json(const struct audit_report *r)
{
	json_object *root = json_object_new_object();
	char ts[KTIME_BUFSZ];
	struct timespec started = { .tv_sec = r->started };
	if (ktime_format(ts, sizeof(ts), &started, KTIME_SECONDS) < 0)
		ts[0] = '\0';
	json_object *tool = json_object_new_object();
	add(tool, "name", str("kapsel audit"));
	add(tool, "version", str(KAPSEL_VERSION));
	add(root, "tool", tool);
	add(root, "benchmark", str("CIS Docker Benchmark v1.6.0"));
	add(root, "started", str(ts));
	add(root, "duration_ms", json_object_new_double(r->duration_ms));
	json_object *d = json_object_new_object();
	add(d, "host", str(r->docker_host));
	add(d, "reachable", json_object_new_boolean(r->daemon_reachable));
	add(d, "version", r->daemon_version ? str(r->daemon_version) : NULL);
	add(d, "error", r->daemon_error ? str(r->daemon_error) : NULL);
	add(root, "daemon", d);
	json_object *notices = json_object_new_array();
	for (size_t i = 0; i < r->nnotices; i++)
		json_object_array_add(notices, str(r->notices[i]));
	add(root, "notices", notices);
	size_t count[AUDIT_LEVELS] = { 0 };
	json_object *results = json_object_new_array();
	for (size_t i = 0; i < r->n; i++) {
		const struct audit_result *res = &r->results[i];
		const struct audit_check *c = res->check;
		char sec[16];
		count[res->level]++;
		section(c->id, sec, sizeof(sec));
		json_object *o = json_object_new_object();
		add(o, "id", str(c->id));
		add(o, "title", str(c->title));
		add(o, "section", str(sec));
		add(o, "section_title", str(audit_section_title(sec)));
		add(o, "source", str(c->id[0] == 'K' ? "kapsel" : "cis"));
		add(o, "scored", json_object_new_boolean(c->scored));
		add(o, "manual", json_object_new_boolean(c->manual));
		add(o, "severity", str(audit_severity_name(c->severity)));
		add(o, "level", str(audit_level_name(res->level)));
		add(o, "reason", res->reason ? str(res->reason) : NULL);
		add(o, "remediation", str(c->remediation));
		add(o, "suppressed", json_object_new_int64((int64_t)res->suppressed));
		add(o, "duration_ms", json_object_new_double(res->ms));
		json_object *evs = json_object_new_array();
		for (size_t k = 0; k < res->nev; k++) {
			const struct audit_evidence *ev = &res->ev[k];
			json_object *e = json_object_new_object();
			add(e, "level", str(audit_level_name(ev->level)));
			add(e, "kind", str(ev->kind));
			add(e, "object", str(ev->object));
			if (ev->line)
				add(e, "line", json_object_new_int(ev->line));
			add(e, "message", str(ev->message));
			json_object_array_add(evs, e);
		}
		add(o, "evidence", evs);
		json_object_array_add(results, o);
	}
	json_object *sum = json_object_new_object();
	add(sum, "checks", json_object_new_int64((int64_t)r->n));
	for (int l = 0; l < AUDIT_LEVELS; l++) {
		char k[8];
		snprintf(k, sizeof(k), "%s", audit_level_name(l));
		for (char *p = k; *p; p++)
			*p = (char)(*p - 'A' + 'a');
		add(sum, k, json_object_new_int64((int64_t)count[l]));
	}
	add(sum, "score", json_object_new_int(audit_score(r)));
	add(sum, "containers", json_object_new_int64((int64_t)r->containers));
	add(sum, "images", json_object_new_int64((int64_t)r->images));
	add(root, "summary", sum);
	add(root, "results", results);
	return finish(root);
}

/* ---- SARIF 2.1.0 ---- */

/* An absolute path as a file:// URI, a relative one as a relative
 * reference (code scanning resolves it against the checkout). */
static char *file_uri(const char *path)
{
	size_t n = strlen(path);
	char *out = malloc(n * 3 + 16);
	if (!out)
		return NULL;
	char *p = out + (path[0] == '/' ? sprintf(out, "file://") : 0);
	*p = '\0';
	for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("/-._~", *s))
			*p++ = (char)*s;
		else
			p += sprintf(p, "%%%02X", *s);
	}
	*p = '\0';
	return out;
}

static const char *sarif_level(const struct audit_check *c)
{
	return c->severity >= AUDIT_SEV_HIGH ? "error" : c->severity == AUDIT_SEV_INFO ? "note" : "warning";
}

static const char *security_severity(enum audit_severity s)
{
	static const char *const v[] = { "0.0", "3.0", "5.5", "8.0", "9.5" };
	return v[s];
}

static json_object *sarif_result(const struct audit_result *res, size_t rule_index, const struct audit_evidence *ev)
{
	const struct audit_check *c = res->check;
	json_object *o = json_object_new_object();
	add(o, "ruleId", str(c->id));
	add(o, "ruleIndex", json_object_new_int64((int64_t)rule_index));
	add(o, "level", str(sarif_level(c)));
	json_object *msg = json_object_new_object();
	char *text = ev ? (ev->line ? xasprintf("%s:%d: %s", ev->object, ev->line, ev->message)
			  : (*ev->object && !strstr(ev->message, ev->object)) ? xasprintf("%s: %s", ev->object, ev->message)
									       : xasprintf("%s", ev->message))
			: xasprintf("%s", res->reason ? res->reason : c->title);
	add(msg, "text", str(text));
	add(o, "message", msg);
	if (ev && *ev->object) {
		json_object *locs = json_object_new_array(), *loc = json_object_new_object();
		if (!strcmp(ev->kind, "file") || !strcmp(ev->kind, "dockerfile") || !strcmp(ev->kind, "bundle")) {
			json_object *phys = json_object_new_object(), *art = json_object_new_object();
			char *uri = file_uri(ev->object);
			add(art, "uri", str(uri));
			free(uri);
			add(phys, "artifactLocation", art);
			if (ev->line) {
				json_object *region = json_object_new_object();
				add(region, "startLine", json_object_new_int(ev->line));
				add(phys, "region", region);
			}
			add(loc, "physicalLocation", phys);
		} else {
			json_object *ll = json_object_new_array(), *l = json_object_new_object();
			add(l, "name", str(ev->object));
			add(l, "kind", str(ev->kind));
			json_object_array_add(ll, l);
			add(loc, "logicalLocations", ll);
		}
		json_object_array_add(locs, loc);
		add(o, "locations", locs);
	}
	/* stable across runs, for code scanning's de-duplication */
	unsigned long long h = 1469598103934665603ull;
	const char *parts[] = { c->id, ev ? ev->object : "", text ? text : "" };
	for (size_t i = 0; i < 3; i++)
		for (const char *p = parts[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
	char hex[32];
	snprintf(hex, sizeof(hex), "%016llx", h);
	json_object *fp = json_object_new_object();
	add(fp, "kapselAudit/v1", str(hex));
	add(o, "partialFingerprints", fp);
	free(text);
	return o;
}

char *audit_format_sarif(const struct audit_report *r);
char *audit_format_sarif(const struct audit_report *r)
{
	json_object *root = json_object_new_object();
	add(root, "$schema", str("https://json.schemastore.org/sarif-2.1.0.json"));
	add(root, "version", str("2.1.0"));
	json_object *runs = json_object_new_array(), *run = json_object_new_object();
	json_object *tool = json_object_new_object(), *driver = json_object_new_object();
	add(driver, "name", str("kapsel-audit"));
	add(driver, "version", str(KAPSEL_VERSION));
	add(driver, "semanticVersion", str(KAPSEL_VERSION));
	json_object *rules = json_object_new_array(), *results = json_object_new_array();
	for (size_t i = 0; i < r->n; i++) {
		const struct audit_result *res = &r->results[i];
		const struct audit_check *c = res->check;
		char sec[16];
		section(c->id, sec, sizeof(sec));
		json_object *rule = json_object_new_object();
		add(rule, "id", str(c->id));
		json_object *sd = json_object_new_object();
		add(sd, "text", str(c->title));
		add(rule, "shortDescription", sd);
		json_object *help = json_object_new_object();
		add(help, "text", str(c->remediation));
		add(rule, "help", help);
		json_object *dc = json_object_new_object();
		add(dc, "level", str(sarif_level(c)));
		add(rule, "defaultConfiguration", dc);
		json_object *props = json_object_new_object(), *tags = json_object_new_array();
		json_object_array_add(tags, str("security"));
		json_object_array_add(tags, str(c->id[0] == 'K' ? "kapsel" : "CIS Docker Benchmark v1.6.0"));
		add(props, "tags", tags);
		add(props, "section", str(sec));
		add(props, "scored", json_object_new_boolean(c->scored));
		add(props, "severity", str(audit_severity_name(c->severity)));
		add(props, "security-severity", str(security_severity(c->severity)));
		add(rule, "properties", props);
		json_object_array_add(rules, rule);
		if (res->level != AUDIT_WARN)
			continue;
		int any = 0;
		for (size_t k = 0; k < res->nev; k++)
			if (res->ev[k].level == AUDIT_WARN) {
				json_object_array_add(results, sarif_result(res, i, &res->ev[k]));
				any = 1;
			}
		if (!any)
			json_object_array_add(results, sarif_result(res, i, NULL));
	}
	add(driver, "rules", rules);
	add(tool, "driver", driver);
	add(run, "tool", tool);
	json_object *inv = json_object_new_array(), *i0 = json_object_new_object();
	add(i0, "executionSuccessful", json_object_new_boolean(1));
	json_object *notes = json_object_new_array();
	if (r->daemon_error) {
		json_object *n = json_object_new_object(), *m = json_object_new_object();
		add(m, "text", str(r->daemon_error));
		add(n, "message", m);
		add(n, "level", str("warning"));
		json_object_array_add(notes, n);
	}
	for (size_t i = 0; i < r->nnotices; i++) {
		json_object *n = json_object_new_object(), *m = json_object_new_object();
		add(m, "text", str(r->notices[i]));
		add(n, "message", m);
		add(n, "level", str("warning"));
		json_object_array_add(notes, n);
	}
	add(i0, "toolExecutionNotifications", notes);
	json_object_array_add(inv, i0);
	add(run, "invocations", inv);
	add(run, "results", results);
	json_object_array_add(runs, run);
	add(root, "runs", runs);
	return finish(root);
}
