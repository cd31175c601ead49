/* Running containers: the runtime for create/start/kill/delete, the
 * foreground holder of `kapsel run`, kapsel-supervise for detached ones,
 * and its control socket (SUPERVISE_CONTRACT.md, docs/supervise.md). */
#include "internal.h"

#include "cgroup/cgroup.h"
#include "cgroup/stats.h"
#include "image/store.h"
#include "oci/state.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/hints.h"
#include "common/json.h"
#include "common/loop.h"
#include "common/signals.h"
#include "common/str.h"
#include "common/strv.h"
#include "common/time.h"
#include "linux/terminal.h"
#include "network.h"
#include "rootfs.h"
#include "volume.h"
#include "common/strv.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* fork + exec ARGV with stdin from STDIN_FD (-1: /dev/null) and, when
 * OUT_FD >= 0, stdout and stderr to it (stderr to ERR_FD when that is
 * >= 0); signals unblocked in the child. */
pid_t keng_spawn_err(char *const *argv, int stdin_fd, int out_fd, int err_fd, kerr *e)
{
	pid_t pid = fork();
	if (pid < 0) {
		kerr_errno(e, "fork %s", argv[0]);
		return -1;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int in = stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY);
		if (in < 0 || dup2(in, 0) < 0)
			_exit(127);
		if (out_fd >= 0 && (dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0))
			_exit(127);
		if (err_fd >= 0 && dup2(err_fd, 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		fprintf(stderr, "kapsel: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

pid_t keng_spawn(char *const *argv, int stdin_fd, int out_fd, kerr *e)
{
	return keng_spawn_err(argv, stdin_fd, out_fd, -1, e);
}

int keng_reap(pid_t pid, kerr *e)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return kerr_errno(e, "wait for %d", (int)pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int keng_runtime(const struct keng *g, const char *const *args, bool quiet, kerr *e)
{
	const char *argv[16] = { g->runtime, "--root", g->runtime_root };
	size_t n = 3;
	for (; *args && n < ARRAY_SIZE(argv) - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	_cleanup_close_ int out = -1;
	if (quiet && (out = memfd_create("runtime-out", MFD_CLOEXEC)) < 0)
		return kerr_errno(e, "memfd");
	pid_t pid = keng_spawn((char *const *)argv, -1, out >= 0 ? dup(out) : -1, e);
	if (pid < 0)
		return -1;
	int rc = keng_reap(pid, e);
	if (rc > 0 && quiet) {
		char buf[1024] = { 0 };
		ssize_t r = pread(out, buf, sizeof(buf) - 1, 0);
		if (r > 0) {
			buf[r] = 0;
			for (char *nl; (nl = strrchr(buf, '\n')) && nl[1] == 0;)
				*nl = 0;
			kerr_msg(e, EIO, "%s", buf);
		} else
			kerr_msg(e, EIO, "%s %s exited with %d", g->runtime, argv[3], rc);
	}
	return rc;
}

int keng_top(const struct keng *g, const char *id, char *const *ps_args, kerr *e)
{
	struct keng_state st;
	if (keng_state(g, id, &st, e) < 0)
		return -1;
	if (strcmp(st.status, "running") && strcmp(st.status, "paused"))
		return kerr_msg(e, EINVAL, "container %.12s is not running (%s)", id, st.status);
	size_t n = kstrv_len(ps_args);
	_cleanup_free_ const char **argv = calloc(n + 8, sizeof(char *));
	if (!argv)
		return kerr_errno(e, "top");
	size_t k = 0;
	argv[k++] = g->runtime;
	argv[k++] = "--root";
	argv[k++] = g->runtime_root;
	argv[k++] = "ps";
	argv[k++] = id;
	if (n)
		argv[k++] = "--";
	for (size_t i = 0; i < n; i++)
		argv[k++] = ps_args[i];
	pid_t pid = keng_spawn((char *const *)argv, -1, -1, e);
	if (pid < 0)
		return -1;
	int rc = keng_reap(pid, e);
	return rc < 0 ? -1 : rc ? kerr_msg(e, EIO, "top %.12s: %s ps exited with %d", id, g->runtime, rc) : 0;
}

/* ---- the supervisor's control socket ---- */

int keng_ctl_call(const struct keng *g, const char *id, json_object *req, json_object **reply, kerr *e)
{
	_cleanup_free_ char *path = keng_path(g, id, "ctl.sock"), *dir = keng_path(g, id, NULL);
	if (!path || !dir)
		return kerr_errno(e, "ctl.sock");
	/* through the directory's fd: ROOT may be longer than sun_path */
	_cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return kerr_errno(e, "open %s", dir);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/ctl.sock", dfd);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return kerr_errno(e, "connect %s", path);
	const char *s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	_cleanup_free_ char *line = kstr_printf("%s\n", s);
	/* MSG_NOSIGNAL: a supervisor exiting as we connect is an error here
	 * (the callers fall back to status.json), not SIGPIPE */
	if (!line || send(fd, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line))
		return kerr_errno(e, "write %s", path);
	char buf[4096];
	size_t n = 0;
	while (n < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n))
			break;
	}
	buf[n] = 0;
	json_object *o = kj_parse(path, buf, n, e);
	if (!o)
		return -1;
	if (!kj_get_bool(o, "ok")) {
		kerr_msg(e, EIO, "%s", kj_get_str(o, "error") ?: "the supervisor refused");
		json_object_put(o);
		return -1;
	}
	if (reply)
		*reply = o;
	else
		json_object_put(o);
	return 0;
}

/* The supervisor's socket is there and its process alive. */
bool keng_supervised(const struct keng *g, const char *id, const struct keng_state *st)
{
	_cleanup_free_ char *path = keng_path(g, id, "ctl.sock");
	struct stat sb;
	return path && st->holder > 0 && (kill(st->holder, 0) == 0 || errno == EPERM) && stat(path, &sb) == 0 &&
	       S_ISSOCK(sb.st_mode);
}

/* ---- foreground ---- */

struct fg {
	struct kloop_source *child;
	int status;
	bool done;
	/* with a terminal: the pty master the runtime sent, relayed to our stdio */
	int master;
	struct kloop_source *listen_src, *create_src, *in_src, *out_src;
	int create_status;
	bool create_done;
	/* without a terminal: the container's stderr through us, for the hint */
	int err_fd;
	struct kloop_source *err_src;
	struct khint_tail tail; /* the last bytes of its stderr (of the terminal) */
	const struct keng *g;   /* for the kill events of the signals passed on */
	const char *id;
};

static int fg_signal(struct kloop_source *s, const struct signalfd_siginfo *si, void *data, kerr *e)
{
	(void)s;
	struct fg *f = data;
	kerr ig = { 0 };
	(void)e;
	if (si->ssi_signo == SIGWINCH) {
		if (f->master >= 0)
			kterm_resize(f->master);
		return 0;
	}
	if (f->child && kloop_child_signal(f->child, (int)si->ssi_signo, &ig) == 0)
		keng_event_int(f->g, f->id, "kill", "signal", (long long)si->ssi_signo);
	return 0;
}

/* The runtime connects to the console socket and sends the master. */
static int fg_accept(struct kloop_source *s, int fd, uint32_t ev, void *data, kerr *e)
{
	(void)ev;
	struct fg *f = data;
	_cleanup_close_ int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : kerr_errno(e, "accept on the console socket");
	if ((f->master = kterm_recv_fd(c, e)) < 0)
		return -1;
	kloop_remove(s);
	f->listen_src = NULL;
	if (f->create_done)
		kloop_exit(kloop_source_loop(s), 0);
	return 0;
}

static int fg_create_exit(struct kloop_source *s, const siginfo_t *si, void *data, kerr *e)
{
	(void)e;
	struct fg *f = data;
	f->create_status = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
	f->create_done = true;
	if (f->master >= 0 || f->create_status != 0)
		kloop_exit(kloop_source_loop(s), 0);
	return 0;
}

/* Copy what is readable on FROM to TO (all of it), the bytes into TAIL
 * too when it is not NULL; 0 at EOF. */
static ssize_t relay_tail(int from, int to, struct khint_tail *tail)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 && (errno == EINTR || errno == EAGAIN) ? 1 : 0;
	if (tail)
		khint_tail_add(tail, buf, (size_t)n);
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;
		off += w;
	}
	return n;
}

ssize_t keng_relay(int from, int to)
{
	return relay_tail(from, to, NULL);
}

static int fg_out(struct kloop_source *s, int fd, uint32_t ev, void *data, kerr *e)
{
	(void)ev;
	(void)e;
	struct fg *f = data;
	if (relay_tail(fd, 1, &f->tail) == 0) {
		kloop_remove(s);
		f->out_src = NULL;
	}
	return 0;
}

static int fg_err(struct kloop_source *s, int fd, uint32_t ev, void *data, kerr *e)
{
	(void)ev;
	(void)e;
	struct fg *f = data;
	if (relay_tail(fd, 2, &f->tail) == 0) {
		kloop_remove(s);
		f->err_src = NULL;
	}
	return 0;
}

static int fg_in(struct kloop_source *s, int fd, uint32_t ev, void *data, kerr *e)
{
	(void)ev;
	(void)e;
	struct fg *f = data;
	if (keng_relay(fd, f->master) == 0) {
		kloop_remove(s);
		f->in_src = NULL;
	}
	return 0;
}

/* Run the runtime's `run --detach` with a console socket and wait for both
 * the master and the runtime's exit.  Returns its status (>= 0) or -1. */
static int run_with_console(struct kloop *l, struct fg *f, const char **argv, size_t argc, bool interactive, kerr *e)
{
	char dir[] = "/tmp/kapsel-console-XXXXXX";
	if (!mkdtemp(dir))
		return kerr_errno(e, "console socket directory");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", dir);
	int rc = -1;
	_cleanup_close_ int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0) {
		kerr_errno(e, "console socket %s", sa.sun_path);
		goto out;
	}
	argv[argc] = "--console-socket";
	argv[argc + 1] = sa.sun_path;
	pid_t rt = keng_spawn((char *const *)argv, interactive ? 0 : -1, -1, e);
	if (rt < 0)
		goto out;
	if (!(f->listen_src = kloop_add_io(l, ls, EPOLLIN, fg_accept, f, e)) ||
	    !(f->create_src = kloop_add_child(l, rt, 0, fg_create_exit, f, e))) {
		kill(rt, SIGKILL);
		keng_reap(rt, e);
		goto out;
	}
	if (kloop_run(l, e) < 0)
		goto out;
	kloop_remove(f->listen_src);
	kloop_remove(f->create_src);
	f->listen_src = f->create_src = NULL;
	if (f->create_status == 0 && f->master < 0)
		kerr_msg(e, EIO, "kapsel-runtime run sent no terminal");
	else
		rc = f->create_status;
out:
	unlink(sa.sun_path);
	rmdir(dir);
	return rc;
}

static int fg_child(struct kloop_source *s, const siginfo_t *si, void *data, kerr *e)
{
	(void)e;
	struct fg *f = data;
	f->status = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
	f->done = true;
	kloop_exit(kloop_source_loop(s), 0);
	return 0;
}

static json_object *status_obj(const char *state, pid_t pid, pid_t holder, int code, const char *started,
			       const char *finished)
{
	json_object *s = json_object_new_object();
	json_object_object_add(s, "state", json_object_new_string(state));
	json_object_object_add(s, "pid", json_object_new_int(pid));
	json_object_object_add(s, "supervisor_pid", json_object_new_int(holder));
	json_object_object_add(s, "exit_code", json_object_new_int(code));
	json_object_object_add(s, "oom_killed", json_object_new_boolean(0));
	json_object_object_add(s, "started_at", started ? json_object_new_string(started) : NULL);
	json_object_object_add(s, "finished_at", finished ? json_object_new_string(finished) : NULL);
	json_object_object_add(s, "restart_count", json_object_new_int(0));
	json_object_object_add(s, "health", NULL);
	json_object_object_add(s, "error", NULL);
	return s;
}

/* Whether the kernel OOM-killed in the container's cgroup: its counter,
 * read here while the cgroup lives (before the delete), from the cgroup
 * the runtime's state names; no `state` process on every run. */
static bool fg_oom(const struct keng *g, const char *id)
{
	struct kstate st = { 0 };
	struct kcg_host h;
	uint64_t n = 0;
	kerr ig = { 0 };
	bool oom = kstate_read(g->runtime_root, id, &st, &ig) == 0 && st.cgroup_path &&
		   kcg_host_detect(&h, &ig) == 0 && kcg_oom_count(&h, st.cgroup_path, &n, &ig) == 0 && n > 0;
	kstate_free(&st);
	return oom;
}

/* The hint for the run's last output (common/hints.h), or NULL. */
static const char *fg_hint(const struct keng *g, const char *id, json_object *rec, struct fg *f, int code)
{
	char tail[KHINT_TAIL];
	size_t n = khint_tail_get(&f->tail, tail);
	if (!n || code == 0)
		return NULL;
	struct khint_ctx c = { .exit_code = code };
	_cleanup_free_ char *cfgp = keng_path(g, id, "bundle/config.json");
	_cleanup_json_ json_object *cfg = NULL;
	kerr ig = { 0 };
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (cfgp && kfs_read_file(cfgp, &buf, &len, &ig) == 0)
		cfg = json_tokener_parse(buf);
	c.uid = (unsigned)kj_get_i64(kj_get(kj_get(cfg, "process"), "user"), "uid", 0);
	c.read_only = kj_get_bool(kj_get(cfg, "root"), "readonly");
	c.network_host = !strcmp(kj_get_str(kj_get(rec, "HostConfig"), "NetworkMode") ?: "", "host");
	return khint(tail, n, &c);
}

/* Read what is left in FD (non-blocking) through to TO. */
static void drain(int fd, int to, struct khint_tail *tail)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return;
	for (int i = 0; i < 1024; i++) {
		errno = 0;
		ssize_t n = relay_tail(fd, to, tail);
		if (n == 0 || (n == 1 && (errno == EAGAIN || errno == EINTR)))
			break;
	}
}

