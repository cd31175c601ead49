/* Debian version comparison (deb-version(7)): the algorithm dpkg's
 * verrevcmp implements, written from the manual's description. */
#include "scan/version.h"

#include <stdlib.h>
#include <string.h>

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The weight of a non-digit: '~' below the end, the end (and a digit)
 * zero, letters by ASCII, everything else after the letters. */
static int weight(int c)
{
	if (c == '~')
		return -1;
	if (!c || is_digit(c))
		return 0;
	if (is_alpha(c))
		return c;
	return c + 256;
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* Compare [A, A+NA) and [B, B+NB): one upstream version or revision. */
static int cmp_part(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i = 0, j = 0;
#define AT(s, k, n) ((k) < (n) ? (unsigned char)(s)[k] : 0)
	while (i < na || j < nb) {
		while ((i < na && !is_digit(AT(a, i, na))) || (j < nb && !is_digit(AT(b, j, nb)))) {
			int wa = weight(AT(a, i, na)), wb = weight(AT(b, j, nb));
			if (wa != wb)
				return sign(wa - wb);
			i++;
			j++;
		}
		while (AT(a, i, na) == '0')
			i++;
		while (AT(b, j, nb) == '0')
			j++;
		int first = 0;
		while (is_digit(AT(a, i, na)) && is_digit(AT(b, j, nb))) {
			if (!first)
				first = AT(a, i, na) - AT(b, j, nb);
			i++;
			j++;
		}
		if (is_digit(AT(a, i, na)))
			return 1;
		if (is_digit(AT(b, j, nb)))
			return -1;
		if (first)
			return sign(first);
	}
#undef AT
	return 0;
}

struct debver {
	unsigned long long epoch;
	const char *up;
	size_t nup;
	const char *rev;
	size_t nrev;
};

static void split(const char *v, struct debver *d)
{
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	d->epoch = 0;
	const char *colon = memchr(v, ':', n);
	if (colon) {
		d->epoch = strtoull(v, NULL, 10);
		n -= (size_t)(colon + 1 - v);
		v = colon + 1;
	}
	const char *dash = NULL;
	for (size_t i = 0; i < n; i++)
		if (v[i] == '-')
			dash = v + i;
	d->up = v;
	d->nup = dash ? (size_t)(dash - v) : n;
	d->rev = dash ? dash + 1 : v + n;
	d->nrev = dash ? n - d->nup - 1 : 0;
}

int kver_deb_cmp(const char *a, const char *b)
{
	struct debver x, y;
	split(a ? a : "", &x);
	split(b ? b : "", &y);
	if (x.epoch != y.epoch)
		return x.epoch < y.epoch ? -1 : 1;
	int r = cmp_part(x.up, x.nup, y.up, y.nup);
	return r ? r : cmp_part(x.rev, x.nrev, y.rev, y.nrev);
}

/* deb-version(7): the epoch a small unsigned number, the upstream part
 * starting with a digit and of [A-Za-z0-9.+~-:] (':' only with an epoch,
 * '-' only with a revision), the revision of [A-Za-z0-9.+~]. */
int kver_deb_valid(const char *v)
{
	if (!v)
		return 0;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (!n)
		return 0;
	char buf[256];
	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, v, n);
	buf[n] = 0;
	v = buf;
	struct debver d;
	const char *colon = strchr(v, ':');
	if (colon) {
		if (colon == v || colon - v > 9)
			return 0;
		for (const char *p = v; p < colon; p++)
			if (!is_digit(*p))
				return 0;
	}
	for (const char *p = v; *p; p++)
		if (*p == ' ' || *p == '\t')
			return 0;
	split(v, &d);
	if (!d.nup || !is_digit(d.up[0]) || (d.rev > d.up + d.nup && !d.nrev))
		return 0;
	for (size_t i = 0; i < d.nup; i++) {
		int c = d.up[i];
		if (!is_digit(c) && !is_alpha(c) && !strchr(".+~-:", c))
			return 0;
	}
	for (size_t i = 0; i < d.nrev; i++) {
		int c = d.rev[i];
		if (!is_digit(c) && !is_alpha(c) && !strchr(".+~", c))
			return 0;
	}
	return 1;
}
