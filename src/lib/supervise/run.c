/* The supervisor's state machine: launch (runtime create + start), the
 * container's stdio, its exit, restarts, the end.  The control socket is
 * in ctl.c. */
#include "supervise/internal.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNTIME_ARGV_MAX 20

/* ---- the runtime ------------------------------------------------------- */

/* The last error the runtime logged (its --log file, JSON lines), or "". */
static void runtime_error(struct ksup *s, char *out, size_t n)
{
	*out = 0;
	_cleanup_free_ char *buf = NULL;
	kerr ig;
	if (kfs_read_file(s->runtime_log, &buf, NULL, &ig) < 0)
		return;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		_cleanup_json_ json_object *o = json_tokener_parse(line);
		const char *lvl = kj_get_str(o, "level"), *msg = kj_get_str(o, "msg");
		if (msg && lvl && !strcmp(lvl, "error"))
			snprintf(out, n, "%s", msg);
	}
}

/* Run RUNTIME --root R --log L --log-format json VERB ARGS... with stdio
 * IN/OUT/ERR (-1: /dev/null) and wait for it (it is short: create, start,
 * delete).  A failure's message is the one the runtime logged. */
static int runtime(struct ksup *s, int in, int out, int err, kerr *e, const char *verb, ...)
{
	const char *argv[RUNTIME_ARGV_MAX];
	size_t n = 0;
	argv[n++] = s->c->runtime;
	argv[n++] = "--root";
	argv[n++] = s->c->runtime_root;
	argv[n++] = "--log";
	argv[n++] = s->runtime_log;
	argv[n++] = "--log-format";
	argv[n++] = "json";
	argv[n++] = verb;
	va_list ap;
	va_start(ap, verb);
	for (const char *a; (a = va_arg(ap, const char *)) && n < RUNTIME_ARGV_MAX - 1;)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;

	_cleanup_close_ int lf = open(s->runtime_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	pid_t pid = fork();
	if (pid < 0)
		return kerr_errno(e, "%s %s: fork", s->c->runtime, verb);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		int fds[3] = { in, out, err };
		for (int i = 0; i < 3; i++)
			if (fds[i] < 0)
				fds[i] = nul;
		/* dup first (a source may be 0..2 itself), then place */
		int d[3];
		for (int i = 0; i < 3; i++)
			d[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
		for (int i = 0; i < 3; i++)
			dup2(d[i], i);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], (char *const *)argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return kerr_errno(e, "%s %s: wait", s->c->runtime, verb);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	char msg[KERR_MSG_MAX / 2];
	runtime_error(s, msg, sizeof(msg));
	if (*msg)
		return kerr_msg(e, EIO, "%s %s: %s", s->c->runtime, verb, msg);
	if (WIFEXITED(st))
		return kerr_msg(e, EIO, "%s %s: exit status %d", s->c->runtime, verb, WEXITSTATUS(st));
	return kerr_msg(e, EIO, "%s %s: killed by signal %d", s->c->runtime, verb, WTERMSIG(st));
}

/* ---- status ------------------------------------------------------------ */

void ksup_save(struct ksup *s)
{
	klogs_counters(s->logs, &s->st.log_dropped_lines, &s->st.log_dropped_bytes);
	kerr e;
	int r = ksup_status_write(s->dir, &s->st, &e);
	if (r < 0 && (e.errnum == ENOSPC || e.errnum == EDQUOT)) {
		/* the disk is full: the reserve makes room for this record, and
		 * the logs may not take it back until the reserve is whole again */
		ksup_reserve_free(s->dir);
		if (s->logs)
			klogs_hold(s->logs);
		r = ksup_status_write(s->dir, &s->st, &e);
	}
	if (r < 0)
		fprintf(stderr, "kapsel-supervise: %s\n", e.msg);
}

/* The logs may write again once the status record's room is back. */
static bool logs_room(void *data)
{
	struct ksup *s = data;
	return ksup_reserve_make(s->dir) == 0;
}

static void set_error(struct ksup *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->st.error, sizeof(s->st.error), fmt, ap);
	va_end(ap);
}