int keng_run_foreground(struct keng *g, const char *id, bool interactive, kerr *e)
{
	_cleanup_free_ char *dir = keng_path(g, id, NULL), *bundle = keng_path(g, id, "bundle"),
			    *pidf = keng_path(g, id, "init.pid");
	_cleanup_json_ json_object *rec = NULL;
	if (!dir || !bundle || !pidf)
		return kerr_errno(e, "run");
	if (keng_record(g, id, &rec, e) < 0)
		return -1;
	bool tty = kj_get_bool(kj_get(rec, "Config"), "Tty");
	if (keng_joins_refresh(g, id, rec, e) < 0 || keng_relock(g, -1, e) < 0)
		return -1;
	_cleanup_(kloop_freep) struct kloop *l = NULL;
	if (kloop_new(&l, e) < 0)
		return -1;
	sigset_t fwd;
	sigemptyset(&fwd);
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(&fwd, sigs[i]);
	struct fg f = { .master = -1, .err_fd = -1, .g = g, .id = id };
	if (!kloop_add_signals(l, &fwd, fg_signal, &f, e))
		return -1;
	/* the container's init is reparented to us when the runtime exits */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return kerr_errno(e, "PR_SET_CHILD_SUBREAPER");
	/* create and start in one runtime process (`run --detach`: it deletes
	 * what it made when the start fails) */
	const char *argv[16] = {
		g->runtime, "--root", g->runtime_root, "run", "--detach", "--bundle", bundle, "--pid-file", pidf
	};
	size_t argc = 9;
	int rc;
	if (tty) {
		argv[argc + 2] = id;
		rc = run_with_console(l, &f, argv, argc, interactive, e);
	} else {
		/* stdout is ours, stderr comes through a pipe: its last bytes
		 * give the hint */
		argv[argc] = id;
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			return kerr_errno(e, "pipe");
		f.err_fd = p[0];
		pid_t rt = keng_spawn_err((char *const *)argv, interactive ? 0 : -1, -1, p[1], e);
		close(p[1]);
		rc = rt < 0 ? -1 : keng_reap(rt, e);
	}
	_cleanup_close_ int master = f.master, errfd = f.err_fd;
	if (rc != 0 && errfd >= 0)
		drain(errfd, 2, NULL); /* the runtime's own message */
	/* the program is not in the container (127) or cannot be executed
	 * (126): Docker's codes, the runtime's message already on stderr */
	if (rc == 126 || rc == 127)
		return rc;
	if (rc != 0)
		return rc < 0 ? -1 : kerr_msg(e, EIO, "kapsel-runtime run failed (exit %d)", rc);
	_cleanup_free_ char *pidtxt = NULL;
	if (kfs_read_file(pidf, &pidtxt, NULL, e) < 0)
		return -1;
	pid_t pid = (pid_t)atoi(pidtxt);
	char now[KTIME_BUFSZ];
	ktime_now(now, sizeof(now), KTIME_NANO_TRIM);
	_cleanup_json_ json_object *st = status_obj("running", pid, getpid(), 0, now, NULL);
	kerr ig = { 0 };
	const char *del[] = { "delete", "--force", id, NULL };
	if (keng_status_write(g, id, st, e) < 0 || !(f.child = kloop_add_child(l, pid, 0, fg_child, &f, e)) ||
	    (errfd >= 0 && !(f.err_src = kloop_add_io(l, errfd, EPOLLIN, fg_err, &f, e)))) {
		keng_runtime(g, del, true, &ig);
		return -1;
	}
	if (master >= 0) {
		if (!(f.out_src = kloop_add_io(l, master, EPOLLIN, fg_out, &f, e)) ||
		    (interactive && !(f.in_src = kloop_add_io(l, 0, EPOLLIN, fg_in, &f, e)))) {
			keng_runtime(g, del, true, &ig);
			return -1;
		}
		kterm_local_raw(master);
	}
	keng_event(g, id, "start", NULL, NULL);
	rc = kloop_run(l, e);
	if (errfd >= 0 && f.err_src)
		drain(errfd, 2, &f.tail);
	if (master >= 0) {
		/* what the container wrote before it exited */
		int fl = fcntl(master, F_GETFL);
		if (fl >= 0 && fcntl(master, F_SETFL, fl | O_NONBLOCK) == 0 && f.out_src)
			while (keng_relay(master, 1) > 1)
				;
		kterm_local_restore();
	}
	if (rc < 0)
		return -1;
	bool oom = fg_oom(g, id);
	if (keng_runtime(g, del, true, &ig) != 0)
		kerr_clear(&ig);
	char end[KTIME_BUFSZ];
	ktime_now(end, sizeof(end), KTIME_NANO_TRIM);
	json_object_put(st);
	st = status_obj("exited", 0, 0, f.status, now, end);
	json_object_object_add(st, "oom_killed", json_object_new_boolean(oom));
	const char *hint = fg_hint(g, id, rec, &f, f.status);
	json_object_object_add(st, "hint", hint ? json_object_new_string(hint) : NULL);
	int w = keng_status_write(g, id, st, e);
	if (oom)
		keng_event(g, id, "oom", NULL, NULL);
	keng_event_int(g, id, "die", "exitCode", f.status);
	return w < 0 ? -1 : f.status;
}

