/* kapsel: the engine and the tools around the runtime, on libkapsel.
 * main.c holds the command table (src/cli); one file per command. */
#ifndef KAPSEL_KAPSEL_H
#define KAPSEL_KAPSEL_H

#include "cli.h"
#include "common/err.h"

#include "engine/engine.h"

struct kstore;
struct keng;

/* kapsel's global options (before the command). */
struct kapsel_globals {
	const char *root;   /* the image store (--root, default KSTORE_ROOT) */
	const char *config; /* kapsel.conf (--config, default KCONF_PATH) */
};

extern const struct cli_command cmd_audit;
extern const struct cli_command cmd_load;
extern const struct cli_command cmd_images;
extern const struct cli_command cmd_image;
extern const struct cli_command cmd_tag;
extern const struct cli_command cmd_rmi;
extern const struct cli_command cmd_create;
extern const struct cli_command cmd_run;
extern const struct cli_command cmd_start;
extern const struct cli_command cmd_stop;
extern const struct cli_command cmd_kill;
extern const struct cli_command cmd_rm;
extern const struct cli_command cmd_ps;
extern const struct cli_command cmd_inspect;
extern const struct cli_command cmd_wait;
extern const struct cli_command cmd_top;
extern const struct cli_command cmd_diff;
extern const struct cli_command cmd_export;
extern const struct cli_command cmd_cp;
extern const struct cli_command cmd_logs;
extern const struct cli_command cmd_rename;
extern const struct cli_command cmd_update;
extern const struct cli_command cmd_pause, cmd_unpause;
extern const struct cli_command cmd_restart;
extern const struct cli_command cmd_container;
extern const struct cli_command cmd_volume;
extern const struct cli_command cmd_exec;
extern const struct cli_command cmd_network;
extern const struct cli_command cmd_port;
extern const struct cli_command cmd_events;
extern const struct cli_command cmd_pull;
extern const struct cli_command cmd_push;
extern const struct cli_command cmd_login;
extern const struct cli_command cmd_logout;
extern const struct cli_command cmd_stats;
extern const struct cli_command cmd_monitor;

/* Where `stats` and `monitor` look for containers (monitor_src.c): the
 * options of struct kmon_sources.  A command's option struct has a struct
 * kmon_src_args as its FIRST member (the included rows' offsets are
 * relative to it) and includes them with KMON_SRC_OPTIONS(T, member). */
struct kmon_sources;
struct kmon_src_args {
	const char *runtime_root, *docker_host, *podman_root, *podman_runroot;
	char **task_roots;
};
extern const struct cli_option kmon_src_options[];
#define KMON_SRC_OPTIONS(T, m)                                                                           \
	{ .type = CLI_T_INCLUDE,                                                                         \
	  .data = kmon_src_options,                                                                      \
	  .offset = CLI_TYPE_IS(T, m, struct kmon_src_args) +                                            \
		    0 * sizeof(char[offsetof(T, m) == 0 ? 1 : -1]) }
void kmon_src_from_args(const struct kmon_src_args *a, struct kmon_sources *out);
extern const struct cli_command cmd_import;
extern const struct cli_command cmd_save;
extern const struct cli_command cmd_system;
extern const struct cli_command cmd_image_prune;
extern const struct cli_command cmd_scan;
extern const struct cli_command cmd_image_sign;
extern const struct cli_command cmd_image_verify;

/* An image event in ROOT/events.log (common/events.h): ID the image's ID
 * or reference, NAME its "name" attribute (NULL: ID).  A failure is a
 * warning. */
void kapsel_image_event(const struct cli_call *c, const char *action, const char *id, const char *name);

/* Open the image store of --root with lock MODE (KSTORE_SHARED or
 * KSTORE_EXCLUSIVE); on failure the error is reported and the exit code
 * returned (> 0). */
int kapsel_store(const struct cli_call *c, int mode, struct kstore **out);

/* ---- containers (src/lib/engine) ---- */

/* kapsel run's own failures exit with 125, as Docker's (the container's
 * exit code is everything else); the other commands with 1. */
#define KAPSEL_RUN_FAILED 125
int kapsel_run_failed(const struct cli_call *c);

