/* The root filesystem: overlayfs over the image's layers with the
 * container's own upper layer, and the loopback-only network namespace.
 * The layers themselves are the image store's (kstore_layer_dirs:
 * unpacked once per ChainID by its hostile-layer-proof applier, held
 * against rmi while a container uses them). */
#include "rootfs.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/str.h"
#include "common/strv.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	/* FTW_MOUNT: a mount point below is not entered, and its removal fails */
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

/* rm -rf PATH, never crossing into another filesystem. */
static int rm_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* The kernel's message for a failed fsconfig (the fs context's log). */
static const char *fs_log(int fd, char *buf, size_t n)
{
	ssize_t r = read(fd, buf, n - 1);
	if (r <= 0)
		return "";
	buf[r] = 0;
	if (r > 2 && buf[1] == ' ')
		memmove(buf, buf + 2, (size_t)r - 1);
	return buf;
}

/* "lowerdir" as one string, top first, ':' and '\' escaped. */
static char *lower_string(char *const *lower)
{
	size_t n = kstrv_len(lower), len = 1;
	for (size_t i = 0; i < n; i++)
		len += 2 * strlen(lower[i]) + 1;
	char *s = malloc(len), *p = s;
	if (!s)
		return NULL;
	for (size_t i = n; i-- > 0;) {
		for (const char *c = lower[i]; *c; c++) {
			if (*c == ':' || *c == '\\' || *c == ',')
				*p++ = '\\';
			*p++ = *c;
		}
		if (i)
			*p++ = ':';
	}
	*p = 0;
	return s;
}

static int overlay_config(int fs, char *const *lower, const char *upper, const char *work, kerr *e);

/* A detached idmapped copy of the mount at PATH; its fd. */
static int idmapped(const char *path, int userns, kerr *e)
{
	int t = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (t < 0)
		return kerr_errno(e, "open_tree %s", path);
	struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
	if (mount_setattr(t, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0) {
		close(t);
		return kerr_errno(e, "idmap %s", path);
	}
	return t;
}

int keng_userns_fd(int64_t host, int64_t size, kerr *e)
{
	int sync[2];
	if (pipe2(sync, O_CLOEXEC) < 0)
		return kerr_errno(e, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(sync[0]);
		close(sync[1]);
		return kerr_errno(e, "fork");
	}
	if (pid == 0) {
		char c = unshare(CLONE_NEWUSER) == 0 ? 0 : 1;
		if (write(sync[1], &c, 1) == 1 && c == 0)
			pause();
		_exit(1);
	}
	_cleanup_pid_ pid_t child = pid;
	close(sync[1]);
	char c = 1;
	ssize_t n = read(sync[0], &c, 1);
	close(sync[0]);
	if (n != 1 || c)
		return kerr_msg(e, EPERM, "unshare a user namespace for the idmapped layers");
	char map[64], path[64];
	snprintf(map, sizeof(map), "0 %lld %lld\n", (long long)host, (long long)size);
	static const char *const files[] = { "uid_map", "gid_map" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)child, files[i]);
		if (kfs_write_str(path, map, e) < 0)
			return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)child);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(e, "open %s", path);
	return fd;
}

static int64_t shift_host, shift_size;

static int shift_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)flag;
	(void)f;
	uid_t u = st->st_uid < (uid_t)shift_size ? (uid_t)(st->st_uid + shift_host) : st->st_uid;
	gid_t g = st->st_gid < (gid_t)shift_size ? (gid_t)(st->st_gid + shift_host) : st->st_gid;
	if ((u != st->st_uid || g != st->st_gid) && lchown(path, u, g) < 0)
		return -1;
	/* lchown clears set-id bits; none of ours has them */
	return 0;
}

int keng_shift_tree(const char *dir, int64_t host, int64_t size, kerr *e)
{
	shift_host = host;
	shift_size = size;
	if (nftw(dir, shift_one, 16, FTW_PHYS | FTW_MOUNT) != 0)
		return kerr_errno(e, "shift the owners under %s", dir);
	return 0;
}

int keng_overlay_open(char *const *lower_in, const char *upper, const char *work, int userns, bool volatile_upper,
		      kerr *e)
{
	_cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return kerr_errno(e, "fsopen overlay");
	size_t n = kstrv_len(lower_in);
	/* idmapped layers are named by their detached mounts' fds */
	_cleanup_strv_ char **lower = calloc(n + 1, sizeof(char *));
	_cleanup_free_ int *fds = calloc(n + 1, sizeof(int));
	if (!lower || !fds)
		return kerr_errno(e, "overlay");
	int rc = 0;
	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (userns >= 0 && (fds[i] = idmapped(lower_in[i], userns, e)) < 0)
			rc = -1;
		else if (!(lower[i] = userns >= 0 ? kstr_printf("/proc/self/fd/%d", fds[i]) : strdup(lower_in[i])))
			rc = kerr_errno(e, "overlay");
	}
	/* a --rm container's upper goes with it: no sync of the whole upper
	 * filesystem at the unmount (ms of writeback on a busy host) */
	if (rc == 0 && volatile_upper && upper && fsconfig(fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0)
		rc = kerr_errno(e, "overlay volatile");
	if (rc == 0)
		rc = overlay_config(fs, lower, upper, work, e);
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (rc < 0)
		return -1;
	int mfd = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mfd < 0)
		return kerr_errno(e, "fsmount overlay");
	return mfd;
}

