/* Prometheus text 0.0.4 and OpenMetrics 1.0.0 of container samples, with
 * cAdvisor's metric names, types and base labels.  Our own emitter: label
 * values are escaped (\\, \", \n) and made valid UTF-8, so no container
 * name or label can break a scrape.  A table of families, each written for
 * every container in turn, keeps each family's samples together as both
 * formats require. */
#include "monitor/monitor.h"

#include "common/str.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void kmon_buf_put(struct kmon_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void kmon_buf_printf(struct kmon_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n < sizeof(tmp)) {
		kmon_buf_put(b, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	kmon_buf_put(b, big, (size_t)n);
	free(big);
}

void kmon_prom_escape(struct kmon_buf *b, const char *value)
{
	char *v = kstr_dup(value ? value : "");
	if (!v) {
		b->oom = 1;
		return;
	}
	kstr_utf8_sanitize(v);
	for (const char *p = v; *p;) {
		size_t run = strcspn(p, "\\\"\n");
		kmon_buf_put(b, p, run);
		p += run;
		if (!*p)
			break;
		kmon_buf_put(b, *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : "\\n", 2);
		p++;
	}
	free(v);
}

const char *kmon_prom_content_type(enum kmon_prom_format f)
{
	return f == KMON_PROM_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
					  : "text/plain; version=0.0.4; charset=utf-8";
}

enum kmon_prom_format kmon_prom_negotiate(const char *accept)
{
	/* "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;q=0.4" */
	for (const char *p = accept; p && *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t len = strcspn(p, ",");
		char item[256];
		snprintf(item, sizeof(item), "%.*s", (int)(len < sizeof(item) ? len : sizeof(item) - 1), p);
		p += len;
		if (strncasecmp(item, "application/openmetrics-text", 28))
			continue;
		const char *q = strstr(item, "q=");
		if (q && strtod(q + 2, NULL) <= 0)
			continue;
		return KMON_PROM_OPENMETRICS;
	}
	return KMON_PROM_TEXT;
}

/* ------------------------------------------------------------ emitting */

static const char *const metric_group_table[] = { [KMON_MG_PERCPU] = "percpu" };
KAPSEL_DEFINE_NAME_TABLE(kmon_metric_group, enum kmon_metric_group, metric_group_table);

struct em {
	struct kmon_buf *b;
	enum kmon_prom_format f;
	unsigned groups; /* enabled metric groups, 1u << enum kmon_metric_group */
	const struct kmon_container *c;
	const struct kmon_sample *s;
	const struct family *fam;
};

/* T_UNTYPED: cAdvisor's counters whose names lack _total (the failcnts):
 * promtool refuses a counter without it, so the name stays and the type
 * goes ("untyped"; OpenMetrics "unknown"). */
enum ftype { T_COUNTER, T_GAUGE, T_UNTYPED };

struct family {
	const char *name; /* the sample name (counters with _total) */
	enum ftype type;
	const char *unit; /* OpenMetrics # UNIT when the name ends in _UNIT */
	const char *help;
	void (*fn)(struct em *m);
};

static void base_labels(struct em *m)
{
	struct kmon_buf *b = m->b;
	kmon_buf_put(b, "id=\"", 4);
	kmon_prom_escape(b, m->c->cgroup);
	kmon_buf_put(b, "\",image=\"", 9);
	kmon_prom_escape(b, m->c->image);
	kmon_buf_put(b, "\",name=\"", 8);
	kmon_prom_escape(b, m->c->name);
	kmon_buf_put(b, "\"", 1);
	if (m->c->engine == KMON_KUBERNETES) {
		kmon_buf_put(b, ",container=\"", 12);
		kmon_prom_escape(b, m->c->k8s_container);
		kmon_buf_put(b, "\",namespace=\"", 13);
		kmon_prom_escape(b, m->c->pod_namespace);
		kmon_buf_put(b, "\",pod=\"", 7);
		kmon_prom_escape(b, m->c->pod);
		kmon_buf_put(b, "\"", 1);
	}
}

/* One sample line: NAME{base labels[,EXTRA]} VALUE. EXTRA pairs are
 * key, value, ..., NULL (values escaped here). */
