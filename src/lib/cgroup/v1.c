/* The cgroup v1 driver: linux.resources as v1 files, and v1 stats. */
#include "cgroup/driver.h"

#include "common/cleanup.h"
#include "common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define F(x) KCG_FIELD "." x

static int plan_memory(const struct kcg_res *r, struct kcg_plan *p)
{
	const char *M = "memory";
	unsigned check = r->check_before_update ? KCG_W_CHECK_USAGE : 0;

	/* limit and memsw (memory+swap) as a pair, ordered when written */
	if (r->has_limit && kcg_plan_add(p, KCG_W_MEMSW | check, M, "memory.limit_in_bytes", F("memory.limit"),
					 "%" PRId64, r->limit) < 0)
		return -1;
	if (r->has_swap) {
		if (kcg_plan_add(p, KCG_W_MEMSW, M, "memory.memsw.limit_in_bytes", F("memory.swap"), "%" PRId64,
				 r->swap) < 0)
			return -1;
	} else if (r->has_limit && r->limit == -1) {
		/* unlimited memory without a word on swap: memsw unlimited too,
		 * else the limit could not rise above the old memsw */
		if (kcg_plan_add(p, KCG_W_MEMSW | KCG_W_OPTIONAL, M, "memory.memsw.limit_in_bytes", F("memory.limit"),
				 "-1") < 0)
			return -1;
	}
	if (r->has_reservation && kcg_plan_add(p, 0, M, "memory.soft_limit_in_bytes", F("memory.reservation"),
					       "%" PRId64, r->reservation) < 0)
		return -1;
	if (r->has_kernel &&
	    kcg_plan_add(p, 0, M, "memory.kmem.limit_in_bytes", F("memory.kernel"), "%" PRId64, r->kernel) < 0)
		return -1;
	if (r->has_kernel_tcp && kcg_plan_add(p, 0, M, "memory.kmem.tcp.limit_in_bytes", F("memory.kernelTCP"),
					      "%" PRId64, r->kernel_tcp) < 0)
		return -1;
	if (r->has_swappiness &&
	    kcg_plan_add(p, 0, M, "memory.swappiness", F("memory.swappiness"), "%" PRIu64, r->swappiness) < 0)
		return -1;
	if (r->has_disable_oom && r->disable_oom &&
	    kcg_plan_add(p, 0, M, "memory.oom_control", F("memory.disableOOMKiller"), "1") < 0)
		return -1;
	if (r->has_use_hierarchy && kcg_plan_add(p, 0, M, "memory.use_hierarchy", F("memory.useHierarchy"), "%d",
						 r->use_hierarchy ? 1 : 0) < 0)
		return -1;
	return 0;
}

static int plan_cpu(const struct kcg_res *r, struct kcg_plan *p)
{
	const char *C = "cpu";
	if (r->has_shares && kcg_plan_add(p, 0, C, "cpu.shares", F("cpu.shares"), "%" PRIu64, r->shares) < 0)
		return -1;
	/* the period first: the quota is checked against it */
	if (r->has_period && kcg_plan_add(p, 0, C, "cpu.cfs_period_us", F("cpu.period"), "%" PRIu64, r->period) < 0)
		return -1;
	if (r->has_quota && kcg_plan_add(p, 0, C, "cpu.cfs_quota_us", F("cpu.quota"), "%" PRId64, r->quota) < 0)
		return -1;
	if (r->has_burst && kcg_plan_add(p, 0, C, "cpu.cfs_burst_us", F("cpu.burst"), "%" PRIu64, r->burst) < 0)
		return -1;
	if (r->has_idle && kcg_plan_add(p, 0, C, "cpu.idle", F("cpu.idle"), "%" PRId64, r->idle) < 0)
		return -1;
	if (r->has_rt_period &&
	    kcg_plan_add(p, 0, C, "cpu.rt_period_us", F("cpu.realtimePeriod"), "%" PRIu64, r->rt_period) < 0)
		return -1;
	if (r->has_rt_runtime &&
	    kcg_plan_add(p, 0, C, "cpu.rt_runtime_us", F("cpu.realtimeRuntime"), "%" PRId64, r->rt_runtime) < 0)
		return -1;
	if (r->cpus && kcg_plan_add(p, 0, "cpuset", "cpuset.cpus", F("cpu.cpus"), "%s", r->cpus) < 0)
		return -1;
	if (r->mems && kcg_plan_add(p, 0, "cpuset", "cpuset.mems", F("cpu.mems"), "%s", r->mems) < 0)
		return -1;
	return 0;
}

