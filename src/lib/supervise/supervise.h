/* ksup: one container's supervisor (docs/supervise.md).
 *
 * ksup_run() runs in the detached supervisor process: it creates and starts
 * the container through the OCI runtime, holds its stdio (pipes, or the
 * terminal's master for tty), logs it, waits for the container's init by
 * pidfd, writes status.json, restarts by the policy with Docker's back-off,
 * serves DIR/ctl.sock (stop, kill, wait, attach) and, once the container is
 * done for good, deletes it (and with auto_remove its directory).  All of
 * it on one common/loop: no thread, no sleep, no poll loop.
 *
 * HANDSHAKE_FD is the write end of a pipe the starting process reads: it
 * gets "ok\n" once the container runs, or the error.  When that process is
 * gone before the start completed, the container is killed and deleted.
 * Returns 0 when the container ended as it should, < 0 with E filled. */
#ifndef KAPSEL_SUPERVISE_H
#define KAPSEL_SUPERVISE_H

#include "common/err.h"
#include "supervise/config.h"

/* Docker's restart back-off (daemon/restartmanager) */
#define KSUP_BACKOFF_FIRST_NS (100ULL * 1000000ULL)
#define KSUP_BACKOFF_MAX_NS (60ULL * 1000000000ULL)
#define KSUP_BACKOFF_RESET_NS (10ULL * 1000000000ULL) /* a run this long starts over */

/* Whether a container that exited with CODE is restarted under C's policy
 * after RESTARTS restarts; STOPPED: it was stopped through "stop". */
int ksup_should_restart(const struct ksup_config *c, int code, int64_t restarts, int stopped);
/* The delay before the next restart: PREV the last one (0: none yet), RAN
 * how long the container ran (ns). */
uint64_t ksup_next_backoff(uint64_t prev, uint64_t ran);

int ksup_run(struct ksup_config *c, const char *dir, int handshake_fd, kerr *e);

#endif