static void line(struct em *m, const char *value, ...)
{
	struct kmon_buf *b = m->b;
	kmon_buf_printf(b, "%s{", m->fam->name);
	va_list ap;
	va_start(ap, value);
	for (const char *k; (k = va_arg(ap, const char *));) {
		kmon_buf_printf(b, "%s=\"", k);
		kmon_prom_escape(b, va_arg(ap, const char *));
		kmon_buf_put(b, "\",", 2);
	}
	va_end(ap);
	base_labels(m);
	kmon_buf_printf(b, "} %s\n", value);
}

static const char *u64(char buf[32], uint64_t v)
{
	snprintf(buf, 32, "%" PRIu64, v);
	return buf;
}

/* ns as seconds, exactly */
static const char *secs(char buf[32], uint64_t ns)
{
	snprintf(buf, 32, "%" PRIu64 ".%09" PRIu64, ns / 1000000000u, ns % 1000000000u);
	return buf;
}

#define HAVE(bit) (m->s->cg.have & (bit))
#define V(x) u64(vb, (x))

/* cpu="total", and with the percpu group cAdvisor's cpu="cpu00", ... for
 * each CPU the container used (cAdvisor leaves out the zeros: the
 * possible CPUs never online, the ones it never ran on) */
static void f_cpu_usage(struct em *m)
{
	char vb[32], cpu[16];
	const struct kcg_stats *s = &m->s->cg;
	if (HAVE(KCG_HAVE_CPU))
		line(m, secs(vb, s->cpu.total), "cpu", "total", NULL);
	for (unsigned i = 0; (m->groups & (1u << KMON_MG_PERCPU)) && i < s->cpu.n_percpu; i++) {
		if (!s->cpu.percpu[i])
			continue;
		snprintf(cpu, sizeof(cpu), "cpu%02u", i);
		line(m, secs(vb, s->cpu.percpu[i]), "cpu", cpu, NULL);
	}
}
static void f_cpu_user(struct em *m)
{
	char vb[32];
	if (HAVE(KCG_HAVE_CPU_SPLIT))
		line(m, secs(vb, m->s->cg.cpu.user), NULL);
}
static void f_cpu_system(struct em *m)
{
	char vb[32];
	if (HAVE(KCG_HAVE_CPU_SPLIT))
		line(m, secs(vb, m->s->cg.cpu.kernel), NULL);
}
static void f_cfs_periods(struct em *m)
{
	char vb[32];
	if (HAVE(KCG_HAVE_THROTTLE))
		line(m, V(m->s->cg.cpu.periods), NULL);
}
static void f_cfs_throttled_periods(struct em *m)
{
	char vb[32];
	if (HAVE(KCG_HAVE_THROTTLE))
		line(m, V(m->s->cg.cpu.throttled_periods), NULL);
}
static void f_cfs_throttled_seconds(struct em *m)
{
	char vb[32];
	if (HAVE(KCG_HAVE_THROTTLE))
		line(m, secs(vb, m->s->cg.cpu.throttled_ns), NULL);
}

#define MEM_GAUGE(fname, expr, cond) \
	static void fname(struct em *m) \
	{ \
		char vb[32]; \
		const struct kcg_stats *s = &m->s->cg; \
		(void)s; \
		if (cond) \
			line(m, V(expr), NULL); \
	}
MEM_GAUGE(f_mem_usage, s->mem.usage.usage, s->mem.usage.have &KCG_MC_USAGE)
MEM_GAUGE(f_mem_max, s->mem.usage.max, s->mem.usage.have &KCG_MC_MAX)
MEM_GAUGE(f_mem_failcnt, s->mem.usage.failcnt, s->mem.usage.have &KCG_MC_FAILCNT)
MEM_GAUGE(f_mem_ws, s->mem.working_set, s->mem.usage.have &KCG_MC_USAGE)
MEM_GAUGE(f_mem_rss, s->mem.rss, s->have &KCG_HAVE_MEMSTAT)
MEM_GAUGE(f_mem_cache, s->mem.cache, s->have &KCG_HAVE_MEMSTAT)
MEM_GAUGE(f_mem_mapped, s->mem.mapped_file, s->have &KCG_HAVE_MEMSTAT)
MEM_GAUGE(f_mem_swap, s->mem.swap_bytes, s->have &KCG_HAVE_SWAP)
MEM_GAUGE(f_oom, s->mem.oom_kills, s->have &KCG_HAVE_OOM)
MEM_GAUGE(f_threads, s->pids.current, s->have &KCG_HAVE_PIDS)
/* cAdvisor: 0 when unlimited */
MEM_GAUGE(f_spec_mem_limit, s->mem.usage.limit >= (1ull << 62) ? 0 : s->mem.usage.limit,
	  s->mem.usage.have &KCG_MC_LIMIT)
