#include "devices.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "oci/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const struct oci_device default_devices[] = {
	{ .path = "/dev/null", .type = 'c', .major = 1, .minor = 3, .file_mode = 0666, .has_file_mode = 1 },
	{ .path = "/dev/zero", .type = 'c', .major = 1, .minor = 5, .file_mode = 0666, .has_file_mode = 1 },
	{ .path = "/dev/full", .type = 'c', .major = 1, .minor = 7, .file_mode = 0666, .has_file_mode = 1 },
	{ .path = "/dev/random", .type = 'c', .major = 1, .minor = 8, .file_mode = 0666, .has_file_mode = 1 },
	{ .path = "/dev/urandom", .type = 'c', .major = 1, .minor = 9, .file_mode = 0666, .has_file_mode = 1 },
	{ .path = "/dev/tty", .type = 'c', .major = 5, .minor = 0, .file_mode = 0666, .has_file_mode = 1 },
};

static const struct {
	const char *target, *link;
} dev_links[] = {
	{ "/proc/self/fd", "fd" },
	{ "/proc/self/fd/0", "stdin" },
	{ "/proc/self/fd/1", "stdout" },
	{ "/proc/self/fd/2", "stderr" },
};

static mode_t type_bits(char t)
{
	return t == 'b' ? S_IFBLK : t == 'p' ? S_IFIFO : S_IFCHR;
}

/* The node made at DFD/NAME is still there, the same inode as NFD, and
 * PATH inside the root leads to it: neither it nor its directory was moved
 * out of the root meanwhile.  Else it is removed. */
static int check_in_root(int rootfd, int dfd, const char *name, int nfd, const char *path, kerr *e)
{
	struct stat mine, there;
	_cleanup_close_ int fd = kfs_open_in_root(rootfd, path, O_PATH | O_NOFOLLOW, 0);
	if (fstat(nfd, &mine) == 0 && fd >= 0 && fstat(fd, &there) == 0 && mine.st_dev == there.st_dev &&
	    mine.st_ino == there.st_ino)
		return 0;
	if (fstatat(dfd, name, &there, AT_SYMLINK_NOFOLLOW) == 0 && there.st_ino == mine.st_ino &&
	    there.st_dev == mine.st_dev)
		unlinkat(dfd, name, 0);
	return kerr_msg(e, EXDEV, "device %s: moved out of the root while it was made: refused", path);
}

/* mknod, then mode and owner through the fd of the node made */
static int mknod_exact(int dfd, int fd_dir, const struct oci_device *d, const char *name, int rootfd, kerr *e)
{
	mode_t perm = d->has_file_mode ? d->file_mode : 0666;
	mode_t type = type_bits(d->type);
	dev_t dev = makedev(d->major, d->minor);
	struct stat st;
	char num[16];

	if (mknodat(dfd, name, type | perm, dev) < 0)
		return kerr_errno(e, "device %s: mknod", d->path);
	_cleanup_close_ int nfd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (nfd < 0)
		return kerr_errno(e, "device %s: open the node made", d->path);
	if (fstat(nfd, &st) < 0)
		return kerr_errno(e, "device %s: stat the node made", d->path);
	if ((st.st_mode & S_IFMT) != type || (type != S_IFIFO && st.st_rdev != dev))
		return kerr_msg(e, EEXIST, "device %s: replaced by something else while it was made: refused", d->path);
	/* mknod applied the umask: the exact mode, through /proc/PID/fd/N */
	snprintf(num, sizeof(num), "%d", nfd);
	if ((st.st_mode & 07777) != perm && fchmodat(fd_dir, num, perm, 0) < 0)
		return kerr_errno(e, "device %s: chmod", d->path);
	if ((d->has_uid || d->has_gid) &&
	    fchownat(nfd, "", d->has_uid ? d->uid : (uid_t)-1, d->has_gid ? d->gid : (gid_t)-1, AT_EMPTY_PATH) < 0)
		return kerr_errno(e, "device %s: chown", d->path);
	return check_in_root(rootfd, dfd, name, nfd, d->path, e);
}

