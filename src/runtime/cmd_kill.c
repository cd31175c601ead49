/* kill [--all] ID [SIGNAL]: signal the init, or every process. */
#include "runtime.h"

#include "common/signals.h"
#include "container/container.h"

#include <signal.h>

struct kill_args {
	int all;
};

static const struct cli_option kill_options[] = {
	CLI_OPT_FLAG('a', "all", struct kill_args, all, "signal every process of the container's cgroup (frozen meanwhile)"),
	CLI_OPT_END,
};

static int kill_run(const struct cli_call *c)
{
	const struct globals *g = c->globals;
	const struct kill_args *a = c->opts;
	kerr e = { 0 };
	int sig = SIGTERM;
	if (c->argc == 2) {
		sig = ksignal_parse(c->argv[1]);
		if (sig < 0)
			return cli_usage_error(c, "unknown signal \"%s\"", c->argv[1]);
	}
	if (kcontainer_kill(g->root, c->argv[0], sig, a->all, &e) < 0)
		return fail(&e);
	return 0;
}

const struct cli_command cmd_kill = {
	.name = "kill",
	.run = kill_run,
	.min_args = 1,
	.max_args = 2,
	.args = "ID [SIGNAL]",
	.summary = "send a signal to the container's init (or all processes)",
	.description = "SIGNAL: a name with or without SIG (TERM, SIGKILL), a number, or RTMIN+n; default TERM.\n",
	CLI_CMD_OPTIONS(struct kill_args, kill_options),
};