MEM_GAUGE(f_spec_swap_limit, s->mem.swap_limit >= (1ull << 62) ? 0 : s->mem.swap_limit, s->have &KCG_HAVE_SWAP)
MEM_GAUGE(f_threads_max, s->pids.limit == UINT64_MAX ? 0 : s->pids.limit, s->have &KCG_HAVE_PIDS)
MEM_GAUGE(f_spec_mem_reservation, s->spec.mem_reservation >= (1ull << 62) ? 0 : s->spec.mem_reservation,
	  s->have &KCG_HAVE_MEM_RESERVATION)
/* cAdvisor's: microseconds as the cgroup says them; the quota only when set */
MEM_GAUGE(f_spec_cpu_period, s->spec.cpu_period, s->have &KCG_HAVE_CPU_SPEC)
MEM_GAUGE(f_spec_cpu_quota, s->spec.cpu_quota, (s->have & KCG_HAVE_CPU_SPEC) && s->spec.cpu_quota)
MEM_GAUGE(f_spec_cpu_shares, s->spec.cpu_shares, s->have &KCG_HAVE_CPU_SPEC)

static void f_mem_failures(struct em *m)
{
	char vb[32];
	const struct kcg_stats *s = &m->s->cg;
	if (!HAVE(KCG_HAVE_MEMSTAT))
		return;
	line(m, V(s->mem.pgfault), "failure_type", "pgfault", "scope", "container", NULL);
	line(m, V(s->mem.pgmajfault), "failure_type", "pgmajfault", "scope", "container", NULL);
}

/* /dev/block/MAJ:MIN's name, as cAdvisor labels devices: "/dev/sda" */
static void dev_name(const struct kcg_blkdev *d, char *out, size_t n)
{
	char link[64], target[256];
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", d->major, d->minor);
	ssize_t l = readlink(link, target, sizeof(target) - 1);
	if (l > 0) {
		target[l] = '\0';
		const char *base = strrchr(target, '/');
		snprintf(out, n, "/dev/%s", base ? base + 1 : target);
	} else {
		snprintf(out, n, "%u:%u", d->major, d->minor);
	}
}

static void fs_counter(struct em *m, int ios, enum kcg_io_op op)
{
	char vb[32], dn[280];
	const struct kcg_stats *s = &m->s->cg;
	if (!HAVE(KCG_HAVE_BLKIO))
		return;
	for (unsigned i = 0; i < s->n_dev; i++) {
		const struct kcg_blkdev *d = &s->dev[i];
		if (!((ios ? d->have_ios : d->have_bytes) & (1u << op)))
			continue;
		dev_name(d, dn, sizeof(dn));
		line(m, V((ios ? d->ios : d->bytes)[op]), "device", dn, NULL);
	}
}
static void f_fs_reads_bytes(struct em *m)
{
	fs_counter(m, 0, KCG_IO_READ);
}
static void f_fs_writes_bytes(struct em *m)
{
	fs_counter(m, 0, KCG_IO_WRITE);
}
static void f_fs_reads(struct em *m)
{
	fs_counter(m, 1, KCG_IO_READ);
}
static void f_fs_writes(struct em *m)
{
	fs_counter(m, 1, KCG_IO_WRITE);
}

