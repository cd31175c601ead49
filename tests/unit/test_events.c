/* Unit tests for common/events: the journal line (Docker's shape, sorted
 * attributes, labels dropped before a line would pass PIPE_BUF, refused
 * when it still does), appends from many processes at once never
 * interleave and survive rotation, the filters as `docker events` reads
 * them, Docker's text form, --since/--until values, and the reader that
 * follows the file through a rotation on common/loop. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/events.h"
#include "common/json.h"
#include "common/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct kevent_attr die_attrs[] = {
	{ "name", "web", false },
	{ "exitCode", "1", false },
	{ "image", "busybox:latest", false },
	{ "team", "blue", true },
};

static struct kevent die = {
	.type = "container",
	.action = "die",
	.id = ID,
	.from = "busybox:latest",
	.attrs = die_attrs,
	.nattrs = 4,
	.time = { 1796275200, 123456789 },
};

static void test_line_shape(void **st)
{
	(void)st;
	char buf[KEVENT_LINE_MAX];
	kerr e = { 0 };
	int n = kevent_line(&die, buf, &e);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_string_equal(buf,
			    "{\"status\":\"die\",\"id\":\"" ID
			    "\",\"from\":\"busybox:latest\",\"Type\":\"container\","
			    "\"Action\":\"die\",\"Actor\":{\"ID\":\"" ID
			    "\",\"Attributes\":{\"exitCode\":\"1\","
			    "\"image\":\"busybox:latest\",\"name\":\"web\",\"team\":\"blue\"}},\"scope\":\"local\","
			    "\"time\":1796275200,\"timeNano\":1796275200123456789}\n");
	/* no time: now */
	struct kevent now = die;
	now.time = (struct timespec){ 0, 0 };
	assert_true(kevent_line(&now, buf, &e) > 0);
	_cleanup_json_ json_object *o = json_tokener_parse(buf);
	assert_true(kj_get_i64(o, "time", 0) > 1700000000);
	/* required fields */
	struct kevent bad = die;
	bad.id = NULL;
	assert_true(kevent_line(&bad, buf, &e) < 0);
	assert_int_equal(e.errnum, EINVAL);
}

static void test_line_too_long(void **st)
{
	(void)st;
	static char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	struct kevent_attr a[] = { { "name", "web", false }, { "l1", big, true }, { "l2", big, true } };
	struct kevent ev = die;
	ev.attrs = a;
	ev.nattrs = 3;
	char buf[KEVENT_LINE_MAX];
	kerr e = { 0 };
	/* the labels go, the rest stays */
	int n = kevent_line(&ev, buf, &e);
	assert_true(n > 0 && n < KEVENT_LINE_MAX);
	_cleanup_json_ json_object *o = json_tokener_parse(buf);
	json_object *at = kj_get(kj_get(o, "Actor"), "Attributes");
	assert_string_equal(kj_get_str(at, "name"), "web");
	assert_null(kj_get(at, "l1"));
	/* what must stay and does not fit: refused, nothing half-written */
	a[1].droppable = a[2].droppable = false;
	assert_true(kevent_line(&ev, buf, &e) < 0);
	assert_int_equal(e.errnum, E2BIG);
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/kapsel-test-events-XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void rm_dir(const char *d)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", d);
	assert_int_equal(system(cmd), 0);
}

/* Every line of FILE is whole JSON; *N counts them. */
static void check_lines(const char *dir, const char *file, int *n)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[KEVENT_LINE_MAX + 2];
	while (fgets(line, sizeof(line), f)) {
		assert_true(strlen(line) > 0 && line[strlen(line) - 1] == '\n');
		json_object *o = json_tokener_parse(line);
		if (!o)
			fail_msg("%s: a torn line: %s", file, line);
		assert_string_equal(kj_get_str(o, "Action"), "die");
		json_object_put(o);
		(*n)++;
	}
	fclose(f);
}

static void test_concurrent_appends_and_rotation(void **st)
{
	(void)st;
	char *d = tmpdir();
	/* 8 writers x 200 lines of ~3 KiB (near PIPE_BUF), rotated at 1 MiB:
	 * ~4.8 MiB written, so events.log turns over several times */
	enum { WRITERS = 8, LINES = 200 };
	static char pad[3000];
	memset(pad, 'p', sizeof(pad) - 1);
	struct kevent_attr a[] = { { "name", "web", false }, { "pad", pad, false } };
	struct kevent ev = die;
	ev.attrs = a;
	ev.nattrs = 2;
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			for (int i = 0; i < LINES; i++) {
				kerr e = { 0 };
				if (kevent_append(d, &ev, 1024 * 1024, &e) < 0) {
					fprintf(stderr, "%s\n", e.msg);
					_exit(1);
				}
			}
			_exit(0);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int status;
		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	int n = 0;
	check_lines(d, KEVENT_LOG, &n);
	check_lines(d, KEVENT_LOG_OLD, &n);
	/* the two files hold the last lines; a rotation happened */
	struct stat sb;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", d, KEVENT_LOG_OLD);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size >= 1024 * 1024);
	assert_true(n > 300 && n <= WRITERS * LINES);
	snprintf(path, sizeof(path), "%s/%s", d, KEVENT_LOG);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_mode == (S_IFREG | 0600));
	rm_dir(d);
	free(d);
}

