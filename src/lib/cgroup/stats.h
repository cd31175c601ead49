/* A container's cgroup usage as typed data (stats.c), read through the
 * driver of each hierarchy (v1, v2 or hybrid).  runc's `events --stats`
 * JSON (kcg_stats_runc_json), Docker's stats JSON and Prometheus text
 * (src/lib/monitor) are formatters over struct kcg_stats.
 *
 * The struct is in usage.h. */
#ifndef KAPSEL_CGROUP_STATS_H
#define KAPSEL_CGROUP_STATS_H

#include "cgroup/cgroup.h"
#include "cgroup/usage.h"
#include "common/err.h"

#include <json-c/json.h>
#include <stdint.h>

/* Read the usage of the cgroup at PATH (relative to each hierarchy) into
 * *OUT.  ENOENT when no hierarchy has the cgroup. */
int kcg_stats_read(const struct kcg_host *h, const char *path, struct kcg_stats *out, kerr *e);
/* The same with FLAGS leaving out what a caller does not show:
 * KCG_STATS_NO_KMEM v1 kmem and kmem.tcp (8 files, runc's JSON only),
 * KCG_STATS_NO_PERCPU the per-CPU lists (3 files), KCG_STATS_NO_PERCPU_SPLIT
 * only their user and system halves (2 files: the per-CPU usage alone is
 * what Docker's JSON and the exporter show); with KCG_STATS_SPEC the
 * limits too (cpu shares/weight, CFS period and quota, memory soft limit).
 * The per-CPU lists are v1's (cpuacct.usage_percpu*): cgroup2 keeps no
 * per-CPU counter, n_percpu stays 0 there. */
#define KCG_STATS_NO_KMEM 1u
#define KCG_STATS_NO_PERCPU 2u
#define KCG_STATS_NO_PERCPU_SPLIT 8u
/* also the limits as set (S->spec: 3 or 4 more files) */
#define KCG_STATS_SPEC 4u
int kcg_stats_read_flags(const struct kcg_host *h, const char *path, unsigned flags, struct kcg_stats *out, kerr *e);

/* runc's `events --stats` data of S:
 * {"cpu":{...},"memory":{...},"pids":{...},"blkio":{...},"hugetlb":{...}}. */
json_object *kcg_stats_runc_json(const struct kcg_stats *s);

/* The block IO entries of S as runc and Docker list them:
 * [{"major":8,"minor":0,"op":"Read","value":N},...], per device in the
 * kernel's order; IOS: operations, else bytes; LOWER: "read" (Docker's
 * spelling on cgroup2). */
json_object *kcg_stats_blkio_json(const struct kcg_stats *s, int ios, int lower);

/* kcg_stats_read + kcg_stats_runc_json. */
int kcg_stats(const struct kcg_host *h, const char *path, json_object **out, kerr *e);

/* How often the OOM killer killed a task in the cgroup at PATH. */
int kcg_oom_count(const struct kcg_host *h, const char *path, uint64_t *count, kerr *e);

#endif