/* ---- detached, under kapsel-supervise ---- */

/* Made by stop (and kill with the stop signal or SIGKILL), removed by
 * start: what unless-stopped asks after a reboot (Docker's
 * HasBeenManuallyStopped). */
#define STOPPED_MARK "stopped-by-user"

static void mark_stopped(const struct keng *g, const char *id)
{
	_cleanup_free_ char *mark = keng_path(g, id, STOPPED_MARK);
	_cleanup_close_ int fd = mark ? open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) : -1;
}

bool keng_stopped_by_user(const struct keng *g, const char *id)
{
	_cleanup_free_ char *mark = keng_path(g, id, STOPPED_MARK);
	return mark && access(mark, F_OK) == 0;
}

int keng_start(struct keng *g, const char *id, kerr *e)
{
	struct keng_state st;
	if (keng_state(g, id, &st, e) < 0)
		return -1;
	if (!strcmp(st.status, "running") || !strcmp(st.status, "restarting"))
		return 0;
	if (!strcmp(st.status, "paused"))
		return kerr_msg(e, EINVAL, "container %.12s is paused: kapsel unpause it", id);
	if (!g->supervise)
		return kerr_msg(e, ENOENT,
				"kapsel-supervise is not installed beside kapsel (or set KAPSEL_SUPERVISE): a "
				"detached container needs it");
	_cleanup_free_ char *dir = keng_path(g, id, NULL), *mark = keng_path(g, id, STOPPED_MARK);
	_cleanup_json_ json_object *rec = NULL;
	if (!dir || !mark)
		return kerr_errno(e, "start");
	/* the record read once for both */
	if (keng_record(g, id, &rec, e) < 0 || keng_mounts_ensure_rec(g, id, rec, e) < 0 ||
	    keng_joins_refresh(g, id, rec, e) < 0)
		return kerr_wrap(e, "start %.12s", id);
	if (unlink(mark) < 0 && errno != ENOENT)
		return kerr_errno(e, "unlink %s", mark);
	if (keng_relock(g, -1, e) < 0)
		return -1;
	const char *argv[] = { g->supervise, "--dir", dir, NULL };
	pid_t pid = keng_spawn((char *const *)argv, -1, -1, e);
	if (pid < 0)
		return -1;
	int rc = keng_reap(pid, e);
	if (rc != 0)
		return rc < 0 ? -1 : kerr_msg(e, EIO, "start %.12s: kapsel-supervise failed (exit %d)", id, rc);
	return 0;
}

