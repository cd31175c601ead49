/* Container state: the directory under --root that names a container, the
 * state.json it holds, and the status derived from the live process. */
#ifndef KAPSEL_OCI_STATE_H
#define KAPSEL_OCI_STATE_H

#include "common/err.h"
#include "common/names.h"

#include <stdint.h>
#include <sys/types.h>

#define KID_MAX 255 /* it names a directory */

enum kstatus { KSTATUS_CREATING, KSTATUS_CREATED, KSTATUS_RUNNING, KSTATUS_PAUSED, KSTATUS_STOPPED };
KAPSEL_DECLARE_NAME_TABLE(kstatus, enum kstatus); /* "created" ... */

struct kstate {
	char *id;
	pid_t pid;
	uint64_t pid_start;        /* /proc/PID/stat field 22: guards against pid reuse */
	char *bundle, *rootfs;
	char *created;             /* RFC 3339 */
	uid_t owner;
	int started;               /* `start` has released the process */
	int creating;              /* still being created */
	char *cgroup_path;         /* the container's cgroup, relative to each hierarchy */
	char **annotations;        /* key, value, key, value, ..., NULL */
	char *config_json;         /* the config, for exec/update/policy (raw text) */
	int use_systemd;
	unsigned later_hooks;      /* 1 << OCI_HOOK_POSTSTART | POSTSTOP the config has */
	int oom_killed;            /* derived: the kernel OOM-killed in it (not stored) */
};

/* Valid id: 1..KID_MAX bytes of [A-Za-z0-9_+.-], not "." or "..". */
int kid_validate(const char *id, kerr *e);

/* root/id as a path (static buffer semantics avoided: caller's buffer). */
int kstate_dir(const char *root, const char *id, char *out, size_t n, kerr *e);

int kstate_write(const char *root, const struct kstate *st, kerr *e);
/* Write PID to PATH (atomically), as --pid-file asks. */
int kstate_write_pid_file(const char *path, pid_t pid, kerr *e);
/* Remove the state directory of ID and every file in it. */
int kstate_remove(const char *root, const char *id, kerr *e);
/* Returns -1 with errnum ENOENT when the container does not exist. */
int kstate_read(const char *root, const char *id, struct kstate *st, kerr *e);
void kstate_free(struct kstate *st);

/* Derive the live status. */
enum kstatus kstate_status(const struct kstate *st);
/* Start time of a process (0 if gone). */
uint64_t kproc_start_time(pid_t pid);
/* 1 if PID is alive and is the process the state describes. */
int kstate_alive(const struct kstate *st);

/* OCI state JSON (what `state` prints and hooks read on stdin). */
char *kstate_oci_json(const struct kstate *st, enum kstatus status, int pretty);

#endif