static void now(char *buf)
{
	if (ktime_now(buf, KTIME_BUFSZ, KTIME_NANO_TRIM) < 0)
		*buf = 0;
}

/* ---- stdio --------------------------------------------------------------- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void stream_closed(struct ksup *s, int which);
static void feed_held(struct ksup *s, int wait);

/* mode=blocking: a remote log that cannot keep up stops our reads, and so
 * the container's writes, until it has room (never once the init exited) */
static void pause_output(struct ksup *s, int paused)
{
	kerr ig;
	s->logs_paused = paused;
	if (s->out_src)
		kloop_io_set_events(s->out_src, paused ? 0 : EPOLLIN, &ig);
	if (s->err_src)
		kloop_io_set_events(s->err_src, paused ? 0 : EPOLLIN, &ig);
}

static int on_log_save(struct kloop_source *src, uint64_t exp, void *data, kerr *e)
{
	(void)src, (void)exp, (void)e;
	struct ksup *s = data;
	s->log_save_armed = 0;
	if (s->phase != KSUP_PHASE_DONE)
		ksup_save(s);
	return 0;
}

static void on_logs(struct klogs *l, enum klogs_event ev, void *data)
{
	(void)l;
	struct ksup *s = data;
	if (ev == KLOGS_EV_ROOM && s->held_len) { /* what a read left before the pause first */
		feed_held(s, 0);
		if (s->held_len)
			return;
	}
	if (ev == KLOGS_EV_ROOM && s->logs_paused)
		pause_output(s, 0);
	if (ev == KLOGS_EV_DROPPED) { /* status.json's counters, at most once a second */
		kerr ig;
		if (!s->log_save_timer)
			s->log_save_timer = kloop_add_timer(s->loop, 0, KLOOP_NSEC_PER_SEC, 0, on_log_save, s, &ig);
		else if (!s->log_save_armed)
			kloop_timer_set(s->log_save_timer, 0, KLOOP_NSEC_PER_SEC, 0);
		s->log_save_armed = s->log_save_timer != NULL;
	}
}

/* Feed what a read left in iobuf before the pause; WAIT: for as long as
 * the compression takes (the reads cannot wait: the container is gone). */
static void feed_held(struct ksup *s, int wait)
{
	while (s->held_len) {
		size_t used = klogs_feed(s->logs, s->held_stream, s->iobuf + s->held_off, s->held_len);
		s->held_off += used;
		s->held_len -= used;
		if (!s->held_len || !wait)
			break;
		klogs_settle(s->logs);
	}
}

static int on_output(struct kloop_source *src, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)src, (void)revents, (void)e;
	struct ksup *s = data;
	/* a paused pipe still reports its hang-up: iobuf is needed again */
	feed_held(s, 1);
	int which = fd == s->err_fd ? KLOGS_STDERR : KLOGS_STDOUT;
	ssize_t n = read(fd, s->iobuf, KSUP_IOBUF);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) { /* EOF, or EIO from a terminal whose other side is gone */
		stream_closed(s, which);
		return 0;
	}
	size_t used = klogs_feed(s->logs, which, s->iobuf, (size_t)n);
	khint_tail_add(which == KLOGS_STDERR ? &s->tail_err : &s->tail_out, s->iobuf, (size_t)n);
	ksup_attach_output(s, which, s->iobuf, (size_t)n);
	if (used < (size_t)n) { /* a rotation waits for its compression: hold the rest, read no more */
		s->held_stream = which;
		s->held_off = used;
		s->held_len = (size_t)n - used;
		pause_output(s, 1);
	} else if (klogs_full(s->logs) && s->phase == KSUP_PHASE_RUNNING) {
		pause_output(s, 1);
	}
	return 0;
}

