/* Health checks, as Docker runs them: every interval the test command runs
 * in the container (`RUNTIME exec`), bounded by the timeout; a failure
 * adds to the failing streak (not during the start period), `retries`
 * failures in a row make the container unhealthy, a success healthy again.
 * The last 5 results, with up to 4 KiB of output each, go to status.json.
 * The probe is one more process on the loop: its exit by pidfd, its output
 * by a pipe, its timeout by a timer. */
#include "supervise/internal.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/time.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void probe_end(struct ksup *s, int code, const char *why)
{
	struct ksup_health *h = &s->health;
	kloop_remove(h->out_src);
	h->out_src = NULL;
	if (h->out_fd >= 0)
		close(h->out_fd);
	h->out_fd = -1;
	kloop_remove(h->child);
	h->child = NULL;
	h->pid = 0;
	if (h->timeout)
		kloop_timer_stop(h->timeout);
	if (s->phase != KSUP_PHASE_RUNNING)
		return;

	struct ksup_status *st = &s->st;
	if (st->health_nlog == KSUP_HEALTH_LOG)
		memmove(&st->health_log[0], &st->health_log[1], sizeof(st->health_log[0]) * (KSUP_HEALTH_LOG - 1));
	else
		st->health_nlog++;
	struct ksup_health_result *r = &st->health_log[st->health_nlog - 1];
	memcpy(r->start, h->cur_start, sizeof(r->start));
	if (ktime_now(r->end, sizeof(r->end), KTIME_NANO_TRIM) < 0)
		r->end[0] = 0;
	r->exit_code = code;
	if (why) {
		snprintf(r->output, sizeof(r->output), "%s", why);
	} else {
		memcpy(r->output, h->cur_out, h->cur_len);
		r->output[h->cur_len] = 0;
	}
	/* during the start period a failure does not count, a success ends it */
	enum ksup_health_status was = st->health;
	int in_start_period = kloop_now() - s->started < (uint64_t)s->c->health.start_period_ns;
	if (code == 0) {
		st->failing_streak = 0;
		st->health = KSUP_HEALTHY;
	} else if (!in_start_period || st->health != KSUP_HEALTH_STARTING) {
		if (++st->failing_streak >= s->c->health.retries)
			st->health = KSUP_UNHEALTHY;
	}
	ksup_save(s);
	if (st->health == was)
		return;
	ksup_event(s, st->health == KSUP_HEALTHY ? "health_status: healthy" : "health_status: unhealthy", NULL, NULL);
	if (st->health != KSUP_UNHEALTHY)
		return;
	/* --health-on-failure */
	kerr ig;
	switch (s->c->health.on_failure) {
	case KSUP_ON_FAILURE_KILL:
		fprintf(stderr, "kapsel-supervise: %s is unhealthy: killed (--health-on-failure kill)\n", s->c->id);
		ksup_signal(s, SIGKILL, &ig);
		break;
	case KSUP_ON_FAILURE_STOP:
		fprintf(stderr, "kapsel-supervise: %s is unhealthy: stopped (--health-on-failure stop)\n", s->c->id);
		ksup_stop(s, s->c->stop_timeout);
		break;
	case KSUP_ON_FAILURE_RESTART:
		fprintf(stderr, "kapsel-supervise: %s is unhealthy: restarted (--health-on-failure restart)\n",
			s->c->id);
		ksup_restart_now(s);
		break;
	default: break;
	}
}

/* The period now: the start interval while starting in the start period. */
static uint64_t period(struct ksup *s)
{
	const struct ksup_healthcheck *hc = &s->c->health;
	if (hc->start_interval_ns > 0 && s->st.health == KSUP_HEALTH_STARTING &&
	    kloop_now() - s->started < (uint64_t)hc->start_period_ns)
		return (uint64_t)hc->start_interval_ns;
	return (uint64_t)hc->interval_ns;
}

static int on_probe_exit(struct kloop_source *src, const siginfo_t *si, void *data, kerr *e)
{
	(void)src, (void)e;
	struct ksup *s = data;
	struct ksup_health *h = &s->health;
	/* what is still in the pipe, without waiting for its other holders */
	while (h->out_fd >= 0 && h->cur_len < KSUP_HEALTH_OUTPUT) {
		ssize_t n = read(h->out_fd, h->cur_out + h->cur_len, KSUP_HEALTH_OUTPUT - h->cur_len);
		if (n <= 0)
			break;
		h->cur_len += (size_t)n;
	}
	int code = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
	probe_end(s, code, h->timed_out ? "Health check exceeded timeout" : NULL);
	return 0;
}

