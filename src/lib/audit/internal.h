/* Shared inside the audit library: the context the checks read, the
 * normalised container model, the data collectors and the helpers checks
 * use to record evidence. */
#ifndef KAPSEL_AUDIT_INTERNAL_H
#define KAPSEL_AUDIT_INTERNAL_H

#include "audit.h"
#include "common/json.h"
#include "common/str.h"
#include "common/strv.h"
#include "docker/docker.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- lazily loaded data ---- */

struct lazy {
	pthread_mutex_t m;
	int done;
};
#define LAZY_INIT { PTHREAD_MUTEX_INITIALIZER, 0 }

/* ---- dockerd's effective configuration (daemon.c) ---- */

struct dflag {
	char *name;   /* long name without dashes: "iptables", "host" */
	char *value;  /* "true" for a bare boolean */
};

struct daemon_cfg {
	int found;                 /* a dockerd process was matched */
	pid_t pid;
	char *exe;                 /* /proc/PID/exe */
	uid_t uid;
	struct dflag *flags;       /* from the command line, in order */
	size_t nflags;
	char *json_path;           /* the daemon.json in effect (may not exist) */
	int json_exists;
	json_object *json;         /* parsed daemon.json, or NULL */
	struct dflag *jflags;      /* its top-level values as strings (serialised once, at load) */
	size_t njflags;
	char *json_error;          /* why it could not be read, or NULL */
	unsigned long long nofile_soft, nofile_hard; /* RLIMIT_NOFILE of dockerd, ~0 for unlimited */
	int limits_known;
	pid_t containerd_pid;
	char *containerd_exe;
};

/* A setting from the effective configuration: the command line first
 * (`--name`), then daemon.json (`key`). */
struct dsetting {
	const char *value;         /* NULL if not set */
	json_object *jvalue;       /* the daemon.json value when it came from there */
	char source[96];           /* "dockerd --iptables" or "daemon.json icc" */
};
int audit_dcfg_get(const struct daemon_cfg *c, const char *flag, const char *json_key, struct dsetting *s);
/* Booleans: returns 1/0 and fills s, or DEF when not set. */
int audit_dcfg_bool(const struct daemon_cfg *c, const char *flag, const char *json_key, int def, struct dsetting *s);
/* Every value of a repeatable flag plus the daemon.json array; returns a
 * NULL-terminated vector (free with kstrv_free). */
char **audit_dcfg_list(const struct daemon_cfg *c, const char *flag, const char *short_flag, const char *json_key);
void audit_daemon_cfg_free(struct daemon_cfg *c);
/* Find the dockerd serving SOCKET (its -H flags or the default) and read
 * its configuration; DAEMON_JSON overrides the file. */
void audit_daemon_cfg_load(struct daemon_cfg *c, const char *socket, const char *daemon_json, json_object *info);

/* ---- the normalised container (containers.c) ---- */

struct kmount {
	char *type, *src, *dst, *propagation;
	int rw;
};

struct kport {
	char *host_ip;       /* "" for every interface */
	int host_port;       /* 0: chosen by the daemon */
	char *cport;         /* "80/tcp" */
};

enum { TRI_UNKNOWN = -1 };

struct kcont {
	char *source;        /* "docker" or "oci" */
	char *kind;          /* evidence kind: "container" or "bundle" */
	char *id, *name;     /* name: docker name without '/', or the config.json path */
	char *image;
	int running;
	pid_t pid;
	json_object *raw;    /* the inspect or config.json document */
	json_object *labels; /* borrowed from raw */
	char **ignore;       /* check ids from the kapsel.audit.ignore label */

	int privileged;
	char *user;          /* "" when unset */
	int caps_known;
	uint64_t caps;       /* effective capability set (bit = cap number) */
	int readonly_root;
	int net_host, pid_host, ipc_host, uts_host, userns_host, cgroupns_host;
	int64_t memory;      /* bytes, 0 unlimited */
	int cpu_limited;     /* shares, quota, NanoCpus or cpuset set */
	char cpu_desc[96];
	int64_t pids_limit;  /* <= 0 unlimited */
	int restart_known;
	char *restart_name;
	int restart_max;
	char *apparmor;      /* profile, "" when none */
	char *selinux;       /* label options, "" when none */
	int seccomp_unconfined;
	char *seccomp_desc;
	int nnp;             /* no_new_privs set on the container (not counting the daemon default) */
	struct kmount *mounts;
	size_t nmounts;
	int ports_known;
	struct kport *ports;
	size_t nports;
	char **devices;      /* "host:container:perms" */
	int ulimits_known, has_ulimits;
	int health_known, has_health;
	char *cgroup_parent;
	char **cmd;          /* entrypoint + command */
	char *network_mode;
	char **networks;
	char **exec_ids;
};