static void f_blkio(struct em *m)
{
	char vb[32], dn[280], ma[16], mi[16];
	const struct kcg_stats *s = &m->s->cg;
	if (!HAVE(KCG_HAVE_BLKIO))
		return;
	for (unsigned i = 0; i < s->n_dev; i++) {
		const struct kcg_blkdev *d = &s->dev[i];
		dev_name(d, dn, sizeof(dn));
		snprintf(ma, sizeof(ma), "%u", d->major);
		snprintf(mi, sizeof(mi), "%u", d->minor);
		for (int k = 0; k < KCG_IO_N; k++)
			if (k != KCG_IO_TOTAL && (d->have_bytes & (1u << k)))
				line(m, V(d->bytes[k]), "device", dn, "major", ma, "minor", mi, "operation",
				     kcg_io_op_to_name(k), NULL);
	}
}

static void net_counter(struct em *m, size_t off)
{
	char vb[32];
	for (int i = 0; i < m->s->n_net; i++) {
		const struct kmon_netif *n = &m->s->net[i];
		line(m, V(*(const uint64_t *)((const char *)n + off)), "interface", n->name, NULL);
	}
}
#define NET(fname, field) \
	static void fname(struct em *m) \
	{ \
		net_counter(m, offsetof(struct kmon_netif, field)); \
	}
NET(f_rx_bytes, rx_bytes)
NET(f_rx_packets, rx_packets)
NET(f_rx_errors, rx_errors)
NET(f_rx_dropped, rx_dropped)
NET(f_tx_bytes, tx_bytes)
NET(f_tx_packets, tx_packets)
NET(f_tx_errors, tx_errors)
NET(f_tx_dropped, tx_dropped)

static void f_huge(struct em *m, int what)
{
	char vb[32];
	const struct kcg_stats *s = &m->s->cg;
	unsigned bit = what == 0 ? KCG_MC_USAGE : what == 1 ? KCG_MC_MAX : KCG_MC_FAILCNT;
	for (unsigned i = 0; i < s->n_huge; i++)
		if (s->huge[i].have & bit)
			line(m,
			     V(what == 0   ? s->huge[i].usage
			       : what == 1 ? s->huge[i].max
					   : s->huge[i].failcnt),
			     "pagesize", s->huge[i].size, NULL);
}
static void f_huge_usage(struct em *m)
{
	f_huge(m, 0);
}
static void f_huge_max(struct em *m)
{
	f_huge(m, 1);
}
static void f_huge_failcnt(struct em *m)
{
	f_huge(m, 2);
}

static void f_start_time(struct em *m)
{
	char vb[32];
	if (m->c->started > 0) {
		snprintf(vb, sizeof(vb), "%.3f", m->c->started);
		line(m, vb, NULL);
	}
}
static void f_last_seen(struct em *m)
{
	char vb[32];
	snprintf(vb, sizeof(vb), "%.3f", m->s->wall);
	line(m, vb, NULL);
}

