/* Unit tests for logs/read.h: crafted json-file and k8s-file logs read
 * back: pieces put together, CRI P/F, --tail across a rotation, since and
 * until (a rotated file out of range is not read), corrupt and cut lines,
 * a compressed rotated file, the time arguments, and a follow through the
 * real writer's rotations. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/fs.h"
#include "common/time.h"
#include "logs/logs.h"
#include "logs/read.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
static char dir[] = "/tmp/test_logs_read.XXXXXX";

static void clear(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -f %s/" ID "*", dir);
	assert_int_equal(system(cmd), 0);
}

static void put(const char *suffix, const char *text)
{
	char path[256];
	kerr e;
	snprintf(path, sizeof(path), "%s/" ID "%s", dir, suffix);
	if (kfs_write_file(path, text, strlen(text), 0600, 0, &e) < 0)
		fail_msg("%s", e.msg);
}

/* a json-file line at second S of a fixed day */
static char *jl(char *buf, int s, const char *stream, const char *log)
{
	sprintf(buf, "{\"log\":\"%s\",\"stream\":\"%s\",\"time\":\"2026-12-02T10:00:%02d.5Z\"}\n", log, stream, s);
	return buf;
}

/* what came out: "o:" / "e:" and the text, "|" after a partial, one per line */
struct got {
	char out[8192];
	size_t n;
	struct timespec times[64];
};

static int collect(const struct klogs_entry *en, void *data, kerr *e)
{
	(void)e;
	struct got *g = data;
	if (g->n < 64)
		g->times[g->n] = en->time;
	g->n++;
	char text[1024];
	size_t t = 0;
	for (size_t i = 0; i < en->len && t + 3 < sizeof(text); i++) {
		if (en->text[i])
			text[t++] = en->text[i];
		else
			text[t++] = '\\', text[t++] = '0';
	}
	text[t] = 0;
	size_t l = strlen(g->out);
	snprintf(g->out + l, sizeof(g->out) - l, "%s%s%s%s%s\n", en->stream == KLOGS_STDERR ? "e:" : "o:", text,
		 en->partial ? "|" : "", *en->attrs ? " @" : "", en->attrs);
	return 0;
}

static struct klogs_read_counts rd(enum klogs_driver d, int64_t tail, const struct timespec *since,
				   const struct timespec *until, struct got *g)
{
	memset(g, 0, sizeof(*g));
	struct klogs_read_opts o = { .driver = d,
				     .since = since,
				     .until = until,
				     .tail = tail,
				     .fn = collect,
				     .data = g };
	struct klogs_read_counts n;
	kerr e;
	if (klogs_read(dir, ID, &o, &n, &e) < 0)
		fail_msg("read: %s", e.msg);
	return n;
}

static void same(const char *got, const char *want)
{
	if (strcmp(got, want))
		fail_msg("got:\n%s\nwant:\n%s", got, want);
}

static void test_partial_pieces(void **st)
{
	(void)st;
	clear();
	char a[256], b[256], c[256], d[256], f[256];
	char all[2048];
	/* stdout's line comes in three pieces, stderr's line between them */
	snprintf(all, sizeof(all), "%s%s%s%s%s", jl(a, 1, "stdout", "aaa"), jl(b, 2, "stderr", "E\\n"),
		 jl(c, 3, "stdout", "bbb"), jl(d, 4, "stdout", "ccc\\n"),
		 jl(f, 5, "stdout", "\\u003cq\\\"\\u00e9\\ud83d\\ude00\\n"));
	put("-json.log", all);
	struct got g;
	struct klogs_read_counts n = rd(KLOGS_JSON_FILE, -1, NULL, NULL, &g);
	same(g.out, "e:E\no:aaabbbccc\no:<q\"\xc3\xa9\xf0\x9f\x98\x80\n");
	assert_int_equal(n.entries, 3);
	assert_int_equal(n.corrupt, 0);
	assert_int_equal(g.times[1].tv_sec % 60, 1); /* the first piece's time */
	assert_int_equal(g.times[1].tv_nsec, 500000000);
	/* a stream that ended mid-line: handed out as it is */
	snprintf(all, sizeof(all), "%s%s", jl(a, 1, "stdout", "x\\n"), jl(b, 2, "stdout", "prompt> "));
	put("-json.log", all);
	rd(KLOGS_JSON_FILE, -1, NULL, NULL, &g);
	same(g.out, "o:x\no:prompt> |\n");
}

