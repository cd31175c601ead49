/* One reading of a container: its cgroup (cgroup/stats.h), its network
 * namespace's interfaces, and the host's CPU time for Docker's CPU %. */
#include "monitor/monitor.h"

#include "common/cleanup.h"
#include "common/fs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The sum of the first seven fields of /proc/stat's "cpu" line (user ..
 * softirq) in ns, as Docker computes system_cpu_usage. */
static uint64_t system_ns(const char *proc)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/stat", proc);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	unsigned long long v[7];
	if (!f ||
	    fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) != 7)
		return 0;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ticks = 0;
	for (int i = 0; i < 7; i++)
		ticks += v[i];
	return ticks * (1000000000ull / (uint64_t)(hz > 0 ? hz : 100));
}

int kmon_sample_read(const struct kcg_host *h, const char *proc, const struct kmon_container *c, unsigned flags,
		     struct kmon_sample *s, kerr *e)
{
	struct timespec mono, wall;
	memset(s, 0, sizeof(*s));
	s->n_net = -1;
	/* the time first: the CPU counters are the first files read */
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &wall);
	unsigned cgf = KCG_STATS_NO_KMEM | KCG_STATS_NO_PERCPU_SPLIT | (flags & KMON_SAMPLE_PERCPU ? 0 : KCG_STATS_NO_PERCPU) |
		       (flags & KMON_SAMPLE_SPEC ? KCG_STATS_SPEC : 0);
	if (c->running && kcg_stats_read_flags(h, c->cgroup, cgf, &s->cg, e) < 0)
		return kerr_wrap(e, "stats of %s", c->name);
	s->mono_ns = (uint64_t)mono.tv_sec * 1000000000ull + (uint64_t)mono.tv_nsec;
	s->wall = (double)wall.tv_sec + (double)wall.tv_nsec / 1e9;
	if (flags & KMON_SAMPLE_HOST_CPU) {
		s->system_ns = system_ns(proc);
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		s->online_cpus = n > 0 ? (unsigned)n : 1;
	}
	if (!c->running)
		return 0; /* a stopped container: every figure absent */
	kerr ne = { 0 };
	s->n_net = kmon_net_read(proc, c->pid, &s->net, &ne); /* gone meanwhile: no network figures */
	return 0;
}

void kmon_sample_done(struct kmon_sample *s)
{
	free(s->net);
	s->net = NULL;
	s->n_net = -1;
}
