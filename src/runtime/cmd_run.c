/* run [OPTIONS] ID: create + start; without --detach wait for the
 * program, forward signals, delete the container and exit with its
 * status. */
#include "runtime.h"

#include "common/log.h"
#include "container/container.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

static const struct cli_option run_options[] = {
	CLI_OPT_INCLUDE(create_options),
	CLI_OPT_FLAG('d', "detach", struct create_args, detach, "return once the program runs; do not wait for it"),
	CLI_OPT_END,
};

static int run_run(const struct cli_call *c)
{
	const struct globals *g = c->globals;
	struct kcreate_opts o;
	kerr e = { 0 };
	pid_t pid;
	int detach = ((const struct create_args *)c->opts)->detach;
	create_opts_fill(c, &o);
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

const struct cli_command cmd_run = {
	.name = "run",
	.run = run_run,
	.min_args = 1,
	.max_args = 1,
	.args = "ID",
	.summary = "create and start a container, wait for it",
	.description = "Without --detach: waits for the program, forwards signals to it, deletes the container\n"
		       "afterwards and exits with the program's status (128+N when killed by signal N).\n",
	CLI_CMD_OPTIONS(struct create_args, run_options),
	.defaults = &create_defaults,
};
