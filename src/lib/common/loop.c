/* kloop: the event loop (contract in loop.h).
 *
 * All sources sit on one list in order of adding.  Removing one marks it
 * dead and takes it out of epoll; the iteration skips dead sources and
 * frees them once it is done, so an epoll event or a list walk never
 * reaches freed memory.  The signalfd and the timerfd are the loop's own
 * and are opened on first use; the timerfd is armed for the earliest
 * deadline before each wait. */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum kind { K_IO, K_SIGNAL, K_CHILD, K_TIMER, K_DEFER, K_EXIT };

struct kloop_source {
	struct kloop *loop;
	struct kloop_source *next;
	enum kind kind;
	int dead;
	int armed;    /* child, timer, defer: still to fire */
	uint64_t gen; /* timer: last pass it fired in; defer: iteration it was added in */
	void *data;
	union {
		kloop_io_fn io;
		kloop_signal_fn sig;
		kloop_child_fn child;
		kloop_timer_fn timer;
		kloop_fn plain;
	} fn;
	union {
		struct {
			int fd;
			uint32_t events;
			int always;
		} io;
		sigset_t sig;
		struct {
			pid_t pid;
			int fd;
			int flags;
		} child;
		struct {
			uint64_t deadline, interval;
		} timer;
	} u;
};

struct kloop {
	int epfd, sigfd, timerfd;
	struct kloop_source *head, **tail;
	int running, stop, code;
	int timers_dirty;
	uint64_t iteration;
	sigset_t owned;          /* signals some source owns */
	sigset_t blocked_before; /* of those, the ones the caller had blocked */
};

/* epoll data of the loop's own fds */
static char sigfd_tag, timerfd_tag;

uint64_t kloop_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * KLOOP_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

int kloop_new(struct kloop **out, kerr *e)
{
	struct kloop *l = calloc(1, sizeof(*l));
	if (!l)
		return kerr_set(e, ENOMEM, "event loop");
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return kerr_errno(e, "event loop: epoll_create1");
	}
	l->sigfd = l->timerfd = -1;
	l->tail = &l->head;
	sigemptyset(&l->owned);
	sigemptyset(&l->blocked_before);
	*out = l;
	return 0;
}

static struct kloop_source *add(struct kloop *l, enum kind kind, void *data, kerr *e)
{
	struct kloop_source *s = calloc(1, sizeof(*s));
	if (!s) {
		kerr_set(e, ENOMEM, "event loop");
		return NULL;
	}
	s->loop = l;
	s->kind = kind;
	s->data = data;
	*l->tail = s;
	l->tail = &s->next;
	return s;
}

static int watch(struct kloop *l, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
}

struct kloop_source *kloop_add_io(struct kloop *l, int fd, uint32_t events, kloop_io_fn fn, void *data, kerr *e)
{
	struct kloop_source *s = add(l, K_IO, data, e);
	if (!s)
		return NULL;
	s->fn.io = fn;
	s->u.io.fd = fd;
	s->u.io.events = events;
	if (watch(l, fd, events, s) < 0) {
		s->u.io.always = 1; /* epoll refuses files that are always ready */
		if (errno != EPERM) {
			kerr_errno(e, "event loop: watch fd %d", fd);
			kloop_remove(s);
			return NULL;
		}
	}
	return s;
}

int kloop_io_set_events(struct kloop_source *s, uint32_t events, kerr *e)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };
	if (!s->u.io.always && epoll_ctl(s->loop->epfd, EPOLL_CTL_MOD, s->u.io.fd, &ev) < 0)
		return kerr_errno(e, "event loop: watch fd %d", s->u.io.fd);
	s->u.io.events = events;
	return 0;
}

/* Point the signalfd at the signals the live sources own, block new ones
 * and give back those no source owns any more. */
static int update_signals(struct kloop *l, kerr *e)
{
	sigset_t want, was;
	sigemptyset(&want);
	for (struct kloop_source *s = l->head; s; s = s->next)
		if (s->kind == K_SIGNAL && !s->dead)
			sigorset(&want, &want, &s->u.sig);
	sigprocmask(SIG_BLOCK, &want, &was);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sigismember(&want, sig) && !sigismember(&l->owned, sig) && sigismember(&was, sig))
			sigaddset(&l->blocked_before, sig);
		if (!sigismember(&want, sig) && sigismember(&l->owned, sig)) {
			sigset_t one;
			sigemptyset(&one);
			sigaddset(&one, sig);
			if (!sigismember(&l->blocked_before, sig))
				sigprocmask(SIG_UNBLOCK, &one, NULL);
			sigdelset(&l->blocked_before, sig);
		}
	}
	l->owned = want;
	if (l->sigfd < 0 && sigisemptyset(&want))
		return 0;
	int fd = signalfd(l->sigfd, &want, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return kerr_errno(e, "event loop: signalfd");
	if (l->sigfd < 0) {
		l->sigfd = fd;
		if (watch(l, fd, EPOLLIN, &sigfd_tag) < 0)
			return kerr_errno(e, "event loop: watch the signalfd");
	}
	return 0;
}

