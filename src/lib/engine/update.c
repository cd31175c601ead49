/* `kapsel update`: a container's limits and restart policy changed, live
 * when it runs (engine.h).  The new limits are the record's old ones with
 * the changes on top, checked by the same code as create's (limits.c);
 * a running container gets them through `kapsel-runtime update` first, so
 * a value the kernel refuses changes nothing; then config.json (what a
 * restart creates from), the record and supervise.json follow. */
#include "internal.h"

#include "limits.h"
#include "spec.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/str.h"
#include "common/strv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

KAPSEL_DEFINE_CLEANUP(char **, kstrv_free)

/* The record's throttle list NAME ([{Path, Rate}]) as PATH:RATE strings. */
static char **throttles(json_object *host, const char *name)
{
	char **v = calloc(1, sizeof(char *));
	json_object *a = kj_get(host, name);
	for (size_t i = 0; v && json_object_is_type(a, json_type_array) && i < json_object_array_length(a); i++) {
		json_object *t = json_object_array_get_idx(a, i);
		char buf[4200];
		snprintf(buf, sizeof(buf), "%s:%lld", kj_get_str(t, "Path") ?: "", (long long)kj_get_i64(t, "Rate", 0));
		if (kstrv_add(&v, buf) < 0) {
			kstrv_free(v);
			return NULL;
		}
	}
	return v;
}

/* The options the container's limits were made with (its record), then
 * U's changes. */
static int opts_of(json_object *h, const struct keng_update *u, struct keng_opts *o, char cpus[32], kerr *e)
{
	memset(o, 0, sizeof(*o));
	int64_t mem = kj_get_i64(h, "Memory", 0), swap = kj_get_i64(h, "MemorySwap", 0);
	o->memory = u->memory != KENG_UNSET ? u->memory : mem;
	/* no swap of its own (swap = memory, kapsel's default) follows a new
	 * --memory; an explicit one stays */
	o->memory_swap = u->memory_swap != KENG_UNSET ? u->memory_swap
			 : swap == mem || swap == 0 ? o->memory
						   : swap;
	o->memory_reservation = u->memory_reservation != KENG_UNSET ? u->memory_reservation
								    : kj_get_i64(h, "MemoryReservation", 0);
	o->cpu_shares = u->cpu_shares != KENG_UNSET ? u->cpu_shares : kj_get_i64(h, "CpuShares", 0);
	o->pids_limit = u->pids_limit != KENG_UNSET ? u->pids_limit : kj_get_i64(h, "PidsLimit", 0);
	/* --cpus and --cpu-period/--cpu-quota say the same: the one given
	 * replaces the other */
	bool own = u->cpu_period != KENG_UNSET || u->cpu_quota != KENG_UNSET;
	if (own && u->cpus)
		return kerr_msg(e, EINVAL, "--cpus and --cpu-period/--cpu-quota say the same: give one of them");
	int64_t nano = kj_get_i64(h, "NanoCpus", 0);
	o->cpu_period = o->cpu_quota = KENG_UNSET;
	if (u->cpus) {
		o->cpus = u->cpus;
	} else if (own || (!nano && (kj_get_i64(h, "CpuQuota", 0) > 0 || kj_get_i64(h, "CpuPeriod", 0) > 0))) {
		o->cpu_period = u->cpu_period != KENG_UNSET ? u->cpu_period : kj_get_i64(h, "CpuPeriod", 0);
		o->cpu_quota = u->cpu_quota != KENG_UNSET ? u->cpu_quota : kj_get_i64(h, "CpuQuota", 0);
	} else {
		snprintf(cpus, 32, "%.9g", (double)nano / 1e9);
		o->cpus = cpus;
	}
	o->cpuset_cpus = u->cpuset_cpus ? u->cpuset_cpus : kj_get_str(h, "CpusetCpus");
	o->cpuset_mems = u->cpuset_mems ? u->cpuset_mems : kj_get_str(h, "CpusetMems");
	if (o->cpuset_cpus && !*o->cpuset_cpus)
		o->cpuset_cpus = NULL;
	if (o->cpuset_mems && !*o->cpuset_mems)
		o->cpuset_mems = NULL;
	o->blkio_weight = u->blkio_weight >= 0 ? u->blkio_weight : (int)kj_get_i64(h, "BlkioWeight", 0);
	o->oom_score_adj = kj_get_i64(h, "OomScoreAdj", 0) ? (int)kj_get_i64(h, "OomScoreAdj", 0) : KENG_NO_OOM_ADJ;
	o->shm_size = kj_get_i64(h, "ShmSize", 64 << 20);
	if (!(o->device_read_bps = throttles(h, "BlkioDeviceReadBps")) ||
	    !(o->device_write_bps = throttles(h, "BlkioDeviceWriteBps")) ||
	    !(o->device_read_iops = throttles(h, "BlkioDeviceReadIOps")) ||
	    !(o->device_write_iops = throttles(h, "BlkioDeviceWriteIOps")))
		return kerr_errno(e, "update");
	return 0;
}

static void opts_clear(struct keng_opts *o)
{
	kstrv_free(o->device_read_bps);
	kstrv_free(o->device_write_bps);
	kstrv_free(o->device_read_iops);
	kstrv_free(o->device_write_iops);
}

/* RES's object KEY (made when missing). */
static json_object *sub(json_object *res, const char *key)
{
	json_object *o = kj_get(res, key);
	if (!o) {
		o = json_object_new_object();
		json_object_object_add(res, key, o);
	}
	return o;
}

