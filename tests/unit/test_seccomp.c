/* Unit tests for linux/seccomp.c and linux/seccomp_default.c: translation of
 * linux.seccomp (checked against libseccomp driven by hand), errors that
 * name the field, the on-disk cache, and real installs in forked children.
 * No test depends on timing. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "linux/kseccomp.h"
#include "oci/seccomp_default.h"

#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/filter.h>
#include <sched.h>
#include <seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static char tmproot[] = "/tmp/kapsel-test-seccomp-XXXXXX";
static int dir_seq;

/* ---- helpers ---- */

static json_object *parse(const char *txt)
{
	json_object *o = json_tokener_parse(txt);
	if (!o)
		fail_msg("test JSON does not parse: %s", txt);
	return o;
}

/* the cache directory the tests hand kseccomp_compile ("": none) */
static char test_cache[1024];

static void use_cache(const char *dir)
{
	snprintf(test_cache, sizeof(test_cache), "%s", dir);
}

static void cache_off(void)
{
	use_cache("");
}

/* A fresh private cache directory (not created yet when !create). */
static void cache_fresh(char *out, size_t n, int create)
{
	snprintf(out, n, "%s/cache%d", tmproot, ++dir_seq);
	if (create)
		assert_int_equal(mkdir(out, 0700), 0);
	use_cache(out);
}

static struct kseccomp *compile_ok(json_object *p)
{
	struct kseccomp *sc = NULL;
	kerr e = { 0 };
	if (kseccomp_compile(p, test_cache, &sc, &e) < 0)
		fail_msg("compile failed: %s", e.msg);
	assert_non_null(sc);
	return sc;
}

static struct kseccomp *compile_txt(const char *txt)
{
	json_object *p = parse(txt);
	struct kseccomp *sc = compile_ok(p);
	json_object_put(p);
	return sc;
}

static void assert_same_program(struct kseccomp *a, struct kseccomp *b)
{
	size_t na, nb;
	const struct sock_filter *pa = kseccomp_program(a, &na), *pb = kseccomp_program(b, &nb);
	assert_true(na > 0);
	assert_int_equal(na, nb);
	assert_memory_equal(pa, pb, na * sizeof(*pa));
}

static int same_program(struct kseccomp *a, struct kseccomp *b)
{
	size_t na, nb;
	const struct sock_filter *pa = kseccomp_program(a, &na), *pb = kseccomp_program(b, &nb);
	return na == nb && !memcmp(pa, pb, na * sizeof(*pa));
}

/* The only *.bpf file in DIR (fails if there is not exactly one). */
static void cache_file(const char *dir, char *out, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l > 4 && !strcmp(de->d_name + l - 4, ".bpf")) {
			snprintf(out, n, "%s/%s", dir, de->d_name);
			found++;
		}
	}
	closedir(d);
	assert_int_equal(found, 1);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void write_bytes(const char *path, const void *buf, size_t len, int flags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static size_t read_bytes(const char *path, void *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, cap);
	assert_true(n >= 0);
	close(fd);
	return (size_t)n;
}

/* ---- children ---- */

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "child: %s:%d: check failed: %s (errno %d %s)\n", __FILE__, \
				__LINE__, #c, errno, strerror(errno));                            \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

/* Run FN in a forked child; its return value is the exit code (0 = pass). */
static int run_child(int (*fn)(void *), void *arg)
{
	int st;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60); /* a hang becomes a failure, not a stuck test run */
		_exit(fn(arg));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "child killed by signal %d\n", WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	return WEXITSTATUS(st);
}

static int install_or_report(struct kseccomp *sc)
{
	kerr e = { 0 };
	if (kseccomp_install(sc, &e) < 0) {
		fprintf(stderr, "child: install: %s\n", e.msg);
		return -1;
	}
	return 0;
}

/* ---- translation ---- */