/* ---- signals, stop, wait ---- */

int keng_kill(struct keng *g, const char *id, int sig, kerr *e)
{
	struct keng_state st;
	_cleanup_json_ json_object *rec = NULL;
	if (keng_state(g, id, &st, e) < 0 || keng_record(g, id, &rec, e) < 0)
		return -1;
	bool paused = !strcmp(st.status, "paused");
	if (strcmp(st.status, "running") && !paused)
		return kerr_msg(e, EINVAL, "container %.12s is not running (%s)", id, st.status);
	const char *name = ksignal_name(sig);
	if (!name)
		return kerr_msg(e, EINVAL, "signal %d: unknown", sig);
	if (sig == SIGKILL || sig == ksignal_parse(kj_get_str(kj_get(rec, "Config"), "StopSignal") ?: "SIGTERM"))
		mark_stopped(g, id);
	int rc;
	if (keng_supervised(g, id, &st)) {
		_cleanup_json_ json_object *req = json_object_new_object();
		json_object_object_add(req, "op", json_object_new_string("kill"));
		json_object_object_add(req, "signal", json_object_new_string(name + 3));
		rc = keng_ctl_call(g, id, req, NULL, e);
	} else {
		const char *args[] = { "kill", id, name + 3, NULL };
		rc = keng_runtime(g, args, true, e);
		if (rc == 0)
			keng_event_int(g, id, "kill", "signal", sig);
		else if (rc > 0)
			rc = kerr_wrap(e, "kill %.12s", id);
	}
	/* paused: the signal waits in the frozen tasks (a v1 freezer holds even
	 * SIGKILL), the thaw delivers it, as Docker's kill and stop do */
	if (rc == 0 && paused) {
		kerr te = { 0 };
		struct keng_state now;
		/* a cgroup v2 freezer lets SIGKILL through: gone already is fine */
		if (keng_pause(g, id, false, &te) < 0 && keng_state(g, id, &now, e) == 0 && !strcmp(now.status, "paused"))
			return kerr_msg(e, te.errnum, "kill %.12s: thaw: %s", id, te.msg);
	}
	return rc;
}

