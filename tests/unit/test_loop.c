/* Unit tests for common/loop.c: every source kind against the real kernel
 * objects (pipes, signals, forked children, timers), sources removed from
 * inside callbacks (run under ASan this also catches a use after free),
 * stopping with an error, and the signal mask given back. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "children.h"

#define MS KLOOP_NSEC_PER_MSEC

struct rec {
	int calls;
	int order[16];
	int n;
	uint32_t revents;
	struct kloop_source *other;
	siginfo_t si;
	int si_null;
	uint64_t fired_at;
};

static struct kloop *new_loop(void)
{
	struct kloop *l = NULL;
	kerr e;
	assert_int_equal(kloop_new(&l, &e), 0);
	return l;
}

/* A pipe with one byte to read. */
static void ready_pipe(int p[2])
{
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
}

static void close_pipe(int p[2])
{
	close(p[0]);
	close(p[1]);
}

static void note(struct rec *r, int id)
{
	r->calls++;
	if (r->n < 16)
		r->order[r->n++] = id;
}

/* ------------------------------------------------------------------ io */

static int io_exit_7(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)e;
	struct rec *r = data;
	char c;
	r->revents = revents;
	assert_int_equal(read(fd, &c, 1), 1);
	note(r, c);
	kloop_exit(kloop_source_loop(s), 7);
	return 0;
}

static void test_io(void **state)
{
	(void)state;
	_cleanup_(kloop_freep) struct kloop *l = new_loop();
	struct rec r = { 0 };
	int p[2];
	kerr e;
	ready_pipe(p);
	assert_non_null(kloop_add_io(l, p[0], EPOLLIN, io_exit_7, &r, &e));
	assert_int_equal(kloop_run(l, &e), 7);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.order[0], 'x');
	assert_true(r.revents & EPOLLIN);
	close_pipe(p);
}

static int io_count_remove(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)fd;
	(void)e;
	struct rec *r = data;
	r->revents = revents;
	if (++r->calls == 3)
		kloop_remove(s); /* the running source itself */
	return 0;
}

/* /dev/null is refused by epoll: it is reported ready on every iteration,
 * as poll() would, until its source is removed. */
static void test_io_always_ready(void **state)
{
	(void)state;
	_cleanup_(kloop_freep) struct kloop *l = new_loop();
	struct rec r = { 0 };
	kerr e;
	_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_non_null(kloop_add_io(l, fd, EPOLLIN, io_count_remove, &r, &e));
	assert_int_equal(kloop_run(l, &e), 0); /* ends: nothing left */
	assert_int_equal(r.calls, 3);
	assert_int_equal(r.revents, EPOLLIN);
	/* a regular file never has EPOLLPRI: only the timer ends this wait */
	struct rec never = { 0 };
	int by_timer = 0;
	_cleanup_close_ int file = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(file >= 0);
	assert_non_null(kloop_add_io(l, file, EPOLLPRI, io_count_remove, &never, &e));
	assert_non_null(kloop_add_timer(l, 0, 5 * MS, 0, kloop_stop_timer, &by_timer, &e));
	assert_int_equal(kloop_run(l, &e), 0);
	assert_int_equal(by_timer, 1);
	assert_int_equal(never.calls, 0);
}

static void test_io_bad_fd(void **state)
{
	(void)state;
	_cleanup_(kloop_freep) struct kloop *l = new_loop();
	kerr e;
	assert_null(kloop_add_io(l, 1000000, EPOLLIN, io_exit_7, NULL, &e));
	assert_int_equal(e.errnum, EBADF);
	assert_non_null(strstr(e.msg, "fd 1000000"));
	assert_int_equal(kloop_run(l, &e), 0);
}

/* Two sources ready in the same iteration: whichever runs first removes
 * the other, which must then never be called. */
static int io_remove_other(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)fd;
	(void)revents;
	(void)e;
	struct rec *r = data;
	note(r, 0);
	kloop_remove(r->other);
	kloop_remove(s);
	return 0;
}

static void test_remove_other_inside(void **state)
{
	(void)state;
	_cleanup_(kloop_freep) struct kloop *l = new_loop();
	int a[2], b[2];
	kerr e;
	ready_pipe(a);
	ready_pipe(b);
	struct rec x = { 0 }, y = { 0 };
	struct kloop_source *sa = kloop_add_io(l, a[0], EPOLLIN, io_remove_other, &x, &e);
	struct kloop_source *sb = kloop_add_io(l, b[0], EPOLLIN, io_remove_other, &y, &e);
	assert_non_null(sa);
	assert_non_null(sb);
	x.other = sb;
	y.other = sa;
	assert_int_equal(kloop_run(l, &e), 0);
	assert_int_equal(x.calls + y.calls, 1);
	close_pipe(a);
	close_pipe(b);
}

