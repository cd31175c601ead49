/* Container lifecycle: create, start, kill, delete, run, list, state.
 * What the runtime commands call; each function is one operation on the
 * state directory ROOT/ID and the live processes it names. */
#ifndef KAPSEL_CONTAINER_H
#define KAPSEL_CONTAINER_H

#include "common/err.h"
#include "oci/state.h"

#include <sys/types.h>

struct oci_spec;

struct kcreate_opts {
	const char *root;            /* state root, e.g. /run/kapsel */
	const char *id;
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	int preserve_fds;
	int no_pivot;
	int no_new_keyring;
	char **argv;                 /* our own argv, for the sealed re-exec */
	/* filled for `run` */
	int keep_parent;             /* the caller waits for the process */
	int console_fd_out;          /* run with a terminal and no socket: master */
};

/* Create the container up to the point where the program waits for start.
 * On success *pid is the container's init. */
int kcontainer_create(struct kcreate_opts *o, pid_t *pid, kerr *e);
/* Release the program of a created container; run poststart hooks. */
int kcontainer_start(const char *root, const char *id, kerr *e);
int kcontainer_kill(const char *root, const char *id, int sig, int all, kerr *e);
/* Delete: refuse a running container unless FORCE (then SIGKILL all). */
int kcontainer_delete(const char *root, const char *id, int force, kerr *e);
/* Wait for PID (our child), forwarding signals; returns the exit code the
 * shell convention gives (status, or 128+signal). */
int kcontainer_wait_forward(pid_t pid, int console_fd, kerr *e);

/* The config a container was created from, as saved in its state
 * directory (NULL with *e set on failure). */
struct oci_spec *kcontainer_load_spec(const char *root, const struct kstate *st, kerr *e);

/* Read the state of ID and the derived status. */
int kcontainer_state(const char *root, const char *id, struct kstate *st, enum kstatus *status, kerr *e);

#endif
