/* Reading an SBOM back into an inventory (sbom.h): the purls of
 * CycloneDX components or SPDX packages, the source package from
 * kapsel's own properties, trivy's (aquasecurity:trivy:SrcName and
 * SrcVersion), a CycloneDX pedigree ancestor or an SPDX GENERATED_FROM
 * relationship, the release from the purl's distro qualifier. */
#include "scan/sbom.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/str.h"
#include "scan/inventory.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct purl {
	char *type, *ns, *name, *version, *arch, *distro, *epoch;
};

static void purl_done(struct purl *p)
{
	free(p->type);
	free(p->ns);
	free(p->name);
	free(p->version);
	free(p->arch);
	free(p->distro);
	free(p->epoch);
	memset(p, 0, sizeof(*p));
}

static char *dec(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n) {
			char hx[3] = { s[i + 1], s[i + 2], 0 };
			char *end;
			long v = strtol(hx, &end, 16);
			if (end == hx + 2) {
				*o++ = (char)v;
				i += 2;
				continue;
			}
		}
		*o++ = s[i];
	}
	*o = 0;
	return out;
}

/* pkg:TYPE/NAMESPACE/NAME@VERSION?k=v&k=v  (0, or -1 when not a purl) */
static int purl_parse(const char *s, struct purl *p)
{
	memset(p, 0, sizeof(*p));
	if (!kstr_starts(s, "pkg:"))
		return -1;
	s += 4;
	const char *q = strchr(s, '?'), *hash = strchr(s, '#');
	size_t n = q ? (size_t)(q - s) : hash ? (size_t)(hash - s) : strlen(s);
	const char *at = memchr(s, '@', n);
	const char *slash1 = memchr(s, '/', n);
	if (!slash1 || !at)
		return -1;
	const char *slash2 = memchr(slash1 + 1, '/', (size_t)(at - slash1 - 1));
	p->type = strndup(s, (size_t)(slash1 - s));
	if (slash2) {
		p->ns = dec(slash1 + 1, (size_t)(slash2 - slash1 - 1));
		p->name = dec(slash2 + 1, (size_t)(at - slash2 - 1));
	} else {
		p->ns = strdup("");
		p->name = dec(slash1 + 1, (size_t)(at - slash1 - 1));
	}
	p->version = dec(at + 1, (size_t)(s + n - at - 1));
	for (const char *k = q ? q + 1 : NULL; k && *k && *k != '#';) {
		const char *amp = strpbrk(k, "&#");
		size_t kl = amp ? (size_t)(amp - k) : strlen(k);
		const char *eq = memchr(k, '=', kl);
		if (eq) {
			char **slot = !strncmp(k, "arch=", 5)     ? &p->arch
				      : !strncmp(k, "distro=", 7) ? &p->distro
				      : !strncmp(k, "epoch=", 6)  ? &p->epoch
								  : NULL;
			if (slot && !*slot)
				*slot = dec(eq + 1, (size_t)(k + kl - eq - 1));
		}
		k = amp && *amp == '&' ? amp + 1 : NULL;
	}
	if (!p->type || !p->ns || !p->name || !p->version) {
		purl_done(p);
		return -1;
	}
	return 0;
}

static int eco_of(const char *type, enum kscan_eco *out)
{
	if (!strcmp(type, "deb"))
		*out = KSCAN_DEB;
	else if (!strcmp(type, "apk"))
		*out = KSCAN_APK;
	else if (!strcmp(type, "rpm"))
		*out = KSCAN_RPM;
	else
		return -1;
	return 0;
}

/* A property value of a CycloneDX component. */
static const char *cdx_prop(json_object *c, const char *name)
{
	json_object *props = kj_get(c, "properties");
	for (size_t i = 0; props && json_object_is_type(props, json_type_array) && i < json_object_array_length(props);
	     i++) {
		json_object *x = json_object_array_get_idx(props, i);
		const char *n = kj_get_str(x, "name");
		if (n && !strcmp(n, name))
			return kj_get_str(x, "value");
	}
	return NULL;
}

/* Fill INV's release from a purl's distro ("debian-12", "alpine-3.19.1"). */
static int take_distro(struct kscan_inventory *inv, const struct purl *p)
{
	if (inv->os_id || !p->distro)
		return 0;
	const char *dash = strrchr(p->distro, '-');
	if (dash) {
		inv->os_id = strndup(p->distro, (size_t)(dash - p->distro));
		inv->os_version_id = strdup(dash + 1);
	} else {
		/* "bookworm" */
		inv->os_id = strdup(p->ns);
		inv->os_codename = strdup(p->distro);
	}
	return inv->os_id ? 0 : -1;
}

static int add_purl(struct kscan_pkgs *ps, struct kscan_inventory *inv, const char *purl, const char *src,
		    const char *srcver, const char *file, kerr *e)
{
	struct purl p;
	enum kscan_eco eco;
	if (purl_parse(purl, &p) < 0)
		return 0;
	if (eco_of(p.type, &eco) < 0 || (p.arch && !strcmp(p.arch, "source"))) {
		purl_done(&p);
		return 0;
	}
	struct kscan_pkg k = { .eco = eco, .layer = KSCAN_NO_LAYER };
	k.name = strdup(p.name);
	k.version = p.epoch ? kstr_printf("%s:%s", p.epoch, p.version) : strdup(p.version);
	k.arch = strdup(p.arch ? p.arch : "");
	k.source = strdup(src && *src ? src : p.name);
	k.source_version = srcver && *srcver               ? strdup(srcver)
			   : eco == KSCAN_DEB && k.version ? kscan_deb_strip_binnmu(k.version)
							   : kstr_dup(k.version);
	int r = take_distro(inv, &p);
	purl_done(&p);
	if (r < 0 || !k.name || !k.version || !k.arch || !k.source || !k.source_version) {
		kscan_pkg_done(&k);
		return kerr_set(e, ENOMEM, "%s", file);
	}
	return kscan_pkgs_add(ps, &k, e);
}

