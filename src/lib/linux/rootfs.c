#include "rootfs.h"

#include "cgroup/cgroup.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "linux/devices.h"
#include "linux/lsm.h"
#include "linux/ns.h"
#include "linux/procfs.h"
#include "linux/procmount.h"
#include "oci/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

#define PROPAGATION_FLAGS (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)
/* flags a bind remount may change */
#define REMOUNT_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | \
		       MS_RELATIME | MS_STRICTATIME | MS_NOSYMFOLLOW)

/* Flags already on a mount that an unprivileged remount must keep. */
static unsigned long locked_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;
	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

static int bind_remount(const char *target, unsigned long flags, kerr *e, const char *what)
{
	unsigned long f = MS_BIND | MS_REMOUNT | (flags & REMOUNT_FLAGS);
	if (mount(NULL, target, NULL, f, NULL) == 0)
		return 0;
	if (errno == EPERM) {
		/* in a user namespace, flags of the source are locked: keep them */
		if (mount(NULL, target, NULL, f | locked_flags(target), NULL) == 0)
			return 0;
	}
	return kerr_errno(e, "remount %s with its options", what);
}

static int mount_cgroup(const struct krootfs_opts *o, const char *tpath, const struct oci_mount *m,
			int rootfd, kerr *e)
{
	const struct kcg_host *h = o->cg;
	unsigned long ro = m->flags & MS_RDONLY;
	unsigned long common = m->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC);

	if (!h)
		return kerr_msg(e, ENOTSUP, "mount %s: no cgroup host information", m->destination);
	if (h->layout == KCG_V2) {
		char src[PATH_MAX];
		snprintf(src, sizeof(src), "%s%s", h->hier[0].mount, o->cgroup_path ? o->cgroup_path : "");
		if (mount(src, tpath, NULL, MS_BIND | MS_REC, NULL) < 0)
			return kerr_errno(e, "mount cgroup2 on %s", m->destination);
		char fp[KFS_FDPATH_MAX];
		_cleanup_close_ int mfd = kfs_open_in_root(rootfd, m->destination, O_PATH, 0);
		if (mfd < 0)
			return kerr_errno(e, "reopen %s", m->destination);
		return bind_remount(kfs_fdpath(mfd, fp), m->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, e, m->destination);
	}
	/* v1 / hybrid: a tmpfs holding each hierarchy's slice of the container */
	if (mount("tmpfs", tpath, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
		return kerr_errno(e, "mount tmpfs for cgroups on %s", m->destination);
	for (int i = 0; i < h->n; i++) {
		const char *name = h->hier[i].v2 ? "unified" : h->hier[i].mount + strlen("/sys/fs/cgroup/");
		char dest[PATH_MAX], src[PATH_MAX], fp[KFS_FDPATH_MAX];
		snprintf(dest, sizeof(dest), "%s/%s", m->destination, name);
		_cleanup_close_ int fd = kfs_mkpath_in_root(rootfd, dest, 1, 0755);
		if (fd < 0)
			return kerr_errno(e, "create %s", dest);
		snprintf(src, sizeof(src), "%s%s", h->hier[i].mount, o->cgroup_path ? o->cgroup_path : "");
		if (mount(src, kfs_fdpath(fd, fp), NULL, MS_BIND | MS_REC, NULL) < 0)
			return kerr_errno(e, "bind %s on %s", src, dest);
		/* the fd still names the directory under the new mount */
		_cleanup_close_ int mfd = kfs_open_in_root(rootfd, dest, O_PATH, 0);
		if (mfd < 0)
			return kerr_errno(e, "reopen %s", dest);
		if (bind_remount(kfs_fdpath(mfd, fp), MS_NOSUID | MS_NODEV | MS_NOEXEC | ro | common, e, dest) < 0)
			return -1;
		/* "cpu,cpuacct" is reachable under both names, as on the host */
		if (strchr(name, ',')) {
			char copy[128];
			snprintf(copy, sizeof(copy), "%s", name);
			char *save = NULL;
			for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				char link[PATH_MAX];
				snprintf(link, sizeof(link), "%s/%s", m->destination, t);
				_cleanup_close_ int dfd = kfs_mkdir_in_root(rootfd, m->destination, 0755);
				if (dfd >= 0)
					(void)!symlinkat(name, dfd, t);
			}
		}
	}
	if (ro) {
		char fp[KFS_FDPATH_MAX];
		_cleanup_close_ int mfd = kfs_open_in_root(rootfd, m->destination, O_PATH, 0);
		if (mfd < 0 || mount(NULL, kfs_fdpath(mfd, fp), NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
				     "mode=755") < 0)
			return kerr_errno(e, "remount %s read-only", m->destination);
	}
	return 0;
}

