/* Which mounts may touch /proc: destinations cleaned as the kernel would
 * walk them, a rootfs /proc that is a symlink, a mount on /proc that is not
 * procfs, and a mount point inside a procfs (but lxcfs's files) refused,
 * each naming the destination. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/procmount.h"
#include "oci/spec.h"

static void test_clean(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "/proc", "/proc" }, { "/proc/", "/proc" }, { "//proc/./sys//net/", "/proc/sys/net" },
		{ "/tmp/../proc/sys", "/proc/sys" }, { "/../../proc", "/proc" }, { "/", "/" }, { "", "/" },
		{ "/a/b/../../..", "/" }, { "/proc/..", "/" }, { "/proc.d", "/proc.d" },
	};
	char out[PATH_MAX];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kprocmount_clean(cases[i][0], out);
		assert_string_equal(out, cases[i][1]);
	}
}

static void test_refusals(void **state)
{
	(void)state;
	kerr e = { 0 };
	char root[] = "/tmp/kapsel-procmount-XXXXXX", p[sizeof(root) + 16];
	assert_non_null(mkdtemp(root));
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	struct oci_mount proc = { .destination = "/proc/", .type = "proc", .source = "proc" };
	struct oci_mount tmpfs = { .destination = "/proc", .type = "tmpfs", .source = "tmpfs" };
	struct oci_mount bind = { .destination = "/data", .type = "bind", .source = "/tmp", .is_bind = 1 };

	/* no /proc yet (the runtime creates it): procfs is fine, tmpfs is not */
	assert_int_equal(kprocmount_check_before(&proc, "/proc", -1, rootfd, &e), 0);
	assert_int_equal(kprocmount_check_before(&tmpfs, "/proc", -1, rootfd, &e), -1);
	assert_string_equal(e.msg, "mount /proc: only a procfs may be mounted on /proc, not tmpfs tmpfs: refused");
	/* /proc a symlink into a volume */
	snprintf(p, sizeof(p), "%s/proc", root);
	assert_int_equal(symlink("vol/p", p), 0);
	assert_int_equal(kprocmount_check_before(&proc, "/proc", -1, rootfd, &e), -1);
	assert_string_equal(e.msg, "mount /proc/: /proc in the rootfs is a symlink (to \"vol/p\"), not a directory: "
				   "refused");
	/* a mount point that is on procfs, whatever its name */
	int sys = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(sys >= 0);
	assert_int_equal(kprocmount_check_after(&bind, "/data", rootfd, sys, &e), -1);
	assert_non_null(strstr(e.msg, "mount /data: the destination is inside /proc"));
	/* lxcfs's files may be replaced, nothing else */
	int up = open("/proc/uptime", O_PATH | O_CLOEXEC);
	assert_true(up >= 0);
	assert_int_equal(kprocmount_check_after(&bind, "/proc/uptime", rootfd, up, &e), 0);
	assert_int_equal(kprocmount_check_after(&bind, "/proc/sys", rootfd, sys, &e), -1);
	/* a destination under /proc that is not on procfs is refused too */
	assert_int_equal(kprocmount_check_after(&bind, "/proc/x", rootfd, rootfd, &e), -1);
	/* elsewhere, off procfs: fine */
	assert_int_equal(kprocmount_check_after(&bind, "/data", rootfd, rootfd, &e), 0);
	/* a spec that mounts proc on /proc: the rootfs's /proc must be procfs */
	struct oci_spec s = { .mounts = &proc, .n_mounts = 1 };
	assert_int_equal(kprocmount_verify(&s, rootfd, "proc", &e), -1);
	assert_non_null(strstr(e.msg, "/proc in the rootfs was replaced"));
	assert_int_equal(kprocmount_verify(&s, AT_FDCWD, "/proc", &e), 0);
	close(up);
	close(sys);
	close(rootfd);
	unlink(p);
	rmdir(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
