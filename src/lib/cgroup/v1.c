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

/* "v v v ..." into A[0..max): the count, or -1 when the file is missing */
static int read_list(const char *dir, const char *file, uint64_t *a, unsigned max)
{
	_cleanup_free_ char *buf = NULL;
	if (kcg_read_text(dir, file, &buf) < 0)
		return -1;
	char *s = buf, *end;
	unsigned n = 0;
	while (n < max) {
		errno = 0;
		unsigned long long v = strtoull(s, &end, 10);
		if (end == s || errno)
			break;
		a[n++] = v;
		s = end;
	}
	return (int)n;
}

void kcg_v1_stats_cpuacct(const char *dir, struct kcg_stats *s)
{
	int n;
	if (kcg_read_u64(dir, "cpuacct.usage", &s->cpu.total) == 0)
		s->have |= KCG_HAVE_CPU;
	if (!s->no_percpu && (n = read_list(dir, "cpuacct.usage_percpu", s->cpu.percpu, KCG_STATS_MAX_CPUS)) >= 0)
		s->cpu.n_percpu = (unsigned)n;
	int split = !s->no_percpu && !s->no_percpu_split;
	if (split && (n = read_list(dir, "cpuacct.usage_percpu_sys", s->cpu.percpu_kernel, KCG_STATS_MAX_CPUS)) >= 0)
		s->cpu.n_percpu_kernel = (unsigned)n;
	if (split && (n = read_list(dir, "cpuacct.usage_percpu_user", s->cpu.percpu_user, KCG_STATS_MAX_CPUS)) >= 0)
		s->cpu.n_percpu_user = (unsigned)n;
	/* cpuacct.stat counts USER_HZ ticks */
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	uint64_t ns_per_tick = 1000000000ull / (uint64_t)hz, v[2];
	static const char *const keys[] = { "system", "user" };
	if (kcg_read_keys(dir, "cpuacct.stat", keys, v, 2) == 3) {
		s->cpu.kernel = v[0] * ns_per_tick;
		s->cpu.user = v[1] * ns_per_tick;
		s->have |= KCG_HAVE_CPU_SPLIT;
	}
}

void kcg_v1_stats_cpu(const char *dir, struct kcg_stats *s)
{
	static const char *const keys[] = { "nr_periods", "nr_throttled", "throttled_time" };
	uint64_t v[3];
	if (kcg_read_keys(dir, "cpu.stat", keys, v, 3) == 7) {
		s->cpu.periods = v[0];
		s->cpu.throttled_periods = v[1];
		s->cpu.throttled_ns = v[2];
		s->have |= KCG_HAVE_THROTTLE;
	}
}

void kcg_v1_stats_cpu_spec(const char *dir, struct kcg_stats *s)
{
	_cleanup_free_ char *q = NULL;
	uint64_t shares, period;
	if (kcg_read_u64(dir, "cpu.shares", &shares) < 0 || kcg_read_u64(dir, "cpu.cfs_period_us", &period) < 0 ||
	    kcg_read_text(dir, "cpu.cfs_quota_us", &q) < 0)
		return;
	long long quota = strtoll(q, NULL, 10); /* -1: none */
	s->spec.cpu_shares = shares;
	s->spec.cpu_period = period;
	s->spec.cpu_quota = quota > 0 ? (uint64_t)quota : 0;
	s->have |= KCG_HAVE_CPU_SPEC;
}

void kcg_v1_stats_mem_spec(const char *dir, struct kcg_stats *s)
{
	uint64_t v;
	if (kcg_read_u64(dir, "memory.soft_limit_in_bytes", &v) == 0) {
		s->spec.mem_reservation = v >= (1ull << 62) ? UINT64_MAX : v; /* the page-rounded LLONG_MAX: none */
		s->have |= KCG_HAVE_MEM_RESERVATION;
	}
}

static void mem_entry(const char *dir, const char *prefix, struct kcg_memc *m)
{
	static const struct {
		const char *suffix;
		size_t off;
		unsigned bit;
	} f[] = {
		{ "limit_in_bytes", offsetof(struct kcg_memc, limit), KCG_MC_LIMIT },
		{ "usage_in_bytes", offsetof(struct kcg_memc, usage), KCG_MC_USAGE },
		{ "max_usage_in_bytes", offsetof(struct kcg_memc, max), KCG_MC_MAX },
		{ "failcnt", offsetof(struct kcg_memc, failcnt), KCG_MC_FAILCNT },
	};
	char file[128];
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		snprintf(file, sizeof(file), "%s%s", prefix, f[i].suffix);
		if (kcg_read_u64(dir, file, (uint64_t *)((char *)m + f[i].off)) == 0)
			m->have |= f[i].bit;
	}
}

