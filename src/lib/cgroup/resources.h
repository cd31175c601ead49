/* linux.resources written to a container's cgroup, through the driver of
 * the host layout (v1 files or v2 files).  Stats: cgroup/stats.h. */
#ifndef KAPSEL_CGROUP_RESOURCES_H
#define KAPSEL_CGROUP_RESOURCES_H

#include "cgroup/cgroup.h"
#include "cgroup/plan.h"
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

/* Translate RESOURCES (may be NULL) into the writes cgroup v1 (V2 = 0) or
 * v2 (V2 = 1) needs, in the order they are made, without touching the
 * filesystem.  A field that version cannot express is an error. */
int kcg_plan_resources(int v2, json_object *resources, struct kcg_write **out, size_t *n, kerr *e);
/* The writes kcg_apply_resources would make on host H, in order, with
 * absolute paths: controllers picked per hierarchy, missing knobs and
 * unavailable controllers reported, the v1 memory/memsw pair ordered. */
int kcg_resolve_resources(const struct kcg_host *h, const char *path, json_object *resources,
			  struct kcg_write **out, size_t *n, kerr *e);

/* Make one resolved write (a KCG_W_DEVPROG entry: attach its program). */
int kcg_write_one(const struct kcg_write *w, kerr *e);

#endif