static int read_cdx(json_object *o, const char *file, struct kscan_pkgs *ps, struct kscan_inventory *inv, kerr *e)
{
	json_object *comps = kj_get(o, "components");
	if (comps && !json_object_is_type(comps, json_type_array))
		return kerr_msg(e, EINVAL, "%s: components: expected an array", file);
	for (size_t i = 0; comps && i < json_object_array_length(comps); i++) {
		json_object *c = json_object_array_get_idx(comps, i);
		const char *purl = kj_get_str(c, "purl");
		if (!purl)
			continue;
		const char *src = cdx_prop(c, "kapsel:source:name"), *sv = cdx_prop(c, "kapsel:source:version");
		if (!src)
			src = cdx_prop(c, "aquasecurity:trivy:SrcName"),
			sv = cdx_prop(c, "aquasecurity:trivy:SrcVersion");
		json_object *anc = kj_get(kj_get(c, "pedigree"), "ancestors");
		if (!src && anc && json_object_is_type(anc, json_type_array) && json_object_array_length(anc)) {
			json_object *a = json_object_array_get_idx(anc, 0);
			src = kj_get_str(a, "name");
			sv = kj_get_str(a, "version");
		}
		if (add_purl(ps, inv, purl, src, sv, file, e) < 0)
			return -1;
	}
	return 0;
}

static const char *spdx_purl(json_object *p)
{
	json_object *refs = kj_get(p, "externalRefs");
	for (size_t i = 0; refs && json_object_is_type(refs, json_type_array) && i < json_object_array_length(refs);
	     i++) {
		json_object *r = json_object_array_get_idx(refs, i);
		const char *t = kj_get_str(r, "referenceType");
		if (t && !strcmp(t, "purl"))
			return kj_get_str(r, "referenceLocator");
	}
	return NULL;
}

static json_object *spdx_find(json_object *pkgs, const char *id)
{
	for (size_t i = 0; i < json_object_array_length(pkgs); i++) {
		json_object *p = json_object_array_get_idx(pkgs, i);
		const char *x = kj_get_str(p, "SPDXID");
		if (x && !strcmp(x, id))
			return p;
	}
	return NULL;
}

static int read_spdx(json_object *o, const char *file, struct kscan_pkgs *ps, struct kscan_inventory *inv, kerr *e)
{
	json_object *pkgs = kj_get(o, "packages"), *rels = kj_get(o, "relationships");
	if (!pkgs || !json_object_is_type(pkgs, json_type_array))
		return kerr_msg(e, EINVAL, "%s: packages: expected an array", file);
	for (size_t i = 0; i < json_object_array_length(pkgs); i++) {
		json_object *p = json_object_array_get_idx(pkgs, i);
		const char *purl = spdx_purl(p), *id = kj_get_str(p, "SPDXID");
		if (!purl || !id)
			continue;
		const char *src = NULL, *sv = NULL;
		for (size_t j = 0;
		     rels && json_object_is_type(rels, json_type_array) && j < json_object_array_length(rels); j++) {
			json_object *r = json_object_array_get_idx(rels, j);
			const char *a = kj_get_str(r, "spdxElementId"), *t = kj_get_str(r, "relationshipType");
			const char *b = kj_get_str(r, "relatedSpdxElement");
			if (a && t && b && !strcmp(a, id) && !strcmp(t, "GENERATED_FROM")) {
				json_object *s = spdx_find(pkgs, b);
				src = kj_get_str(s, "name");
				sv = kj_get_str(s, "versionInfo");
			}
		}
		if (add_purl(ps, inv, purl, src, sv, file, e) < 0)
			return -1;
	}
	return 0;
}

int kscan_sbom_read(const char *buf, size_t len, const char *file, struct kscan_inventory *inv, kerr *e)
{
	memset(inv, 0, sizeof(*inv));
	_cleanup_json_ json_object *o = kj_parse(file, buf, len, e);
	if (!o)
		return -1;
	struct kscan_pkgs ps = { 0 };
	int r;
	const char *fmt = kj_get_str(o, "bomFormat");
	if (fmt && !strcmp(fmt, "CycloneDX"))
		r = read_cdx(o, file, &ps, inv, e);
	else if (kj_get_str(o, "spdxVersion"))
		r = read_spdx(o, file, &ps, inv, e);
	else
		r = kerr_msg(e, EINVAL, "%s: neither a CycloneDX (bomFormat) nor an SPDX (spdxVersion) JSON document",
			     file);
	if (r == 0 && !ps.n)
		r = kerr_msg(e, ENOPKG, "%s: no OS packages (pkg:deb, pkg:apk or pkg:rpm purls)", file);
	if (r < 0) {
		kscan_pkgs_done(&ps);
		kscan_inventory_done(inv);
		return -1;
	}
	inv->eco = ps.v[0].eco;
	inv->db = strdup(file);
	inv->pkgs = ps.v;
	inv->npkgs = ps.n;
	qsort(inv->pkgs, inv->npkgs, sizeof(*inv->pkgs), kscan_pkg_cmp);
	return 0;
}