/* Export a hand-built libseccomp filter, for comparison. */
static struct sock_filter *export_ctx(scmp_filter_ctx ctx, size_t *n)
{
	int fd = memfd_create("test", MFD_CLOEXEC);
	struct stat st;
	assert_true(fd >= 0);
	assert_int_equal(seccomp_export_bpf(ctx, fd), 0);
	assert_int_equal(fstat(fd, &st), 0);
	struct sock_filter *p = malloc((size_t)st.st_size);
	assert_non_null(p);
	assert_int_equal(pread(fd, p, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*n = (size_t)st.st_size / sizeof(*p);
	return p;
}

static int nr(const char *name)
{
	int n = seccomp_syscall_resolve_name(name);
	assert_int_not_equal(n, __NR_SCMP_ERROR);
	return n;
}

static struct scmp_arg_cmp cmp(unsigned int arg, enum scmp_compare op, uint64_t a, uint64_t b)
{
	return (struct scmp_arg_cmp){ .arg = arg, .op = op, .datum_a = a, .datum_b = b };
}

static const char *const good_profile =
	"{ \"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 5,"
	"  \"architectures\": [ \"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\" ],"
	"  \"flags\": [ \"SECCOMP_FILTER_FLAG_LOG\" ],"
	"  \"comment\": \"unknown members are ignored\","
	"  \"syscalls\": ["
	"    { \"names\": [ \"read\", \"write\" ], \"action\": \"SCMP_ACT_ALLOW\" },"
	"    { \"names\": [ \"getcwd\" ], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38 },"
	"    { \"names\": [ \"getpriority\" ], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
	"        { \"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\" },"
	"        { \"index\": 1, \"value\": 5, \"valueTwo\": 0, \"op\": \"SCMP_CMP_GT\" } ] },"
	"    { \"names\": [ \"setpriority\" ], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 7, \"args\": ["
	"        { \"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\" },"
	"        { \"index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_EQ\" } ] },"
	"    { \"names\": [ \"personality\" ], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
	"        { \"index\": 0, \"value\": 255, \"valueTwo\": 8, \"op\": \"SCMP_CMP_MASKED_EQ\" } ] },"
	"    { \"names\": [ \"kill\" ], \"action\": \"SCMP_ACT_LOG\", \"args\": ["
	"        { \"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_NE\" },"
	"        { \"index\": 1, \"value\": 9, \"op\": \"SCMP_CMP_LT\" },"
	"        { \"index\": 2, \"value\": 3, \"op\": \"SCMP_CMP_LE\" },"
	"        { \"index\": 3, \"value\": 4, \"op\": \"SCMP_CMP_GE\" } ] },"
	"    { \"names\": [ \"uname\" ], \"action\": \"SCMP_ACT_TRAP\" },"
	"    { \"names\": [ \"getppid\" ], \"action\": \"SCMP_ACT_KILL\" },"
	"    { \"names\": [ \"gettid\" ], \"action\": \"SCMP_ACT_KILL_THREAD\" },"
	"    { \"names\": [ \"getuid\" ], \"action\": \"SCMP_ACT_KILL_PROCESS\" },"
	"    { \"names\": [ \"geteuid\" ], \"action\": \"SCMP_ACT_TRACE\" },"
	"    { \"names\": [ \"getegid\" ], \"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": 3 }"
	"  ] }";

/* The good profile compiles to exactly what libseccomp makes when driven
 * by hand the way runc does. */
static void test_translate_matches_libseccomp(void **state)
{
	(void)state;
	cache_off();
	struct kseccomp *sc = compile_txt(good_profile);

	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(5));
	assert_non_null(ctx);
	assert_int_equal(seccomp_arch_add(ctx, SCMP_ARCH_X86), 0);
	assert_int_equal(seccomp_arch_add(ctx, SCMP_ARCH_X32), 0);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr("read"), 0), 0);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr("write"), 0), 0);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(38), nr("getcwd"), 0), 0);
	/* distinct indexes: one rule, AND */
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr("getpriority"), 2,
					  cmp(0, SCMP_CMP_EQ, 0, 0), cmp(1, SCMP_CMP_GT, 5, 0)), 0);
	/* repeated index: one rule per condition, OR */
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_TRACE(7), nr("setpriority"), 1, cmp(0, SCMP_CMP_EQ, 1, 0)), 0);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_TRACE(7), nr("setpriority"), 1, cmp(0, SCMP_CMP_EQ, 2, 0)), 0);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr("personality"), 1,
					  cmp(0, SCMP_CMP_MASKED_EQ, 255, 8)), 0);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_LOG, nr("kill"), 4, cmp(0, SCMP_CMP_NE, 1, 0),
					  cmp(1, SCMP_CMP_LT, 9, 0), cmp(2, SCMP_CMP_LE, 3, 0), cmp(3, SCMP_CMP_GE, 4, 0)), 0);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_TRAP, nr("uname"), 0), 0);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_KILL_THREAD, nr("getppid"), 0), 0);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_KILL_THREAD, nr("gettid"), 0), 0);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr("getuid"), 0), 0);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_TRACE(EPERM), nr("geteuid"), 0), 0);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr("getegid"), 0), 0);

	size_t n, want_n;
	struct sock_filter *want = export_ctx(ctx, &want_n);
	const struct sock_filter *got = kseccomp_program(sc, &n);
	assert_int_equal(n, want_n);
	assert_memory_equal(got, want, n * sizeof(*got));
	assert_int_equal(kseccomp_cached(sc), 0);
	free(want);
	seccomp_release(ctx);
	kseccomp_free(sc);
}