static int on_probe_output(struct kloop_source *src, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)src, (void)revents, (void)e;
	struct ksup_health *h = &((struct ksup *)data)->health;
	char sink[512];
	char *to = h->cur_len < KSUP_HEALTH_OUTPUT ? h->cur_out + h->cur_len : sink;
	size_t room = h->cur_len < KSUP_HEALTH_OUTPUT ? KSUP_HEALTH_OUTPUT - h->cur_len : sizeof(sink);
	ssize_t n = read(fd, to, room);
	if (n > 0 && to != sink)
		h->cur_len += (size_t)n;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		kloop_remove(h->out_src);
		h->out_src = NULL;
	}
	return 0;
}

static int on_probe_timeout(struct kloop_source *src, uint64_t exp, void *data, kerr *e)
{
	(void)src, (void)exp;
	struct ksup *s = data;
	s->health.timed_out = 1;
	/* the probe in the container first (killing the runtime's exec alone
	 * would leave it there), then the exec */
	_cleanup_free_ char *buf = NULL;
	kerr ig;
	if (kfs_read_file("health.pid", &buf, NULL, &ig) == 0 && atoi(buf) > 0)
		kill(atoi(buf), SIGKILL);
	if (s->health.child)
		kloop_child_signal(s->health.child, SIGKILL, &ig);
	(void)e;
	return 0;
}

static int on_interval(struct kloop_source *src, uint64_t exp, void *data, kerr *e)
{
	(void)src, (void)exp, (void)e;
	struct ksup *s = data;
	struct ksup_health *h = &s->health;
	uint64_t want = period(s);
	if (want != h->period) {
		h->period = want;
		kloop_timer_set(h->interval, 0, want, want);
	}
	if (h->child || s->phase != KSUP_PHASE_RUNNING)
		return 0; /* the last probe still runs: Docker skips too */
	/* paused (`kapsel pause` made DIR/paused): a probe would freeze with
	 * it; none runs, as in Docker */
	char mark[PATH_MAX];
	snprintf(mark, sizeof(mark), "%s/paused", s->dir);
	if (access(mark, F_OK) == 0)
		return 0;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return 0;
	const struct ksup_config *c = s->c;
	size_t n = 0;
	const char *argv[64];
	argv[n++] = c->runtime;
	argv[n++] = "--root";
	argv[n++] = c->runtime_root;
	argv[n++] = "exec";
	argv[n++] = "--pid-file";
	argv[n++] = "health.pid"; /* in DIR, our working directory */
	argv[n++] = c->id;
	for (char **a = c->health.argv; *a && n < 63; a++)
		argv[n++] = *a;
	argv[n] = NULL;
	unlink("health.pid");
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]), close(p[1]);
		return 0;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	h->pid = pid;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	h->out_fd = p[0];
	h->cur_len = 0;
	h->timed_out = 0;
	if (ktime_now(h->cur_start, sizeof(h->cur_start), KTIME_NANO_TRIM) < 0)
		h->cur_start[0] = 0;
	kerr ig;
	h->child = kloop_add_child(s->loop, pid, 0, on_probe_exit, s, &ig);
	h->out_src = kloop_add_io(s->loop, p[0], EPOLLIN, on_probe_output, s, &ig);
	if (!h->timeout)
		h->timeout = kloop_add_timer(s->loop, 0, (uint64_t)c->health.timeout_ns, 0, on_probe_timeout, s, &ig);
	else
		kloop_timer_set(h->timeout, 0, (uint64_t)c->health.timeout_ns, 0);
	if (!h->child) { /* it is gone already (or pidfds fail): reap it here */
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		probe_end(s, -1, "the health check could not be watched");
	}
	return 0;
}

int ksup_health_start(struct ksup *s, kerr *e)
{
	struct ksup_health *h = &s->health;
	if (!s->c->health.argv)
		return 0;
	s->st.health = KSUP_HEALTH_STARTING;
	s->st.failing_streak = 0;
	uint64_t iv = h->period = period(s);
	if (!h->interval) {
		h->interval = kloop_add_timer(s->loop, 0, iv, iv, on_interval, s, e);
		return h->interval ? 0 : -1;
	}
	kloop_timer_set(h->interval, 0, iv, iv);
	return 0;
}

void ksup_health_stop(struct ksup *s)
{
	struct ksup_health *h = &s->health;
	if (h->interval)
		kloop_timer_stop(h->interval);
	if (h->child) {
		kerr ig;
		kloop_child_signal(h->child, SIGKILL, &ig);
	}
}
