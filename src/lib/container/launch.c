#include "launch.h"

#include "common/cleanup.h"
#include "linux/lsm.h"
#include "linux/process.h"
#include "linux/rlimits.h"
#include "linux/kseccomp.h"
#include "linux/terminal.h"
#include "oci/spec.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

int klaunch_prepare(struct klaunch *l, kerr *e)
{
	const struct oci_process *p = l->p;

	if (p->terminal) {
		if (l->console < 0)
			return kerr_msg(e, EINVAL, "process.terminal is true but there is no console socket");
		if (kterm_setup(p, l->console, e) < 0)
			return -1;
		close(l->console);
		l->console = -1;
	} else if (l->new_session && setsid() < 0) {
		return kerr_errno(e, "setsid");
	}
	if (kproc_find_program(p, l->prog, e) < 0)
		return -1;
	_cleanup_close_ int cwdfd = kproc_open_cwd(p, e);
	if (cwdfd < 0)
		return -1;
	/* verified now, before a seccomp profile may forbid getcwd; entered
	 * again after setuid so the user's permissions apply */
	if (kproc_enter_cwd(cwdfd, p->cwd, e) < 0)
		return -1;
	if (krlimits_apply(p->rlimits, p->n_rlimits, e) < 0)
		return kerr_wrap(e, "process.rlimits");
	if (l->lsm && klsm_apply_exec(l->lsm, p, l->procfs, e) < 0)
		return -1;
	/* Without no_new_privs the filter must go in while we still hold
	 * CAP_SYS_ADMIN; with it, as late as possible (fewer syscalls to allow). */
	if (l->seccomp && !p->no_new_privileges && kseccomp_install(l->seccomp, e) < 0)
		return -1;
	if (kproc_set_identity(p, 1, e) < 0)
		return -1;
	if (fchdir(cwdfd) < 0)
		return kerr_errno(e, "chdir to %s as uid %u", p->cwd, p->uid);
	if (kproc_cloexec_fds(l->preserve_fds, e) < 0)
		return -1;
	return 0;
}

int klaunch_exec(struct klaunch *l, kerr *e)
{
	const struct oci_process *p = l->p;
	if (l->seccomp && p->no_new_privileges && kseccomp_install(l->seccomp, e) < 0)
		return -1;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	char *empty_env[] = { NULL };
	execve(l->prog, p->args, p->env ? p->env : empty_env);
	return kerr_errno(e, "exec %s", l->prog);
}
