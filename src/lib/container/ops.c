/* start, kill, delete, state, and waiting for a process we started. */
#include "container.h"

#include "cgroup/cgroup.h"
#include "cgroup/resources.h"
#include "cgroup/stats.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/loop.h"
#include "common/log.h"
#include "linux/hooks.h"
#include "linux/terminal.h"
#include "oci/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int kcontainer_state(const char *root, const char *id, struct kstate *st, enum kstatus *status, kerr *e)
{
	if (kstate_read(root, id, st, e) < 0)
		return -1;
	*status = kstate_status(st);
	if (*status == KSTATUS_STOPPED && st->cgroup_path) {
		/* the cgroup lives until delete: did the kernel OOM-kill in it? */
		struct kcg_host h;
		uint64_t ooms = 0;
		kerr ig;
		if (kcg_host_detect(&h, &ig) == 0 && kcg_oom_count(&h, st->cgroup_path, &ooms, &ig) == 0)
			st->oom_killed = ooms > 0;
	}
	if (*status == KSTATUS_RUNNING && st->cgroup_path) {
		/* a frozen cgroup is "paused" */
		struct kcg_host h;
		kerr ig;
		if (kcg_host_detect(&h, &ig) == 0 && kcg_is_frozen(&h, st->cgroup_path) == 1)
			*status = KSTATUS_PAUSED;
	}
	return 0;
}

/* The config a container was created from (saved in its state dir). */
struct oci_spec *kcontainer_load_spec(const char *root, const struct kstate *st, kerr *e)
{
	char path[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	size_t len;
	struct oci_spec *s = NULL;
	if (kstate_dir(root, st->id, path, sizeof(path) - 16, e) < 0)
		return NULL;
	strcat(path, "/config.json");
	if (kfs_read_file(path, &buf, &len, e) < 0 || oci_spec_parse(path, buf, len, &s, e) < 0)
		return NULL;
	s->bundle = st->bundle ? strdup(st->bundle) : NULL;
	free(s->root_path);
	s->root_path = st->rootfs ? strdup(st->rootfs) : strdup("");
	return s;
}

static struct oci_spec *load_spec(const char *root, const struct kstate *st)
{
	kerr e;
	return kcontainer_load_spec(root, st, &e);
}

/* The init's byte on the exec fifo: 1 when it came, 0 when the init ended
 * (or closed the fifo) without sending it. */
static int fifo_byte(int fd)
{
	char b;
	return read(fd, &b, 1) == 1;
}

static int on_fifo(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)data;
	(void)e;
	char b;
	ssize_t n = read(fd, &b, 1);
	(void)revents;
	if (n == 1 || n == 0 || (errno != EAGAIN && errno != EINTR))
		kloop_exit(kloop_source_loop(s), n == 1);
	return 0;
}

static int on_init_gone(struct kloop_source *s, const siginfo_t *si, void *data, kerr *e)
{
	(void)si;
	(void)e;
	/* it may have written the byte just before it ended */
	kloop_exit(kloop_source_loop(s), fifo_byte(*(int *)data));
	return 0;
}

/* Wait for the init to send its byte on the exec fifo FD (non-blocking):
 * it holds the write end once it wakes; it may also die. */
static int wait_start_byte(int fd, const struct kstate *st, kerr *e)
{
	_cleanup_(kloop_freep) struct kloop *l = NULL;
	if (kloop_new(&l, e) < 0 || !kloop_add_io(l, fd, EPOLLIN, on_fifo, NULL, e))
		return -1;
	kerr ig;
	if (!kloop_add_child(l, st->pid, KLOOP_CHILD_WATCH, on_init_gone, &fd, &ig) || !kstate_alive(st))
		return fifo_byte(fd);
	return kloop_run(l, e);
}

