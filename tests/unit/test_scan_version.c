/* scan/version: the three comparators against the reference
 * implementations' own cases (tests/unit/data/scan/{deb,rpm,apk}.vec: dpkg's
 * t-version.c and deb-version(7), rpm's tests/rpmvercmp.at, apk-tools'
 * test/version.data), each case checked both ways round, plus validity.
 * The differential run against dpkg and rpm themselves is
 * tests/integration/test_scan_version.py. */
#include "scan/version.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int run_file(const char *name, int (*cmp)(const char *, const char *))
{
	const char *root = getenv("KAPSEL_SOURCE_ROOT");
	char path[4096], line[512];
	snprintf(path, sizeof(path), "%s/tests/unit/data/scan/%s", root ? root : ".", name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	int n = 0, bad = 0;
	while (fgets(line, sizeof(line), f)) {
		char a[200], op[4], b[200];
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%199s %3s %199s", a, op, b), 3);
		int want = op[0] == '<' ? -1 : op[0] == '>' ? 1 : 0;
		assert_true(strchr("<=>", op[0]) && !op[1]);
		int got = cmp(a, b), back = cmp(b, a);
		if (got != want || back != -want) {
			fprintf(stderr, "%s: %s %s %s: got %d, reversed %d\n", name, a, op, b, got, back);
			bad++;
		}
		n++;
	}
	fclose(f);
	assert_int_equal(bad, 0);
	return n;
}

static void test_deb_vectors(void **state)
{
	(void)state;
	assert_true(run_file("deb.vec", kver_deb_cmp) >= 35);
}

static void test_rpm_vectors(void **state)
{
	(void)state;
	assert_true(run_file("rpm.vec", kver_rpm_cmp) >= 90);
}

static void test_apk_vectors(void **state)
{
	(void)state;
	assert_true(run_file("apk.vec", kver_apk_cmp) >= 150);
}

static void test_rpmvercmp_field(void **state)
{
	(void)state;
	/* one field: a '-' is a separator, not the release split */
	assert_int_equal(kver_rpmvercmp("1.0-1", "1.0.1"), 0);
	assert_int_equal(kver_rpmvercmp("1:1", "2"), -1);
	assert_int_equal(kver_rpm_cmp("1:1", "2"), 1);
}

static void test_deb_valid(void **state)
{
	(void)state;
	const char *good[] = { "0", "1:0", "0:09azAZ.-+~:-0", "0:0-azAZ09.+~", "1:2.38.1-5+deb12u3", "  0:0-1\t" };
	const char *bad[] = { "",         "0:",     "0:0 0-1", "-1:0-1", "999999999999999999999999:0-1",
			      "a:0-0",    "A:0-0",  "-0",      "0:-0",   "0:0-",
			      "0:abc3-0", "0:0_-0", "0:0-0:0", "0:0-0_" };
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		assert_true(kver_deb_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (kver_deb_valid(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	}
}

static void test_apk_valid(void **state)
{
	(void)state;
	assert_true(kver_apk_valid("1.2.3_rc1-r0"));
	assert_true(kver_apk_valid("2.12r-r4"));
	assert_true(kver_apk_valid("1.0_alpha_pre2"));
	assert_false(kver_apk_valid(""));
	assert_false(kver_apk_valid("1.0bc"));
	assert_false(kver_apk_valid("23_foo"));
	assert_false(kver_apk_valid("1.0-2"));
	assert_false(kver_apk_valid("1.0 2"));
	assert_false(kver_apk_valid("1.0_x"));
}

static void test_hostile(void **state)
{
	(void)state;
	/* no comparator reads past the end or overflows on long numbers */
	char big[300];
	memset(big, '9', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(kver_deb_cmp(big, "1"), 1);
	assert_int_equal(kver_rpm_cmp(big, "1"), 1);
	assert_int_equal(kver_rpm_cmp("~", ""), -1);
	assert_int_equal(kver_deb_cmp("~", ""), -1);
	assert_int_equal(kver_deb_cmp(NULL, ""), 0);
	assert_int_equal(kver_apk_cmp("-", "_"), -kver_apk_cmp("_", "-"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deb_vectors), cmocka_unit_test(test_rpm_vectors),
		cmocka_unit_test(test_apk_vectors), cmocka_unit_test(test_rpmvercmp_field),
		cmocka_unit_test(test_deb_valid),   cmocka_unit_test(test_apk_valid),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
