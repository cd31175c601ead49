/* Internal to src/lib/cgroup: the v1 driver (v1.c) and the v2 driver
 * (v2.c), which turn struct kcg_res (parse.h) into planned writes (plan.h)
 * and read stats with read.h.  They use only those leaf files. */
#ifndef KAPSEL_CGROUP_DRIVER_H
#define KAPSEL_CGROUP_DRIVER_H

#include "cgroup/parse.h"
#include "cgroup/plan.h"
#include "cgroup/read.h"
#include "cgroup/usage.h"
#include "common/json.h"

#include <stdint.h>

int kcg_v1_plan(const struct kcg_res *r, struct kcg_plan *p);
int kcg_v2_plan(const struct kcg_res *r, struct kcg_plan *p);

/* The v1 devices writes that move a cgroup whose devices.list reads LIST
 * to the rules of W[0..N) (the v1 plan's devices writes), into OUT: what
 * is missing allowed first, then what is no longer wanted denied; the
 * writes of W in order where either side allows all by default. */
int kcg_v1_devices_transition(const struct kcg_write *w, size_t n, const char *list, struct kcg_plan *out);

/* Stats drivers: fill what DIR holds into S and set its have bits.
 * Missing files leave the fields out. */
void kcg_v1_stats_cpuacct(const char *dir, struct kcg_stats *s);
void kcg_v1_stats_cpu(const char *dir, struct kcg_stats *s);
void kcg_v1_stats_cpu_spec(const char *dir, struct kcg_stats *s);
void kcg_v1_stats_mem_spec(const char *dir, struct kcg_stats *s);
void kcg_v1_stats_memory(const char *dir, struct kcg_stats *s);
void kcg_v1_stats_pids(const char *dir, struct kcg_stats *s);
void kcg_v1_stats_blkio(const char *dir, struct kcg_stats *s);
void kcg_v1_stats_hugetlb(const char *dir, struct kcg_stats *s);
void kcg_v2_stats_cpu(const char *dir, struct kcg_stats *s);
void kcg_v2_stats_cpu_spec(const char *dir, struct kcg_stats *s);
void kcg_v2_stats_mem_spec(const char *dir, struct kcg_stats *s);
void kcg_v2_stats_memory(const char *dir, struct kcg_stats *s);
void kcg_v2_stats_pids(const char *dir, struct kcg_stats *s);
void kcg_v2_stats_io(const char *dir, struct kcg_stats *s);
void kcg_v2_stats_hugetlb(const char *dir, struct kcg_stats *s);

#endif
