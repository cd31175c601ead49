/* exec: the new process joins the container's cgroup and namespaces in an
 * intermediate child (a pid namespace only takes effect for children), and
 * is then forked inside them; it goes through the same final steps as the
 * init (launch.c), so it sees exactly the same restrictions. */
#include "container/exec.h"

#include "cgroup/cgroup.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/log.h"
#include "common/strv.h"
#include "container/container.h"
#include "container/launch.h"
#include "container/sync.h"
#include "linux/caps.h"
#include "vocab/caps.h"
#include "linux/lsm.h"
#include "linux/procfs.h"
#include "linux/ns.h"
#include "linux/process.h"
#include "linux/kseccomp.h"
#include "linux/terminal.h"
#include "oci/spec.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* setns order: the user namespace first (the others belong to it), the
 * mount namespace last (joining it moves our root). */
static const struct {
	const char *file;
	int type;
} ns_order[] = {
	{ "user", CLONE_NEWUSER }, { "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS },   { "net", CLONE_NEWNET },       { "pid", CLONE_NEWPID },
	{ "time", CLONE_NEWTIME }, { "mnt", CLONE_NEWNS },
};

#define N_NS (sizeof(ns_order) / sizeof(ns_order[0]))

static int parse_id(const char *s, const char *what, uint32_t *out, kerr *e)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > UINT32_MAX || s[0] == '-')
		return kerr_msg(e, EINVAL, "%s \"%s\" is not a numeric id", what, s);
	*out = (uint32_t)v;
	return 0;
}

/* The process from the container's own, with the command-line changes. */
static int build_process(struct kexec_opts *o, const struct oci_spec *s, struct oci_process *p, kerr *e)
{
	const struct oci_process *c = &s->process;

	memset(p, 0, sizeof(*p));
	*p = *c; /* scalars and caps; the pointers are replaced below */
	p->args = kstrv_copy(o->args);
	p->env = kstrv_copy(c->env);
	p->cwd = strdup(o->cwd ? o->cwd : c->cwd);
	p->rlimits = NULL;
	p->additional_gids = NULL;
	p->n_additional_gids = 0;
	p->apparmor_profile = c->apparmor_profile ? strdup(c->apparmor_profile) : NULL;
	p->selinux_label = c->selinux_label ? strdup(c->selinux_label) : NULL;
	if (!p->args || !p->env || !p->cwd)
		return kerr_set(e, ENOMEM, "exec");
	p->n_args = 0;
	while (p->args[p->n_args])
		p->n_args++;
	if (!p->n_args)
		return kerr_msg(e, EINVAL, "exec: a command (or --process) is required");
	if (p->cwd[0] != '/')
		return kerr_msg(e, EINVAL, "exec: --cwd \"%s\" is not an absolute path", p->cwd);
	if (c->n_rlimits) {
		p->rlimits = malloc(c->n_rlimits * sizeof(*p->rlimits));
		if (!p->rlimits)
			return kerr_set(e, ENOMEM, "exec");
		memcpy(p->rlimits, c->rlimits, c->n_rlimits * sizeof(*p->rlimits));
	}
	if (c->n_additional_gids) {
		p->additional_gids = malloc(c->n_additional_gids * sizeof(gid_t));
		if (!p->additional_gids)
			return kerr_set(e, ENOMEM, "exec");
		memcpy(p->additional_gids, c->additional_gids, c->n_additional_gids * sizeof(gid_t));
		p->n_additional_gids = c->n_additional_gids;
	}
	/* --env KEY=VALUE replaces KEY or adds it */
	for (char **kv = o->env; kv && *kv; kv++) {
		const char *eq = strchr(*kv, '=');
		if (!eq || eq == *kv)
			return kerr_msg(e, EINVAL, "exec: --env \"%s\" is not KEY=VALUE", *kv);
		size_t klen = eq - *kv + 1, i;
		for (i = 0; p->env[i]; i++)
			if (!strncmp(p->env[i], *kv, klen))
				break;
		if (p->env[i]) {
			free(p->env[i]);
			p->env[i] = strdup(*kv);
		} else if (kstrv_add(&p->env, *kv) < 0) {
			return kerr_set(e, ENOMEM, "exec");
		}
	}
	if (o->user) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%s", o->user);
		char *colon = strchr(buf, ':');
		if (colon)
			*colon++ = '\0';
		uint32_t v = 0;
		if (parse_id(buf, "--user", &v, e) < 0)
			return -1;
		p->uid = v;
		if (colon) {
			if (parse_id(colon, "--user group", &v, e) < 0)
				return -1;
			p->gid = v;
		}
	}
	for (char **g = o->additional_gids; g && *g; g++) {
		uint32_t v = 0;
		if (parse_id(*g, "--additional-gids", &v, e) < 0)
			return -1;
		gid_t *ng = realloc(p->additional_gids, (p->n_additional_gids + 1) * sizeof(gid_t));
		if (!ng)
			return kerr_set(e, ENOMEM, "exec");
		p->additional_gids = ng;
		p->additional_gids[p->n_additional_gids++] = v;
	}
	for (char **cap = o->caps; cap && *cap; cap++) {
		int n = kcap_parse(*cap);
		if (n < 0 || n == KCAP_ALL)
			return kerr_msg(e, EINVAL, "exec: --cap: unknown capability \"%s\"", *cap);
		uint64_t bit = 1ULL << n;
		p->caps[CAPS_BOUNDING] |= bit;
		p->caps[CAPS_EFFECTIVE] |= bit;
		p->caps[CAPS_PERMITTED] |= bit;
	}
	if (o->no_new_privs)
		p->no_new_privileges = 1;
	if (o->tty >= 0)
		p->terminal = o->tty;
	return 0;
}

