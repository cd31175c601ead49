/* The cgroup-device eBPF program, enforced by the kernel: a scratch cgroup
 * in this host's cgroup2 tree gets the program, a forked child moves in and
 * tries open(2) and mknod(2); the rules decide as cgroup v1 would, and on
 * a host that has the v1 devices controller too, random rule lists are
 * tried on both and must give the same answers.  Applying other rules
 * replaces the program (one kapsel program attached, a new id).  The kernel checks the cgroup2
 * cgroup of a task also on a hybrid host, so this runs there too.  Needs
 * root and a kernel with cgroup BPF; skipped elsewhere. */
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
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/bpf.h>

#include "cgroup/devices_bpf.h"
#include "cgroup/driver.h"
#include "common/cleanup.h"
#include "common/fs.h"

static char cg[PATH_MAX], tmp[PATH_MAX];

static const char *v2_root(void)
{
	struct stat st;
	if (stat("/sys/fs/cgroup/unified/cgroup.procs", &st) == 0)
		return "/sys/fs/cgroup/unified";
	if (stat("/sys/fs/cgroup/cgroup.procs", &st) == 0 && stat("/sys/fs/cgroup/cgroup.freeze", &st) == 0)
		return "/sys/fs/cgroup";
	return NULL;
}

/* One access a child in the cgroup tries: open PATH with FLAGS, or (PATH
 * NULL) mknod a node of TYPE (S_IFCHR, S_IFBLK) MAJOR:MINOR in a temp dir. */
struct
try {
	const char *path;
	int flags;
	mode_t type;
	unsigned major, minor;
	int want; /* 0 or the errno */
};

/* Run T in a child inside the cgroup; every result must be as wanted. */
static int try_in(const char *cgprocs, const struct try *t, size_t n, int *rs);

static void check(const struct try *t, size_t n)
{
	int rs[64];
	char procs[PATH_MAX + 16];
	assert_true(n <= ARRAY_SIZE(rs));
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	assert_int_equal(try_in(procs, t, n, rs), 0);
	for (size_t i = 0; i < n; i++) {
		if (rs[i] != t[i].want)
			fail_msg("try %zu (%s %s%u:%u): got %s, want %s", i, t[i].path ? t[i].path : "mknod",
				 t[i].type == S_IFBLK ? "b " : "", t[i].major, t[i].minor,
				 rs[i] ? strerror(rs[i]) : "success", t[i].want ? strerror(t[i].want) : "success");
	}
}

static int setup(void **state)
{
	(void)state;
	const char *root = v2_root();
	if (geteuid() != 0 || !root)
		return 0;
	snprintf(cg, sizeof(cg), "%s/kapsel-unit-devbpf-%d", root, getpid());
	snprintf(tmp, sizeof(tmp), "/tmp/kapsel-unit-devbpf-XXXXXX");
	if (mkdir(cg, 0755) < 0 || !mkdtemp(tmp))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (*cg)
		rmdir(cg);
	if (*tmp)
		rmdir(tmp);
	return 0;
}

#define NEED_CGROUP() \
	do { \
		if (!*cg) \
			skip(); \
	} while (0)

static const struct kcg_dev_rule first[] = {
	{ 0, 'a', -1, -1, "rwm" }, { 1, 'c', 1, 3, "rwm" }, /* null */
	{ 1, 'c', 1, 7, "r" },                              /* full: read only */
	{ 1, 'c', 1, 5, "rwm" },                            /* zero, ... */
	{ 0, 'c', 1, 5, "w" },                              /* ... but a later rule takes write away */
	{ 1, 'c', 1, 9, "m" },                              /* urandom: mknod only */
	{ 1, 'b', 7, -1, "m" },                             /* loop devices: mknod only */
};

