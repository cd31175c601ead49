/* create: from a bundle to a process that waits for `start`.
 *
 * The parent (this command) validates everything it can, makes the state
 * directory and the exec fifo, and clones the init with the new namespaces.
 * The child joins its cgroup (the parent moves it), builds the rootfs,
 * pivots, sets up its identity and blocks on the exec fifo; every failure is
 * sent back to the parent with its message.  Joining namespaces by path, a
 * time namespace or a user namespace together with joined ones takes the
 * slow path: an intermediate child joins and unshares, then forks the init.
 */
#include "container.h"

#include "cgroup/cgroup.h"
#include "cgroup/resources.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/time.h"
#include "container/launch.h"
#include "container/sync.h"
#include "linux/caps.h"
#include "linux/exe.h"
#include "linux/hooks.h"
#include "linux/lsm.h"
#include "linux/ns.h"
#include "linux/process.h"
#include "linux/procfs.h"
#include "linux/rlimits.h"
#include "linux/rootfs.h"
#include "linux/kseccomp.h"
#include "linux/terminal.h"
#include "oci/spec.h"
#include "policy/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

struct child_ctx {
	const struct oci_spec *s;
	struct kcreate_opts *o;
	const struct kcg_host *cg;
	const char *cg_path;
	const char *fifo_path;
	int fifo_fd;         /* O_PATH, opened by the parent */
	struct kseccomp *seccomp;
	int sync;            /* child's end */
	int console;         /* console socket or -1 */
	int slow;            /* namespaces joined: intermediate process */
	struct kcg_join *join;
	int born_in_v2;      /* clone3 put us in the cgroup2 cgroup already */
	const struct klsm_host *lsm;
	struct krootfs_opts *trees; /* mount trees cloned by the parent */
	int procfs;          /* verified procfs handle, opened by the parent */
	int netns;           /* the network namespace to join, opened by the parent, or -1 */
};

extern char **environ;

