/* The scan documents (sbom.h). */
#include "scan/sbom.h"
#include "scan/vex.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/str.h"
#include "common/time.h"
#include "scan/inventory.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static json_object *jstr(const char *s)
{
	return json_object_new_string(s ? s : "");
}

static void put(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static void put_str(json_object *o, const char *k, const char *v)
{
	put(o, k, jstr(v));
}

static json_object *file_json(const struct kscan_file *f, const struct kscan_inventory *inv)
{
	json_object *o = json_object_new_object();
	put_str(o, "path", f->path);
	char mode[16];
	snprintf(mode, sizeof(mode), "%04o", f->mode & 07777);
	put_str(o, "mode", mode);
	put(o, "uid", json_object_new_int64(f->uid));
	put(o, "gid", json_object_new_int64(f->gid));
	put(o, "setuid", json_object_new_boolean(!!(f->mode & S_ISUID)));
	put(o, "setgid", json_object_new_boolean(!!(f->mode & S_ISGID)));
	put(o, "capabilities", f->caps ? jstr(f->caps) : NULL);
	put(o, "layer", f->layer < inv->nlayers ? jstr(inv->layers[f->layer].diff_id) : NULL);
	return o;
}

static json_object *layer_json(const struct kscan_inventory *inv, size_t l)
{
	if (l >= inv->nlayers)
		return NULL;
	json_object *o = json_object_new_object();
	put(o, "index", json_object_new_int64((int64_t)l));
	put(o, "diff_id", inv->layers[l].diff_id ? jstr(inv->layers[l].diff_id) : NULL);
	put(o, "created_by", inv->layers[l].created_by ? jstr(inv->layers[l].created_by) : NULL);
	return o;
}

static void time_str(int64_t t, char buf[KTIME_BUFSZ])
{
	struct timespec ts = { .tv_sec = t };
	ktime_format(buf, KTIME_BUFSZ, &ts, KTIME_SECONDS);
}

static json_object *index_json(const struct kvuln_db *db)
{
	json_object *o = json_object_new_object(), *srcs = json_object_new_array();
	char t[KTIME_BUFSZ];
	put_str(o, "digest", kvuln_db_digest(db));
	time_str(kvuln_db_built(db), t);
	put_str(o, "built", t);
	for (size_t i = 0; i < kvuln_db_nsources(db); i++) {
		struct kvuln_source s;
		kvuln_db_source(db, i, &s);
		json_object *x = json_object_new_object();
		put_str(x, "kind", kvuln_source_kind_to_name(s.kind));
		put_str(x, "origin", s.origin);
		put_str(x, "digest", s.digest);
		time_str(s.date, t);
		put_str(x, "date", t);
		put(x, "records", json_object_new_int64(s.records));
		json_object_array_add(srcs, x);
	}
	put(o, "sources", srcs);
	return o;
}

static json_object *finding_json(const struct kscan_inventory *inv, const struct kscan_finding *f,
				 const struct kvuln_db *db)
{
	json_object *o = json_object_new_object();
	const struct kscan_pkg *p = &inv->pkgs[f->pkg];
	put_str(o, "id", f->rec.id);
	put_str(o, "package", p->name);
	put_str(o, "version", p->version);
	put_str(o, "source", p->source);
	put_str(o, "source_version", p->source_version);
	put_str(o, "verdict", kscan_verdict_to_name(f->verdict));
	put_str(o, "state", kvuln_state_to_name(f->rec.state));
	put(o, "fixed_version", *f->rec.fixed ? jstr(f->rec.fixed) : NULL);
	put(o, "actionable", json_object_new_boolean(f->actionable));
	put(o, "urgency", *f->rec.urgency ? jstr(f->rec.urgency) : NULL);
	put_str(o, "severity", kscan_severity_to_name(f->severity));
	put(o, "cvss", *f->rec.severity ? jstr(f->rec.severity) : NULL);
	put(o, "cvss_score", f->cvss_score > 0 ? json_object_new_double(f->cvss_score) : NULL);
	put(o, "note", *f->rec.note ? jstr(f->rec.note) : NULL);
	struct kvuln_source s;
	kvuln_db_source(db, f->rec.source, &s);
	put_str(o, "data_source", kvuln_source_kind_to_name(s.kind));
	put_str(o, "rule", f->rule);
	put(o, "suppressed", json_object_new_boolean(f->suppressed));
	if (f->vex) {
		json_object *v = json_object_new_object();
		put_str(v, "status", f->vex->status);
		put(v, "justification", f->vex->justification ? jstr(f->vex->justification) : NULL);
		put_str(v, "source", f->vex->source);
		put(o, "vex", v);
	} else {
		put(o, "vex", NULL);
	}
	return o;
}

json_object *kscan_doc_json(const struct kscan_meta *m, const struct kscan_inventory *inv,
			    const struct kscan_result *res, const struct kvuln_db *db)
{
	json_object *o = json_object_new_object(), *t = json_object_new_object(), *os = json_object_new_object();
	char ts[KTIME_BUFSZ];
	put_str(o, "schemaVersion", "kapsel-scan/1");
	time_str(m->time, ts);
	put_str(o, "created", ts);
	put_str(t, "name", m->target);
	put_str(t, "kind", m->target_kind);
	put(t, "digest", m->digest ? jstr(m->digest) : NULL);
	put(o, "target", t);
	put(os, "id", inv->os_id ? jstr(inv->os_id) : NULL);
	put(os, "version_id", inv->os_version_id ? jstr(inv->os_version_id) : NULL);
	put(os, "codename", inv->os_codename ? jstr(inv->os_codename) : NULL);
	put(os, "pretty_name", inv->os_pretty ? jstr(inv->os_pretty) : NULL);
	put(o, "os", os);
	put_str(o, "database", inv->db);
	json_object *pk = json_object_new_array();
	for (size_t i = 0; i < inv->npkgs; i++) {
		const struct kscan_pkg *p = &inv->pkgs[i];
		json_object *x = json_object_new_object(), *files = json_object_new_array();
		put_str(x, "type", kscan_eco_to_name(p->eco));
		put_str(x, "name", p->name);
		put_str(x, "version", p->version);
		put_str(x, "source", p->source);
		put_str(x, "source_version", p->source_version);
		put_str(x, "arch", p->arch);
		char *purl = kscan_purl(inv, p, 0);
		put(x, "purl", jstr(purl));
		free(purl);
		put(x, "layer", layer_json(inv, p->layer));
		for (size_t j = 0; j < p->nfiles; j++)
			json_object_array_add(files, file_json(&p->files[j], inv));
		put(x, "special_files", files);
		json_object_array_add(pk, x);
	}
	put(o, "packages", pk);
	json_object *un = json_object_new_array();
	for (size_t j = 0; j < inv->nunowned; j++)
		json_object_array_add(un, file_json(&inv->unowned[j], inv));
	put(o, "unowned_special_files", un);
	if (res && db) {
		put(o, "index", index_json(db));
		put_str(o, "release", res->release);
		json_object *counts = json_object_new_object(), *fs = json_object_new_array();
		for (int s = 0; s < KVULN_STATE_MAX; s++)
			if (s != KVULN_NOT_AFFECTED)
				put(counts, kvuln_state_to_name(s), json_object_new_int64((int64_t)res->by_state[s]));
		put(counts, "actionable", json_object_new_int64((int64_t)res->actionable));
		put(counts, "suppressed", json_object_new_int64((int64_t)res->suppressed));
		put(o, "counts", counts);
		for (size_t i = 0; i < res->n; i++)
			json_object_array_add(fs, finding_json(inv, &res->v[i], db));
		put(o, "findings", fs);
	}
	return o;
}

/* A name-based UUID (RFC 4122 section 4.3 layout, SHA-256 truncated) of S. */
static void uuid_of(const char *s, char out[37])
{
	uint8_t h[KSHA256_LEN];
	ksha256(s, strlen(s), h);
	h[6] = (uint8_t)((h[6] & 0x0f) | 0x50);
	h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0], h[1], h[2],
		 h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
}

