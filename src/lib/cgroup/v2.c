/* The cgroup v2 driver: linux.resources as cgroup2 files (device rules as
 * an eBPF program, devices_bpf.c), and v2 stats. */
#include "cgroup/devices_bpf.h"
#include "cgroup/driver.h"

#include "common/cleanup.h"
#include "common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F(x) KCG_FIELD "." x

static void num_or_max(char *out, size_t n, int64_t v)
{
	if (v < 0)
		snprintf(out, n, "max");
	else
		snprintf(out, n, "%" PRId64, v);
}

static int plan_memory(const struct kcg_res *r, struct kcg_plan *p)
{
	const char *M = "memory";
	char v[32];

	if (r->has_limit) {
		num_or_max(v, sizeof(v), r->limit);
		if (kcg_plan_add(p, r->check_before_update ? KCG_W_CHECK_USAGE : 0, M, "memory.max", F("memory.limit"),
				 "%s", v) < 0)
			return -1;
	}
	/* OCI swap is memory+swap (the v1 meaning); memory.swap.max is swap alone */
	if (r->has_swap) {
		if (r->swap == -1) {
			if (kcg_plan_add(p, 0, M, "memory.swap.max", F("memory.swap"), "max") < 0)
				return -1;
		} else if (!r->has_limit || r->limit == -1) {
			if (kcg_plan_unsupported(p, M, F("memory.swap"),
						 "a memory+swap limit needs memory.limit on cgroup v2 (swap is "
						 "accounted apart from memory there)") < 0)
				return -1;
		} else if (kcg_plan_add(p, 0, M, "memory.swap.max", F("memory.swap"), "%" PRId64,
					r->swap - r->limit) < 0) {
			return -1;
		}
	} else if (r->has_limit && r->limit == -1) {
		if (kcg_plan_add(p, KCG_W_OPTIONAL, M, "memory.swap.max", F("memory.limit"), "max") < 0)
			return -1;
	}
	if (r->has_reservation) {
		num_or_max(v, sizeof(v), r->reservation);
		if (kcg_plan_add(p, 0, M, "memory.low", F("memory.reservation"), "%s", v) < 0)
			return -1;
	}
	if (r->has_kernel &&
	    kcg_plan_unsupported(p, M, F("memory.kernel"), "cgroup v2 has no separate kernel memory limit") < 0)
		return -1;
	if (r->has_kernel_tcp &&
	    kcg_plan_unsupported(p, M, F("memory.kernelTCP"), "cgroup v2 has no separate TCP buffer limit") < 0)
		return -1;
	if (r->has_swappiness &&
	    kcg_plan_unsupported(p, M, F("memory.swappiness"), "cgroup v2 has no per-cgroup swappiness") < 0)
		return -1;
	if (r->has_disable_oom && r->disable_oom &&
	    kcg_plan_unsupported(p, M, F("memory.disableOOMKiller"), "cgroup v2 cannot disable the OOM killer") < 0)
		return -1;
	if (r->has_use_hierarchy && !r->use_hierarchy &&
	    kcg_plan_unsupported(p, M, F("memory.useHierarchy"), "cgroup v2 is always hierarchical") < 0)
		return -1;
	return 0;
}

