#include "runtime.h"

#include "common/log.h"
#include "container/container.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

int parse_create_opts(const char *cmd, int argc, char **argv, struct kcreate_opts *o, int *detach);

int cmd_run(struct globals *g, int argc, char **argv)
{
	struct kcreate_opts o = { .root = g->root, .argv = g->argv, .console_fd_out = -1, .policy = g->policy };
	kerr e = { 0 };
	pid_t pid;
	int detach = 0;
	int r = parse_create_opts("run", argc, argv, &o, &detach);
	if (r)
		return r;
	o.keep_parent = !detach;
	if (!detach)
		/* an init forked by an intermediate process is reparented to us */
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigset_t blocked;
	if (o.keep_parent)
		kcontainer_block_signals(&blocked);
	if (kcontainer_create(&o, &pid, &e) < 0)
		return fail(&e);
	if (kcontainer_start(g->root, o.id, &e) < 0) {
		kerr ig;
		kcontainer_delete(g->root, o.id, 1, &ig);
		return fail(&e);
	}
	if (detach)
		return 0;
	int code = kcontainer_wait_forward(pid, o.console_fd_out, &e);
	if (code < 0) {
		kerr ig;
		kcontainer_delete(g->root, o.id, 1, &ig);
		return fail(&e);
	}
	/* killed by the OOM killer? (the cgroup still counts until delete) */
	uint64_t ooms;
	kerr ig;
	if (code == 128 + SIGKILL && kcontainer_oom_kills(g->root, o.id, &ooms, &ig) == 0 && ooms > 0)
		klog_warn("container %s was OOM-killed (its memory limit was reached)", o.id);
	if (kcontainer_delete(g->root, o.id, 1, &e) < 0)
		klog_warn("delete after run: %s", e.msg);
	return code;
}
