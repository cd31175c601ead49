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
 *   ROOT/volumes/<name>/              a named volume (0700): volume.json and
 *                                     _data, the directory -v NAME mounts
 *   ROOT/netns/<id>.json              its CNI attachment (bridge or a user
 *                                     network: engine/network.h), DELeted the
 *                                     same way
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
#define KENG_NO_OOM_ADJ INT32_MIN

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
	bool log_compress;                    /* rotated log files gzipped (true) */
	int64_t userns_host_uid, userns_size; /* --user 0: 0..size-1 -> host_uid.. */
	/* [network] */
	char *bridge_name;     /* "kapsel0": the default bridge network's */
	char *bridge_subnet;   /* "10.89.0.0/16" */
	char *publish_address; /* "127.0.0.1": -p's host address when none is given */
	char *cni_path;        /* "/usr/lib/cni:/opt/cni/bin": where the CNI plugins are */
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
	int64_t memory_reservation, cpu_period, cpu_quota, shm_size; /* KENG_UNSET */
	const char *cpuset_cpus, *cpuset_mems;                        /* NULL: any */
	int blkio_weight;                                             /* -1: none */
	char **device_read_bps, **device_write_bps, **device_read_iops, **device_write_iops; /* PATH:RATE */
	int oom_score_adj;                                            /* KENG_NO_OOM_ADJ: none */
	const char *domainname;
	const char *pid_mode, *ipc_mode, *uts_mode; /* --pid, --ipc, --uts: NULL private, host, container:NAME */
	int publish_all;  /* -P: every exposed port on a picked host port */
	char **expose;    /* --expose PORT[-END][/PROTO] */
	char **ulimits; /* "nofile=1024[:2048]" */
	const char *network;
	/* the other --network: connected after the first (bridge or user
	 * networks), each with its aliases and address (may be NULL) */
	const struct keng_net_more {
		const char *name;
		char **aliases;
		const char *ip;
	} *networks_more;
	size_t n_networks_more;
	char **network_aliases; /* --network-alias NAME: more names on its (first) user network */
	const char *ip;         /* --ip: its address on its (first) user network; NULL: picked */
	char **publish; /* -p [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp] */
	char **tmpfs;   /* "/path[:opts]" */
	char **volumes; /* -v SRC:DST[:OPTS] (engine/mounts.h) */
	char **mounts;  /* --mount type=...,target=... */
	char **volumes_from; /* --volumes-from CONTAINER[:ro|rw]: its volumes and binds, at their places */
	char **labels;  /* KEY=VALUE */
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
	const char *init; /* --init: kapsel-init on the host, run as PID 1; NULL: none */
	char **devices;   /* --device HOST[:CONTAINER][:PERMS] */
	char **sysctls;   /* --sysctl KEY=VALUE */
	int64_t health_start_interval; /* ns, KENG_UNSET */
	const char *health_on_failure; /* none kill restart stop (Podman's); NULL: none */
	/* logs: Docker's --log-driver and --log-opt KEY=VALUE (the supervisor
	 * checks them, docs/supervise.md) */
	const char *log_driver; /* NULL: kapsel.conf's */
	char **log_opts;
	/* KEY=VALUE annotations the program itself sets (the scan verdict,
	 * io.kapsel.scan.*), after the labels: reserved keys are allowed
	 * here, so this never carries anything a user or an image gave */
	char **annotations;
	/* --userns: NULL, "" or "private" (root in a user namespace, the
	 * default); "host": root is the host's root, checked by the runtime at
	 * the restricted level (rule R1 refuses it unless the policy exempts) */
	const char *userns;
	char **add_hosts;   /* --add-host HOST:IP (IP may be host-gateway) */
	char **dns;         /* --dns IP */
	char **dns_search;  /* --dns-search DOMAIN */
	char **dns_options; /* --dns-option OPT */
};

/* Where --init's kapsel-init is in the container. */
#define KENG_INIT_PATH "/sbin/kapsel-init"

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

/* Mount what a container runs on and a reboot took away: its overlay root
 * (from the image's layers, idmapped again for a user namespace) and its
 * network namespace.  What is mounted is left alone (start calls it). */
int keng_mounts_ensure(struct keng *g, const char *id, kerr *e);

/* Whether the container was last stopped by stop or kill (and not
 * started since): unless-stopped leaves it down after a reboot. */
bool keng_stopped_by_user(const struct keng *g, const char *id);

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
	char hint[512]; /* after a non-zero exit: the flag behind it (common/hints.h), or "" */
};
int keng_state(const struct keng *g, const char *id, struct keng_state *st, kerr *e);
/* Freeze (PAUSE) or thaw ID's processes: the runtime's pause/resume and
 * DIR/paused, which makes its status "paused" (Docker's); a "pause" or
 * "unpause" event. */
#define KENG_PAUSED_MARK "paused"
int keng_pause(struct keng *g, const char *id, bool pause, kerr *e);

/* `kapsel update`: the changes (KENG_UNSET, NULL, -1: unchanged). */
struct keng_update {
	int64_t memory, memory_swap, memory_reservation, cpu_shares, cpu_period, cpu_quota, pids_limit;
	const char *cpus, *cpuset_cpus, *cpuset_mems;
	int blkio_weight;
	const char *restart; /* no, on-failure[:N], always, unless-stopped */
};
/* Change REF's limits (live when it runs: the runtime's update first) and
 * restart policy (its supervisor told); config.json, the record and
 * supervise.json follow; an "update" event. */
