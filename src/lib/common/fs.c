#include "fs.h"

#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int kfs_read_fd(int fd, char **out, size_t *len, kerr *e)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return kerr_set(e, ENOMEM, "read");
	for (;;) {
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return kerr_set(e, ENOMEM, "read");
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			free(buf);
			return kerr_set(e, saved, "read");
		}
		if (r == 0)
			break;
		n += r;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int kfs_read_file(const char *path, char **out, size_t *len, kerr *e)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(e, "open %s", path);
	if (kfs_read_fd(fd, out, len, e) < 0)
		return kerr_wrap(e, "%s", path);
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += w;
		len -= w;
	}
	return 0;
}

int kfs_write_file(const char *path, const char *data, size_t len, mode_t mode, int atomic, kerr *e)
{
	char tmp[PATH_MAX];
	const char *target = path;

	if (atomic) {
		if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
			return kerr_set(e, ENAMETOOLONG, "write %s", path);
		target = tmp;
		/* the temp file is ours, new, with MODE: not a file (or a symlink)
		 * someone left at that name, whose mode O_TRUNC would keep */
		if (unlink(tmp) < 0 && errno != ENOENT)
			return kerr_errno(e, "remove %s", tmp);
	}
	int flags = atomic ? O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC : O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
	_cleanup_close_ int fd = open(target, flags, mode);
	if (fd < 0)
		return kerr_errno(e, "open %s", target);
	if (write_all(fd, data, len) < 0) {
		kerr_errno(e, "write %s", target);
		if (atomic)
			unlink(tmp);
		return -1;
	}
	if (atomic && rename(tmp, path) < 0) {
		kerr_errno(e, "rename %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int kfs_write_str_at(int dirfd, const char *name, const char *s, kerr *e)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(e, "open %s", name);
	if (write_all(fd, s, strlen(s)) < 0)
		return kerr_errno(e, "write \"%s\" to %s", s, name);
	return 0;
}

int kfs_write_str(const char *path, const char *s, kerr *e)
{
	return kfs_write_str_at(AT_FDCWD, path, s, e);
}

int kfs_mkdir_p(const char *path, mode_t mode, kerr *e)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return kerr_set(e, ENAMETOOLONG, "mkdir %s", path);
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return kerr_errno(e, "mkdir %s", buf);
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

const char *kfs_fdpath(int fd, char buf[KFS_FDPATH_MAX])
{
	snprintf(buf, KFS_FDPATH_MAX, "/proc/self/fd/%d", fd);
	return buf;
}

/* ---- resolution inside a root ---- */

static int openat2_state = -1; /* -1 unknown, 0 missing, 1 present */
static int force_fallback;

void kfs_force_fallback(int on)
{
	force_fallback = on;
}

int kfs_have_openat2(void)
{
	if (openat2_state < 0) {
		struct open_how how = { .flags = O_PATH | O_CLOEXEC };
		long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
		openat2_state = fd >= 0 || errno != ENOSYS;
		if (fd >= 0)
			close(fd);
	}
	return openat2_state;
}

int kfs_openat2_enabled(void)
{
	return !force_fallback && kfs_have_openat2();
}

#define MAX_SYMLINKS 40
#define MAX_DEPTH 256

/* The careful walk: components one by one with O_NOFOLLOW; a symlink's text
 * replaces it in the remaining path, from the root when absolute; ".." never
 * climbs above the root.  Returns an O_PATH fd. */
static int walk_in_root(int rootfd, const char *path)
{
	int stack[MAX_DEPTH];
	int depth = 0, links = 0;
	char rest[PATH_MAX * 2], tmp[PATH_MAX * 2];
	char *p = rest;

	if (strlen(path) >= sizeof(rest)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(rest, path);
	stack[0] = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (stack[0] < 0)
		return -1;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *end = strchrnul(p, '/');
		char *next = *end ? end + 1 : end;
		*end = '\0';
		if (!strcmp(p, ".")) {
			p = next;
			continue;
		}
		if (!strcmp(p, "..")) {
			if (depth > 0)
				close(stack[depth--]);
			p = next;
			continue;
		}
		int fd = openat(stack[depth], p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			goto fail;
		struct stat st;
		if (fstat(fd, &st) < 0) {
			close(fd);
			goto fail;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
			close(fd);
			if (n < 0)
				goto fail;
			target[n] = '\0';
			if (++links > MAX_SYMLINKS) {
				errno = ELOOP;
				goto fail;
			}
			if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s", target, next) >= sizeof(tmp)) {
				errno = ENAMETOOLONG;
				goto fail;
			}
			strcpy(rest, tmp);
			p = rest;
			if (target[0] == '/')
				while (depth > 0)
					close(stack[depth--]);
			continue;
		}
		if (depth + 1 >= MAX_DEPTH) {
			close(fd);
			errno = ENAMETOOLONG;
			goto fail;
		}
		stack[++depth] = fd;
		p = next;
	}
	for (int i = 0; i < depth; i++)
		close(stack[i]);
	return stack[depth];
fail:;
	int saved = errno;
	for (int i = 0; i <= depth; i++)
		close(stack[i]);
	errno = saved;
	return -1;
}

int kfs_open_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	flags |= O_CLOEXEC;
	if (kfs_openat2_enabled()) {
		struct open_how how = {
			.flags = flags,
			.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		while (*path == '/')
			path++;
		if (!*path)
			path = ".";
		long fd;
		do
			fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		while (fd < 0 && errno == EAGAIN);
		return fd;
	}

	/* Fallback: resolve the parent carefully, then open the last component
	 * without following a symlink it may be. */
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	char *slash = strrchr(buf, '/');
	const char *last = slash ? slash + 1 : buf;
	if (slash)
		*slash = '\0';
	_cleanup_close_ int dirfd = walk_in_root(rootfd, slash ? buf : ".");
	if (dirfd < 0)
		return -1;
	if (!*last || !strcmp(last, ".") || !strcmp(last, "..")) {
		int fd = walk_in_root(rootfd, path);
		if (fd < 0 || (flags & O_PATH))
			return fd;
		int r = openat(fd, ".", flags & ~O_CREAT, mode);
		close(fd);
		return r;
	}
	struct stat st;
	if (fstatat(dirfd, last, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		_cleanup_close_ int fd = walk_in_root(rootfd, path);
		if (fd < 0)
			return -1;
		if (flags & O_PATH)
			return steal_fd(fd);
		char p[KFS_FDPATH_MAX];
		return open(kfs_fdpath(fd, p), flags & ~(O_CREAT | O_EXCL), mode);
	}
	/* The directory fd is a real directory in the root: plain openat of a
	 * single non-symlink component (O_NOFOLLOW closes the race). */
	return openat(dirfd, last, flags | O_NOFOLLOW, mode);
}

static int mkdir_in_root(int rootfd, const char *path, mode_t mode, int depth)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (depth > MAX_SYMLINKS) {
		errno = ELOOP;
		return -1;
	}
	memcpy(buf, path, n + 1);
	int fd = kfs_open_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return -1;
	/* Create components one by one, each parent resolved inside the root. */
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (*buf) {
				_cleanup_close_ int dfd = -1;
				char *slash = strrchr(buf, '/');
				const char *name = slash ? slash + 1 : buf;
				if (slash) {
					*slash = '\0';
					dfd = kfs_open_in_root(rootfd, *buf ? buf : "/", O_PATH | O_DIRECTORY, 0);
					*slash = '/';
				} else {
					dfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
				}
				if (dfd < 0)
					return -1;
				if (*name && strcmp(name, ".") && strcmp(name, "..") && mkdirat(dfd, name, mode) < 0) {
					struct stat st;
					if (errno != EEXIST)
						return -1;
					/* a dangling symlink (/var/run -> /run): create its
					 * target, resolved inside the root as well */
					if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
						char target[PATH_MAX], next[PATH_MAX * 2];
						ssize_t l = readlinkat(dfd, name, target, sizeof(target) - 1);
						if (l < 0)
							return -1;
						target[l] = '\0';
						if (target[0] == '/')
							snprintf(next, sizeof(next), "%s", target);
						else
							snprintf(next, sizeof(next), "%.*s/%s", (int)(name - buf), buf, target);
						_cleanup_close_ int t = mkdir_in_root(rootfd, next, mode, depth + 1);
						if (t < 0)
							return -1;
					}
				}
			}
			*p = c;
			if (!c)
				break;
		}
	}
	return kfs_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0);
}