static void test_enforced(void **state)
{
	(void)state;
	NEED_CGROUP();
	kerr e = { 0 };
	if (kcg_devbpf_apply(cg, first, ARRAY_SIZE(first), &e) < 0)
		fail_msg("%s", e.msg);
	static const struct try t[] = {
		{ "/dev/null", O_RDWR, 0, 0, 0, 0 },
		{ "/dev/full", O_RDONLY, 0, 0, 0, 0 },
		{ "/dev/full", O_WRONLY, 0, 0, 0, EPERM },
		{ "/dev/full", O_RDWR, 0, 0, 0, EPERM }, /* one of two accesses denied */
		{ "/dev/zero", O_RDONLY, 0, 0, 0, 0 },
		{ "/dev/zero", O_WRONLY, 0, 0, 0, EPERM },
		{ "/dev/urandom", O_RDONLY, 0, 0, 0, EPERM },
		{ "/dev/random", O_RDONLY, 0, 0, 0, EPERM }, /* no rule */
		{ NULL, 0, S_IFCHR, 1, 3, 0 },
		{ NULL, 0, S_IFCHR, 1, 9, 0 },
		{ NULL, 0, S_IFCHR, 1, 7, EPERM },
		{ NULL, 0, S_IFCHR, 1, 8, EPERM },
		{ NULL, 0, S_IFBLK, 7, 0, 0 },
		{ NULL, 0, S_IFBLK, 7, 12, 0 },
		{ NULL, 0, S_IFCHR, 7, 0, EPERM }, /* the type counts */
		{ NULL, 0, S_IFBLK, 8, 0, EPERM },
		{ NULL, 0, S_IFBLK, 1, 3, EPERM },
	};
	check(t, ARRAY_SIZE(t));
	/* outside the cgroup nothing changed */
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	close(fd);
}

