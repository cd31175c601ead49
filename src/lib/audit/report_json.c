/* The JSON report (schema: tests/fixtures/audit/kapsel-audit.schema.json),
 * built as a json-c tree and written by report/. */
#include "internal.h"

#include "common/time.h"
#include "report/report.h"

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
	return krep_json(root);
}
