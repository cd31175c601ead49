#include "units.h"

#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* "123" or "123.45" at *p: the value, *p moved past it.  -1 if no digits. */
static int number(const char **p, long double *out)
{
	const char *s = *p;
	long double v = 0;
	int digits = 0;
	for (; isdigit((unsigned char)*s); s++, digits++)
		v = v * 10 + (*s - '0');
	if (*s == '.') {
		long double scale = 0.1L;
		int frac = 0;
		for (s++; isdigit((unsigned char)*s); s++, frac++, scale /= 10)
			v += (*s - '0') * scale;
		if (!frac && !digits)
			return -1;
		digits += frac;
	}
	if (!digits)
		return -1;
	*p = s;
	*out = v;
	return 0;
}

int kunits_parse_size(const char *what, const char *s, int64_t *out, kerr *e)
{
	if (!strcmp(s, "-1")) {
		*out = -1;
		return 0;
	}
	const char *p = s;
	long double v, mul = 1;
	if (number(&p, &v) < 0)
		goto bad;
	if (*p == ' ')
		p++;
	static const char units[] = "kmgtp";
	const char *u = *p ? strchr(units, tolower((unsigned char)*p)) : NULL;
	if (u) {
		for (const char *q = units; q <= u; q++)
			mul *= 1024;
		p++;
		if (*p == 'i' || *p == 'I')
			p++;
	}
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p)
		goto bad;
	v *= mul;
	if (v >= 9223372036854775807.0L)
		return kerr_msg(e, ERANGE, "%s: \"%s\" is too large", what, s);
	*out = (int64_t)v;
	return 0;
bad:
	return kerr_msg(e, EINVAL, "%s: \"%s\" is not a size (bytes, or a number with k, m, g, t or p, or -1 for unlimited)",
			what, s);
}

int kunits_parse_duration(const char *what, const char *s, int64_t *out_ns, kerr *e)
{
	static const struct {
		const char *name;
		long double ns;
	} units[] = {
		/* longest first where one is a prefix of another ("ms" before "m") */
		{ "ns", 1 }, { "us", 1e3L }, { "\xc2\xb5s", 1e3L }, { "\xce\xbcs", 1e3L },
		{ "ms", 1e6L }, { "s", 1e9L }, { "m", 60e9L }, { "h", 3600e9L },
	};
	const char *p = s;
	long double total = 0;
	int neg = 0;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!strcmp(p, "0")) {
		*out_ns = 0;
		return 0;
	}
	if (!*p)
		goto bad;
	while (*p) {
		long double v;
		if (number(&p, &v) < 0)
			goto bad;
		size_t best = 0, bi = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].name);
			if (l > best && !strncmp(p, units[i].name, l)) {
				best = l;
				bi = i;
			}
		}
		if (!best)
			return kerr_msg(e, EINVAL, "%s: \"%s\" has a number without a unit (ns, us, ms, s, m or h)",
					what, s);
		total += v * units[bi].ns;
		p += best;
	}
	if (total >= 9223372036854775807.0L)
		return kerr_msg(e, ERANGE, "%s: \"%s\" is too long", what, s);
	*out_ns = neg ? -(int64_t)total : (int64_t)total;
	return 0;
bad:
	return kerr_msg(e, EINVAL, "%s: \"%s\" is not a duration (like 5s, 500ms or 1m30s)", what, s);
}

void kunits_human_size(int64_t bytes, char *buf, size_t n)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	double v = (double)bytes;
	size_t i = 0;
	while (v >= 1000 && i < sizeof(unit) / sizeof(unit[0]) - 1) {
		v /= 1000;
		i++;
	}
	snprintf(buf, n, "%.4g%s", v, unit[i]);
}

void kunits_human_duration(int64_t sec, char *buf, size_t n)
{
	int64_t minutes = sec / 60, hours = (sec + 1800) / 3600;
	if (sec < 1)
		snprintf(buf, n, "Less than a second");
	else if (sec == 1)
		snprintf(buf, n, "1 second");
	else if (sec < 60)
		snprintf(buf, n, "%lld seconds", (long long)sec);
	else if (minutes == 1)
		snprintf(buf, n, "About a minute");
	else if (minutes < 60)
		snprintf(buf, n, "%lld minutes", (long long)minutes);
	else if (hours == 1)
		snprintf(buf, n, "About an hour");
	else if (hours < 48)
		snprintf(buf, n, "%lld hours", (long long)hours);
	else if (hours < 24 * 7 * 2)
		snprintf(buf, n, "%lld days", (long long)(hours / 24));
	else if (hours < 24 * 30 * 2)
		snprintf(buf, n, "%lld weeks", (long long)(hours / 24 / 7));
	else if (hours < 24 * 365 * 2)
		snprintf(buf, n, "%lld months", (long long)(hours / 24 / 30));
	else
		snprintf(buf, n, "%lld years", (long long)(sec / 3600 / 24 / 365));
}