static int start_container(const char *root, const char *id, kerr *e)
{
	struct kstate st;
	enum kstatus status;
	char dir[PATH_MAX], fifo[PATH_MAX + 16];

	if (kcontainer_state(root, id, &st, &status, e) < 0)
		return -1;
	if (status != KSTATUS_CREATED) {
		kerr_msg(e, EINVAL, "cannot start container \"%s\": it is %s, not created", id, kstatus_to_name(status));
		kstate_free(&st);
		return -1;
	}
	kstate_dir(root, id, dir, sizeof(dir), e);
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", dir);
	/* Non-blocking open succeeds because the init is blocked opening the
	 * other end; then the read waits for its byte. */
	_cleanup_close_ int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		kerr_errno(e, "open %s", fifo);
		kstate_free(&st);
		return -1;
	}
	int n = wait_start_byte(fd, &st, e);
	if (n < 0) {
		kstate_free(&st);
		return -1;
	}
	if (n != 1) {
		kerr_msg(e, EIO, "start container \"%s\": its process exited before it could start", id);
		kstate_free(&st);
		return -1;
	}
	unlink(fifo);
	st.started = 1;
	if (kstate_write(root, &st, e) < 0) {
		kstate_free(&st);
		return -1;
	}
	struct oci_spec *s = st.later_hooks & (1u << OCI_HOOK_POSTSTART) ? load_spec(root, &st) : NULL;
	if (s && s->n_hooks[OCI_HOOK_POSTSTART]) {
		_cleanup_free_ char *json = kstate_oci_json(&st, KSTATUS_RUNNING, 0);
		if (khooks_run(s, OCI_HOOK_POSTSTART, json, e) < 0) {
			/* spec: a failing poststart hook is logged, the container goes on */
			klog_warn("%s", e->msg);
			kerr_clear(e);
		}
	}
	oci_spec_free(s);
	kstate_free(&st);
	return 0;
}

/* the public call: its error says which container */
int kcontainer_start(const char *root, const char *id, kerr *e)
{
	int r = start_container(root, id, e);
	if (r < 0)
		kerr_wrap(e, "start %s", id);
	return r;
}

static int kill_all(const struct kstate *st, int sig, kerr *e)
{
	struct kcg_host h;
	_cleanup_free_ pid_t *pids = NULL;
	if (kcg_host_detect(&h, e) < 0)
		return -1;
	/* pure cgroup2: the kernel kills the whole tree at once */
	if (sig == SIGKILL && h.layout == KCG_V2) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s%s", h.hier[h.unified].mount, st->cgroup_path);
		int r = kcg_v2_kill(dir, e);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	/* freeze first so that nothing forks away while we signal */
	int frozen = kcg_freeze(&h, st->cgroup_path, 1, e) == 0;
	int n = kcg_pids(&h, st->cgroup_path, &pids, e);
	if (n < 0) {
		if (frozen)
			kcg_freeze(&h, st->cgroup_path, 0, e);
		return -1;
	}
	for (int i = 0; i < n; i++)
		kill(pids[i], sig);
	if (frozen && kcg_freeze(&h, st->cgroup_path, 0, e) < 0)
		return -1;
	return 0;
}

static int kill_container(const char *root, const char *id, int sig, int all, kerr *e)
{
	struct kstate st;
	enum kstatus status;
	int rc = 0;

	if (kcontainer_state(root, id, &st, &status, e) < 0)
		return -1;
	if (status == KSTATUS_STOPPED || status == KSTATUS_CREATING) {
		if (!(all && status == KSTATUS_STOPPED && st.cgroup_path))
			rc = kerr_msg(e, ESRCH, "container \"%s\" is not running", id);
		else
			rc = kill_all(&st, sig, e);
	} else if (all && st.cgroup_path) {
		rc = kill_all(&st, sig, e);
	} else {
		/* pidfd: the signal cannot hit a reused pid */
		int pfd = syscall(SYS_pidfd_open, st.pid, 0);
		if (pfd >= 0 && kstate_alive(&st)) {
			if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
				rc = kerr_errno(e, "kill container \"%s\"", id);
		} else {
			rc = kerr_msg(e, ESRCH, "container \"%s\" is not running", id);
		}
		if (pfd >= 0)
			close(pfd);
	}
	kstate_free(&st);
	return rc;
}

