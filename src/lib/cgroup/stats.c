/* A container's cgroup usage read back through the driver of each
 * hierarchy into struct kcg_stats, and runc's `events --stats` JSON of it. */
#include "cgroup/stats.h"

#include "cgroup/driver.h"
#include "common/cleanup.h"
#include "common/fs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int dir_of(const struct kcg_host *h, int idx, const char *path, char *out, size_t n)
{
	struct stat st;
	if (idx < 0 || snprintf(out, n, "%s%s", h->hier[idx].mount, path) >= (int)n)
		return -1;
	return stat(out, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

/* Directory of v1 controller CTL for PATH, else the cgroup2 directory if
 * FILE exists there. */
static int pick(const struct kcg_host *h, const char *path, const char *ctl, const char *v2file, char *out, size_t n,
		int *v2)
{
	int idx = kcg_find(h, ctl);
	if (idx >= 0 && !h->hier[idx].v2) {
		*v2 = 0;
		return dir_of(h, idx, path, out, n);
	}
	if (h->unified < 0 || dir_of(h, h->unified, path, out, n) < 0 || !kcg_exists(out, v2file))
		return -1;
	*v2 = 1;
	return 0;
}

/* pick without the stat of a v1 directory: its first file read finds it
 * missing (each reader sets its figures only from files it read).  For
 * the controllers with no cgroup2 fallback below. */
static int pick_v1_fast(const struct kcg_host *h, const char *path, const char *ctl, const char *v2file, char *out,
			size_t n, int *v2)
{
	int idx = kcg_find(h, ctl);
	if (idx >= 0 && !h->hier[idx].v2) {
		*v2 = 0;
		return snprintf(out, n, "%s%s", h->hier[idx].mount, path) < (int)n ? 0 : -1;
	}
	return pick(h, path, ctl, v2file, out, n, v2);
}

int kcg_stats_read(const struct kcg_host *h, const char *path, struct kcg_stats *s, kerr *e)
{
	return kcg_stats_read_flags(h, path, 0, s, e);
}

int kcg_stats_read_flags(const struct kcg_host *h, const char *path, unsigned flags, struct kcg_stats *s, kerr *e)
{
	char dir[PATH_MAX];
	int v2, found = 0;
	memset(s, 0, sizeof(*s));
	s->no_kmem = !!(flags & KCG_STATS_NO_KMEM);
	s->no_percpu = !!(flags & KCG_STATS_NO_PERCPU);
	s->no_percpu_split = !!(flags & KCG_STATS_NO_PERCPU_SPLIT);
	for (int i = 0; i < h->n && !found; i++)
		found = dir_of(h, i, path, dir, sizeof(dir)) == 0;
	if (!found)
		return kerr_set(e, ENOENT, "stats: no cgroup %s in any hierarchy", path);
	kcg_read_scope(1);

	int have_cpuacct = 0;
	if (pick_v1_fast(h, path, "cpuacct", "cpu.stat", dir, sizeof(dir), &v2) == 0 && !v2) {
		kcg_v1_stats_cpuacct(dir, s);
		have_cpuacct = !!(s->have & KCG_HAVE_CPU); /* missing: the cgroup2 fallback below */
	}
	if (pick(h, path, "cpu", "cpu.stat", dir, sizeof(dir), &v2) == 0) {
		if (v2 && !have_cpuacct)
			kcg_v2_stats_cpu(dir, s);
		else if (!v2)
			kcg_v1_stats_cpu(dir, s);
		if (flags & KCG_STATS_SPEC)
			(v2 ? kcg_v2_stats_cpu_spec : kcg_v1_stats_cpu_spec)(dir, s);
	} else if (!have_cpuacct && h->unified >= 0 && dir_of(h, h->unified, path, dir, sizeof(dir)) == 0) {
		kcg_v2_stats_cpu(dir, s); /* cpu.stat usage is core in v2 */
	}
	if (pick_v1_fast(h, path, "memory", "memory.current", dir, sizeof(dir), &v2) == 0) {
		(v2 ? kcg_v2_stats_memory : kcg_v1_stats_memory)(dir, s);
		if (flags & KCG_STATS_SPEC)
			(v2 ? kcg_v2_stats_mem_spec : kcg_v1_stats_mem_spec)(dir, s);
	}
	if (pick_v1_fast(h, path, "pids", "pids.current", dir, sizeof(dir), &v2) == 0)
		(v2 ? kcg_v2_stats_pids : kcg_v1_stats_pids)(dir, s);
	int idx = kcg_find(h, "blkio");
	if (idx >= 0 && dir_of(h, idx, path, dir, sizeof(dir)) == 0)
		kcg_v1_stats_blkio(dir, s);
	else if (pick(h, path, "io", "io.stat", dir, sizeof(dir), &v2) == 0 && v2)
		kcg_v2_stats_io(dir, s);
	idx = kcg_find(h, "hugetlb");
	if (idx >= 0 && dir_of(h, idx, path, dir, sizeof(dir)) == 0)
		kcg_v1_stats_hugetlb(dir, s);
	else if (h->unified >= 0 && dir_of(h, h->unified, path, dir, sizeof(dir)) == 0)
		kcg_v2_stats_hugetlb(dir, s);

	uint64_t u = s->mem.usage.usage;
	s->mem.working_set = (s->have & KCG_HAVE_MEMSTAT) && s->mem.inactive_file < u ? u - s->mem.inactive_file
			     : (s->have & KCG_HAVE_MEMSTAT)                           ? 0
										      : u;
	kcg_read_scope(0);
	return 0;
}

/* ------------------------------------------------------- runc's JSON */

static void put_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static json_object *u64_array(const uint64_t *a, unsigned n)
{
	json_object *arr = json_object_new_array_ext((int)n);
	for (unsigned i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_uint64(a[i]));
	return arr;
}

static void put_memc(json_object *mem, const char *key, const struct kcg_memc *m, unsigned mask)
{
	unsigned have = m->have & mask;
	if (!(have & (KCG_MC_USAGE | KCG_MC_LIMIT)))
		return;
	json_object *o = json_object_new_object();
	if (have & KCG_MC_LIMIT)
		put_u64(o, "limit", m->limit);
	if (have & KCG_MC_USAGE)
		put_u64(o, "usage", m->usage);
	if (have & KCG_MC_MAX)
		put_u64(o, "max", m->max);
	if (have & KCG_MC_FAILCNT)
		put_u64(o, "failcnt", m->failcnt);
	json_object_object_add(mem, key, o);
}

json_object *kcg_stats_blkio_json(const struct kcg_stats *s, int ios, int lower)
{
	json_object *a = json_object_new_array();
	for (unsigned i = 0; i < s->n_dev; i++) {
		const struct kcg_blkdev *d = &s->dev[i];
		for (int k = 0; k < KCG_IO_N; k++) {
			if (!((ios ? d->have_ios : d->have_bytes) & (1u << k)))
				continue;
			char op[16];
			snprintf(op, sizeof(op), "%s", kcg_io_op_to_name(k));
			if (lower)
				op[0] = (char)(op[0] - 'A' + 'a');
			json_object *o = json_object_new_object();
			put_u64(o, "major", d->major);
			put_u64(o, "minor", d->minor);
			json_object_object_add(o, "op", json_object_new_string(op));
			put_u64(o, "value", (ios ? d->ios : d->bytes)[k]);
			json_object_array_add(a, o);
		}
	}
	return a;
}

json_object *kcg_stats_runc_json(const struct kcg_stats *s)
{
	json_object *o = json_object_new_object();
	json_object *cpu = json_object_new_object(), *mem = json_object_new_object(), *pids = json_object_new_object(),
		    *blkio = json_object_new_object(), *huge = json_object_new_object();
	json_object_object_add(o, "cpu", cpu);
	json_object_object_add(o, "memory", mem);
	json_object_object_add(o, "pids", pids);
	json_object_object_add(o, "blkio", blkio);
	json_object_object_add(o, "hugetlb", huge);

	if (s->have & (KCG_HAVE_CPU | KCG_HAVE_CPU_SPLIT) || s->cpu.n_percpu) {
		json_object *u = json_object_new_object();
		if (s->have & KCG_HAVE_CPU)
			put_u64(u, "total", s->cpu.total);
		if (s->cpu.n_percpu)
			json_object_object_add(u, "percpu", u64_array(s->cpu.percpu, s->cpu.n_percpu));
		if (s->cpu.n_percpu_kernel)
			json_object_object_add(u, "percpu_kernel",
					       u64_array(s->cpu.percpu_kernel, s->cpu.n_percpu_kernel));
		if (s->cpu.n_percpu_user)
			json_object_object_add(u, "percpu_user", u64_array(s->cpu.percpu_user, s->cpu.n_percpu_user));
		if (s->have & KCG_HAVE_CPU_SPLIT) {
			put_u64(u, "kernel", s->cpu.kernel);
			put_u64(u, "user", s->cpu.user);
		}
		json_object_object_add(cpu, "usage", u);
	}
	if (s->have & KCG_HAVE_THROTTLE) {
		json_object *t = json_object_new_object();
		put_u64(t, "periods", s->cpu.periods);
		put_u64(t, "throttledPeriods", s->cpu.throttled_periods);
		put_u64(t, "throttledTime", s->cpu.throttled_ns);
		json_object_object_add(cpu, "throttling", t);
	}

	unsigned all = KCG_MC_USAGE | KCG_MC_LIMIT | KCG_MC_MAX | KCG_MC_FAILCNT;
	put_memc(mem, "usage", &s->mem.usage, all);
	put_memc(mem, "swap", &s->mem.memsw, s->v2_memory ? all & ~KCG_MC_MAX : all);
	put_memc(mem, "kernel", &s->mem.kernel, all);
	put_memc(mem, "kernelTCP", &s->mem.kernel_tcp, all);
	if (s->have & KCG_HAVE_MEMSTAT) {
		uint64_t v;
		if (kcg_stats_raw(s, s->v2_memory ? "file" : "cache", &v) == 0)
			put_u64(mem, "cache", v);
		json_object *raw = json_object_new_object();
		for (unsigned i = 0; i < s->mem.n_raw; i++)
			put_u64(raw, s->mem.raw[i].key, s->mem.raw[i].v);
		json_object_object_add(mem, "raw", raw);
	}

	if (s->have & KCG_HAVE_PIDS) {
		put_u64(pids, "current", s->pids.current);
		if (s->pids.limit != UINT64_MAX)
			put_u64(pids, "limit", s->pids.limit);
	}

	json_object *a = kcg_stats_blkio_json(s, 0, 0);
	if (json_object_array_length(a))
		json_object_object_add(blkio, "ioServiceBytesRecursive", a);
	else
		json_object_put(a);
	a = kcg_stats_blkio_json(s, 1, 0);
	if (json_object_array_length(a))
		json_object_object_add(blkio, "ioServicedRecursive", a);
	else
		json_object_put(a);

	for (unsigned i = 0; i < s->n_huge; i++) {
		const struct kcg_hugetlb *hp = &s->huge[i];
		json_object *h = json_object_new_object();
		if (hp->have & KCG_MC_USAGE)
			put_u64(h, "usage", hp->usage);
		if (hp->have & KCG_MC_MAX)
			put_u64(h, "max", hp->max);
		if (hp->have & KCG_MC_FAILCNT)
			put_u64(h, "failcnt", hp->failcnt);
		json_object_object_add(huge, hp->size, h);
	}
	return o;
}

int kcg_stats(const struct kcg_host *h, const char *path, json_object **out, kerr *e)
{
	_cleanup_free_ struct kcg_stats *s = malloc(sizeof(*s));
	if (!s)
		return kerr_set(e, ENOMEM, "stats of %s", path);
	if (kcg_stats_read(h, path, s, e) < 0)
		return -1;
	*out = kcg_stats_runc_json(s);
	return *out ? 0 : kerr_set(e, ENOMEM, "stats of %s", path);
}

int kcg_oom_count(const struct kcg_host *h, const char *path, uint64_t *count, kerr *e)
{
	char dir[PATH_MAX];
	int v2;
	if (pick(h, path, "memory", "memory.events", dir, sizeof(dir), &v2) < 0)
		return kerr_set(e, ENOENT, "oom count of %s: no memory cgroup", path);
	const char *file = v2 ? "memory.events" : "memory.oom_control";
	if (kcg_read_keyed(dir, file, "oom_kill", count) < 0)
		return kerr_msg(e, ENOTSUP, "oom count of %s: no \"oom_kill\" counter in %s/%s", path, dir, file);
	return 0;
}
