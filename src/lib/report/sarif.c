/* SARIF 2.1.0 (report.h): one run, the rules, the results and one
 * invocation with its notifications, built as a json-c tree. */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *str(const char *s)
{
	return json_object_new_string(s ? s : "");
}

static void add(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static json_object *text(const char *s)
{
	json_object *o = json_object_new_object();
	add(o, "text", str(s));
	return o;
}

const char *krep_level_name(enum krep_level l)
{
	static const char *const n[] = { "none", "note", "warning", "error" };
	return (unsigned)l < sizeof(n) / sizeof(n[0]) ? n[l] : "none";
}

void krep_fingerprint(const char *const *parts, size_t n, char out[17])
{
	unsigned long long h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		for (const char *p = parts[i] ? parts[i] : ""; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
	snprintf(out, 17, "%016llx", h);
}

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

static json_object *location(const struct krep_location *l)
{
	json_object *loc = json_object_new_object();
	if (l->path) {
		json_object *phys = json_object_new_object(), *art = json_object_new_object();
		char *uri = file_uri(l->path);
		add(art, "uri", str(uri));
		free(uri);
		add(phys, "artifactLocation", art);
		if (l->line) {
			json_object *region = json_object_new_object();
			add(region, "startLine", json_object_new_int(l->line));
			add(phys, "region", region);
		}
		add(loc, "physicalLocation", phys);
	} else {
		json_object *ll = json_object_new_array(), *o = json_object_new_object();
		add(o, "name", str(l->name));
		add(o, "kind", str(l->kind));
		json_object_array_add(ll, o);
		add(loc, "logicalLocations", ll);
	}
	return loc;
}

static json_object *rule(const struct krep_rule *r)
{
	json_object *o = json_object_new_object();
	add(o, "id", str(r->id));
	add(o, "shortDescription", text(r->short_desc));
	if (r->help)
		add(o, "help", text(r->help));
	json_object *dc = json_object_new_object();
	add(dc, "level", str(krep_level_name(r->level)));
	add(o, "defaultConfiguration", dc);
	if (r->tags || r->properties) {
		json_object *props = json_object_new_object();
		if (r->tags) {
			json_object *tags = json_object_new_array();
			for (const char *const *t = r->tags; *t; t++)
				json_object_array_add(tags, str(*t));
			add(props, "tags", tags);
		}
		if (r->properties) {
			json_object_object_foreach(r->properties, k, v)
				add(props, k, json_object_get(v));
		}
		add(o, "properties", props);
	}
	return o;
}

static json_object *result(const struct krep_sarif *s, const struct krep_result *r)
{
	json_object *o = json_object_new_object();
	add(o, "ruleId", str(r->rule < s->nrules ? s->rules[r->rule].id : ""));
	add(o, "ruleIndex", json_object_new_int64((int64_t)r->rule));
	add(o, "level", str(krep_level_name(r->level)));
	add(o, "message", text(r->message));
	if (r->location) {
		json_object *locs = json_object_new_array();
		json_object_array_add(locs, location(r->location));
		add(o, "locations", locs);
	}
	if (r->fingerprint_key) {
		json_object *fp = json_object_new_object();
		add(fp, r->fingerprint_key, str(r->fingerprint));
		add(o, "partialFingerprints", fp);
	}
	return o;
}

char *krep_sarif(const struct krep_sarif *s)
{
	json_object *root = json_object_new_object();
	add(root, "$schema", str("https://json.schemastore.org/sarif-2.1.0.json"));
	add(root, "version", str("2.1.0"));
	json_object *runs = json_object_new_array(), *run = json_object_new_object();
	json_object *tool = json_object_new_object(), *driver = json_object_new_object();
	add(driver, "name", str(s->tool));
	add(driver, "version", str(s->version));
	add(driver, "semanticVersion", str(s->version));
	json_object *rules = json_object_new_array(), *results = json_object_new_array();
	for (size_t i = 0; i < s->nrules; i++)
		json_object_array_add(rules, rule(&s->rules[i]));
	for (size_t i = 0; i < s->nresults; i++)
		json_object_array_add(results, result(s, &s->results[i]));
	add(driver, "rules", rules);
	add(tool, "driver", driver);
	add(run, "tool", tool);
	json_object *inv = json_object_new_array(), *i0 = json_object_new_object();
	add(i0, "executionSuccessful", json_object_new_boolean(1));
	json_object *notes = json_object_new_array();
	for (size_t i = 0; i < s->nnotices; i++) {
		json_object *n = json_object_new_object();
		add(n, "message", text(s->notices[i].message));
		add(n, "level", str(krep_level_name(s->notices[i].level)));
		json_object_array_add(notes, n);
	}
	add(i0, "toolExecutionNotifications", notes);
	json_object_array_add(inv, i0);
	add(run, "invocations", inv);
	add(run, "results", results);
	json_object_array_add(runs, run);
	add(root, "runs", runs);
	return krep_json(root);
}
