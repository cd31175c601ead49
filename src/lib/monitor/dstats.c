/* Docker's view of a sample: the figures `docker stats` prints and the
 * Engine API's stats object, computed the way Docker's CLI and daemon do. */
#include "monitor/monitor.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/time.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t kmon_memtotal(const char *proc)
{
	char path[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	kerr e;
	snprintf(path, sizeof(path), "%s/meminfo", proc);
	if (kfs_read_file(path, &buf, NULL, &e) < 0)
		return 0;
	unsigned long long kb;
	return sscanf(buf, "MemTotal: %llu kB", &kb) == 1 ? (uint64_t)kb * 1024 : 0;
}

/* Docker's MEM USAGE: usage less the inactive file pages when smaller */
static uint64_t mem_usage(const struct kcg_stats *s)
{
	uint64_t u = s->mem.usage.usage, inactive;
	const char *key = s->v2_memory ? "inactive_file" : "total_inactive_file";
	if (kcg_stats_raw(s, key, &inactive) == 0 && inactive < u)
		return u - inactive;
	return u;
}

void kmon_docker_figures(const struct kmon_sample *prev, const struct kmon_sample *cur, uint64_t memtotal,
			 struct kmon_dfig *f)
{
	const struct kcg_stats *s = &cur->cg;
	memset(f, 0, sizeof(*f));
	if (prev && (s->have & KCG_HAVE_CPU) && (prev->cg.have & KCG_HAVE_CPU) && cur->mono_ns > prev->mono_ns &&
	    cur->online_cpus) {
		double cpu_delta = (double)s->cpu.total - (double)prev->cg.cpu.total;
		double system_delta = (double)(cur->mono_ns - prev->mono_ns) * cur->online_cpus;
		f->cpu_pct = cpu_delta > 0 ? cpu_delta / system_delta * cur->online_cpus * 100.0 : 0;
		f->have_cpu = 1;
	}
	if (s->have & KCG_HAVE_MEMORY) {
		f->mem_usage = mem_usage(s);
		f->mem_limit = s->mem.usage.limit;
		if (!(s->mem.usage.have & KCG_MC_LIMIT) || (memtotal && f->mem_limit > memtotal))
			f->mem_limit = memtotal;
		f->mem_pct = f->mem_limit ? (double)f->mem_usage / (double)f->mem_limit * 100.0 : 0;
		f->have_mem = 1;
	}
	if (cur->n_net >= 0) {
		for (int i = 0; i < cur->n_net; i++) {
			f->net_rx += cur->net[i].rx_bytes;
			f->net_tx += cur->net[i].tx_bytes;
		}
		f->have_net = 1;
	}
	if (s->have & KCG_HAVE_BLKIO) {
		for (unsigned i = 0; i < s->n_dev; i++) {
			f->blk_read += s->dev[i].bytes[KCG_IO_READ];
			f->blk_write += s->dev[i].bytes[KCG_IO_WRITE];
		}
		f->have_blk = 1;
	}
	if (s->have & KCG_HAVE_PIDS) {
		f->pids = s->pids.current;
		f->have_pids = 1;
	}
}

static void size_text(double v, double base, const char *const *units, int prec, char *buf, size_t n)
{
	int i = 0;
	while (v >= base && units[i + 1]) {
		v /= base;
		i++;
	}
	snprintf(buf, n, "%.*g%s", prec, v, units[i]);
}

void kmon_size_binary(uint64_t v, char *buf, size_t n)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB", NULL };
	size_text((double)v, 1024.0, u, 4, buf, n);
}