int keng_update(struct keng *g, const struct keng_defaults *d, const char *ref, const struct keng_update *u, kerr *e);

/* `docker top`: the runtime's ps of the running container, ps(1) run with
 * PS_ARGS (NULL or empty: -ef), its header and the container's lines on
 * this process's stdout. */
int keng_top(const struct keng *g, const char *id, char *const *ps_args, kerr *e);

/* `docker diff`: the changes of the container's root filesystem against
 * its image, "A /path", "C /path", "D /path", sorted by path (free with
 * kstrv_free). */
int keng_diff(const struct keng *g, const char *id, char ***lines, kerr *e);

/* `docker export`: the container's root filesystem as a tar on OUT. */
int keng_export(struct keng *g, const char *id, int out, kerr *e);

/* The container's root filesystem as it is now, for reading (kapsel
 * scan): a directory fd of the overlay at bundle/rootfs while it is
 * mounted (from create to rm), else (after a reboot unmounted it) a
 * detached read-only overlay of its upper directory over the image's
 * layers (nosuid, nodev; gone when the fd is closed).  Open files under
 * it with openat2 RESOLVE_IN_ROOT: it is the container's tree. */
int keng_rootfs_open(const struct keng *g, const char *id, kerr *e);

/* PATH as a tar on OUT: NAME of directory DFD, a whole tree without
 * following a symlink ("." the directory's content); owners in
 * MAP_HOST..+MAP_SIZE shifted back to 0.. (MAP_SIZE 0: none). */
int keng_tar_at(int dfd, const char *name, int out, int64_t map_host, int64_t map_size, kerr *e);

/* `docker cp` (engine/cp.c for the rules).  ARCHIVE: -a, owners and modes
 * kept; FOLLOW: -L, the source's last symlinks followed. */
struct keng_cp {
	bool archive, follow;
};
/* From the container's SRC to the host's DEST, or as a tar on OUT when
 * DEST is NULL. */
int keng_cp_out(struct keng *g, const char *id, const char *src, const char *dest, int out, const struct keng_cp *c,
		kerr *e);
/* From the host's SRC, or the tar on IN when SRC is NULL, to the
 * container's DEST. */
int keng_cp_in(struct keng *g, const char *id, const char *src, int in, const char *dest, const struct keng_cp *c,
	       kerr *e);

/* Docker's inspect object (Id, Name, State, Config, HostConfig, Mounts,
 * NetworkSettings ...). */
int keng_inspect(const struct keng *g, const char *id, json_object **out, kerr *e);
/* For `ps`: every container, newest first (*out has *n entries and a NULL
 * after them: put each and free the array), of each only what ps shows, in
 * the inspect object's shape (Id, Name, Created, Path, Args, Config.Image,
 * Config.Labels, HostConfig.NetworkMode, Mounts' Type/Name/Source,
 * NetworkSettings.Ports, State's Status, ExitCode, Error, StartedAt,
 * FinishedAt), from ROOT/containers/<id>/ps.json while it matches the
 * record (the record itself otherwise) and status.json. */
int keng_ps_all(const struct keng *g, json_object ***out, size_t *n, kerr *e);

/* Run the container in the foreground: kapsel-runtime run with this
 * process's stdio, status.json kept by this process, the exit code
 * returned (>= 0; 127 when the program is not in the container, 126 when
 * it cannot be executed, the container then left as it was).  The store
 * lock is released while it runs. */
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
 * network namespace, delete it from the runtime, remove the directory;
 * with VOLUMES its anonymous volumes too (those no other container uses). */
int keng_remove(struct keng *g, const char *id, bool force, bool volumes, kerr *e);

/* Run CMD in the running container ID (kapsel-runtime exec, with the
 * container's process settings): the command's exit status (>= 0), or -1.
 * USER is NAME|UID[:GROUP|GID] looked up in the container's own
 * /etc/passwd and /etc/group; ENV adds to the container's environment.
 * DETACH returns once it runs (0). */
struct keng_exec {
	char **cmd;
	char **env;
	const char *user, *workdir;
	bool tty, interactive, detach;
};
int keng_exec(struct keng *g, const char *id, const struct keng_exec *x, kerr *e);

/* ---- named volumes: ROOT/volumes/NAME/{volume.json,_data} ----
 * Docker's local driver: created by `volume create` or at a container's
 * first -v NAME:/path; a volume a container's record mounts is in use and
 * cannot be removed. */
/* NAME NULL: an anonymous name; an existing NAME is that volume. */
int keng_volume_create(struct keng *g, const char *name, char *const *labels, char name_out[256], kerr *e);
/* Every volume name, sorted. */
int keng_volume_list(const struct keng *g, char ***names, kerr *e);
/* Docker's volume inspect object (ENOENT: "no such volume"). */
int keng_volume_inspect(const struct keng *g, const char *name, json_object **out, kerr *e);
/* The IDs of the containers that mount NAME. */
int keng_volume_users(const struct keng *g, const char *name, char ***ids, kerr *e);
/* EBUSY while a container uses it (Docker's "volume is in use"). */
int keng_volume_remove(struct keng *g, const char *name, kerr *e);
/* Remove the unused anonymous volumes (ALL: every unused one). */
int keng_volume_prune(struct keng *g, bool all, char ***removed, kerr *e);

#endif