static int load_process_file(const char *path, struct oci_process *p, kerr *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (kfs_read_file(path, &buf, &len, e) < 0)
		return -1;
	json_object *o = kj_parse(path, buf, len, e);
	if (!o)
		return -1;
	int r = oci_process_parse(path, o, p, e);
	json_object_put(o);
	return r;
}

/* The AppArmor profile of an exec'd process: --apparmor, else the
 * process's own, else the container's (as runc), so a process exec'd into
 * a confined container is confined the same way.  Where the host has
 * AppArmor, leaving a confined container's profile for "unconfined" is a
 * way out of it: refused. */
static int exec_profile(const struct kexec_opts *o, const struct oci_spec *s, struct oci_process *p,
			const struct klsm_host *lsm, kerr *e)
{
	const char *cur = s->process.apparmor_profile;
	if (o->apparmor) {
		free(p->apparmor_profile);
		if (!(p->apparmor_profile = strdup(o->apparmor)))
			return kerr_set(e, ENOMEM, "exec");
	} else if ((!p->apparmor_profile || !*p->apparmor_profile) && cur && *cur) {
		free(p->apparmor_profile);
		if (!(p->apparmor_profile = strdup(cur)))
			return kerr_set(e, ENOMEM, "exec");
	}
	if (lsm->apparmor && cur && *cur && strcmp(cur, "unconfined") && p->apparmor_profile &&
	    !strcmp(p->apparmor_profile, "unconfined"))
		return kerr_msg(e, EPERM, "exec: apparmorProfile \"unconfined\": the container runs under AppArmor "
				"profile \"%s\"; a process exec'd into it is confined the same way (refused)", cur);
	return 0;
}

struct exec_child {
	struct kexec_opts *o;
	struct oci_process *p;
	struct kseccomp *sc;
	struct kcg_join *join;
	struct klsm_host lsm;
	int nsfd[N_NS];
	int sync;
	int console;
	int procfs;          /* verified procfs handle, opened before any setns */
};