static int child_setup(struct child_ctx *c, kerr *e)
{
	const struct oci_spec *s = c->s;
	const struct oci_process *p = &s->process;
	struct ksync_msg m;
	int in_userns = (s->ns_new_flags | s->ns_join_flags) & CLONE_NEWUSER;

	if (ksync_expect(c->sync, KSYNC_GO, &m, e) < 0)
		return -1;
	/* into the container's cgroup before anything else (see cgroup.h), and
	 * the cgroup namespace rooted there */
	if (kcg_join_self(c->join, c->born_in_v2, e) < 0)
		return -1;
	kcg_join_close(c->join);
	if ((s->ns_new_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
		return kerr_errno(e, "create the cgroup namespace");
	if ((s->ns_new_flags & CLONE_NEWUSER) && !c->slow) {
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			return kerr_errno(e, "become root in the new user namespace");
	}
	/* a new network namespace: loopback up, as every engine does */
	if ((s->ns_new_flags & CLONE_NEWNET) && kns_loopback_up(e) < 0)
		return -1;
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return kerr_errno(e, "config.json: hostname: set \"%s\"", s->hostname);
	if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return kerr_errno(e, "config.json: domainname: set \"%s\"", s->domainname);
	if (!c->o->no_new_keyring && klsm_apply_keycreate(c->lsm, p, c->procfs, e) < 0)
		return -1;
	if (!c->o->no_new_keyring && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, c->o->id) < 0 &&
	    errno != ENOSYS && errno != EACCES && errno != EPERM)
		return kerr_errno(e, "create a session keyring");
	if (s->personality_domain &&
	    personality(!strcmp(s->personality_domain, "LINUX32") ? PER_LINUX32 : PER_LINUX) < 0)
		return kerr_errno(e, "config.json: linux.personality");

	/* Handles we still need after pivot_root: the fifo (opened by the
	 * parent: in a user namespace the state directory is out of reach),
	 * and the host's /proc/self/fd to reopen it for writing.  Both close
	 * on exec. */
	int fifo = c->fifo_fd;
	_cleanup_close_ int procfd = kprocfs_openat(c->procfs, "self/fd", O_PATH | O_DIRECTORY, e);
	if (procfd < 0)
		return -1;

	struct krootfs_opts ro = {
		.no_pivot = c->o->no_pivot,
		.in_userns = in_userns,
		.cg = c->cg,
		.cgroup_path = c->cg_path,
		.root_tree = c->trees->root_tree,
		.src_trees = c->trees->src_trees,
		.procfs = c->procfs,
		.fd_dir = procfd,
	};
	/* a new mount namespace, or one joined by path (the init joined it
	 * already): the root is built inside it, as in a new one */
	int own_mnt = (s->ns_new_flags | s->ns_join_flags) & CLONE_NEWNS;
	if (own_mnt && krootfs_prepare(s, &ro, e) < 0)
		return -1;
	if (s->n_hooks[OCI_HOOK_PRESTART] || s->n_hooks[OCI_HOOK_CREATE_RUNTIME]) {
		if (ksync_send(c->sync, KSYNC_HOOKS, 0, e) < 0 || ksync_expect(c->sync, KSYNC_HOOKS_DONE, &m, e) < 0)
			return -1;
	}
	if (s->n_hooks[OCI_HOOK_CREATE_CONTAINER]) {
		struct kstate st = { .id = (char *)c->o->id, .pid = getpid(), .bundle = s->bundle,
				     .rootfs = s->root_path };
		_cleanup_free_ char *json = kstate_oci_json(&st, KSTATUS_CREATING, 0);
		if (khooks_run(s, OCI_HOOK_CREATE_CONTAINER, json ? json : "{}", e) < 0)
			return -1;
	}
	if (own_mnt) {
		if (krootfs_pivot(s, &ro, e) < 0 || krootfs_finish(s, &ro, e) < 0)
			return -1;
	} else if (chroot(s->root_path) < 0 || chdir("/") < 0) {
		/* the runtime's mount namespace (check_shared_mnt() made sure
		 * nothing is to be mounted in it): only the root changes */
		return kerr_errno(e, "config.json: root.path: chroot to %s", s->root_path);
	}

	struct klaunch l = {
		.p = p, .seccomp = c->seccomp, .console = c->console,
		.preserve_fds = c->o->preserve_fds, .new_session = 1, .lsm = c->lsm, .procfs = c->procfs,
	};
	c->console = -1;
	if (klaunch_prepare(&l, e) < 0)
		return -1;

	prctl(PR_SET_PDEATHSIG, 0);
	if (ksync_send(c->sync, KSYNC_READY, getpid(), e) < 0)
		return -1;
	close(c->sync);
	c->sync = -1;

	/* Wait for `start`: the open blocks until it opens the fifo. */
	char name[16];
	snprintf(name, sizeof(name), "%d", fifo);
	int w;
	do
		w = openat(procfd, name, O_WRONLY | O_CLOEXEC);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return kerr_errno(e, "open the exec fifo");
	if (write(w, "0", 1) != 1)
		return kerr_errno(e, "write the exec fifo");
	close(w);

	if (s->n_hooks[OCI_HOOK_START_CONTAINER]) {
		struct kstate st = { .id = (char *)c->o->id, .pid = getpid(), .bundle = s->bundle,
				     .rootfs = s->root_path, .started = 1 };
		_cleanup_free_ char *json = kstate_oci_json(&st, KSTATUS_RUNNING, 0);
		if (khooks_run(s, OCI_HOOK_START_CONTAINER, json ? json : "{}", e) < 0)
			return -1;
	}
	return klaunch_exec(&l, e);

}

/* Runs in the init.  Never returns. */
static void __attribute__((noreturn)) child_main(struct child_ctx *c)
{
	kerr e = { 0 };
	if (child_setup(c, &e) < 0) {
		if (c->sync >= 0 && ksync_send_error(c->sync, &e) == 0)
			_exit(1);
		/* after READY, nobody listens: stderr and the log */
		klog_error("%s", e.msg);
		if (klog_fd() != 2)
			dprintf(2, "%s: %s\n", klog_ident(), e.msg);
		/* execve itself failed: 127 not found, 126 cannot execute */
		_exit(!strncmp(e.msg, "exec ", 5) ? kproc_execve_status(e.errnum) : 127);
	}
	_exit(127);
}

/* Open namespace NS of the config to join it.  The network namespace the
 * parent made the sysfs in (krootfs_sysfs_by_runtime) is the fd it opened,
 * not its path again: the one the sysfs shows.  The caller owns the fd. */
static int open_ns(const struct child_ctx *c, const struct oci_ns *ns, kerr *e)
{
	if (ns->type == CLONE_NEWNET && c->netns >= 0)
		return c->netns;
	return kns_open(ns, e);
}

/* Slow path: join namespaces by path, unshare the new ones, then fork the
 * init so that it lands in the pid (and time) namespace. */
static void __attribute__((noreturn)) intermediate_main(struct child_ctx *c)
{
	const struct oci_spec *s = c->s;
	kerr e = { 0 };
	int fds[16], types[16], n = 0;
	struct ksync_msg m;

	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (size_t i = 0; i < s->n_namespaces && n < 16; i++) {
		if (!s->namespaces[i].path)
			continue;
		int fd = open_ns(c, &s->namespaces[i], &e);
		if (fd < 0)
			goto fail;
		/* the user namespace first: the others may belong to it */
		if (s->namespaces[i].type == CLONE_NEWUSER && n > 0) {
			fds[n] = fds[0];
			types[n] = types[0];
			fds[0] = fd;
			types[0] = CLONE_NEWUSER;
		} else {
			fds[n] = fd;
			types[n] = s->namespaces[i].type;
		}
		n++;
	}
	/* the mount namespace last: joining it changes our root */
	for (int i = 0; i < n; i++) {
		if (types[i] == CLONE_NEWNS && i != n - 1) {
			int tf = fds[i], tt = types[i];
			fds[i] = fds[n - 1];
			types[i] = types[n - 1];
			fds[n - 1] = tf;
			types[n - 1] = tt;
		}
	}
	for (int i = 0; i < n; i++)
		if (kns_join_fd(fds[i], types[i], &e) < 0)
			goto fail;
	if (s->ns_new_flags & CLONE_NEWUSER) {
		if (unshare(CLONE_NEWUSER) < 0) {
			kerr_errno(&e, "create the user namespace");
			goto fail;
		}
		if (ksync_send(c->sync, KSYNC_USERNS, getpid(), &e) < 0 ||
		    ksync_expect(c->sync, KSYNC_MAPS_DONE, &m, &e) < 0)
			goto fail;
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
			kerr_errno(&e, "become root in the new user namespace");
			goto fail;
		}
	}
	int flags = s->ns_new_flags & ~(CLONE_NEWUSER | CLONE_NEWCGROUP);
	if (flags && unshare(flags) < 0) {
		kerr_errno(&e, "create namespaces");
		goto fail;
	}
	if ((flags & CLONE_NEWTIME) && kns_write_time_offsets(c->procfs, s, &e) < 0)
		goto fail;
	pid_t pid = fork();
	if (pid < 0) {
		kerr_errno(&e, "fork the container init");
		goto fail;
	}
	if (pid == 0) {
		prctl(PR_SET_DUMPABLE, 0);
		child_main(c);
	}
	if (ksync_send(c->sync, KSYNC_PID, pid, &e) < 0)
		_exit(1);
	_exit(0);
fail:
	ksync_send_error(c->sync, &e);
	_exit(1);
}