static void finish_run(struct ksup *s);

static void stream_closed(struct ksup *s, int which)
{
	feed_held(s, 1); /* the rest of the last read, before the end */
	klogs_flush(s->logs, which);
	if (which == KLOGS_STDERR) {
		kloop_remove(s->err_src);
		s->err_src = NULL;
		close_fd(&s->err_fd);
	} else {
		kloop_remove(s->out_src);
		s->out_src = NULL;
		close_fd(&s->out_fd);
	}
	if (s->phase == KSUP_PHASE_DRAINING && !s->out_src && !s->err_src)
		finish_run(s);
}

/* The terminal's master from the runtime, through the console socket. */
static int recv_console(struct ksup *s, int lfd, kerr *e)
{
	_cleanup_close_ int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return kerr_errno(e, "console socket: accept");
	char byte[256];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { byte, sizeof(byte) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	if (recvmsg(c, &m, MSG_CMSG_CLOEXEC) < 0)
		return kerr_errno(e, "console socket: receive");
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return kerr_msg(e, EPROTO, "console socket: the runtime sent no terminal");
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	s->out_fd = fd;
	if (s->c->stdin_open)
		s->in_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return 0;
}

static int read_pid(struct ksup *s, kerr *e)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/init.pid", s->dir);
	_cleanup_free_ char *buf = NULL;
	if (kfs_read_file(path, &buf, NULL, e) < 0)
		return -1;
	unlink(path);
	int pid = atoi(buf);
	if (pid <= 0)
		return kerr_msg(e, EPROTO, "%s: no process id in \"%s\"", path, buf);
	return pid;
}

/* ---- one run: create, start ---------------------------------------------- */

static int on_exit_child(struct kloop_source *src, const siginfo_t *si, void *data, kerr *e);
static int on_drain_timeout(struct kloop_source *src, uint64_t exp, void *data, kerr *e);

/* The runtime's container of a failed launch goes. */
static void undo_launch(struct ksup *s)
{
	kerr ig;
	if (s->child_src) {
		kloop_child_signal(s->child_src, SIGKILL, &ig);
		kloop_remove(s->child_src);
		s->child_src = NULL;
	}
	runtime(s, -1, -1, -1, &ig, "delete", "--force", s->c->id, NULL);
	kloop_remove(s->out_src);
	kloop_remove(s->err_src);
	s->out_src = s->err_src = NULL;
	close_fd(&s->out_fd);
	close_fd(&s->err_fd);
	close_fd(&s->in_fd);
}

/* PID is the container X's supervisor's child (it is a subreaper: X's
 * init is reparented to it), HOLDER alive: the pid X's status.json names
 * is X's init, not a process that got the number after X or the host
 * went away. */
static bool init_of(pid_t pid, pid_t holder)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	_cleanup_free_ char *buf = NULL;
	kerr ig = { 0 };
	if (pid <= 0 || holder <= 0 || kill(holder, 0) < 0 || kfs_read_file(path, &buf, NULL, &ig) < 0)
		return false;
	const char *pp = strstr(buf, "\nPPid:");
	return pp && atoi(pp + 6) == holder;
}

/* supervise.json's joins: config.json's /proc/PID/ns paths pointed at the
 * init X runs now (a restart of ours comes after X may have restarted
 * too); X not running is this launch's error, as Docker's. */