static const struct family families[] = {
	{ "container_cpu_usage_seconds_total", T_COUNTER, "seconds", "Cumulative cpu time consumed in seconds.",
	  f_cpu_usage },
	{ "container_cpu_user_seconds_total", T_COUNTER, "seconds", "Cumulative user cpu time consumed in seconds.",
	  f_cpu_user },
	{ "container_cpu_system_seconds_total", T_COUNTER, "seconds", "Cumulative system cpu time consumed in seconds.",
	  f_cpu_system },
	{ "container_cpu_cfs_periods_total", T_COUNTER, NULL, "Number of elapsed enforcement period intervals.",
	  f_cfs_periods },
	{ "container_cpu_cfs_throttled_periods_total", T_COUNTER, NULL, "Number of throttled period intervals.",
	  f_cfs_throttled_periods },
	{ "container_cpu_cfs_throttled_seconds_total", T_COUNTER, "seconds",
	  "Total time duration the container has been throttled.", f_cfs_throttled_seconds },
	{ "container_memory_usage_bytes", T_GAUGE, "bytes",
	  "Current memory usage in bytes, including all memory regardless of when it was accessed", f_mem_usage },
	{ "container_memory_max_usage_bytes", T_GAUGE, "bytes", "Maximum memory usage recorded in bytes", f_mem_max },
	{ "container_memory_working_set_bytes", T_GAUGE, "bytes", "Current working set in bytes.", f_mem_ws },
	{ "container_memory_rss", T_GAUGE, NULL, "Size of RSS in bytes.", f_mem_rss },
	{ "container_memory_cache", T_GAUGE, NULL, "Number of bytes of page cache memory.", f_mem_cache },
	{ "container_memory_mapped_file", T_GAUGE, NULL, "Size of memory mapped files in bytes.", f_mem_mapped },
	{ "container_memory_swap", T_GAUGE, NULL, "Container swap usage in bytes.", f_mem_swap },
	{ "container_memory_failcnt", T_UNTYPED, NULL, "Number of memory usage hits limits", f_mem_failcnt },
	{ "container_memory_failures_total", T_COUNTER, NULL, "Cumulative count of memory allocation failures.",
	  f_mem_failures },
	{ "container_oom_events_total", T_COUNTER, NULL, "Count of out of memory events observed for the container",
	  f_oom },
	{ "container_spec_memory_limit_bytes", T_GAUGE, "bytes", "Memory limit for the container.", f_spec_mem_limit },
	{ "container_spec_memory_swap_limit_bytes", T_GAUGE, "bytes", "Memory swap limit for the container.",
	  f_spec_swap_limit },
	{ "container_spec_memory_reservation_limit_bytes", T_GAUGE, "bytes",
	  "Memory reservation limit for the container.", f_spec_mem_reservation },
	{ "container_spec_cpu_period", T_GAUGE, NULL, "CPU period of the container.", f_spec_cpu_period },
	{ "container_spec_cpu_quota", T_GAUGE, NULL, "CPU quota of the container.", f_spec_cpu_quota },
	{ "container_spec_cpu_shares", T_GAUGE, NULL, "CPU share of the container.", f_spec_cpu_shares },
	{ "container_threads", T_GAUGE, NULL, "Number of threads running inside the container", f_threads },
	{ "container_threads_max", T_GAUGE, NULL,
	  "Maximum number of threads allowed inside the container, infinity if value is zero", f_threads_max },
	{ "container_fs_reads_bytes_total", T_COUNTER, "bytes", "Cumulative count of bytes read", f_fs_reads_bytes },
	{ "container_fs_writes_bytes_total", T_COUNTER, "bytes", "Cumulative count of bytes written",
	  f_fs_writes_bytes },
	{ "container_fs_reads_total", T_COUNTER, NULL, "Cumulative count of reads completed", f_fs_reads },
	{ "container_fs_writes_total", T_COUNTER, NULL, "Cumulative count of writes completed", f_fs_writes },
	{ "container_blkio_device_usage_total", T_COUNTER, NULL, "Blkio Device bytes usage", f_blkio },
	{ "container_network_receive_bytes_total", T_COUNTER, "bytes", "Cumulative count of bytes received",
	  f_rx_bytes },
	{ "container_network_receive_packets_total", T_COUNTER, NULL, "Cumulative count of packets received",
	  f_rx_packets },
	{ "container_network_receive_errors_total", T_COUNTER, NULL,
	  "Cumulative count of errors encountered while receiving", f_rx_errors },
	{ "container_network_receive_packets_dropped_total", T_COUNTER, NULL,
	  "Cumulative count of packets dropped while receiving", f_rx_dropped },
	{ "container_network_transmit_bytes_total", T_COUNTER, "bytes", "Cumulative count of bytes transmitted",
	  f_tx_bytes },
	{ "container_network_transmit_packets_total", T_COUNTER, NULL, "Cumulative count of packets transmitted",
	  f_tx_packets },
	{ "container_network_transmit_errors_total", T_COUNTER, NULL,
	  "Cumulative count of errors encountered while transmitting", f_tx_errors },
	{ "container_network_transmit_packets_dropped_total", T_COUNTER, NULL,
	  "Cumulative count of packets dropped while transmitting", f_tx_dropped },
	{ "container_hugetlb_usage_bytes", T_GAUGE, "bytes", "Current hugepage usage in bytes", f_huge_usage },
	{ "container_hugetlb_max_usage_bytes", T_GAUGE, "bytes", "Maximum hugepage usage recorded in bytes",
	  f_huge_max },
	{ "container_hugetlb_failcnt", T_UNTYPED, NULL, "Number of hugepage usage hits limits", f_huge_failcnt },
	{ "container_start_time_seconds", T_GAUGE, "seconds",
	  "Start time of the container since unix epoch in seconds.", f_start_time },
	{ "container_last_seen", T_GAUGE, NULL, "Last time a container was seen by the exporter", f_last_seen },
};