/* the public call: its error says which container */
int kcontainer_kill(const char *root, const char *id, int sig, int all, kerr *e)
{
	int r = kill_container(root, id, sig, all, e);
	if (r < 0)
		kerr_wrap(e, "kill %s", id);
	return r;
}

/* SIGKILL to PID and a wait of at most MS for it to be gone. */
static void kill_wait(pid_t pid, uint64_t ms)
{
	_cleanup_(kloop_freep) struct kloop *l = NULL;
	struct kloop_source *s;
	kerr ig;
	if (kloop_new(&l, &ig) < 0 || !(s = kloop_add_child(l, pid, KLOOP_CHILD_WATCH, kloop_stop_child, NULL, &ig)))
		return;
	kloop_child_signal(s, SIGKILL, &ig);
	if (kloop_add_timer(l, 0, ms * KLOOP_NSEC_PER_MSEC, 0, kloop_stop_timer, NULL, &ig))
		kloop_run(l, &ig);
}

/* Kill everything in the cgroup and wait until it is empty. */
static int kill_and_wait(const struct kcg_host *h, const struct kstate *st, kerr *e)
{
	if (kstate_alive(st))
		kill_wait(st->pid, 10000);
	for (int round = 0; round < 1000; round++) {
		_cleanup_free_ pid_t *pids = NULL;
		int n = kcg_pids(h, st->cgroup_path, &pids, e);
		if (n < 0)
			return errno == ENOENT || e->errnum == ENOENT ? 0 : -1;
		if (n == 0)
			return 0;
		for (int i = 0; i < n; i++)
			kill_wait(pids[i], 1000);
	}
	return kerr_msg(e, EBUSY, "processes of the container keep running");
}

static int delete_container(const char *root, const char *id, int force, kerr *e)
{
	struct kstate st;
	enum kstatus status;
	struct kcg_host h;

	if (kcontainer_state(root, id, &st, &status, e) < 0)
		return -1;
	if (status != KSTATUS_STOPPED && status != KSTATUS_CREATED && !force) {
		kerr_msg(e, EBUSY, "cannot delete container \"%s\": it is %s (stop it first or use --force)", id,
			 kstatus_to_name(status));
		kstate_free(&st);
		return -1;
	}
	if (kcg_host_detect(&h, e) < 0) {
		kstate_free(&st);
		return -1;
	}
	if (st.cgroup_path) {
		if (status == KSTATUS_PAUSED)
			kcg_freeze(&h, st.cgroup_path, 0, e);
		if (kill_and_wait(&h, &st, e) < 0 || kcg_destroy(&h, st.cgroup_path, e) < 0) {
			kstate_free(&st);
			return -1;
		}
	} else if (kstate_alive(&st)) {
		kill(st.pid, SIGKILL);
	}
	struct oci_spec *s = st.later_hooks & (1u << OCI_HOOK_POSTSTOP) ? load_spec(root, &st) : NULL;
	if (kstate_remove(root, id, e) < 0) {
		oci_spec_free(s);
		kstate_free(&st);
		return -1;
	}
	int rc = 0;
	if (s && s->n_hooks[OCI_HOOK_POSTSTOP]) {
		_cleanup_free_ char *json = kstate_oci_json(&st, KSTATUS_STOPPED, 0);
		if (khooks_run(s, OCI_HOOK_POSTSTOP, json, e) < 0) {
			klog_warn("%s", e->msg);
			kerr_clear(e);
		}
	}
	oci_spec_free(s);
	kstate_free(&st);
	return rc;
}

