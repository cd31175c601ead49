/* RFC 3339 timestamps, always in UTC ("Z").  One formatter for every
 * part: the OCI state's "created", the log lines, the decision log, the
 * reports, and the log drivers, which must write Docker's exact format. */
#ifndef KAPSEL_TIME_H
#define KAPSEL_TIME_H

#include <stddef.h>
#include <time.h>

#define KTIME_BUFSZ 40 /* enough for every style */

enum ktime_style {
	KTIME_SECONDS,    /* 2026-12-02T13:04:05Z */
	KTIME_MICRO,      /* 2026-12-02T13:04:05.000123Z (always 6 digits) */
	KTIME_NANO,       /* 2026-12-02T13:04:05.000123456Z (always 9 digits) */
	KTIME_NANO_TRIM,  /* Go's RFC3339Nano, as Docker writes it: trailing zeros
			   * of the fraction dropped, no dot when it is zero
			   * (2026-12-02T13:04:05.1Z, 2026-12-02T13:04:05Z) */
};

/* Format TS (CLOCK_REALTIME) into BUF.  Returns the length, or -1 when BUF
 * is too small or the time cannot be represented (errno EOVERFLOW). */
int ktime_format(char *buf, size_t n, const struct timespec *ts, enum ktime_style style);
/* The current time. */
int ktime_now(char *buf, size_t n, enum ktime_style style);
/* Parse an RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS, an optional fraction
 * of 1 to 9 digits, then Z or +hh:mm / -hh:mm ('t' and 'z' accepted, as the
 * RFC allows).  Returns 0, or -1 with errno EINVAL on anything else
 * (including trailing text and out-of-range fields). */
int ktime_parse(const char *s, struct timespec *out);

#endif
