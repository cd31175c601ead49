/* Inside engine/: the store handle shared by store.c and lifecycle.c. */
#ifndef KAPSEL_ENGINE_INTERNAL_H
#define KAPSEL_ENGINE_INTERNAL_H

#include "engine.h"

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
int keng_status_read(const struct keng *g, const char *id, json_object **out, kerr *e);
/* Write status.json (temp + rename). */
int keng_status_write(const struct keng *g, const char *id, json_object *st, kerr *e);
/* Run the runtime with ARGS (after --root); its stdio the caller's unless
 * QUIET (stdout and stderr then collected into E's message on failure).
 * Returns its exit status (>= 0) or -1. */
int keng_runtime(const struct keng *g, const char *const *args, bool quiet, kerr *e);

/* events.c: an event of container ID in ROOT/events.log, with one more
 * attribute KEY=VALUE (KEY may be NULL); _rec with its record at hand
 * (destroy: read before it goes).  Failures are warnings. */
void keng_event(const struct keng *g, const char *id, const char *action, const char *key, const char *value);
void keng_event_int(const struct keng *g, const char *id, const char *action, const char *key, long long value);
void keng_event_rec(const struct keng *g, json_object *rec, const char *id, const char *action, const char *key,
		    const char *value);

#endif