static void test_replaced(void **state)
{
	(void)state;
	NEED_CGROUP();
	kerr e = { 0 };
	uint32_t ids[4], ids2[4];
	if (kcg_devbpf_apply(cg, first, ARRAY_SIZE(first), &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(kcg_devbpf_query(cg, ids, ARRAY_SIZE(ids), &e), 1);
	/* every char device of major 1 readable and writable; nothing else */
	static const struct kcg_dev_rule wide[] = { { 1, 'c', 1, -1, "rw" } };
	if (kcg_devbpf_apply(cg, wide, ARRAY_SIZE(wide), &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(kcg_devbpf_query(cg, ids2, ARRAY_SIZE(ids2), &e), 1);
	assert_int_not_equal(ids[0], ids2[0]);
	static const struct try t[] = {
		{ "/dev/urandom", O_RDONLY, 0, 0, 0, 0 }, /* denied before */
		{ "/dev/full", O_RDWR, 0, 0, 0, 0 },      { "/dev/zero", O_WRONLY, 0, 0, 0, 0 },
		{ NULL, 0, S_IFCHR, 1, 3, EPERM }, /* mknod no longer */
		{ NULL, 0, S_IFBLK, 7, 0, EPERM },
	};
	check(t, ARRAY_SIZE(t));
	/* the same rules again: still one */
	if (kcg_devbpf_apply(cg, wide, ARRAY_SIZE(wide), &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(kcg_devbpf_query(cg, ids, ARRAY_SIZE(ids), &e), 1);
	/* no rules at all: everything denied */
	if (kcg_devbpf_apply(cg, NULL, 0, &e) < 0)
		fail_msg("%s", e.msg);
	static const struct try none[] = {
		{ "/dev/null", O_RDONLY, 0, 0, 0, EPERM },
		{ NULL, 0, S_IFCHR, 1, 3, EPERM },
	};
	check(none, ARRAY_SIZE(none));
}

/* The rules through the plan text the v2 driver writes. */
static void test_rule_text(void **state)
{
	(void)state;
	_cleanup_free_ char *txt = NULL;
	_cleanup_free_ struct kcg_dev_rule *back = NULL;
	size_t n;
	kerr e = { 0 };
	assert_int_equal(kcg_dev_rules_format(first, ARRAY_SIZE(first), &txt), 0);
	assert_string_equal(txt,
			    "deny a *:* rwm\nallow c 1:3 rwm\nallow c 1:7 r\nallow c 1:5 rwm\ndeny c 1:5 w\n"
			    "allow c 1:9 m\nallow b 7:* m\n");
	assert_int_equal(kcg_dev_rules_parse(txt, &back, &n, &e), 0);
	assert_int_equal(n, ARRAY_SIZE(first));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(back[i].allow, first[i].allow);
		assert_int_equal(back[i].type, first[i].type);
		assert_int_equal(back[i].major, first[i].major);
		assert_int_equal(back[i].minor, first[i].minor);
		assert_string_equal(back[i].access, first[i].access);
	}
	struct kcg_dev_rule *bad = NULL;
	assert_int_equal(kcg_dev_rules_parse("allow c 1:3 rwx\n", &bad, &n, &e), -1);
	assert_string_equal(e.msg, "device rule \"allow c 1:3 rwx\": expected \"allow|deny TYPE MAJOR:MINOR ACCESS\"");
	assert_int_equal(kcg_dev_rules_parse("permit c 1:3 r\n", &bad, &n, &e), -1);
	assert_int_equal(kcg_dev_rules_parse("allow c 1 r\n", &bad, &n, &e), -1);
}

/* Program shape: a rule that matches every device and names every access
 * ends the program; the verifier refuses unreachable instructions, so this
 * must hold. */
static void test_build(void **state)
{
	(void)state;
	struct kcg_devbpf p;
	kerr e = { 0 };
	static const struct kcg_dev_rule all[] = { { 1, 'c', 1, 3, "rwm" }, { 1, 'a', -1, -1, "rwm" } };
	assert_int_equal(kcg_devbpf_build(all, ARRAY_SIZE(all), &p, &e), 0);
	/* 6 loads + return 1 */
	assert_int_equal(p.n, 6 + 2);
	kcg_devbpf_free(&p);
	assert_int_equal(kcg_devbpf_build(NULL, 0, &p, &e), 0);
	assert_int_equal(p.n, 6 + 2);
	kcg_devbpf_free(&p);
	/* c 1:3 rw: 3 tests, "asks for m" test, return 1; then deny */
	static const struct kcg_dev_rule one[] = { { 1, 'c', 1, 3, "rw" } };
	assert_int_equal(kcg_devbpf_build(one, ARRAY_SIZE(one), &p, &e), 0);
	assert_int_equal(p.n, 6 + 3 + 1 + 2 + 2);
	kcg_devbpf_free(&p);
	/* exceptions as v1 keeps them: merged per node, taken away by a rule
	 * that agrees with the default, left out when another covers them */
	static const struct kcg_dev_rule dup[] = {
		{ 1, 'c', 1, 3, "rw" },   { 0, 'c', 1, 3, "r" }, /* c 1:3 w */
		{ 1, 'c', 1, -1, "rw" },                         /* covered by c *:* rw */
		{ 1, 'c', 1, 3, "m" },                           /* c 1:3 wm */
		{ 1, 'c', -1, -1, "rw" },
	};
	struct kcg_dev_state st;
	assert_int_equal(kcg_dev_reduce(dup, ARRAY_SIZE(dup), &st, &e), 0);
	assert_int_equal(st.allow, 0);
	assert_int_equal(st.n, 3);
	assert_int_equal(st.ex[0].access, BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD);
	assert_int_equal(st.ex[1].major, 1);
	assert_int_equal(st.ex[1].minor, -1);
	free(st.ex);
	assert_int_equal(kcg_devbpf_build(dup, ARRAY_SIZE(dup), &p, &e), 0);
	/* c 1:3 wm: 3 tests + 1 + 2; c *:* rw: 1 test + 1 + 2; deny */
	assert_int_equal(p.n, 6 + 6 + 4 + 2);
	kcg_devbpf_free(&p);
	/* "a" sets the default whatever it names; a default-allow list's
	 * exceptions deny */
	static const struct kcg_dev_rule open_list[] = {
		{ 1, 'c', 1, 3, "r" }, { 1, 'a', 1, 3, "r" }, { 0, 'b', -1, -1, "rwm" },
		{ 0, 'c', 1, 5, "w" }, { 1, 'c', 1, 5, "w" }, /* agrees with the default: c 1:5 w taken out again */
	};
	assert_int_equal(kcg_dev_reduce(open_list, ARRAY_SIZE(open_list), &st, &e), 0);
	assert_int_equal(st.allow, 1);
	assert_int_equal(st.n, 1);
	assert_int_equal(st.ex[0].type, 'b');
	free(st.ex);
}

/* ---------------------------------------------- v1 and the program agree */

#define V1_DEVICES "/sys/fs/cgroup/devices"

/* One child moved into CGPROCS tries every access of T; the errnos. */
static int try_in(const char *cgprocs, const struct try *t, size_t n, int *rs)
{
	int p[2], st;
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		char self[32];
		kerr e;
		snprintf(self, sizeof(self), "%d", getpid());
		if (kfs_write_str(cgprocs, self, &e) < 0)
			_exit(100);
		for (size_t i = 0; i < n; i++) {
			int r;
			if (t[i].path) {
				r = open(t[i].path, t[i].flags | O_CLOEXEC);
				if (r >= 0)
					close(r);
			} else {
				char node[PATH_MAX + 32];
				snprintf(node, sizeof(node), "%s/d%zu", tmp, i);
				r = mknod(node, t[i].type | 0600, makedev(t[i].major, t[i].minor));
				if (r == 0)
					unlink(node);
			}
			rs[i] = r < 0 ? errno : 0;
		}
		_exit(write(p[1], rs, n * sizeof(int)) == (ssize_t)(n * sizeof(int)) ? 0 : 101);
	}
	close(p[1]);
	ssize_t got = read(p[0], rs, n * sizeof(int));
	close(p[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || got != (ssize_t)(n * sizeof(int)))
		return -1;
	return 0;
}

static void format_rule(const struct kcg_dev_rule *r, char *buf, size_t n)
{
	char ma[24] = "*", mi[24] = "*";
	if (r->major >= 0)
		snprintf(ma, sizeof(ma), "%lld", (long long)r->major);
	if (r->minor >= 0)
		snprintf(mi, sizeof(mi), "%lld", (long long)r->minor);
	snprintf(buf, n, "%s %c %s:%s %s", r->allow ? "allow" : "deny", r->type, ma, mi, r->access);
}

static void test_same_as_v1(void **state)
{
	(void)state;
	NEED_CGROUP();
	struct stat sb;
	if (stat(V1_DEVICES "/devices.allow", &sb) < 0)
		skip(); /* a pure cgroup v2 host: nothing to compare with */
	char v1[PATH_MAX], procs1[PATH_MAX + 16], procs2[PATH_MAX + 16], file[PATH_MAX + 16];
	snprintf(v1, sizeof(v1), V1_DEVICES "/kapsel-unit-devdiff-%d", getpid());
	assert_int_equal(mkdir(v1, 0755), 0);
	snprintf(procs1, sizeof(procs1), "%s/cgroup.procs", v1);
	snprintf(procs2, sizeof(procs2), "%s/cgroup.procs", cg);
	static const struct try t[] = {
		{ "/dev/null", O_RDONLY, 0, 0, 0, 0 }, { "/dev/null", O_WRONLY, 0, 0, 0, 0 },
		{ "/dev/null", O_RDWR, 0, 0, 0, 0 },   { "/dev/zero", O_RDONLY, 0, 0, 0, 0 },
		{ "/dev/zero", O_RDWR, 0, 0, 0, 0 },   { "/dev/full", O_WRONLY, 0, 0, 0, 0 },
		{ NULL, 0, S_IFCHR, 1, 3, 0 },         { NULL, 0, S_IFCHR, 1, 9, 0 },
		{ NULL, 0, S_IFBLK, 7, 3, 0 },         { NULL, 0, S_IFBLK, 1, 5, 0 },
		{ NULL, 0, S_IFCHR, 7, 3, 0 },
	};
	static const int64_t majors[] = { 1, 1, 7, -1 }, minors[] = { 3, 5, 7, -1 };
	static const char types[] = "ccbba";
	static const char *const accs[] = { "r", "w", "m", "rw", "rm", "wm", "rwm" };
	unsigned seed = (unsigned)getpid();
	kerr e = { 0 };
	for (int round = 0; round < 150; round++) {
		struct kcg_dev_rule rules[6];
		size_t n = 1 + (size_t)(rand_r(&seed) % 6);
		char text[512] = "";
		for (size_t i = 0; i < n; i++) {
			struct kcg_dev_rule *r = &rules[i];
			r->allow = rand_r(&seed) % 3 != 0;
			r->type = types[rand_r(&seed) % 5];
			if (r->type == 'a' && rand_r(&seed) % 2)
				r->type = 'c'; /* "a" rarely: it wipes the list */
			r->major = majors[rand_r(&seed) % 4];
			r->minor = minors[rand_r(&seed) % 4];
			snprintf(r->access, sizeof(r->access), "%s", accs[rand_r(&seed) % 7]);
			char line[64];
			format_rule(r, line, sizeof(line));
			size_t l = strlen(text);
			snprintf(text + l, sizeof(text) - l, "%s\n", line);
		}
		/* v1: deny-all, then each rule, as the v1 driver writes them */
		snprintf(file, sizeof(file), "%s/devices.deny", v1);
		if (kfs_write_str(file, "a *:* rwm", &e) < 0)
			fail_msg("%s", e.msg);
		for (size_t i = 0; i < n; i++) {
			char line[64];
			format_rule(&rules[i], line, sizeof(line));
			snprintf(file, sizeof(file), "%s/devices.%s", v1, rules[i].allow ? "allow" : "deny");
			if (kfs_write_str(file, strchr(line, ' ') + 1, &e) < 0)
				fail_msg("%s", e.msg);
		}
		if (kcg_devbpf_apply(cg, rules, n, &e) < 0)
			fail_msg("%s\n%s", e.msg, text);
		int a[ARRAY_SIZE(t)], b[ARRAY_SIZE(t)];
		assert_int_equal(try_in(procs1, t, ARRAY_SIZE(t), a), 0);
		assert_int_equal(try_in(procs2, t, ARRAY_SIZE(t), b), 0);
		for (size_t i = 0; i < ARRAY_SIZE(t); i++)
			if (a[i] != b[i])
				fail_msg("round %d, try %zu (%s %s%u:%u flags %d): v1 %s, program %s; rules:\n%s",
					 round, i, t[i].path ? t[i].path : "mknod", t[i].type == S_IFBLK ? "b " : "",
					 t[i].major, t[i].minor, t[i].flags, a[i] ? strerror(a[i]) : "allowed",
					 b[i] ? strerror(b[i]) : "allowed", text);
	}
	rmdir(v1);
}

/* A program the verifier refuses: its log is in the message. */
static void test_verifier_log(void **state)
{
	(void)state;
	NEED_CGROUP();
	struct bpf_insn bad[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 0, .src_reg = 7 }, /* r0 = r7, never set */
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct kcg_devbpf p = { bad, ARRAY_SIZE(bad), ARRAY_SIZE(bad) };
	kerr e = { 0 };
	assert_int_equal(kcg_devbpf_load(&p, &e), -1);
	assert_non_null(strstr(e.msg, "load the device program (2 instructions): the verifier refused it"));
	assert_non_null(strstr(e.msg, "R7 !read_ok"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_text),  cmocka_unit_test(test_build),
		cmocka_unit_test(test_enforced),   cmocka_unit_test(test_replaced),
		cmocka_unit_test(test_same_as_v1), cmocka_unit_test(test_verifier_log),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
