/* rpm version comparison: rpmvercmp's segment rule and rpmverCmp's
 * epoch:version-release split, as rpm 4.18 (Debian 12's) behaves; the
 * reference is rpm's own tests/rpmvercmp.at (tests/unit/data/rpm.vec). */
#include "scan/version.h"

#include <string.h>

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_sep(int c)
{
	return c && !is_digit(c) && !is_alpha(c) && c != '~' && c != '^';
}

/* [A, A+NA) against [B, B+NB). */
static int vercmp_n(const char *a, size_t na, const char *b, size_t nb)
{
	if (na == nb && !memcmp(a, b, na))
		return 0;
	size_t i = 0, j = 0;
#define CA (i < na ? (unsigned char)a[i] : 0)
#define CB (j < nb ? (unsigned char)b[j] : 0)
	while (CA || CB) {
		while (is_sep(CA))
			i++;
		while (is_sep(CB))
			j++;
		if (CA == '~' || CB == '~') {
			if (CA != '~')
				return 1;
			if (CB != '~')
				return -1;
			i++, j++;
			continue;
		}
		if (CA == '^' || CB == '^') {
			if (!CA)
				return -1;
			if (!CB)
				return 1;
			if (CA != '^')
				return 1;
			if (CB != '^')
				return -1;
			i++, j++;
			continue;
		}
		if (!CA || !CB)
			break;
		size_t si = i, sj = j;
		int num = is_digit(CA);
		int (*same)(int) = num ? is_digit : is_alpha;
		while (same(CA))
			i++;
		while (same(CB))
			j++;
		if (sj == j)
			return num ? 1 : -1; /* a number beats a word */
		if (num) {
			while (si < i && a[si] == '0')
				si++;
			while (sj < j && b[sj] == '0')
				sj++;
			if (i - si != j - sj)
				return i - si > j - sj ? 1 : -1;
		}
		size_t la = i - si, lb = j - sj, l = la < lb ? la : lb;
		int r = memcmp(a + si, b + sj, l);
		if (!r && la != lb)
			r = la < lb ? -1 : 1;
		if (r)
			return r < 0 ? -1 : 1;
	}
	if (!CA && !CB)
		return 0;
	return !CA ? -1 : 1;
#undef CA
#undef CB
}

int kver_rpmvercmp(const char *a, const char *b)
{
	return vercmp_n(a, strlen(a), b, strlen(b));
}

struct evr {
	const char *e, *v, *r; /* e and r may be NULL */
	size_t ne, nv, nr;
};

/* The epoch is the leading digits before a ':'; the release follows the
 * last '-' after them. */
static void split(const char *s, struct evr *x)
{
	const char *p = s;
	while (is_digit(*p))
		p++;
	const char *dash = strrchr(p, '-');
	if (*p == ':') {
		x->e = s;
		x->ne = (size_t)(p - s);
		if (!x->ne)
			x->e = "0", x->ne = 1;
		x->v = p + 1;
	} else {
		x->e = NULL;
		x->ne = 0;
		x->v = s;
	}
	if (dash) {
		x->nv = (size_t)(dash - x->v);
		x->r = dash + 1;
		x->nr = strlen(x->r);
	} else {
		x->nv = strlen(x->v);
		x->r = NULL;
		x->nr = 0;
	}
}

int kver_rpm_cmp(const char *a, const char *b)
{
	struct evr x, y;
	split(a ? a : "", &x);
	split(b ? b : "", &y);
	int r = vercmp_n(x.e ? x.e : "0", x.e ? x.ne : 1, y.e ? y.e : "0", y.e ? y.ne : 1);
	if (!r)
		r = vercmp_n(x.v, x.nv, y.v, y.nv);
	if (!r && x.r && y.r)
		r = vercmp_n(x.r, x.nr, y.r, y.nr);
	else if (!r && (x.r || y.r))
		r = x.r ? 1 : -1; /* rpm.vercmp: a release beats none, even "" */
	return r;
}
