/* Unit tests for common/strv.c: NULL-terminated string vectors. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/cleanup.h"
#include "common/strv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_len(void **state)
{
	(void)state;
	char *none[] = { NULL };
	char *three[] = { "a", "", "c", NULL };
	assert_int_equal(kstrv_len(NULL), 0);
	assert_int_equal(kstrv_len(none), 0);
	assert_int_equal(kstrv_len(three), 3);
}

static void test_add(void **state)
{
	(void)state;
	_cleanup_strv_ char **v = NULL;
	char word[] = "first";
	assert_int_equal(kstrv_add(&v, word), 0);
	assert_non_null(v);
	assert_int_equal(kstrv_len(v), 1);
	/* a copy: changing the source does not change the vector */
	assert_ptr_not_equal(v[0], word);
	word[0] = 'F';
	assert_string_equal(v[0], "first");
	for (int i = 0; i < 100; i++) {
		char b[16];
		snprintf(b, sizeof(b), "n%d", i);
		assert_int_equal(kstrv_add(&v, b), 0);
	}
	assert_int_equal(kstrv_len(v), 101);
	assert_string_equal(v[0], "first");
	assert_string_equal(v[1], "n0");
	assert_string_equal(v[100], "n99");
	assert_null(v[101]);
	assert_int_equal(kstrv_add(&v, ""), 0);
	assert_string_equal(v[101], "");
	assert_null(v[102]);
}

static void test_copy(void **state)
{
	(void)state;
	char *src[] = { "PATH=/bin", "HOME=/", NULL };
	_cleanup_strv_ char **c = kstrv_copy(src);
	assert_non_null(c);
	assert_int_equal(kstrv_len(c), 2);
	for (int i = 0; i < 2; i++) {
		assert_ptr_not_equal(c[i], src[i]);
		assert_string_equal(c[i], src[i]);
	}
	assert_null(c[2]);
	/* NULL and empty give an empty vector, not NULL */
	_cleanup_strv_ char **n = kstrv_copy(NULL);
	assert_non_null(n);
	assert_null(n[0]);
	char *empty[] = { NULL };
	_cleanup_strv_ char **m = kstrv_copy(empty);
	assert_non_null(m);
	assert_null(m[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_len),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