/* -------------------------------------------------------------- errors */

static int io_fail(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)s;
	(void)fd;
	(void)revents;
	note(data, 1);
	return kerr_msg(e, EIO, "reading the pipe went wrong");
}

static int plain_note(struct kloop_source *s, void *data, kerr *e)
{
	(void)s;
	(void)e;
	note(data, 9);
	return 0;
}

static void test_stop_with_error(void **state)
{
	(void)state;
	_cleanup_(kloop_freep) struct kloop *l = new_loop();
	struct rec r = { 0 }, ex = { 0 };
	int p[2];
	kerr e = { 0 };
	ready_pipe(p);
	assert_non_null(kloop_add_io(l, p[0], EPOLLIN, io_fail, &r, &e));
	assert_non_null(kloop_add_exit(l, plain_note, &ex, &e));
	assert_int_equal(kloop_run(l, &e), -1);
	assert_int_equal(e.errnum, EIO);
	assert_string_equal(e.msg, "reading the pipe went wrong");
	assert_int_equal(r.calls, 1);  /* stopped: not called again */
	assert_int_equal(ex.calls, 1); /* exit callbacks still run */
	/* the loop can run again; the error stops it again */
	assert_int_equal(kloop_run(l, &e), -1);
	assert_int_equal(r.calls, 2);
	assert_int_equal(ex.calls, 2);
	close_pipe(p);
}

static int exit_fail(struct kloop_source *s, void *data, kerr *e)
{
	(void)s;
	note(data, 2);
	return kerr_msg(e, ENOSPC, "flush on exit");
}

static int defer_reenter(struct kloop_source *s, void *data, kerr *e)
{
	int *r = data;
	*r = kloop_run(kloop_source_loop(s), e);
	return 0;
}

static void test_exit_callbacks(void **state)
{
	(void)state;
	_cleanup_(kloop_freep) struct kloop *l = new_loop();
	struct rec r = { 0 };
	kerr e = { 0 };
	/* an empty loop ends at once, running its exit callbacks in order */
	assert_non_null(kloop_add_exit(l, plain_note, &r, &e));
	assert_int_equal(kloop_run(l, &e), 0);
	assert_int_equal(r.calls, 1);
	assert_non_null(kloop_add_exit(l, exit_fail, &r, &e));
	assert_int_equal(kloop_run(l, &e), -1);
	assert_int_equal(e.errnum, ENOSPC);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.order[1], 9);
	assert_int_equal(r.order[2], 2);

	/* not reentrant */
	_cleanup_(kloop_freep) struct kloop *m = new_loop();
	int inner = 0;
	assert_non_null(kloop_add_defer(m, defer_reenter, &inner, &e));
	assert_int_equal(kloop_run(m, &e), 0);
	assert_int_equal(inner, -1);
	assert_int_equal(e.errnum, EBUSY);
}

/* -------------------------------------------------------------- defers */

struct defer_ctx {
	struct rec r;
	int depth;
	int io_seen_before_second; /* the second defer runs after one wait */
	int io_calls;
};

static int defer_chain(struct kloop_source *s, void *data, kerr *e)
{
	struct defer_ctx *c = data;
	note(&c->r, c->depth);
	if (c->depth++ == 0) {
		assert_non_null(kloop_add_defer(kloop_source_loop(s), defer_chain, c, e));
	} else {
		c->io_seen_before_second = c->io_calls;
	}
	return 0;
}

static int io_count(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)fd;
	(void)revents;
	(void)e;
	struct defer_ctx *c = data;
	c->io_calls++;
	kloop_remove(s);
	return 0;
}

static void test_defer(void **state)
{
	(void)state;
	_cleanup_(kloop_freep) struct kloop *l = new_loop();
	struct defer_ctx c = { 0 };
	int p[2];
	kerr e;
	ready_pipe(p);
	assert_non_null(kloop_add_defer(l, defer_chain, &c, &e));
	assert_non_null(kloop_add_io(l, p[0], EPOLLIN, io_count, &c, &e));
	assert_int_equal(kloop_run(l, &e), 0);
	/* each ran once; the one added by a defer ran on the next iteration,
	 * after that iteration's wait had delivered the io event */
	assert_int_equal(c.r.calls, 2);
	assert_int_equal(c.r.order[0], 0);
	assert_int_equal(c.r.order[1], 1);
	assert_int_equal(c.io_seen_before_second, 1);
	close_pipe(p);
}