static void test_translate_all_flags(void **state)
{
	(void)state;
	cache_off();
	/* every flag name is accepted; flags do not change the program */
	struct kseccomp *a = compile_txt("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":["
					 "\"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_LOG\","
					 "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\",\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
					 "\"syscalls\":[{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
	struct kseccomp *b = compile_txt("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
					 "\"syscalls\":[{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
	assert_same_program(a, b);
	kseccomp_free(a);
	kseccomp_free(b);
	/* null members count as absent */
	a = compile_txt("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":null,\"architectures\":null,"
			"\"syscalls\":null,\"defaultErrnoRet\":null}");
	kseccomp_free(a);
}

static void test_unknown_syscalls_skipped(void **state)
{
	(void)state;
	char logpath[512];
	snprintf(logpath, sizeof(logpath), "%s/debug.log", tmproot);
	assert_int_equal(klog_open(logpath, KLOG_TEXT, 1), 0);
	cache_off();

	struct kseccomp *a = compile_txt("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
					 "{\"names\":[\"getcwd\",\"no_such_syscall_kapsel\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
	struct kseccomp *b = compile_txt("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
					 "{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
	assert_same_program(a, b);
	kseccomp_free(a);
	kseccomp_free(b);
	/* an entry with nothing but unknown names is fine too */
	a = compile_txt("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
			"{\"names\":[\"nope_one\",\"nope_two\"],\"action\":\"SCMP_ACT_KILL\"}]}");
	kseccomp_free(a);

	klog_close();
	klog_open(NULL, KLOG_TEXT, 0);
	char buf[8192];
	size_t n = read_bytes(logpath, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "linux.seccomp.syscalls[0].names[1]: unknown syscall \"no_such_syscall_kapsel\", skipped"));
	assert_non_null(strstr(buf, "debug"));
}

static void test_rule_equal_to_default_skipped(void **state)
{
	(void)state;
	cache_off();
	/* ERRNO without errnoRet is EPERM, as is the default here: skipped
	 * (libseccomp would refuse the rule) */
	struct kseccomp *a = compile_txt("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,\"syscalls\":["
					 "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},"
					 "{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\"},"
					 "{\"names\":[\"uname\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,"
					 " \"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}");
	struct kseccomp *b = compile_txt("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
					 "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
	assert_same_program(a, b);
	kseccomp_free(a);
	/* a different errno is a different action: kept */
	a = compile_txt("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,\"syscalls\":["
			"{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},"
			"{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}");
	assert_false(same_program(a, b));
	kseccomp_free(a);
	kseccomp_free(b);
}

/* ---- bad input ---- */

static const struct {
	const char *json;
	const char *msg; /* the message starts with this */
} bad[] = {
	{ "[]", "config.json: linux.seccomp: expected an object" },
	{ "{}", "config.json: linux.seccomp.defaultAction: missing" },
	{ "{\"defaultAction\":1}", "config.json: linux.seccomp.defaultAction: expected a string" },
	{ "{\"defaultAction\":\"SCMP_ACT_FOO\"}", "config.json: linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"" },
	{ "{\"defaultAction\":\"scmp_act_allow\"}", "config.json: linux.seccomp.defaultAction: unknown action \"scmp_act_allow\"" },
	{ "{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", "config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":\"1\"}", "config.json: linux.seccomp.defaultErrnoRet: expected an unsigned integer" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":-1}", "config.json: linux.seccomp.defaultErrnoRet: expected an unsigned integer" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":70000}", "config.json: linux.seccomp.defaultErrnoRet: 70000 is out of range (0-65535)" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":\"SCMP_ARCH_X86\"}", "config.json: linux.seccomp.architectures: expected an array" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_FOO\"]}", "config.json: linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_FOO\"" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"x86_64\"]}", "config.json: linux.seccomp.architectures[0]: unknown architecture \"x86_64\"" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_\"]}", "config.json: linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_\"" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[42]}", "config.json: linux.seccomp.architectures[0]: expected a string" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":{}}", "config.json: linux.seccomp.flags: expected an array" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_FOO\"]}", "config.json: linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\"" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[true]}", "config.json: linux.seccomp.flags[0]: expected a string" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}", "config.json: linux.seccomp.syscalls: expected an array" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[1]}", "config.json: linux.seccomp.syscalls[0]: expected an object" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"SCMP_ACT_KILL\"}]}", "config.json: linux.seccomp.syscalls[0].names: missing or empty" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_KILL\"}]}", "config.json: linux.seccomp.syscalls[0].names: missing or empty" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":\"read\",\"action\":\"SCMP_ACT_KILL\"}]}", "config.json: linux.seccomp.syscalls[0].names: expected an array" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\",3],\"action\":\"SCMP_ACT_KILL\"}]}", "config.json: linux.seccomp.syscalls[0].names[1]: expected a string" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"]}]}", "config.json: linux.seccomp.syscalls[0].action: missing" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	  "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL\"},{\"names\":[\"write\"],\"action\":\"SCMP_ACT_KILL\"},"
	  "{\"names\":[\"open\"],\"action\":\"SCMP_ACT_KILL\"},{\"names\":[\"close\"],\"action\":\"SCMP_ACT_FOO\"}]}",
	  "config.json: linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":[\"SCMP_ACT_KILL\"]}]}", "config.json: linux.seccomp.syscalls[0].action: expected a string" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":\"x\"}]}", "config.json: linux.seccomp.syscalls[0].errnoRet: expected an unsigned integer" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1.5}]}", "config.json: linux.seccomp.syscalls[0].errnoRet: expected an unsigned integer, got 1.5" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL\",\"args\":{}}]}", "config.json: linux.seccomp.syscalls[0].args: expected an array" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL\",\"args\":[5]}]}", "config.json: linux.seccomp.syscalls[0].args[0]: expected an object" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL\",\"args\":["
	  "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
	  "config.json: linux.seccomp.syscalls[0].args[1].index: 6 is out of range (0-5)" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL\",\"args\":[{\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}", "config.json: linux.seccomp.syscalls[0].args[0].index: missing" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL\",\"args\":[{\"index\":\"0\",\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}", "config.json: linux.seccomp.syscalls[0].args[0].index: expected an unsigned integer" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL\",\"args\":[{\"index\":-1,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}", "config.json: linux.seccomp.syscalls[0].args[0].index: expected an unsigned integer" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL\",\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}", "config.json: linux.seccomp.syscalls[0].args[0].value: missing" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL\",\"args\":[{\"index\":0,\"value\":-5,\"op\":\"SCMP_CMP_EQ\"}]}]}", "config.json: linux.seccomp.syscalls[0].args[0].value: expected an unsigned integer" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL\",\"args\":[{\"index\":0,\"value\":1,\"valueTwo\":\"2\",\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}", "config.json: linux.seccomp.syscalls[0].args[0].valueTwo: expected an unsigned integer" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_FOO\"}]}]}", "config.json: linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_FOO\"" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL\",\"args\":[{\"index\":0,\"value\":1}]}]}", "config.json: linux.seccomp.syscalls[0].args[0].op: missing" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL\",\"args\":[{\"index\":0,\"value\":1,\"op\":4}]}]}", "config.json: linux.seccomp.syscalls[0].args[0].op: expected a string" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}", "config.json: linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\",\"syscalls\":[{\"names\":[\"getppid\",\"sendmsg\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}", "config.json: linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for sendmsg" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":5}", "config.json: linux.seccomp.listenerPath: expected a string" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"\"}", "config.json: linux.seccomp.listenerPath: empty path" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerMetadata\":[]}", "config.json: linux.seccomp.listenerMetadata: expected a string" },
};