static int plan_cpu(const struct kcg_res *r, struct kcg_plan *p)
{
	const char *C = "cpu";
	if (r->has_shares && kcg_plan_add(p, 0, C, "cpu.weight", F("cpu.shares"), "%" PRIu64,
					  kcg_shares_to_weight(r->shares)) < 0)
		return -1;
	if (r->has_quota || r->has_period) {
		char q[32] = "max", per[32] = "";
		if (r->has_quota && r->quota > 0)
			snprintf(q, sizeof(q), "%" PRId64, r->quota);
		if (r->has_period)
			snprintf(per, sizeof(per), " %" PRIu64, r->period);
		if (kcg_plan_add(p, 0, C, "cpu.max", r->has_quota ? F("cpu.quota") : F("cpu.period"), "%s%s", q, per) < 0)
			return -1;
	}
	if (r->has_burst && kcg_plan_add(p, 0, C, "cpu.max.burst", F("cpu.burst"), "%" PRIu64, r->burst) < 0)
		return -1;
	if (r->has_idle && kcg_plan_add(p, 0, C, "cpu.idle", F("cpu.idle"), "%" PRId64, r->idle) < 0)
		return -1;
	if (r->has_rt_period && kcg_plan_unsupported(p, C, F("cpu.realtimePeriod"),
						     "cgroup v2 has no realtime scheduling budget") < 0)
		return -1;
	if (r->has_rt_runtime && kcg_plan_unsupported(p, C, F("cpu.realtimeRuntime"),
						      "cgroup v2 has no realtime scheduling budget") < 0)
		return -1;
	if (r->cpus && kcg_plan_add(p, 0, "cpuset", "cpuset.cpus", F("cpu.cpus"), "%s", r->cpus) < 0)
		return -1;
	if (r->mems && kcg_plan_add(p, 0, "cpuset", "cpuset.mems", F("cpu.mems"), "%s", r->mems) < 0)
		return -1;
	return 0;
}

/* blkio weight (10..1000) on the io.weight scale (1..10000) */
static uint64_t io_weight(uint16_t w)
{
	return 1 + ((uint64_t)w - 10) * 9999 / 990;
}

static int plan_io(const struct kcg_res *r, struct kcg_plan *p)
{
	static const char *const keys[KCG_T_N] = { "rbps", "wbps", "riops", "wiops" };
	const char *I = "io";
	char f[256];

	if (r->has_blkio_weight) {
		char raw[16];
		snprintf(raw, sizeof(raw), "%u", r->blkio_weight);
		/* iocost's io.weight, else BFQ's own scale */
		if (kcg_plan_add(p, 0, I, "io.weight", F("blockIO.weight"), "%" PRIu64, io_weight(r->blkio_weight)) < 0 ||
		    kcg_plan_alt(p, "io.bfq.weight", raw) < 0)
			return -1;
	}
	if (r->has_blkio_leaf &&
	    kcg_plan_unsupported(p, I, F("blockIO.leafWeight"), "cgroup v2 has no leaf weights") < 0)
		return -1;
	for (size_t i = 0; i < r->n_wdev; i++) {
		const struct kcg_wdev *d = &r->wdev[i];
		if (d->has_weight) {
			snprintf(f, sizeof(f), F("blockIO.weightDevice[%zu].weight"), i);
			if (kcg_plan_add(p, 0, I, "io.bfq.weight", f, "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
					 d->weight) < 0)
				return -1;
		}
		if (d->has_leaf) {
			snprintf(f, sizeof(f), F("blockIO.weightDevice[%zu].leafWeight"), i);
			if (kcg_plan_unsupported(p, I, f, "cgroup v2 has no leaf weights") < 0)
				return -1;
		}
	}
	/* io.max: one line per device with every limit given for it */
	for (int t = 0; t < KCG_T_N; t++) {
		for (size_t i = 0; i < r->n_tdev[t]; i++) {
			int64_t ma = r->tdev[t][i].major, mi = r->tdev[t][i].minor;
			int seen = 0;
			for (int t2 = 0; t2 <= t && !seen; t2++)
				for (size_t j = 0; j < (t2 < t ? r->n_tdev[t2] : i) && !seen; j++)
					seen = r->tdev[t2][j].major == ma && r->tdev[t2][j].minor == mi;
			if (seen)
				continue;
			char line[256];
			size_t off = snprintf(line, sizeof(line), "%" PRId64 ":%" PRId64, ma, mi);
			for (int t2 = 0; t2 < KCG_T_N; t2++) {
				const struct kcg_tdev *last = NULL;
				for (size_t j = 0; j < r->n_tdev[t2]; j++)
					if (r->tdev[t2][j].major == ma && r->tdev[t2][j].minor == mi)
						last = &r->tdev[t2][j];
				if (!last)
					continue;
				if (last->rate == 0) /* 0: no limit */
					off += snprintf(line + off, sizeof(line) - off, " %s=max", keys[t2]);
				else
					off += snprintf(line + off, sizeof(line) - off, " %s=%" PRIu64, keys[t2], last->rate);
			}
			snprintf(f, sizeof(f), F("blockIO.%s[%zu]"), kcg_throttle_key[t], i);
			if (kcg_plan_add(p, 0, I, "io.max", f, "%s", line) < 0)
				return -1;
		}
	}
	return 0;
}

