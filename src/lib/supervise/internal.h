/* What run.c and ctl.c share (not for use outside src/lib/supervise). */
#ifndef KAPSEL_SUPERVISE_INTERNAL_H
#define KAPSEL_SUPERVISE_INTERNAL_H

#include "common/hints.h"
#include "common/loop.h"
#include "logs/logs.h"
#include "supervise/status.h"
#include "supervise/supervise.h"

#include <limits.h>

#define KSUP_IOBUF (16 * 1024)

enum ksup_phase {
	KSUP_PHASE_STARTING,
	KSUP_PHASE_RUNNING,    /* the container's init lives */
	KSUP_PHASE_DRAINING,   /* it exited; reading what is left in its pipes */
	KSUP_PHASE_RESTARTING, /* waiting out the back-off */
	KSUP_PHASE_DONE,
};

struct ksup_conn;

/* the running side of health checks (results are in struct ksup_status) */
struct ksup_health {
	struct kloop_source *interval, *timeout, *child, *out_src;
	pid_t pid; /* the probe's exec while it runs, else 0 */
	int out_fd;
	int timed_out;
	char cur_start[KTIME_BUFSZ];
	char cur_out[KSUP_HEALTH_OUTPUT];
	size_t cur_len;
	uint64_t period; /* the interval timer's period now */
};

struct ksup {
	struct ksup_config *c; /* its restart policy changes with `kapsel update --restart` */
	const char *dir;
	char runtime_log[PATH_MAX];
	struct kloop *loop;
	struct klogs *logs;
	struct ksup_status st;
	enum ksup_phase phase;
	int hs_fd;
	int out_fd, err_fd, in_fd; /* our ends; with a tty out_fd is the master, in_fd a dup of it */
	struct kloop_source *out_src, *err_src, *child_src;
	struct kloop_source *kill_timer, *restart_timer, *drain_timer;
	int ctl_fd;
	struct kloop_source *ctl_src;
	struct ksup_conn *conns;
	struct kloop_source *stdin_src; /* waiting for the container's stdin to take more */
	int stopping, aborted;
	int64_t restarts; /* by this supervisor: what max_retries limits (a new start begins again, as Docker's) */
	uint64_t started, backoff; /* CLOCK_MONOTONIC ns of the last start; the last delay */
	char *iobuf;
	struct ksup_health health;
	int force_restart; /* --health-on-failure restart: again whatever the policy */
	/* journal.c: the events, the hints */
	char *events_root; /* ROOT of ROOT/events.log, NULL: no journal */
	struct khint_tail tail_out, tail_err;
	struct khint_ctx hint_ctx;
	/* oom.c */
	int oom_fd;
	struct kloop_source *oom_src;
	char oom_file[PATH_MAX]; /* memory.events or memory.oom_control; "": none */
	uint64_t oom_seen;
	int logs_paused, log_save_armed; /* a remote log: reads stopped; counters to save */
	/* the rest of a read klogs_feed did not take (a rotation waits for its
	 * compression), in iobuf: fed at KLOGS_EV_ROOM, no read before */
	size_t held_off, held_len;
	int held_stream;
	struct kloop_source *log_save_timer;
};

void ksup_save(struct ksup *s);
int ksup_signal(struct ksup *s, int sig, kerr *e);
void ksup_stop(struct ksup *s, int64_t timeout);
/* Stop the run as ksup_stop would, then start it again whatever the policy. */
void ksup_restart_now(struct ksup *s);

/* health.c: checks begin with a run (status "starting") and end with it */
int ksup_health_start(struct ksup *s, kerr *e);
void ksup_health_stop(struct ksup *s);

/* journal.c: an event of the container in ROOT/events.log, with one more
 * attribute KEY=VALUE (KEY may be NULL) */
void ksup_journal_open(struct ksup *s);
void ksup_journal_close(struct ksup *s);
void ksup_event(struct ksup *s, const char *action, const char *key, const char *value);
void ksup_event_int(struct ksup *s, const char *action, const char *key, long long value);
/* st.hint from the tails of the output and the bundle's config.json,
 * after a non-zero exit */
void ksup_hint_compute(struct ksup *s);

/* oom.c: watch the memory cgroup of PID for OOM kills; check reads the
 * counter now (an "oom" event and oom_killed when it rose) */
void ksup_oom_watch(struct ksup *s, pid_t pid);
void ksup_oom_check(struct ksup *s);
void ksup_oom_stop(struct ksup *s);

/* ctl.c */
int ksup_ctl_open(struct ksup *s, kerr *e);
void ksup_ctl_close(struct ksup *s);
/* Output of stream WHICH to the attached clients. */
void ksup_attach_output(struct ksup *s, int which, const char *buf, size_t n);
/* The run ended: attached clients are let go. */
void ksup_attach_end(struct ksup *s);
/* Done for good: the waiting stop and wait requests get their answer. */
void ksup_ctl_done(struct ksup *s);

#endif