struct waiter {
	bool timed_out;
};

static int on_timeout(struct kloop_source *s, uint64_t n, void *data, kerr *e)
{
	(void)n;
	(void)e;
	((struct waiter *)data)->timed_out = true;
	kloop_exit(kloop_source_loop(s), 0);
	return 0;
}

/* Wait for PID (any process) to exit, at most TIMEOUT_NS (0: no limit).
 * 1 when it exited, 0 on timeout. */
static int watch(pid_t pid, uint64_t timeout_ns, kerr *e)
{
	if (pid <= 0)
		return 1;
	_cleanup_(kloop_freep) struct kloop *l = NULL;
	if (kloop_new(&l, e) < 0)
		return -1;
	if (!kloop_add_child(l, pid, KLOOP_CHILD_WATCH, kloop_stop_child, NULL, e))
		return e->errnum == ESRCH ? (kerr_clear(e), 1) : -1;
	struct waiter w = { 0 };
	if (timeout_ns && !kloop_add_timer(l, 0, timeout_ns, 0, on_timeout, &w, e))
		return -1;
	if (kloop_run(l, e) < 0)
		return -1;
	return w.timed_out ? 0 : 1;
}

/* After the container's init is gone without a holder to record it. */
static int reap_orphan(struct keng *g, const char *id, const struct keng_state *st, kerr *e)
{
	kerr ig = { 0 };
	const char *del[] = { "delete", "--force", id, NULL };
	keng_runtime(g, del, true, &ig);
	char end[KTIME_BUFSZ];
	ktime_now(end, sizeof(end), KTIME_NANO_TRIM);
	_cleanup_json_ json_object *s = status_obj("exited", 0, 0, 137, st->started_at, end);
	json_object_object_add(s, "error", json_object_new_string("its supervisor was gone: the exit code is unknown"));
	return keng_status_write(g, id, s, e);
}

