/* The containers of `kapsel create/run/start/stop/kill/rm/ps/inspect/wait`.
 *
 *   ROOT/containers/lock              flock: shared to read, exclusive to change
 *   ROOT/containers/<id>/             one container (0700), <id> 64 hex digits
 *     container.json                  the record: Docker's inspect fields that do
 *                                     not change (Id, Name, Created, Image, Path,
 *                                     Args, Config, HostConfig, Mounts, GraphDriver)
 *     bundle/config.json, rootfs/     the OCI bundle kapsel-runtime runs; rootfs
 *                                     is the overlay mounted at create
 *     upper/, work/                   the overlay's writable layer
 *     supervise.json                  for kapsel-supervise (SUPERVISE_CONTRACT.md)
 *     status.json                     the state, written by whoever holds the
 *                                     container (the supervisor, or a foreground
 *                                     `kapsel run`), temp + rename
 *   ROOT/netns/<id>                   its network namespace (loopback up), bind-
 *                                     mounted; released by rm, or by the next
 *                                     create once the directory is gone
 *
 * Contract.  keng_create builds everything before anything is visible:
 * the image is resolved and its layers found, the overlay is mounted
 * detached, the user, working directory and mount points are resolved
 * inside it (openat2 RESOLVE_IN_ROOT), config.json is built, the overlay
 * attached, and container.json written last (temp + rename): a directory
 * without it is not a container, and a failure removes all of it (what a
 * killed create left is swept by the next create, under the exclusive
 * lock).  Names are unique ([a-zA-Z0-9][a-zA-Z0-9_.-]*,
 * as Docker's), the record is found by name, ID or a unique ID prefix.
 * The runtime's policy checks every container kapsel makes: kapsel never
 * passes a flag that skips it. */
#ifndef KAPSEL_ENGINE_H
#define KAPSEL_ENGINE_H

#include "common/err.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define KENG_UNSET INT64_MIN

/* The defaults of kapsel.conf [run] (docs/run.md); keng_defaults_load
 * starts from the built-in values below and applies the file. */
struct keng_defaults {
	char *user;        /* "65534:65534" when the image has no USER */
	int64_t memory;    /* bytes; swap = memory (no extra swap) */
	int64_t nano_cpus; /* 1e9 = one CPU */
	int64_t cpu_shares;
	int64_t pids_limit;
	int64_t nofile, nproc; /* rlimits, soft = hard */
	bool read_only;
	char *network;        /* "none" */
	int64_t tmp_size;     /* /tmp and /var/tmp */
	int64_t run_size;     /* /run */
	int64_t volume_size;  /* each image Volume (a tmpfs) */
	char *restart;        /* "on-failure:5" */
	int64_t stop_timeout; /* seconds */
	char *log_driver;     /* "json-file" */
	char *log_max_size, *log_max_file;
	int64_t userns_host_uid, userns_size; /* --user 0: 0..size-1 -> host_uid.. */
};

int keng_defaults_load(const char *conf_path, struct keng_defaults *d, kerr *e);
void keng_defaults_clear(struct keng_defaults *d);
/* Docker's --cpus ("1.5") in nano CPUs. */
int keng_cpus_parse(const char *s, int64_t *nano, kerr *e);

