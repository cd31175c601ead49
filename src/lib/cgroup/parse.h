/* Internal to src/lib/cgroup: linux.resources, validated (parse.c). */
#ifndef KAPSEL_CGROUP_PARSE_H
#define KAPSEL_CGROUP_PARSE_H

#include "common/json.h"

#include <stddef.h>
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

#endif
