/* A container's cgroup usage as typed data (usage.c): what the stats
 * drivers fill and the formatters (runc's events JSON in stats.c, Docker's
 * stats JSON and Prometheus text in src/lib/monitor) read.
 *
 * Every counter has a KCG_HAVE_* bit: a counter the host does not keep is
 * left out by the formatters, never shown as 0.  Times are nanoseconds,
 * sizes bytes.  "Unlimited" limits are UINT64_MAX. */
#ifndef KAPSEL_CGROUP_USAGE_H
#define KAPSEL_CGROUP_USAGE_H

#include "common/names.h"

#include <stddef.h>
#include <stdint.h>

/* the per-CPU lists hold the first 256 possible CPUs (the kernel writes
 * one value per possible CPU) */
#define KCG_STATS_MAX_CPUS 256
#define KCG_STATS_MAX_DEVS 32
#define KCG_STATS_MAX_RAW 96
#define KCG_STATS_MAX_HUGE 4

/* struct kcg_stats.have */
enum {
	KCG_HAVE_CPU = 1u << 0,       /* cpu.total */
	KCG_HAVE_CPU_SPLIT = 1u << 1, /* cpu.user, cpu.kernel */
	KCG_HAVE_THROTTLE = 1u << 2,  /* cpu.periods, throttled_* */
	KCG_HAVE_MEMORY = 1u << 3,    /* mem.usage (its own have bits) */
	KCG_HAVE_MEMSTAT = 1u << 4,   /* memory.stat: cache, rss, mapped_file, working_set, raw */
	KCG_HAVE_SWAP = 1u << 5,      /* mem.swap_bytes */
	KCG_HAVE_OOM = 1u << 6,       /* mem.oom_kills */
	KCG_HAVE_PIDS = 1u << 7,      /* pids.current, pids.limit */
	KCG_HAVE_BLKIO = 1u << 8,     /* dev[] */
	KCG_HAVE_HUGETLB = 1u << 9,   /* huge[] (may be empty) */
	KCG_HAVE_CPU_SPEC = 1u << 10, /* spec.cpu_shares, cpu_period, cpu_quota (KCG_STATS_SPEC) */
	KCG_HAVE_MEM_RESERVATION = 1u << 11, /* spec.mem_reservation (KCG_STATS_SPEC) */
};

/* struct kcg_memc.have */
enum { KCG_MC_USAGE = 1u, KCG_MC_LIMIT = 2u, KCG_MC_MAX = 4u, KCG_MC_FAILCNT = 8u };

/* One memory counter as runc reports it (usage, limit, peak, failcnt). */
struct kcg_memc {
	uint64_t usage, limit, max, failcnt;
	unsigned have;
};

/* Block IO operations, in the order the kernel lists them. */
enum kcg_io_op { KCG_IO_READ, KCG_IO_WRITE, KCG_IO_SYNC, KCG_IO_ASYNC, KCG_IO_DISCARD, KCG_IO_TOTAL, KCG_IO_N };
KAPSEL_DECLARE_NAME_TABLE(kcg_io_op, enum kcg_io_op); /* "Read", "Write", ... */

struct kcg_blkdev {
	unsigned major, minor;
	uint64_t bytes[KCG_IO_N], ios[KCG_IO_N];
	unsigned have_bytes, have_ios; /* 1 << op */
};

struct kcg_hugetlb {
	char size[16]; /* "2MB" */
	uint64_t usage, max, failcnt;
	unsigned have; /* KCG_MC_USAGE | KCG_MC_MAX | KCG_MC_FAILCNT */
};

struct kcg_stats {
	unsigned have;
	int v2_memory;          /* the memory figures came from cgroup2 */
	int v2_io;              /* the block IO figures came from cgroup2 (io.stat) */
	int no_kmem, no_percpu, no_percpu_split; /* read without them (stats.h KCG_STATS_NO_*) */
	struct {
		uint64_t total, user, kernel;
		uint64_t percpu[KCG_STATS_MAX_CPUS], percpu_user[KCG_STATS_MAX_CPUS], percpu_kernel[KCG_STATS_MAX_CPUS];
		unsigned n_percpu, n_percpu_user, n_percpu_kernel;
		uint64_t periods, throttled_periods, throttled_ns;
	} cpu;
	struct {
		/* usage: the cgroup's memory; memsw: memory+swap as v1 and runc
		 * report it (on v2 summed from memory.swap.*); kernel and
		 * kernel_tcp: v1 kmem */
		struct kcg_memc usage, memsw, kernel, kernel_tcp;
		uint64_t cache, rss, mapped_file, inactive_file;
		uint64_t working_set; /* usage - inactive_file, 0 when negative */
		uint64_t swap_bytes;  /* swap alone */
		uint64_t swap_limit;  /* swap alone (v2 memory.swap.max; v1 memsw limit - limit) */
		uint64_t pgfault, pgmajfault;
		uint64_t oom_kills;  /* memory.events / memory.oom_control oom_kill */
		uint64_t runc_cache; /* what runc calls "cache": v1 "cache", v2 "file" */
		unsigned n_raw;
		struct {
			char key[40];
			uint64_t v;
		} raw[KCG_STATS_MAX_RAW]; /* memory.stat as the kernel wrote it */
	} mem;
	struct {
		uint64_t current, limit; /* limit UINT64_MAX: "max" */
	} pids;
	/* the limits as set (KCG_STATS_SPEC), cAdvisor's container_spec_*:
	 * shares (v2: cpu.weight as shares), the CFS period and quota in
	 * microseconds (quota 0: none), the memory soft limit (v1
	 * soft_limit_in_bytes, v2 memory.low; UINT64_MAX: none) */
	struct {
		uint64_t cpu_shares, cpu_period, cpu_quota, mem_reservation;
	} spec;
	struct kcg_blkdev dev[KCG_STATS_MAX_DEVS];
	unsigned n_dev;
	struct kcg_hugetlb huge[KCG_STATS_MAX_HUGE];
	unsigned n_huge;
};

/* DIR/memory.stat into S->mem.raw (KCG_HAVE_MEMSTAT): 0, or -1 when it
 * is missing. */
int kcg_stats_memstat(const char *dir, struct kcg_stats *s);
/* The memory.stat value of KEY: 0, or -1 when it is not there (*V kept). */
int kcg_stats_raw(const struct kcg_stats *s, const char *key, uint64_t *v);
/* The entry of device MAJ:MIN, added when new; NULL when the table is full. */
struct kcg_blkdev *kcg_stats_dev(struct kcg_stats *s, unsigned maj, unsigned min);
/* The entry of page size NAME[0..LEN) ("2MB"); NULL when full or too long. */
struct kcg_hugetlb *kcg_stats_huge(struct kcg_stats *s, const char *name, size_t len);

#endif