static void iso8601_now(char *buf, size_t n)
{
	if (ktime_now(buf, n, KTIME_NANO) < 0)
		buf[0] = '\0';
}

static char **annotations_vector(const struct oci_spec *s)
{
	char **v = calloc(2 * s->n_annotations + 1, sizeof(char *));
	if (!v)
		return NULL;
	for (size_t i = 0; i < s->n_annotations; i++) {
		v[2 * i] = s->annotations[i].key;
		v[2 * i + 1] = s->annotations[i].value;
	}
	return v;
}


/* No mount namespace listed: the container inherits the runtime's, as the
 * spec says of every namespace type not listed, with its root changed to
 * root.path.  Whatever the config would mount there would be mounted in
 * the runtime's (the host's) mount table, where nothing undoes it at
 * delete (runc and crun leave such mounts behind): refused, by field. */
static int check_shared_mnt(const struct oci_spec *s, kerr *e)
{
	static const char why[] = "with no mount namespace it would change the runtime's mount table; "
				  "add {\"type\": \"mount\"} to linux.namespaces";
	const char *field = s->n_mounts ? "mounts" : s->n_masked_paths ? "linux.maskedPaths"
			  : s->n_readonly_paths ? "linux.readonlyPaths" : s->root_readonly ? "root.readonly"
			  : s->rootfs_propagation ? "linux.rootfsPropagation" : s->n_devices ? "linux.devices"
			  : s->n_sysctl ? "linux.sysctl" : s->mount_label ? "linux.mountLabel" : NULL;
	if (field)
		return kerr_msg(e, EINVAL, "config.json: %s: %s", field, why);
	return 0;
}