/* The family's metadata lines.  OpenMetrics names a counter family
 * without its _total. */
static void header(struct em *m, const struct family *fam)
{
	struct kmon_buf *b = m->b;
	char fname[128];
	const char *type = fam->type == T_GAUGE ? "gauge" : fam->type == T_COUNTER ? "counter" : "untyped";
	snprintf(fname, sizeof(fname), "%s", fam->name);
	if (m->f == KMON_PROM_OPENMETRICS) {
		if (fam->type == T_COUNTER)
			fname[strlen(fname) - 6] = '\0';
		else if (fam->type == T_UNTYPED)
			type = "unknown";
	}
	kmon_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", fname, fam->help, fname, type);
	if (m->f == KMON_PROM_OPENMETRICS && fam->unit) {
		char suffix[32];
		snprintf(suffix, sizeof(suffix), "_%s", fam->unit);
		if (kstr_ends(fname, suffix))
			kmon_buf_printf(b, "# UNIT %s %s\n", fname, fam->unit);
	}
}

/* label_<key> in snake case: lower case, every character outside
 * [a-z0-9_] as '_' */
static void label_name(const char *key, char *out, size_t n)
{
	size_t i = (size_t)snprintf(out, n, "label_");
	for (const char *p = key; *p && i + 1 < n; p++)
		out[i++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
	out[i < n ? i : n - 1] = '\0';
}

static void info_series(struct em *m)
{
	struct kmon_buf *b = m->b;
	char **kv = m->c->labels;
	kmon_buf_put(b, "kapsel_container_info{", 22);
	base_labels(m);
	kmon_buf_printf(b, ",engine=\"%s\"", kmon_engine_to_name(m->c->engine));
	/* sanitized names can collide: the first wins */
	for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2) {
		char ln[160], prev[160];
		label_name(kv[i], ln, sizeof(ln));
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j += 2) {
			label_name(kv[j], prev, sizeof(prev));
			dup = !strcmp(prev, ln);
		}
		if (dup)
			continue;
		kmon_buf_printf(b, ",%s=\"", ln);
		kmon_prom_escape(b, kv[i + 1]);
		kmon_buf_put(b, "\"", 1);
	}
	kmon_buf_put(b, "} 1\n", 4);
}

#define N_FAMILIES (sizeof(families) / sizeof(families[0]))

static const struct family info_family = { "kapsel_container_info", T_GAUGE, NULL,
					   "A container kapsel sees, with its labels (value always 1).", NULL };

/* One buffer per family (and one for the info series): containers are
 * added one at a time, and the families are joined in order at the end. */
struct kmon_prom {
	enum kmon_prom_format f;
	unsigned groups;
	struct kmon_buf fam[N_FAMILIES + 1];
	struct kmon_buf alerts; /* kapsel_alerts_firing, with its header */
	struct kmon_buf state[2]; /* restarts, health: kmon_prom_add_state */
};

static const struct family state_families[2] = {
	{ "kapsel_container_restarts_total", T_COUNTER, NULL,
	  "Restarts of the container: its supervisor's count, or new start times the monitor saw.", NULL },
	{ "kapsel_container_health_status", T_GAUGE, NULL,
	  "1 for the container's health check status (starting, healthy, unhealthy), 0 for the others.", NULL },
};

void kmon_prom_add_state(struct kmon_prom *p, const struct kmon_container *c, int64_t restarts)
{
	static const char *const health[] = { "starting", "healthy", "unhealthy" };
	char vb[32];
	struct em m = { .f = p->f, .c = c, .b = &p->state[0], .fam = &state_families[0] };
	if (restarts >= 0) {
		snprintf(vb, sizeof(vb), "%" PRId64, restarts);
		line(&m, vb, NULL);
	}
	m.b = &p->state[1];
	m.fam = &state_families[1];
	for (size_t i = 0; c->health[0] && i < sizeof(health) / sizeof(*health); i++)
		line(&m, strcmp(c->health, health[i]) ? "0" : "1", "status", health[i], NULL);
}

