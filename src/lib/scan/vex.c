/* VEX input (vex.h).
 *
 *   OpenVEX 0.2  {"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
 *                 {"vulnerability": {"name": ID, "aliases": [...]} (0.1: ID),
 *                  "products": [{"@id": PURL}] (0.1: [PURL]), "status",
 *                  "justification", "impact_statement"}]}
 *   CycloneDX    {"bomFormat": "CycloneDX", "vulnerabilities": [{"id",
 *                 "analysis": {"state", "justification", "detail"},
 *                 "affects": [{"ref": PURL or bom-ref}]}]} with bom-refs
 *                 resolved through components[]. */
#include "scan/vex.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/str.h"
#include "common/strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void stmt_done(struct kscan_vex_stmt *s)
{
	free(s->vuln);
	kstrv_free(s->products);
	free(s->status);
	free(s->justification);
	free(s->source);
}

void kscan_vex_done(struct kscan_vex *vex)
{
	for (size_t i = 0; i < vex->n; i++)
		stmt_done(&vex->v[i]);
	free(vex->v);
	memset(vex, 0, sizeof(*vex));
}

static int add(struct kscan_vex *vex, const char *vuln, char **products, const char *status, const char *just,
	       const char *file, kerr *e)
{
	struct kscan_vex_stmt *v = realloc(vex->v, (vex->n + 1) * sizeof(*v));
	if (!v) {
		kstrv_free(products);
		return kerr_set(e, ENOMEM, "%s", file);
	}
	vex->v = v;
	struct kscan_vex_stmt *s = &v[vex->n];
	s->vuln = strdup(vuln);
	s->products = products;
	s->status = strdup(status);
	s->justification = just ? strdup(just) : NULL;
	s->source = strdup(file);
	if (!s->vuln || !s->status || (just && !s->justification) || !s->source) {
		stmt_done(s);
		return kerr_set(e, ENOMEM, "%s", file);
	}
	vex->n++;
	return 0;
}

static const char *const openvex_status[] = { "not_affected", "affected", "fixed", "under_investigation", NULL };

static int read_openvex(struct kscan_vex *vex, json_object *o, const char *file, kerr *e)
{
	json_object *st = kj_get(o, "statements");
	if (!st || !json_object_is_type(st, json_type_array))
		return kerr_msg(e, EINVAL, "%s: statements: expected an array", file);
	for (size_t i = 0; i < json_object_array_length(st); i++) {
		json_object *s = json_object_array_get_idx(st, i), *v = kj_get(s, "vulnerability");
		const char *id = json_object_is_type(v, json_type_string) ? kj_str(v) : kj_get_str(v, "name");
		const char *status = kj_get_str(s, "status");
		if (!id || !*id)
			return kerr_msg(e, EINVAL, "%s: statements[%zu].vulnerability: want a name", file, i);
		int known = 0;
		for (const char *const *k = openvex_status; status && *k; k++)
			known |= !strcmp(*k, status);
		if (!known)
			return kerr_msg(
				e, EINVAL,
				"%s: statements[%zu].status \"%s\": want not_affected, affected, fixed or under_investigation",
				file, i, status ? status : "(missing)");
		char **products = NULL;
		json_object *ps = kj_get(s, "products");
		for (size_t j = 0; ps && json_object_is_type(ps, json_type_array) && j < json_object_array_length(ps);
		     j++) {
			json_object *p = json_object_array_get_idx(ps, j);
			const char *purl = json_object_is_type(p, json_type_string) ? kj_str(p) : kj_get_str(p, "@id");
			if (purl && kstrv_add(&products, purl) < 0) {
				kstrv_free(products);
				return kerr_set(e, ENOMEM, "%s", file);
			}
		}
		if (!products)
			return kerr_msg(e, EINVAL, "%s: statements[%zu].products: want at least one purl", file, i);
		const char *just = kj_get_str(s, "justification");
		if (!just)
			just = kj_get_str(s, "impact_statement");
		/* the aliases count as the same vulnerability */
		json_object *al = kj_get(v, "aliases");
		for (size_t j = 0; al && json_object_is_type(al, json_type_array) && j < json_object_array_length(al);
		     j++) {
			char **copy = kstrv_copy(products);
			if (!copy ||
			    add(vex, kj_str(json_object_array_get_idx(al, j)), copy, status, just, file, e) < 0) {
				kstrv_free(products);
				return copy ? -1 : kerr_set(e, ENOMEM, "%s", file);
			}
		}
		if (add(vex, id, products, status, just, file, e) < 0)
			return -1;
	}
	return 0;
}

/* CycloneDX analysis.state -> the OpenVEX word */
static const char *cdx_status(const char *state)
{
	if (!state)
		return NULL;
	if (!strcmp(state, "not_affected") || !strcmp(state, "false_positive"))
		return "not_affected";
	if (!strcmp(state, "resolved") || !strcmp(state, "resolved_with_pedigree"))
		return "fixed";
	if (!strcmp(state, "exploitable"))
		return "affected";
	if (!strcmp(state, "in_triage"))
		return "under_investigation";
	return NULL;
}