static int make_node(int rootfd, int fd_dir, const struct oci_device *d, int in_userns, kerr *e)
{
	char parent[PATH_MAX], fp[KFS_FDPATH_MAX];
	const char *slash = strrchr(d->path, '/');
	const char *name = slash + 1;

	if (!*name || !strcmp(name, "..") || !strcmp(name, "."))
		return kerr_msg(e, EINVAL, "device %s: not a file name", d->path);
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - d->path), d->path);
	_cleanup_close_ int dfd = kfs_mkdir_in_root(rootfd, *parent ? parent : "/", 0755);
	if (dfd < 0)
		return kerr_errno(e, "device %s: create %s", d->path, parent);

	dev_t dev = makedev(d->major, d->minor);
	/* a planted file or symlink with that name is replaced, never followed */
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT && errno != EISDIR)
		return kerr_errno(e, "device %s: remove what is there", d->path);

	if (!in_userns || d->type == 'p')
		return mknod_exact(dfd, fd_dir, d, name, rootfd, e);
	/* user namespace: bind the host's node onto an empty file.  The host
	 * node is /dev/char/M:m (udev) or the same path on the host, as long
	 * as it is that very device. */
	char host[PATH_MAX];
	struct stat hs;
	snprintf(host, sizeof(host), "/dev/%s/%u:%u", d->type == 'b' ? "block" : "char",
		 (unsigned)d->major, (unsigned)d->minor);
	if (stat(host, &hs) < 0 || hs.st_rdev != dev || (hs.st_mode & S_IFMT) != type_bits(d->type)) {
		snprintf(host, sizeof(host), "%s", d->path);
		if (stat(host, &hs) < 0 || hs.st_rdev != dev || (hs.st_mode & S_IFMT) != type_bits(d->type))
			return kerr_msg(e, ENOENT, "device %s: in a user namespace the host's node is bound in, and "
					"the host has no %c %lld:%lld at /dev/%s/%lld:%lld or %s", d->path, d->type,
					(long long)d->major, (long long)d->minor, d->type == 'b' ? "block" : "char",
					(long long)d->major, (long long)d->minor, d->path);
	}
	/* the mount point is the file this open made, whatever the name
	 * leads to meanwhile */
	_cleanup_close_ int nfd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (nfd < 0)
		return kerr_errno(e, "device %s: create", d->path);
	if (check_in_root(rootfd, dfd, name, nfd, d->path, e) < 0)
		return -1;
	if (mount(host, kfs_fdpath(nfd, fp), NULL, MS_BIND, NULL) < 0)
		return kerr_errno(e, "device %s: bind %s", d->path, host);
	return 0;
}

int kdev_setup(int rootfd, int fd_dir, const struct oci_spec *s, int in_userns, int dev_is_mounted, kerr *e)
{
	int dev_is_bind = 0;
	for (size_t i = 0; i < s->n_mounts; i++)
		if (!strcmp(s->mounts[i].destination, "/dev") && s->mounts[i].is_bind)
			dev_is_bind = 1;

	if (!dev_is_bind) {
		for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
			int overridden = 0;
			for (size_t j = 0; j < s->n_devices; j++)
				if (!strcmp(s->devices[j].path, default_devices[i].path))
					overridden = 1;
			if (!overridden && make_node(rootfd, fd_dir, &default_devices[i], in_userns, e) < 0)
				return -1;
		}
	}
	for (size_t i = 0; i < s->n_devices; i++)
		if (make_node(rootfd, fd_dir, &s->devices[i], in_userns, e) < 0)
			return kerr_wrap(e, "config.json: linux.devices[%zu]", i);

	if (dev_is_bind || !dev_is_mounted)
		return 0;
	_cleanup_close_ int dfd = kfs_mkdir_in_root(rootfd, "/dev", 0755);
	if (dfd < 0)
		return kerr_errno(e, "open /dev in the rootfs");
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
		if (symlinkat(dev_links[i].target, dfd, dev_links[i].link) < 0 && errno != EEXIST)
			return kerr_errno(e, "symlink /dev/%s", dev_links[i].link);
	/* /dev/ptmx follows the container's devpts instance */
	struct stat st;
	if (fstatat(dfd, "pts/ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (unlinkat(dfd, "ptmx", 0) < 0 && errno != ENOENT)
			return kerr_errno(e, "replace /dev/ptmx");
		if (symlinkat("pts/ptmx", dfd, "ptmx") < 0)
			return kerr_errno(e, "symlink /dev/ptmx");
	}
	return 0;
}
