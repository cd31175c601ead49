/* linux.resources written to a container's cgroup, through the driver of
 * the host layout (v1 files or v2 files), and read back as stats. */
#ifndef KAPSEL_CGROUP_RESOURCES_H
#define KAPSEL_CGROUP_RESOURCES_H

#include "cgroup/cgroup.h"
#include "common/err.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* Apply RESOURCES (the linux.resources object, may be NULL) to the cgroup at
 * PATH.  A resource the host cannot honour is an error naming the field. */
int kcg_apply_resources(const struct kcg_host *h, const char *path, json_object *resources, kerr *e);

/* Replace the device rules of the running container whose cgroup is PATH
 * with DEVICES (a linux.resources.devices array, the defaults added as at
 * create): the cgroup2 device program is replaced in one step, the v1
 * devices controller is moved to the new rules without a moment where an
 * access that both the old and the new rules allow is refused. */
int kcg_update_devices(const struct kcg_host *h, const char *path, json_object *devices, kerr *e);

/* One cgroup file write, as planned from linux.resources. */
struct kcg_write {
	char *ctl;        /* controller, as the hierarchy names it: "memory", "blkio", "io" */
	char *file;       /* "memory.limit_in_bytes" */
	char *value;      /* what is written; for KCG_W_UNSUPPORTED the reason */
	char *field;      /* JSON path: "linux.resources.memory.limit" */
	char *alt;        /* file to use when FILE does not exist (or NULL) */
	char *alt_value;  /* value for ALT (NULL: VALUE) */
	char *path;       /* absolute file path, filled by kcg_resolve_resources */
	unsigned flags;
};

#define KCG_W_OPTIONAL    0x01u /* skip when the file does not exist */
#define KCG_W_MEMSW       0x02u /* v1 limit/memsw pair: order by the current limit */
#define KCG_W_UNSUPPORTED 0x04u /* no write: this cgroup version cannot do FIELD */
#define KCG_W_UNIFIED     0x08u /* from linux.resources.unified */
#define KCG_W_IMPLICIT    0x10u /* not asked for (default device rules): skipped without the controller */
#define KCG_W_CHECK_USAGE 0x20u /* memory.checkBeforeUpdate: refuse a limit below the usage */
#define KCG_W_DEVPROG     0x40u /* no file: VALUE (device rules, one a line) becomes a cgroup-device
				 * eBPF program attached to the cgroup2 directory PATH */

/* The FILE of a KCG_W_DEVPROG entry (a name for messages; no such file). */
#define KCG_DEVPROG_FILE "BPF_CGROUP_DEVICE"

/* Translate RESOURCES (may be NULL) into the writes cgroup v1 (V2 = 0) or
 * v2 (V2 = 1) needs, in the order they are made, without touching the
 * filesystem.  A field that version cannot express is an error. */
int kcg_plan_resources(int v2, json_object *resources, struct kcg_write **out, size_t *n, kerr *e);
/* The writes kcg_apply_resources would make on host H, in order, with
 * absolute paths: controllers picked per hierarchy, missing knobs and
 * unavailable controllers reported, the v1 memory/memsw pair ordered. */
int kcg_resolve_resources(const struct kcg_host *h, const char *path, json_object *resources,
			  struct kcg_write **out, size_t *n, kerr *e);
void kcg_writes_free(struct kcg_write *w, size_t n);

/* cgroup v2 cpu.weight from v1 cpu.shares (2..262144 -> 1..10000). */
uint64_t kcg_shares_to_weight(uint64_t shares);

/* Usage of the cgroup at PATH, shaped like runc's `events --stats` data:
 * {"cpu":{...},"memory":{...},"pids":{...},"blkio":{...},"hugetlb":{...}}.
 * Counters the host does not keep are left out. */
int kcg_stats(const struct kcg_host *h, const char *path, json_object **out, kerr *e);

/* How often the OOM killer killed a task in the cgroup at PATH. */
int kcg_oom_count(const struct kcg_host *h, const char *path, uint64_t *count, kerr *e);

#endif