int keng_stop(struct keng *g, const char *id, int timeout, kerr *e)
{
	struct keng_state st;
	_cleanup_json_ json_object *rec = NULL;
	if (keng_state(g, id, &st, e) < 0 || keng_record(g, id, &rec, e) < 0)
		return -1;
	json_object *cfg = kj_get(rec, "Config");
	if (!strcmp(st.status, "paused")) {
		/* the stop signal first, then the thaw (keng_kill): the frozen
		 * tasks wake to it; the wait below is as for a running one */
		int sig = ksignal_parse(kj_get_str(cfg, "StopSignal") ?: "SIGTERM");
		if (keng_kill(g, id, sig > 0 ? sig : SIGTERM, e) < 0 || keng_state(g, id, &st, e) < 0)
			return -1;
	}
	if (strcmp(st.status, "running"))
		return 0;
	mark_stopped(g, id);
	if (timeout < 0)
		timeout = (int)kj_get_i64(cfg, "StopTimeout", 10);
	if (keng_supervised(g, id, &st)) {
		_cleanup_json_ json_object *req = json_object_new_object();
		json_object_object_add(req, "op", json_object_new_string("stop"));
		json_object_object_add(req, "timeout", json_object_new_int(timeout));
		return keng_ctl_call(g, id, req, NULL, e);
	}
	int sig = ksignal_parse(kj_get_str(cfg, "StopSignal") ?: "SIGTERM");
	if (keng_kill(g, id, sig > 0 ? sig : SIGTERM, e) < 0)
		return -1;
	int r = watch(st.pid, (uint64_t)timeout * KLOOP_NSEC_PER_SEC, e);
	if (r < 0)
		return -1;
	if (r == 0) {
		kerr ig = { 0 };
		keng_kill(g, id, SIGKILL, &ig);
		if (watch(st.pid, 0, e) < 0)
			return -1;
	}
	/* the holder records the exit; without one we do */
	if (st.holder > 0 && (kill(st.holder, 0) == 0 || errno == EPERM))
		r = watch(st.holder, 0, e) < 0 ? -1 : 0;
	else
		r = reap_orphan(g, id, &st, e);
	if (r == 0)
		keng_event(g, id, "stop", NULL, NULL);
	return r;
}

