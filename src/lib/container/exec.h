/* exec: run another process in a running container, with exactly the
 * container's restrictions (namespaces, cgroup, capabilities,
 * no_new_privs, seccomp, rlimits, user). */
#ifndef KAPSEL_EXEC_H
#define KAPSEL_EXEC_H

#include "common/context.h"
#include "common/err.h"

#include <sys/types.h>

struct kexec_opts {
	const struct kctx *ctx;       /* the program's context: state root, caches */
	const char *id;
	const char *process_file;     /* --process: an OCI process object */
	char **args;                  /* the command, when no --process */
	int tty;                      /* -1: unset, else --tty */
	const char *cwd;              /* --cwd */
	const char *user;             /* --user UID[:GID] */
	char **env;                   /* --env KEY=VALUE, NULL-terminated */
	char **caps;                  /* --cap NAME, NULL-terminated */
	char **additional_gids;       /* --additional-gids, NULL-terminated */
	int no_new_privs;             /* --no-new-privs */
	const char *apparmor;         /* --apparmor PROFILE, instead of the process's */
	int preserve_fds;
	int ignore_paused;
	const char *pid_file;
	const char *console_socket;
	int keep_parent;              /* not --detach: the caller waits */
	int console_fd_out;           /* tty without a socket: the master */
};

/* Start the process; *pid is its host pid. */
int kcontainer_exec(struct kexec_opts *o, pid_t *pid, kerr *e);

#endif