/* The content key the serial number and namespace come from. */
static char *content_key(const struct kscan_meta *m, const struct kscan_inventory *inv)
{
	struct ksha256 s;
	ksha256_init(&s);
	ksha256_update(&s, m->target, strlen(m->target) + 1);
	if (m->digest)
		ksha256_update(&s, m->digest, strlen(m->digest) + 1);
	for (size_t i = 0; i < inv->npkgs; i++) {
		_cleanup_free_ char *p = kscan_purl(inv, &inv->pkgs[i], 0);
		if (p)
			ksha256_update(&s, p, strlen(p) + 1);
	}
	uint8_t sum[KSHA256_LEN];
	char hex[KSHA256_HEX];
	ksha256_final(&s, sum);
	ksha256_hex(sum, hex);
	return strdup(hex);
}

static json_object *prop(const char *name, const char *value)
{
	json_object *o = json_object_new_object();
	put_str(o, "name", name);
	put_str(o, "value", value);
	return o;
}

/* CycloneDX's analysis of one finding: the Debian state kept in detail
 * and a property, the state mapped to the closest of CycloneDX's. */
static json_object *cdx_analysis(const struct kscan_finding *f)
{
	json_object *a = json_object_new_object(), *resp = json_object_new_array();
	const char *state = "in_triage";
	if (f->vex) {
		/* the VEX statement's word, mapped to CycloneDX's */
		const char *st = f->vex->status;
		put_str(a, "state",
			!strcmp(st, "not_affected") ? "not_affected"
			: !strcmp(st, "fixed")      ? "resolved"
			: !strcmp(st, "affected")   ? "exploitable"
						    : "in_triage");
		_cleanup_free_ char *d = kstr_printf(
			"VEX %s (%s)%s%s; %s: %s", st, f->vex->source, f->vex->justification ? ": " : "",
			f->vex->justification ? f->vex->justification : "", kvuln_state_to_name(f->rec.state), f->rule);
		put_str(a, "detail", d ? d : "");
		json_object_put(resp);
		return a;
	}
	if (f->rec.state == KVULN_FIXED) {
		state = "exploitable";
		json_object_array_add(resp, jstr("update"));
	} else if (f->rec.state == KVULN_IGNORED || f->rec.state == KVULN_EOL) {
		state = "exploitable";
		json_object_array_add(resp, jstr("will_not_fix"));
	}
	put_str(a, "state", state);
	if (json_object_array_length(resp))
		put(a, "response", resp);
	else
		json_object_put(resp);
	_cleanup_free_ char *detail = kstr_printf("%s: %s%s%s", kvuln_state_to_name(f->rec.state), f->rule,
						  *f->rec.note ? "; " : "", f->rec.note);
	put_str(a, "detail", detail ? detail : "");
	return a;
}

