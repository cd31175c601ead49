/* Container lifecycle: create, start, kill, delete, run, list, state.
 * What the runtime commands call; each function is one operation on the
 * state directory ROOT/ID and the live processes it names. */
#ifndef KAPSEL_CONTAINER_H
#define KAPSEL_CONTAINER_H

#include "common/context.h"
#include "common/err.h"
#include "oci/state.h"

#include <signal.h>
#include <sys/types.h>

struct oci_spec;

struct kcreate_opts {
	const struct kctx *ctx;      /* the program's context: state root, policy, caches */
	const char *id;
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	int preserve_fds;
	int no_pivot;
	int no_new_keyring;
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
/* Block the signals `run` and `exec` forward, from before the container
 * exists: one arriving before the wait is queued, not fatal.  The
 * container's processes restore their own mask before execve. */
void kcontainer_block_signals(sigset_t *set);
/* Wait for PID (our child), forwarding signals; returns the exit code the
 * shell convention gives (status, or 128+signal). */
int kcontainer_wait_forward(pid_t pid, int console_fd, kerr *e);

/* The config a container was created from, as saved in its state
 * directory (NULL with *e set on failure). */
struct oci_spec *kcontainer_load_spec(const char *root, const struct kstate *st, kerr *e);

/* Read the state of ID and the derived status. */
int kcontainer_state(const char *root, const char *id, struct kstate *st, enum kstatus *status, kerr *e);

/* ---- control.c: ps, pause, resume, update ---- */

#include <json-c/json.h>
#include <stdint.h>

/* Host pids of the processes in the container's cgroup; *out is malloc'ed.
 * Returns the count (0 for a stopped container whose cgroup is gone). */
int kcontainer_pids(const char *root, const char *id, pid_t **out, kerr *e);
/* `ps` output PS_OUTPUT reduced to its header and the lines whose PID
 * column is one of PIDS (what runc's `ps` prints); *out is malloc'ed. */
int kps_filter(const char *ps_output, const pid_t *pids, int n, char **out, kerr *e);
/* Freeze a running container / thaw a paused one (cgroup freezer). */
int kcontainer_pause(const char *root, const char *id, kerr *e);
int kcontainer_resume(const char *root, const char *id, kerr *e);
/* Change the resources of a created, running or paused container live.
 * RESOURCES is a linux.resources object holding the fields to change; the
 * others keep their values.  The merged result is validated as a whole,
 * only the given fields are written, a write the kernel refuses undoes the
 * earlier ones, and the merged resources are recorded in
 * ROOT/ID/resources.json.  Device rules, when given, replace the old ones
 * as a whole (the same rules again change nothing); new ones must pass the
 * hardening policy POLICY (a file, NULL: the built-in one) as the bundle's
 * config.json with them would at create. */
int kcontainer_update(const char *root, const char *id, json_object *resources, const char *policy, kerr *e);

/* ---- events.c: stats and OOM events ---- */

/* {"type":TYPE,"id":ID[,"data":DATA]} as one line of JSON (malloc'ed). */
char *kevent_json(const char *type, const char *id, json_object *data);
/* Usage of a container that has not stopped (runc's `events --stats` data). */
int kcontainer_stats(const char *root, const char *id, json_object **out, kerr *e);
/* How often the OOM killer struck in the container's cgroup. */
int kcontainer_oom_kills(const char *root, const char *id, uint64_t *count, kerr *e);
/* Called with each event as one line of JSON; < 0 stops the stream. */
typedef int (*kevent_fn)(void *ctx, const char *json);
/* A "stats" event every INTERVAL_NS and an "oom" event whenever the OOM
 * killer strikes, until the container's init exits (returns 0 then). */
int kcontainer_events(const char *root, const char *id, int64_t interval_ns, kevent_fn emit, void *ctx, kerr *e);

#endif