struct kloop_source *kloop_add_signals(struct kloop *l, const sigset_t *set, kloop_signal_fn fn, void *data, kerr *e)
{
	struct kloop_source *s = add(l, K_SIGNAL, data, e);
	if (!s)
		return NULL;
	s->fn.sig = fn;
	s->u.sig = *set;
	if (update_signals(l, e) < 0) {
		kloop_remove(s);
		return NULL;
	}
	return s;
}

struct kloop_source *kloop_add_signal(struct kloop *l, int signo, kloop_signal_fn fn, void *data, kerr *e)
{
	sigset_t set;
	sigemptyset(&set);
	if (sigaddset(&set, signo) < 0) {
		kerr_msg(e, EINVAL, "event loop: %d is not a signal", signo);
		return NULL;
	}
	return kloop_add_signals(l, &set, fn, data, e);
}

struct kloop_source *kloop_add_child(struct kloop *l, pid_t pid, int flags, kloop_child_fn fn, void *data, kerr *e)
{
	if (pid <= 0) {
		kerr_msg(e, EINVAL, "event loop: %d is not a process id", (int)pid);
		return NULL;
	}
	int fd = pidfd_open(pid, 0);
	if (fd < 0) {
		kerr_errno(e, "event loop: process %d", (int)pid);
		return NULL;
	}
	struct kloop_source *s = add(l, K_CHILD, data, e);
	if (!s) {
		close(fd);
		return NULL;
	}
	s->fn.child = fn;
	s->u.child.pid = pid;
	s->u.child.fd = fd;
	s->u.child.flags = flags;
	s->armed = 1;
	if (watch(l, fd, EPOLLIN, s) < 0) {
		kerr_errno(e, "event loop: watch process %d", (int)pid);
		kloop_remove(s);
		return NULL;
	}
	return s;
}

int kloop_child_signal(struct kloop_source *s, int sig, kerr *e)
{
	if (s->u.child.fd < 0)
		return kerr_msg(e, ESRCH, "signal process %d: it has ended", (int)s->u.child.pid);
	if (pidfd_send_signal(s->u.child.fd, sig, NULL, 0) < 0)
		return kerr_errno(e, "signal process %d", (int)s->u.child.pid);
	return 0;
}

struct kloop_source *kloop_add_timer(struct kloop *l, int flags, uint64_t when, uint64_t interval, kloop_timer_fn fn,
				     void *data, kerr *e)
{
	if (l->timerfd < 0) {
		l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (l->timerfd < 0 || watch(l, l->timerfd, EPOLLIN, &timerfd_tag) < 0) {
			kerr_errno(e, "event loop: timerfd");
			if (l->timerfd >= 0)
				close(l->timerfd);
			l->timerfd = -1;
			return NULL;
		}
	}
	struct kloop_source *s = add(l, K_TIMER, data, e);
	if (!s)
		return NULL;
	s->fn.timer = fn;
	kloop_timer_set(s, flags, when, interval);
	return s;
}

void kloop_timer_set(struct kloop_source *s, int flags, uint64_t when, uint64_t interval)
{
	s->u.timer.deadline = flags & KLOOP_TIMER_ABS ? when : kloop_now() + when;
	s->u.timer.interval = interval;
	s->armed = 1;
	s->loop->timers_dirty = 1;
}

void kloop_timer_stop(struct kloop_source *s)
{
	s->armed = 0;
	s->loop->timers_dirty = 1;
}

struct kloop_source *kloop_add_defer(struct kloop *l, kloop_fn fn, void *data, kerr *e)
{
	struct kloop_source *s = add(l, K_DEFER, data, e);
	if (s) {
		s->fn.plain = fn;
		s->armed = 1;
		s->gen = l->iteration;
	}
	return s;
}