static void __attribute__((noreturn)) exec_intermediate(struct exec_child *c)
{
	kerr e = { 0 };
	struct ksync_msg m;

	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (kcg_join_self(c->join, 0, &e) < 0)
		goto fail;
	kcg_join_close(c->join);
	for (size_t i = 0; i < N_NS; i++) {
		if (c->nsfd[i] < 0)
			continue;
		if (kns_join_fd(c->nsfd[i], ns_order[i].type, &e) < 0)
			goto fail;
		close(c->nsfd[i]);
	}
	pid_t pid = fork();
	if (pid < 0) {
		kerr_errno(&e, "fork");
		goto fail;
	}
	if (pid == 0) {
		prctl(PR_SET_DUMPABLE, 0);
		struct klaunch l = {
			.p = c->p, .seccomp = c->sc, .console = c->console,
			.preserve_fds = c->o->preserve_fds, .new_session = c->p->terminal, .lsm = &c->lsm,
			.procfs = c->procfs,
		};
		if (klaunch_prepare(&l, &e) < 0)
			goto fail;
		prctl(PR_SET_PDEATHSIG, 0);
		if (ksync_send(c->sync, KSYNC_READY, getpid(), &e) < 0)
			_exit(127);
		/* c->sync stays open: its close at execve (CLOEXEC) tells the
		 * runtime the process is the program now */
		klaunch_exec(&l, &e);
		dprintf(2, "%s exec: %s\n", klog_ident(), e.msg);
		_exit(kproc_execve_status(e.errnum));
	}
	if (ksync_send(c->sync, KSYNC_PID, pid, &e) < 0)
		_exit(1);
	(void)m;
	_exit(0);
fail:
	ksync_send_error(c->sync, &e);
	_exit(1);
}

