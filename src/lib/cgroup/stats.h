/* A container's cgroup usage (stats.c). */
#ifndef KAPSEL_CGROUP_STATS_H
#define KAPSEL_CGROUP_STATS_H

#include "cgroup/cgroup.h"
#include "common/err.h"

#include <json-c/json.h>
#include <stdint.h>

/* Usage of the cgroup at PATH, shaped like runc's `events --stats` data:
 * {"cpu":{...},"memory":{...},"pids":{...},"blkio":{...},"hugetlb":{...}}.
 * Counters the host does not keep are left out. */
int kcg_stats(const struct kcg_host *h, const char *path, json_object **out, kerr *e);

/* How often the OOM killer killed a task in the cgroup at PATH. */
int kcg_oom_count(const struct kcg_host *h, const char *path, uint64_t *count, kerr *e);

#endif