struct kloop_source *kloop_add_exit(struct kloop *l, kloop_fn fn, void *data, kerr *e)
{
	struct kloop_source *s = add(l, K_EXIT, data, e);
	if (s)
		s->fn.plain = fn;
	return s;
}

struct kloop *kloop_source_loop(const struct kloop_source *s)
{
	return s->loop;
}

static void sweep(struct kloop *l)
{
	for (struct kloop_source **pp = &l->head; *pp;) {
		struct kloop_source *s = *pp;
		if (s->dead) {
			*pp = s->next;
			free(s);
		} else {
			pp = &s->next;
		}
	}
	l->tail = &l->head;
	while (*l->tail)
		l->tail = &(*l->tail)->next;
}

static void close_child(struct kloop_source *s)
{
	if (s->u.child.fd >= 0) {
		epoll_ctl(s->loop->epfd, EPOLL_CTL_DEL, s->u.child.fd, NULL);
		close(s->u.child.fd);
		s->u.child.fd = -1;
	}
	s->armed = 0;
}

void kloop_remove(struct kloop_source *s)
{
	if (!s || s->dead)
		return;
	struct kloop *l = s->loop;
	s->dead = 1;
	if (s->kind == K_IO && !s->u.io.always)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, s->u.io.fd, NULL); /* EBADF if the caller closed it first */
	else if (s->kind == K_CHILD)
		close_child(s);
	else if (s->kind == K_SIGNAL) {
		kerr ig;
		update_signals(l, &ig); /* only fewer signals: cannot fail */
	} else if (s->kind == K_TIMER)
		l->timers_dirty = 1;
	if (!l->running)
		sweep(l);
}

struct kloop *kloop_free(struct kloop *l)
{
	if (!l)
		return NULL;
	l->running = 1; /* sweep once, at the end */
	for (struct kloop_source *s = l->head; s; s = s->next)
		kloop_remove(s);
	sweep(l);
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->timerfd >= 0)
		close(l->timerfd);
	close(l->epfd);
	free(l);
	return NULL;
}

void kloop_exit(struct kloop *l, int code)
{
	l->stop = 1;
	l->code = code;
}

static int stop(struct kloop_source *s, void *flag)
{
	if (flag)
		*(int *)flag = 1;
	kloop_exit(s->loop, 0);
	return 0;
}

int kloop_stop_io(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)fd;
	(void)revents;
	(void)e;
	return stop(s, data);
}

int kloop_stop_child(struct kloop_source *s, const siginfo_t *si, void *data, kerr *e)
{
	(void)si;
	(void)e;
	return stop(s, data);
}

int kloop_stop_timer(struct kloop_source *s, uint64_t expirations, void *data, kerr *e)
{
	(void)expirations;
	(void)e;
	return stop(s, data);
}

/* A callback's result: < 0 stops the loop with it. */
static int done(struct kloop *l, int r)
{
	if (r < 0) {
		l->stop = 1;
		l->code = r;
	}
	return l->stop;
}