/* What the user asked for (Docker's flags); strings point into argv. */
struct keng_opts {
	const char *image;      /* the reference */
	char **args;            /* after the image (may be NULL) */
	const char *name;       /* NULL: a generated one */
	char **env;             /* KEY=VALUE, --env-file first then -e */
	const char *entrypoint; /* NULL: the image's */
	const char *workdir;
	const char *user;
	char **group_add;
	int read_only; /* -1: the default */
	char **cap_add, **cap_drop;
	char **security_opt;
	int64_t memory, memory_swap, cpu_shares, pids_limit; /* KENG_UNSET */
	const char *cpus;
	char **ulimits; /* "nofile=1024[:2048]" */
	const char *network;
	char **tmpfs;  /* "/path[:opts]" */
	char **labels; /* KEY=VALUE */
	const char *hostname;
	const char *stop_signal;
	int stop_timeout; /* -1: the default */
	const char *restart;
	int tty, interactive, auto_remove;
	/* health checks, for the supervisor */
	const char *health_cmd;
	int64_t health_interval, health_timeout, health_start_period; /* ns, KENG_UNSET */
	int health_retries;                                           /* -1 */
	int no_healthcheck;
	/* logs: Docker's --log-driver and --log-opt KEY=VALUE (the supervisor
	 * checks them, docs/supervise.md) */
	const char *log_driver; /* NULL: kapsel.conf's */
	char **log_opts;
};

struct keng; /* the container store, locked */
#define KENG_SHARED 0
#define KENG_EXCLUSIVE 1

/* ROOT is kapsel's --root (the image store's too); RUNTIME the
 * kapsel-runtime program, SUPERVISE kapsel-supervise (may be NULL: not
 * installed). */
int keng_open(const char *root, int mode, const char *runtime, const char *supervise, struct keng **out, kerr *e);
void keng_close(struct keng *g);
/* Change the lock: KENG_SHARED, KENG_EXCLUSIVE, or -1 to release it. */
int keng_relock(struct keng *g, int mode, kerr *e);
const char *keng_runtime_root(const struct keng *g);

/* Create the container (exclusive lock): *id_out is its ID (65 bytes). */
int keng_create(struct keng *g, const struct keng_opts *o, const struct keng_defaults *d, char id_out[65], kerr *e);

/* Find a container by name, ID or unique ID prefix; *id 65 bytes. */
int keng_resolve(const struct keng *g, const char *ref, char id[65], kerr *e);
/* Every container ID, newest first (free with kstrv_free). */
int keng_list(const struct keng *g, char ***ids, kerr *e);

/* The container's state, read from status.json and checked against the
 * processes: a holder that is gone while status.json says running is
 * reported as "dead" (with Error saying so). */
struct keng_state {
	char status[16]; /* Docker's: created running restarting exited dead */
	pid_t pid;       /* container init, 0 when not running */
	pid_t holder;    /* supervisor or foreground kapsel run, 0 if none */
	int exit_code;
	bool oom_killed;
	char started_at[48], finished_at[48];
	int restart_count;
	char error[256];
};
int keng_state(const struct keng *g, const char *id, struct keng_state *st, kerr *e);

/* Docker's inspect object (Id, Name, State, Config, HostConfig, Mounts,
 * NetworkSettings ...). */
int keng_inspect(const struct keng *g, const char *id, json_object **out, kerr *e);

/* Run the container in the foreground: kapsel-runtime run with this
 * process's stdio, status.json kept by this process, the exit code
 * returned (>= 0).  The store lock is released while it runs. */
int keng_run_foreground(struct keng *g, const char *id, bool interactive, kerr *e);
/* Start it under kapsel-supervise (detached): returns once it runs. */
int keng_start(struct keng *g, const char *id, kerr *e);
/* Send SIG; stop: the stop signal, SIGKILL after TIMEOUT seconds (< 0:
 * the container's), return once it exited. */
int keng_kill(struct keng *g, const char *id, int sig, kerr *e);
int keng_stop(struct keng *g, const char *id, int timeout, kerr *e);
/* Wait until it exited for good; *code its exit code. */
int keng_wait(struct keng *g, const char *id, int *code, kerr *e);
/* Give the container the name NAME (exclusive lock; unique, as create's). */
int keng_rename(struct keng *g, const char *id, const char *name, kerr *e);
/* Remove (FORCE: kill a running one first): unmount the overlay and the
 * network namespace, delete it from the runtime, remove the directory. */
int keng_remove(struct keng *g, const char *id, bool force, kerr *e);

#endif
