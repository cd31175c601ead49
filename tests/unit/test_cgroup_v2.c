/* The cgroup v2 driver against the real cgroup2 tree of this host (on the
 * hybrid layout it has no controllers, but cgroup.procs, cgroup.freeze,
 * cgroup.events and cgroup.kill work): freeze waits until the kernel says
 * frozen, thaw until it says thawed, kill takes the whole tree.  Needs
 * root; skipped elsewhere. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup/cgroup.h"
#include "common/fs.h"

static char dir[PATH_MAX];

static const char *v2_root(void)
{
	struct stat st;
	if (stat("/sys/fs/cgroup/unified/cgroup.procs", &st) == 0)
		return "/sys/fs/cgroup/unified";
	if (stat("/sys/fs/cgroup/cgroup.procs", &st) == 0 && stat("/sys/fs/cgroup/cgroup.freeze", &st) != 0)
		return "/sys/fs/cgroup";
	return NULL;
}

static char *events(void)
{
	static char buf[512];
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static pid_t child_in_cgroup(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	char path[PATH_MAX + 32], num[32];
	kerr e = { 0 };
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(num, sizeof(num), "%d", pid);
	assert_int_equal(kfs_write_str(path, num, &e), 0);
	return pid;
}

static void test_freeze_thaw_kill(void **state)
{
	(void)state;
	const char *root = v2_root();
	if (geteuid() != 0 || !root)
		skip();
	snprintf(dir, sizeof(dir), "%s/kapsel-unit-v2-%d", root, getpid());
	assert_int_equal(mkdir(dir, 0755), 0);
	pid_t a = child_in_cgroup(), b = child_in_cgroup();
	assert_non_null(strstr(events(), "populated 1"));
	kerr e = { 0 };
	assert_int_equal(kcg_v2_freeze(dir, 1, &e), 0);
	/* it returned only once the kernel says so */
	assert_non_null(strstr(events(), "frozen 1"));
	/* a frozen task does not run its signal handler: SIGKILL still works,
	 * but a stop/continue is not seen; check the freezer state instead */
	assert_int_equal(kcg_v2_freeze(dir, 0, &e), 0);
	assert_non_null(strstr(events(), "frozen 0"));
	int r = kcg_v2_kill(dir, &e);
	if (r == 0) {
		/* a kernel without cgroup.kill */
		kill(a, SIGKILL);
		kill(b, SIGKILL);
	} else {
		assert_int_equal(r, 1);
	}
	int st;
	assert_int_equal(waitpid(a, &st, 0), a);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_int_equal(waitpid(b, &st, 0), b);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_non_null(strstr(events(), "populated 0"));
	assert_int_equal(rmdir(dir), 0);
}

static void test_errors(void **state)
{
	(void)state;
	kerr e = { 0 };
	assert_int_equal(kcg_v2_freeze("/nonexistent/cgroup", 1, &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent/cgroup/cgroup.freeze"));
	/* no cgroup.kill there: not supported, not an error */
	assert_int_equal(kcg_v2_kill("/nonexistent/cgroup", &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_freeze_thaw_kill),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
