/* kloop: one event loop on epoll for everything libkapsel waits on.
 *
 * Source kinds:
 *   io      an fd and epoll events (EPOLLIN, EPOLLOUT, EPOLLPRI ...); level-
 *           triggered.  An fd epoll refuses (a regular file, /dev/null) is
 *           reported ready on every iteration, as poll() would: with the
 *           EPOLLIN/EPOLLOUT asked for (never with EPOLLPRI alone, it then
 *           never fires).  The fd stays the caller's.
 *   signal  a set of signals read from one signalfd.  The loop blocks them
 *           while a source owns them and restores the caller's mask when the
 *           source goes (a signal still pending then is delivered as usual).
 *   child   a process by pidfd.  By default it must be our child: its exit
 *           status is reaped with waitid(P_PIDFD) and handed to the callback.
 *           KLOOP_CHILD_WATCH only watches (any process; no status, si NULL).
 *   timer   CLOCK_MONOTONIC, relative or absolute (KLOOP_TIMER_ABS), one-shot
 *           (interval 0) or periodic; all timers share one timerfd.  Timers
 *           due together fire in deadline order (ties: order of adding).
 *   defer   runs once, on the next iteration.
 *   exit    runs every time kloop_run() ends, in order of adding.
 *
 * Callbacks return 0 to go on, or < 0 with E filled to stop the loop:
 * kloop_run() then returns that value with E as the callback left it.
 * kloop_exit(l, code) stops it with CODE >= 0 instead.  kloop_run() also
 * returns 0 once nothing is left to wait for (no io or signal source, no
 * child, armed timer or defer still to come).
 *
 * Sources belong to the loop: they live until kloop_remove() or kloop_free().
 * A child that was reaped, a one-shot timer that fired and a defer that ran
 * stay as dormant sources (a timer can be re-armed).  kloop_remove() may be
 * called from any callback, on any source including the running one.
 * Single-threaded: a loop and its signal mask belong to one thread; at most
 * one loop owns a given signal.  kloop_run() is not reentrant. */
#ifndef KAPSEL_LOOP_H
#define KAPSEL_LOOP_H

#include "cleanup.h"
#include "err.h"

#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/types.h>

struct kloop;
struct kloop_source;

typedef int (*kloop_io_fn)(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e);
typedef int (*kloop_signal_fn)(struct kloop_source *s, const struct signalfd_siginfo *si, void *data, kerr *e);
/* SI: the reaped status (si_code CLD_EXITED with si_status the exit code,
 * or CLD_KILLED/CLD_DUMPED with si_status the signal); NULL when watched. */
typedef int (*kloop_child_fn)(struct kloop_source *s, const siginfo_t *si, void *data, kerr *e);
/* EXPIRATIONS: periods elapsed since the last call (1 unless we fell behind). */
typedef int (*kloop_timer_fn)(struct kloop_source *s, uint64_t expirations, void *data, kerr *e);
typedef int (*kloop_fn)(struct kloop_source *s, void *data, kerr *e);

#define KLOOP_CHILD_WATCH 1 /* kloop_add_child: not our child, do not reap */
#define KLOOP_TIMER_ABS 1   /* kloop_add_timer: WHEN is a CLOCK_MONOTONIC time */

#define KLOOP_NSEC_PER_MSEC 1000000ULL
#define KLOOP_NSEC_PER_SEC 1000000000ULL

int kloop_new(struct kloop **out, kerr *e);
/* Removes every source (closing the fds the loop opened, restoring the
 * signal mask); NULL is fine.  Not from inside a callback.  Returns NULL. */
struct kloop *kloop_free(struct kloop *l);
KAPSEL_DEFINE_CLEANUP(struct kloop *, kloop_free)

/* Each kloop_add_* returns the new source, or NULL with E filled. */
struct kloop_source *kloop_add_io(struct kloop *l, int fd, uint32_t events, kloop_io_fn fn, void *data, kerr *e);
int kloop_io_set_events(struct kloop_source *s, uint32_t events, kerr *e);

struct kloop_source *kloop_add_signals(struct kloop *l, const sigset_t *set, kloop_signal_fn fn, void *data, kerr *e);
struct kloop_source *kloop_add_signal(struct kloop *l, int signo, kloop_signal_fn fn, void *data, kerr *e);

/* ESRCH when PID is gone (or already reaped). */
struct kloop_source *kloop_add_child(struct kloop *l, pid_t pid, int flags, kloop_child_fn fn, void *data, kerr *e);
/* Signal the child through its pidfd (it cannot hit a reused pid); ESRCH
 * once it was reaped. */
int kloop_child_signal(struct kloop_source *s, int sig, kerr *e);

/* WHEN in ns from now (or absolute with KLOOP_TIMER_ABS; a time already
 * past fires at once), then every INTERVAL ns unless INTERVAL is 0. */
struct kloop_source *kloop_add_timer(struct kloop *l, int flags, uint64_t when, uint64_t interval, kloop_timer_fn fn,
				     void *data, kerr *e);
/* Re-arm a timer source as kloop_add_timer would; kloop_timer_stop disarms. */
void kloop_timer_set(struct kloop_source *s, int flags, uint64_t when, uint64_t interval);
void kloop_timer_stop(struct kloop_source *s);

struct kloop_source *kloop_add_defer(struct kloop *l, kloop_fn fn, void *data, kerr *e);
struct kloop_source *kloop_add_exit(struct kloop *l, kloop_fn fn, void *data, kerr *e);

/* The source is gone at once (no more callbacks; its memory is released
 * after the current iteration).  NULL is fine. */
void kloop_remove(struct kloop_source *s);
struct kloop *kloop_source_loop(const struct kloop_source *s);

/* Run until a callback fails, kloop_exit() or nothing is left to wait for.
 * Returns the callback's value (< 0), kloop_exit's code or 0; an exit
 * callback failing turns a code >= 0 into its error.  May be called again. */
int kloop_run(struct kloop *l, kerr *e);
/* Stop after the current callback; kloop_run() returns CODE (>= 0). */
void kloop_exit(struct kloop *l, int code);

/* Stock callbacks for a wait on one thing: each stops the loop with 0 and
 * sets *(int *)DATA to 1 when DATA is not NULL (which one ended the wait). */
int kloop_stop_io(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e);
int kloop_stop_child(struct kloop_source *s, const siginfo_t *si, void *data, kerr *e);
int kloop_stop_timer(struct kloop_source *s, uint64_t expirations, void *data, kerr *e);

/* CLOCK_MONOTONIC now, in ns (the clock timers use). */
uint64_t kloop_now(void);

#endif