static const char *cdx_severity(enum kscan_severity s)
{
	switch (s) {
	case KSEV_NEGLIGIBLE: return "info";
	case KSEV_LOW: return "low";
	case KSEV_MEDIUM: return "medium";
	case KSEV_HIGH: return "high";
	case KSEV_CRITICAL: return "critical";
	default: return "unknown";
	}
}

json_object *kscan_doc_cyclonedx(const struct kscan_meta *m, const struct kscan_inventory *inv,
				 const struct kscan_result *res, const struct kvuln_db *db, const char *spec)
{
	json_object *o = json_object_new_object(), *meta = json_object_new_object();
	char ts[KTIME_BUFSZ], uuid[37];
	_cleanup_free_ char *key = content_key(m, inv);
	uuid_of(key ? key : "", uuid);
	_cleanup_free_ char *serial = kstr_printf("urn:uuid:%s", uuid);
	put_str(o, "$schema",
		!strcmp(spec, "1.6") ? "http://cyclonedx.org/schema/bom-1.6.schema.json"
				     : "http://cyclonedx.org/schema/bom-1.5.schema.json");
	put_str(o, "bomFormat", "CycloneDX");
	put_str(o, "specVersion", spec);
	put_str(o, "serialNumber", serial);
	put(o, "version", json_object_new_int(1));
	time_str(m->time, ts);
	put_str(meta, "timestamp", ts);
	json_object *tools = json_object_new_object(), *tc = json_object_new_array(), *tool = json_object_new_object();
	put_str(tool, "type", "application");
	put_str(tool, "name", "kapsel");
	put_str(tool, "version", m->tool_version);
	json_object_array_add(tc, tool);
	put(tools, "components", tc);
	put(meta, "tools", tools);
	json_object *root = json_object_new_object();
	put_str(root, "type", !strcmp(m->target_kind, "rootfs") ? "operating-system" : "container");
	put_str(root, "bom-ref", "target");
	put_str(root, "name", m->target);
	if (m->digest)
		put_str(root, "version", m->digest);
	json_object *rprops = json_object_new_array();
	if (inv->os_id)
		json_object_array_add(rprops, prop("kapsel:os:id", inv->os_id));
	if (inv->os_version_id)
		json_object_array_add(rprops, prop("kapsel:os:version_id", inv->os_version_id));
	if (inv->os_codename)
		json_object_array_add(rprops, prop("kapsel:os:codename", inv->os_codename));
	put(root, "properties", rprops);
	put(meta, "component", root);
	if (res && db) {
		/* the data the findings came from: the index and each source, by digest and date */
		json_object *mp = json_object_new_array();
		json_object_array_add(mp, prop("kapsel:index:digest", kvuln_db_digest(db)));
		for (size_t i = 0; i < kvuln_db_nsources(db); i++) {
			struct kvuln_source s;
			char t[KTIME_BUFSZ];
			kvuln_db_source(db, i, &s);
			time_str(s.date, t);
			_cleanup_free_ char *v =
				kstr_printf("%s %s %s %s", kvuln_source_kind_to_name(s.kind), s.digest, t, s.origin);
			json_object_array_add(mp, prop("kapsel:index:source", v ? v : ""));
		}
		put(meta, "properties", mp);
	}
	put(o, "metadata", meta);
	json_object *comps = json_object_new_array(), *deps = json_object_new_array(), *on = json_object_new_array();
	for (size_t i = 0; i < inv->npkgs; i++) {
		const struct kscan_pkg *p = &inv->pkgs[i];
		char *purl = kscan_purl(inv, p, 0);
		_cleanup_free_ char *spurl = kscan_purl(inv, p, 1);
		json_object *c = json_object_new_object(), *props = json_object_new_array();
		put_str(c, "type", "library");
		put(c, "bom-ref", jstr(purl));
		put_str(c, "name", p->name);
		put_str(c, "version", p->version);
		put(c, "purl", jstr(purl));
		json_object *ped = json_object_new_object(), *anc = json_object_new_array(),
			    *a = json_object_new_object();
		put_str(a, "type", "library");
		put_str(a, "name", p->source);
		put_str(a, "version", p->source_version);
		put(a, "purl", jstr(spurl));
		json_object_array_add(anc, a);
		put(ped, "ancestors", anc);
		put(c, "pedigree", ped);
		json_object_array_add(props, prop("kapsel:package:type", kscan_eco_to_name(p->eco)));
		json_object_array_add(props, prop("kapsel:source:name", p->source));
		json_object_array_add(props, prop("kapsel:source:version", p->source_version));
		json_object_array_add(props, prop("kapsel:arch", p->arch));
		if (p->layer < inv->nlayers) {
			if (inv->layers[p->layer].diff_id)
				json_object_array_add(props,
						      prop("kapsel:layer:diff_id", inv->layers[p->layer].diff_id));
			if (inv->layers[p->layer].created_by)
				json_object_array_add(
					props, prop("kapsel:layer:created_by", inv->layers[p->layer].created_by));
		}
		for (size_t j = 0; j < p->nfiles; j++) {
			_cleanup_free_ char *v =
				kstr_printf("%s %04o%s%s", p->files[j].path, p->files[j].mode & 07777,
					    p->files[j].caps ? " " : "", p->files[j].caps ? p->files[j].caps : "");
			json_object_array_add(props, prop("kapsel:special_file", v ? v : ""));
		}
		put(c, "properties", props);
		json_object_array_add(comps, c);
		json_object_array_add(on, jstr(purl));
		free(purl);
	}
	put(o, "components", comps);
	json_object *d = json_object_new_object();
	put_str(d, "ref", "target");
	put(d, "dependsOn", on);
	json_object_array_add(deps, d);
	put(o, "dependencies", deps);
	if (res && db) {
		/* one vulnerability per (id, package): its own analysis each */
		json_object *vs = json_object_new_array();
		for (size_t i = 0; i < res->n; i++) {
			const struct kscan_finding *f = &res->v[i];
			if (f->verdict != KSCAN_AFFECTED)
				continue;
			const struct kscan_pkg *p = &inv->pkgs[f->pkg];
			_cleanup_free_ char *purl = kscan_purl(inv, p, 0);
			_cleanup_free_ char *ref = kstr_printf("%s#%s", f->rec.id, purl ? purl : "");
			json_object *v = json_object_new_object(), *src = json_object_new_object();
			put(v, "bom-ref", jstr(ref));
			put_str(v, "id", f->rec.id);
			struct kvuln_source s;
			kvuln_db_source(db, f->rec.source, &s);
			put_str(src, "name", kvuln_source_kind_to_name(s.kind));
			if (s.kind == KVULN_SRC_DEBIAN) {
				_cleanup_free_ char *url =
					kstr_printf("https://security-tracker.debian.org/tracker/%s", f->rec.id);
				put_str(src, "url", url);
			}
			put(v, "source", src);
			json_object *ratings = json_object_new_array(), *r = json_object_new_object();
			put_str(r, "severity", cdx_severity(f->severity));
			put_str(r, "method", "other");
			json_object_array_add(ratings, r);
			if (f->cvss_score > 0) {
				json_object *c = json_object_new_object();
				put(c, "score", json_object_new_double(f->cvss_score));
				put_str(c, "severity", cdx_severity(kscan_severity_of_score(f->cvss_score)));
				put_str(c, "method", kstr_starts(f->rec.severity, "CVSS:3.0") ? "CVSSv3" : "CVSSv31");
				put_str(c, "vector", f->rec.severity);
				json_object_array_add(ratings, c);
			}
			put(v, "ratings", ratings);
			if (*f->rec.note)
				put_str(v, "description", f->rec.note);
			if (f->actionable) {
				_cleanup_free_ char *rec =
					kstr_printf("upgrade %s to %s %s or later", p->name, p->source, f->rec.fixed);
				put_str(v, "recommendation", rec ? rec : "");
			}
			put(v, "analysis", cdx_analysis(f));
			json_object *aff = json_object_new_array(), *a = json_object_new_object();
			put(a, "ref", jstr(purl));
			json_object_array_add(aff, a);
			put(v, "affects", aff);
			json_object *props = json_object_new_array();
			json_object_array_add(props, prop("kapsel:state", kvuln_state_to_name(f->rec.state)));
			if (*f->rec.urgency)
				json_object_array_add(props, prop("kapsel:urgency", f->rec.urgency));
			if (*f->rec.fixed)
				json_object_array_add(props, prop("kapsel:fixed_version", f->rec.fixed));
			put(v, "properties", props);
			json_object_array_add(vs, v);
		}
		put(o, "vulnerabilities", vs);
	}
	return o;
}