static void test_append_refuses_a_symlinked_log(void **st)
{
	(void)st;
	char *d = tmpdir();
	char path[PATH_MAX], target[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", d, KEVENT_LOG);
	snprintf(target, sizeof(target), "%s/elsewhere", d);
	assert_int_equal(symlink(target, path), 0);
	kerr e = { 0 };
	assert_true(kevent_append(d, &die, 0, &e) < 0);
	assert_int_equal(e.errnum, ELOOP);
	assert_int_equal(access(target, F_OK), -1);
	rm_dir(d);
	free(d);
}

static json_object *ev_json(void)
{
	char buf[KEVENT_LINE_MAX];
	kerr e = { 0 };
	assert_true(kevent_line(&die, buf, &e) > 0);
	return json_tokener_parse(buf);
}

static bool passes(const char *const *filters)
{
	struct kevent_filter f = { 0 };
	kerr e = { 0 };
	for (; *filters; filters++)
		assert_int_equal(kevent_filter_add(&f, *filters, &e), 0);
	json_object *o = ev_json();
	bool r = kevent_match(&f, o);
	json_object_put(o);
	kevent_filter_done(&f);
	return r;
}

#define PASS(...) assert_true(passes((const char *const[]){ __VA_ARGS__, NULL }))
#define BLOCK(...) assert_false(passes((const char *const[]){ __VA_ARGS__, NULL }))

static void test_filters(void **st)
{
	(void)st;
	PASS("container=web");
	PASS("container=0123456789ab");
	PASS("container=" ID);
	BLOCK("container=we");
	BLOCK("container=123");
	PASS("event=die");
	BLOCK("event=start");
	PASS("event=start", "event=die"); /* one key's values: any */
	BLOCK("event=die", "type=image"); /* keys: all */
	PASS("type=container");
	PASS("image=busybox");
	PASS("image=busybox:latest");
	BLOCK("image=busybox:1");
	BLOCK("image=busy");
	BLOCK("image=busybox:lat");
	PASS("label=team");
	PASS("label=team=blue");
	BLOCK("label=team=red");
	BLOCK("label=colour");

	/* health_status: the action's word before the colon matches too */
	struct kevent h = die;
	h.action = "health_status: unhealthy";
	char buf[KEVENT_LINE_MAX];
	kerr e = { 0 };
	assert_true(kevent_line(&h, buf, &e) > 0);
	_cleanup_json_ json_object *o = json_tokener_parse(buf);
	struct kevent_filter f = { 0 };
	assert_int_equal(kevent_filter_add(&f, "event=health_status", &e), 0);
	assert_true(kevent_match(&f, o));
	kevent_filter_done(&f);
	assert_int_equal(kevent_filter_add(&f, "event=health_status: unhealthy", &e), 0);
	assert_true(kevent_match(&f, o));
	kevent_filter_done(&f);
	assert_int_equal(kevent_filter_add(&f, "event=health", &e), 0);
	assert_false(kevent_match(&f, o));
	kevent_filter_done(&f);

	/* bad filters */
	assert_true(kevent_filter_add(&f, "colour=red", &e) < 0);
	assert_non_null(strstr(e.msg, "colour"));
	assert_true(kevent_filter_add(&f, "container", &e) < 0);
	assert_true(kevent_filter_add(&f, "container=", &e) < 0);
	assert_true(kevent_filter_add(&f, "type=volume", &e) < 0);
	kevent_filter_done(&f);
}

static void test_text(void **st)
{
	(void)st;
	_cleanup_json_ json_object *o = ev_json();
	char *s = kevent_text(o);
	assert_string_equal(s, "2026-12-03T05:20:00.123456789Z container die " ID
			       " (exitCode=1, image=busybox:latest, name=web, team=blue)");
	free(s);
}

static void test_parse_time(void **st)
{
	(void)st;
	int64_t t;
	kerr e = { 0 };
	const int64_t now = 1796275200LL * 1000000000;
	assert_int_equal(kevent_parse_time("--since", "2026-12-03T05:20:00.5Z", now, &t, &e), 0);
	assert_true(t == now + 500000000);
	assert_int_equal(kevent_parse_time("--since", "1796275200", now, &t, &e), 0);
	assert_true(t == now);
	assert_int_equal(kevent_parse_time("--since", "1796275200.000000001", now, &t, &e), 0);
	assert_true(t == now + 1);
	assert_int_equal(kevent_parse_time("--since", "10m", now, &t, &e), 0);
	assert_true(t == now - 600LL * 1000000000);
	assert_true(kevent_parse_time("--since", "yesterday", now, &t, &e) < 0);
	assert_non_null(strstr(e.msg, "--since yesterday"));
	assert_true(kevent_parse_time("--until", "12.", now, &t, &e) < 0);
	assert_true(kevent_parse_time("--until", "", now, &t, &e) < 0);
}

/* ---- the reader ---- */

struct got {
	char lines[16][64];
	int n, want;
	struct kloop *l;
};

static int on_line(const char *line, size_t len, void *data, kerr *e)
{
	(void)len, (void)e;
	struct got *g = data;
	json_object *o = json_tokener_parse(line);
	assert_non_null(o);
	snprintf(g->lines[g->n++ % 16], 64, "%s", kj_get_str(o, "Action"));
	json_object_put(o);
	if (g->n >= g->want)
		kloop_exit(g->l, 0);
	return 0;
}

static int on_timeout(struct kloop_source *s, uint64_t n, void *data, kerr *e)
{
	(void)s, (void)n, (void)data, (void)e;
	fail_msg("the reader saw no new line in 10 s");
	return -1;
}

static int append_action(const char *dir, const char *action, off_t max)
{
	struct kevent ev = die;
	ev.action = action;
	kerr e = { 0 };
	return kevent_append(dir, &ev, max, &e);
}

/* A child appending ACTIONS after the reader is watching, each with its
 * rotation bound from MAX. */
static pid_t writer(const char *dir, const char *const *actions, const off_t *max)
{
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		for (; *actions; actions++, max++)
			if (append_action(dir, *actions, *max) < 0)
				_exit(1);
		_exit(0);
	}
	return p;
}