int kfs_mkdir_in_root(int rootfd, const char *path, mode_t mode)
{
	return mkdir_in_root(rootfd, path, mode, 0);
}

int kfs_mkpath_in_root(int rootfd, const char *path, int is_dir, mode_t mode)
{
	if (is_dir)
		return kfs_mkdir_in_root(rootfd, path, mode);

	int fd = kfs_open_in_root(rootfd, path, O_PATH, 0);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	char *slash = strrchr(buf, '/');
	const char *name = slash ? slash + 1 : buf;
	_cleanup_close_ int dfd = -1;
	if (slash && slash != buf) {
		*slash = '\0';
		dfd = kfs_mkdir_in_root(rootfd, buf, 0755);
	} else {
		dfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	}
	if (dfd < 0)
		return -1;
	/* O_PATH dirfd cannot create: reopen the directory for real. */
	char p[KFS_FDPATH_MAX];
	_cleanup_close_ int real = open(kfs_fdpath(dfd, p), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (real < 0)
		return -1;
	int f = openat(real, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
	if (f < 0 && errno != EEXIST)
		return -1;
	if (f >= 0)
		close(f);
	return kfs_open_in_root(rootfd, path, O_PATH, 0);
}

static int copy_data(int in, int out, off_t size)
{
	for (off_t left = size; left > 0;) {
		ssize_t c = copy_file_range(in, NULL, out, NULL, left, 0);
		if (c < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
			char buf[65536];
			c = read(in, buf, sizeof(buf));
			if (c > 0 && write_all(out, buf, c) < 0)
				c = -1;
		}
		if (c < 0)
			return -1;
		if (c == 0)
			break;
		left -= c;
	}
	return 0;
}

static const char *special_name(mode_t m)
{
	return S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" : S_ISFIFO(m) ? "a fifo" : "a socket";
}

static int copy_at(int sdir, const char *sname, int ddir, const char *dname, const struct kfs_copy_opts *o, int depth,
		   kerr *e);

static int copy_children(int sfd, int dfd, const struct kfs_copy_opts *o, int depth, kerr *e)
{
	int fd = fcntl(sfd, F_DUPFD_CLOEXEC, 3);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return kerr_errno(e, "copy: opendir");
	}
	_cleanup_closedir_ DIR *dd = d;
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (copy_at(dirfd(d), de->d_name, dfd, de->d_name, o, depth + 1, e) < 0)
			return -1;
	}
	return errno ? kerr_errno(e, "copy: readdir") : 0;
}