static void test_bad_input(void **state)
{
	(void)state;
	char dir[512];
	/* with a cache: a bad profile must leave nothing behind */
	cache_fresh(dir, sizeof(dir), 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_object *p = parse(bad[i].json);
		struct kseccomp *sc = (struct kseccomp *)&sc; /* must be reset */
		kerr e = { 0 };
		int r = kseccomp_compile(p, test_cache, &sc, &e);
		if (r != -1 || strncmp(e.msg, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("case %zu: %s\n  want: %s...\n  got:  %s (r=%d)", i, bad[i].json, bad[i].msg,
				 r ? e.msg : "success", r);
		assert_null(sc);
		assert_int_not_equal(e.errnum, 0);
		json_object_put(p);
	}
	kerr e = { 0 };
	struct kseccomp *sc;
	assert_int_equal(kseccomp_compile(NULL, test_cache, &sc, &e), -1);
	assert_string_equal(e.msg, "config.json: linux.seccomp: expected an object");
	assert_int_equal(count_entries(dir), 0);
}

/* ---- cache ---- */

static void test_cache_hit_identical(void **state)
{
	(void)state;
	char dir[512], file[1024];
	json_object *p = kseccomp_default_profile();

	cache_off();
	struct kseccomp *ref = compile_ok(p);
	assert_int_equal(kseccomp_cached(ref), 0);

	cache_fresh(dir, sizeof(dir), 0); /* created on demand */
	struct kseccomp *miss = compile_ok(p);
	assert_int_equal(kseccomp_cached(miss), 0);
	assert_same_program(ref, miss);

	struct stat st;
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	cache_file(dir, file, sizeof(file));
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(dir), 1); /* no temp file left */

	struct kseccomp *hit = compile_ok(p);
	assert_int_equal(kseccomp_cached(hit), 1);
	assert_same_program(ref, hit);

	/* the same profile from a different JSON object tree hits too */
	json_object *again = parse(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PRETTY));
	struct kseccomp *hit2 = compile_ok(again);
	assert_int_equal(kseccomp_cached(hit2), 1);
	assert_same_program(ref, hit2);

	/* a different profile is a different entry */
	json_object_object_add(again, "defaultErrnoRet", json_object_new_int(13));
	struct kseccomp *other = compile_ok(again);
	assert_int_equal(kseccomp_cached(other), 0);
	assert_false(same_program(ref, other));
	assert_int_equal(count_entries(dir), 2);

	kseccomp_free(ref);
	kseccomp_free(miss);
	kseccomp_free(hit);
	kseccomp_free(hit2);
	kseccomp_free(other);
	json_object_put(again);
	json_object_put(p);
}

/* Damage the cache entry with FN; the next compile must notice, give the
 * right program, and repair the entry. */
static void corrupt_and_check(json_object *p, struct kseccomp *ref, const char *dir,
			      void (*fn)(const char *file, void *arg), void *arg)
{
	char file[1024];
	cache_file(dir, file, sizeof(file));
	fn(file, arg);
	struct kseccomp *sc = compile_ok(p);
	assert_int_equal(kseccomp_cached(sc), 0);
	assert_same_program(ref, sc);
	kseccomp_free(sc);
	sc = compile_ok(p);
	assert_int_equal(kseccomp_cached(sc), 1);
	assert_same_program(ref, sc);
	kseccomp_free(sc);
}

static void flip_byte(const char *file, void *arg)
{
	static unsigned char buf[65536];
	long where = *(long *)arg; /* from the end if negative */
	size_t n = read_bytes(file, buf, sizeof(buf));
	size_t at = where < 0 ? n - (size_t)(-where) : (size_t)where;
	buf[at] ^= 0x40;
	write_bytes(file, buf, n, O_TRUNC);
}

static void truncate_by(const char *file, void *arg)
{
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(truncate(file, st.st_size - *(long *)arg), 0);
}

static void replace_with(const char *file, void *arg)
{
	write_bytes(file, arg, strlen(arg), O_TRUNC);
}