static int joins_refresh(struct ksup *s, kerr *e)
{
	const struct ksup_config *c = s->c;
	if (!c->n_joins)
		return 0;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", c->bundle);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (kfs_read_file(path, &buf, &len, e) < 0)
		return -1;
	_cleanup_json_ json_object *spec = kj_parse(path, buf, len, e);
	if (!spec)
		return -1;
	json_object *nss = kj_get(kj_get(spec, "linux"), "namespaces");
	bool changed = false;
	for (size_t i = 0; i < c->n_joins; i++) {
		const struct ksup_join *x = &c->joins[i];
		const char *what = x->name && *x->name ? x->name : x->dir;
		for (size_t k = 0; json_object_is_type(nss, json_type_array) && k < json_object_array_length(nss); k++) {
			json_object *ns = json_object_array_get_idx(nss, k);
			const char *old = kj_get_str(ns, "path");
			if (strcmp(kj_get_str(ns, "type") ?: "", x->type) || !old || strncmp(old, "/proc/", 6))
				continue;
			/* X's status.json as its supervisor wrote it (not
			 * ksup_status_read: that keeps what a new supervisor of
			 * our own takes over) */
			char sp[PATH_MAX];
			snprintf(sp, sizeof(sp), "%s/status.json", x->dir);
			_cleanup_free_ char *sbuf = NULL;
			size_t slen;
			kerr ig = { 0 };
			_cleanup_json_ json_object *st =
				kfs_read_file(sp, &sbuf, &slen, &ig) == 0 ? kj_parse(sp, sbuf, slen, &ig) : NULL;
			pid_t pid = (pid_t)kj_get_i64(st, "pid", 0);
			if (strcmp(kj_get_str(st, "state") ?: "", "running") ||
			    !init_of(pid, (pid_t)kj_get_i64(st, "supervisor_pid", 0)))
				return kerr_msg(e, EINVAL, "cannot join %s namespace of a non running container: %s",
						x->type, what);
			char now[64];
			snprintf(now, sizeof(now), "/proc/%d/ns/%s", (int)pid,
				 !strcmp(x->type, "network") ? "net" : x->type);
			if (strcmp(old, now)) {
				json_object_object_add(ns, "path", json_object_new_string(now));
				changed = true;
			}
		}
	}
	if (!changed)
		return 0;
	const char *txt = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PRETTY);
	return kfs_write_file(path, txt, strlen(txt), 0600, 1, e);
}

