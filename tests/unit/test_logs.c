/* Unit tests for logs/: Docker's json-file escaping byte for byte, line
 * assembly at 16 KiB, rotation, and the option errors naming the field. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/fs.h"
#include "logs/logs.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/loop.h"

#include <cmocka.h>

static void quote_is(const char *in, size_t n, const char *want)
{
	char out[512];
	size_t len = klogs_json_quote(out, (const unsigned char *)in, n);
	out[len] = 0;
	if (strcmp(out, want))
		fail_msg("quote: got %s, want %s", out, want);
}

static void test_quote(void **st)
{
	(void)st;
	quote_is("plain", 5, "\"plain\"");
	quote_is("<a&b>", 5, "\"\\u003ca\\u0026b\\u003e\"");
	quote_is("q\"b\\", 4, "\"q\\\"b\\\\\"");
	quote_is("\n\r\t\x01\x1f\x7f", 6, "\"\\n\\r\\u0009\\u0001\\u001f\x7f\"");
	quote_is("\0z", 2, "\"\\u0000z\"");
	/* invalid UTF-8: each bad byte is one U+FFFD */
	quote_is("\xff\xfe", 2, "\"\\ufffd\\ufffd\"");
	quote_is("\xc0\x80", 2, "\"\\ufffd\\ufffd\"");                       /* overlong */
	quote_is("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");            /* surrogate */
	quote_is("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* above U+10FFFF */
	quote_is("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");                       /* cut short */
	/* valid: as it is, but the JavaScript line separators */
	quote_is("\xc3\xa9\xef\xbf\xbd\xf0\x9f\x98\x80", 9, "\"\xc3\xa9\xef\xbf\xbd\xf0\x9f\x98\x80\"");
	quote_is("\xe2\x80\xa8\xe2\x80\xa9", 6, "\"\\u2028\\u2029\"");
}

static char dir[] = "/tmp/test_logs.XXXXXX";
#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char *read_log(const char *suffix)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/" ID "%s", dir, suffix);
	char *buf = NULL;
	kerr e;
	if (kfs_read_file(path, &buf, NULL, &e) < 0)
		return NULL;
	return buf;
}

static void clear(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -f %s/" ID "*", dir);
	assert_int_equal(system(cmd), 0);
}

/* the text of each entry, with its kind, for the k8s-file driver (no time) */
static void test_split_k8s(void **st)
{
	(void)st;
	clear();
	struct klogs_config c = { KLOGS_K8S_FILE, -1, 1 };
	struct klogs *l = NULL;
	kerr e;
	assert_int_equal(klogs_open(&l, &c, dir, ID, &e), 0);
	static char big[KLOGS_LINE_MAX + 10];
	memset(big, 'x', sizeof(big));
	klogs_feed(l, KLOGS_STDOUT, "a", 1);
	klogs_feed(l, KLOGS_STDOUT, "b\nc\n", 4);         /* one line across two reads */
	klogs_feed(l, KLOGS_STDERR, "e", 1);              /* streams kept apart */
	klogs_feed(l, KLOGS_STDOUT, big, KLOGS_LINE_MAX); /* exactly full: partial, then an empty line */
	klogs_feed(l, KLOGS_STDOUT, "\n", 1);
	klogs_feed(l, KLOGS_STDOUT, big, 10);
	klogs_flush(l, KLOGS_STDOUT);
	klogs_flush(l, KLOGS_STDERR);
	klogs_close(l);
	char *got = read_log("-k8s.log");
	assert_non_null(got);
	const char *want[] = { "stdout F ab", "stdout F c", NULL, "stdout F ", "stdout P xxxxxxxxxx", "stderr P e" };
	char *save, *line = strtok_r(got, "\n", &save);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++, line = strtok_r(NULL, "\n", &save)) {
		assert_non_null(line);
		char *sp = strchr(line, ' ');
		assert_non_null(sp);
		assert_int_equal(sp[-1], 'Z');
		if (!want[i]) { /* the full 16 KiB piece */
			assert_int_equal(strncmp(sp + 1, "stdout P xxx", 12), 0);
			assert_int_equal(strlen(sp + 10), KLOGS_LINE_MAX);
		} else if (strcmp(sp + 1, want[i]))
			fail_msg("entry %zu: got \"%s\", want \"%s\"", i, sp + 1, want[i]);
	}
	assert_null(line);
	free(got);
}