/* The hardening policy, before anything of the container exists. */
static int apply_policy(struct kcreate_opts *o, struct oci_spec **s, kerr *e)
{
	struct kpolicy pol;
	struct kpol_decision d;
	int rc = -1;

	struct klsm_host lsm;
	if (kpolicy_load(o->ctx->policy, &pol, e) < 0)
		return -1;
	klsm_detect("", &lsm);
	pol.apparmor_default = klsm_default_apparmor(&lsm);
	/* read only when B17 has a negative score to judge: no open on every create */
	if ((*s)->process.has_oom_score_adj && (*s)->process.oom_score_adj < 0)
		pol.oom_score_adj_floor = kproc_own_oom_score_adj();
	if (kpolicy_enforce(&pol, o->id, (*s)->bundle, (*s)->root, &d, e) < 0)
		goto out;
	for (size_t i = 0; i < d.n_findings; i++)
		if (!d.exempt && d.findings[i].rule->level <= pol.warn &&
		    (d.findings[i].rule->level > d.level || d.level == KPOL_PRIVILEGED))
			klog_warn("policy (warn %s): [%s %s] %s: %s", kpol_level_name(pol.warn), d.findings[i].rule->id,
				  d.findings[i].rule->slug, d.findings[i].rule->title, d.findings[i].evidence);
	/* fixes the client did not ask for are warnings; harden was asked for */
	for (size_t i = 0; i < d.n_changes; i++)
		klog(pol.action == KPOL_FIX ? KLOG_WARN : KLOG_INFO, "policy %s: %s%s%s", kpol_action_name(pol.action),
		     d.changes[i], pol.action == KPOL_FIX ? "; " : "", pol.action == KPOL_FIX ? d.exempt_hint : "");
	if (d.modified && oci_spec_reparse(s, e) < 0)
		goto out;
	rc = 0;
out:
	kpolicy_free(&pol);
	return rc;
}

/* Everything one create holds, released by create_done(): the steps
 * below fill it in order, and a failed step leaves it for create_done to
 * undo (kill the processes, remove the cgroup and the state directory). */
struct create_job {
	struct kcreate_opts *o;
	struct oci_spec *s;
	char dir[PATH_MAX], fifo[PATH_MAX + 16], cgpath[PATH_MAX], created[64];
	struct kcg_host cg;
	struct kseccomp *sc;
	int sv[2], console, console_pair[2], fifo_fd, procfs, netns;
	pid_t pid, mid;
	int made_dir, made_cg;
	struct kcg_join join;
	struct klsm_host lsm;
	struct krootfs_opts trees;
	struct child_ctx c;
};