/* "SPDXRef-Package-<first 16 hex of sha256(purl)>" */
static char *spdx_id(const char *purl)
{
	uint8_t h[KSHA256_LEN];
	char hex[KSHA256_HEX];
	ksha256(purl, strlen(purl), h);
	ksha256_hex(h, hex);
	return kstr_printf("SPDXRef-Package-%.16s", hex);
}

static json_object *spdx_pkg(const char *id, const char *name, const char *version, const char *purl,
			     const char *purpose, const char *source_info)
{
	json_object *o = json_object_new_object();
	put_str(o, "SPDXID", id);
	put_str(o, "name", name);
	if (version)
		put_str(o, "versionInfo", version);
	put_str(o, "downloadLocation", "NOASSERTION");
	put(o, "filesAnalyzed", json_object_new_boolean(0));
	put_str(o, "licenseConcluded", "NOASSERTION");
	put_str(o, "licenseDeclared", "NOASSERTION");
	put_str(o, "copyrightText", "NOASSERTION");
	if (source_info)
		put_str(o, "sourceInfo", source_info);
	put_str(o, "primaryPackagePurpose", purpose);
	if (purl) {
		json_object *refs = json_object_new_array(), *r = json_object_new_object();
		put_str(r, "referenceCategory", "PACKAGE-MANAGER");
		put_str(r, "referenceType", "purl");
		put_str(r, "referenceLocator", purl);
		json_object_array_add(refs, r);
		put(o, "externalRefs", refs);
	}
	return o;
}

