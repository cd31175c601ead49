/* Internal to src/lib/cgroup: linux.resources parsed and validated once
 * (resources.c), then translated into file writes by the v1 driver (v1.c)
 * or the v2 driver (v2.c); and the stats readers of both. */
#ifndef KAPSEL_CGROUP_DRIVER_H
#define KAPSEL_CGROUP_DRIVER_H

#include "cgroup/resources.h"
#include "common/json.h"

#include <stdint.h>

#define KCG_FIELD "linux.resources"

struct kcg_dev_rule {
	int allow;
	char type;         /* 'a', 'c' or 'b' */
	int64_t major, minor; /* -1: any */
	char access[4];    /* subset of "rwm" */
};

/* What every container may use (the nodes devices.c creates, and the pty
 * pair), allowed after the container's own rules by both drivers, like runc. */
extern const struct kcg_dev_rule kcg_default_devices[];
extern const size_t kcg_n_default_devices;

struct kcg_wdev {
	int64_t major, minor;
	int has_weight, has_leaf;
	uint16_t weight, leaf;
};

struct kcg_tdev {
	int64_t major, minor;
	uint64_t rate;
};

enum { KCG_T_RBPS, KCG_T_WBPS, KCG_T_RIOPS, KCG_T_WIOPS, KCG_T_N };
extern const char *const kcg_throttle_key[KCG_T_N]; /* "throttleReadBpsDevice" ... */

struct kcg_hugepage {
	char size[16];     /* "2MB" */
	uint64_t limit;
};

struct kcg_prio {
	char *name;
	uint32_t prio;
};

struct kcg_rdma {
	char *dev;
	int has_handles, has_objects;
	uint32_t handles, objects;
};

struct kcg_kv {
	char *key, *value;
};

/* linux.resources, validated.  has_* says the field was given. */
struct kcg_res {
	int has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp;
	int64_t limit, reservation, swap, kernel, kernel_tcp;
	int has_swappiness, has_disable_oom, has_use_hierarchy, check_before_update;
	uint64_t swappiness;
	int disable_oom, use_hierarchy;

	int has_shares, has_quota, has_period, has_burst, has_rt_runtime, has_rt_period, has_idle;
	uint64_t shares, period, burst, rt_period;
	int64_t quota, rt_runtime, idle;
	char *cpus, *mems;

	int has_pids;
	int64_t pids;

	int has_blkio_weight, has_blkio_leaf;
	uint16_t blkio_weight, blkio_leaf;
	struct kcg_wdev *wdev;
	size_t n_wdev;
	struct kcg_tdev *tdev[KCG_T_N];
	size_t n_tdev[KCG_T_N];

	struct kcg_hugepage *hp;
	size_t n_hp;

	int has_classid;
	uint32_t classid;
	struct kcg_prio *prio;
	size_t n_prio;

	int has_devices;   /* linux.resources.devices was given */
	struct kcg_dev_rule *dev;
	size_t n_dev;

	struct kcg_rdma *rdma;
	size_t n_rdma;

	struct kcg_kv *unified;
	size_t n_unified;
};

int kcg_res_parse(struct jctx *c, json_object *resources, struct kcg_res *r);
void kcg_res_free(struct kcg_res *r);

/* A growing list of writes. */
struct kcg_plan {
	struct kcg_write *w;
	size_t n, cap;
	kerr *e;
};

/* Append a write of printf(FMT) to CTL's FILE for FIELD.  Returns 0 or -1. */
int kcg_plan_add(struct kcg_plan *p, unsigned flags, const char *ctl, const char *file, const char *field,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Append a marker: this cgroup version cannot do FIELD, because WHY. */
int kcg_plan_unsupported(struct kcg_plan *p, const char *ctl, const char *field, const char *why, ...)
	__attribute__((format(printf, 4, 5)));
/* Give the last write an alternative file (and value, NULL: the same). */
int kcg_plan_alt(struct kcg_plan *p, const char *alt, const char *alt_value);

int kcg_v1_plan(const struct kcg_res *r, struct kcg_plan *p);
int kcg_v2_plan(const struct kcg_res *r, struct kcg_plan *p);

/* The v1 devices writes that move a cgroup whose devices.list reads LIST
 * to the rules of W[0..N) (the v1 plan's devices writes), into OUT: what
 * is missing allowed first, then what is no longer wanted denied; the
 * writes of W in order where either side allows all by default. */
int kcg_v1_devices_transition(const struct kcg_write *w, size_t n, const char *list, struct kcg_plan *out);

/* Make one resolved write (a KCG_W_DEVPROG entry: attach its program). */
int kcg_write_one(const struct kcg_write *w, kerr *e);

/* v1 controller name for a v2 one ("io" -> "blkio"), else the same. */
const char *kcg_v1_name(const char *v2ctl);

/* Small readers for the stats drivers.  0 on success, -1 if the file is
 * missing or does not hold what was expected. */
int kcg_read_u64(const char *dir, const char *file, uint64_t *out);  /* "max" -> UINT64_MAX */
/* "key value" lines: the value of KEY. */
int kcg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out);
/* "key value" lines into a JSON object of integers. */
int kcg_read_flat(const char *dir, const char *file, json_object *into);
int kcg_exists(const char *dir, const char *file);
/* obj[key] = v (as an int64 json-c keeps as unsigned when large). */
void kcg_json_u64(json_object *obj, const char *key, uint64_t v);
/* obj[key], created as an object if absent. */
json_object *kcg_json_child(json_object *obj, const char *key);

/* Stats drivers: fill the sections of OUT from DIR.  Missing files leave
 * the fields out. */
void kcg_v1_stats_cpuacct(const char *dir, json_object *out);
void kcg_v1_stats_cpu(const char *dir, json_object *out);
void kcg_v1_stats_memory(const char *dir, json_object *out);
void kcg_v1_stats_pids(const char *dir, json_object *out);
void kcg_v1_stats_blkio(const char *dir, json_object *out);
void kcg_v1_stats_hugetlb(const char *dir, json_object *out);
void kcg_v2_stats_cpu(const char *dir, json_object *out);
void kcg_v2_stats_memory(const char *dir, json_object *out);
void kcg_v2_stats_pids(const char *dir, json_object *out);
void kcg_v2_stats_io(const char *dir, json_object *out);
void kcg_v2_stats_hugetlb(const char *dir, json_object *out);

#endif
