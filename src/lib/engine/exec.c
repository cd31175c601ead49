/* kapsel exec: another process in a running container, through
 * `kapsel-runtime exec`, which gives it the container's own process
 * settings (capabilities, no_new_privs, seccomp, rlimits, AppArmor, the
 * user unless -u).  A user name is looked up in the container's own
 * /etc/passwd (opened inside its root).  With a terminal the runtime
 * sends the pty's master over a console socket and kapsel relays it. */
#include "internal.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/loop.h"
#include "common/str.h"
#include "common/strv.h"
#include "convert.h"
#include "linux/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

KAPSEL_DEFINE_CLEANUP(char **, kstrv_free)

struct xrun {
	struct kloop_source *child, *listen, *in, *out;
	int master;
	int status;
	bool interactive;
};

static int x_signal(struct kloop_source *s, const struct signalfd_siginfo *si, void *data, kerr *e)
{
	(void)s;
	(void)e;
	struct xrun *x = data;
	kerr ig = { 0 };
	if (si->ssi_signo == SIGWINCH) {
		if (x->master >= 0)
			kterm_resize(x->master);
	} else if (x->child)
		kloop_child_signal(x->child, (int)si->ssi_signo, &ig);
	return 0;
}

static int x_out(struct kloop_source *s, int fd, uint32_t ev, void *data, kerr *e)
{
	(void)ev;
	(void)e;
	struct xrun *x = data;
	if (keng_relay(fd, 1) == 0) {
		kloop_remove(s);
		x->out = NULL;
	}
	return 0;
}

static int x_in(struct kloop_source *s, int fd, uint32_t ev, void *data, kerr *e)
{
	(void)ev;
	(void)e;
	struct xrun *x = data;
	if (keng_relay(fd, x->master) == 0) {
		kloop_remove(s);
		x->in = NULL;
	}
	return 0;
}

static int x_accept(struct kloop_source *s, int fd, uint32_t ev, void *data, kerr *e)
{
	(void)ev;
	struct xrun *x = data;
	_cleanup_close_ int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : kerr_errno(e, "accept on the console socket");
	if ((x->master = kterm_recv_fd(c, e)) < 0)
		return -1;
	kloop_remove(s);
	x->listen = NULL;
	struct kloop *l = kloop_source_loop(s);
	if (!(x->out = kloop_add_io(l, x->master, EPOLLIN, x_out, x, e)) ||
	    (x->interactive && !(x->in = kloop_add_io(l, 0, EPOLLIN, x_in, x, e))))
		return -1;
	kterm_local_raw(x->master);
	kterm_resize(x->master);
	return 0;
}

static int x_exit(struct kloop_source *s, const siginfo_t *si, void *data, kerr *e)
{
	(void)e;
	struct xrun *x = data;
	x->status = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
	x->child = NULL;
	kloop_exit(kloop_source_loop(s), 0);
	return 0;
}

/* Run ARGV (the runtime's exec) to its end, signals passed on, with a
 * console socket at SOCK when it is not NULL. */
static int run_exec(char **argv, const char *sock, bool interactive, kerr *e)
{
	_cleanup_(kloop_freep) struct kloop *l = NULL;
	if (kloop_new(&l, e) < 0)
		return -1;
	struct xrun x = { .master = -1, .interactive = interactive };
	sigset_t fwd;
	sigemptyset(&fwd);
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(&fwd, sigs[i]);
	if (!kloop_add_signals(l, &fwd, x_signal, &x, e))
		return -1;
	_cleanup_close_ int ls = -1;
	if (sock) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0)
			return kerr_errno(e, "console socket %s", sock);
		if (!(x.listen = kloop_add_io(l, ls, EPOLLIN, x_accept, &x, e)))
			return -1;
	}
	pid_t pid = keng_spawn(argv, interactive && !sock ? 0 : -1, -1, e);
	if (pid < 0)
		return -1;
	if (!(x.child = kloop_add_child(l, pid, 0, x_exit, &x, e))) {
		kill(pid, SIGKILL);
		keng_reap(pid, e);
		return -1;
	}
	int rc = kloop_run(l, e);
	if (x.master >= 0) {
		/* what the process wrote before it exited */
		int fl = fcntl(x.master, F_GETFL);
		if (fl >= 0 && fcntl(x.master, F_SETFL, fl | O_NONBLOCK) == 0 && x.out)
			while (keng_relay(x.master, 1) > 1)
				;
		kterm_local_restore();
		close(x.master);
	}
	if (x.child) {
		kill(pid, SIGKILL);
		kerr ig = { 0 };
		keng_reap(pid, &ig);
	}
	return rc < 0 ? -1 : x.status;
}

static int add(char ***v, const char *s, kerr *e)
{
	return kstrv_add(v, s) < 0 ? kerr_errno(e, "exec") : 0;
}