/* The last resort for a sysfs the container may not mount (EPERM: its
 * user namespace does not own the network namespace) and the runtime did
 * not make (krootfs_trees_open warned why): the host's /sys, bound with
 * its submounts and made read-only all through.  Its /sys/class/net lists
 * the host's devices, not the container's: a warning says so. */
static int host_sysfs(const struct oci_mount *m, const char *tpath, int rootfd)
{
	if (mount("/sys", tpath, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -1;
	/* TPATH names the directory below the new mount: the mount itself */
	_cleanup_close_ int top = kfs_open_in_root(rootfd, m->destination, O_PATH, 0);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					       MOUNT_ATTR_NOEXEC };
	if (top < 0 || syscall(SYS_mount_setattr, top, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return -1;
	klog_warn("mount %s: no sysfs of the container's network namespace (the runtime made none, and its user "
		  "namespace may not mount one): the host's /sys is bound read-only instead, whose /sys/class/net "
		  "lists the host's network devices", m->destination);
	return 0;
}

static int do_mount(const struct oci_spec *s, const struct krootfs_opts *o, const struct oci_mount *m,
		    int tree, int rootfd, kerr *e)
{
	char fp[KFS_FDPATH_MAX], dest[PATH_MAX];
	int is_dir = 1;

	kprocmount_clean(m->destination, dest);
	if (kprocmount_check_before(m, dest, tree, rootfd, e) < 0)
		return -1;

	if (m->is_bind) {
		struct stat st;
		if ((tree >= 0 ? fstat(tree, &st) : stat(m->source, &st)) < 0)
			return kerr_errno(e, "mount %s: source %s", m->destination, m->source);
		is_dir = S_ISDIR(st.st_mode);
	}
	_cleanup_close_ int tfd = kfs_mkpath_in_root(rootfd, m->destination, is_dir, is_dir ? 0755 : 0644);
	if (tfd < 0)
		return kerr_errno(e, "mount %s: create the mount point inside the rootfs", m->destination);
	/* the mount point must be what we meant: a dir for dirs */
	struct stat tst;
	if (fstat(tfd, &tst) < 0)
		return kerr_errno(e, "stat %s", m->destination);
	if (is_dir && !S_ISDIR(tst.st_mode))
		return kerr_set(e, ENOTDIR, "mount %s: the destination in the rootfs is not a directory", m->destination);
	if (kprocmount_check_after(m, dest, rootfd, tfd, e) < 0)
		return -1;
	const char *tpath = kfs_fdpath(tfd, fp);

	if (m->is_bind) {
		if (tree >= 0) {
			if (syscall(SYS_move_mount, tree, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
				return kerr_errno(e, "bind mount %s on %s", m->source, m->destination);
		} else if (mount(m->source, tpath, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0) {
			return kerr_errno(e, "bind mount %s on %s", m->source, m->destination);
		}
		/* the new mount replaced what tfd saw: reopen to act on it */
		close(tfd);
		tfd = kfs_open_in_root(rootfd, m->destination, O_PATH, 0);
		if (tfd < 0)
			return kerr_errno(e, "reopen %s", m->destination);
		tpath = kfs_fdpath(tfd, fp);
		if ((m->flags & REMOUNT_FLAGS) && bind_remount(tpath, m->flags, e, m->destination) < 0)
			return -1;
	} else if (tree >= 0) {
		/* a sysfs the runtime made (krootfs_trees_open) */
		if (syscall(SYS_move_mount, tree, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return kerr_errno(e, "mount %s: attach the sysfs the runtime made", m->destination);
	} else if (!strcmp(m->type, "cgroup") || !strcmp(m->type, "cgroup2")) {
		if (mount_cgroup(o, tpath, m, rootfd, e) < 0)
			return -1;
	} else {
		unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT | PROPAGATION_FLAGS);
		const char *data = m->data;
		/* linux.mountLabel on the filesystems that take a context */
		char ctx[512], withctx[4096];
		struct klsm_host lsm;
		klsm_detect("", &lsm);
		if (klsm_mount_context(&lsm, s, ctx, sizeof(ctx)) &&
		    (!strcmp(m->type, "tmpfs") || !strcmp(m->type, "devpts") || !strcmp(m->type, "mqueue"))) {
			snprintf(withctx, sizeof(withctx), "%s%s%s", data ? data : "", data ? "," : "", ctx);
			data = withctx;
		}
		_cleanup_close_ int below = -1;
		if (m->tmpcopyup) {
			/* what the image has here, before the tmpfs hides it */
			below = open(tpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (below < 0)
				return kerr_errno(e, "mount %s: open the directory to copy up", m->destination);
		}
		if (mount(m->source ? m->source : m->type, tpath, m->type, flags, data) < 0) {
			int err = errno;
			if (err == EPERM && !strcmp(m->type, "sysfs") && host_sysfs(m, tpath, rootfd) == 0)
				goto mounted;
			return kerr_set(e, err, "mount %s (%s%s%s) on %s", m->source ? m->source : m->type,
					m->type, data ? ", " : "", data ? data : "", m->destination);
		}
		if (below >= 0) {
			_cleanup_close_ int top = kfs_open_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0);
			if (top < 0)
				return kerr_errno(e, "mount %s: open the new tmpfs", m->destination);
			if (kfs_copy_tree(below, top, e) < 0)
				return kerr_wrap(e, "mount %s: tmpcopyup", m->destination);
		}
	}
mounted:
	if (m->propagation) {
		_cleanup_close_ int fd = kfs_open_in_root(rootfd, m->destination, O_PATH, 0);
		if (fd < 0 || mount(NULL, kfs_fdpath(fd, fp), NULL, m->propagation, NULL) < 0)
			return kerr_errno(e, "set propagation of %s", m->destination);
	}
	if (m->attr_set || m->attr_clr) {
		_cleanup_close_ int fd = kfs_open_in_root(rootfd, m->destination, O_PATH, 0);
		struct mount_attr attr = { .attr_set = m->attr_set, .attr_clr = m->attr_clr };
		if (fd < 0 || syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
			return kerr_errno(e, "set recursive mount attributes of %s", m->destination);
	}
	(void)s;
	return 0;
}

static const char *root_of(const struct oci_spec *s, const struct krootfs_opts *o)
{
	return o && o->root_tree >= 0 && o->root_buf[0] ? o->root_buf : s->root_path;
}

/* Make the detached tree T of mount I idmapped: its own mappings, or the
 * container's user namespace ones. */
static int idmap_tree(const struct oci_spec *s, const struct krootfs_opts *o, size_t i, int t, kerr *e)
{
	const struct oci_mount *m = &s->mounts[i];
	char what[64];
	snprintf(what, sizeof(what), "config.json: mounts[%zu]", i);
	int own = m->n_uid_mappings > 0;
	_cleanup_close_ int userns =
		kns_userns_fd(o->procfs, own ? m->uid_mappings : s->uid_mappings, own ? m->n_uid_mappings : s->n_uid_mappings,
			      own ? m->gid_mappings : s->gid_mappings, own ? m->n_gid_mappings : s->n_gid_mappings, what, e);
	if (userns < 0)
		return -1;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
	unsigned int fl = AT_EMPTY_PATH | (m->idmap == 2 ? AT_RECURSIVE : 0);
	if (syscall(SYS_mount_setattr, t, "", fl, &attr, sizeof(attr)) < 0) {
		int err = errno;
		if (err == EINVAL)
			return kerr_msg(e, EINVAL,
					"%s: idmap %s: the filesystem there (or, with ridmap, one below it) does not "
					"support idmapped mounts, or is idmapped already",
					what, m->source);
		return kerr_set(e, err, "%s: idmap %s", what, m->source);
	}
	return 0;
}

static int is_sysfs(const struct oci_mount *m)
{
	return !m->is_bind && !strcmp(m->type, "sysfs");
}

int krootfs_sysfs_by_runtime(const struct oci_spec *s)
{
	int ns = s->ns_new_flags | s->ns_join_flags;
	if (!(ns & CLONE_NEWUSER) || !(ns & CLONE_NEWNS) || (s->ns_new_flags & CLONE_NEWNET))
		return 0;
	/* a user namespace joined by path is joined first: a network
	 * namespace it can join then is one it may mount a sysfs of */
	if ((s->ns_join_flags & CLONE_NEWUSER) && (s->ns_join_flags & CLONE_NEWNET))
		return 0;
	for (size_t i = 0; i < s->n_mounts; i++)
		if (is_sysfs(&s->mounts[i]))
			return 1;
	return 0;
}

/* The spec's filesystem options (sysfs takes none today): what mount(2)
 * would be given, one fsconfig() each, so that the same ones fail. */
static int sysfs_options(int fs, const char *data, kerr *e)
{
	_cleanup_free_ char *copy = strdup(data);
	if (!copy)
		return kerr_set(e, ENOMEM, "sysfs options");
	char *save = NULL;
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');
		if (eq)
			*eq = '\0';
		if (fsconfig(fs, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o, eq ? eq + 1 : NULL, 0) < 0)
			return kerr_errno(e, "sysfs option \"%s\"", o);
	}
	return 0;
}

/* A sysfs of the calling thread's network namespace, detached: read-only
 * whatever M says (the container does not own that namespace: as the
 * host's /sys it replaces), nosuid, nodev, noexec, M's atime flags. */
static int sysfs_tree(const struct oci_mount *m, kerr *e)
{
	unsigned int attr = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	if (m->flags & MS_NOATIME)
		attr |= MOUNT_ATTR_NOATIME;
	else if (m->flags & MS_STRICTATIME)
		attr |= MOUNT_ATTR_STRICTATIME;
	if (m->flags & MS_NODIRATIME)
		attr |= MOUNT_ATTR_NODIRATIME;
	if (m->flags & MS_NOSYMFOLLOW)
		attr |= MOUNT_ATTR_NOSYMFOLLOW;

	_cleanup_close_ int fs = fsopen("sysfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return kerr_errno(e, "fsopen sysfs");
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", m->source ? m->source : "sysfs", 0) < 0)
		return kerr_errno(e, "sysfs source \"%s\"", m->source ? m->source : "sysfs");
	if (m->data && sysfs_options(fs, m->data, e) < 0)
		return -1;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return kerr_errno(e, "create a sysfs");
	int t = fsmount(fs, FSMOUNT_CLOEXEC, attr);
	if (t < 0)
		return kerr_errno(e, "fsmount sysfs");
	return t;
}

struct sysfs_job {
	const struct oci_spec *s;
	struct krootfs_opts *o;
	size_t at;           /* the mount being made */
	int rc;
	kerr e;
};

/* A thread of its own: a sysfs takes the network namespace of the task
 * that makes it (the kernel checks CAP_SYS_ADMIN over that namespace's
 * owner, which the runtime's root has), and the thread's setns() goes
 * with it, leaving the runtime where it was. */
static void *sysfs_thread(void *arg)
{
	struct sysfs_job *j = arg;
	if (j->o->sysfs_netns >= 0 && setns(j->o->sysfs_netns, CLONE_NEWNET) < 0) {
		j->rc = kerr_errno(&j->e, "join the container's network namespace");
		return NULL;
	}
	for (; j->at < j->s->n_mounts; j->at++) {
		if (!is_sysfs(&j->s->mounts[j->at]))
			continue;
		int t = sysfs_tree(&j->s->mounts[j->at], &j->e);
		if (t < 0) {
			j->rc = -1;
			return NULL;
		}
		j->o->src_trees[j->at] = t;
	}
	return NULL;
}

static void sysfs_trees(const struct oci_spec *s, struct krootfs_opts *o)
{
	struct sysfs_job j = { .s = s, .o = o };
	while (j.at < s->n_mounts && !is_sysfs(&s->mounts[j.at]))
		j.at++;
	pthread_t t;
	int err = pthread_create(&t, NULL, sysfs_thread, &j);
	if (err)
		j.rc = kerr_set(&j.e, err, "start a thread");
	else
		pthread_join(t, NULL);
	if (j.rc < 0)
		klog_warn("config.json: mounts[%zu]: the runtime cannot make a sysfs of the container's network "
			  "namespace (%s): the container mounts it itself, or binds the host's /sys read-only", j.at,
			  j.e.msg);
}

int krootfs_trees_open(const struct oci_spec *s, struct krootfs_opts *o, int all, kerr *e)
{
	o->root_tree = -1;
	o->src_trees = calloc(s->n_mounts ? s->n_mounts : 1, sizeof(int));
	if (!o->src_trees)
		return kerr_set(e, ENOMEM, "mount trees");
	for (size_t i = 0; i < s->n_mounts; i++)
		o->src_trees[i] = -1;
	if (all) {
		o->root_tree = syscall(SYS_open_tree, AT_FDCWD, s->root_path,
				       OPEN_TREE_CLONE | AT_RECURSIVE | OPEN_TREE_CLOEXEC);
		if (o->root_tree < 0)
			return kerr_errno(e, "clone the rootfs %s", s->root_path);
	}
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct oci_mount *m = &s->mounts[i];
		if (!m->is_bind || (!all && !m->idmap))
			continue;
		unsigned int fl = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((m->flags & MS_REC) ? AT_RECURSIVE : 0);
		o->src_trees[i] = syscall(SYS_open_tree, AT_FDCWD, m->source, fl);
		if (o->src_trees[i] < 0)
			return kerr_errno(e, "mount %s: source %s", m->destination, m->source);
		if (m->idmap && idmap_tree(s, o, i, o->src_trees[i], e) < 0)
			return -1;
	}
	if (o->sysfs)
		sysfs_trees(s, o);
	return 0;
}

int krootfs_has_idmap(const struct oci_spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].idmap)
			return 1;
	return 0;
}

void krootfs_trees_close(const struct oci_spec *s, struct krootfs_opts *o)
{
	if (o->root_tree >= 0)
		close(o->root_tree);
	o->root_tree = -1;
	for (size_t i = 0; o->src_trees && i < s->n_mounts; i++)
		if (o->src_trees[i] >= 0)
			close(o->src_trees[i]);
	free(o->src_trees);
	o->src_trees = NULL;
}

/* The root filesystem itself is nosuid (setuid binaries in an image do
 * not elevate), and nodev when /dev is a mount of its own, unless the
 * annotation io.kapsel.rootfs.suid=true asks for setuid. */
static unsigned long rootfs_flags(const struct oci_spec *s)
{
	const char *suid = oci_spec_annotation(s, "io.kapsel.rootfs.suid");
	unsigned long f = suid && !strcmp(suid, "true") ? 0 : MS_NOSUID;
	for (size_t i = 0; i < s->n_mounts; i++)
		if (!strcmp(s->mounts[i].destination, "/dev"))
			f |= MS_NODEV;
	return f;
}

int krootfs_prepare(const struct oci_spec *s, struct krootfs_opts *o, kerr *e)
{
	/* Nothing we do may reach the host: the whole tree becomes a slave
	 * (or private) of the host's before the first mount. */
	unsigned long prop = MS_SLAVE | MS_REC;
	if (s->rootfs_propagation & MS_PRIVATE)
		prop = MS_PRIVATE | MS_REC;
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return kerr_errno(e, "make / %s", prop & MS_PRIVATE ? "rprivate" : "rslave");
	if (o->root_tree >= 0) {
		/* a place of our own for the cloned tree: a small tmpfs over
		 * /tmp in this (private) mount namespace */
		snprintf(o->root_buf, sizeof(o->root_buf), "/tmp/kapsel-rootfs");
		if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16k,mode=755") < 0 ||
		    mkdir(o->root_buf, 0755) < 0)
			return kerr_errno(e, "make a place for the rootfs");
		if (syscall(SYS_move_mount, o->root_tree, "", AT_FDCWD, o->root_buf, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return kerr_errno(e, "attach the rootfs %s", s->root_path);
		/* a clone may carry the host's shared propagation: pivot_root
		 * refuses that, and nothing of ours may propagate back */
		if (mount(NULL, o->root_buf, NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			return kerr_errno(e, "make the rootfs private");
	} else if (mount(s->root_path, s->root_path, NULL, MS_BIND | MS_REC, NULL) < 0) {
		return kerr_errno(e, "bind the rootfs %s onto itself", s->root_path);
	}
	const char *root = root_of(s, o);
	if (rootfs_flags(s) && bind_remount(root, rootfs_flags(s), e, "the root filesystem") < 0)
		return -1;

	_cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return kerr_errno(e, "open the rootfs %s", s->root_path);

	int dev_is_mounted = 0;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct oci_mount *m = &s->mounts[i];
		if (do_mount(s, o, m, o->src_trees ? o->src_trees[i] : -1, rootfd, e) < 0)
			return -1;
		if (!strcmp(m->destination, "/dev") || !strcmp(m->destination, "/dev/"))
			dev_is_mounted = 1;
	}
	if (kdev_setup(rootfd, o->fd_dir, s, o->in_userns, dev_is_mounted, e) < 0)
		return -1;
	return kprocmount_verify(s, rootfd, "proc", e);
}

int krootfs_pivot(const struct oci_spec *s, struct krootfs_opts *o, kerr *e)
{
	const char *root = root_of(s, o);
	if (chdir(root) < 0)
		return kerr_errno(e, "chdir to the rootfs %s", s->root_path);
	if (o->no_pivot) {
		if (mount(root, "/", NULL, MS_MOVE, NULL) < 0)
			return kerr_errno(e, "move the rootfs to /");
		if (chroot(".") < 0)
			return kerr_errno(e, "chroot into the rootfs");
	} else {
		/* pivot_root(".", "."): the old root ends up on top of the new
		 * one, and is detached right away; no directory is needed. */
		_cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		_cleanup_close_ int newroot = open(".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		if (oldroot < 0 || newroot < 0)
			return kerr_errno(e, "open the old and new root");
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return kerr_errno(e, "pivot_root into %s", s->root_path);
		if (fchdir(oldroot) < 0)
			return kerr_errno(e, "fchdir to the old root");
		/* the old root must not propagate its unmount to the host */
		if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
			return kerr_errno(e, "make the old root a slave");
		if (umount2(".", MNT_DETACH) < 0)
			return kerr_errno(e, "detach the old root");
		if (fchdir(newroot) < 0)
			return kerr_errno(e, "fchdir to the new root");
	}
	if (chdir("/") < 0)
		return kerr_errno(e, "chdir /");
	return 0;
}

static int write_sysctls(const struct oci_spec *s, int procfs, kerr *e)
{
	for (size_t i = 0; i < s->n_sysctl; i++) {
		char path[PATH_MAX] = "sys/";
		const char *k = s->sysctl[i].key;
		if (strstr(k, "..") || k[0] == '/' || k[0] == '.')
			return kerr_msg(e, EINVAL, "config.json: linux.sysctl: invalid key \"%s\"", k);
		size_t off = strlen(path);
		for (const char *p = k; *p && off < sizeof(path) - 1; p++)
			path[off++] = *p == '.' ? '/' : *p;
		path[off] = '\0';
		/* the runtime's own procfs, in the container's namespaces: a
		 * symlink or mount the image or a volume put in the way is refused */
		if (kprocfs_write(procfs, path, s->sysctl[i].value, e) < 0)
			return kerr_wrap(e, "config.json: linux.sysctl: %s", k);
	}
	return 0;
}

/* The container's /dev/null, proven to be the null device. */
static int open_null(kerr *e)
{
	struct stat st;
	_cleanup_close_ int dev = open("/dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int fd = dev < 0 ? -1 : openat(dev, "null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return kerr_msg(e, fd < 0 ? errno : ENODEV, "/dev/null in the container is not the null device (char "
				"1:3, reached without a symlink), so nothing can be masked with it: refused");
	return steal_fd(fd);
}

/* After pivot_root, a mount source or target is named by its fd number
 * relative to the working directory, which is then the runtime's own
 * /proc/PID/fd on the verified procfs (krootfs_finish): never a path
 * through the container's /proc. */
static const char *fdname(int fd, char buf[16])
{
	snprintf(buf, 16, "%d", fd);
	return buf;
}

/* A directory gets an empty read-only tmpfs, anything else a bind of
 * *NULLFD (opened on first use). */
static int mask_path(int rootfd, const char *path, int *nullfd, kerr *e)
{
	char t[16], n[16];
	_cleanup_close_ int fd = kfs_open_in_root(rootfd, path, O_PATH, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return kerr_errno(e, "mask %s", path);
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return kerr_errno(e, "mask %s", path);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", fdname(fd, t), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k") < 0)
			return kerr_errno(e, "mask %s", path);
		return 0;
	}
	if (*nullfd < 0 && (*nullfd = open_null(e)) < 0)
		return kerr_wrap(e, "mask %s", path);
	if (mount(fdname(*nullfd, n), fdname(fd, t), NULL, MS_BIND, NULL) < 0)
		return kerr_errno(e, "mask %s", path);
	return 0;
}

static int readonly_path(int rootfd, const char *path, kerr *e)
{
	char t[16];
	_cleanup_close_ int fd = kfs_open_in_root(rootfd, path, O_PATH, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return kerr_errno(e, "make %s read-only", path);
	}
	if (mount(fdname(fd, t), t, NULL, MS_BIND | MS_REC, NULL) < 0)
		return kerr_errno(e, "make %s read-only: bind", path);
	/* the bind is on top now: reopen to act on it, and make sure it is the
	 * same file (a path swapped in between through a shared volume would
	 * leave the bind writable): fail closed */
	_cleanup_close_ int nfd = kfs_open_in_root(rootfd, path, O_PATH, 0);
	struct stat a, b;
	if (nfd < 0)
		return kerr_errno(e, "make %s read-only", path);
	if (fstat(fd, &a) < 0 || fstat(nfd, &b) < 0)
		return kerr_errno(e, "make %s read-only: stat", path);
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return kerr_msg(e, EXDEV, "make %s read-only: the path changed while it was being bound", path);
	return bind_remount(fdname(nfd, t), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, e, path);
}

static int mask_and_protect(const struct oci_spec *s, int rootfd, kerr *e)
{
	_cleanup_close_ int nullfd = -1;
	for (size_t i = 0; i < s->n_masked_paths; i++)
		if (mask_path(rootfd, s->masked_paths[i], &nullfd, e) < 0)
			return -1;
	for (size_t i = 0; i < s->n_readonly_paths; i++)
		if (readonly_path(rootfd, s->readonly_paths[i], e) < 0)
			return -1;
	return 0;
}

int krootfs_finish(const struct oci_spec *s, const struct krootfs_opts *o, kerr *e)
{
	if (write_sysctls(s, o->procfs, e) < 0)
		return -1;
	if (s->n_masked_paths || s->n_readonly_paths) {
		if (s->n_masked_paths && kprocmount_verify(s, AT_FDCWD, "/proc", e) < 0)
			return -1;
		_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0 || fchdir(o->fd_dir) < 0)
			return kerr_errno(e, "enter the runtime's /proc/self/fd");
		int r = mask_and_protect(s, root, e);
		if (fchdir(root) < 0 && r == 0)
			return kerr_errno(e, "chdir /");
		if (r < 0)
			return -1;
	}
	if (s->root_readonly && bind_remount("/", MS_RDONLY | rootfs_flags(s), e, "the root filesystem") < 0)
		return -1;
	if (s->rootfs_propagation && mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
		return kerr_errno(e, "set rootfs propagation");
	return 0;
}
