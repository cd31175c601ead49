/* The monitor daemon's memory: every container it has seen, its newest
 * figures and a short history ring of the last N samples (the dashboard's
 * sparklines, /api/containers/ID), from the same samples as /metrics.
 *
 * Contract.  kmon_store_update takes one discovery (its containers are
 * moved into the store: the list is left empty) and the samples read
 * from it, computes the rates against the previous sample of the same
 * container, and marks the containers no longer listed "gone"; a gone
 * container is kept KEEP_GONE seconds (the "down" alert and the
 * dashboard see it), then dropped.  Restarts are counted from the
 * supervisor's restart count where the engine keeps one, else from a
 * new start time of the same container.  Not thread-safe: the daemon
 * holds its own lock around update and readers. */
#ifndef KAPSEL_MONITOR_STORE_H
#define KAPSEL_MONITOR_STORE_H

#include "monitor/monitor.h"

#include <stddef.h>
#include <stdint.h>

/* One sample's figures (the rates and percentages between it and the
 * previous one; -1 where there was no previous one). */
struct kmon_point {
	double t;                             /* unix time */
	double cpu_pct;                       /* % of one CPU, -1 unknown */
	double throttled_pct;                 /* % of CFS periods throttled, -1 unknown (no quota, or first sample) */
	double rx_rate, tx_rate;              /* bytes/s summed over the interfaces, -1 unknown */
	double blk_read_rate, blk_write_rate; /* bytes/s summed over the devices, -1 unknown */
	uint64_t mem, mem_limit;              /* Docker's MEM USAGE; limit 0: none (or not below the host's memory) */
	uint64_t pids, pids_limit;            /* limit 0: none */
	uint64_t oom_kills;
	unsigned have; /* KMON_P_* */
};
enum { KMON_P_MEM = 1u, KMON_P_PIDS = 2u, KMON_P_OOM = 4u };

/* A point of the history ring: the figures the charts draw, in 32 bytes
 * (an hour at 5 s is 170 points: 5.4 MB for 1000 containers).  Unknown
 * rates < 0; memory and PIDs saturate. */
struct kmon_hpoint {
	uint32_t t_cs; /* centiseconds since the store's t0 (kmon_hpoint_t) */
	float cpu_pct, rx_rate, tx_rate, blk_read_rate, blk_write_rate;
	uint32_t mem_kib;   /* up to 4 TiB */
	uint32_t pids : 30; /* up to 2^30 - 1 */
	uint32_t have : 2;  /* KMON_P_MEM, KMON_P_PIDS */
};
_Static_assert(sizeof(struct kmon_hpoint) == 32, "a history point is 32 bytes");

/* What the store keeps of one sample: its counters (a kmon_sample holds
 * kilobytes; the daemon reads one at a time and keeps this). */
struct kmon_reading {
	uint64_t mono_ns, cpu_ns, periods, throttled, oom_kills, rx, tx, blk_read, blk_write;
	uint64_t mem, mem_limit, pids, pids_limit; /* limits 0: none */
	unsigned have;                             /* KMON_R_CPU, ... */
};
enum {
	KMON_RD_CPU = 1u,
	KMON_RD_THROTTLE = 2u,
	KMON_RD_OOM = 4u,
	KMON_RD_NET = 8u,
	KMON_RD_MEM = 16u,
	KMON_RD_PIDS = 32u,
	KMON_RD_BLK = 64u,
};
/* The reading of S (MEMTOTAL: the host's memory; a memory limit not
 * below it is none). */
void kmon_reading_from(const struct kmon_sample *s, uint64_t memtotal, struct kmon_reading *r);

#define KMON_RESTARTS_KEPT 64

/* The history: the last KMON_FINE_S seconds at every sample, older ones
 * (up to --history) folded into one point per KMON_COARSE_S seconds (the
 * mean of CPU % and the rates, the peak of memory and PIDs, the time of
 * the bucket's last sample): an hour at 5 s is 120 + 50 points. */
#define KMON_FINE_S 600
#define KMON_COARSE_S 60
struct kmon_hacc {
	double sum[5]; /* cpu_pct, rx, tx, blk read, blk write: the known ones */
	unsigned known[5];
	struct kmon_hpoint p; /* t, mem, pids, have so far */
	size_t count;         /* samples folded in */
};

struct kmon_entry {
	struct kmon_container c; /* as last discovered (running 0 once gone) */
	char *cgroup_seen;       /* its cgroup when last seen running (NULL never) */
	const char *state;       /* "running", "stopped", "gone" */
	double state_since;      /* unix time it took that state */
	int seen_running;        /* this monitor saw it running */
	struct kmon_point last;  /* the newest sample's figures (have_last) */
	int have_last;
	struct kmon_hpoint *ring; /* the last st->fine points, oldest at head */
	size_t head, n, cap;
	struct kmon_hpoint *cring; /* the coarse points before them, oldest at chead */
	size_t chead, cn, ccap;
	struct kmon_hacc acc; /* the coarse point being filled */
	int64_t restarts;                     /* the engine's count, or what this monitor saw */
	double restart_t[KMON_RESTARTS_KEPT]; /* when the last restarts were seen (a ring) */
	size_t n_restart_t;
	double last_oom_t;        /* when the OOM-kill counter last rose (0 never) */
	double last_drop_t;       /* when the supervisor's dropped log lines last rose (0 never) */
	struct kmon_reading prev; /* for the next deltas */
	int have_prev;
	int touched; /* in this update's list */
};

struct kmon_store {
	struct kmon_entry *e; /* sorted as the last discovery (engine, name), gone ones last */
	size_t n, cap;
	size_t hist;       /* samples the history spans */
	size_t fine;       /* of them kept as they are (KMON_FINE_S) */
	size_t coarse;     /* coarse points kept before them */
	size_t per_coarse; /* samples folded into one coarse point */
	double keep_gone;  /* seconds */
	uint64_t memtotal; /* the host's, for Docker's limit */
	double updated;    /* unix time of the last update */
	double interval;   /* seconds between updates (for the API) */
	double t0;         /* the history points' time base: unix time (moved on before 2^32 cs) */
};

void kmon_store_init(struct kmon_store *st, size_t hist, double keep_gone, double interval);
void kmon_store_done(struct kmon_store *st);
/* R[i] is the reading of L->c[i] (running 0 where it could not be read). */
int kmon_store_update(struct kmon_store *st, struct kmon_list *l, const struct kmon_reading *r, double now, kerr *e);
/* The newest point of E, NULL before its first sample. */
const struct kmon_point *kmon_entry_last(const struct kmon_entry *e);
/* The points of E's history: coarse ones, then every sample's. */
size_t kmon_entry_npoints(const struct kmon_entry *e);
/* The I-th point of E's history, oldest first (I < kmon_entry_npoints). */
const struct kmon_hpoint *kmon_entry_point(const struct kmon_entry *e, size_t i);
/* P's unix time. */
double kmon_hpoint_t(const struct kmon_store *st, const struct kmon_hpoint *p);
/* Restarts seen within WINDOW seconds before NOW. */
size_t kmon_entry_restarts_since(const struct kmon_entry *e, double now, double window);
/* The container QUERY names (full id, unique id prefix, or name); NULL
 * with ENOENT or EINVAL (ambiguous) in e. */
const struct kmon_entry *kmon_store_find(const struct kmon_store *st, const char *query, kerr *e);

#endif