/* ------------------------------------------------------------- signals */

static int on_signal(struct kloop_source *s, const struct signalfd_siginfo *si, void *data, kerr *e)
{
	(void)e;
	struct rec *r = data;
	note(r, (int)si->ssi_signo);
	if (r->calls == 2)
		kloop_exit(kloop_source_loop(s), 0);
	return 0;
}

static int blocked(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, sig);
}

static void test_signals(void **state)
{
	(void)state;
	struct kloop *l = new_loop();
	struct rec r = { 0 };
	sigset_t set;
	kerr e;
	/* SIGUSR2 was blocked before the loop took it, SIGUSR1 was not */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	assert_false(blocked(SIGUSR1));
	sigaddset(&set, SIGUSR1);
	assert_non_null(kloop_add_signals(l, &set, on_signal, &r, &e));
	assert_true(blocked(SIGUSR1));
	/* without the loop's block, SIGUSR1's default action ends the test */
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR2);
	assert_int_equal(kloop_run(l, &e), 0);
	assert_int_equal(r.calls, 2);
	assert_true((r.order[0] == SIGUSR1 && r.order[1] == SIGUSR2) ||
		    (r.order[0] == SIGUSR2 && r.order[1] == SIGUSR1));
	kloop_free(l);
	/* the mask the caller had is back */
	assert_false(blocked(SIGUSR1));
	assert_true(blocked(SIGUSR2));
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	l = new_loop();
	assert_null(kloop_add_signal(l, 0, on_signal, &r, &e));
	assert_int_equal(e.errnum, EINVAL);
	struct kloop_source *s = kloop_add_signal(l, SIGUSR1, on_signal, &r, &e);
	assert_non_null(s);
	assert_true(blocked(SIGUSR1));
	kloop_remove(s);
	assert_false(blocked(SIGUSR1));
	kloop_free(l);
}

/* ------------------------------------------------------------ children */

static int on_child(struct kloop_source *s, const siginfo_t *si, void *data, kerr *e)
{
	(void)s;
	(void)e;
	struct rec *r = data;
	r->calls++;
	r->si_null = si == NULL;
	if (si)
		r->si = *si;
	return 0;
}