static json_object *rel(const char *a, const char *type, const char *b)
{
	json_object *o = json_object_new_object();
	put_str(o, "spdxElementId", a);
	put_str(o, "relationshipType", type);
	put_str(o, "relatedSpdxElement", b);
	return o;
}

json_object *kscan_doc_spdx(const struct kscan_meta *m, const struct kscan_inventory *inv)
{
	json_object *o = json_object_new_object(), *ci = json_object_new_object(), *creators = json_object_new_array();
	char ts[KTIME_BUFSZ], uuid[37];
	_cleanup_free_ char *key = content_key(m, inv);
	uuid_of(key ? key : "", uuid);
	put_str(o, "spdxVersion", "SPDX-2.3");
	put_str(o, "dataLicense", "CC0-1.0");
	put_str(o, "SPDXID", "SPDXRef-DOCUMENT");
	put_str(o, "name", m->target);
	_cleanup_free_ char *ns = kstr_printf("https://kapsel.invalid/spdx/%s", uuid);
	put_str(o, "documentNamespace", ns);
	time_str(m->time, ts);
	put_str(ci, "created", ts);
	_cleanup_free_ char *tool = kstr_printf("Tool: kapsel-%s", m->tool_version);
	json_object_array_add(creators, jstr(tool));
	put(ci, "creators", creators);
	put(o, "creationInfo", ci);
	json_object *pkgs = json_object_new_array(), *rels = json_object_new_array();
	json_object_array_add(pkgs,
			      spdx_pkg("SPDXRef-Target", m->target, m->digest, NULL,
				       !strcmp(m->target_kind, "rootfs") ? "OPERATING_SYSTEM" : "CONTAINER", NULL));
	json_object_array_add(rels, rel("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Target"));
	/* source packages once each, in order of first use */
	char **seen = NULL;
	size_t nseen = 0;
	for (size_t i = 0; i < inv->npkgs; i++) {
		const struct kscan_pkg *p = &inv->pkgs[i];
		_cleanup_free_ char *purl = kscan_purl(inv, p, 0), *spurl = kscan_purl(inv, p, 1);
		_cleanup_free_ char *id = purl ? spdx_id(purl) : NULL, *sid = spurl ? spdx_id(spurl) : NULL;
		if (!id || !sid)
			continue;
		_cleanup_free_ char *si = kstr_printf("built package from: %s %s", p->source, p->source_version);
		json_object_array_add(pkgs, spdx_pkg(id, p->name, p->version, purl, "LIBRARY", si));
		json_object_array_add(rels, rel("SPDXRef-Target", "CONTAINS", id));
		int known = 0;
		for (size_t k = 0; k < nseen && !known; k++)
			known = !strcmp(seen[k], sid);
		if (!known) {
			char **v = realloc(seen, (nseen + 1) * sizeof(*v));
			if (v && (v[nseen] = strdup(sid))) {
				seen = v;
				nseen++;
				json_object_array_add(
					pkgs, spdx_pkg(sid, p->source, p->source_version, spurl, "SOURCE", NULL));
			} else if (v) {
				seen = v;
			}
		}
		json_object_array_add(rels, rel(id, "GENERATED_FROM", sid));
	}
	for (size_t k = 0; k < nseen; k++)
		free(seen[k]);
	free(seen);
	put(o, "packages", pkgs);
	put(o, "relationships", rels);
	return o;
}

