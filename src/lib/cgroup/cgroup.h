/* Cgroups behind one interface.  The host layout (pure v1, pure v2, or
 * hybrid: v1 controllers plus a cgroup2 tree) is detected once; a container
 * gets the same relative path in every hierarchy that is mounted. */
#ifndef KAPSEL_CGROUP_H
#define KAPSEL_CGROUP_H

#include "common/err.h"

#include <sys/types.h>

enum kcg_layout { KCG_V1, KCG_V2, KCG_HYBRID };

#define KCG_MAX_HIER 16

struct kcg_hier {
	char mount[256];       /* /sys/fs/cgroup/memory */
	char controllers[128]; /* "memory", "cpu,cpuacct", "name=systemd", "" for cgroup2 */
	int v2;
};

struct kcg_host {
	enum kcg_layout layout;
	struct kcg_hier hier[KCG_MAX_HIER];
	int n;
	int unified;           /* index of the cgroup2 hierarchy or -1 */
};

int kcg_host_detect(struct kcg_host *h, kerr *e);
/* Index of the hierarchy holding CONTROLLER (v1) or -1. */
int kcg_find(const struct kcg_host *h, const char *controller);

/* The path a container's cgroup gets: cgroupsPath when given (absolute, or
 * relative to /kapsel), else /kapsel/ID.  Systemd-style "slice:prefix:name"
 * is turned into slice/prefix-name.scope. */
int kcg_resolve_path(const char *cgroups_path, const char *id, char *out, size_t n, kerr *e);

/* Create the cgroup in every hierarchy (cpuset inherits its parent's cpus
 * and mems on v1). */
int kcg_create(const struct kcg_host *h, const char *path, kerr *e);
/* Pids in the cgroup (from the pids/freezer/v2 hierarchy). Returns count. */
int kcg_pids(const struct kcg_host *h, const char *path, pid_t **out, kerr *e);
/* Remove the cgroup everywhere (it must be empty); missing dirs are fine. */
int kcg_destroy(const struct kcg_host *h, const char *path, kerr *e);



/* Joining without the global migration lock.  Moving a whole process
 * between cgroups (cgroup.procs) takes a lock whose write side waits for an
 * RCU grace period, 5-20 ms here.  Moving only the calling thread ("0" into
 * a v1 `tasks` file) does not, and on cgroup2 a child can be born in its
 * cgroup (clone3 CLONE_INTO_CGROUP).  The parent opens the files while it is
 * privileged; the single-threaded child writes "0" into each. */
struct kcg_join {
	int tasks[KCG_MAX_HIER]; /* v1 <cgroup>/tasks, opened for writing */
	int n;
	int v2_dir;              /* cgroup2 directory fd for CLONE_INTO_CGROUP, or -1 */
	int v2_procs;            /* its cgroup.procs, when clone3 cannot be used */
};
int kcg_join_open(const struct kcg_host *h, const char *path, struct kcg_join *j, kerr *e);
/* In the child: join every v1 hierarchy (and cgroup2 when it was not born
 * there: BORN_IN_V2 = 0). */
int kcg_join_self(struct kcg_join *j, int born_in_v2, kerr *e);
void kcg_join_close(struct kcg_join *j);

/* Freeze (1) or thaw (0) the cgroup: v1 freezer or v2 cgroup.freeze. */
int kcg_freeze(const struct kcg_host *h, const char *path, int on, kerr *e);
/* The v2 driver on one cgroup2 directory: cgroup.freeze (waiting for
 * cgroup.events to say so) and cgroup.kill (1 done, 0 not supported). */
int kcg_v2_freeze(const char *dir, int on, kerr *e);
int kcg_v2_kill(const char *dir, kerr *e);
/* 1 frozen, 0 not, -1 unknown. */
int kcg_is_frozen(const struct kcg_host *h, const char *path);
#endif
