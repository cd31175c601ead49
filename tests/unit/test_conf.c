/* Unit tests for common/conf.c: kapsel.conf's INI shape, the typed
 * getters, and every refusal naming FILE:LINE. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/conf.h"
#include "common/strv.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static const char sample[] =
	"# kapsel.conf\n"
	"; another comment\n"
	"[run]\n"
	"  user = 65534:65534  \n"
	"memory=512m\n"
	"read-only = yes\n"
	"pids = 512\n"
	"motd = \"  two  words \"\n"
	"empty =\n"
	"\n"
	"[registries]\n"
	"insecure = localhost:5000, 10.0.0.2:5000 \t  other:1\n"
	"[run]\n"
	"stop-timeout = 1m30s\r\n";

static void parse_values(void **state)
{
	(void)state;
	struct kconf *c = NULL;
	kerr e = { 0 };
	assert_int_equal(kconf_parse("t.conf", sample, &c, &e), 0);
	assert_string_equal(kconf_get(c, "run", "user"), "65534:65534");
	assert_string_equal(kconf_get(c, "run", "motd"), "  two  words ");
	assert_string_equal(kconf_get(c, "run", "empty"), "");
	assert_null(kconf_get(c, "run", "nothere"));
	assert_null(kconf_get(c, "logs", "user"));
	int64_t mem = -7, pids = -7, t = -7, unset = 42;
	bool ro = false, dflt = true;
	assert_int_equal(kconf_get_size(c, "run", "memory", &mem, &e), 0);
	assert_int_equal(mem, 512LL << 20);
	assert_int_equal(kconf_get_int(c, "run", "pids", 1, 1 << 22, &pids, &e), 0);
	assert_int_equal(pids, 512);
	assert_int_equal(kconf_get_duration(c, "run", "stop-timeout", &t, &e), 0);
	assert_int_equal(t, 90LL * 1000000000);
	assert_int_equal(kconf_get_bool(c, "run", "read-only", &ro, &e), 0);
	assert_true(ro);
	/* unset keys leave the caller's default */
	assert_int_equal(kconf_get_int(c, "run", "cpus", 0, 9, &unset, &e), 0);
	assert_int_equal(unset, 42);
	assert_int_equal(kconf_get_bool(c, "run", "absent", &dflt, &e), 0);
	assert_true(dflt);
	char **l = NULL;
	assert_int_equal(kconf_get_list(c, "registries", "insecure", &l, &e), 0);
	assert_int_equal(kstrv_len(l), 3);
	assert_string_equal(l[0], "localhost:5000");
	assert_string_equal(l[2], "other:1");
	kstrv_free(l);
	assert_int_equal(kconf_get_list(c, "registries", "mirrors", &l, &e), 0);
	assert_int_equal(kstrv_len(l), 0);
	kstrv_free(l);
	static const char *const run_keys[] = { "user", "memory", "read-only",    "pids",
						"motd", "empty",  "stop-timeout", NULL };
	assert_int_equal(kconf_check(c, "run", run_keys, &e), 0);
	static const char *const fewer[] = { "user", NULL };
	assert_int_equal(kconf_check(c, "run", fewer, &e), -1);
	assert_string_equal(e.msg, "t.conf:5: [run] has no key \"memory\"");
	assert_int_equal(e.errnum, EINVAL);
	static const char *const sections[] = { "run", "registries", NULL }, *const only_run[] = { "run", NULL };
	assert_int_equal(kconf_check_sections(c, sections, &e), 0);
	assert_int_equal(kconf_check_sections(c, only_run, &e), -1);
	assert_string_equal(e.msg, "t.conf:11: unknown section [registries]");
	kconf_free(c);
}

static void typed_errors(void **state)
{
	(void)state;
	struct kconf *c = NULL;
	kerr e = { 0 };
	assert_int_equal(kconf_parse("k.conf", "[a]\nn = 12x\nb = maybe\nbig = 99\ns = lots\n", &c, &e), 0);
	int64_t v = 0;
	bool b = false;
	assert_int_equal(kconf_get_int(c, "a", "n", 0, 100, &v, &e), -1);
	assert_string_equal(e.msg, "k.conf:2: [a] n: \"12x\" is not a whole number");
	assert_int_equal(kconf_get_int(c, "a", "big", 0, 10, &v, &e), -1);
	assert_int_equal(e.errnum, ERANGE);
	assert_non_null(strstr(e.msg, "k.conf:4: [a] big: 99 is outside 0..10"));
	assert_int_equal(kconf_get_bool(c, "a", "b", &b, &e), -1);
	assert_non_null(strstr(e.msg, "k.conf:3: [a] b: \"maybe\""));
	assert_int_equal(kconf_get_size(c, "a", "s", &v, &e), -1);
	assert_non_null(strstr(e.msg, "k.conf:5: [a] s"));
	kconf_free(c);
}

static void syntax_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "x = 1\n", "b.conf:1: \"x = 1\" comes before any [section]" },
		{ "[ok]\njust words\n", "b.conf:2: expected \"key = value\" or \"[section]\"" },
		{ "[Bad]\n", "b.conf:1: bad section name \"Bad\"" },
		{ "[ok\n", "b.conf:1: a section header is [name]" },
		{ "[ok] x\n", "b.conf:1: a section header is [name]" },
		{ "[ok]\nK = 1\n", "b.conf:2: bad key name \"K\"" },
		{ "[ok]\n = 1\n", "b.conf:2: bad key name \"\"" },
		{ "[ok]\na = \"x\n", "b.conf:2: [ok] a: unbalanced quotes" },
		{ "[ok]\na = \"x\"y\"\n", "b.conf:2: [ok] a: unbalanced quotes" },
		{ "[ok]\na = 1\n[other]\n[ok]\na = 2\n", "b.conf:5: [ok] a is already set on line 2" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kconf *c = (struct kconf *)0x1;
		kerr e = { 0 };
		assert_int_equal(kconf_parse("b.conf", bad[i].text, &c, &e), -1);
		if (strcmp(e.msg, bad[i].msg))
			fail_msg("case %zu: \"%s\", want \"%s\"", i, e.msg, bad[i].msg);
		assert_int_equal(e.errnum, EINVAL);
		assert_ptr_equal(c, (struct kconf *)0x1);
	}
}

static void load_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/kconf.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof(path), "%s/kapsel.conf", dir);
	struct kconf *c = NULL;
	kerr e = { 0 };
	assert_int_equal(kconf_load(path, false, &c, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_int_equal(kconf_load(path, true, &c, &e), 0);
	assert_string_equal(kconf_path(c), path);
	assert_null(kconf_get(c, "run", "user"));
	kconf_free(c);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("[logs]\ndriver = json-file\n", f);
	fputc('\0', f);
	fclose(f);
	assert_int_equal(kconf_load(path, true, &c, &e), -1);
	assert_non_null(strstr(e.msg, "holds a NUL byte"));
	f = fopen(path, "w");
	fputs("[logs]\ndriver = json-file\n", f);
	fclose(f);
	assert_int_equal(kconf_load(path, false, &c, &e), 0);
	assert_string_equal(kconf_get(c, "logs", "driver"), "json-file");
	kconf_free(c);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_values),
		cmocka_unit_test(typed_errors),
		cmocka_unit_test(syntax_errors),
		cmocka_unit_test(load_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