static void test_rotation(void **st)
{
	(void)st;
	clear();
	struct klogs_config c = { KLOGS_JSON_FILE, 200, 3 };
	struct klogs *l = NULL;
	kerr e;
	assert_int_equal(klogs_open(&l, &c, dir, ID, &e), 0);
	for (int i = 0; i < 40; i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "line %02d\n", i);
		klogs_feed(l, KLOGS_STDOUT, line, (size_t)n);
	}
	uint64_t dl, db;
	klogs_counters(l, &dl, &db);
	assert_int_equal(dl, 0);
	klogs_close(l);
	char *cur = read_log("-json.log"), *one = read_log("-json.log.1"), *two = read_log("-json.log.2"),
	     *three = read_log("-json.log.3");
	assert_non_null(cur);
	assert_non_null(one);
	assert_non_null(two);
	assert_null(three);
	/* a file grows past max-size by its last entry, never more */
	assert_true(strlen(one) >= 200 && strlen(one) < 300);
	assert_non_null(strstr(cur, "line 39\\n"));
	assert_null(strstr(two, "line 39"));
	free(cur), free(one), free(two);
}

static void parse_fails(const char *json, const char *says)
{
	struct klogs_config c;
	kerr e = { 0 };
	assert_int_equal(klogs_config_defaults(&c, NULL, &e), 0);
	json_object *o = json_tokener_parse(json);
	assert_non_null(o);
	if (klogs_config_parse(&c, o, "supervise.json", &e) == 0)
		fail_msg("%s: accepted", json);
	if (!strstr(e.msg, says))
		fail_msg("%s: \"%s\" does not say \"%s\"", json, e.msg, says);
	json_object_put(o);
}

static void test_config(void **st)
{
	(void)st;
	struct klogs_config c;
	kerr e = { 0 };
	assert_int_equal(klogs_config_defaults(&c, NULL, &e), 0);
	assert_int_equal(c.driver, KLOGS_JSON_FILE);
	assert_int_equal(c.max_size, 20 * 1024 * 1024);
	assert_int_equal(c.max_file, 5);
	json_object *o =
		json_tokener_parse("{\"driver\":\"k8s-file\",\"opts\":{\"max-size\":\"1m\",\"max-file\":\"2\"}}");
	assert_int_equal(klogs_config_parse(&c, o, "supervise.json", &e), 0);
	json_object_put(o);
	assert_int_equal(c.driver, KLOGS_K8S_FILE);
	assert_int_equal(c.max_size, 1024 * 1024);
	assert_int_equal(c.max_file, 2);
	parse_fails("{\"driver\":\"syslogx\"}", "supervise.json: log.driver: unknown driver");
	parse_fails("{\"opts\":{\"max-size\":\"0\"}}", "log.opts.max-size");
	parse_fails("{\"opts\":{\"max-file\":\"0\"}}", "log.opts.max-file");
	parse_fails("{\"opts\":{\"max-file\":2}}", "log.opts.max-file: expected a string");
	parse_fails("{\"opts\":{\"labels\":\"a\"}}", "log.opts.labels: unknown option");
	parse_fails("{\"opts\":{\"compress\":\"yes\"}}", "log.opts.compress: \"yes\" is not true or false");
	struct klogs_config cc;
	assert_int_equal(klogs_config_defaults(&cc, NULL, &e), 0);
	assert_true(cc.compress); /* on by default */
	o = json_tokener_parse("{\"opts\":{\"compress\":\"false\"}}");
	assert_int_equal(klogs_config_parse(&cc, o, "supervise.json", &e), 0);
	json_object_put(o);
	assert_false(cc.compress);
	parse_fails("{\"driver\":\"none\",\"opts\":{\"max-file\":\"2\"}}", "takes no options");
	parse_fails("{\"colour\":1}", "unknown field \"colour\"");
}

