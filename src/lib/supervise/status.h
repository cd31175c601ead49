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

struct ksup_status {
	enum ksup_state state;
	pid_t pid, supervisor_pid;
	int exit_code;
	bool oom_killed;
	char started_at[KTIME_BUFSZ];  /* "" until the first start */
	char finished_at[KTIME_BUFSZ]; /* "" (null) while running */
	int64_t restart_count;
	uint64_t log_dropped_lines, log_dropped_bytes;
	char error[1024]; /* "" (null) when there is none */
};

int ksup_status_write(const char *dir, const struct ksup_status *st, kerr *e);
/* Read DIR/status.json back into ST (the fields kept across a new
 * supervisor: restart_count, started_at, exit_code).  0 when there was
 * none, 1 when read. */
int ksup_status_read(const char *dir, struct ksup_status *st, kerr *e);

#endif
