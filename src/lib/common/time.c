#include "time.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int ktime_format(char *buf, size_t n, const struct timespec *ts, enum ktime_style style)
{
	struct tm tm;
	if (!gmtime_r(&ts->tv_sec, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		errno = EOVERFLOW;
		return -1;
	}
	char frac[24] = "";
	long ns = ts->tv_nsec;
	if (ns < 0 || ns > 999999999) {
		errno = EINVAL;
		return -1;
	}
	switch (style) {
	case KTIME_SECONDS:
		break;
	case KTIME_MICRO:
		snprintf(frac, sizeof(frac), ".%06ld", ns / 1000);
		break;
	case KTIME_NANO:
		snprintf(frac, sizeof(frac), ".%09ld", ns);
		break;
	case KTIME_NANO_TRIM:
		if (ns) {
			snprintf(frac, sizeof(frac), ".%09ld", ns);
			size_t l = strlen(frac);
			while (l > 1 && frac[l - 1] == '0')
				frac[--l] = '\0';
		}
		break;
	}
	int l = snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	if (l < 0 || (size_t)l >= n) {
		errno = ENOSPC;
		return -1;
	}
	return l;
}

int ktime_now(char *buf, size_t n, enum ktime_style style)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ktime_format(buf, n, &ts, style);
}

/* N digits at *P as a number; advances P */
static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int expect(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int ktime_parse(const char *s, struct timespec *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int Y, M, D, h, m, sec, oh = 0, om = 0, sign = 0;
	long ns = 0;
	const char *p = s;
	if (!s || digits(&p, 4, &Y) || expect(&p, '-') || digits(&p, 2, &M) || expect(&p, '-') ||
	    digits(&p, 2, &D) || (*p != 'T' && *p != 't') || !++p || digits(&p, 2, &h) || expect(&p, ':') ||
	    digits(&p, 2, &m) || expect(&p, ':') || digits(&p, 2, &sec))
		goto bad;
	if (*p == '.') {
		p++;
		int nd = 0;
		while (isdigit((unsigned char)*p)) {
			if (++nd > 9)
				goto bad;
			ns = ns * 10 + (*p++ - '0');
		}
		if (!nd)
			goto bad;
		for (; nd < 9; nd++)
			ns *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (digits(&p, 2, &oh) || expect(&p, ':') || digits(&p, 2, &om) || oh > 23 || om > 59)
			goto bad;
	} else {
		goto bad;
	}
	if (*p || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] + (M == 2 && leap(Y)) || h > 23 || m > 59 ||
	    sec > 60)
		goto bad;
	struct tm tm = { .tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h, .tm_min = m,
			 .tm_sec = sec };
	time_t t = timegm(&tm);
	out->tv_sec = t - sign * (oh * 3600 + om * 60);
	out->tv_nsec = ns;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}