void kmon_size_decimal(uint64_t v, char *buf, size_t n)
{
	static const char *const u[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB", NULL };
	size_text((double)v, 1000.0, u, 3, buf, n);
}

/* ----------------------------------------------------- the API's JSON */

static void put_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static json_object *cpu_stats(const struct kmon_sample *s)
{
	json_object *o = json_object_new_object(), *u = json_object_new_object(), *t = json_object_new_object();
	const struct kcg_stats *c = s ? &s->cg : NULL;
	put_u64(u, "total_usage", c ? c->cpu.total : 0);
	if (c && c->cpu.n_percpu) {
		json_object *a = json_object_new_array_ext((int)c->cpu.n_percpu);
		for (unsigned i = 0; i < c->cpu.n_percpu; i++)
			json_object_array_add(a, json_object_new_uint64(c->cpu.percpu[i]));
		json_object_object_add(u, "percpu_usage", a);
	}
	put_u64(u, "usage_in_kernelmode", c ? c->cpu.kernel : 0);
	put_u64(u, "usage_in_usermode", c ? c->cpu.user : 0);
	json_object_object_add(o, "cpu_usage", u);
	if (s)
		put_u64(o, "system_cpu_usage", s->system_ns);
	put_u64(o, "online_cpus", s ? s->online_cpus : 0);
	put_u64(t, "periods", c ? c->cpu.periods : 0);
	put_u64(t, "throttled_periods", c ? c->cpu.throttled_periods : 0);
	put_u64(t, "throttled_time", c ? c->cpu.throttled_ns : 0);
	json_object_object_add(o, "throttling_data", t);
	return o;
}

json_object *kmon_docker_json(const struct kmon_container *c, const struct kmon_sample *prev,
			      const struct kmon_sample *cur)
{
	const struct kcg_stats *s = &cur->cg;
	char t[KTIME_BUFSZ];
	json_object *o = json_object_new_object();
	struct timespec ts = { .tv_sec = (time_t)cur->wall,
			       .tv_nsec = (long)((cur->wall - (double)(time_t)cur->wall) * 1e9) };
	ktime_format(t, sizeof(t), &ts, KTIME_NANO_TRIM);
	json_object_object_add(o, "read", json_object_new_string(t));
	if (prev) {
		ts.tv_sec = (time_t)prev->wall;
		ts.tv_nsec = (long)((prev->wall - (double)(time_t)prev->wall) * 1e9);
		ktime_format(t, sizeof(t), &ts, KTIME_NANO_TRIM);
	} else {
		snprintf(t, sizeof(t), "0001-01-01T00:00:00Z");
	}
	json_object_object_add(o, "preread", json_object_new_string(t));

	json_object *p = json_object_new_object();
	if (s->have & KCG_HAVE_PIDS) {
		put_u64(p, "current", s->pids.current);
		if (s->pids.limit != UINT64_MAX)
			put_u64(p, "limit", s->pids.limit);
	}
	json_object_object_add(o, "pids_stats", p);

	json_object *b = json_object_new_object();
	json_object_object_add(b, "io_service_bytes_recursive", kcg_stats_blkio_json(s, 0, s->v2_io));
	json_object_object_add(b, "io_serviced_recursive", kcg_stats_blkio_json(s, 1, s->v2_io));
	json_object_object_add(o, "blkio_stats", b);
	put_u64(o, "num_procs", 0);
	json_object_object_add(o, "storage_stats", json_object_new_object());
	json_object_object_add(o, "cpu_stats", cpu_stats(cur));
	json_object_object_add(o, "precpu_stats", cpu_stats(prev));

	json_object *m = json_object_new_object();
	if (s->have & KCG_HAVE_MEMORY) {
		put_u64(m, "usage", s->mem.usage.usage);
		if (s->mem.usage.have & KCG_MC_MAX)
			put_u64(m, "max_usage", s->mem.usage.max);
		json_object *st = json_object_new_object();
		for (unsigned i = 0; i < s->mem.n_raw; i++)
			put_u64(st, s->mem.raw[i].key, s->mem.raw[i].v);
		json_object_object_add(m, "stats", st);
		if (s->mem.usage.have & KCG_MC_FAILCNT)
			put_u64(m, "failcnt", s->mem.usage.failcnt);
		put_u64(m, "limit", s->mem.usage.limit);
	}
	json_object_object_add(o, "memory_stats", m);

	char name[512];
	snprintf(name, sizeof(name), "/%s", c->name);
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "id", json_object_new_string(c->id));
	if (cur->n_net >= 0) {
		json_object *nets = json_object_new_object();
		for (int i = 0; i < cur->n_net; i++) {
			const struct kmon_netif *n = &cur->net[i];
			json_object *ni = json_object_new_object();
			put_u64(ni, "rx_bytes", n->rx_bytes);
			put_u64(ni, "rx_packets", n->rx_packets);
			put_u64(ni, "rx_errors", n->rx_errors);
			put_u64(ni, "rx_dropped", n->rx_dropped);
			put_u64(ni, "tx_bytes", n->tx_bytes);
			put_u64(ni, "tx_packets", n->tx_packets);
			put_u64(ni, "tx_errors", n->tx_errors);
			put_u64(ni, "tx_dropped", n->tx_dropped);
			json_object_object_add(nets, n->name, ni);
		}
		json_object_object_add(o, "networks", nets);
	}
	return o;
}