static int exec_container(struct kexec_opts *o, pid_t *pidp, kerr *e)
{
	struct kstate st;
	enum kstatus status;
	struct oci_spec *s = NULL;
	struct oci_process p;
	struct kseccomp *sc = NULL;
	struct kcg_host cg;
	struct kcg_join join = { .n = 0, .v2_dir = -1, .v2_procs = -1 };
	struct exec_child c = { .o = o, .p = &p, .join = &join, .sync = -1, .console = -1, .procfs = -1 };
	int sv[2] = { -1, -1 }, pair[2] = { -1, -1 };
	pid_t mid = -1, pid = -1;
	int rc = -1;
	struct ksync_msg m;

	memset(&p, 0, sizeof(p));
	for (size_t i = 0; i < N_NS; i++)
		c.nsfd[i] = -1;
	if (kproc_check_preserved_fds(o->preserve_fds, e) < 0 ||
	    kcontainer_state(o->ctx->state_root, o->id, &st, &status, e) < 0)
		return -1;
	c.procfs = kprocfs_open(e);
	if (c.procfs < 0) {
		kstate_free(&st);
		return -1;
	}
	if (status == KSTATUS_PAUSED && !o->ignore_paused) {
		kerr_msg(e, EINVAL, "cannot exec in container \"%s\": it is paused (--ignore-paused to try anyway)", o->id);
		goto out;
	}
	if (status != KSTATUS_RUNNING && status != KSTATUS_CREATED && status != KSTATUS_PAUSED) {
		kerr_msg(e, EINVAL, "cannot exec in container \"%s\": it is %s", o->id, kstatus_to_name(status));
		goto out;
	}
	s = kcontainer_load_spec(o->ctx->state_root, &st, e);
	if (!s)
		goto out;
	if (o->process_file) {
		if (load_process_file(o->process_file, &p, e) < 0)
			goto out;
		if (o->tty >= 0)
			p.terminal = o->tty;
	} else if (build_process(o, s, &p, e) < 0) {
		goto out;
	}
	klsm_detect("", &c.lsm);
	if (exec_profile(o, s, &p, &c.lsm, e) < 0 ||
	    klsm_check_process(&c.lsm, &p, o->process_file ? o->process_file : "exec: process", e) < 0 ||
	    klsm_prepare_process(&c.lsm, &p, o->process_file ? o->process_file : "exec: process", e) < 0)
		goto out;
	if (s->seccomp && kseccomp_compile(s->seccomp, o->ctx->seccomp_cache, &sc, e) < 0)
		goto out;
	c.sc = sc;
	if (p.terminal) {
		if (o->console_socket) {
			c.console = kterm_connect(o->console_socket, e);
			if (c.console < 0)
				goto out;
		} else if (o->keep_parent) {
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
				kerr_errno(e, "socketpair");
				goto out;
			}
			c.console = pair[1];
		} else {
			kerr_msg(e, EINVAL, "exec with a terminal and --detach needs --console-socket");
			goto out;
		}
	}
	if (kcg_host_detect(&cg, e) < 0 || kcg_join_open(&cg, st.cgroup_path, &join, e) < 0)
		goto out;
	/* the namespaces of the init that differ from ours */
	for (size_t i = 0; i < N_NS; i++) {
		char path[64];
		struct stat a, b;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", st.pid, ns_order[i].file);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* kernel without this namespace type */
			kerr_errno(e, "open %s", path);
			goto out;
		}
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_order[i].file);
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			close(fd);
			continue;
		}
		c.nsfd[i] = fd;
	}
	if (!kstate_alive(&st)) {
		kerr_msg(e, ESRCH, "cannot exec in container \"%s\": it stopped", o->id);
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		kerr_errno(e, "socketpair");
		goto out;
	}
	c.sync = sv[1];
	fflush(NULL);
	mid = fork();
	if (mid < 0) {
		kerr_errno(e, "fork");
		goto out;
	}
	if (mid == 0) {
		close(sv[0]);
		exec_intermediate(&c);
	}
	close(sv[1]);
	sv[1] = -1;
	/* the intermediate's PID and the process's READY race: take both in
	 * either order (READY's own pid is the one inside the pid namespace) */
	for (int have_pid = 0, ready = 0; !have_pid || !ready;) {
		if (ksync_recv(sv[0], &m, e) < 0)
			goto out;
		if (m.type == KSYNC_PID && !have_pid) {
			pid = m.pid;
			have_pid = 1;
			waitpid(mid, NULL, 0);
			mid = -1;
		} else if (m.type == KSYNC_READY && !ready) {
			ready = 1;
		} else {
			kerr_msg(e, EPROTO, "exec: unexpected sync message %d", m.type);
			goto out;
		}
	}
	/* the pid file and --detach's return come once the process has
	 * exec'd (or died trying): never while it still sets itself up (10 s
	 * at most: an execve a seccomp agent holds does not hold us) */
	for (struct pollfd pfd = { .fd = sv[0], .events = POLLIN };;) {
		int pr = poll(&pfd, 1, 10000);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		char b;
		ssize_t n = recv(sv[0], &b, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0) {
			kerr_msg(e, EPROTO, "exec: unexpected sync message after READY");
			goto out;
		}
		break;
	}
	if (pair[0] >= 0) {
		o->console_fd_out = kterm_recv_fd(pair[0], e);
		if (o->console_fd_out < 0)
			goto out;
	}
	if (o->pid_file && kstate_write_pid_file(o->pid_file, pid, e) < 0)
		goto out;
	*pidp = pid;
	rc = 0;
out:
	if (rc < 0) {
		if (mid > 0) {
			kill(mid, SIGKILL);
			waitpid(mid, NULL, 0);
		}
		if (pid > 0)
			kill(pid, SIGKILL);
	}
	for (size_t i = 0; i < N_NS; i++)
		if (c.nsfd[i] >= 0)
			close(c.nsfd[i]);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (pair[0] >= 0)
		close(pair[0]);
	if (c.console >= 0)
		close(c.console);
	kcg_join_close(&join);
	if (c.procfs >= 0)
		close(c.procfs);
	kseccomp_free(sc);
	oci_process_free(&p);
	oci_spec_free(s);
	kstate_free(&st);
	return rc;
}

/* the public call: its error says which container */
int kcontainer_exec(struct kexec_opts *o, pid_t *pidp, kerr *e)
{
	int r = exec_container(o, pidp, e);
	if (r < 0)
		kerr_wrap(e, "exec in %s", o->id);
	return r;
}