static int plan_blkio(const struct kcg_res *r, struct kcg_plan *p)
{
	static const char *const files[KCG_T_N] = {
		"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
	};
	const char *B = "blkio";
	char f[256];

	/* CFQ's files, else BFQ's (kernels >= 5.0 have only BFQ) */
	if (r->has_blkio_weight) {
		if (kcg_plan_add(p, 0, B, "blkio.weight", F("blockIO.weight"), "%u", r->blkio_weight) < 0 ||
		    kcg_plan_alt(p, "blkio.bfq.weight", NULL) < 0)
			return -1;
	}
	if (r->has_blkio_leaf &&
	    kcg_plan_add(p, 0, B, "blkio.leaf_weight", F("blockIO.leafWeight"), "%u", r->blkio_leaf) < 0)
		return -1;
	for (size_t i = 0; i < r->n_wdev; i++) {
		const struct kcg_wdev *d = &r->wdev[i];
		if (d->has_weight) {
			snprintf(f, sizeof(f), F("blockIO.weightDevice[%zu].weight"), i);
			if (kcg_plan_add(p, 0, B, "blkio.weight_device", f, "%" PRId64 ":%" PRId64 " %u", d->major,
					 d->minor, d->weight) < 0 ||
			    kcg_plan_alt(p, "blkio.bfq.weight_device", NULL) < 0)
				return -1;
		}
		if (d->has_leaf) {
			snprintf(f, sizeof(f), F("blockIO.weightDevice[%zu].leafWeight"), i);
			if (kcg_plan_add(p, 0, B, "blkio.leaf_weight_device", f, "%" PRId64 ":%" PRId64 " %u", d->major,
					 d->minor, d->leaf) < 0)
				return -1;
		}
	}
	for (int t = 0; t < KCG_T_N; t++) {
		for (size_t i = 0; i < r->n_tdev[t]; i++) {
			const struct kcg_tdev *d = &r->tdev[t][i];
			snprintf(f, sizeof(f), F("blockIO.%s[%zu]"), kcg_throttle_key[t], i);
			if (kcg_plan_add(p, 0, B, files[t], f, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
					 d->rate) < 0)
				return -1;
		}
	}
	return 0;
}

static void dev_num(char *out, size_t n, int64_t v)
{
	if (v < 0)
		snprintf(out, n, "*");
	else
		snprintf(out, n, "%" PRId64, v);
}

static int plan_device_rule(struct kcg_plan *p, unsigned flags, const char *field, int allow, char type,
			    int64_t major, int64_t minor, const char *access)
{
	char ma[24], mi[24];
	dev_num(ma, sizeof(ma), type == 'a' ? -1 : major);
	dev_num(mi, sizeof(mi), type == 'a' ? -1 : minor);
	return kcg_plan_add(p, flags, "devices", allow ? "devices.allow" : "devices.deny", field, "%c %s:%s %s", type,
			    ma, mi, access);
}

static int plan_devices(const struct kcg_res *r, struct kcg_plan *p)
{
	char f[128];
	size_t i = 0;
	/* start from nothing: deny everything, then the rules in order */
	if (plan_device_rule(p, r->has_devices ? 0 : KCG_W_IMPLICIT, F("devices"), 0, 'a', -1, -1, "rwm") < 0)
		return -1;
	if (r->n_dev > 0 && !r->dev[0].allow && r->dev[0].type == 'a' && !strcmp(r->dev[0].access, "rwm"))
		i = 1; /* the usual leading deny-all is already written */
	for (; i < r->n_dev; i++) {
		const struct kcg_dev_rule *d = &r->dev[i];
		snprintf(f, sizeof(f), F("devices[%zu]"), i);
		if (plan_device_rule(p, 0, f, d->allow, d->type, d->major, d->minor, d->access) < 0)
			return -1;
	}
	for (i = 0; i < kcg_n_default_devices; i++) {
		const struct kcg_dev_rule *d = &kcg_default_devices[i];
		if (plan_device_rule(p, KCG_W_IMPLICIT, F("devices"), 1, d->type, d->major, d->minor, d->access) < 0)
			return -1;
	}
	return 0;
}