static void create_job_init(struct create_job *j, struct kcreate_opts *o)
{
	memset(j, 0, sizeof(*j));
	j->o = o;
	j->sv[0] = j->sv[1] = j->console = j->console_pair[0] = j->console_pair[1] = -1;
	j->fifo_fd = j->procfs = j->netns = -1;
	j->pid = j->mid = -1;
	j->join = (struct kcg_join){ .n = 0, .v2_dir = -1, .v2_procs = -1 };
	j->trees.root_tree = j->trees.sysfs_netns = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Undo what a failed create made (FAILED), and release what any create holds. */
static void create_done(struct create_job *j, int failed)
{
	if (failed) {
		if (j->mid > 0) {
			kill(j->mid, SIGKILL);
			waitpid(j->mid, NULL, 0);
		}
		if (j->pid > 0) {
			kill(j->pid, SIGKILL);
			waitpid(j->pid, NULL, 0);
		}
		if (j->made_cg) {
			kerr ig;
			kcg_destroy(&j->cg, j->cgpath, &ig);
		}
		if (j->made_dir) {
			kerr ig;
			kstate_remove(j->o->ctx->state_root, j->o->id, &ig);
		}
	}
	close_fd(&j->sv[0]);
	close_fd(&j->sv[1]);
	close_fd(&j->console);
	close_fd(&j->console_pair[0]);
	close_fd(&j->fifo_fd);
	close_fd(&j->procfs);
	close_fd(&j->netns);
	kcg_join_close(&j->join);
	if (j->s)
		krootfs_trees_close(j->s, &j->trees);
	kseccomp_free(j->sc);
	oci_spec_free(j->s);
}

/* Step 1, nothing made yet: the config read, the policy applied, every check
 * that can fail before anything exists. */
static int create_check(struct create_job *j, kerr *e)
{
	struct kcreate_opts *o = j->o;

	if (kproc_check_preserved_fds(o->preserve_fds, e) < 0)
		return -1;
	/* before any bundle is read or namespace joined: every write under
	 * /proc goes through this */
	j->procfs = kprocfs_open(e);
	if (j->procfs < 0 || oci_spec_load(o->bundle, &j->s, e) < 0 || apply_policy(o, &j->s, e) < 0)
		return -1;
	struct oci_spec *s = j->s;
	if (!s->has_process)
		return kerr_msg(e, EINVAL, "config.json: process: missing (nothing to run)");
	if (!((s->ns_new_flags | s->ns_join_flags) & CLONE_NEWNS) && check_shared_mnt(s, e) < 0)
		return -1;
	/* A container that may ptrace us from the host's user namespace could
	 * reach our binary through /proc/PID/exe: run from a sealed copy. */
	const uint64_t ptrace_bit = 1ULL << 19; /* CAP_SYS_PTRACE */
	int caps_ptrace = (s->process.caps[CAPS_BOUNDING] | s->process.caps[CAPS_PERMITTED] |
			   s->process.caps[CAPS_EFFECTIVE] | s->process.caps[CAPS_AMBIENT]) & ptrace_bit;
	if (caps_ptrace && !((s->ns_new_flags | s->ns_join_flags) & CLONE_NEWUSER) && o->ctx->self_argv &&
	    !kexe_is_sealed()) {
		klog_debug("container holds CAP_SYS_PTRACE: re-executing from a sealed copy");
		return kexe_reexec_sealed(o->ctx->self_argv, e); /* returns only on error */
	}
	klsm_detect("", &j->lsm);
	if (klsm_check_spec(&j->lsm, s, e) < 0 || klsm_prepare_process(&j->lsm, &s->process, "config.json: process", e) < 0)
		return -1;
	if (s->seccomp && kseccomp_compile(s->seccomp, o->ctx->seccomp_cache, &j->sc, e) < 0)
		return -1;
	if (s->process.terminal) {
		if (o->console_socket) {
			j->console = kterm_connect(o->console_socket, e);
			if (j->console < 0)
				return -1;
		} else if (o->keep_parent) {
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, j->console_pair) < 0)
				return kerr_errno(e, "socketpair");
			j->console = j->console_pair[1];
			j->console_pair[1] = -1;
		} else {
			return kerr_msg(e, EINVAL, "config.json: process.terminal is true: --console-socket is required");
		}
	}
	return kcg_host_detect(&j->cg, e) < 0 ||
			       kcg_resolve_path(s->cgroups_path, o->id, j->cgpath, sizeof(j->cgpath), e) < 0
		       ? -1
		       : 0;
}

/* Step 2: the state directory with the config and the exec fifo, the
 * cgroup, the mount trees a new user namespace needs. */