static const char *ref_purl(json_object *bom, const char *ref)
{
	if (kstr_starts(ref, "pkg:"))
		return ref;
	json_object *cs = kj_get(bom, "components");
	for (size_t i = 0; cs && json_object_is_type(cs, json_type_array) && i < json_object_array_length(cs); i++) {
		json_object *c = json_object_array_get_idx(cs, i);
		const char *r = kj_get_str(c, "bom-ref");
		if (r && !strcmp(r, ref))
			return kj_get_str(c, "purl");
	}
	return NULL;
}

static int read_cdx(struct kscan_vex *vex, json_object *o, const char *file, kerr *e)
{
	json_object *vs = kj_get(o, "vulnerabilities");
	for (size_t i = 0; vs && json_object_is_type(vs, json_type_array) && i < json_object_array_length(vs); i++) {
		json_object *v = json_object_array_get_idx(vs, i), *an = kj_get(v, "analysis");
		const char *id = kj_get_str(v, "id"), *state = kj_get_str(an, "state");
		if (!an)
			continue; /* a finding, not a statement */
		const char *status = cdx_status(state);
		if (!id || !status)
			return kerr_msg(e, EINVAL,
					"%s: vulnerabilities[%zu]: want an id and an analysis.state, not \"%s\"", file,
					i, state ? state : "(missing)");
		char **products = NULL;
		json_object *af = kj_get(v, "affects");
		for (size_t j = 0; af && json_object_is_type(af, json_type_array) && j < json_object_array_length(af);
		     j++) {
			const char *ref = kj_get_str(json_object_array_get_idx(af, j), "ref");
			const char *purl = ref ? ref_purl(o, ref) : NULL;
			if (purl && kstrv_add(&products, purl) < 0) {
				kstrv_free(products);
				return kerr_set(e, ENOMEM, "%s", file);
			}
		}
		if (!products)
			return kerr_msg(e, EINVAL, "%s: vulnerabilities[%zu].affects: no purl", file, i);
		const char *just = kj_get_str(an, "detail");
		if (!just)
			just = kj_get_str(an, "justification");
		if (add(vex, id, products, status, just, file, e) < 0)
			return -1;
	}
	return 0;
}

int kscan_vex_read(struct kscan_vex *vex, const char *buf, size_t len, const char *file, kerr *e)
{
	_cleanup_json_ json_object *o = kj_parse(file, buf, len, e);
	if (!o)
		return -1;
	const char *ctx = kj_get_str(o, "@context"), *fmt = kj_get_str(o, "bomFormat");
	if (ctx && kstr_starts(ctx, "https://openvex.dev/ns"))
		return read_openvex(vex, o, file, e);
	if (fmt && !strcmp(fmt, "CycloneDX"))
		return read_cdx(vex, o, file, e);
	return kerr_msg(e, EINVAL, "%s: neither OpenVEX (@context https://openvex.dev/ns/...) nor CycloneDX", file);
}

/* "pkg:deb/debian/bsdutils@1%3A2.38...?arch=amd64" -> the part before '?'
 * ('#'), and whether it has a version. */
static size_t base_len(const char *purl, int *has_version)
{
	size_t n = strcspn(purl, "?#");
	*has_version = memchr(purl, '@', n) != NULL;
	return n;
}

static int names_package(const char *vex_purl, const char *pkg_purl)
{
	int vv, pv;
	size_t vn = base_len(vex_purl, &vv), pn = base_len(pkg_purl, &pv);
	if (!vv) {
		const char *at = memchr(pkg_purl, '@', pn);
		pn = at ? (size_t)(at - pkg_purl) : pn;
	}
	return vn == pn && !strncmp(vex_purl, pkg_purl, vn);
}

void kscan_vex_apply(const struct kscan_vex *vex, const struct kscan_inventory *inv, struct kscan_result *res)
{
	for (size_t i = 0; i < res->n; i++) {
		struct kscan_finding *f = &res->v[i];
		_cleanup_free_ char *purl = kscan_purl(inv, &inv->pkgs[f->pkg], 0);
		if (!purl)
			continue;
		for (size_t k = 0; k < vex->n; k++) {
			const struct kscan_vex_stmt *s = &vex->v[k];
			if (strcmp(s->vuln, f->rec.id))
				continue;
			for (char **p = s->products; *p; p++)
				if (names_package(*p, purl))
					f->vex = s;
		}
		if (f->vex && f->verdict == KSCAN_AFFECTED) {
			int was = f->suppressed;
			f->suppressed = !strcmp(f->vex->status, "not_affected") || !strcmp(f->vex->status, "fixed");
			res->suppressed += f->suppressed - was;
		}
	}
}