/* One entry: the device program of the rules, then the defaults (the
 * program denies what no rule allows, so the v1 driver's leading deny-all
 * is not needed).  Loaded and attached when the plan is applied. */
static int plan_devices(const struct kcg_res *r, struct kcg_plan *p)
{
	size_t n = r->n_dev + kcg_n_default_devices;
	_cleanup_free_ struct kcg_dev_rule *all = calloc(n, sizeof(*all));
	_cleanup_free_ char *txt = NULL;
	if (!all)
		return kerr_set(p->e, ENOMEM, "plan the device program");
	if (r->n_dev)
		memcpy(all, r->dev, r->n_dev * sizeof(*all));
	memcpy(all + r->n_dev, kcg_default_devices, kcg_n_default_devices * sizeof(*all));
	if (kcg_dev_rules_format(all, n, &txt) < 0)
		return kerr_set(p->e, ENOMEM, "plan the device program");
	return kcg_plan_add(p, KCG_W_DEVPROG | (r->has_devices ? 0 : KCG_W_IMPLICIT), "devices", KCG_DEVPROG_FILE,
			    F("devices"), "%s", txt);
}

int kcg_v2_plan(const struct kcg_res *r, struct kcg_plan *p)
{
	char f[512], file[128];
	if (plan_memory(r, p) < 0 || plan_cpu(r, p) < 0)
		return -1;
	if (r->has_pids) {
		int k = r->pids > 0 ? kcg_plan_add(p, 0, "pids", "pids.max", F("pids.limit"), "%" PRId64, r->pids)
				    : kcg_plan_add(p, 0, "pids", "pids.max", F("pids.limit"), "max");
		if (k < 0)
			return -1;
	}
	if (plan_io(r, p) < 0)
		return -1;
	for (size_t i = 0; i < r->n_hp; i++) {
		snprintf(f, sizeof(f), F("hugepageLimits[%zu]"), i);
		snprintf(file, sizeof(file), "hugetlb.%s.max", r->hp[i].size);
		if (kcg_plan_add(p, 0, "hugetlb", file, f, "%" PRIu64, r->hp[i].limit) < 0)
			return -1;
		snprintf(file, sizeof(file), "hugetlb.%s.rsvd.max", r->hp[i].size);
		if (kcg_plan_add(p, KCG_W_OPTIONAL, "hugetlb", file, f, "%" PRIu64, r->hp[i].limit) < 0)
			return -1;
	}
	if (r->has_classid && kcg_plan_unsupported(p, "net_cls", F("network.classID"),
						   "cgroup v2 has no net_cls controller (match the cgroup path "
						   "in nftables instead)") < 0)
		return -1;
	if (r->n_prio > 0 && kcg_plan_unsupported(p, "net_prio", F("network.priorities"),
						  "cgroup v2 has no net_prio controller") < 0)
		return -1;
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
	/* unified last, so it can refine what the fields above wrote */
	for (size_t i = 0; i < r->n_unified; i++) {
		const struct kcg_kv *kv = &r->unified[i];
		char ctl[64];
		snprintf(ctl, sizeof(ctl), "%.*s", (int)(strchr(kv->key, '.') - kv->key), kv->key);
		kj_path(f, sizeof(f), F("unified"), kv->key);
		if (kcg_plan_add(p, KCG_W_UNIFIED, ctl, kv->key, f, "%s", kv->value) < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- stats */

void kcg_v2_stats_cpu(const char *dir, struct kcg_stats *s)
{
	static const char *const keys[] = { "usage_usec",  "system_usec",  "user_usec",
					    "nr_periods", "nr_throttled", "throttled_usec" };
	uint64_t v[6];
	int got = kcg_read_keys(dir, "cpu.stat", keys, v, 6);
	if (got < 0)
		return;
	if (got & 1) {
		s->cpu.total = v[0] * 1000;
		s->have |= KCG_HAVE_CPU;
	}
	if ((got & 6) == 6) {
		s->cpu.kernel = v[1] * 1000;
		s->cpu.user = v[2] * 1000;
		s->have |= KCG_HAVE_CPU_SPLIT;
	}
	/* the throttling counters exist only with the cpu controller enabled */
	if ((got & 0x38) == 0x38) {
		s->cpu.periods = v[3];
		s->cpu.throttled_periods = v[4];
		s->cpu.throttled_ns = v[5] * 1000;
		s->have |= KCG_HAVE_THROTTLE;
	}
}

void kcg_v2_stats_cpu_spec(const char *dir, struct kcg_stats *s)
{
	_cleanup_free_ char *max = NULL;
	uint64_t weight;
	if (kcg_read_u64(dir, "cpu.weight", &weight) < 0 || kcg_read_text(dir, "cpu.max", &max) < 0 || weight < 1 ||
	    weight > 10000)
		return;
	unsigned long long period = 0;
	char quota[32] = "";
	if (sscanf(max, "%31s %llu", quota, &period) != 2)
		return;
	/* cpu.weight back to v1 shares, as cAdvisor reads it */
	s->spec.cpu_shares = 2 + (weight - 1) * 262142 / 9999;
	s->spec.cpu_period = period;
	s->spec.cpu_quota = strcmp(quota, "max") ? strtoull(quota, NULL, 10) : 0;
	s->have |= KCG_HAVE_CPU_SPEC;
}

void kcg_v2_stats_mem_spec(const char *dir, struct kcg_stats *s)
{
	uint64_t v;
	if (kcg_read_u64(dir, "memory.low", &v) == 0) {
		s->spec.mem_reservation = v; /* "max": UINT64_MAX */
		s->have |= KCG_HAVE_MEM_RESERVATION;
	}
}

static void mem_read(const char *dir, const char *pfx, struct kcg_memc *m)
{
	char f[64];
	snprintf(f, sizeof(f), "%s.current", pfx);
	if (kcg_read_u64(dir, f, &m->usage) == 0)
		m->have |= KCG_MC_USAGE;
	snprintf(f, sizeof(f), "%s.max", pfx);
	if (kcg_read_u64(dir, f, &m->limit) == 0)
		m->have |= KCG_MC_LIMIT;
	snprintf(f, sizeof(f), "%s.peak", pfx);
	if (kcg_read_u64(dir, f, &m->max) == 0)
		m->have |= KCG_MC_MAX;
	snprintf(f, sizeof(f), "%s.events", pfx);
	if (kcg_read_keyed(dir, f, "max", &m->failcnt) == 0)
		m->have |= KCG_MC_FAILCNT;
}

void kcg_v2_stats_memory(const char *dir, struct kcg_stats *s)
{
	struct kcg_memc *m = &s->mem.usage, sw = { 0 };
	mem_read(dir, "memory", m);
	mem_read(dir, "memory.swap", &sw);
	if (m->have)
		s->have |= KCG_HAVE_MEMORY;
	s->v2_memory = 1;
	if (sw.have & KCG_MC_USAGE) {
		s->mem.swap_bytes = sw.usage;
		s->mem.swap_limit = (sw.have & KCG_MC_LIMIT) ? sw.limit : UINT64_MAX;
		s->have |= KCG_HAVE_SWAP;
	}
	/* v1 reports swap as memory+swap; so does runc on v2 */
	if (sw.have & (KCG_MC_USAGE | KCG_MC_LIMIT)) {
		struct kcg_memc *w = &s->mem.memsw;
		w->have = sw.have & (KCG_MC_USAGE | KCG_MC_LIMIT | KCG_MC_FAILCNT);
		w->usage = sw.usage + ((m->have & KCG_MC_USAGE) ? m->usage : 0);
		w->failcnt = sw.failcnt;
		if ((sw.have & KCG_MC_LIMIT) && sw.limit != UINT64_MAX && (m->have & KCG_MC_LIMIT) && m->limit != UINT64_MAX)
			w->limit = sw.limit + m->limit;
		else
			w->limit = UINT64_MAX;
	}
	if (kcg_read_keyed(dir, "memory.events", "oom_kill", &s->mem.oom_kills) == 0)
		s->have |= KCG_HAVE_OOM;
	if (kcg_stats_memstat(dir, s) < 0)
		return;
	kcg_stats_raw(s, "file", &s->mem.cache);
	kcg_stats_raw(s, "anon", &s->mem.rss);
	kcg_stats_raw(s, "file_mapped", &s->mem.mapped_file);
	kcg_stats_raw(s, "inactive_file", &s->mem.inactive_file);
	kcg_stats_raw(s, "pgfault", &s->mem.pgfault);
	kcg_stats_raw(s, "pgmajfault", &s->mem.pgmajfault);
	s->mem.runc_cache = s->mem.cache;
}

void kcg_v2_stats_pids(const char *dir, struct kcg_stats *s)
{
	if (kcg_read_u64(dir, "pids.current", &s->pids.current) < 0)
		return;
	if (kcg_read_u64(dir, "pids.max", &s->pids.limit) < 0)
		s->pids.limit = UINT64_MAX;
	s->have |= KCG_HAVE_PIDS;
}

void kcg_v2_stats_io(const char *dir, struct kcg_stats *s)
{
	_cleanup_free_ char *buf = NULL;
	if (kcg_read_text(dir, "io.stat", &buf) < 0)
		return;
	s->have |= KCG_HAVE_BLKIO;
	s->v2_io = 1;
	static const struct {
		const char *key;
		int op, ios;
	} keys[] = {
		{ "rbytes", KCG_IO_READ, 0 }, { "wbytes", KCG_IO_WRITE, 0 }, { "dbytes", KCG_IO_DISCARD, 0 },
		{ "rios", KCG_IO_READ, 1 },   { "wios", KCG_IO_WRITE, 1 },   { "dios", KCG_IO_DISCARD, 1 },
	};
	/* "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6" */
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		unsigned ma, mi;
		int off = 0;
		struct kcg_blkdev *d;
		if (sscanf(line, "%u:%u%n", &ma, &mi, &off) == 2 && (d = kcg_stats_dev(s, ma, mi))) {
			char *save = NULL;
			for (char *t = strtok_r(line + off, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
				char *eq = strchr(t, '=');
				if (!eq)
					continue;
				*eq = '\0';
				for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
					if (strcmp(t, keys[i].key))
						continue;
					uint64_t v = strtoull(eq + 1, NULL, 10);
					(keys[i].ios ? d->ios : d->bytes)[keys[i].op] = v;
					*(keys[i].ios ? &d->have_ios : &d->have_bytes) |= 1u << keys[i].op;
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
}

void kcg_v2_stats_hugetlb(const char *dir, struct kcg_stats *s)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return;
	s->have |= KCG_HAVE_HUGETLB;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		size_t l = strlen(n);
		if (strncmp(n, "hugetlb.", 8) || l <= 16 || strcmp(n + l - 8, ".current") || strstr(n, ".rsvd."))
			continue;
		struct kcg_hugetlb *hp = kcg_stats_huge(s, n + 8, l - 16);
		if (!hp)
			continue;
		char file[128];
		if (kcg_read_u64(dir, n, &hp->usage) == 0)
			hp->have |= KCG_MC_USAGE;
		/* v2 keeps no peak: "max" (max usage in v1) is left out */
		snprintf(file, sizeof(file), "hugetlb.%s.events", hp->size);
		if (kcg_read_keyed(dir, file, "max", &hp->failcnt) == 0)
			hp->have |= KCG_MC_FAILCNT;
	}
}