static void test_conf_defaults(void **st)
{
	(void)st;
	struct kconf *k = NULL;
	kerr e = { 0 };
	assert_int_equal(kconf_parse("kapsel.conf", "[logs]\nmax-size = 5m\nmax-file = 2\ndriver = k8s-file\n", &k, &e),
			 0);
	struct klogs_config c;
	assert_int_equal(klogs_config_defaults(&c, k, &e), 0);
	assert_int_equal(c.max_size, 5 * 1024 * 1024);
	assert_int_equal(c.max_file, 2);
	assert_int_equal(c.driver, KLOGS_K8S_FILE);
	kconf_free(k);
	assert_int_equal(kconf_parse("kapsel.conf", "[logs]\nmax-sise = 5m\n", &k, &e), 0);
	assert_int_equal(klogs_config_defaults(&c, k, &e), -1);
	assert_non_null(strstr(e.msg, "max-sise"));
	kconf_free(k);
}

static int exists(const char *suffix)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/" ID "%s", dir, suffix);
	return access(path, F_OK) == 0;
}

static char *read_gz(const char *suffix)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/" ID "%s", dir, suffix);
	gzFile g = gzopen(path, "rb");
	if (!g)
		return NULL;
	char *buf = calloc(1, 1 << 16);
	int n = gzread(g, buf, (1 << 16) - 1);
	gzclose(g);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void on_ev(struct klogs *l, enum klogs_event ev, void *data)
{
	(void)l;
	if (ev == KLOGS_EV_ROOM)
		++*(int *)data;
}

/* compress=true: the rotated file is gzipped by a child the loop waits
 * for; while it runs a due rotation waits (klogs_full), then happens */
static void test_compress(void **st)
{
	(void)st;
	clear();
	char *helper = getenv("KAPSEL_LOG_GZIP"); /* the build's kapsel-log-gzip */
	if (!helper)
		skip();
	struct klogs_config c = { KLOGS_JSON_FILE, 200, 3, .compress = true, .gzip_helper = helper };
	struct klogs *l = NULL;
	struct kloop *loop = NULL;
	kerr e;
	int room = 0;
	assert_int_equal(kloop_new(&loop, &e), 0);
	assert_int_equal(klogs_open(&l, &c, dir, ID, &e), 0);
	assert_int_equal(klogs_attach(l, loop, on_ev, &room, &e), 0);
	int i = 0;
	for (; !klogs_helper_pid(l); i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "line %02d\n", i);
		klogs_feed(l, KLOGS_STDOUT, line, (size_t)n);
	}
	/* the first rotation started a compression: more lines fill the live
	 * file past max-size, the next rotation waits for it */
	for (; !klogs_full(l); i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "line %02d\n", i);
		klogs_feed(l, KLOGS_STDOUT, line, (size_t)n);
		assert_true(i < 200);
	}
	assert_true(exists("-json.log"));
	/* the loop reaps the child, rotates (starting the second compression,
	 * which it waits for too), says "room" */
	int r = kloop_run(loop, &e);
	if (r != 0)
		fail_msg("loop: %d %s", r, e.msg);
	assert_int_equal(room, 1);
	assert_false(klogs_full(l));
	assert_int_equal(klogs_helper_pid(l), 0);
	char line[32];
	int n = snprintf(line, sizeof(line), "line %02d\n", i++);
	klogs_feed(l, KLOGS_STDOUT, line, (size_t)n);
	klogs_close(l);
	kloop_free(loop);
	/* .1 and .2 are gzipped, whole; the live file never */
	assert_false(exists("-json.log.1"));
	assert_false(exists("-json.log.2"));
	assert_false(exists("-json.log.1.gz.tmp"));
	char *cur = read_log("-json.log"), *one = read_gz("-json.log.1.gz"), *two = read_gz("-json.log.2.gz");
	assert_non_null(cur);
	assert_non_null(one);
	assert_non_null(two);
	assert_int_equal(memcmp(cur, "{\"log\"", 6), 0);
	assert_non_null(strstr(two, "line 00\\n"));
	assert_true(strlen(two) >= 200);
	/* every line once, in order */
	char all[1 << 17];
	snprintf(all, sizeof(all), "%s%s%s", two, one, cur);
	char *p = all;
	for (int k = 0; k < i; k++) {
		char want[32];
		snprintf(want, sizeof(want), "line %02d\\n", k);
		char *q = strstr(p, want);
		if (!q)
			fail_msg("line %d missing", k);
		p = q + strlen(want);
	}
	free(cur), free(one), free(two);
}

