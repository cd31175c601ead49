/* The last steps of every container process, the init as well as an
 * exec'd one: terminal, program lookup, rlimits, seccomp, user and
 * capabilities, working directory, fd hygiene; then execve. */
#ifndef KAPSEL_LAUNCH_H
#define KAPSEL_LAUNCH_H

#include "common/err.h"

#include <limits.h>

struct oci_process;
struct kseccomp;
struct klsm_host;

struct klaunch {
	const struct oci_process *p;
	struct kseccomp *seccomp;
	int console;          /* console socket for process.terminal, or -1 */
	int preserve_fds;
	int new_session;      /* setsid even without a terminal (the init) */
	const struct klsm_host *lsm;
	int procfs;           /* verified procfs handle (linux/procfs.h) */
	char prog[PATH_MAX];  /* filled by klaunch_prepare */
};

/* Everything up to the point where only execve is left, except a seccomp
 * filter that must wait for no_new_privs (installed by klaunch_exec). */
int klaunch_prepare(struct klaunch *l, kerr *e);
/* Install the late seccomp filter, restore the signal mask, execve.
 * Returns only on error. */
int klaunch_exec(struct klaunch *l, kerr *e);

#endif