void kcont_free(struct kcont *c);
/* From `GET /containers/{id}/json` (takes a reference on J). */
int kcont_from_docker(struct kcont *c, json_object *j, kerr *e);
/* From an OCI bundle directory or a config.json file. */
int kcont_from_oci(struct kcont *c, const char *path, kerr *e);
/* Name and label filters of the options; 1 keeps the container. */
int kcont_selected(const struct kcont *c, const struct audit_opts *o);
/* Is the configured user root ("", "root", "0", "0:0", "root:root", "0:x") */
int audit_user_is_root(const char *user);

/* ---- images from the engine (in containers.c's loader) ---- */

struct audit_image {
	char *id, *name;     /* name: first RepoTag or the short id */
	json_object *inspect;
	json_object *history;/* array from /images/{id}/history */
	int used;            /* a container uses it */
};

/* ---- image tarballs (imagefs.c) ---- */

struct kfile {
	char *path;          /* "etc/shadow", no leading slash */
	unsigned mode;       /* type and permission bits */
	uid_t uid;
	gid_t gid;
	int64_t size;
	char *data;          /* the content of small files that checks read, else NULL */
	size_t len;
	char *link;          /* symlink target */
	int private_key;     /* content has a PEM/OpenSSH private key block */
};

struct kimagefs {
	char *path;          /* the tarball */
	char *name;          /* RepoTags[0] or the file name */
	json_object *config; /* the image config, or NULL */
	struct kfile *files; /* the merged filesystem, sorted by path */
	size_t nfiles;
	char *error;         /* set when the tarball could not be read */
};

int kimagefs_load(struct kimagefs *fs, const char *path, kerr *e);
void kimagefs_free(struct kimagefs *fs);
const struct kfile *kimagefs_find(const struct kimagefs *fs, const char *path);
/* Small files whose content is kept (checks need them). */
int kimagefs_wants_content(const char *path, int64_t size);

/* ---- Dockerfiles (dockerfile.c) ---- */

struct kinstr {
	char *cmd;           /* upper case: "RUN" */
	char *args;          /* the arguments, continuation lines joined */
	int line;            /* first line */
	int stage;           /* index of the FROM stage it belongs to */
	char **ignore;       /* check ids of a pragma just before it */
};

struct kdockerfile {
	char *path;
	struct kinstr *ins;
	size_t nins;
	char **ignore_file;  /* ids ignored for the whole file */
	int nstages;
	char *error;
};

int kdockerfile_parse(struct kdockerfile *df, const char *path, const char *text, kerr *e);
int kdockerfile_load(struct kdockerfile *df, const char *path, kerr *e);
void kdockerfile_free(struct kdockerfile *df);
/* Is CHECK_ID ignored at instruction I (or for the whole file)? */
int kdockerfile_ignored(const struct kdockerfile *df, const struct kinstr *in, const char *check_id);

/* ---- host facts (host.c) ---- */

struct host_facts {
	char **audit_rules;      /* every rule line from the audit rule files */
	char **audit_files;      /* the files read */
	int audit_rules_found;
	/* mount namespace inode of each running container's init -> the names
	 * of the processes in it (a container with --pid=host still has its
	 * own mount namespace) */
	struct { unsigned long long ns; char *comms; } *pidns; /* comms: "\n"-joined names */
	size_t npidns;
};
void audit_host_facts_load(struct host_facts *h, const char *rules_file, pid_t *pids, size_t npids);
void audit_host_facts_free(struct host_facts *h);
/* "\nsh\nsleep\n": the command names in the mount namespace of PID, or NULL. */
const char *audit_host_procs_of(const struct host_facts *h, pid_t pid);
/* sysctl under /proc/sys ("kernel/kptr_restrict"); 1 found, 0 missing */
int audit_read_sysctl(const char *name, long *out);
int audit_lsm_state(char *buf, size_t n, int *apparmor, int *selinux_enforcing);

/* ---- the context ---- */

struct audit_ctx {
	const struct audit_opts *o;
	struct kdocker *api;
	int api_ok;
	char *api_error;
	json_object *version;
	struct lazy info_lazy;
	json_object *info;       /* /info: call audit_ctx_info() first */

