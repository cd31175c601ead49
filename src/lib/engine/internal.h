/* Inside engine/: the store handle shared by store.c and lifecycle.c. */
#ifndef KAPSEL_ENGINE_INTERNAL_H
#define KAPSEL_ENGINE_INTERNAL_H

#include "engine.h"

#include <sys/types.h>

struct keng {
	char *root; /* kapsel --root */
	char *cdir; /* ROOT/containers */
	char *runtime, *supervise, *runtime_root;
	int lockfd, mode;
};

/* ROOT/containers/<id>/NAME (NAME may be NULL: the directory); free it. */
char *keng_path(const struct keng *g, const char *id, const char *name);
/* ROOT/netns/<id>: the container's network namespace.  Outside its
 * directory, so kapsel-supervise's auto_remove (which unmounts only the
 * rootfs) can remove the directory; keng_sweep_netns releases the ones
 * whose container is gone. */
char *keng_netns_path(const struct keng *g, const char *id);
void keng_sweep_netns(const struct keng *g);
/* Release the image holds (kstore_hold, one per container, named by its
 * ID) of containers whose directory is gone: removed by kapsel-supervise's
 * auto_remove, or by a create that was killed.  S is locked exclusively. */
struct kstore;
int keng_release_gone(const struct keng *g, struct kstore *s, kerr *e);
/* container.json / status.json of ID, parsed; status.json missing is NULL
 * with 0. */
int keng_record(const struct keng *g, const char *id, json_object **out, kerr *e);
/* ID's supervisor is there (its process alive, its socket made). */
struct keng_state;
bool keng_supervised(const struct keng *g, const char *id, const struct keng_state *st);
/* REQ to ID's supervisor's control socket; *REPLY its answer (may be NULL). */
int keng_ctl_call(const struct keng *g, const char *id, json_object *req, json_object **reply, kerr *e);
/* supervise.json of ID from its record REC (store.c). */
int keng_supervise_json_write(const struct keng *g, const char *id, json_object *rec, kerr *e);
/* Write REC as ID's container.json (atomically), then its ps.json. */
int keng_record_write(const struct keng *g, const char *id, json_object *rec, kerr *e);
int keng_status_read(const struct keng *g, const char *id, json_object **out, kerr *e);
/* Write status.json (temp + rename). */
int keng_status_write(const struct keng *g, const char *id, json_object *st, kerr *e);
/* Parse the JSON file PATH; with MISSING_OK a missing file is NULL with 0. */
int keng_read_json(const char *path, json_object **out, bool missing_ok, kerr *e);
/* Write O to PATH (mode 0600, temp + rename), pretty-printed. */
int keng_write_json(const char *path, json_object *o, kerr *e);
/* The user namespace range of ID's config.json: its root is HOST.., SIZE
 * ids (0: no user namespace). */
int keng_userns_range(const struct keng *g, const char *id, int64_t *host, int64_t *size, kerr *e);
/* The --pid/--ipc/--network container:X namespaces of ID's config.json
 * pointed at X's init as it is now (X running, or an error naming it):
 * before every launch of the runtime with that config.  REC: ID's record
 * when the caller has it (NULL: read here). */
int keng_joins_refresh(struct keng *g, const char *id, json_object *rec, kerr *e);
/* keng_mounts_ensure with the container's record REC already read (NULL: read it). */
int keng_mounts_ensure_rec(struct keng *g, const char *id, json_object *rec, kerr *e);
/* The name in ID's container.json, without Docker's '/'; NULL if none. */
char *keng_record_name(const struct keng *g, const char *id);
/* The name index (names.c).  get: 1 with the ID of the container NAME
 * names, 0 when none does, -1 when the store has no index yet (scan the
 * records).  ensure builds it if missing (exclusive lock held); set
 * points NAME at ID; drop removes NAME if it points at ID. */
int keng_names_get(const struct keng *g, const char *name, char id[65]);
int keng_names_ensure(const struct keng *g, kerr *e);
int keng_names_set(const struct keng *g, const char *name, const char *id, kerr *e);
void keng_names_drop(const struct keng *g, const char *name, const char *id);
/* Run the runtime with ARGS (after --root); its stdio the caller's unless
 * QUIET (stdout and stderr then collected into E's message on failure).
 * Returns its exit status (>= 0) or -1. */
int keng_runtime(const struct keng *g, const char *const *args, bool quiet, kerr *e);

/* fork + exec ARGV with stdin from STDIN_FD (-1: /dev/null) and, when
 * OUT_FD >= 0, stdout and stderr to it; signals unblocked in the child. */
pid_t keng_spawn(char *const *argv, int stdin_fd, int out_fd, kerr *e);
/* The same with stderr to ERR_FD when that is >= 0. */
pid_t keng_spawn_err(char *const *argv, int stdin_fd, int out_fd, int err_fd, kerr *e);
/* Wait for PID: its exit status, 128 + signal, or -1. */
int keng_reap(pid_t pid, kerr *e);
/* Copy what is readable on FROM to TO; 0 at EOF (or a write failure). */
ssize_t keng_relay(int from, int to);
/* events.c: an event of container ID in ROOT/events.log, with one more
 * attribute KEY=VALUE (KEY may be NULL); _rec with its record at hand
 * (destroy: read before it goes).  Failures are warnings. */
void keng_event(const struct keng *g, const char *id, const char *action, const char *key, const char *value);
void keng_event_int(const struct keng *g, const char *id, const char *action, const char *key, long long value);
void keng_event_rec(const struct keng *g, json_object *rec, const char *id, const char *action, const char *key,
		    const char *value);

#endif
