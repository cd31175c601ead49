/* Unit tests for common/units.c: memory sizes as docker/go-units reads
 * them and Go durations, the values exactly, and every refusal naming the
 * option and the text. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/units.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define KI 1024LL
#define MI (KI * KI)
#define GI (MI * KI)
#define TI (GI * KI)
#define PI (TI * KI)

typedef int (*parse_fn)(const char *what, const char *s, int64_t *out, kerr *e);
struct ok_case {
	const char *in;
	int64_t out;
};

static void check_ok(parse_fn parse, const struct ok_case *ok, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t v = 12345;
		kerr e = { 0 };
		if (parse("--opt", ok[i].in, &v, &e) != 0)
			fail_msg("\"%s\": %s", ok[i].in, e.msg);
		if (v != ok[i].out)
			fail_msg("\"%s\": %lld, want %lld", ok[i].in, (long long)v, (long long)ok[i].out);
	}
}

static void test_sizes(void **state)
{
	(void)state;
	static const struct ok_case ok[] = {
		{ "0", 0 },
		{ "1024", 1024 },
		{ "1024b", 1024 },
		{ "1024B", 1024 },
		{ "1k", KI },
		{ "1K", KI },
		{ "1kb", KI },
		{ "1KiB", KI },
		{ "1ki", KI },
		{ "64m", 64 * MI },
		{ "64M", 64 * MI },
		{ "512MiB", 512 * MI },
		{ "512mb", 512 * MI },
		{ "1.5g", 3 * GI / 2 },
		{ "2G", 2 * GI },
		{ "1t", TI },
		{ "1p", PI },
		{ "10 k", 10 * KI },
		{ "5 ", 5 },
		{ ".5k", 512 },
		{ "5.", 5 },
		{ "0.001k", 1 },
		{ "-1", -1 },
		{ "8191p", 8191 * PI },
	};
	check_ok(kunits_parse_size, ok, sizeof(ok) / sizeof(ok[0]));
}

static void test_bad_sizes(void **state)
{
	(void)state;
	static const char *bad[] = {
		"", "abc", "k", "5x", "5kk", " 5", "-2", "1.2.3", "5kib2", "5bi", ".", "5  k", "0x10",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = 777;
		kerr e = { 0 };
		char want[64];
		assert_int_equal(kunits_parse_size("--memory", bad[i], &v, &e), -1);
		assert_int_equal(e.errnum, EINVAL);
		assert_int_equal(v, 777); /* untouched */
		snprintf(want, sizeof(want), "--memory: \"%s\" is not a size", bad[i]);
		if (strncmp(e.msg, want, strlen(want)))
			fail_msg("\"%s\": %s", bad[i], e.msg);
	}
	kerr e = { 0 };
	int64_t v;
	assert_int_equal(kunits_parse_size("--memory", "8192p", &v, &e), -1);
	assert_int_equal(e.errnum, ERANGE);
	assert_string_equal(e.msg, "--memory: \"8192p\" is too large");
}

static void test_durations(void **state)
{
	(void)state;
	static const struct ok_case ok[] = {
		{ "0", 0 },
		{ "-0", 0 },
		{ "100ns", 100 },
		{ "10us", 10000 },
		{ "10\xc2\xb5s", 10000 }, /* U+00B5 micro sign */
		{ "10\xce\xbcs", 10000 }, /* U+03BC Greek mu */
		{ "500ms", 500000000 },
		{ "5s", 5000000000LL },
		{ "1.5s", 1500000000LL },
		{ "1m", 60000000000LL },
		{ "1m30s", 90000000000LL },
		{ "1h", 3600000000000LL },
		{ "1h2m3s4ms5us6ns", 3723004005006LL },
		{ "1.5h", 5400000000000LL },
		{ "0s", 0 },
		{ "+5s", 5000000000LL },
		{ "-5s", -5000000000LL },
		{ "2562047h", 2562047LL * 3600000000000LL },
	};
	check_ok(kunits_parse_duration, ok, sizeof(ok) / sizeof(ok[0]));
}

static void test_bad_durations(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		const char *msg;
	} bad[] = {
		{ "", "is not a duration (like 5s, 500ms or 1m30s)" },
		{ "-", "is not a duration" },
		{ "s", "is not a duration" },
		{ "5s ", "is not a duration" },
		{ "1.2.3s", "has a number without a unit" },
		{ "5", "has a number without a unit (ns, us, ms, s, m or h)" },
		{ "5x", "has a number without a unit" },
		{ "1e9s", "has a number without a unit" },
		{ "5S", "has a number without a unit" },
		{ "1d", "has a number without a unit" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = 777;
		kerr e = { 0 };
		char want[128];
		assert_int_equal(kunits_parse_duration("--interval", bad[i].in, &v, &e), -1);
		assert_int_equal(e.errnum, EINVAL);
		assert_int_equal(v, 777);
		snprintf(want, sizeof(want), "--interval: \"%s\" %s", bad[i].in, bad[i].msg);
		if (strncmp(e.msg, want, strlen(want)))
			fail_msg("\"%s\": got \"%s\", want \"%s...\"", bad[i].in, e.msg, want);
	}
	kerr e = { 0 };
	int64_t v;
	assert_int_equal(kunits_parse_duration("--interval", "2562048h", &v, &e), -1);
	assert_int_equal(e.errnum, ERANGE);
	assert_string_equal(e.msg, "--interval: \"2562048h\" is too long");
}

/* Docker's columns: go-units HumanSize and HumanDuration */
static void test_human(void **state)
{
	(void)state;
	char b[32];
	static const struct { int64_t v; const char *want; } sizes[] = {
		{ 0, "0B" }, { 712, "712B" }, { 1000, "1kB" }, { 5242880, "5.243MB" }, { 4294967296LL, "4.295GB" },
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		kunits_human_size(sizes[i].v, b, sizeof(b));
		assert_string_equal(b, sizes[i].want);
	}
	static const struct { int64_t v; const char *want; } ages[] = {
		{ 0, "Less than a second" }, { 1, "1 second" }, { 59, "59 seconds" }, { 60, "About a minute" },
		{ 150, "2 minutes" }, { 3600, "About an hour" }, { 5 * 3600, "5 hours" }, { 3 * 86400, "3 days" },
		{ 20 * 86400, "2 weeks" }, { 90 * 86400, "3 months" }, { 800 * 86400, "2 years" },
	};
	for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		kunits_human_duration(ages[i].v, b, sizeof(b));
		assert_string_equal(b, ages[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_bad_durations),
		cmocka_unit_test(test_human),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