static int create_prepare(struct create_job *j, kerr *e)
{
	struct kcreate_opts *o = j->o;
	struct oci_spec *s = j->s;

	if (kfs_mkdir_p(o->ctx->state_root, 0700, e) < 0)
		return kerr_wrap(e, "create the state root");
	if (kstate_dir(o->ctx->state_root, o->id, j->dir, sizeof(j->dir), e) < 0)
		return -1;
	if (mkdir(j->dir, 0700) < 0) {
		if (errno == EEXIST)
			return kerr_msg(e, EEXIST, "container \"%s\" already exists", o->id);
		return kerr_errno(e, "create %s", j->dir);
	}
	j->made_dir = 1;
	/* the config as created: exec and update read it, not the bundle's,
	 * which may have changed since */
	snprintf(j->fifo, sizeof(j->fifo), "%s/config.json", j->dir);
	if (kfs_write_file(j->fifo, s->raw, s->raw_len, 0600, 0, e) < 0)
		return -1;
	snprintf(j->fifo, sizeof(j->fifo), "%s/exec.fifo", j->dir);
	if (mkfifo(j->fifo, 0622) < 0 || chmod(j->fifo, 0622) < 0)
		return kerr_errno(e, "create %s", j->fifo);
	j->fifo_fd = open(j->fifo, O_PATH | O_CLOEXEC);
	if (j->fifo_fd < 0)
		return kerr_errno(e, "open %s", j->fifo);
	if (kcg_create(&j->cg, j->cgpath, e) < 0)
		return -1;
	j->made_cg = 1;
	if (kcg_join_open(&j->cg, j->cgpath, &j->join, e) < 0)
		return -1;
	/* a new user namespace may not reach the rootfs and bind sources by
	 * path: clone them as mount trees now, while privileged; idmapped
	 * binds are made here too (mount_setattr needs the host's privilege) */
	j->trees.procfs = j->procfs;
	int all = (s->ns_new_flags & CLONE_NEWUSER) && (s->ns_new_flags & CLONE_NEWNS);
	/* a sysfs the container's user namespace may not mount is made here
	 * too, in the network namespace it joins: opened once, here, and
	 * joined through this fd */
	if (krootfs_sysfs_by_runtime(s)) {
		for (size_t i = 0; i < s->n_namespaces; i++)
			if (s->namespaces[i].type == CLONE_NEWNET && s->namespaces[i].path &&
			    (j->netns = kns_open(&s->namespaces[i], e)) < 0)
				return -1;
		j->trees.sysfs = 1;
		j->trees.sysfs_netns = j->netns;
	}
	if ((all || krootfs_has_idmap(s) || j->trees.sysfs) && krootfs_trees_open(s, &j->trees, all, e) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, j->sv) < 0)
		return kerr_errno(e, "socketpair");
	return 0;
}

/* Step 3: the init, cloned with its namespaces (or through an intermediate
 * process that joins and unshares first). */
static int create_spawn(struct create_job *j, kerr *e)
{
	const struct oci_spec *s = j->s;
	struct child_ctx *c = &j->c;

	*c = (struct child_ctx){
		.s = s, .o = j->o, .cg = &j->cg, .cg_path = j->cgpath, .fifo_path = j->fifo, .fifo_fd = j->fifo_fd,
		.seccomp = j->sc, .sync = j->sv[1], .console = j->console, .slow = 0, .join = &j->join,
		.lsm = &j->lsm, .trees = &j->trees, .procfs = j->procfs, .netns = j->netns,
	};
	int joined = s->ns_join_flags;
	c->slow = (joined & (CLONE_NEWUSER | CLONE_NEWPID)) || ((s->ns_new_flags & CLONE_NEWUSER) && joined) ||
		  (s->ns_new_flags & CLONE_NEWTIME);

	fflush(NULL);
	if (c->slow) {
		j->mid = fork();
		if (j->mid == 0) {
			close(j->sv[0]);
			intermediate_main(c);
		}
		if (j->mid < 0)
			return kerr_errno(e, "fork");
	} else {
		int flags = s->ns_new_flags & ~CLONE_NEWCGROUP;
		struct clone_args ca = { .flags = flags, .exit_signal = SIGCHLD };
		if (j->join.v2_dir >= 0) {
			ca.flags |= CLONE_INTO_CGROUP;
			ca.cgroup = j->join.v2_dir;
		}
		pid_t pid = syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid < 0 && (errno == ENOSYS || errno == E2BIG)) /* kernel < 5.7 */
			pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
		else if (pid == 0)
			c->born_in_v2 = j->join.v2_dir >= 0;
		if (pid == 0) {
			close(j->sv[0]);
			prctl(PR_SET_DUMPABLE, 0);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			kerr ce = { 0 };
			/* joined namespaces (not user or pid: those take the slow path) */
			for (size_t i = 0; i < s->n_namespaces; i++) {
				if (!s->namespaces[i].path)
					continue;
				int fd = open_ns(c, &s->namespaces[i], &ce);
				if (fd < 0 || kns_join_fd(fd, s->namespaces[i].type, &ce) < 0) {
					ksync_send_error(j->sv[1], &ce);
					_exit(1);
				}
				close(fd);
			}
			child_main(c);
		}
		if (pid < 0)
			return kerr_errno(e, "create the container process (clone with namespaces %#x)", flags);
		j->pid = pid;
	}
	close_fd(&j->sv[1]);
	return 0;
}