static const struct family alerts_family = { "kapsel_alerts_firing", T_GAUGE, NULL,
					     "Alerts the monitor's own rules have firing, by alert name.", NULL };

void kmon_prom_alerts(struct kmon_prom *p, const char *const *names, const size_t *counts, size_t n)
{
	struct em m = { .b = &p->alerts, .f = p->f };
	free(p->alerts.p);
	p->alerts = (struct kmon_buf){ 0 };
	header(&m, &alerts_family);
	for (size_t i = 0; i < n; i++) {
		kmon_buf_printf(&p->alerts, "kapsel_alerts_firing{alertname=\"");
		kmon_prom_escape(&p->alerts, names[i]);
		kmon_buf_printf(&p->alerts, "\"} %zu\n", counts[i]);
	}
}

struct kmon_prom *kmon_prom_new(enum kmon_prom_format f)
{
	struct kmon_prom *p = calloc(1, sizeof(*p));
	if (p)
		p->f = f;
	return p;
}

void kmon_prom_enable(struct kmon_prom *p, unsigned groups)
{
	if (p)
		p->groups |= groups;
}

void kmon_prom_free(struct kmon_prom *p)
{
	if (!p)
		return;
	for (size_t k = 0; k <= N_FAMILIES; k++)
		free(p->fam[k].p);
	free(p->alerts.p);
	free(p->state[0].p);
	free(p->state[1].p);
	free(p);
}

void kmon_prom_add(struct kmon_prom *p, const struct kmon_container *c, const struct kmon_sample *s)
{
	struct em m = { .f = p->f, .groups = p->groups, .c = c, .s = s };
	for (size_t k = 0; c->running && k < N_FAMILIES; k++) {
		m.b = &p->fam[k];
		m.fam = &families[k];
		m.fam->fn(&m);
	}
	m.b = &p->fam[N_FAMILIES];
	info_series(&m);
}

int kmon_prom_finish(struct kmon_prom *p, char **out, size_t *len, kerr *e)
{
	struct kmon_buf b = { 0 };
	struct em m = { .b = &b, .f = p->f };
	for (size_t k = 0; k <= N_FAMILIES; k++) {
		if (!p->fam[k].len) /* no samples: no family */
			continue;
		header(&m, k < N_FAMILIES ? &families[k] : &info_family);
		kmon_buf_put(&b, p->fam[k].p, p->fam[k].len);
		b.oom |= p->fam[k].oom;
		free(p->fam[k].p);
		p->fam[k] = (struct kmon_buf){ 0 }; /* as soon as copied: the peak is one copy */
	}
	for (int k = 0; k < 2; k++) {
		if (!p->state[k].len)
			continue;
		header(&m, &state_families[k]);
		kmon_buf_put(&b, p->state[k].p, p->state[k].len);
		b.oom |= p->state[k].oom;
	}
	kmon_buf_put(&b, p->alerts.p ? p->alerts.p : "", p->alerts.len);
	b.oom |= p->alerts.oom;
	kmon_buf_put(&b, p->f == KMON_PROM_OPENMETRICS ? "# EOF\n" : "", p->f == KMON_PROM_OPENMETRICS ? 6 : 0);
	if (b.oom || !b.p) {
		free(b.p);
		return kerr_set(e, ENOMEM, "metrics");
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

int kmon_prom_write(const struct kmon_container *c, const struct kmon_sample *s, size_t n, enum kmon_prom_format f,
		    char **out, size_t *len, kerr *e)
{
	struct kmon_prom *p = kmon_prom_new(f);
	if (!p)
		return kerr_set(e, ENOMEM, "metrics");
	for (size_t i = 0; i < n; i++)
		kmon_prom_add(p, &c[i], &s[i]);
	int r = kmon_prom_finish(p, out, len, e);
	kmon_prom_free(p);
	return r;
}