static int64_t owner(int64_t set, int64_t have, const struct kfs_copy_opts *o)
{
	if (set >= 0)
		return set;
	return o->map_size && have >= o->map_from && have < o->map_from + o->map_size ? have - o->map_from + o->map_to
										       : have;
}

/* Owner, mode and times of what FD is (held open: a name the other side
 * swaps for a symlink meanwhile changes nothing outside). */
static int meta_fd(int fd, const struct stat *st, const struct kfs_copy_opts *o, const char *dname, kerr *e)
{
	/* chown first: it clears the setuid bits chmod then sets */
	if (fchown(fd, owner(o->uid, st->st_uid, o), owner(o->gid, st->st_gid, o)) < 0 && errno != EPERM &&
	    errno != EINVAL)
		return kerr_errno(e, "copy: chown %s", dname);
	if (fchmod(fd, st->st_mode & 07777 & ~o->strip) < 0)
		return kerr_errno(e, "copy: chmod %s", dname);
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	futimens(fd, ts);
	return 0;
}

/* The same for a name that is not opened for reading or writing (a
 * symlink, a fifo, a device): never followed. */
static int meta_at(int ddir, const char *dname, const struct stat *st, const struct kfs_copy_opts *o, kerr *e)
{
	if (fchownat(ddir, dname, owner(o->uid, st->st_uid, o), owner(o->gid, st->st_gid, o), AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno != EPERM && errno != EINVAL)
		return kerr_errno(e, "copy: chown %s", dname);
	if (!S_ISLNK(st->st_mode) && fchmodat(ddir, dname, st->st_mode & 07777 & ~o->strip, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_errno(e, "copy: chmod %s", dname);
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	utimensat(ddir, dname, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

/* SNAME of SDIR opened for reading, and checked to be the regular file
 * STAT said (O_NONBLOCK: one swapped for a fifo does not block us). */
static int open_regular(int sdir, const char *sname, const struct stat *st)
{
	int fd = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat now;
	if (fd >= 0 && (fstat(fd, &now) < 0 || !S_ISREG(now.st_mode) || now.st_ino != st->st_ino ||
			now.st_dev != st->st_dev)) {
		close(fd);
		errno = ESTALE; /* changed under us */
		return -1;
	}
	return fd;
}

#define COPY_DEPTH_MAX 1024

static int copy_at(int sdir, const char *sname, int ddir, const char *dname, const struct kfs_copy_opts *o, int depth,
		   kerr *e)
{
	struct stat st, have;
	if (depth > COPY_DEPTH_MAX)
		return kerr_msg(e, ELOOP, "copy %s: more than %d directories deep", sname, COPY_DEPTH_MAX);
	if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_errno(e, "copy: stat %s", sname);
	if (S_ISSOCK(st.st_mode))
		return 0; /* a socket is nothing without its listener: skipped, as tar does */
	if ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) && o->no_special)
		return kerr_msg(e, EPERM, "copy %s: %s is not copied", sname, special_name(st.st_mode));
	bool exists = fstatat(ddir, dname, &have, AT_SYMLINK_NOFOLLOW) == 0;
	if (!exists && errno != ENOENT)
		return kerr_errno(e, "copy: stat %s", dname);
	if (exists && S_ISDIR(have.st_mode) != S_ISDIR(st.st_mode)) {
		if (S_ISDIR(have.st_mode))
			return kerr_msg(e, EISDIR, "copy %s: a directory is in the way", dname);
		if (!o->replace)
			return kerr_msg(e, EEXIST, "copy %s: it exists", dname);
	}
	if (exists && !S_ISDIR(have.st_mode) && !S_ISDIR(st.st_mode) && !o->replace)
		return kerr_msg(e, EEXIST, "copy %s: it exists", dname);
	if (exists && !S_ISDIR(have.st_mode) && unlinkat(ddir, dname, 0) < 0)
		return kerr_errno(e, "copy: replace %s", dname);
	if (S_ISDIR(st.st_mode)) {
		if ((!exists || !S_ISDIR(have.st_mode)) && mkdirat(ddir, dname, 0700) < 0)
			return kerr_errno(e, "copy: mkdir %s", dname);
		_cleanup_close_ int cs = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int cd = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cs < 0 || cd < 0)
			return kerr_errno(e, "copy: open %s", cs < 0 ? sname : dname);
		if (copy_children(cs, cd, o, depth, e) < 0)
			return kerr_wrap(e, "%s", sname);
		return meta_fd(cd, &st, o, dname, e);
	}
	if (S_ISREG(st.st_mode)) {
		_cleanup_close_ int in = open_regular(sdir, sname, &st);
		_cleanup_close_ int out = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (in < 0 || out < 0)
			return kerr_errno(e, "copy: open %s", in < 0 ? sname : dname);
		if (copy_data(in, out, st.st_size) < 0)
			return kerr_errno(e, "copy: %s", sname);
		return meta_fd(out, &st, o, dname, e);
	}
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t l = readlinkat(sdir, sname, target, sizeof(target) - 1);
		if (l < 0)
			return kerr_errno(e, "copy: readlink %s", sname);
		target[l] = '\0';
		if (symlinkat(target, ddir, dname) < 0)
			return kerr_errno(e, "copy: symlink %s", dname);
	} else if (mknodat(ddir, dname, st.st_mode & ~07777, st.st_rdev) < 0) {
		return kerr_errno(e, "copy: mknod %s", dname);
	}
	return meta_at(ddir, dname, &st, o, e);
}

int kfs_copy_at(int sdir, const char *sname, int ddir, const char *dname, const struct kfs_copy_opts *o, kerr *e)
{
	return copy_at(sdir, sname, ddir, dname, o, 0, e);
}

int kfs_copy_into(int src, int dst, const struct kfs_copy_opts *o, kerr *e)
{
	return copy_children(src, dst, o, 0, e);
}

int kfs_copy_tree(int src, int dst, kerr *e)
{
	static const struct kfs_copy_opts keep = { .uid = -1, .gid = -1 };
	return kfs_copy_into(src, dst, &keep, e);
}

/* Empty and remove the directory NAME of TOP without holding an fd per
 * level (a hostile tree may be thousands deep): each subdirectory met is
 * renamed up into TOP under a fresh name and handled in turn. */
static int remove_tree(int top, const char *name, kerr *e)
{
	char **work = NULL;
	size_t nw = 0, cap = 0;
	unsigned seq = 0;
	int rc = 0;
	char *first = strdup(name);
	if (!first)
		return kerr_set(e, ENOMEM, "remove %s", name);
	work = malloc(sizeof(*work));
	if (!work) {
		free(first);
		return kerr_set(e, ENOMEM, "remove %s", name);
	}
	work[nw++] = first;
	cap = 1;
	while (rc == 0 && nw) {
		char *cur = work[nw - 1];
		int fd = openat(top, cur, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno != ENOENT && errno != ENOTDIR)
				rc = kerr_errno(e, "open %s", cur);
			else if (errno == ENOTDIR && unlinkat(top, cur, 0) < 0 && errno != ENOENT)
				rc = kerr_errno(e, "remove %s", cur);
			free(work[--nw]);
			continue;
		}
		_cleanup_closedir_ DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
			rc = kerr_errno(e, "read %s", cur);
			break;
		}
		struct dirent *de;
		int moved = 0;
		while (rc == 0 && (de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (unlinkat(fd, de->d_name, 0) == 0 || errno == ENOENT)
				continue;
			if (errno != EISDIR && errno != EPERM) {
				rc = kerr_errno(e, "remove %s/%s", cur, de->d_name);
				break;
			}
			char up[64];
			int r;
			do {
				snprintf(up, sizeof(up), ".kapsel-rm-%d-%u", (int)getpid(), seq++);
				r = renameat2(fd, de->d_name, top, up, RENAME_NOREPLACE);
			} while (r < 0 && errno == EEXIST);
			if (r < 0) {
				rc = kerr_errno(e, "move %s/%s out to remove it", cur, de->d_name);
				break;
			}
			if (nw == cap) {
				char **nv = realloc(work, 2 * cap * sizeof(*nv));
				if (!nv) {
					rc = kerr_set(e, ENOMEM, "remove %s", name);
					break;
				}
				work = nv;
				cap *= 2;
			}
			if (!(work[nw++] = strdup(up))) {
				nw--;
				rc = kerr_set(e, ENOMEM, "remove %s", name);
			}
			moved = 1;
		}
		if (rc < 0)
			break;
		if (moved)
			continue; /* the directories moved up come first; CUR is emptied again after them */
		if (unlinkat(top, cur, AT_REMOVEDIR) < 0 && errno != ENOENT) {
			if (errno == ENOTEMPTY)
				continue; /* something readdir did not show yet: read it again */
			rc = kerr_errno(e, "remove %s", cur);
			break;
		}
		free(work[--nw]);
	}
	while (nw)
		free(work[--nw]);
	free(work);
	return rc;
}

int kfs_remove_at(int dirfd, const char *name, kerr *e)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return kerr_errno(e, "remove %s", name);
	return remove_tree(dirfd, name, e);
}