/* Step 4: the parent's half of the setup, in step with the init over the
 * sync socket: id maps, oom_score_adj, the hooks, the limits. */
static int create_handshake(struct create_job *j, struct kstate *st, kerr *e)
{
	const struct oci_spec *s = j->s;
	struct ksync_msg m;

	if (j->c.slow) {
		if (s->ns_new_flags & CLONE_NEWUSER) {
			if (ksync_expect(j->sv[0], KSYNC_USERNS, &m, e) < 0 ||
			    kns_write_idmaps(j->procfs, m.pid, s, e) < 0 || ksync_send(j->sv[0], KSYNC_MAPS_DONE, 0, e) < 0)
				return -1;
		}
		if (ksync_expect(j->sv[0], KSYNC_PID, &m, e) < 0)
			return -1;
		j->pid = m.pid;
		waitpid(j->mid, NULL, 0);
		j->mid = -1;
	} else if ((s->ns_new_flags & CLONE_NEWUSER) && kns_write_idmaps(j->procfs, j->pid, s, e) < 0) {
		return -1;
	}
	if (kproc_set_oom_score_adj(j->procfs, &s->process, j->pid, e) < 0 || ksync_send(j->sv[0], KSYNC_GO, 0, e) < 0)
		return -1;
	st->pid = j->pid;
	for (;;) {
		if (ksync_recv(j->sv[0], &m, e) < 0)
			return -1;
		if (m.type == KSYNC_READY)
			break;
		if (m.type != KSYNC_HOOKS)
			return kerr_msg(e, EPROTO, "sync: unexpected message %d", m.type);
		/* "created", as the runtime-tools validation (hooks_stdin)
		 * expects and crun passes (runc 1.1 passes "creating") */
		_cleanup_free_ char *json = kstate_oci_json(st, KSTATUS_CREATED, 0);
		if (khooks_run(s, OCI_HOOK_PRESTART, json, e) < 0 || khooks_run(s, OCI_HOOK_CREATE_RUNTIME, json, e) < 0 ||
		    ksync_send(j->sv[0], KSYNC_HOOKS_DONE, 0, e) < 0)
			return -1;
	}
	/* The limits go in once the rootfs and its device nodes exist (the
	 * device rules may not allow mknod), before the program can run. */
	if (kcg_apply_resources(&j->cg, j->cgpath, s->resources, e) < 0)
		return -1;
	kerr_clear(e);
	if (j->console_pair[0] >= 0) {
		j->o->console_fd_out = kterm_recv_fd(j->console_pair[0], e);
		if (j->o->console_fd_out < 0)
			return -1;
	}
	return 0;
}

int kcontainer_create(struct kcreate_opts *o, pid_t *pidp, kerr *e)
{
	struct create_job j;
	_cleanup_free_ char **ann = NULL;
	int rc = -1;

	if (kid_validate(o->id, e) < 0)
		return -1;
	create_job_init(&j, o);
	if (create_check(&j, e) < 0 || create_prepare(&j, e) < 0 || create_spawn(&j, e) < 0)
		goto out;

	struct kstate st = {
		.id = (char *)o->id, .bundle = j.s->bundle, .rootfs = j.s->root_path, .owner = geteuid(),
		.cgroup_path = j.cgpath,
		/* start and delete read the config again only when it has hooks for them */
		.later_hooks = (j.s->n_hooks[OCI_HOOK_POSTSTART] ? 1u << OCI_HOOK_POSTSTART : 0) |
			       (j.s->n_hooks[OCI_HOOK_POSTSTOP] ? 1u << OCI_HOOK_POSTSTOP : 0),
	};
	iso8601_now(j.created, sizeof(j.created));
	st.created = j.created;
	ann = annotations_vector(j.s);
	st.annotations = ann;
	if (create_handshake(&j, &st, e) < 0)
		goto out;
	st.pid_start = kproc_start_time(j.pid);
	if (kstate_write(o->ctx->state_root, &st, e) < 0)
		goto out;
	if (o->pid_file && kstate_write_pid_file(o->pid_file, j.pid, e) < 0)
		goto out;
	*pidp = j.pid;
	rc = 0;
out:
	create_done(&j, rc < 0);
	if (rc < 0)
		kerr_wrap(e, "create %s", o->id);
	return rc;
}