int keng_exec(struct keng *g, const char *id, const struct keng_exec *x, kerr *e)
{
	struct keng_state st;
	if (keng_state(g, id, &st, e) < 0)
		return -1;
	if (!strcmp(st.status, "paused"))
		return kerr_msg(e, EINVAL, "container %s is paused: unpause it first (kapsel unpause)", id);
	if (strcmp(st.status, "running"))
		return kerr_msg(e, EINVAL, "container %s is not running", id);
	if (!x->cmd || !x->cmd[0])
		return kerr_msg(e, EINVAL, "exec: no command");
	_cleanup_free_ char *cfgp = keng_path(g, id, "bundle/config.json"), *rootp = keng_path(g, id, "bundle/rootfs");
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (!cfgp || !rootp)
		return kerr_errno(e, "exec");
	if (kfs_read_file(cfgp, &buf, &len, e) < 0)
		return -1;
	_cleanup_json_ json_object *spec = kj_parse(cfgp, buf, len, e);
	if (!spec)
		return -1;
	bool userns = kj_get(kj_get(spec, "linux"), "uidMappings") != NULL;
	_cleanup_strv_ char **argv = calloc(1, sizeof(char *));
	if (!argv)
		return kerr_errno(e, "exec");
	const char *head[] = { g->runtime, "--root", g->runtime_root, "exec", NULL };
	for (const char *const *h = head; *h; h++)
		if (add(&argv, *h, e) < 0)
			return -1;
	if (x->user) {
		_cleanup_close_ int rootfd = open(rootp, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			return kerr_errno(e, "open %s", rootp);
		struct keng_user u = { 0 };
		if (keng_user_in_root(rootfd, x->user, NULL, &u, e) < 0)
			return kerr_wrap(e, "-u");
		/* a --userns host root container already runs as the host's root
		 * (the policy let it): its exec may too */
		if (u.uid == 0 && !userns && kj_get_i64(kj_get(kj_get(spec, "process"), "user"), "uid", -1) != 0) {
			keng_user_clear(&u);
			return kerr_msg(e, EPERM,
					"-u %s: root runs only in a user namespace, and this container has none "
					"(create it with --user 0)",
					x->user);
		}
		char ug[64];
		snprintf(ug, sizeof(ug), "%u:%u", (unsigned)u.uid, (unsigned)u.gid);
		int r = add(&argv, "--user", e) < 0 || add(&argv, ug, e) < 0 ? -1 : 0;
		for (size_t i = 0; r == 0 && i < u.ngids; i++) {
			snprintf(ug, sizeof(ug), "%u", (unsigned)u.gids[i]);
			r = add(&argv, "--additional-gids", e) < 0 || add(&argv, ug, e) < 0 ? -1 : 0;
		}
		keng_user_clear(&u);
		if (r < 0)
			return -1;
	}
	if (x->workdir) {
		if (keng_workdir_check(x->workdir, e) < 0)
			return kerr_wrap(e, "-w");
		if (add(&argv, "--cwd", e) < 0 || add(&argv, x->workdir, e) < 0)
			return -1;
	}
	for (char **kv = x->env; kv && *kv; kv++) {
		if (!strchr(*kv, '=') || **kv == '=')
			return kerr_msg(e, EINVAL, "-e %s: expected KEY=VALUE", *kv);
		if (add(&argv, "--env", e) < 0 || add(&argv, *kv, e) < 0)
			return -1;
	}
	char dir[] = "/tmp/kapsel-exec-XXXXXX";
	_cleanup_free_ char *sock = NULL;
	if (x->tty && !x->detach) {
		if (!mkdtemp(dir))
			return kerr_errno(e, "console socket directory");
		if (!(sock = kstr_printf("%s/sock", dir))) {
			rmdir(dir);
			return kerr_errno(e, "exec");
		}
		if (add(&argv, "--tty", e) < 0 || add(&argv, "--console-socket", e) < 0 || add(&argv, sock, e) < 0)
			goto fail;
	}
	/* no -t: no terminal, even in a container made with -t (as Docker's) */
	if (!x->tty && add(&argv, "--tty=false", e) < 0)
		goto fail;
	if (x->detach && add(&argv, "--detach", e) < 0)
		goto fail;
	if (add(&argv, id, e) < 0)
		goto fail;
	for (char **c = x->cmd; *c; c++)
		if (add(&argv, *c, e) < 0)
			goto fail;
	/* the container runs on without the store's lock */
	if (keng_relock(g, -1, e) < 0)
		goto fail;
	int rc;
	if (x->detach) {
		_cleanup_close_ int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		pid_t pid = null < 0 ? -1 : keng_spawn(argv, -1, null, e);
		if (null < 0)
			kerr_errno(e, "open /dev/null");
		rc = pid < 0 ? -1 : keng_reap(pid, e);
		if (rc > 0)
			rc = kerr_msg(e, EIO, "kapsel-runtime exec --detach failed (exit %d)", rc);
	} else
		rc = run_exec(argv, sock, x->interactive, e);
	if (sock) {
		unlink(sock);
		rmdir(dir);
	}
	return rc;
fail:
	if (sock) {
		unlink(sock);
		rmdir(dir);
	}
	return -1;
}