char *kscan_doc_sarif(const struct kscan_meta *m, const struct kscan_inventory *inv, const struct kscan_result *res)
{
	(void)m;
	/* one rule per id, in the findings' id order */
	size_t n = 0;
	struct krep_rule *rules = calloc(res->n ? res->n : 1, sizeof(*rules));
	struct krep_result *results = calloc(res->n ? res->n : 1, sizeof(*results));
	struct krep_location *locs = calloc(res->n ? res->n : 1, sizeof(*locs));
	char **msgs = calloc(res->n ? res->n : 1, sizeof(char *)), **fps = calloc(res->n ? res->n : 1, sizeof(char *));
	char **descs = calloc(res->n ? res->n : 1, sizeof(char *));
	char *out = NULL;
	size_t nres = 0;
	if (!rules || !results || !locs || !msgs || !fps || !descs)
		goto done;
	for (size_t i = 0; i < res->n; i++) {
		const struct kscan_finding *f = &res->v[i];
		if (f->verdict != KSCAN_AFFECTED)
			continue;
		size_t r = 0;
		while (r < n && strcmp(rules[r].id, f->rec.id))
			r++;
		enum krep_level lvl = f->suppressed   ? KREP_NONE
				      : f->actionable ? (f->severity >= KSEV_HIGH ? KREP_ERROR : KREP_WARNING)
						      : KREP_NOTE;
		if (r == n) {
			rules[n].id = f->rec.id;
			descs[n] = kstr_printf("%s in %s", f->rec.id, inv->pkgs[f->pkg].source);
			rules[n].short_desc = descs[n] ? descs[n] : f->rec.id;
			rules[n].help = *f->rec.note ? f->rec.note : NULL;
			rules[n].level = lvl;
			n++;
		}
		const struct kscan_pkg *p = &inv->pkgs[f->pkg];
		msgs[nres] = kstr_printf("%s %s (source %s %s): %s [%s, %s]%s%s%s%s", p->name, p->version, p->source,
					 p->source_version, f->rec.id, kvuln_state_to_name(f->rec.state),
					 kscan_severity_to_name(f->severity), f->actionable ? ": fixed in " : "",
					 f->actionable ? f->rec.fixed : "", f->vex ? "; VEX: " : "",
					 f->vex ? f->vex->status : "");
		_cleanup_free_ char *purl = kscan_purl(inv, p, 0);
		const char *parts[] = { f->rec.id, purl };
		if ((fps[nres] = malloc(17)))
			krep_fingerprint(parts, 2, fps[nres]);
		locs[nres].name = p->name;
		locs[nres].kind = "package";
		results[nres] = (struct krep_result){ .rule = r,
						      .level = lvl,
						      .message = msgs[nres] ? msgs[nres] : "",
						      .location = &locs[nres],
						      .fingerprint_key = "kapsel/v1",
						      .fingerprint = fps[nres] };
		nres++;
	}
	struct krep_sarif s = { .tool = "kapsel scan",
				.version = m->tool_version,
				.rules = rules,
				.nrules = n,
				.results = results,
				.nresults = nres };
	out = krep_sarif(&s);
done:
	for (size_t i = 0; i < nres; i++) {
		free(msgs[i]);
		free(fps[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(descs[i]);
	free(rules);
	free(results);
	free(locs);
	free(msgs);
	free(fps);
	free(descs);
	return out;
}