	struct lazy daemon_lazy;
	struct daemon_cfg daemon;

	struct lazy cont_lazy;
	struct kcont *conts;     /* docker containers then OCI bundles */
	size_t nconts, ndocker;
	json_object *exec_info;  /* exec id -> /exec/{id}/json */

	struct lazy img_lazy;
	struct audit_image *imgs;
	size_t nimgs;
	size_t nimgs_total;

	struct lazy host_lazy;
	struct host_facts host;

	struct lazy fs_lazy;
	struct kimagefs *fs;
	size_t nfs;

	struct lazy df_lazy;
	struct kdockerfile *dfs;
	size_t ndfs;

	struct lazy net_lazy;
	json_object *networks;   /* /networks when swarm is active */
	json_object *swarm;      /* /swarm */
	json_object *node;       /* /nodes/{this node} */

	pthread_mutex_t notice_m;
	char **notices;
	size_t nnotices;
	int threads;
};

void audit_lazy_run(struct lazy *l, struct audit_ctx *ctx, void (*fn)(struct audit_ctx *));
/* Loaders (each runs once, whichever thread asks first). */
void audit_ctx_info(struct audit_ctx *ctx);
void audit_ctx_daemon(struct audit_ctx *ctx);
void audit_ctx_containers(struct audit_ctx *ctx);
void audit_ctx_images(struct audit_ctx *ctx);
void audit_ctx_host(struct audit_ctx *ctx);
void audit_ctx_imagefs(struct audit_ctx *ctx);
void audit_ctx_dockerfiles(struct audit_ctx *ctx);
void audit_ctx_swarm(struct audit_ctx *ctx);
void audit_ctx_notice(struct audit_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Run FN(i) for i in [0, n) on up to ctx->threads threads. */
void audit_ctx_parallel(struct audit_ctx *ctx, size_t n, void (*fn)(void *arg, size_t i), void *arg);
/* Swarm state from /info: "active", "inactive", ... or NULL. */
const char *audit_ctx_swarm_state(struct audit_ctx *ctx);

/* ---- recording results (result.c) ---- */

void audit_ev_add(struct audit_result *r, enum audit_level lvl, const char *kind, const char *object, int line,
	    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void audit_res_set(struct audit_result *r, enum audit_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* SKIP with a reason, unless the check already has a level. */
void audit_res_skip(struct audit_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Level from the evidence: WARN > INFO > PASS. */
void audit_res_finish(struct audit_result *r);
void audit_res_clear(struct audit_result *r);
/* Evidence for a container, unless its kapsel.audit.ignore label names the check. */
void audit_ev_cont(struct audit_result *r, const struct kcont *c, enum audit_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- check tables (checks_*.c) and shared check helpers ---- */

extern const struct audit_check audit_checks_host[], audit_checks_daemon[], audit_checks_files[],
	audit_checks_images[], audit_checks_runtime[], audit_checks_ops[], audit_checks_kapsel[],
	audit_checks_imagefs[], audit_checks_dockerfile[];
extern const size_t audit_nchecks_host, audit_nchecks_daemon, audit_nchecks_files, audit_nchecks_images,
	audit_nchecks_runtime, audit_nchecks_ops, audit_nchecks_kapsel, audit_nchecks_imagefs,
	audit_nchecks_dockerfile;

void audit_check_manual(struct audit_ctx *ctx, struct audit_result *r);
/* Audit-rule evidence for each existing path (checks_host.c). */
void audit_paths(struct audit_ctx *ctx, struct audit_result *r, char **paths);
void audit_bin_paths(char ***v, const char *name);
/* A secret-looking variable name (PASSWORD, TOKEN, SECRET, API_KEY ...). */
int audit_secret_name(const char *name);

/* ---- paths of this host's Docker files (paths.c) ---- */

char *audit_eff_data_root(struct audit_ctx *ctx);
char **audit_unit_paths(const char *unit);
char **audit_eff_containerd_sockets(struct audit_ctx *ctx);
char **audit_eff_docker_sockets(struct audit_ctx *ctx);

/* ---- small helpers (util.c) ---- */

/* Docker-style capability name ("SYS_ADMIN", "CAP_SYS_ADMIN", "ALL") -> number, -1 unknown, 64 ALL */
uint64_t audit_docker_default_caps(void);
/* "0644" style mode string */
void audit_mode_str(unsigned mode, char buf[8]);

#endif
