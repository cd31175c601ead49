/* The package records of the inventory: freeing, growing, ordering, the
 * ecosystem names, the binNMU rule and purls. */
#include "scan/inventory.h"

#include "common/cleanup.h"
#include "common/str.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const eco_names[] = { [KSCAN_DEB] = "deb", [KSCAN_APK] = "apk", [KSCAN_RPM] = "rpm" };
KAPSEL_DEFINE_NAME_TABLE(kscan_eco, enum kscan_eco, eco_names);

void kscan_pkg_done(struct kscan_pkg *p)
{
	free(p->name);
	free(p->version);
	free(p->source);
	free(p->source_version);
	free(p->arch);
	for (size_t i = 0; i < p->nfiles; i++) {
		free(p->files[i].path);
		free(p->files[i].caps);
	}
	free(p->files);
	memset(p, 0, sizeof(*p));
}

void kscan_pkgs_done(struct kscan_pkgs *p)
{
	for (size_t i = 0; i < p->n; i++)
		kscan_pkg_done(&p->v[i]);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* Append *P (taking its strings); on ENOMEM *P is freed. */
int kscan_pkgs_add(struct kscan_pkgs *ps, struct kscan_pkg *p, kerr *e)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 64;
		struct kscan_pkg *v = realloc(ps->v, cap * sizeof(*v));
		if (!v) {
			kscan_pkg_done(p);
			return kerr_set(e, ENOMEM, "package list");
		}
		ps->v = v;
		ps->cap = cap;
	}
	ps->v[ps->n++] = *p;
	memset(p, 0, sizeof(*p));
	return 0;
}

char *kscan_deb_strip_binnmu(const char *v)
{
	size_t n = strlen(v), i = n;
	while (i > 0 && v[i - 1] >= '0' && v[i - 1] <= '9')
		i--;
	if (i < n && i >= 2 && v[i - 1] == 'b' && v[i - 2] == '+')
		n = i - 2;
	return strndup(v, n);
}

int kscan_pkg_cmp(const void *a, const void *b)
{
	const struct kscan_pkg *x = a, *y = b;
	int r = strcmp(x->name, y->name);
	return r ? r : strcmp(x->arch, y->arch);
}

static char *enc(const char *s)
{
	/* purl: percent-encode all but the unreserved characters */
	size_t n = strlen(s);
	char *out = malloc(3 * n + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr(".-_~", *p))
			*o++ = (char)*p;
		else
			o += sprintf(o, "%%%02X", *p);
	}
	*o = 0;
	return out;
}

static const char *purl_type(enum kscan_eco e)
{
	return e == KSCAN_DEB ? "deb" : e == KSCAN_APK ? "apk" : "rpm";
}

char *kscan_purl(const struct kscan_inventory *inv, const struct kscan_pkg *p, int source)
{
	const char *ns = inv->os_id ? inv->os_id
				    : (p->eco == KSCAN_DEB   ? "debian"
				       : p->eco == KSCAN_APK ? "alpine"
							     : "rpm");
	const char *ver = source ? p->source_version : p->version;
	const char *epoch_end = p->eco == KSCAN_RPM ? strchr(ver, ':') : NULL;
	_cleanup_free_ char *name = enc(source ? p->source : p->name);
	_cleanup_free_ char *v = enc(epoch_end ? epoch_end + 1 : ver);
	_cleanup_free_ char *arch = enc(source ? "source" : p->arch);
	_cleanup_free_ char *distro = inv->os_version_id ? kstr_printf("%s-%s", ns, inv->os_version_id) : NULL;
	_cleanup_free_ char *d = distro ? enc(distro) : NULL;
	_cleanup_free_ char *epoch = epoch_end ? strndup(ver, (size_t)(epoch_end - ver)) : NULL;
	if (!name || !v || !arch || (distro && !d))
		return NULL;
	/* qualifiers sorted by key, as the purl spec's canonical form wants */
	return kstr_printf("pkg:%s/%s/%s@%s?arch=%s%s%s%s%s", purl_type(p->eco), ns, name, v, arch, d ? "&distro=" : "",
			   d ? d : "", epoch ? "&epoch=" : "", epoch ? epoch : "");
}