int kcg_v1_plan(const struct kcg_res *r, struct kcg_plan *p)
{
	char f[128], file[128];
	if (plan_memory(r, p) < 0 || plan_cpu(r, p) < 0)
		return -1;
	if (r->has_pids) {
		/* 0 or negative: no limit */
		int k = r->pids > 0 ? kcg_plan_add(p, 0, "pids", "pids.max", F("pids.limit"), "%" PRId64, r->pids)
				    : kcg_plan_add(p, 0, "pids", "pids.max", F("pids.limit"), "max");
		if (k < 0)
			return -1;
	}
	if (plan_blkio(r, p) < 0)
		return -1;
	for (size_t i = 0; i < r->n_hp; i++) {
		snprintf(f, sizeof(f), F("hugepageLimits[%zu]"), i);
		snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", r->hp[i].size);
		if (kcg_plan_add(p, 0, "hugetlb", file, f, "%" PRIu64, r->hp[i].limit) < 0)
			return -1;
		/* reservations too, where the kernel accounts them (>= 5.7) */
		snprintf(file, sizeof(file), "hugetlb.%s.rsvd.limit_in_bytes", r->hp[i].size);
		if (kcg_plan_add(p, KCG_W_OPTIONAL, "hugetlb", file, f, "%" PRIu64, r->hp[i].limit) < 0)
			return -1;
	}
	if (r->has_classid &&
	    kcg_plan_add(p, 0, "net_cls", "net_cls.classid", F("network.classID"), "%" PRIu32, r->classid) < 0)
		return -1;
	for (size_t i = 0; i < r->n_prio; i++) {
		snprintf(f, sizeof(f), F("network.priorities[%zu]"), i);
		if (kcg_plan_add(p, 0, "net_prio", "net_prio.ifpriomap", f, "%s %" PRIu32, r->prio[i].name,
				 r->prio[i].prio) < 0)
			return -1;
	}
	if (plan_devices(r, p) < 0)
		return -1;
	for (size_t i = 0; i < r->n_rdma; i++) {
		const struct kcg_rdma *d = &r->rdma[i];
		char hv[32] = "", ov[32] = "";
		snprintf(f, sizeof(f), F("rdma.%s"), d->dev);
		if (d->has_handles)
			snprintf(hv, sizeof(hv), " hca_handle=%" PRIu32, d->handles);
		if (d->has_objects)
			snprintf(ov, sizeof(ov), " hca_object=%" PRIu32, d->objects);
		if (kcg_plan_add(p, 0, "rdma", "rdma.max", f, "%s%s%s", d->dev, hv, ov) < 0)
			return -1;
	}
	if (r->n_unified > 0 &&
	    kcg_plan_unsupported(p, "unified", F("unified"),
				 "this host has only cgroup v1 hierarchies; unified keys need cgroup v2") < 0)
		return -1;
	if (r->n_unified > 0)
		p->w[p->n - 1].flags |= KCG_W_UNIFIED;
	return 0;
}

/* ---------------------------------------------------------------- stats */

/* "v v v ..." into a JSON array */
static json_object *read_list(const char *dir, const char *file)
{
	char p[4096];
	_cleanup_free_ char *buf = NULL;
	kerr e;
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	if (kfs_read_file(p, &buf, NULL, &e) < 0)
		return NULL;
	json_object *a = json_object_new_array();
	char *s = buf, *end;
	for (;;) {
		errno = 0;
		unsigned long long v = strtoull(s, &end, 10);
		if (end == s || errno)
			break;
		json_object_array_add(a, json_object_new_uint64(v));
		s = end;
	}
	return a;
}

void kcg_v1_stats_cpuacct(const char *dir, json_object *out)
{
	json_object *u = kcg_json_child(kcg_json_child(out, "cpu"), "usage");
	uint64_t v;
	if (kcg_read_u64(dir, "cpuacct.usage", &v) == 0)
		kcg_json_u64(u, "total", v);
	static const struct {
		const char *file, *key;
	} lists[] = {
		{ "cpuacct.usage_percpu", "percpu" },
		{ "cpuacct.usage_percpu_sys", "percpu_kernel" },
		{ "cpuacct.usage_percpu_user", "percpu_user" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		json_object *a = read_list(dir, lists[i].file);
		if (a)
			json_object_object_add(u, lists[i].key, a);
	}
	/* cpuacct.stat counts USER_HZ ticks */
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	uint64_t ns_per_tick = 1000000000ull / (uint64_t)hz;
	if (kcg_read_keyed(dir, "cpuacct.stat", "system", &v) == 0)
		kcg_json_u64(u, "kernel", v * ns_per_tick);
	if (kcg_read_keyed(dir, "cpuacct.stat", "user", &v) == 0)
		kcg_json_u64(u, "user", v * ns_per_tick);
}

void kcg_v1_stats_cpu(const char *dir, json_object *out)
{
	json_object *t = kcg_json_child(kcg_json_child(out, "cpu"), "throttling");
	uint64_t v;
	if (kcg_read_keyed(dir, "cpu.stat", "nr_periods", &v) == 0)
		kcg_json_u64(t, "periods", v);
	if (kcg_read_keyed(dir, "cpu.stat", "nr_throttled", &v) == 0)
		kcg_json_u64(t, "throttledPeriods", v);
	if (kcg_read_keyed(dir, "cpu.stat", "throttled_time", &v) == 0)
		kcg_json_u64(t, "throttledTime", v);
}

static void mem_entry(const char *dir, const char *prefix, json_object *mem, const char *key)
{
	static const struct {
		const char *suffix, *key;
	} f[] = {
		{ "limit_in_bytes", "limit" },
		{ "usage_in_bytes", "usage" },
		{ "max_usage_in_bytes", "max" },
		{ "failcnt", "failcnt" },
	};
	char file[128];
	uint64_t v;
	json_object *o = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		snprintf(file, sizeof(file), "%s%s", prefix, f[i].suffix);
		if (kcg_read_u64(dir, file, &v) < 0)
			continue;
		if (!o)
			o = kcg_json_child(mem, key);
		kcg_json_u64(o, f[i].key, v);
	}
}

