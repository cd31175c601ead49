/* Unit tests for common/time.c: RFC 3339 formatting in every style (Docker's
 * trimmed RFC3339Nano among them) and strict parsing. */
#include "common/time.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_format_styles(void **state)
{
	(void)state;
	/* 2026-12-02T13:04:05Z is 1796216645 (date -u -d @1796216645) */
	static const struct { long sec, ns; enum ktime_style st; const char *want; } t[] = {
		{ 1796216645, 123456789, KTIME_SECONDS, "2026-12-02T13:04:05Z" },
		{ 1796216645, 123456789, KTIME_MICRO, "2026-12-02T13:04:05.123456Z" },
		{ 1796216645, 123456789, KTIME_NANO, "2026-12-02T13:04:05.123456789Z" },
		{ 1796216645, 123456789, KTIME_NANO_TRIM, "2026-12-02T13:04:05.123456789Z" },
		{ 1796216645, 100000000, KTIME_NANO_TRIM, "2026-12-02T13:04:05.1Z" },
		{ 1796216645, 120, KTIME_NANO_TRIM, "2026-12-02T13:04:05.00000012Z" },
		{ 1796216645, 0, KTIME_NANO_TRIM, "2026-12-02T13:04:05Z" },
		{ 1796216645, 0, KTIME_NANO, "2026-12-02T13:04:05.000000000Z" },
		{ 1796216645, 999, KTIME_MICRO, "2026-12-02T13:04:05.000000Z" },
		{ 0, 0, KTIME_SECONDS, "1970-01-01T00:00:00Z" },
		{ 951782400, 0, KTIME_SECONDS, "2000-02-29T00:00:00Z" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char buf[KTIME_BUFSZ];
		struct timespec ts = { .tv_sec = t[i].sec, .tv_nsec = t[i].ns };
		int n = ktime_format(buf, sizeof(buf), &ts, t[i].st);
		assert_int_equal(n, (int)strlen(t[i].want));
		assert_string_equal(buf, t[i].want);
	}
}

static void test_format_errors(void **state)
{
	(void)state;
	char buf[KTIME_BUFSZ];
	struct timespec ts = { .tv_sec = 1796216645, .tv_nsec = 5 };
	assert_int_equal(ktime_format(buf, 20, &ts, KTIME_SECONDS), -1); /* needs 21 with the NUL */
	assert_int_equal(ktime_format(buf, 21, &ts, KTIME_SECONDS), 20);
	ts.tv_nsec = 1000000000;
	errno = 0;
	assert_int_equal(ktime_format(buf, sizeof(buf), &ts, KTIME_NANO), -1);
	assert_int_equal(errno, EINVAL);
	ts.tv_nsec = 0;
	ts.tv_sec = 253402300800; /* year 10000 */
	assert_int_equal(ktime_format(buf, sizeof(buf), &ts, KTIME_SECONDS), -1);
	assert_true(ktime_now(buf, sizeof(buf), KTIME_NANO) == 30);
}

static void test_parse(void **state)
{
	(void)state;
	static const struct { const char *s; long sec, ns; } ok[] = {
		{ "2026-12-02T13:04:05Z", 1796216645, 0 },
		{ "2026-12-02T13:04:05.123456789Z", 1796216645, 123456789 },
		{ "2026-12-02T13:04:05.1Z", 1796216645, 100000000 },
		{ "2026-12-02t13:04:05z", 1796216645, 0 },
		{ "2026-12-02T14:04:05+01:00", 1796216645, 0 },
		{ "2026-12-02T08:34:05-04:30", 1796216645, 0 },
		{ "2000-02-29T00:00:00Z", 951782400, 0 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct timespec ts = { 0 };
		if (ktime_parse(ok[i].s, &ts) != 0)
			fail_msg("%s does not parse", ok[i].s);
		assert_int_equal(ts.tv_sec, ok[i].sec);
		assert_int_equal(ts.tv_nsec, ok[i].ns);
	}
	static const char *const bad[] = {
		"", "2026-12-02", "2026-12-02T13:04:05", "2026-12-02 13:04:05Z", "2026-12-02T13:04:05.Z",
		"2026-12-02T13:04:05.1234567891Z", "2026-13-02T13:04:05Z", "2026-02-30T00:00:00Z",
		"2025-02-29T00:00:00Z", "2026-12-02T24:00:00Z", "2026-12-02T13:04:05Zjunk", "2026-12-02T13:04:05+0100",
		"2026-12-02T13:04:05+24:00", "+026-12-02T13:04:05Z", "2026-1-02T13:04:05Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct timespec ts;
		errno = 0;
		if (ktime_parse(bad[i], &ts) != -1 || errno != EINVAL)
			fail_msg("\"%s\" parses", bad[i]);
	}
	struct timespec ts;
	assert_int_equal(ktime_parse(NULL, &ts), -1);
	/* round trip through the formatter */
	char buf[KTIME_BUFSZ];
	struct timespec in = { .tv_sec = 1796216645, .tv_nsec = 7 }, out;
	ktime_format(buf, sizeof(buf), &in, KTIME_NANO_TRIM);
	assert_int_equal(ktime_parse(buf, &out), 0);
	assert_int_equal(out.tv_sec, in.tv_sec);
	assert_int_equal(out.tv_nsec, in.tv_nsec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_styles),
		cmocka_unit_test(test_format_errors),
		cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