static int launch(struct ksup *s, kerr *e)
{
	/* a new run is not paused (`kapsel pause`'s mark of the last one) */
	char mark[PATH_MAX];
	snprintf(mark, sizeof(mark), "%s/paused", s->dir);
	unlink(mark);
	const struct ksup_config *c = s->c;
	_cleanup_close_ int cin = -1, cout = -1, cerr = -1, console = -1;
	char sock[PATH_MAX] = "";
	int p[2];

	klogs_new_run(s->logs);
	if (c->tty) {
		/* bound relative to DIR (our working directory), named to the
		 * runtime through /proc: both fit in sun_path whatever DIR is */
		struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "console.sock" };
		unlink(sa.sun_path);
		snprintf(sock, sizeof(sock), "/proc/%d/cwd/console.sock", (int)getpid());
		console = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (console < 0 || bind(console, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(console, 1) < 0)
			return kerr_errno(e, "console socket %s/console.sock", s->dir);
	} else {
		if (pipe2(p, O_CLOEXEC) < 0)
			return kerr_errno(e, "pipe");
		s->out_fd = p[0], cout = p[1];
		if (pipe2(p, O_CLOEXEC) < 0)
			return kerr_errno(e, "pipe");
		s->err_fd = p[0], cerr = p[1];
		if (c->stdin_open) {
			if (pipe2(p, O_CLOEXEC) < 0)
				return kerr_errno(e, "pipe");
			cin = p[0], s->in_fd = p[1];
		}
	}
	char pidfile[PATH_MAX];
	snprintf(pidfile, sizeof(pidfile), "%s/init.pid", s->dir);
	int r = joins_refresh(s, e);
	if (r < 0)
		goto fail_nodelete;
	if (c->tty)
		r = runtime(s, -1, -1, -1, e, "create", "--bundle", c->bundle, "--pid-file", pidfile,
			    "--console-socket", sock, c->id, NULL);
	else
		r = runtime(s, cin, cout, cerr, e, "create", "--bundle", c->bundle, "--pid-file", pidfile, c->id, NULL);
	if (r < 0)
		goto fail_nodelete;
	if (c->tty) {
		r = recv_console(s, console, e);
		unlink("console.sock");
		if (r < 0)
			goto fail;
	}
	int pid = read_pid(s, e);
	if (pid < 0)
		goto fail;
	s->child_src = kloop_add_child(s->loop, pid, 0, on_exit_child, s, e);
	if (!s->child_src)
		goto fail;
	if (s->out_fd >= 0 && !(s->out_src = kloop_add_io(s->loop, s->out_fd, EPOLLIN, on_output, s, e)))
		goto fail;
	if (s->err_fd >= 0 && !(s->err_src = kloop_add_io(s->loop, s->err_fd, EPOLLIN, on_output, s, e)))
		goto fail;
	if (s->in_fd >= 0)
		fcntl(s->in_fd, F_SETFL, O_NONBLOCK);
	if (runtime(s, -1, -1, -1, e, "start", c->id, NULL) < 0)
		goto fail;
	s->st.state = KSUP_RUNNING;
	s->st.pid = pid;
	s->st.exit_code = 0;
	s->st.oom_killed = false;
	s->st.error[0] = 0;
	s->st.hint[0] = 0;
	s->tail_out.len = s->tail_err.len = 0;
	ksup_oom_watch(s, pid);
	s->st.finished_at[0] = 0;
	now(s->st.started_at);
	s->started = kloop_now();
	s->phase = KSUP_PHASE_RUNNING;
	if (ksup_health_start(s, e) < 0)
		goto fail;
	ksup_save(s);
	ksup_event(s, "start", NULL, NULL);
	return 0;
fail:
	undo_launch(s);
	return -1;
fail_nodelete:
	if (sock[0])
		unlink("console.sock");
	close_fd(&s->out_fd);
	close_fd(&s->err_fd);
	close_fd(&s->in_fd);
	return -1;
}

