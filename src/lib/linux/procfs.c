#include "procfs.h"

#include "common/cleanup.h"
#include "common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PROC_ROOT_INO 1

static int on_procfs(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

int kprocfs_open(kerr *e)
{
	struct stat st;
	int fd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(e, "open /proc");
	if (!on_procfs(fd) || fstat(fd, &st) < 0 || st.st_ino != PROC_ROOT_INO) {
		close(fd);
		return kerr_msg(e, EXDEV, "/proc is not the root of a procfs: refused");
	}
	return fd;
}

/* "self/x" -> "PID/x", "thread-self/x" -> "PID/task/TID/x". */
static int expand_self(int procfd, const char *path, char *out, size_t n)
{
	const char *rest = NULL, *link = NULL;
	if (!strncmp(path, "self", 4) && (path[4] == '/' || !path[4]))
		link = "self", rest = path + 4;
	else if (!strncmp(path, "thread-self", 11) && (path[11] == '/' || !path[11]))
		link = "thread-self", rest = path + 11;
	if (!link)
		return snprintf(out, n, "%s", path) < (int)n ? 0 : (errno = ENAMETOOLONG, -1);
	char pid[64];
	ssize_t l = readlinkat(procfd, link, pid, sizeof(pid) - 1);
	if (l < 0)
		return -1;
	pid[l] = '\0';
	return snprintf(out, n, "%s%s", pid, rest) < (int)n ? 0 : (errno = ENAMETOOLONG, -1);
}

/* Without openat2: one component at a time, never a symlink, never "..",
 * never onto another filesystem (st_dev stays the handle's; a bind mount
 * of procfs onto itself is only seen by openat2's RESOLVE_NO_XDEV). */
static int walk(int procfd, char *path, int flags)
{
	struct stat root, st;
	if (fstat(procfd, &root) < 0)
		return -1;
	_cleanup_close_ int dir = fcntl(procfd, F_DUPFD_CLOEXEC, 3);
	char *save = NULL;
	for (char *c = strtok_r(path, "/", &save); c; ) {
		char *next = strtok_r(NULL, "/", &save);
		if (!strcmp(c, "..")) {
			errno = EXDEV;
			return -1;
		}
		int fd = openat(dir, c, next ? O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC : flags | O_NOFOLLOW, 0);
		if (fd < 0)
			return -1;
		int bad = fstat(fd, &st) < 0 ? errno : S_ISLNK(st.st_mode) ? ELOOP : st.st_dev != root.st_dev ? EXDEV : 0;
		if (bad) {
			close(fd);
			errno = bad;
			return -1;
		}
		close(dir);
		dir = fd;
		c = next;
	}
	return steal_fd(dir);
}

int kprocfs_openat(int procfd, const char *path, int flags, kerr *e)
{
	char p[PATH_MAX];
	long fd;

	flags |= O_CLOEXEC;
	if (path[0] == '/') {
		errno = EXDEV;
		return kerr_errno(e, "open /proc/%s: not a path below /proc, refused", path);
	}
	if (expand_self(procfd, path, p, sizeof(p)) < 0 || (!*p && (errno = ENOENT)))
		return kerr_errno(e, "open /proc/%s", path);
	if (kfs_openat2_enabled()) {
		struct open_how how = {
			.flags = flags,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS,
		};
		do
			fd = syscall(SYS_openat2, procfd, p, &how, sizeof(how));
		while (fd < 0 && errno == EAGAIN);
	} else {
		fd = walk(procfd, p, flags);
	}
	if (fd < 0) {
		if (errno == EXDEV || errno == ELOOP)
			return kerr_errno(e, "open /proc/%s: it is reached through a mount or a symlink, refused", path);
		return kerr_errno(e, "open /proc/%s", path);
	}
	if (!on_procfs(fd)) {
		close(fd);
		return kerr_msg(e, EXDEV, "open /proc/%s: not on procfs, refused", path);
	}
	return fd;
}

int kprocfs_write(int procfd, const char *path, const char *s, kerr *e)
{
	_cleanup_close_ int fd = kprocfs_openat(procfd, path, O_WRONLY, e);
	if (fd < 0)
		return -1;
	ssize_t len = strlen(s), w;
	do
		w = write(fd, s, len);
	while (w < 0 && errno == EINTR);
	if (w != len)
		return kerr_set(e, w < 0 ? errno : EIO, "write \"%s\" to /proc/%s", s, path);
	return 0;
}
