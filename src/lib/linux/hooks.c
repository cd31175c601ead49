#include "hooks.h"

#include "common/cleanup.h"
#include "common/log.h"
#include "common/loop.h"
#include "linux/process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The hook's end, or its timeout: then SIGKILL, and the end follows. */
struct hook_wait {
	struct kloop_source *child;
	siginfo_t si;
	int timed_out;
};

static int on_hook_exit(struct kloop_source *s, const siginfo_t *si, void *data, kerr *e)
{
	(void)e;
	((struct hook_wait *)data)->si = *si;
	kloop_exit(kloop_source_loop(s), 0);
	return 0;
}

static int on_hook_timeout(struct kloop_source *s, uint64_t n, void *data, kerr *e)
{
	(void)s;
	(void)n;
	struct hook_wait *w = data;
	w->timed_out = 1;
	return kloop_child_signal(w->child, SIGKILL, e);
}

static int run_one(const struct oci_hook *h, const char *state, kerr *e)
{
	int in[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return kerr_errno(e, "pipe");
	_cleanup_pid_ pid_t pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		return kerr_errno(e, "fork");
	}
	if (pid == 0) {
		char *def_args[] = { h->path, NULL };
		char *no_env[] = { NULL };
		dup2(in[0], 0);
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		umask(kproc_caller_umask()); /* as a hook under runc: the caller's */
		execve(h->path, h->args && h->args[0] ? h->args : def_args, h->env ? h->env : no_env);
		dprintf(2, "%s: hook %s: %s\n", klog_ident(), h->path, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	/* the hook may not read its stdin: a closed pipe is not an error */
	struct sigaction sa = { .sa_handler = SIG_IGN }, old;
	sigaction(SIGPIPE, &sa, &old);
	size_t len = strlen(state);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(in[1], state + off, len - off);
		if (w <= 0)
			break;
		off += w;
	}
	close(in[1]);
	sigaction(SIGPIPE, &old, NULL);

	struct hook_wait w = { 0 };
	_cleanup_(kloop_freep) struct kloop *l = NULL;
	if (kloop_new(&l, e) < 0 || !(w.child = kloop_add_child(l, pid, 0, on_hook_exit, &w, e)) ||
	    (h->timeout > 0 &&
	     !kloop_add_timer(l, 0, (uint64_t)h->timeout * KLOOP_NSEC_PER_SEC, 0, on_hook_timeout, &w, e)) ||
	    kloop_run(l, e) < 0)
		return kerr_wrap(e, "wait for hook %s", h->path);
	pid = 0; /* reaped */
	if (w.timed_out)
		return kerr_msg(e, ETIMEDOUT, "hook %s did not finish within its timeout of %d s", h->path,
				h->timeout);
	if (w.si.si_code != CLD_EXITED)
		return kerr_msg(e, EIO, "hook %s was killed by signal %d", h->path, w.si.si_status);
	if (w.si.si_status)
		return kerr_msg(e, EIO, "hook %s exited with status %d", h->path, w.si.si_status);
	return 0;
}

int khooks_run(const struct oci_spec *s, enum oci_hook_kind kind, const char *state_json, kerr *e)
{
	for (size_t i = 0; i < s->n_hooks[kind]; i++) {
		klog_debug("running %s hook %zu: %s", oci_hook_names[kind], i, s->hooks[kind][i].path);
		if (run_one(&s->hooks[kind][i], state_json, e) < 0)
			return kerr_wrap(e, "hooks.%s[%zu]", oci_hook_names[kind], i);
	}
	return 0;
}