/* ---- the end of a run, restarts, the end ----------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void auto_remove(struct ksup *s)
{
	char rootfs[PATH_MAX];
	snprintf(rootfs, sizeof(rootfs), "%s/bundle/rootfs", s->dir);
	if (umount2(rootfs, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		fprintf(stderr, "kapsel-supervise: umount %s: %s\n", rootfs, strerror(errno));
	/* an --ipc shareable container's /dev/shm */
	snprintf(rootfs, sizeof(rootfs), "%s/shm", s->dir);
	if (umount2(rootfs, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		fprintf(stderr, "kapsel-supervise: umount %s: %s\n", rootfs, strerror(errno));
	if (nftw(s->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		fprintf(stderr, "kapsel-supervise: remove %s: %s\n", s->dir, strerror(errno));
}

static void done(struct ksup *s)
{
	s->phase = KSUP_PHASE_DONE;
	if (s->st.state != KSUP_DEAD)
		s->st.state = KSUP_EXITED;
	if (!s->st.finished_at[0])
		now(s->st.finished_at);
	ksup_save(s);
	if (s->stopping && !s->aborted)
		ksup_event(s, "stop", NULL, NULL);
	ksup_ctl_done(s);
	kloop_exit(s->loop, 0);
}

static int on_restart(struct kloop_source *src, uint64_t exp, void *data, kerr *e)
{
	(void)src, (void)exp, (void)e;
	struct ksup *s = data;
	s->st.restart_count++;
	s->restarts++;
	ksup_event(s, "restart", NULL, NULL);
	kerr le;
	if (launch(s, &le) < 0) {
		s->st.state = KSUP_DEAD;
		set_error(s, "restart: %s", le.msg);
		done(s);
	}
	return 0;
}

static void finish_run(struct ksup *s)
{
	ksup_health_stop(s);
	kloop_remove(s->drain_timer);
	s->drain_timer = NULL;
	kloop_remove(s->kill_timer);
	s->kill_timer = NULL;
	kloop_remove(s->child_src);
	s->child_src = NULL;
	close_fd(&s->in_fd);
	ksup_attach_end(s);
	/* the cgroup goes with the runtime's delete: its OOM count first */
	ksup_oom_check(s);
	ksup_oom_stop(s);
	ksup_hint_compute(s);
	if (s->st.hint[0])
		fprintf(stderr, "kapsel-supervise: %s exited with %d; %s\n", s->c->id, s->st.exit_code, s->st.hint);
	kerr e;
	if (runtime(s, -1, -1, -1, &e, "delete", "--force", s->c->id, NULL) < 0)
		set_error(s, "%s", e.msg);
	/* "die" once status.json says what follows (as Docker's, after the state) */
	if (s->aborted) {
		s->st.state = KSUP_DEAD;
		set_error(s, "the start was abandoned: the process that started the supervisor went away");
		ksup_save(s);
		ksup_event_int(s, "die", "exitCode", s->st.exit_code);
		done(s);
		return;
	}
	uint64_t ran = kloop_now() - s->started;
	int again = s->force_restart && !s->stopping;
	s->force_restart = 0;
	if (!again && !ksup_should_restart(s->c, s->st.exit_code, s->restarts, s->stopping)) {
		s->st.state = KSUP_EXITED;
		ksup_save(s);
		ksup_event_int(s, "die", "exitCode", s->st.exit_code);
		done(s);
		return;
	}
	s->backoff = ksup_next_backoff(s->backoff, ran);
	s->st.state = KSUP_RESTARTING;
	s->phase = KSUP_PHASE_RESTARTING;
	ksup_save(s);
	ksup_event_int(s, "die", "exitCode", s->st.exit_code);
	if (!s->restart_timer) {
		s->restart_timer = kloop_add_timer(s->loop, 0, s->backoff, 0, on_restart, s, &e);
		if (!s->restart_timer) {
			s->st.state = KSUP_DEAD;
			set_error(s, "restart: %s", e.msg);
			done(s);
		}
	} else {
		kloop_timer_set(s->restart_timer, 0, s->backoff, 0);
	}
}

static int on_drain_timeout(struct kloop_source *src, uint64_t exp, void *data, kerr *e)
{
	(void)src, (void)exp, (void)e;
	struct ksup *s = data;
	/* something outside the container holds its stdio open: log what
	 * came, stop reading */
	if (s->out_src)
		stream_closed(s, KLOGS_STDOUT);
	if (s->err_src && s->phase == KSUP_PHASE_DRAINING)
		stream_closed(s, KLOGS_STDERR);
	return 0;
}

static int on_exit_child(struct kloop_source *src, const siginfo_t *si, void *data, kerr *e)
{
	(void)src;
	struct ksup *s = data;
	ksup_health_stop(s);
	s->st.exit_code = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
	now(s->st.finished_at);
	s->phase = KSUP_PHASE_DRAINING;
	feed_held(s, 1);
	if (s->logs_paused)
		pause_output(s, 0); /* drained whatever the log does: what does not fit is dropped */
	if (!s->out_src && !s->err_src) {
		finish_run(s);
		return 0;
	}
	s->drain_timer = kloop_add_timer(s->loop, 0, 2 * KLOOP_NSEC_PER_SEC, 0, on_drain_timeout, s, e);
	return s->drain_timer ? 0 : -1;
}

/* ---- stop and kill --------------------------------------------------------- */

static int on_kill_timer(struct kloop_source *src, uint64_t exp, void *data, kerr *e)
{
	(void)src, (void)exp, (void)e;
	struct ksup *s = data;
	kerr ig;
	if (s->child_src && kloop_child_signal(s->child_src, SIGKILL, &ig) == 0)
		ksup_event_int(s, "kill", "signal", SIGKILL);
	return 0;
}

int ksup_signal(struct ksup *s, int sig, kerr *e)
{
	if (s->phase != KSUP_PHASE_RUNNING || !s->child_src)
		return kerr_msg(e, ESRCH, "container %s is not running", s->c->id);
	if (kloop_child_signal(s->child_src, sig, e) < 0)
		return -1;
	ksup_event_int(s, "kill", "signal", sig);
	return 0;
}

static void terminate(struct ksup *s, int64_t timeout);

void ksup_stop(struct ksup *s, int64_t timeout)
{
	s->stopping = 1;
	if (s->phase == KSUP_PHASE_RESTARTING) {
		kloop_timer_stop(s->restart_timer);
		done(s);
		return;
	}
	terminate(s, timeout);
}

void ksup_restart_now(struct ksup *s)
{
	s->force_restart = 1;
	terminate(s, s->c->stop_timeout);
}

/* The stop signal, SIGKILL after TIMEOUT seconds. */
static void terminate(struct ksup *s, int64_t timeout)
{
	if (s->phase != KSUP_PHASE_RUNNING)
		return; /* it is ending already */
	kerr ig;
	if (timeout > 0 && kloop_child_signal(s->child_src, s->c->stop_signal, &ig) == 0)
		ksup_event_int(s, "kill", "signal", s->c->stop_signal);
	if (!s->kill_timer)
		s->kill_timer =
			kloop_add_timer(s->loop, 0, (uint64_t)timeout * KLOOP_NSEC_PER_SEC, 0, on_kill_timer, s, &ig);
	else
		kloop_timer_set(s->kill_timer, 0, (uint64_t)timeout * KLOOP_NSEC_PER_SEC, 0);
}

/* As a subreaper we inherit what others leave: a health probe's process
 * whose `exec` was killed, a runtime's helpers.  Reap every child but the
 * ones a pidfd source waits for (a zombie would keep the container's cgroup
 * busy and its pids counted). */
static void reap_strays(struct ksup *s)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)gettid());
	_cleanup_free_ char *buf = NULL;
	kerr ig;
	if (kfs_read_file(path, &buf, NULL, &ig) < 0)
		return;
	for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n")) {
		pid_t pid = atoi(tok);
		if (pid <= 0 || (s->child_src && pid == s->st.pid) || pid == s->health.pid ||
		    pid == klogs_helper_pid(s->logs))
			continue;
		waitpid(pid, NULL, WNOHANG);
	}
}