static void test_child_status(void **state)
{
	(void)state;
	_cleanup_(kloop_freep) struct kloop *l = new_loop();
	struct rec r = { 0 }, k = { 0 };
	kerr e;
	pid_t a = fork_exit(42);
	pid_t b = fork_pause();
	assert_non_null(kloop_add_child(l, a, 0, on_child, &r, &e));
	struct kloop_source *sb = kloop_add_child(l, b, 0, on_child, &k, &e);
	assert_non_null(sb);
	assert_int_equal(kloop_child_signal(sb, SIGTERM, &e), 0);
	/* both reaped: nothing left to wait for, the loop ends by itself */
	assert_int_equal(kloop_run(l, &e), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.si.si_pid, a);
	assert_int_equal(r.si.si_code, CLD_EXITED);
	assert_int_equal(r.si.si_status, 42);
	assert_int_equal(k.calls, 1);
	assert_int_equal(k.si.si_pid, b);
	assert_int_equal(k.si.si_code, CLD_KILLED);
	assert_int_equal(k.si.si_status, SIGTERM);
	/* really reaped */
	assert_int_equal(waitpid(a, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(waitpid(b, NULL, WNOHANG), -1);
	/* dormant now */
	assert_int_equal(kloop_child_signal(sb, SIGTERM, &e), -1);
	assert_int_equal(e.errnum, ESRCH);
	/* gone processes are refused */
	assert_null(kloop_add_child(l, a, 0, on_child, &r, &e));
	assert_int_equal(e.errnum, ESRCH);
	assert_null(kloop_add_child(l, 0, 0, on_child, &r, &e));
	assert_int_equal(e.errnum, EINVAL);
}

static void test_child_watch(void **state)
{
	(void)state;
	_cleanup_(kloop_freep) struct kloop *l = new_loop();
	struct rec r = { 0 };
	kerr e;
	pid_t a = fork_exit(3);
	assert_non_null(kloop_add_child(l, a, KLOOP_CHILD_WATCH, on_child, &r, &e));
	assert_int_equal(kloop_run(l, &e), 0);
	assert_int_equal(r.calls, 1);
	assert_true(r.si_null);
	/* watched, not reaped: the status is still ours to collect */
	int status;
	assert_int_equal(waitpid(a, &status, WNOHANG), a);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
}

/* -------------------------------------------------------------- timers */

struct tctx {
	struct rec r;
	uint64_t due[8];
	int late[8]; /* fired before its deadline? */
	int id[8];
	struct kloop_source *src[8];
};

static int on_timer(struct kloop_source *s, uint64_t n, void *data, kerr *e)
{
	(void)e;
	(void)n;
	struct tctx *t = data;
	int i = 0;
	while (t->src[i] != s)
		i++;
	t->late[i] = kloop_now() < t->due[i];
	note(&t->r, t->id[i]);
	return 0;
}

static void test_timer_order(void **state)
{
	(void)state;
	_cleanup_(kloop_freep) struct kloop *l = new_loop();
	struct tctx t = { 0 };
	kerr e;
	uint64_t now = kloop_now();
	/* added out of order; two absolute ones share a deadline */
	static const struct {
		int flags;
		uint64_t off;
	} spec[] = { { 0, 30 * MS },
		     { 0, 10 * MS },
		     { KLOOP_TIMER_ABS, 20 * MS },
		     { KLOOP_TIMER_ABS, 20 * MS },
		     { KLOOP_TIMER_ABS, 0 } };
	for (int i = 0; i < 5; i++) {
		uint64_t when = spec[i].flags ? now + spec[i].off : spec[i].off;
		if (spec[i].flags && !spec[i].off)
			when = now - 5 * MS; /* already past: fires at once */
		t.due[i] = spec[i].flags ? when : kloop_now() + spec[i].off;
		t.id[i] = i;
		t.src[i] = kloop_add_timer(l, spec[i].flags, when, 0, on_timer, &t, &e);
		assert_non_null(t.src[i]);
	}
	/* one-shot timers that fired are dormant: the loop ends by itself */
	assert_int_equal(kloop_run(l, &e), 0);
	assert_int_equal(t.r.calls, 5);
	static const int want[] = { 4, 1, 2, 3, 0 };
	for (int i = 0; i < 5; i++) {
		assert_int_equal(t.r.order[i], want[i]);
		assert_false(t.late[i]);
	}
	/* a dormant timer re-armed fires again */
	kloop_timer_set(t.src[1], 0, 1 * MS, 0);
	assert_int_equal(kloop_run(l, &e), 0);
	assert_int_equal(t.r.calls, 6);
	assert_int_equal(t.r.order[5], 1);
	/* a stopped one does not */
	kloop_timer_set(t.src[0], 0, 1 * MS, 0);
	kloop_timer_stop(t.src[0]);
	assert_int_equal(kloop_run(l, &e), 0);
	assert_int_equal(t.r.calls, 6);
}

struct periodic {
	int ticks;
	uint64_t start, expirations;
	struct kloop_source *victim;
	int victim_calls;
};

static int on_tick(struct kloop_source *s, uint64_t n, void *data, kerr *e)
{
	(void)e;
	struct periodic *p = data;
	p->ticks++;
	p->expirations += n;
	kloop_remove(p->victim); /* due in the same pass: must not run */
	p->victim = NULL;
	if (p->ticks == 3)
		kloop_remove(s);
	return 0;
}

static int on_victim(struct kloop_source *s, uint64_t n, void *data, kerr *e)
{
	(void)s;
	(void)n;
	(void)e;
	struct periodic *p = data;
	p->victim_calls++;
	return 0;
}

static void test_timer_periodic(void **state)
{
	(void)state;
	_cleanup_(kloop_freep) struct kloop *l = new_loop();
	struct periodic p = { .start = kloop_now() };
	kerr e;
	uint64_t first = p.start + 5 * MS;
	assert_non_null(kloop_add_timer(l, KLOOP_TIMER_ABS, first, 5 * MS, on_tick, &p, &e));
	p.victim = kloop_add_timer(l, KLOOP_TIMER_ABS, first + 1, 0, on_victim, &p, &e);
	assert_non_null(p.victim);
	assert_int_equal(kloop_run(l, &e), 0);
	assert_int_equal(p.ticks, 3);
	assert_int_equal(p.victim_calls, 0);
	/* three periods of 5 ms from the first deadline (more if we fell behind) */
	assert_true(p.expirations >= 3);
	assert_true(kloop_now() >= first + (p.expirations - 1) * 5 * MS);
}

/* Sources of every kind ready in the same wait: whichever runs first
 * removes all of them, itself included; no other callback may run (under
 * ASan: nothing touches a removed source). */
static struct kloop_source *all_src[4];
static int all_calls;

static void remove_all(void)
{
	all_calls++;
	for (int i = 0; i < 4; i++)
		kloop_remove(all_src[i]);
}

static int all_io(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)s, (void)fd, (void)revents, (void)data, (void)e;
	remove_all();
	return 0;
}

static int all_timer(struct kloop_source *s, uint64_t n, void *data, kerr *e)
{
	(void)s, (void)n, (void)data, (void)e;
	remove_all();
	return 0;
}

static int all_child(struct kloop_source *s, const siginfo_t *si, void *data, kerr *e)
{
	(void)s, (void)si, (void)data, (void)e;
	remove_all();
	return 0;
}

static int all_signal(struct kloop_source *s, const struct signalfd_siginfo *si, void *data, kerr *e)
{
	(void)s, (void)si, (void)data, (void)e;
	remove_all();
	return 0;
}

static void test_remove_all_kinds_inside(void **state)
{
	(void)state;
	struct kloop *l = new_loop();
	int p[2];
	kerr e;
	ready_pipe(p);
	pid_t child = fork_exit(0);
	/* the child has exited once its pidfd is readable: wait for that first */
	siginfo_t si;
	assert_int_equal(waitid(P_PID, child, &si, WEXITED | WNOWAIT), 0);
	/* blocked by us too, so that the loop gives it back blocked if it is
	 * still pending when its source goes */
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, SIGUSR1);
	sigprocmask(SIG_BLOCK, &one, NULL);
	all_src[0] = kloop_add_io(l, p[0], EPOLLIN, all_io, NULL, &e);
	all_src[1] = kloop_add_timer(l, KLOOP_TIMER_ABS, 0, 0, all_timer, NULL, &e);
	all_src[2] = kloop_add_child(l, child, 0, all_child, NULL, &e);
	all_src[3] = kloop_add_signal(l, SIGUSR1, all_signal, NULL, &e);
	for (int i = 0; i < 4; i++)
		assert_non_null(all_src[i]);
	kill(getpid(), SIGUSR1);
	assert_int_equal(kloop_run(l, &e), 0); /* nothing left: it ends */
	assert_int_equal(all_calls, 1);
	kloop_free(l);
	/* the child source went before reaping: the zombie is still ours */
	assert_int_equal(waitpid(child, NULL, 0), child);
	/* SIGUSR1 is still blocked; unless its callback was the one that ran,
	 * it is still pending: take it */
	sigset_t pending;
	sigpending(&pending);
	if (sigismember(&pending, SIGUSR1)) {
		int sig = 0;
		assert_int_equal(sigwait(&one, &sig), 0);
		assert_int_equal(sig, SIGUSR1);
	}
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	close_pipe(p);
}

