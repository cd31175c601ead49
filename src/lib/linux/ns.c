#include "ns.h"

#include "common/cleanup.h"
#include "linux/procfs.h"
#include "oci/spec.h"
#include "vocab/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int kns_open(const struct oci_ns *ns, kerr *e)
{
	int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(e, "config.json: linux.namespaces: %s namespace %s", kns_type_name(ns->type), ns->path);
	int t = ioctl(fd, NS_GET_NSTYPE);
	if (t < 0) {
		int err = errno;
		close(fd);
		return kerr_set(e, err == ENOTTY ? EINVAL : err,
				"config.json: linux.namespaces: %s is not a namespace file", ns->path);
	}
	if (t != ns->type) {
		close(fd);
		return kerr_msg(e, EINVAL, "config.json: linux.namespaces: %s is a %s namespace, not a %s namespace",
				ns->path, kns_type_name(t), kns_type_name(ns->type));
	}
	return fd;
}

int kns_join_fd(int fd, int type, kerr *e)
{
	if (setns(fd, type) < 0)
		return kerr_errno(e, "join the %s namespace", kns_type_name(type));
	return 0;
}

static int write_map(int procfd, pid_t pid, const char *file, const struct oci_idmap *m, size_t n, kerr *e)
{
	char path[64], buf[4096];
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		int r = snprintf(buf + off, sizeof(buf) - off, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
		if (r < 0 || (size_t)r >= sizeof(buf) - off)
			return kerr_set(e, E2BIG, "%s: too many mappings", file);
		off += r;
	}
	snprintf(path, sizeof(path), "%d/%s", pid, file);
	return kprocfs_write(procfd, path, buf, e);
}

int kns_write_idmaps(int procfd, pid_t pid, const struct oci_spec *s, kerr *e)
{
	if (write_map(procfd, pid, "uid_map", s->uid_mappings, s->n_uid_mappings, e) < 0)
		return kerr_wrap(e, "config.json: linux.uidMappings");
	if (write_map(procfd, pid, "gid_map", s->gid_mappings, s->n_gid_mappings, e) < 0)
		return kerr_wrap(e, "config.json: linux.gidMappings");
	return 0;
}

int kns_userns_fd(int procfd, const struct oci_idmap *uid, size_t n_uid, const struct oci_idmap *gid, size_t n_gid,
		  const char *what, kerr *e)
{
	int sync[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) < 0)
		return kerr_errno(e, "%s: socketpair", what);
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(sync[0]);
		close(sync[1]);
		return kerr_set(e, err, "%s: fork", what);
	}
	if (pid == 0) {
		/* unshare, say so, and live until the parent closes its end */
		close(sync[0]);
		char ok = unshare(CLONE_NEWUSER) == 0;
		if (write(sync[1], &ok, 1) == 1 && ok)
			(void)read(sync[1], &ok, 1);
		_exit(0);
	}
	_cleanup_pid_ pid_t child = pid;
	close(sync[1]);
	_cleanup_close_ int rd = sync[0];
	char ok = 0;
	if (read(rd, &ok, 1) != 1 || !ok)
		return kerr_msg(e, EPERM, "%s: unshare a user namespace for the idmapped mount", what);
	char path[64];
	if (write_map(procfd, child, "uid_map", uid, n_uid, e) < 0)
		return kerr_wrap(e, "%s: uidMappings", what);
	if (write_map(procfd, child, "gid_map", gid, n_gid, e) < 0)
		return kerr_wrap(e, "%s: gidMappings", what);
	/* the child's directory through the verified handle; its ns/user is a
	 * magic link the kernel resolves to the namespace itself */
	snprintf(path, sizeof(path), "%d/ns", (int)child);
	_cleanup_close_ int nsdir = kprocfs_openat(procfd, path, O_PATH | O_DIRECTORY, e);
	if (nsdir < 0)
		return kerr_wrap(e, "%s", what);
	int fd = openat(nsdir, "user", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(e, "%s: open /proc/%d/ns/user", what, (int)child);
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWUSER) {
		close(fd);
		return kerr_msg(e, EINVAL, "%s: /proc/%d/ns/user is not a user namespace", what, (int)child);
	}
	return fd;
}

int kns_write_time_offsets(int procfd, const struct oci_spec *s, kerr *e)
{
	char buf[256];
	if (!s->has_time_offsets)
		return 0;
	snprintf(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n",
		 (long long)s->time_offset_mono_secs, s->time_offset_mono_nsecs,
		 (long long)s->time_offset_boot_secs, s->time_offset_boot_nsecs);
	if (kprocfs_write(procfd, "self/timens_offsets", buf, e) < 0)
		return kerr_wrap(e, "config.json: linux.timeOffsets");
	return 0;
}

int kns_loopback_up(kerr *e)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return kerr_errno(e, "loopback of the new network namespace");
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return kerr_errno(e, "bring up the loopback of the new network namespace");
	return 0;
}
