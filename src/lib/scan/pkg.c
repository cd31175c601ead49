/* The package records of the inventory: freeing, growing, the ecosystem
 * names and the binNMU rule. */
#include "scan/inventory.h"

#include <errno.h>
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
