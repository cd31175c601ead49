/* kapsel-init: the tiny PID 1 of `kapsel run --init`, bind-mounted
 * read-only at /sbin/kapsel-init and run as kapsel-init -- CMD ARGS...
 *
 * A container's PID 1 gets no signal it has no handler for (the kernel's
 * rule for a namespace's init), so an image whose process ignores SIGTERM
 * only dies by SIGKILL after the stop timeout, and orphans it never waits
 * for stay zombies.  kapsel-init runs CMD as its child, passes it every
 * signal it gets (the stop signal included: the child is not PID 1 and
 * dies by the default action), reaps every process reparented to it and
 * exits with the child's status (128 + signal when a signal killed it), as
 * Docker's docker-init (tini) does.
 *
 * Static, no allocation, one loop on sigwaitinfo: nothing else runs in
 * the container beside CMD. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "kapsel-init: %s: %s\n", what, strerror(errno));
	_exit(127);
}

int main(int argc, char **argv)
{
	int first = 1;
	if (argc > 1 && !strcmp(argv[1], "--"))
		first = 2;
	if (first >= argc) {
		fprintf(stderr, "usage: kapsel-init [--] COMMAND [ARG...]\n");
		return 2;
	}
	/* not PID 1 (a test, or --pid host): still the reaper of what CMD leaves */
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigset_t all, old;
	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, &old) < 0)
		die("sigprocmask");
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		/* the child's own process group, the terminal's foreground one */
		setpgid(0, 0);
		if (isatty(0)) {
			signal(SIGTTOU, SIG_IGN);
			tcsetpgrp(0, getpid());
			signal(SIGTTOU, SIG_DFL);
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(argv[first], argv + first);
		fprintf(stderr, "kapsel-init: exec %s: %s\n", argv[first], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			die("sigwaitinfo");
		}
		if (sig != SIGCHLD) {
			/* SIGTTIN/SIGTTOU/SIGTSTP of a job control shell are the child's own */
			kill(child, sig);
			continue;
		}
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG);
			if (p <= 0)
				break;
			if (p == child)
				return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
	}
}