int keng_wait(struct keng *g, const char *id, int *code, kerr *e)
{
	struct keng_state st;
	if (keng_state(g, id, &st, e) < 0)
		return -1;
	if (strcmp(st.status, "running") && strcmp(st.status, "restarting") && strcmp(st.status, "paused")) {
		*code = st.exit_code;
		return 0;
	}
	if (keng_supervised(g, id, &st)) {
		_cleanup_json_ json_object *req = json_object_new_object(), *rep = NULL;
		json_object_object_add(req, "op", json_object_new_string("wait"));
		if (keng_ctl_call(g, id, req, &rep, e) == 0) {
			*code = (int)kj_get_i64(rep, "exit_code", 0);
			return 0;
		}
		/* a supervisor exiting as we asked closes without a reply: its
		 * status.json has the answer once it is gone */
		kerr_clear(e);
	}
	if (watch(st.holder > 0 ? st.holder : st.pid, 0, e) < 0)
		return -1;
	if (keng_state(g, id, &st, e) < 0) {
		/* removed by its holder (--rm) once it exited */
		*code = 0;
		return e->errnum == ENOENT ? (kerr_clear(e), 0) : -1;
	}
	*code = st.exit_code;
	return 0;
}

int keng_remove(struct keng *g, const char *id, bool force, bool volumes, kerr *e)
{
	struct keng_state st;
	if (keng_state(g, id, &st, e) < 0)
		return -1;
	if (!strcmp(st.status, "paused") && force) { /* thawed first: a frozen task takes no signal (v1) */
		kerr ig = { 0 };
		keng_pause(g, id, false, &ig);
		keng_state(g, id, &st, &ig);
	}
	if (!strcmp(st.status, "running") || !strcmp(st.status, "restarting") || !strcmp(st.status, "paused")) {
		if (!force)
			return kerr_msg(e, EBUSY,
					"container %.12s is %s: stop it first (kapsel stop) or remove it with rm -f",
					id, st.status);
		kerr ig = { 0 };
		int code;
		keng_relock(g, -1, &ig);
		if (keng_supervised(g, id, &st)) {
			_cleanup_json_ json_object *req = json_object_new_object();
			json_object_object_add(req, "op", json_object_new_string("stop"));
			json_object_object_add(req, "timeout", json_object_new_int(0));
			keng_ctl_call(g, id, req, NULL, &ig);
		} else if (keng_kill(g, id, SIGKILL, &ig) == 0 || st.pid > 0) {
			if (watch(st.pid, 0, e) < 0)
				return -1;
		}
		/* the holder records the exit (and with --rm removes it) */
		keng_wait(g, id, &code, &ig);
	}
	if (keng_relock(g, KENG_EXCLUSIVE, e) < 0)
		return -1;
	_cleanup_free_ char *dir = keng_path(g, id, NULL), *rootfs = keng_path(g, id, "bundle/rootfs"),
			    *netns = keng_netns_path(g, id);
	if (!dir || !rootfs || !netns)
		return kerr_errno(e, "remove");
	struct stat sb;
	if (stat(dir, &sb) < 0)
		return errno == ENOENT ? 0 : kerr_errno(e, "stat %s", dir);
	kerr ig = { 0 };
	_cleanup_free_ char *name = keng_record_name(g, id);
	/* its anonymous volumes, from the record, before it is gone */
	_cleanup_strv_ char **vols = calloc(1, sizeof(char *));
	_cleanup_json_ json_object *rec = NULL;
	if (!vols)
		return kerr_errno(e, "remove");
	if (keng_record(g, id, &rec, &ig) == 0 && volumes) {
		json_object *ms = kj_get(rec, "Mounts");
		for (size_t i = 0; ms && i < json_object_array_length(ms); i++) {
			json_object *m = json_object_array_get_idx(ms, i);
			if (!strcmp(kj_get_str(m, "Type") ?: "", "volume") && kj_get_str(m, "Name") &&
			    kstrv_add(&vols, kj_get_str(m, "Name")) < 0)
				return kerr_errno(e, "remove");
		}
	}
	kerr_clear(&ig);
	/* the runtime's state, unless its holder deleted it already (a
	 * foreground run --rm: one runtime less on the path) */
	_cleanup_free_ char *rstate = kstr_printf("%s/%s", g->runtime_root, id);
	const char *del[] = { "delete", "--force", id, NULL };
	if (!rstate || access(rstate, F_OK) == 0 || errno != ENOENT)
		keng_runtime(g, del, true, &ig);
	_cleanup_free_ char *shm = keng_path(g, id, "shm");
	if (keng_umount(rootfs, e) < 0 || keng_umount(netns, e) < 0 || (shm && keng_umount(shm, e) < 0))
		return kerr_wrap(e, "remove %.12s", id);
	unlink(netns);
	/* its lease and port rules (CNI DEL; the veth went with the namespace).
	 * A DEL that fails leaves the attachment for the next sweep to try
	 * again, and does not keep the container from going */
	kerr ne = { 0 };
	int nrc = keng_net_detach(g, id, &ne);
	if (keng_rm_tree(dir, e) < 0)
		return kerr_wrap(e, "remove %.12s", id);
	if (name) /* after the record: until then the name is taken */
		keng_names_drop(g, name, id);
	if (rec)
		keng_event_rec(g, rec, id, "destroy", NULL, NULL);
	keng_sweep_netns(g);
	if (keng_volume_remove_anonymous(g, vols, e) < 0)
		return kerr_wrap(e, "remove %.12s", id);
	/* the image is free for rmi again (and any other container gone) */
	struct kstore *s = NULL;
	int rc = kstore_open(g->root, KSTORE_EXCLUSIVE, &s, e) < 0 || keng_release_gone(g, s, e) < 0 ? -1 : 0;
	kstore_close(s);
	if (rc < 0)
		return kerr_wrap(e, "remove %.12s: release its image", id);
	if (nrc < 0)
		return kerr_msg(e, ne.errnum, "remove %.12s: removed, but %s (the next create or rm tries again)", id,
				ne.msg);
	return 0;
}