/* The stock callbacks stop the wait and say which one ended it. */
static void test_stock_callbacks(void **state)
{
	(void)state;
	_cleanup_(kloop_freep) struct kloop *l = new_loop();
	int p[2], by_io = 0, by_timer = 0, by_child = 0;
	kerr e;
	ready_pipe(p);
	struct kloop_source *t = kloop_add_timer(l, 0, 60 * KLOOP_NSEC_PER_SEC, 0, kloop_stop_timer, &by_timer, &e);
	struct kloop_source *io = kloop_add_io(l, p[0], EPOLLIN, kloop_stop_io, &by_io, &e);
	assert_non_null(t);
	assert_non_null(io);
	assert_int_equal(kloop_run(l, &e), 0);
	assert_int_equal(by_io, 1);
	assert_int_equal(by_timer, 0);
	kloop_remove(io);
	kloop_timer_set(t, 0, 1 * MS, 0);
	assert_int_equal(kloop_run(l, &e), 0);
	assert_int_equal(by_timer, 1);
	pid_t a = fork_exit(0);
	assert_non_null(kloop_add_child(l, a, 0, kloop_stop_child, &by_child, &e));
	kloop_timer_set(t, 0, 60 * KLOOP_NSEC_PER_SEC, 0);
	by_timer = 0;
	assert_int_equal(kloop_run(l, &e), 0);
	assert_int_equal(by_child, 1);
	assert_int_equal(by_timer, 0);
	close_pipe(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io),
		cmocka_unit_test(test_io_always_ready),
		cmocka_unit_test(test_io_bad_fd),
		cmocka_unit_test(test_remove_other_inside),
		cmocka_unit_test(test_stop_with_error),
		cmocka_unit_test(test_exit_callbacks),
		cmocka_unit_test(test_defer),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_child_status),
		cmocka_unit_test(test_child_watch),
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_timer_periodic),
		cmocka_unit_test(test_stock_callbacks),
		cmocka_unit_test(test_remove_all_kinds_inside),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