/* create's and run's options (cmd_create.c). */
struct create_args {
	struct keng_opts o;
	char **env, **env_files;
	char **networks; /* --network, --net: the first is o.network, the others o.networks_more */
	struct keng_net_more *more; /* what build_networks made of them */
	char **net_strings;         /* the values it cut out of them */
	char **label_files; /* --label-file: KEY=VALUE lines, before --label's */
	const char *cidfile; /* --cidfile: the ID written there (the file must not exist) */
	const char *pull, *platform; /* --pull missing|always|never, --platform of the pull */
	int privileged;              /* --privileged: refused with the flags to use instead */
	int cpu_shares, pids_limit;
	int init;
	const char *trust_policy; /* --trust-policy: the one create/run obey (default /etc/kapsel/trust.json) */
};
extern const struct cli_option create_options[];
/* What create_args start as: every limit "not given" (kapsel.conf's then). */
#define CREATE_DEFAULTS                                                                                           \
	{                                                                                                          \
		.o = { .read_only = -1, .memory = KENG_UNSET, .memory_swap = KENG_UNSET, .cpu_shares = KENG_UNSET, \
		       .pids_limit = KENG_UNSET, .stop_timeout = -1, .health_interval = KENG_UNSET,                \
		       .health_timeout = KENG_UNSET, .health_start_period = KENG_UNSET, .health_retries = -1,     \
		       .health_start_interval = KENG_UNSET, .memory_reservation = KENG_UNSET,                       \
		       .cpu_period = KENG_UNSET, .cpu_quota = KENG_UNSET, .shm_size = KENG_UNSET,                  \
		       .blkio_weight = -1, .oom_score_adj = KENG_NO_OOM_ADJ },                                    \
		.cpu_shares = -1, .pids_limit = INT32_MIN,                                                         \
	}
/* Create the container of C's IMAGE [COMMAND...] with C's create_args:
 * its ID in ID, or the exit code (> 0) after reporting the error. */
int kapsel_create_container(const struct cli_call *c, struct keng *g, char id[65]);
/* Remove the --cidfile PATH that create wrote for ID (a file holding
 * anything else is left alone), when the container is removed again. */
void kapsel_cidfile_remove(const char *path, const char *id);
/* kapsel.conf [scan] refuse_on = SEVERITY or annotate = yes (cmd_scan.c):
 * the image's scan verdict (cached by config and index digest), 0 when
 * the image may run with *ANNOTATIONS the verdict as io.kapsel.scan.*
 * KEY=VALUEs for config.json (the runtime's policy rule S1 reads them;
 * NULL when neither key is set); -1 (EPERM, naming the worst finding)
 * when an actionable vulnerability is at or above refuse_on, or no
 * verdict is reached (no or stale index, no package database). */
int kapsel_scan_gate(const struct cli_call *c, const char *image, char ***annotations, kerr *e);

/* Open the container store of --root with lock MODE (KENG_SHARED or
 * KENG_EXCLUSIVE), kapsel-runtime and kapsel-supervise found beside this
 * program (KAPSEL_RUNTIME, KAPSEL_SUPERVISE override). */
int kapsel_engine(const struct cli_call *c, int mode, struct keng **out);
const char *kapsel_conf_path(const struct cli_call *c);
/* The environment of --env-file FILES then -e ARGS (Docker's order): a
 * bare KEY takes kapsel's own value, dropped when it has none.  Returns 0
 * with *OUT, or the exit code after reporting (create, run, exec). */
int kapsel_env(const struct cli_call *c, char **env_files, char **env_args, char ***out);
/* PROG beside kapsel (or in the build tree's SUBDIR); NULL if neither. */
char *kapsel_find_beside(const char *prog, const char *subdir);
/* Resolve REF to an ID, reporting a failure (returns the exit code). */
int kapsel_container(const struct cli_call *c, struct keng *g, const char *ref, char id[65]);
/* --format json|TEMPLATE of ps and inspect: check it once (a usage error
 * returns its exit code), then print O as one JSON line or through the
 * template (returns 0 or the exit code). */