static void make_writable(const char *file, void *arg)
{
	(void)arg;
	assert_int_equal(chmod(file, 0666), 0);
}

static void make_symlink(const char *file, void *arg)
{
	char target[1100];
	snprintf(target, sizeof(target), "%s.real", file);
	assert_int_equal(rename(file, target), 0);
	assert_int_equal(symlink(target, file), 0);
	(void)arg;
}

static void test_cache_corrupt(void **state)
{
	(void)state;
	char dir[512];
	json_object *p = parse(good_profile);

	cache_off();
	struct kseccomp *ref = compile_ok(p);
	cache_fresh(dir, sizeof(dir), 1);
	kseccomp_free(compile_ok(p));

	long last = -1, in_header = 3, key_byte = 30, sum_byte = 70, four = 4, eight = 8;
	corrupt_and_check(p, ref, dir, flip_byte, &last);      /* program byte: checksum */
	corrupt_and_check(p, ref, dir, flip_byte, &in_header); /* magic */
	corrupt_and_check(p, ref, dir, flip_byte, &key_byte);  /* key */
	corrupt_and_check(p, ref, dir, flip_byte, &sum_byte);  /* checksum itself */
	corrupt_and_check(p, ref, dir, truncate_by, &four);    /* not a multiple of 8 */
	corrupt_and_check(p, ref, dir, truncate_by, &eight);   /* one instruction short */
	corrupt_and_check(p, ref, dir, replace_with, "hello");
	corrupt_and_check(p, ref, dir, replace_with, "");
	corrupt_and_check(p, ref, dir, make_writable, NULL);   /* could have been planted */
	corrupt_and_check(p, ref, dir, make_symlink, NULL);

	kseccomp_free(ref);
	json_object_put(p);
}

/* An entry of another profile under this profile's name is refused: the
 * key inside the header must match. */
static void test_cache_wrong_entry(void **state)
{
	(void)state;
	char dir_a[512], dir_b[512], fa[1024], fb[1024];
	json_object *a = kseccomp_default_profile();
	json_object *b = parse(good_profile);

	cache_fresh(dir_a, sizeof(dir_a), 1);
	struct kseccomp *ra = compile_ok(a);
	cache_fresh(dir_b, sizeof(dir_b), 1);
	struct kseccomp *rb = compile_ok(b);
	cache_file(dir_a, fa, sizeof(fa));
	cache_file(dir_b, fb, sizeof(fb));

	static unsigned char buf[65536];
	size_t n = read_bytes(fa, buf, sizeof(buf));
	write_bytes(fb, buf, n, O_TRUNC);
	struct kseccomp *sc = compile_ok(b);
	assert_int_equal(kseccomp_cached(sc), 0);
	assert_same_program(rb, sc);
	assert_false(same_program(ra, sc));

	kseccomp_free(sc);
	kseccomp_free(ra);
	kseccomp_free(rb);
	json_object_put(a);
	json_object_put(b);
}

static void test_cache_unusable_dir(void **state)
{
	(void)state;
	char dir[512];
	json_object *p = parse(good_profile);

	cache_off();
	struct kseccomp *ref = compile_ok(p);

	/* cannot be created */
	use_cache("/proc/kapsel-no-such-dir/cache");
	struct kseccomp *sc = compile_ok(p);
	assert_int_equal(kseccomp_cached(sc), 0);
	assert_same_program(ref, sc);
	kseccomp_free(sc);

	/* a file, not a directory */
	snprintf(dir, sizeof(dir), "%s/plainfile", tmproot);
	write_bytes(dir, "x", 1, O_CREAT | O_TRUNC);
	use_cache(dir);
	sc = compile_ok(p);
	assert_int_equal(kseccomp_cached(sc), 0);
	kseccomp_free(sc);

	/* writable by others: not used at all */
	cache_fresh(dir, sizeof(dir), 1);
	assert_int_equal(chmod(dir, 0777), 0);
	for (int i = 0; i < 2; i++) {
		sc = compile_ok(p);
		assert_int_equal(kseccomp_cached(sc), 0);
		assert_same_program(ref, sc);
		kseccomp_free(sc);
	}
	assert_int_equal(count_entries(dir), 0);

	/* a symlink to a good directory is not followed */
	char real[512], link[600];
	cache_fresh(real, sizeof(real), 1);
	snprintf(link, sizeof(link), "%s-link", real);
	assert_int_equal(symlink(real, link), 0);
	use_cache(link);
	sc = compile_ok(p);
	assert_int_equal(kseccomp_cached(sc), 0);
	kseccomp_free(sc);
	assert_int_equal(count_entries(real), 0);

	kseccomp_free(ref);
	json_object_put(p);
}

/* listenerPath and listenerMetadata do not change the program: one entry. */
static void test_cache_ignores_listener(void **state)
{
	(void)state;
	char dir[512];
	cache_fresh(dir, sizeof(dir), 1);
	struct kseccomp *a = compile_txt("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/nonexistent/a\","
					 "\"listenerMetadata\":\"pod-a\",\"syscalls\":[{\"names\":[\"getppid\"],"
					 "\"action\":\"SCMP_ACT_NOTIFY\"}]}");
	struct kseccomp *b = compile_txt("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/nonexistent/b\","
					 "\"listenerMetadata\":\"pod-b\",\"syscalls\":[{\"names\":[\"getppid\"],"
					 "\"action\":\"SCMP_ACT_NOTIFY\"}]}");
	assert_int_equal(kseccomp_cached(a), 0);
	assert_int_equal(kseccomp_cached(b), 1);
	assert_same_program(a, b);
	assert_int_equal(count_entries(dir), 1);
	kseccomp_free(a);
	kseccomp_free(b);
}