void kcg_v1_stats_memory(const char *dir, struct kcg_stats *s)
{
	mem_entry(dir, "memory.", &s->mem.usage);
	mem_entry(dir, "memory.memsw.", &s->mem.memsw);
	if (!s->no_kmem) {
		mem_entry(dir, "memory.kmem.", &s->mem.kernel);
		mem_entry(dir, "memory.kmem.tcp.", &s->mem.kernel_tcp);
	}
	if (s->mem.usage.have)
		s->have |= KCG_HAVE_MEMORY;
	const struct kcg_memc *m = &s->mem.usage, *w = &s->mem.memsw;
	if ((w->have & KCG_MC_USAGE) && (m->have & KCG_MC_USAGE)) {
		s->mem.swap_bytes = w->usage > m->usage ? w->usage - m->usage : 0;
		s->mem.swap_limit = UINT64_MAX;
		/* a memsw limit far above memory's is "no swap limit" too */
		if ((w->have & KCG_MC_LIMIT) && (m->have & KCG_MC_LIMIT) && w->limit >= m->limit && w->limit < (1ull << 62))
			s->mem.swap_limit = w->limit - m->limit;
		s->have |= KCG_HAVE_SWAP;
	}
	if (kcg_read_keyed(dir, "memory.oom_control", "oom_kill", &s->mem.oom_kills) == 0)
		s->have |= KCG_HAVE_OOM;
	if (kcg_stats_memstat(dir, s) < 0)
		return;
	/* the hierarchical totals where the kernel keeps them */
	static const struct {
		const char *total, *local;
		size_t off;
	} f[] = {
		{ "total_cache", "cache", offsetof(struct kcg_stats, mem.cache) },
		{ "total_rss", "rss", offsetof(struct kcg_stats, mem.rss) },
		{ "total_mapped_file", "mapped_file", offsetof(struct kcg_stats, mem.mapped_file) },
		{ "total_inactive_file", "inactive_file", offsetof(struct kcg_stats, mem.inactive_file) },
		{ "total_pgfault", "pgfault", offsetof(struct kcg_stats, mem.pgfault) },
		{ "total_pgmajfault", "pgmajfault", offsetof(struct kcg_stats, mem.pgmajfault) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		uint64_t *v = (uint64_t *)((char *)s + f[i].off);
		if (kcg_stats_raw(s, f[i].total, v) < 0)
			kcg_stats_raw(s, f[i].local, v);
	}
	kcg_stats_raw(s, "cache", &s->mem.runc_cache);
}

void kcg_v1_stats_pids(const char *dir, struct kcg_stats *s)
{
	if (kcg_read_u64(dir, "pids.current", &s->pids.current) < 0)
		return;
	if (kcg_read_u64(dir, "pids.max", &s->pids.limit) < 0)
		s->pids.limit = UINT64_MAX;
	s->have |= KCG_HAVE_PIDS;
}

/* "MAJ:MIN Op value" lines (a last "Total N" line is skipped): 0 when the
 * file had any, else -1 */
static int blkio_entries(const char *dir, const char *file, struct kcg_stats *s, int ios)
{
	_cleanup_free_ char *buf = NULL;
	if (kcg_read_text(dir, file, &buf) < 0)
		return -1;
	int any = 0;
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		unsigned ma, mi;
		char op[32];
		unsigned long long v;
		int k;
		struct kcg_blkdev *d;
		if (sscanf(line, "%u:%u %31s %llu", &ma, &mi, op, &v) == 4 && (k = kcg_io_op_from_name(op)) >= 0 &&
		    (d = kcg_stats_dev(s, ma, mi))) {
			(ios ? d->ios : d->bytes)[k] = v;
			*(ios ? &d->have_ios : &d->have_bytes) |= 1u << k;
			any = 1;
		}
		line = nl ? nl + 1 : NULL;
	}
	return any ? 0 : -1;
}

void kcg_v1_stats_blkio(const char *dir, struct kcg_stats *s)
{
	/* CFQ's counters, else BFQ's, else the throttle layer's (every device) */
	static const char *const prefixes[] = { "blkio.", "blkio.bfq.", "blkio.throttle." };
	char f1[128], f2[128];
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		snprintf(f1, sizeof(f1), "%sio_service_bytes_recursive", prefixes[i]);
		snprintf(f2, sizeof(f2), "%sio_serviced_recursive", prefixes[i]);
		if (blkio_entries(dir, f1, s, 0) == 0) {
			blkio_entries(dir, f2, s, 1);
			s->have |= KCG_HAVE_BLKIO;
			return;
		}
	}
	if (kcg_exists(dir, "blkio.throttle.io_service_bytes_recursive"))
		s->have |= KCG_HAVE_BLKIO; /* no IO yet */
}

void kcg_v1_stats_hugetlb(const char *dir, struct kcg_stats *s)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return;
	s->have |= KCG_HAVE_HUGETLB;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		size_t l = strlen(n);
		const char *suf = ".usage_in_bytes";
		size_t sl = strlen(suf);
		if (strncmp(n, "hugetlb.", 8) || l <= 8 + sl || strcmp(n + l - sl, suf) || strstr(n, ".rsvd."))
			continue;
		struct kcg_hugetlb *hp = kcg_stats_huge(s, n + 8, l - 8 - sl);
		if (!hp)
			continue;
		char file[128];
		if (kcg_read_u64(dir, n, &hp->usage) == 0)
			hp->have |= KCG_MC_USAGE;
		snprintf(file, sizeof(file), "hugetlb.%s.max_usage_in_bytes", hp->size);
		if (kcg_read_u64(dir, file, &hp->max) == 0)
			hp->have |= KCG_MC_MAX;
		snprintf(file, sizeof(file), "hugetlb.%s.failcnt", hp->size);
		if (kcg_read_u64(dir, file, &hp->failcnt) == 0)
			hp->have |= KCG_MC_FAILCNT;
	}
}