static void test_cri(void **st)
{
	(void)st;
	clear();
	put("-k8s.log",
	    "2026-12-02T10:00:01.1Z stdout P aaa\n"
	    "2026-12-02T10:00:02Z stderr F err line\n"
	    "2026-12-02T10:00:03Z stdout P bbb\n"
	    "2026-12-02T10:00:04Z stdout F ccc\n"
	    "2026-12-02T10:00:05Z stdout F \n"
	    "2026-12-02T10:00:06Z stdout F:x with  spaces \n"
	    "2026-12-02T10:00:07Z stdout X bad tag\n"
	    "2026-12-02T10:00:08Z stdio F bad stream\n");
	struct got g;
	struct klogs_read_counts n = rd(KLOGS_K8S_FILE, -1, NULL, NULL, &g);
	same(g.out, "e:err line\no:aaabbbccc\no:\no:with  spaces \n");
	assert_int_equal(n.corrupt, 2);
	/* the json-file reader on the same directory: there is no json log */
	n = rd(KLOGS_JSON_FILE, -1, NULL, NULL, &g);
	assert_int_equal(n.files, 0);
	assert_int_equal(n.entries, 0);
}

static void test_tail_across_rotation(void **st)
{
	(void)st;
	clear();
	char l[8][256], f2[1024], f1[1024], f0[1024];
	snprintf(f2, sizeof(f2), "%s%s%s", jl(l[0], 1, "stdout", "one\\n"), jl(l[1], 2, "stdout", "two\\n"),
		 jl(l[2], 3, "stderr", "three\\n"));
	/* .1 ends with the first piece of a line the live file ends */
	snprintf(f1, sizeof(f1), "%s%s%s", jl(l[3], 4, "stdout", "four\\n"), jl(l[4], 5, "stderr", "five\\n"),
		 jl(l[5], 6, "stdout", "six-"));
	snprintf(f0, sizeof(f0), "%s%s", jl(l[6], 7, "stdout", "six-end\\n"), jl(l[7], 8, "stderr", "seven\\n"));
	put("-json.log.2", f2);
	put("-json.log.1", f1);
	put("-json.log", f0);
	struct got g;
	struct klogs_read_counts n = rd(KLOGS_JSON_FILE, 2, NULL, NULL, &g);
	same(g.out, "o:six-six-end\ne:seven\n");
	assert_int_equal(n.files, 3);
	rd(KLOGS_JSON_FILE, 4, NULL, NULL, &g);
	same(g.out, "o:four\ne:five\no:six-six-end\ne:seven\n");
	rd(KLOGS_JSON_FILE, 0, NULL, NULL, &g);
	same(g.out, "");
	rd(KLOGS_JSON_FILE, 100, NULL, NULL, &g);
	same(g.out, "o:one\no:two\ne:three\no:four\ne:five\no:six-six-end\ne:seven\n");
	rd(KLOGS_JSON_FILE, -1, NULL, NULL, &g);
	same(g.out, "o:one\no:two\ne:three\no:four\ne:five\no:six-six-end\ne:seven\n");
}

/* tail on a file bigger than the reader's blocks: only its end is read */
static void test_tail_big_file(void **st)
{
	(void)st;
	clear();
	char path[256], line[256];
	snprintf(path, sizeof(path), "%s/" ID "-json.log", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 40000; i++) {
		char text[32];
		snprintf(text, sizeof(text), "line %05d\\n", i);
		fputs(jl(line, i % 60, "stdout", text), f);
	}
	fclose(f);
	struct got g;
	rd(KLOGS_JSON_FILE, 3, NULL, NULL, &g);
	same(g.out, "o:line 39997\no:line 39998\no:line 39999\n");
}

/* --since on a file of many blocks: bisected, not read from the start
 * (the corrupt line at its start is never seen) */