static int overlay_config(int fs, char *const *lower, const char *upper, const char *work, kerr *e)
{
	char log[512];
	size_t n = kstrv_len(lower);
	/* lowerdir+ appends below the layers given so far: top first */
	int plus = 1;
	for (size_t i = n; plus && i-- > 0;)
		if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lower[i], 0) < 0) {
			if (errno != EINVAL || i != n - 1)
				return kerr_errno(e, "overlay lowerdir+ %s (%s)", lower[i],
						  fs_log(fs, log, sizeof(log)));
			plus = 0; /* before Linux 6.8 */
		}
	if (!plus) {
		_cleanup_free_ char *s = lower_string(lower);
		if (!s)
			return kerr_errno(e, "overlay lowerdir");
		if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", s, 0) < 0)
			return kerr_errno(e, "overlay lowerdir (%zu layers) (%s)", n, fs_log(fs, log, sizeof(log)));
	}
	/* no upper layer: a read-only overlay of the lower ones */
	if (upper && (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
		      fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0))
		return kerr_errno(e, "overlay upperdir %s, workdir %s (%s)", upper, work, fs_log(fs, log, sizeof(log)));
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return kerr_errno(e, "mount overlay (%s)", fs_log(fs, log, sizeof(log)));
	return 0;
}

int keng_overlay_attach(int mfd, bool ro, const char *target, kerr *e)
{
	if (ro) {
		struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
		if (mount_setattr(mfd, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
			return kerr_errno(e, "make the root filesystem read-only");
	}
	if (move_mount(mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return kerr_errno(e, "attach the root filesystem at %s", target);
	return 0;
}

int keng_netns_create(const char *path, kerr *e)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return kerr_errno(e, "create %s", path);
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return kerr_errno(e, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return kerr_errno(e, "fork");
	}
	if (pid == 0) {
		/* a child: the namespace must not stick to the caller */
		char r = 1;
		close(pipefd[0]);
		if (unshare(CLONE_NEWNET) == 0) {
			int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			struct ifreq ifr = { 0 };
			strcpy(ifr.ifr_name, "lo");
			if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
				ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
				/* /proc/sys/net is the opener's namespace: non-root
				 * servers bind ports below 1024, as in Docker (set here
				 * for a user namespace that joins it, which cannot) */
				int sfd = open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_WRONLY | O_CLOEXEC);
				bool ok = sfd >= 0 && write(sfd, "0", 1) == 1;
				if (sfd >= 0)
					close(sfd);
				if (ok && ioctl(s, SIOCSIFFLAGS, &ifr) == 0 &&
				    mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) == 0)
					r = 0;
			}
		}
		if (r)
			r = (char)errno;
		if (write(pipefd[1], &r, 1) != 1)
			_exit(1);
		_exit(r ? 1 : 0);
	}
	close(pipefd[1]);
	char r = EIO;
	ssize_t got = read(pipefd[0], &r, 1);
	close(pipefd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (got != 1 || r) {
		unlink(path);
		return kerr_set(e, got == 1 ? r : EIO, "network namespace with loopback at %s", path);
	}
	return 0;
}

int keng_shm_mount(const char *dir, int64_t size, kerr *e)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return kerr_errno(e, "mkdir %s", dir);
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s/..", dir);
	struct stat a, b;
	if (lstat(dir, &a) < 0 || stat(parent, &b) < 0)
		return kerr_errno(e, "stat %s", dir);
	if (!S_ISDIR(a.st_mode))
		return kerr_msg(e, ENOTDIR, "%s is not a directory", dir);
	if (a.st_dev != b.st_dev)
		return 0; /* mounted already */
	char opts[64];
	snprintf(opts, sizeof(opts), "mode=1777,size=%lldk", (long long)((size + 1023) / 1024));
	if (mount("shm", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
		return kerr_errno(e, "mount a tmpfs on %s", dir);
	return 0;
}

int keng_umount(const char *path, kerr *e)
{
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		return kerr_errno(e, "unmount %s", path);
	return 0;
}

int keng_rm_tree(const char *path, kerr *e)
{
	if (rm_tree(path) < 0)
		return kerr_errno(e, "remove %s", path);
	return 0;
}
