#include "procmount.h"

#include "common/cleanup.h"
#include "oci/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

/* The /proc files lxcfs replaces: the only mounts allowed inside /proc. */
static const char *const lxcfs_files[] = {
	"/proc/cpuinfo", "/proc/diskstats", "/proc/loadavg", "/proc/meminfo", "/proc/stat", "/proc/swaps",
	"/proc/uptime", NULL,
};

static int is_procfs(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

void kprocmount_clean(const char *dest, char out[PATH_MAX])
{
	size_t n = 0;
	for (const char *p = dest; *p;) {
		while (*p == '/')
			p++;
		const char *end = strchrnul(p, '/');
		size_t len = end - p;
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && out[--n] != '/')
				;
		} else if (len && !(len == 1 && p[0] == '.') && n + len + 2 < PATH_MAX) {
			out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p = end;
	}
	if (!n)
		out[n++] = '/';
	out[n] = '\0';
}

static int is_proc_mount(const struct oci_mount *m)
{
	char d[PATH_MAX];
	kprocmount_clean(m->destination, d);
	return !strcmp(d, "/proc") && !strcmp(m->type, "proc");
}

int kprocmount_check_before(const struct oci_mount *m, const char *dest, int tree, int rootfd, kerr *e)
{
	struct stat st;
	struct statfs sf;
	if (strcmp(dest, "/proc"))
		return 0;
	if (fstatat(rootfd, "proc", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		char to[PATH_MAX];
		ssize_t l = readlinkat(rootfd, "proc", to, sizeof(to) - 1);
		to[l > 0 ? l : 0] = '\0';
		return kerr_msg(e, ENOTDIR, "mount %s: /proc in the rootfs is a symlink (to \"%s\"), not a directory: refused",
				m->destination, to);
	}
	int proc = !strcmp(m->type, "proc") ||
		   (m->is_bind && (tree >= 0 ? fstatfs(tree, &sf) : statfs(m->source, &sf)) == 0 &&
		    sf.f_type == PROC_SUPER_MAGIC);
	if (!proc)
		return kerr_msg(e, EINVAL, "mount %s: only a procfs may be mounted on /proc, not %s %s: refused",
				m->destination, m->type, m->source ? m->source : "");
	return 0;
}

int kprocmount_check_after(const struct oci_mount *m, const char *dest, int rootfd, int tfd, kerr *e)
{
	struct stat st, there;
	if (!strcmp(dest, "/proc")) {
		if (fstat(tfd, &st) < 0 || fstatat(rootfd, "proc", &there, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_ino != there.st_ino || st.st_dev != there.st_dev)
			return kerr_msg(e, EXDEV, "mount %s: /proc in the rootfs was replaced while it was set up: refused",
					m->destination);
		return 0;
	}
	if (strncmp(dest, "/proc/", 6) && !is_procfs(tfd))
		return 0;
	for (size_t i = 0; lxcfs_files[i]; i++)
		if (!strcmp(dest, lxcfs_files[i]) && fstat(tfd, &st) == 0 && S_ISREG(st.st_mode) && is_procfs(tfd))
			return 0;
	return kerr_msg(e, EPERM, "mount %s: the destination is inside /proc, whose files the runtime writes and "
			"masks: refused (only /proc/cpuinfo, diskstats, loadavg, meminfo, stat, swaps and uptime may be "
			"mounted over, as lxcfs does)", m->destination);
}

int kprocmount_verify(const struct oci_spec *s, int dirfd, const char *proc, kerr *e)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		if (!is_proc_mount(&s->mounts[i]))
			continue;
		_cleanup_close_ int fd = openat(dirfd, proc, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || !is_procfs(fd))
			return kerr_msg(e, EXDEV, "/proc in the rootfs was replaced while the container was set up: refused");
		return 0;
	}
	return 0;
}