static void test_since_big_file(void **st)
{
	(void)st;
	clear();
	char path[256], line[256];
	snprintf(path, sizeof(path), "%s/" ID "-json.log", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("corrupt\n", f);
	for (int i = 0; i < 40000; i++) {
		char text[32];
		snprintf(text, sizeof(text), "line %05d\\n", i);
		fputs(jl(line, i / 700, "stdout", text), f);
	}
	fclose(f);
	struct timespec since;
	assert_int_equal(ktime_parse("2026-12-02T10:00:50Z", &since), 0);
	struct got g;
	struct klogs_read_counts n = rd(KLOGS_JSON_FILE, -1, &since, NULL, &g);
	assert_int_equal(n.entries, 40000 - 50 * 700);
	assert_int_equal(n.corrupt, 0);
	assert_int_equal(strncmp(g.out, "o:line 35000\n", 13), 0);
}

static void test_since_until(void **st)
{
	(void)st;
	clear();
	char l[16][256], f2[4096] = "", f1[4096] = "", f0[4096] = "";
	/* .2: 1-3 with a corrupt line inside: a since past it must not read it */
	strcat(f2, jl(l[0], 1, "stdout", "1\\n"));
	strcat(f2, "{\"log\":\"garbage\n");
	strcat(f2, jl(l[1], 2, "stdout", "2\\n"));
	strcat(f2, jl(l[2], 3, "stdout", "3\\n"));
	for (int i = 4; i <= 6; i++) {
		char t[8];
		snprintf(t, sizeof(t), "%d\\n", i);
		strcat(f1, jl(l[i], i, "stdout", t));
	}
	for (int i = 7; i <= 9; i++) {
		char t[8];
		snprintf(t, sizeof(t), "%d\\n", i);
		strcat(f0, jl(l[i], i, "stdout", t));
	}
	put("-json.log.2", f2);
	put("-json.log.1", f1);
	put("-json.log", f0);
	struct timespec since, until;
	kerr e;
	assert_int_equal(ktime_parse("2026-12-02T10:00:04.5Z", &since), 0);
	assert_int_equal(ktime_parse("2026-12-02T10:00:07.5Z", &until), 0);
	struct got g;
	struct klogs_read_counts n = rd(KLOGS_JSON_FILE, -1, &since, &until, &g);
	same(g.out, "o:4\no:5\no:6\no:7\n"); /* both ends included */
	assert_int_equal(n.corrupt, 0);      /* .2 was not read */
	n = rd(KLOGS_JSON_FILE, -1, NULL, NULL, &g);
	assert_int_equal(n.corrupt, 1);
	assert_int_equal(n.entries, 9);
	/* tail counts inside the window */
	rd(KLOGS_JSON_FILE, 2, &since, &until, &g);
	same(g.out, "o:6\no:7\n");
	/* a since after everything: nothing */
	assert_int_equal(ktime_parse("2027-01-01T00:00:00Z", &since), 0);
	rd(KLOGS_JSON_FILE, -1, &since, NULL, &g);
	same(g.out, "");
	rd(KLOGS_JSON_FILE, 5, &since, NULL, &g);
	same(g.out, "");
	(void)e;
}

static void test_corrupt_and_cut(void **st)
{
	(void)st;
	clear();
	char a[256], b[256], all[2048];
	/* a corrupt line between good ones, then a last line without '\n' */
	snprintf(all, sizeof(all),
		 "%snot json at all\n{\"log\":\"x\\n\",\"stream\":\"stdin\",\"time\":\"2026-12-02T10:00:01Z\"}\n"
		 "{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"yesterday\"}\n\n%s",
		 jl(a, 1, "stdout", "good\\n"), jl(b, 2, "stderr", "last\\n"));
	all[strlen(all) - 1] = 0; /* no trailing newline: still a whole line */
	put("-json.log", all);
	struct got g;
	struct klogs_read_counts n = rd(KLOGS_JSON_FILE, -1, NULL, NULL, &g);
	same(g.out, "o:good\ne:last\n");
	assert_int_equal(n.corrupt, 4);
	n = rd(KLOGS_JSON_FILE, 1, NULL, NULL, &g);
	same(g.out, "e:last\n");
	/* a last line cut mid-write */
	snprintf(all, sizeof(all), "%s{\"log\":\"cut he", jl(a, 1, "stdout", "good\\n"));
	put("-json.log", all);
	n = rd(KLOGS_JSON_FILE, -1, NULL, NULL, &g);
	same(g.out, "o:good\n");
	assert_int_equal(n.corrupt, 1);
	n = rd(KLOGS_JSON_FILE, 5, NULL, NULL, &g);
	same(g.out, "o:good\n");
	assert_int_equal(n.corrupt, 1);
	/* NUL bytes and other fields (Docker's attrs, for --details) */
	put("-json.log",
	    "{\"log\":\"a\\u0000b\\n\",\"stream\":\"stdout\",\"attrs\":{\"z\":\"1\",\"a b\":\"x&y\"},"
	    "\"extra\":[1,{\"k\":null}],\"time\":\"2026-12-02T10:00:01Z\"}\n");
	rd(KLOGS_JSON_FILE, -1, NULL, NULL, &g);
	same(g.out, "o:a\\0b @a+b=x%26y,z=1\n");
}

/* garbage, a FIFO and a line longer than any: skipped and counted, no
 * crash, the good lines still read */
static void test_hostile_files(void **st)
{
	(void)st;
	clear();
	char path[256], line[256];
	snprintf(path, sizeof(path), "%s/" ID "-json.log", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	srand(7);
	for (int i = 0; i < 1 << 20; i++)
		putc(rand() % 7 ? rand() % 256 : '\n', f);
	putc('\n', f);
	for (int i = 0; i < 9 << 20; i++) /* 9 MiB without a newline */
		putc(i % 2 ? '"' : '\\', f);
	putc('\n', f);
	fputs(jl(line, 1, "stdout", "survivor\\n"), f);
	fclose(f);
	struct got g;
	struct klogs_read_counts n = rd(KLOGS_JSON_FILE, -1, NULL, NULL, &g);
	assert_true(n.corrupt > 1000);
	assert_non_null(strstr(g.out, "o:survivor\n"));
	rd(KLOGS_JSON_FILE, 1, NULL, NULL, &g);
	same(g.out, "o:survivor\n");
	rd(KLOGS_JSON_FILE, 5, NULL, NULL, &g); /* backwards into the long line: the rest is given up */
	same(g.out, "o:survivor\n");
	n = rd(KLOGS_K8S_FILE, 5, NULL, NULL, &g);
	assert_int_equal(n.files, 0);
	/* a FIFO where a rotated file would be: an error, not a hang */
	char fifo[300];
	snprintf(fifo, sizeof(fifo), "%s.1", path);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	struct klogs_read_opts o = { .driver = KLOGS_JSON_FILE, .tail = -1, .fn = collect, .data = &g };
	kerr e;
	assert_int_equal(klogs_read(dir, ID, &o, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "not a regular file"));
	unlink(fifo);
}

static void test_gz_rotated(void **st)
{
	(void)st;
	clear();
	char a[256], b[256], c[256], path[256];
	snprintf(path, sizeof(path), "%s/" ID "-json.log.1.gz", dir);
	gzFile z = gzopen(path, "wb");
	assert_non_null(z);
	gzputs(z, jl(a, 1, "stdout", "zipped\\n"));
	gzputs(z, jl(b, 2, "stdout", "half-"));
	gzclose(z);
	put("-json.log", jl(c, 3, "stdout", "done\\n"));
	struct got g;
	rd(KLOGS_JSON_FILE, -1, NULL, NULL, &g);
	same(g.out, "o:zipped\no:half-done\n");
	rd(KLOGS_JSON_FILE, 2, NULL, NULL, &g);
	same(g.out, "o:zipped\no:half-done\n");
}

static void time_is(const char *s, const struct timespec *now, long long sec, long nsec)
{
	struct timespec t;
	kerr e;
	if (klogs_time_arg("--since", s, now, &t, &e) < 0)
		fail_msg("%s: %s", s, e.msg);
	if (t.tv_sec != sec || t.tv_nsec != nsec)
		fail_msg("%s: got %lld.%09ld, want %lld.%09ld", s, (long long)t.tv_sec, t.tv_nsec, sec, nsec);
}

static void test_time_args(void **st)
{
	(void)st;
	struct timespec now = { 1764680645, 250000000 };
	time_is("10m", &now, 1764680645 - 600, 250000000);
	time_is("1h30m", &now, 1764680645 - 5400, 250000000);
	time_is("-5m", &now, 1764680645 + 300, 250000000);
	time_is("1.5s", &now, 1764680643, 750000000);
	time_is("1764680645.5", &now, 1764680645, 500000000);
	time_is("1764680645", &now, 1764680645, 0);
	time_is("0", &now, 0, 0);
	time_is("2026-12-02T13:04:05Z", &now, 1796216645, 0);
	time_is("2026-12-02T13:04:05.123+01:00", &now, 1796216645 - 3600, 123000000);
	setenv("TZ", "UTC", 1);
	time_is("2026-12-02", &now, 1796169600, 0);
	time_is("2026-12-02T13:04", &now, 1796216640, 0);
	struct timespec t;
	kerr e;
	const char *bad[] = { "", "yesterday", "10x", "12.", "2026-13-01", "1.1234567891", NULL };
	for (const char **b = bad; *b; b++) {
		if (klogs_time_arg("--until", *b, &now, &t, &e) == 0)
			fail_msg("\"%s\" accepted", *b);
		assert_non_null(strstr(e.msg, "--until"));
	}
}

static void test_not_a_file_driver(void **st)
{
	(void)st;
	struct got g;
	struct klogs_read_opts o = { .driver = KLOGS_NONE, .tail = -1, .fn = collect, .data = &g };
	kerr e;
	assert_int_equal(klogs_read(dir, ID, &o, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "none"));
}

/* ---- follow: a writer process with the real driver, rotating ---- */

static int go_fd = -1;

static int release_writer(void *data, kerr *e)
{
	(void)data;
	(void)e;
	if (go_fd >= 0) {
		assert_int_equal(write(go_fd, "g", 1), 1);
		close(go_fd);
		go_fd = -1;
	}
	return 0;
}

static void test_follow_through_rotation(void **st)
{
	(void)st;
	clear();
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[1]);
		char c;
		if (read(p[0], &c, 1) != 1)
			_exit(2);
		struct klogs_config cfg = { KLOGS_JSON_FILE, 2000, 50 };
		struct klogs *l;
		kerr e;
		if (klogs_open(&l, &cfg, dir, ID, &e) < 0)
			_exit(3);
		for (int i = 0; i < 1000; i++) {
			char line[32];
			int n = snprintf(line, sizeof(line), "%d\n", i);
			klogs_feed(l, i % 3 ? KLOGS_STDOUT : KLOGS_STDERR, line, (size_t)n);
		}
		klogs_feed(l, KLOGS_STDOUT, "no newline", 10);
		klogs_flush(l, KLOGS_STDOUT);
		klogs_close(l);
		_exit(0);
	}
	close(p[0]);
	go_fd = p[1];
	/* the writer starts at the first idle (after the watch is on); its 35
	 * rotations must lose nothing (collect keeps the first lines only:
	 * the counts are what matter) */
	static struct got g;
	struct klogs_read_opts o = { .driver = KLOGS_JSON_FILE,
				     .tail = -1,
				     .follow_pid = pid,
				     .fn = collect,
				     .idle = release_writer,
				     .data = &g };
	struct klogs_read_counts n;
	kerr e;
	if (klogs_read(dir, ID, &o, &n, &e) < 0)
		fail_msg("follow: %s", e.msg);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(n.entries, 1001);
	assert_int_equal(n.corrupt, 0);
	release_writer(NULL, NULL);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_pieces),       cmocka_unit_test(test_cri),
		cmocka_unit_test(test_tail_across_rotation), cmocka_unit_test(test_tail_big_file),
		cmocka_unit_test(test_since_until),          cmocka_unit_test(test_since_big_file),
		cmocka_unit_test(test_corrupt_and_cut),      cmocka_unit_test(test_hostile_files),
		cmocka_unit_test(test_gz_rotated),           cmocka_unit_test(test_time_args),
		cmocka_unit_test(test_not_a_file_driver),    cmocka_unit_test(test_follow_through_rotation),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
