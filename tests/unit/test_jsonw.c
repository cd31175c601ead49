/* Unit tests for common/jsonw.c: the streaming writer's output byte for
 * byte (separators, nesting, numbers, null), the escaping of every byte
 * below 0x80 (quotes, backslash, control characters) with UTF-8 passed
 * through, and the same strings read back by json-c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/jsonw.h"

#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_structure(void **state)
{
	(void)state;
	struct jsonw w;
	jsonw_init(&w);
	jsonw_obj_open(&w);
	jsonw_obj_close(&w);
	assert_string_equal(w.buf, "{}");
	assert_int_equal(w.len, 2);
	jsonw_free(&w);
	assert_null(w.buf);
	assert_int_equal(w.len, 0);

	jsonw_init(&w);
	jsonw_obj_open(&w);
	jsonw_key_int(&w, "a", 1);
	jsonw_key(&w, "b");
	jsonw_arr_open(&w);
	jsonw_bool(&w, 1);
	jsonw_bool(&w, 0);
	jsonw_null(&w);
	jsonw_str(&w, NULL);
	jsonw_arr_open(&w);
	jsonw_arr_close(&w);
	jsonw_obj_open(&w);
	jsonw_obj_close(&w);
	jsonw_arr_close(&w);
	jsonw_key(&w, "c");
	jsonw_obj_open(&w);
	jsonw_key_str(&w, "d", "x");
	jsonw_key_bool(&w, "e", 7);
	jsonw_obj_close(&w);
	jsonw_key_int(&w, "min", INT64_MIN);
	jsonw_key_int(&w, "max", INT64_MAX);
	jsonw_key_int(&w, "zero", 0);
	jsonw_key_int(&w, "neg", -42);
	jsonw_key_str(&w, "none", NULL);
	jsonw_obj_close(&w);
	assert_false(w.oom);
	assert_string_equal(w.buf,
			    "{\"a\":1,\"b\":[true,false,null,null,[],{}],\"c\":{\"d\":\"x\",\"e\":true},"
			    "\"min\":-9223372036854775808,\"max\":9223372036854775807,\"zero\":0,"
			    "\"neg\":-42,\"none\":null}");
	assert_int_equal(w.len, strlen(w.buf));
	jsonw_free(&w);

	/* a top-level array of values; raw text goes in as it is */
	jsonw_init(&w);
	jsonw_arr_open(&w);
	jsonw_str(&w, "a");
	jsonw_int(&w, 2);
	jsonw_raw(&w, ",{\"pre\":1}");
	jsonw_arr_close(&w);
	assert_string_equal(w.buf, "[\"a\",2,{\"pre\":1}]");
	jsonw_free(&w);
}

static char *one_string(const char *s)
{
	struct jsonw w;
	jsonw_init(&w);
	jsonw_str(&w, s);
	return w.buf;
}

static void test_escapes(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "\"\"" },
		{ "plain", "\"plain\"" },
		{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
		{ "C:\\dir\\", "\"C:\\\\dir\\\\\"" },
		{ "a\nb\rc\td", "\"a\\nb\\rc\\td\"" },
		/* the other control characters in \u form, lower-case hex */
		{ "\x01\x08\x0b\x0c\x1b\x1f", "\"\\u0001\\u0008\\u000b\\u000c\\u001b\\u001f\"" },
		/* not escaped: slash, DEL, space */
		{ "/ \x7f", "\"/ \x7f\"" },
		/* UTF-8 passes through byte for byte */
		{ "gr\xc3\xbc\xc3\x9f \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xb3",
		  "\"gr\xc3\xbc\xc3\x9f \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xb3\"" },
		{ "\xe2\x80\xa8", "\"\xe2\x80\xa8\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = one_string(cases[i].in);
		assert_string_equal(got, cases[i].out);
		free(got);
	}

	/* keys are escaped the same way */
	struct jsonw w;
	jsonw_init(&w);
	jsonw_obj_open(&w);
	jsonw_key_str(&w, "k\"\x02", "v");
	jsonw_obj_close(&w);
	assert_string_equal(w.buf, "{\"k\\\"\\u0002\":\"v\"}");
	jsonw_free(&w);
}

/* Every byte 1..0x7f in a string and a key: json-c reads the same back. */
static void test_round_trip(void **state)
{
	(void)state;
	char all[128];
	for (int c = 1; c < 128; c++)
		all[c - 1] = (char)c;
	all[127] = '\0';
	struct jsonw w;
	jsonw_init(&w);
	jsonw_obj_open(&w);
	jsonw_key_str(&w, all, all);
	jsonw_key_str(&w, "utf8", "\xc3\xa9\xf0\x9f\x90\xb3");
	jsonw_obj_close(&w);
	json_object *o = json_tokener_parse(w.buf);
	assert_non_null(o);
	json_object *v;
	assert_true(json_object_object_get_ex(o, all, &v));
	assert_string_equal(json_object_get_string(v), all);
	assert_true(json_object_object_get_ex(o, "utf8", &v));
	assert_string_equal(json_object_get_string(v), "\xc3\xa9\xf0\x9f\x90\xb3");
	json_object_put(o);
	jsonw_free(&w);
}

/* The buffer grows past its first 256 bytes without losing anything. */
static void test_growth(void **state)
{
	(void)state;
	size_t n = 100000;
	char *big = malloc(n + 1);
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = "ab\"c"[i % 4];
	big[n] = '\0';
	struct jsonw w;
	jsonw_init(&w);
	jsonw_arr_open(&w);
	for (int i = 0; i < 3; i++)
		jsonw_str(&w, big);
	jsonw_arr_close(&w);
	assert_false(w.oom);
	/* each string: quotes + n bytes + one backslash per quote */
	size_t one = 2 + n + n / 4;
	assert_int_equal(w.len, 2 + 3 * one + 2);
	assert_true(w.cap > w.len);
	assert_int_equal(w.buf[w.len], '\0');
	json_object *o = json_tokener_parse(w.buf);
	assert_non_null(o);
	assert_int_equal(json_object_array_length(o), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(o, 2)), big);
	json_object_put(o);
	jsonw_free(&w);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