static int dispatch_signal(struct kloop *l, kerr *e)
{
	struct signalfd_siginfo si;
	/* one per iteration: what stays unread waits for the next */
	if (read(l->sigfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	for (struct kloop_source *s = l->head; s; s = s->next)
		if (s->kind == K_SIGNAL && !s->dead && sigismember(&s->u.sig, (int)si.ssi_signo) &&
		    done(l, s->fn.sig(s, &si, s->data, e)))
			return 1;
	return 0;
}

static int dispatch_child(struct kloop_source *s, kerr *e)
{
	siginfo_t si = { 0 };
	if (!(s->u.child.flags & KLOOP_CHILD_WATCH)) {
		if (waitid(P_PIDFD, s->u.child.fd, &si, WEXITED | WNOHANG) < 0)
			return done(s->loop, kerr_errno(e, "wait for process %d", (int)s->u.child.pid));
		if (si.si_pid == 0)
			return 0; /* not yet */
	}
	close_child(s);
	return done(s->loop, s->fn.child(s, s->u.child.flags & KLOOP_CHILD_WATCH ? NULL : &si, s->data, e));
}

/* Every armed timer due by now, earliest first, each at most once a pass. */
static int dispatch_timers(struct kloop *l, kerr *e)
{
	uint64_t ticks, now = kloop_now(), pass = l->iteration;
	(void)!read(l->timerfd, &ticks, sizeof(ticks));
	l->timers_dirty = 1;
	for (;;) {
		struct kloop_source *t = NULL;
		for (struct kloop_source *s = l->head; s; s = s->next)
			if (s->kind == K_TIMER && !s->dead && s->armed && s->gen != pass &&
			    s->u.timer.deadline <= now && (!t || s->u.timer.deadline < t->u.timer.deadline))
				t = s;
		if (!t)
			return 0;
		uint64_t n = 1;
		t->gen = pass;
		if (t->u.timer.interval) {
			n += (now - t->u.timer.deadline) / t->u.timer.interval;
			t->u.timer.deadline += n * t->u.timer.interval;
		} else {
			t->armed = 0;
		}
		if (done(l, t->fn.timer(t, n, t->data, e)))
			return 1;
	}
}

static int arm_timerfd(struct kloop *l, kerr *e)
{
	struct itimerspec its = { 0 };
	uint64_t first = 0;
	for (struct kloop_source *s = l->head; s; s = s->next)
		if (s->kind == K_TIMER && !s->dead && s->armed && (!first || s->u.timer.deadline < first))
			first = s->u.timer.deadline ? s->u.timer.deadline : 1; /* 0 would disarm */
	its.it_value.tv_sec = first / KLOOP_NSEC_PER_SEC;
	its.it_value.tv_nsec = first % KLOOP_NSEC_PER_SEC;
	l->timers_dirty = 0;
	if (timerfd_settime(l->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return kerr_errno(e, "event loop: timerfd");
	return 0;
}

/* What an fd epoll refused reports, as poll() would: readable and writable,
 * never EPOLLPRI. */
static uint32_t always_ready(const struct kloop_source *s)
{
	if (s->kind != K_IO || !s->u.io.always || s->dead)
		return 0;
	return s->u.io.events & (EPOLLIN | EPOLLOUT);
}

/* One iteration: due defers, one wait, its events; 1 when the loop ends. */
static int iterate(struct kloop *l, kerr *e)
{
	struct epoll_event ev[32];
	int busy = 0, pending = 0;
	l->iteration++;
	for (struct kloop_source *s = l->head; s; s = s->next)
		if (s->kind == K_DEFER && !s->dead && s->armed && s->gen < l->iteration) {
			s->armed = 0;
			if (done(l, s->fn.plain(s, s->data, e)))
				return 1;
		}
	for (struct kloop_source *s = l->head; s; s = s->next) {
		if (s->dead || s->kind == K_EXIT)
			continue;
		busy |= s->kind == K_IO || s->kind == K_SIGNAL || s->armed;
		pending |= (s->kind == K_DEFER && s->armed) || always_ready(s);
	}
	if (!busy)
		return 1;
	if (l->timers_dirty && l->timerfd >= 0 && arm_timerfd(l, e) < 0)
		return done(l, -1);
	int n = epoll_wait(l->epfd, ev, ARRAY_SIZE(ev), pending ? 0 : -1);
	if (n < 0 && errno != EINTR)
		return done(l, kerr_errno(e, "event loop: epoll_wait"));
	for (int i = 0; i < n; i++) {
		struct kloop_source *s = ev[i].data.ptr;
		if (ev[i].data.ptr == &sigfd_tag) {
			if (dispatch_signal(l, e))
				return 1;
		} else if (ev[i].data.ptr == &timerfd_tag) {
			if (dispatch_timers(l, e))
				return 1;
		} else if (s->dead) {
			continue;
		} else if (s->kind == K_CHILD) {
			if (dispatch_child(s, e))
				return 1;
		} else if (done(l, s->fn.io(s, s->u.io.fd, ev[i].events, s->data, e))) {
			return 1;
		}
	}
	for (struct kloop_source *s = l->head; s; s = s->next)
		if (always_ready(s) && done(l, s->fn.io(s, s->u.io.fd, always_ready(s), s->data, e)))
			return 1;
	return l->stop;
}

int kloop_run(struct kloop *l, kerr *e)
{
	if (l->running)
		return kerr_msg(e, EBUSY, "event loop: already running");
	l->running = 1;
	l->stop = 0;
	l->code = 0;
	while (!iterate(l, e))
		sweep(l);
	for (struct kloop_source *s = l->head; s; s = s->next) {
		kerr ig;
		if (s->kind == K_EXIT && !s->dead) {
			int r = s->fn.plain(s, s->data, l->code < 0 ? &ig : e);
			if (r < 0 && l->code >= 0)
				l->code = r;
		}
	}
	sweep(l);
	l->running = 0;
	return l->code;
}