/* mode=non-blocking: a rotation waiting for the compression never holds
 * a feed back (the live file grows meanwhile); a helper that cannot run
 * leaves the rotated file plain, every line still there */
static void test_compress_non_blocking_and_failing(void **st)
{
	(void)st;
	static const char *const helpers[] = { NULL, "/nonexistent/kapsel-log-gzip" };
	const char *real = getenv("KAPSEL_LOG_GZIP");
	if (!real)
		skip();
	for (int h = 0; h < 2; h++) {
		clear();
		struct klogs_config c = { KLOGS_JSON_FILE, 200, 3, .compress = true, .non_blocking = true };
		c.gzip_helper = (char *)(h ? helpers[1] : real);
		struct klogs *l = NULL;
		struct kloop *loop = NULL;
		kerr e;
		int room = 0;
		assert_int_equal(kloop_new(&loop, &e), 0);
		assert_int_equal(klogs_open(&l, &c, dir, ID, &e), 0);
		assert_int_equal(klogs_attach(l, loop, on_ev, &room, &e), 0);
		int i = 0;
		for (; i < 40; i++) {
			char line[32];
			int n = snprintf(line, sizeof(line), "line %02d\n", i);
			assert_int_equal(klogs_feed(l, KLOGS_STDOUT, line, (size_t)n), n);
			assert_false(klogs_full(l));
		}
		assert_int_equal(kloop_run(loop, &e), 0);
		assert_int_equal(room, 0); /* nothing was held */
		klogs_close(l);
		kloop_free(loop);
		if (h == 0) {
			assert_true(exists("-json.log.1.gz"));
			assert_false(exists("-json.log.1"));
		} else {
			assert_true(exists("-json.log.1"));
			assert_false(exists("-json.log.1.gz"));
			assert_false(exists("-json.log.1.gz.tmp"));
		}
	}
}

/* what a supervisor killed mid-compression leaves is made consistent at
 * the next open: the .tmp goes, a plain file whose .gz is whole goes */
static void test_compress_recover(void **st)
{
	(void)st;
	clear();
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "cd %s && echo half > " ID "-json.log.1.gz.tmp && echo one > " ID
		 "-json.log.1 && "
		 "echo two > " ID "-json.log.2 && echo two | gzip > " ID
		 "-json.log.2.gz && "
		 "echo three | gzip > " ID "-json.log.3.gz",
		 dir);
	assert_int_equal(system(cmd), 0);
	struct klogs_config c = { KLOGS_JSON_FILE, 200, 5, .compress = true };
	struct klogs *l = NULL;
	kerr e;
	assert_int_equal(klogs_open(&l, &c, dir, ID, &e), 0);
	klogs_close(l);
	assert_false(exists("-json.log.1.gz.tmp"));
	assert_true(exists("-json.log.1"));
	assert_false(exists("-json.log.2"));
	assert_true(exists("-json.log.2.gz"));
	assert_true(exists("-json.log.3.gz"));
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_split_k8s),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_conf_defaults),
		cmocka_unit_test(test_compress),
		cmocka_unit_test(test_compress_recover), cmocka_unit_test(test_compress_non_blocking_and_failing),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	clear();
	rmdir(dir);
	return r;
}