int kapsel_format_check(const struct cli_call *c, const char *format);
int kapsel_format_print(const struct cli_call *c, const char *format, json_object *o);
/* The loop of inspect and volume inspect: FN gives the object of each
 * argument (or fails: 1 when it reported the failure itself, -1 with E);
 * printed as a JSON array, or each one through FORMAT.  Returns the exit
 * code. */
typedef int (*kapsel_inspect_fn)(const struct cli_call *c, struct keng *g, const char *ref, json_object **out,
				 kerr *e);
int kapsel_inspect_each(const struct cli_call *c, const char *format, kapsel_inspect_fn fn);
/* The loop of start/stop/kill/rm/wait: open the store (shared), resolve
 * each argument and call FN with the store locked shared; print the
 * argument when FN returns 0 and PRINT_REF, report E when it fails.
 * Returns the exit code (1 when any failed). */
typedef int (*kapsel_container_fn)(const struct cli_call *c, struct keng *g, const char *id, kerr *e);
int kapsel_each_container(const struct cli_call *c, kapsel_container_fn fn, bool print_ref);
/* --keep-setuid and --keep-file-caps of load, import and pull: fields
 * keep_setuid and keep_file_caps of the command's struct TYPE. */
#define KAPSEL_KEEP_OPTIONS(type)                                                                               \
	CLI_OPT_FLAG(0, "keep-setuid", type, keep_setuid,                                                      \
		     "keep the setuid/setgid bits of the image's files (removed by default)"),                   \
		CLI_OPT_FLAG(0, "keep-file-caps", type, keep_file_caps,                                        \
			     "keep the file capabilities (security.capability) of the image's files (dropped by default)")
#define KAPSEL_KEEP(a) (((a)->keep_setuid ? KSTORE_KEEP_SETUID : 0u) | ((a)->keep_file_caps ? KSTORE_KEEP_FILE_CAPS : 0u))

/* The registry options of pull, push and login (cmd_login.c). */
#include "image/registry.h"
struct kapsel_registry_args {
	const char *auth_file; /* --authfile */
	const char *certs_dir; /* --certs-dir */
};
/* --authfile and --certs-dir, for a command struct whose first member is
 * a struct kapsel_registry_args. */
extern const struct cli_option kapsel_registry_options[];
struct kapsel_registry {
	struct kreg_opts o;
	char *auth_file, *certs_dir;
	char **insecure; /* kapsel.conf [registries] insecure */
};
/* Fill OUT from kapsel.conf and A; on failure the error is reported and
 * the exit code returned (> 0). */
int kapsel_registry_setup(const struct cli_call *c, const struct kapsel_registry_args *a, struct kapsel_registry *out);
void kapsel_registry_done(struct kapsel_registry *r);

/* Pull REF into the store (cmd_pull.c) as H says: `kapsel pull`, and
 * `run --pull` (its display on stderr, its failure the run's 125). */
struct kapsel_pull_how {
	const struct kapsel_registry_args *reg; /* NULL: the defaults */
	const char *platform, *trust_policy;    /* NULL: this host's, the default policy */
	int parallel;                           /* 0: the default */
	unsigned keep;                          /* KAPSEL_KEEP */
	int quiet, to_stderr;
	int fail_code; /* 0: CLI_EXIT_FAILURE */
};
int kapsel_pull_image(const struct cli_call *c, const struct kapsel_pull_how *h, const char *ref);

/* The transfer display of pull and push (progress.c): a kreg_progress_fn
 * with a struct kapsel_progress as its UD. */
struct kapsel_progress_words {
	const char *exists, *moving, *done; /* "Already exists", "Downloading", "Pull complete" */
};
extern const struct kapsel_progress_words kapsel_pull_words, kapsel_push_words;
struct kapsel_progress_row;
struct kapsel_progress {
	int tty, quiet;
	FILE *out; /* NULL: stdout */
	const struct kapsel_progress_words *words;
	struct kapsel_progress_row *rows;
	size_t n, drawn;
	double last;
};
void kapsel_progress_event(void *ud, enum kreg_event ev, const char *digest, int64_t done, int64_t total);
/* The last state on a terminal (after the transfers). */
void kapsel_progress_end(struct kapsel_progress *p);
void kapsel_progress_done(struct kapsel_progress *p);

#endif