/* ---- install ---- */

static int child_getcwd_denied(void *arg)
{
	struct kseccomp *sc = arg;
	char buf[4096];
	struct utsname u;

	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	CHECK(syscall(SYS_getcwd, buf, sizeof(buf)) > 0);
	CHECK(install_or_report(sc) == 0);
	errno = 0;
	CHECK(syscall(SYS_getcwd, buf, sizeof(buf)) == -1 && errno == 38);
	CHECK(uname(&u) == 0);
	CHECK(getpid() > 0);
	CHECK(write(STDERR_FILENO, "", 0) == 0);
	return 0;
}

static void test_install_errno(void **state)
{
	(void)state;
	char dir[512];
	const char *prof = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
			   "{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}";
	cache_off();
	struct kseccomp *sc = compile_txt(prof);
	assert_int_equal(run_child(child_getcwd_denied, sc), 0);
	kseccomp_free(sc);

	/* the same from the cache */
	cache_fresh(dir, sizeof(dir), 1);
	kseccomp_free(compile_txt(prof));
	sc = compile_txt(prof);
	assert_int_equal(kseccomp_cached(sc), 1);
	assert_int_equal(run_child(child_getcwd_denied, sc), 0);
	kseccomp_free(sc);
}

static int child_args(void *arg)
{
	struct kseccomp *sc = arg;

	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	CHECK(install_or_report(sc) == 0);
	/* AND: which == PRIO_PROCESS && who == 2000000000 (above any pid_max:
	 * no process, group or pid that could exist on a busy host) */
	errno = 0;
	CHECK(getpriority(PRIO_PROCESS, 2000000000) == -1 && errno == 38);
	errno = 0;
	CHECK(getpriority(PRIO_PGRP, 2000000000) == -1 && errno == ESRCH);
	errno = 0;
	CHECK(getpriority(PRIO_PROCESS, 0) != -1 || errno == 0);
	/* OR (index repeated): uid 77777 or 88888 */
	errno = 0;
	CHECK(getpriority(PRIO_USER, 77777) == -1 && errno == 39);
	errno = 0;
	CHECK(getpriority(PRIO_USER, 88888) == -1 && errno == 39);
	errno = 0;
	CHECK(getpriority(PRIO_USER, 66666) == -1 && errno == ESRCH); /* nobody runs as 66666 */
	/* MASKED_EQ: (pid & 0xff00) == 0x4200; the pid that does not match is
	 * above pid_max (0x4377 was a live process once) */
	errno = 0;
	CHECK(setpriority(PRIO_PROCESS, 0x4277, 0) == -1 && errno == 40);
	errno = 0;
	CHECK(setpriority(PRIO_PROCESS, 0x7fff4377, 0) == -1 && errno == ESRCH);
	return 0;
}

static void test_install_args(void **state)
{
	(void)state;
	cache_off();
	struct kseccomp *sc = compile_txt(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38,\"args\":["
		" {\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":2000000000,\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":39,\"args\":["
		" {\"index\":1,\"value\":77777,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":88888,\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"setpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":40,\"args\":["
		" {\"index\":1,\"value\":65280,\"valueTwo\":16896,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}");
	assert_int_equal(run_child(child_args, sc), 0);
	kseccomp_free(sc);
}

static int child_flags(void *arg)
{
	struct kseccomp *sc = arg;
	char buf[256];

	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	CHECK(install_or_report(sc) == 0);
	errno = 0;
	CHECK(syscall(SYS_getcwd, buf, sizeof(buf)) == -1 && errno == EPERM);
	return 0;
}