static int on_signal(struct kloop_source *src, const struct signalfd_siginfo *si, void *data, kerr *e)
{
	(void)src, (void)e;
	struct ksup *s = data;
	if (si->ssi_signo == SIGTERM || si->ssi_signo == SIGINT)
		ksup_stop(s, s->c->stop_timeout);
	else if (si->ssi_signo == SIGCHLD)
		reap_strays(s);
	return 0;
}

/* ---- the whole life --------------------------------------------------------- */

/* After the answers: a `kapsel start` may have a new supervisor writing
 * status.json already, which is then left alone */
static void save_if_ours(struct ksup *s)
{
	struct ksup_status cur = { 0 };
	kerr ig;
	if (ksup_status_read(s->dir, &cur, &ig) == 1 && cur.supervisor_pid == s->st.supervisor_pid)
		ksup_save(s);
}

static void handshake(struct ksup *s, const char *msg)
{
	if (s->hs_fd < 0)
		return;
	size_t n = strlen(msg);
	ssize_t w = write(s->hs_fd, msg, n);
	close_fd(&s->hs_fd);
	if (w != (ssize_t)n && s->phase == KSUP_PHASE_RUNNING) {
		/* nobody is waiting for this start any more: undo it */
		s->aborted = 1;
		s->stopping = 1;
		kerr ig;
		kloop_child_signal(s->child_src, SIGKILL, &ig);
	}
}