static void test_reader_from_start_then_follows_through_a_rotation(void **st)
{
	(void)st;
	char *d = tmpdir();
	/* before: one in events.log.1, one in events.log */
	assert_int_equal(append_action(d, "create", 0), 0);
	assert_int_equal(append_action(d, "start", 1), 0); /* rotates: create is in .1 */
	struct kloop *l;
	kerr e = { 0 };
	assert_int_equal(kloop_new(&l, &e), 0);
	struct got g = { .l = l, .want = 2 };
	struct kevent_reader *r;
	assert_int_equal(kevent_reader_open(&r, d, l, true, on_line, &g, &e), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.lines[0], "create");
	assert_string_equal(g.lines[1], "start");
	/* then: new lines, the second one rotating the file (a rotation at
	 * 1 byte), the reader following into the new one */
	g.want = 5;
	const char *const more[] = { "kill", "die", "destroy", NULL };
	const off_t more_max[] = { 1 << 20, 1, 1 << 20 };
	pid_t p = writer(d, more, more_max);
	assert_non_null(kloop_add_timer(l, 0, 10 * KLOOP_NSEC_PER_SEC, 0, on_timeout, NULL, &e));
	assert_int_equal(kloop_run(l, &e), 0);
	assert_int_equal(g.n, 5);
	assert_string_equal(g.lines[2], "kill");
	assert_string_equal(g.lines[3], "die");
	assert_string_equal(g.lines[4], "destroy");
	int status;
	waitpid(p, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	kevent_reader_free(r);
	kloop_free(l);

	/* without from_start: only what comes after */
	assert_int_equal(kloop_new(&l, &e), 0);
	struct got g2 = { .l = l, .want = 1 };
	assert_int_equal(kevent_reader_open(&r, d, l, false, on_line, &g2, &e), 0);
	assert_int_equal(g2.n, 0);
	const char *const one[] = { "rename", NULL };
	const off_t one_max[] = { 0 };
	p = writer(d, one, one_max);
	assert_non_null(kloop_add_timer(l, 0, 10 * KLOOP_NSEC_PER_SEC, 0, on_timeout, NULL, &e));
	assert_int_equal(kloop_run(l, &e), 0);
	assert_int_equal(g2.n, 1);
	assert_string_equal(g2.lines[0], "rename");
	waitpid(p, &status, 0);
	kevent_reader_free(r);
	kloop_free(l);
	/* a missing ROOT is an error naming it */
	assert_int_equal(kloop_new(&l, &e), 0);
	assert_true(kevent_reader_open(&r, "/nonexistent-kapsel-root", l, true, on_line, &g2, &e) < 0);
	assert_non_null(strstr(e.msg, "/nonexistent-kapsel-root"));
	kloop_free(l);
	rm_dir(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_shape),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_concurrent_appends_and_rotation),
		cmocka_unit_test(test_append_refuses_a_symlinked_log),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_reader_from_start_then_follows_through_a_rotation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