/* the public call: its error says which container */
int kcontainer_delete(const char *root, const char *id, int force, kerr *e)
{
	int r = delete_container(root, id, force, e);
	if (r < 0)
		kerr_wrap(e, "delete %s", id);
	return r;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

void kcontainer_block_signals(sigset_t *set)
{
	/* everything but the synchronous faults, which must stay fatal */
	sigfillset(set);
	sigdelset(set, SIGSEGV);
	sigdelset(set, SIGBUS);
	sigdelset(set, SIGILL);
	sigdelset(set, SIGFPE);
	sigprocmask(SIG_BLOCK, set, NULL);
}

/* kcontainer_wait_forward's state: the process, the terminal relay. */
struct fwd {
	pid_t pid;
	int code;
	int con;
	struct kloop_source *con_src, *in_src;
	char buf[8192];
};

static int on_console(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)s;
	(void)e;
	struct fwd *f = data;
	if (revents & EPOLLIN) {
		ssize_t n = read(fd, f->buf, sizeof(f->buf));
		if (n > 0)
			(void)!write(1, f->buf, n);
	} else if (revents & (EPOLLHUP | EPOLLERR)) {
		/* a removed source is freed after this pass: forget it here */
		f->con = -1;
		kloop_remove(f->con_src);
		f->con_src = NULL;
		if (f->in_src)
			kloop_remove(f->in_src);
		f->in_src = NULL;
	}
	return 0;
}

static int on_stdin(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)e;
	(void)revents;
	struct fwd *f = data;
	ssize_t n = read(fd, f->buf, sizeof(f->buf));
	if (n > 0) {
		if (f->con >= 0)
			(void)!write(f->con, f->buf, n);
	} else {
		/* end of our input: end of file for the terminal too */
		kloop_remove(s);
		f->in_src = NULL;
		if (f->con >= 0)
			(void)!write(f->con, "\x04", 1);
	}
	return 0;
}

static void reap(struct fwd *f)
{
	int status;
	pid_t w;
	while ((w = waitpid(-1, &status, WNOHANG)) > 0)
		if (w == f->pid)
			f->code = exit_code(status);
}

static int on_forward_signal(struct kloop_source *s, const struct signalfd_siginfo *si, void *data, kerr *e)
{
	(void)e;
	struct fwd *f = data;
	if (si->ssi_signo == SIGWINCH && f->con >= 0)
		kterm_resize(f->con); /* the window follows ours */
	else if (si->ssi_signo != SIGCHLD)
		kill(f->pid, si->ssi_signo);
	else
		reap(f);
	if (f->code >= 0)
		kloop_exit(kloop_source_loop(s), 0);
	return 0;
}

int kcontainer_wait_forward(pid_t pid, int console_fd, kerr *e)
{
	sigset_t set;
	kcontainer_block_signals(&set);
	struct fwd f = { .pid = pid, .code = -1, .con = console_fd };
	_cleanup_(kloop_freep) struct kloop *l = NULL;
	if (kloop_new(&l, e) < 0 || !kloop_add_signals(l, &set, on_forward_signal, &f, e))
		return -1;
	if (f.con >= 0) {
		kterm_local_raw(f.con);
		if (!(f.con_src = kloop_add_io(l, f.con, EPOLLIN, on_console, &f, e))) {
			kterm_local_restore();
			return -1;
		}
		kerr ig; /* no stdin (closed): nothing to relay */
		f.in_src = kloop_add_io(l, 0, EPOLLIN, on_stdin, &f, &ig);
	}
	/* it may have exited before SIGCHLD was blocked: reap once up front */
	reap(&f);
	if (f.code < 0 && kloop_run(l, e) < 0) {
		kterm_local_restore();
		return -1;
	}
	/* drain what the terminal still holds */
	if (f.con >= 0) {
		int fl = fcntl(f.con, F_GETFL);
		fcntl(f.con, F_SETFL, fl | O_NONBLOCK);
		ssize_t n;
		while ((n = read(f.con, f.buf, sizeof(f.buf))) > 0)
			(void)!write(1, f.buf, n);
	}
	l = kloop_free(l);
	kterm_local_restore();
	/* the signals stay blocked, as the caller blocked them: one arriving
	 * now is for the container that has just exited, and must not kill us
	 * before the caller reports its status */
	return f.code;
}
