/* status.json: the supervisor's account of its container, rewritten
 * atomically (temp + rename) at every change, read by `kapsel ps`,
 * `inspect`, `wait` and the monitor. */
#ifndef KAPSEL_SUPERVISE_STATUS_H
#define KAPSEL_SUPERVISE_STATUS_H

#include "common/err.h"
#include "common/names.h"
#include "common/time.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum ksup_state { KSUP_CREATED, KSUP_RUNNING, KSUP_RESTARTING, KSUP_EXITED, KSUP_DEAD };
KAPSEL_DECLARE_NAME_TABLE(ksup_state, enum ksup_state);

enum ksup_health_status { KSUP_HEALTH_NONE, KSUP_HEALTH_STARTING, KSUP_HEALTHY, KSUP_UNHEALTHY };
#define KSUP_HEALTH_LOG 5       /* results kept, as Docker */
#define KSUP_HEALTH_OUTPUT 4096 /* bytes of a probe's output kept, as Docker */

struct ksup_health_result {
	char start[KTIME_BUFSZ], end[KTIME_BUFSZ];
	int exit_code;
	char output[KSUP_HEALTH_OUTPUT + 1];
};

struct ksup_status {
	enum ksup_state state;
	pid_t pid, supervisor_pid;
	int exit_code;
	bool oom_killed;
	char started_at[KTIME_BUFSZ];  /* "" until the first start */
	char finished_at[KTIME_BUFSZ]; /* "" (null) while running */
	int64_t restart_count;
	uint64_t log_dropped_lines, log_dropped_bytes;
	char error[1024];               /* "" (null) when there is none */
	char hint[512];                 /* common/hints.h after a non-zero exit; "" (null): none */
	enum ksup_health_status health; /* NONE: no health check (null) */
	int64_t failing_streak;
	struct ksup_health_result health_log[KSUP_HEALTH_LOG]; /* oldest first */
	int health_nlog;
};

int ksup_status_write(const char *dir, const struct ksup_status *st, kerr *e);
/* DIR/status.reserve: room held on the container directory's filesystem
 * for status.json, so that a disk the logs filled up still takes the
 * exit code.  Make it (0 when it is there, whole; -1: no room for it) or
 * give it back (before status.json is written again on a full disk). */
int ksup_reserve_make(const char *dir);
void ksup_reserve_free(const char *dir);
/* Read DIR/status.json back into ST (the fields kept across a new
 * supervisor: restart_count, started_at, exit_code; and supervisor_pid,
 * whose it is).  0 when there was none, 1 when read. */
int ksup_status_read(const char *dir, struct ksup_status *st, kerr *e);

#endif