/* A limit removed (--memory 0, --pids-limit 0 or -1, --cpus 0): config.json
 * leaves the field out, which is right for the next start, but the
 * runtime's update keeps a field left out as the cgroup has it.  The live
 * update gets the runtime-spec's "no limit" (-1) for every limit OLD
 * (the record's HostConfig) had and NEW (update's) has not. */
static int unlimits(json_object *old, json_object *new, json_object *res)
{
	if (!res)
		return -1;
	if (kj_get_i64(old, "Memory", 0) > 0 && kj_get_i64(new, "Memory", 0) <= 0) {
		json_object *m = sub(res, "memory");
		json_object_object_add(m, "limit", json_object_new_int64(-1));
		json_object_object_add(m, "swap", json_object_new_int64(-1));
	}
	if (kj_get_i64(old, "PidsLimit", 0) > 0 && kj_get_i64(new, "PidsLimit", 0) <= 0)
		json_object_object_add(sub(res, "pids"), "limit", json_object_new_int64(-1));
	bool had = kj_get_i64(old, "NanoCpus", 0) > 0 || kj_get_i64(old, "CpuQuota", 0) > 0;
	if (had && kj_get_i64(new, "NanoCpus", 0) <= 0 && kj_get_i64(new, "CpuQuota", 0) <= 0)
		json_object_object_add(sub(res, "cpu"), "quota", json_object_new_int64(-1));
	return 0;
}

int keng_update(struct keng *g, const struct keng_defaults *d, const char *ref, const struct keng_update *u, kerr *e)
{
	char id[65];
	_cleanup_json_ json_object *rec = NULL, *spec = NULL, *host = json_object_new_object();
	if (keng_relock(g, KENG_EXCLUSIVE, e) < 0 || keng_resolve(g, ref, id, e) < 0 || keng_record(g, id, &rec, e) < 0)
		return -1;
	_cleanup_free_ char *cfgp = keng_path(g, id, "bundle/config.json"), *tmp = keng_path(g, id, "update.json");
	if (!cfgp || !tmp)
		return kerr_errno(e, "update");
	if (keng_read_json(cfgp, &spec, false, e) < 0)
		return -1;
	json_object *h = kj_get(rec, "HostConfig");
	bool limits = u->memory != KENG_UNSET || u->memory_swap != KENG_UNSET || u->memory_reservation != KENG_UNSET ||
		      u->cpu_shares != KENG_UNSET || u->pids_limit != KENG_UNSET || u->cpu_period != KENG_UNSET ||
		      u->cpu_quota != KENG_UNSET || u->cpus || u->cpuset_cpus || u->cpuset_mems || u->blkio_weight >= 0;
	if (!limits && !u->restart)
		return kerr_msg(e, EINVAL, "update %s: nothing to change (give a limit or --restart)", ref);
	/* the restart policy first: checked before anything changes */
	if (u->restart &&
	    keng_restart_policy(u->restart, kj_get_bool(h, "AutoRemove"), host, e) < 0)
		return kerr_wrap(e, "update %s", ref);
	struct keng_state st;
	if (keng_state(g, id, &st, e) < 0)
		return -1;
	bool running = (!strcmp(st.status, "running") || !strcmp(st.status, "paused")) && st.pid > 0;
	if (limits) {
		struct keng_opts o;
		char cpus[32];
		int rc = opts_of(h, u, &o, cpus, e);
		if (rc == 0)
			rc = keng_resources(&o, d, spec, host, e);
		opts_clear(&o);
		if (rc < 0)
			return kerr_wrap(e, "update %s", ref);
		json_object *res = kj_get(kj_get(spec, "linux"), "resources");
		/* live first: what the kernel refuses changes nothing */
		if (running) {
			_cleanup_json_ json_object *live = NULL;
			if (json_object_deep_copy(res, &live, NULL) < 0 || unlimits(h, host, live) < 0)
				return kerr_errno(e, "update %s", ref);
			const char *txt = json_object_to_json_string_ext(live, JSON_C_TO_STRING_PLAIN);
			if (kfs_write_file(tmp, txt, strlen(txt), 0600, 1, e) < 0)
				return -1;
			const char *args[] = { "update", "--resources", tmp, id, NULL };
			int r = keng_runtime(g, args, false, e);
			unlink(tmp);
			if (r != 0)
				return r < 0 ? -1 : kerr_msg(e, EIO, "update %s: kapsel-runtime update failed (exit %d)", ref, r);
		}
		if (keng_write_json(cfgp, spec, e) < 0)
			return -1;
	}
	/* the record takes the fields the limits and the policy set */
	json_object_object_foreach(host, hk, hv) json_object_object_add(h, hk, json_object_get(hv));
	if (keng_record_write(g, id, rec, e) < 0)
		return -1;
	if (u->restart) {
		if (keng_supervise_json_write(g, id, rec, e) < 0)
			return -1;
		/* a running supervisor takes the policy at once */
		if (running && keng_supervised(g, id, &st)) {
			_cleanup_json_ json_object *req = json_object_new_object(), *r = json_object_new_object();
			json_object *rp = kj_get(h, "RestartPolicy");
			json_object_object_add(r, "policy", json_object_new_string(kj_get_str(rp, "Name") ?: "no"));
			json_object_object_add(r, "max_retries",
					       json_object_new_int64(kj_get_i64(rp, "MaximumRetryCount", 0)));
			json_object_object_add(req, "op", json_object_new_string("update"));
			json_object_object_add(req, "restart", json_object_get(r));
			if (keng_ctl_call(g, id, req, NULL, e) < 0)
				return kerr_wrap(e, "update %s: its supervisor", ref);
		}
	}
	keng_event(g, id, "update", NULL, NULL);
	return 0;
}