static void test_install_flags(void **state)
{
	(void)state;
	cache_off();
	/* TSYNC, LOG, SPEC_ALLOW go to the kernel; WAIT_KILLABLE_RECV is
	 * dropped without a listener (the kernel would refuse it) */
	struct kseccomp *sc = compile_txt(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\","
		"\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\","
		"\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
		"\"syscalls\":[{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
	assert_int_equal(run_child(child_flags, sc), 0);
	kseccomp_free(sc);
}

/* Without no_new_privs and without CAP_SYS_ADMIN the kernel says EACCES:
 * the error says why. */
static int child_no_nnp(void *arg)
{
	struct kseccomp *sc = arg;
	kerr e = { 0 };

	CHECK(setresgid(65534, 65534, 65534) == 0);
	CHECK(setresuid(65534, 65534, 65534) == 0); /* drops every capability */
	CHECK(kseccomp_install(sc, &e) == -1);
	CHECK(e.errnum == EACCES);
	CHECK(strstr(e.msg, "no_new_privs is not set") != NULL);
	return 0;
}

static int child_root_no_nnp(void *arg)
{
	char buf[64];
	/* still root (CAP_SYS_ADMIN): fine without no_new_privs */
	CHECK(install_or_report(arg) == 0);
	errno = 0;
	CHECK(syscall(SYS_getcwd, buf, sizeof(buf)) == -1 && errno == 38);
	return 0;
}

static void test_install_privileges(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	cache_off();
	struct kseccomp *sc = compile_txt("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
					  "{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}");
	assert_int_equal(run_child(child_no_nnp, sc), 0);
	assert_int_equal(run_child(child_root_no_nnp, sc), 0);
	kseccomp_free(sc);
}

static int child_default(void *arg)
{
	struct kseccomp *sc = arg;
	char buf[256];
	int st;

	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	CHECK(install_or_report(sc) == 0);

	/* denied with EPERM */
	errno = 0;
	CHECK(unshare(CLONE_NEWUSER) == -1 && errno == EPERM);
	errno = 0;
	CHECK(unshare(CLONE_NEWNS) == -1 && errno == EPERM);
	errno = 0;
	CHECK(unshare(CLONE_NEWTIME) == -1 && errno == EPERM);
	errno = 0;
	CHECK(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0) == -1 && errno == EPERM);
	errno = 0;
	CHECK(syscall(SYS_add_key, "user", "kapsel", "x", 1, -3) == -1 && errno == EPERM);
	errno = 0;
	CHECK(syscall(SYS_ptrace, -1L, 0, 0, 0) == -1 && errno == EPERM); /* EIO without the filter */
	errno = 0;
	CHECK(syscall(SYS_bpf, -1, NULL, 0) == -1 && errno == EPERM);     /* EINVAL without */
	errno = 0;
	CHECK(mount(NULL, "/kapsel-no-such-dir", NULL, MS_REMOUNT, NULL) == -1 && errno == EPERM); /* ENOENT */
	errno = 0;
	CHECK(syscall(SYS_setns, -1, 0) == -1 && errno == EPERM);          /* EBADF */
	errno = 0;
	CHECK(syscall(SYS_io_uring_setup, 0, NULL) == -1 && errno == EPERM);
	errno = 0;
	CHECK(personality(ADDR_NO_RANDOMIZE) == -1 && errno == EPERM);
	errno = 0;
	CHECK(socket(40 /* AF_VSOCK */, SOCK_STREAM, 0) == -1 && errno == EPERM);
	/* clone3: ENOSYS so that libc falls back to clone */
	errno = 0;
	CHECK(syscall(SYS_clone3, NULL, 0) == -1 && errno == ENOSYS);

	/* allowed */
	CHECK(getpid() > 0);
	CHECK(syscall(SYS_getcwd, buf, sizeof(buf)) > 0);
	CHECK(unshare(CLONE_FS) == 0);
	CHECK(personality(0xffffffff) != -1);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0);
	close(s);
	pid_t pid = fork(); /* clone without namespace flags */
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(7);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7);
	/* a real program under the filter */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execl("/bin/sh", "sh", "-c", "cat /proc/self/status && ls -la / && date && id", (char *)NULL);
		_exit(99);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
}

static void test_default_profile(void **state)
{
	(void)state;
	char dir[512];
	json_object *p = kseccomp_default_profile();
	json_object *v;

	assert_non_null(p);
	assert_true(json_object_object_get_ex(p, "defaultAction", &v));
	assert_string_equal(json_object_get_string(v), "SCMP_ACT_ERRNO");
	assert_true(json_object_object_get_ex(p, "defaultErrnoRet", &v));
	assert_int_equal(json_object_get_int(v), EPERM);
	assert_true(json_object_object_get_ex(p, "architectures", &v));
#ifdef __x86_64__
	assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
			    "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]");
#endif
	/* none of the dangerous ones is in any allow rule */
	static const char *const never[] = {
		"mount", "umount2", "pivot_root", "setns", "bpf", "perf_event_open", "keyctl",
		"add_key", "request_key", "ptrace", "kexec_load", "kexec_file_load", "init_module",
		"finit_module", "delete_module", "acct", "swapon", "swapoff", "reboot",
		"settimeofday", "clock_settime", "open_by_handle_at", "name_to_handle_at",
		"userfaultfd", "lookup_dcookie", "quotactl", "vm86", "iopl", "ioperm", "syslog",
		"io_uring_setup", "chroot", "clone3",
	};
	json_object *rules;
	assert_true(json_object_object_get_ex(p, "syscalls", &rules));
	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		json_object *r = json_object_array_get_idx(rules, i), *names, *act;
		assert_true(json_object_object_get_ex(r, "action", &act));
		if (strcmp(json_object_get_string(act), "SCMP_ACT_ALLOW"))
			continue;
		assert_true(json_object_object_get_ex(r, "names", &names));
		for (size_t j = 0; j < json_object_array_length(names); j++)
			for (size_t k = 0; k < sizeof(never) / sizeof(never[0]); k++)
				if (!strcmp(json_object_get_string(json_object_array_get_idx(names, j)), never[k]))
					fail_msg("default profile allows %s", never[k]);
	}

	/* each call is a new object */
	json_object *p2 = kseccomp_default_profile();
	assert_ptr_not_equal(p, p2);
	assert_true(json_object_equal(p, p2));
	json_object_put(p2);

	cache_off();
	struct kseccomp *sc = compile_ok(p);
	assert_int_equal(run_child(child_default, sc), 0);
	kseccomp_free(sc);

	/* and from the cache */
	cache_fresh(dir, sizeof(dir), 1);
	kseccomp_free(compile_ok(p));
	sc = compile_ok(p);
	assert_int_equal(kseccomp_cached(sc), 1);
	assert_int_equal(run_child(child_default, sc), 0);
	kseccomp_free(sc);
	json_object_put(p);
}