int ksup_run(struct ksup_config *c, const char *dir, int handshake_fd, kerr *e)
{
	struct ksup s = { .c = c,
			  .dir = dir,
			  .hs_fd = handshake_fd,
			  .out_fd = -1,
			  .err_fd = -1,
			  .in_fd = -1,
			  .ctl_fd = -1,
			  .oom_fd = -1 };
	int r = -1;
	snprintf(s.runtime_log, sizeof(s.runtime_log), "%s/runtime.log", dir);
	signal(SIGPIPE, SIG_IGN);
	if (chdir(dir) < 0) {
		kerr_errno(e, "supervise %s: %s", c->id, dir);
		close_fd(&s.hs_fd);
		return -1;
	}
	int had = ksup_status_read(dir, &s.st, e);
	if (had < 0)
		had = 0;
	s.st.supervisor_pid = getpid();
	s.st.state = KSUP_CREATED;
	ksup_journal_open(&s);
	s.iobuf = malloc(KSUP_IOBUF);
	if (!s.iobuf) {
		kerr_set(e, ENOMEM, "supervise %s", c->id);
		goto out;
	}
	if (kloop_new(&s.loop, e) < 0)
		goto out;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (!kloop_add_signals(s.loop, &set, on_signal, &s, e))
		goto out;
	if (ksup_reserve_make(dir) < 0)
		fprintf(stderr, "kapsel-supervise: %s: no room for status.reserve\n", c->id);
	if (klogs_open(&s.logs, &c->log, dir, c->id, e) < 0 || klogs_attach(s.logs, s.loop, on_logs, &s, e) < 0) {
		char msg[KERR_MSG_MAX + 8];
		snprintf(msg, sizeof(msg), "error: %s\n", e->msg);
		handshake(&s, msg);
		goto out;
	}
	klogs_set_room(s.logs, logs_room, &s);
	if (ksup_ctl_open(&s, e) < 0)
		goto out;
	if (launch(&s, e) < 0) {
		/* undone first: the starter returns on our word */
		ksup_ctl_close(&s);
		if (had) {
			s.st.state = KSUP_EXITED;
			set_error(&s, "%s", e->msg);
			ksup_save(&s);
		} else {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/status.json", dir);
			unlink(path);
		}
		char msg[KERR_MSG_MAX + 8];
		snprintf(msg, sizeof(msg), "error: %s\n", e->msg);
		handshake(&s, msg);
		goto out;
	}
	handshake(&s, "ok\n");
	r = kloop_run(s.loop, e);
	if (r < 0) {
		/* the loop itself failed: say so where ps reads it */
		s.st.state = KSUP_DEAD;
		set_error(&s, "supervisor: %s", e->msg);
		if (s.child_src) {
			kerr ig;
			kloop_child_signal(s.child_src, SIGKILL, &ig);
			runtime(&s, -1, -1, -1, &ig, "delete", "--force", c->id, NULL);
		}
		ksup_save(&s);
	}
	ksup_ctl_close(&s);
	if (klogs_drain(s.logs) && !c->auto_remove) /* what a remote log still held, after stop/wait got their answer */
		save_if_ours(&s);
	if (r >= 0 && c->auto_remove) {
		ksup_event(&s, "destroy", NULL, NULL);
		klogs_close(steal_ptr(s.logs));
		if (chdir("/") == 0)
			auto_remove(&s);
	}
out:
	ksup_ctl_close(&s);
	close_fd(&s.out_fd);
	close_fd(&s.err_fd);
	close_fd(&s.in_fd);
	close_fd(&s.hs_fd);
	ksup_oom_stop(&s);
	klogs_close(s.logs); /* before the loop its sources are on */
	kloop_free(s.loop);
	ksup_journal_close(&s);
	free(s.iobuf);
	if (r < 0)
		kerr_wrap(e, "supervise %s", c->id);
	return r < 0 ? -1 : 0;
}