void kcg_v1_stats_memory(const char *dir, json_object *out)
{
	json_object *mem = kcg_json_child(out, "memory");
	mem_entry(dir, "memory.", mem, "usage");
	mem_entry(dir, "memory.memsw.", mem, "swap");
	mem_entry(dir, "memory.kmem.", mem, "kernel");
	mem_entry(dir, "memory.kmem.tcp.", mem, "kernelTCP");
	json_object *raw = json_object_new_object();
	if (kcg_read_flat(dir, "memory.stat", raw) == 0) {
		json_object *cache = kj_get(raw, "cache");
		if (cache)
			kcg_json_u64(mem, "cache", json_object_get_uint64(cache));
		json_object_object_add(mem, "raw", raw);
	} else {
		json_object_put(raw);
	}
}

void kcg_v1_stats_pids(const char *dir, json_object *out)
{
	json_object *p = kcg_json_child(out, "pids");
	uint64_t v;
	if (kcg_read_u64(dir, "pids.current", &v) == 0)
		kcg_json_u64(p, "current", v);
	if (kcg_read_u64(dir, "pids.max", &v) == 0 && v != UINT64_MAX)
		kcg_json_u64(p, "limit", v);
}

/* "MAJ:MIN Op value" lines (a last "Total N" line is skipped). */
static int blkio_entries(const char *dir, const char *file, json_object *blkio, const char *key)
{
	char p[4096];
	_cleanup_free_ char *buf = NULL;
	kerr e;
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	if (kfs_read_file(p, &buf, NULL, &e) < 0)
		return -1;
	json_object *a = json_object_new_array();
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		unsigned ma, mi;
		char op[32];
		unsigned long long v;
		if (sscanf(line, "%u:%u %31s %llu", &ma, &mi, op, &v) == 4) {
			json_object *o = json_object_new_object();
			kcg_json_u64(o, "major", ma);
			kcg_json_u64(o, "minor", mi);
			json_object_object_add(o, "op", json_object_new_string(op));
			kcg_json_u64(o, "value", v);
			json_object_array_add(a, o);
		}
		line = nl ? nl + 1 : NULL;
	}
	if (json_object_array_length(a) == 0) {
		json_object_put(a);
		return -1;
	}
	json_object_object_add(blkio, key, a);
	return 0;
}

void kcg_v1_stats_blkio(const char *dir, json_object *out)
{
	json_object *b = kcg_json_child(out, "blkio");
	/* CFQ's counters, else BFQ's, else the throttle layer's (every device) */
	static const char *const prefixes[] = { "blkio.", "blkio.bfq.", "blkio.throttle." };
	char f1[128], f2[128];
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		snprintf(f1, sizeof(f1), "%sio_service_bytes_recursive", prefixes[i]);
		snprintf(f2, sizeof(f2), "%sio_serviced_recursive", prefixes[i]);
		if (blkio_entries(dir, f1, b, "ioServiceBytesRecursive") == 0) {
			blkio_entries(dir, f2, b, "ioServicedRecursive");
			return;
		}
	}
}

void kcg_v1_stats_hugetlb(const char *dir, json_object *out)
{
	json_object *hp = kcg_json_child(out, "hugetlb");
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		size_t l = strlen(n);
		const char *suf = ".usage_in_bytes";
		size_t sl = strlen(suf);
		if (strncmp(n, "hugetlb.", 8) || l <= 8 + sl || strcmp(n + l - sl, suf) || strstr(n, ".rsvd."))
			continue;
		char size[32], file[128];
		snprintf(size, sizeof(size), "%.*s", (int)(l - 8 - sl), n + 8);
		json_object *o = kcg_json_child(hp, size);
		uint64_t v;
		if (kcg_read_u64(dir, n, &v) == 0)
			kcg_json_u64(o, "usage", v);
		snprintf(file, sizeof(file), "hugetlb.%s.max_usage_in_bytes", size);
		if (kcg_read_u64(dir, file, &v) == 0)
			kcg_json_u64(o, "max", v);
		snprintf(file, sizeof(file), "hugetlb.%s.failcnt", size);
		if (kcg_read_u64(dir, file, &v) == 0)
			kcg_json_u64(o, "failcnt", v);
	}
}