/* ---- SCMP_ACT_NOTIFY ---- */

static int child_notify(void *arg)
{
	struct kseccomp *sc = arg;

	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	CHECK(install_or_report(sc) == 0);
	/* answered by the agent (the parent) */
	CHECK(syscall(SYS_getppid) == 4242);
	CHECK(getpid() > 0);
	return 0;
}

static int recv_fd(int sock, char *payload, size_t cap, size_t *len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { payload, cap };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int fd;

	if (n <= 0 || !cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	*len = (size_t)n;
	return fd;
}

/* MOVE: rename the socket after compile, as if the container's root had
 * replaced the host's: install must reach it through the fd opened at
 * compile time. */
static void run_notify(const char *metadata, int use_cache, int move)
{
	char dir[512], sockpath[600], prof[2048], payload[256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = 0;
	int st;

	snprintf(sockpath, sizeof(sockpath), "%s/agent%d.sock", tmproot, ++dir_seq);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(ls >= 0);
	strcpy(sa.sun_path, sockpath);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);

	snprintf(prof, sizeof(prof),
		 "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"%s\",\"listenerMetadata\":\"%s\","
		 "\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\",\"SECCOMP_FILTER_FLAG_TSYNC\"],"
		 "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		 sockpath, metadata);
	if (use_cache) {
		cache_fresh(dir, sizeof(dir), 1);
		kseccomp_free(compile_txt(prof));
	} else {
		cache_off();
	}
	struct kseccomp *sc = compile_txt(prof);
	assert_int_equal(kseccomp_cached(sc), use_cache);
	if (move) {
		char moved[700];
		snprintf(moved, sizeof(moved), "%s.moved", sockpath);
		assert_int_equal(rename(sockpath, moved), 0);
	}

	alarm(60);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		_exit(child_notify(sc));
	}
	int conn = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	assert_true(conn >= 0);
	int nfd = recv_fd(conn, payload, sizeof(payload) - 1, &len);
	assert_true(nfd >= 0);
	payload[len] = '\0';
	if (*metadata)
		assert_string_equal(payload, metadata);
	else
		assert_true(len == 1 && payload[0] == '\0');

	struct seccomp_notif_sizes sizes;
	assert_int_equal(syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes), 0);
	struct seccomp_notif *req = calloc(1, sizes.seccomp_notif > sizeof(*req) ? sizes.seccomp_notif : sizeof(*req));
	struct seccomp_notif_resp *resp =
		calloc(1, sizes.seccomp_notif_resp > sizeof(*resp) ? sizes.seccomp_notif_resp : sizeof(*resp));
	assert_non_null(req);
	assert_non_null(resp);
	assert_int_equal(ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, req), 0);
	assert_int_equal(req->data.nr, SYS_getppid);
	assert_int_equal(req->pid, pid);
	resp->id = req->id;
	resp->val = 4242;
	assert_int_equal(ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, resp), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	alarm(0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	free(req);
	free(resp);
	close(nfd);
	close(conn);
	close(ls);
	kseccomp_free(sc);
}

static void test_notify(void **state)
{
	(void)state;
	run_notify("pod=web;container=app", 0, 0);
	run_notify("", 0, 0);
	run_notify("from-the-cache", 1, 0);
	run_notify("moved", 0, 1);
}

static int child_notify_no_agent(void *arg)
{
	struct kseccomp *sc = arg;
	kerr e = { 0 };

	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	CHECK(kseccomp_install(sc, &e) == -1);
	CHECK(strstr(e.msg, "seccomp: connect to listenerPath") != NULL);
	/* nothing was installed */
	CHECK(syscall(SYS_getppid) == getppid());
	CHECK(prctl(PR_GET_SECCOMP) == 0);
	return 0;
}

static void test_notify_no_agent(void **state)
{
	(void)state;
	char path[600];
	cache_off();
	snprintf(path, sizeof(path), "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"%s/nobody.sock\","
		 "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}", tmproot);
	struct kseccomp *sc = compile_txt(path);
	assert_int_equal(run_child(child_notify_no_agent, sc), 0);
	kseccomp_free(sc);
}

/* ---- main ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmproot))
		return -1;
	cache_off(); /* never the real /run/kapsel/seccomp-cache */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	use_cache("");
	return nftw(tmproot, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translate_matches_libseccomp),
		cmocka_unit_test(test_translate_all_flags),
		cmocka_unit_test(test_unknown_syscalls_skipped),
		cmocka_unit_test(test_rule_equal_to_default_skipped),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_cache_hit_identical),
		cmocka_unit_test(test_cache_corrupt),
		cmocka_unit_test(test_cache_wrong_entry),
		cmocka_unit_test(test_cache_unusable_dir),
		cmocka_unit_test(test_cache_ignores_listener),
		cmocka_unit_test(test_install_errno),
		cmocka_unit_test(test_install_args),
		cmocka_unit_test(test_install_flags),
		cmocka_unit_test(test_install_privileges),
		cmocka_unit_test(test_default_profile),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_notify_no_agent),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