/* ---- pause ---- */

int keng_pause(struct keng *g, const char *id, bool pause, kerr *e)
{
	struct keng_state st;
	if (keng_state(g, id, &st, e) < 0)
		return -1;
	if (pause && strcmp(st.status, "running"))
		return kerr_msg(e, EINVAL, "container %.12s is not running (%s)", id, st.status);
	if (!pause && strcmp(st.status, "paused"))
		return kerr_msg(e, EINVAL, "container %.12s is not paused (%s)", id, st.status);
	_cleanup_free_ char *mark = keng_path(g, id, KENG_PAUSED_MARK);
	if (!mark)
		return kerr_errno(e, "pause");
	/* the mark before the freeze (the supervisor's health probe skips
	 * while it is there), away after the thaw */
	if (pause) {
		_cleanup_close_ int fd = open(mark, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return kerr_errno(e, "pause: %s", mark);
	}
	const char *args[] = { pause ? "pause" : "resume", id, NULL };
	int rc = keng_runtime(g, args, false, e);
	if (rc != 0) {
		if (pause)
			unlink(mark);
		return rc < 0 ? -1 : kerr_msg(e, EIO, "%s %.12s: kapsel-runtime failed (exit %d)",
					      pause ? "pause" : "unpause", id, rc);
	}
	if (!pause && unlink(mark) < 0 && errno != ENOENT)
		return kerr_errno(e, "unpause: %s", mark);
	keng_event(g, id, pause ? "pause" : "unpause", NULL, NULL);
	return 0;
}
