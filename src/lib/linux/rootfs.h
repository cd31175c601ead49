/* The container's filesystem: mounts from config.json, default devices and
 * /dev symlinks, pivot_root, masked and read-only paths, the read-only root.
 * Runs in the container's new mount namespace.  Every destination is
 * resolved inside the rootfs (kfs_*_in_root) and mounted through its fd.
 *
 * /proc is the runtime's to write to, through its own verified procfs
 * handle (linux/procfs.h), never through the container's /proc: a rootfs
 * whose /proc is a symlink, a mount on /proc that is not a procfs, and a
 * mount over anything inside /proc (wherever its destination's symlinks
 * lead) are refused before anything is mounted there, but for the files
 * lxcfs provides (linux/procmount.h).  After pivot_root nothing is reached
 * through the container's /proc: masks and read-only binds name their fds
 * relative to the runtime's own /proc/PID/fd on the verified handle (the
 * working directory meanwhile), and a file is masked only with a /dev/null
 * proven to be the null device (char 1:3, opened without following a
 * symlink); a masked path that exists and cannot be masked fails the
 * container. */
#ifndef KAPSEL_ROOTFS_H
#define KAPSEL_ROOTFS_H

#include "common/err.h"

struct oci_spec;
struct kcg_host;

struct krootfs_opts {
	int no_pivot;
	int in_userns;                  /* mknod impossible: bind host devices */
	const struct kcg_host *cg;      /* for "cgroup" mounts */
	const char *cgroup_path;
	int procfs;                     /* verified procfs handle: sysctls */
	int fd_dir;                     /* our /proc/PID/fd on it, O_PATH: device modes */
	/* A new user namespace may not reach the rootfs and the bind sources
	 * by path (an engine's 0700/0710 directories): krootfs_trees_open()
	 * clones them as detached mount trees while still privileged, and
	 * krootfs_prepare() attaches those instead. */
	int root_tree;                  /* -1: bind the rootfs by path */
	int *src_trees;                 /* per mount, -1 where the runtime made nothing */
	char root_buf[64];              /* where the tree is attached */
	/* A sysfs belongs to the network namespace of whoever mounts it, and
	 * only a holder of CAP_SYS_ADMIN over that namespace's owner may: from
	 * a user namespace that does not own the container's network namespace
	 * (one joined by path, or the runtime's) mount(2) fails with EPERM.
	 * With SYSFS set, krootfs_trees_open() makes each sysfs mount itself,
	 * in the network namespace SYSFS_NETNS (an fd; -1: the runtime's own),
	 * and krootfs_prepare() attaches it. */
	int sysfs;
	int sysfs_netns;
};

/* In the runtime (host namespaces, privileged): open the trees, of the
 * rootfs and every bind with ALL, else of the idmapped binds only.  An
 * idmapped bind's tree gets its MOUNT_ATTR_IDMAP here (a user namespace
 * built from its mappings through O->procfs), on its top mount, or with
 * "ridmap" on every mount of the tree.  With O->sysfs, each sysfs mount
 * is made here too, by a thread that joins O->sysfs_netns: read-only,
 * nosuid, nodev, noexec, detached.  One the runtime cannot make is a
 * warning, and left to the container (whose last resort is the host's
 * /sys, bound read-only: rootfs.c's host_sysfs). */
int krootfs_trees_open(const struct oci_spec *s, struct krootfs_opts *o, int all, kerr *e);
/* Does any mount of S ask for an idmapped bind? */
int krootfs_has_idmap(const struct oci_spec *s);
/* Does S have a sysfs mount the container cannot make itself: a new user
 * namespace with a network namespace joined by path or the runtime's, or a
 * user namespace joined by path with the runtime's network namespace? */
int krootfs_sysfs_by_runtime(const struct oci_spec *s);
void krootfs_trees_close(const struct oci_spec *s, struct krootfs_opts *o);

/* Before pivot: propagation, the rootfs bind, every mount, devices. */
int krootfs_prepare(const struct oci_spec *s, struct krootfs_opts *o, kerr *e);
/* pivot_root (or MS_MOVE + chroot with no_pivot) into the rootfs. */
int krootfs_pivot(const struct oci_spec *s, struct krootfs_opts *o, kerr *e);
/* After pivot: sysctl, masked paths, read-only paths, read-only root,
 * rootfsPropagation. */
int krootfs_finish(const struct oci_spec *s, const struct krootfs_opts *o, kerr *e);

#endif
