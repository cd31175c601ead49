/* The verified procfs handle: writes land in procfs and only there; a
 * symlink, "..", an absolute path, a mount on the way or a handle that is
 * not procfs are refused.  Each case with openat2 and with the fallback
 * walk. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/fs.h"
#include "linux/procfs.h"

static void read_comm(char *buf, size_t n)
{
	FILE *f = fopen("/proc/self/comm", "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, n, f));
	fclose(f);
}

static void writes_reach_procfs(int fallback)
{
	kerr e = { 0 };
	char old[32], now[32];
	kfs_force_fallback(fallback);
	int fd = kprocfs_open(&e);
	assert_true(fd >= 0);
	read_comm(old, sizeof(old));
	assert_int_equal(kprocfs_write(fd, "self/comm", "kapsel-procfs", &e), 0);
	read_comm(now, sizeof(now));
	assert_string_equal(now, "kapsel-procfs\n");
	assert_int_equal(kprocfs_write(fd, "thread-self/comm", "kapsel-thread", &e), 0);
	read_comm(now, sizeof(now));
	assert_string_equal(now, "kapsel-thread\n");
	old[strcspn(old, "\n")] = '\0';
	prctl(PR_SET_NAME, old);
	int d = kprocfs_openat(fd, "self/fd", O_PATH | O_DIRECTORY, &e);
	assert_true(d >= 0);
	close(d);
	close(fd);
	kfs_force_fallback(0);
}

static void test_writes_reach_procfs(void **state)
{
	(void)state;
	writes_reach_procfs(0);
	writes_reach_procfs(1);
}

static void refusals(int fallback)
{
	kerr e = { 0 };
	kfs_force_fallback(fallback);
	int fd = kprocfs_open(&e);
	assert_true(fd >= 0);
	/* /proc/mounts is a symlink (to self/mounts) */
	assert_int_equal(kprocfs_openat(fd, "mounts", O_RDONLY, &e), -1);
	assert_int_equal(e.errnum, ELOOP);
	assert_non_null(strstr(e.msg, "open /proc/mounts: it is reached through a mount or a symlink, refused"));
	assert_int_equal(kprocfs_openat(fd, "self/../../etc/passwd", O_RDONLY, &e), -1);
	assert_int_equal(e.errnum, EXDEV);
	assert_int_equal(kprocfs_openat(fd, "/etc/passwd", O_RDONLY, &e), -1);
	assert_int_equal(e.errnum, EXDEV);
	assert_int_equal(kprocfs_write(fd, "self/no-such-file", "x", &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_non_null(strstr(e.msg, "/proc/self/no-such-file"));
	/* where something is mounted inside /proc (binfmt_misc often is) */
	struct stat a, b;
	if (stat("/proc/sys/fs", &a) == 0 && stat("/proc/sys/fs/binfmt_misc", &b) == 0 && a.st_dev != b.st_dev) {
		assert_int_equal(kprocfs_openat(fd, "sys/fs/binfmt_misc/status", O_RDONLY, &e), -1);
		assert_int_equal(e.errnum, EXDEV);
	}
	close(fd);
	/* a handle that is not procfs: whatever it holds is refused */
	char dir[] = "/tmp/kapsel-procfs-XXXXXX", file[sizeof(dir) + 8];
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/comm", dir);
	int f = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(f >= 0);
	close(f);
	int fake = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(kprocfs_write(fake, "comm", "x", &e), -1);
	assert_int_equal(e.errnum, EXDEV);
	assert_non_null(strstr(e.msg, "open /proc/comm: not on procfs, refused"));
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_size, 0);
	close(fake);
	unlink(file);
	rmdir(dir);
	kfs_force_fallback(0);
}

static void test_refusals(void **state)
{
	(void)state;
	refusals(0);
	refusals(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writes_reach_procfs),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
