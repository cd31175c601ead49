/* The cgroup file writes planned from linux.resources (plan.c): what the
 * v1 and v2 drivers produce and the resolver checks and makes. */
#ifndef KAPSEL_CGROUP_PLAN_H
#define KAPSEL_CGROUP_PLAN_H

#include "common/err.h"

#include <stddef.h>
#include <stdint.h>

/* One cgroup file write, as planned from linux.resources. */
struct kcg_write {
	char *ctl;        /* controller, as the hierarchy names it: "memory", "blkio", "io" */
	char *file;       /* "memory.limit_in_bytes" */
	char *value;      /* what is written; for KCG_W_UNSUPPORTED the reason */
	char *field;      /* JSON path: "linux.resources.memory.limit" */
	char *alt;        /* file to use when FILE does not exist (or NULL) */
	char *alt_value;  /* value for ALT (NULL: VALUE) */
	char *path;       /* absolute file path, filled by kcg_resolve_resources */
	unsigned flags;
};

#define KCG_W_OPTIONAL    0x01u /* skip when the file does not exist */
#define KCG_W_MEMSW       0x02u /* v1 limit/memsw pair: order by the current limit */
#define KCG_W_UNSUPPORTED 0x04u /* no write: this cgroup version cannot do FIELD */
#define KCG_W_UNIFIED     0x08u /* from linux.resources.unified */
#define KCG_W_IMPLICIT    0x10u /* not asked for (default device rules): skipped without the controller */
#define KCG_W_CHECK_USAGE 0x20u /* memory.checkBeforeUpdate: refuse a limit below the usage */
#define KCG_W_DEVPROG     0x40u /* no file: VALUE (device rules, one a line) becomes a cgroup-device
				 * eBPF program attached to the cgroup2 directory PATH */

/* The FILE of a KCG_W_DEVPROG entry (a name for messages; no such file). */
#define KCG_DEVPROG_FILE "BPF_CGROUP_DEVICE"

/* Free the strings of one write / an array of N writes and the array. */
void kcg_write_free(struct kcg_write *w);
void kcg_writes_free(struct kcg_write *w, size_t n);

/* A growing list of writes. */
struct kcg_plan {
	struct kcg_write *w;
	size_t n, cap;
	kerr *e;
};

/* A zeroed slot at the end of P (not yet counted in n); NULL on ENOMEM. */
struct kcg_write *kcg_plan_next(struct kcg_plan *p);
/* Append a write of printf(FMT) to CTL's FILE for FIELD.  Returns 0 or -1. */
int kcg_plan_add(struct kcg_plan *p, unsigned flags, const char *ctl, const char *file, const char *field,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Append a marker: this cgroup version cannot do FIELD, because WHY. */
int kcg_plan_unsupported(struct kcg_plan *p, const char *ctl, const char *field, const char *why, ...)
	__attribute__((format(printf, 4, 5)));
/* Give the last write an alternative file (and value, NULL: the same). */
int kcg_plan_alt(struct kcg_plan *p, const char *alt, const char *alt_value);

/* v1 controller name for a v2 one ("io" -> "blkio"), else the same. */
const char *kcg_v1_name(const char *v2ctl);

/* cgroup v2 cpu.weight from v1 cpu.shares (2..262144 -> 1..10000). */
uint64_t kcg_shares_to_weight(uint64_t shares);

#endif
