#include "hooks.h"

#include "common/cleanup.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int run_one(const struct oci_hook *h, const char *state, kerr *e)
{
	int in[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return kerr_errno(e, "pipe");
	pid_t pid = fork();
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
		execve(h->path, h->args && h->args[0] ? h->args : def_args, h->env ? h->env : no_env);
		dprintf(2, "kapsel-runtime: hook %s: %s\n", h->path, strerror(errno));
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

	int status;
	if (h->timeout > 0) {
		int pfd = syscall(SYS_pidfd_open, pid, 0);
		if (pfd >= 0) {
			struct pollfd p = { .fd = pfd, .events = POLLIN };
			int r;
			do
				r = poll(&p, 1, h->timeout * 1000);
			while (r < 0 && errno == EINTR);
			close(pfd);
			if (r == 0) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				return kerr_msg(e, ETIMEDOUT, "hook %s did not finish within its timeout of %d s",
						h->path, h->timeout);
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return kerr_errno(e, "wait for hook %s", h->path);
	if (WIFSIGNALED(status))
		return kerr_msg(e, EIO, "hook %s was killed by signal %d", h->path, WTERMSIG(status));
	if (WEXITSTATUS(status))
		return kerr_msg(e, EIO, "hook %s exited with status %d", h->path, WEXITSTATUS(status));
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
