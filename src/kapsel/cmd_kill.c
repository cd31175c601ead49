/* kapsel kill [-s SIGNAL] CONTAINER...: signal running containers
 * (default SIGKILL, as Docker). */
#include "kapsel.h"

#include "common/signals.h"

struct kill_args {
	const char *signal;
	int signo;
};

static const struct kill_args kill_defaults = { .signal = "KILL" };

static const struct cli_option kill_options[] = {
	CLI_OPT_STRING('s', "signal", struct kill_args, signal, "SIGNAL", "the signal (default KILL)"),
	CLI_OPT_END,
};

static int kill_one(const struct cli_call *c, struct keng *g, const char *id, kerr *e)
{
	const struct kill_args *a = c->opts;
	return keng_kill(g, id, a->signo, e);
}

static int kill_run(const struct cli_call *c)
{
	struct kill_args *a = c->opts;
	if ((a->signo = ksignal_parse(a->signal)) <= 0)
		return cli_usage_error(c, "--signal %s: unknown signal", a->signal);
	return kapsel_each_container(c, kill_one, true);
}

const struct cli_command cmd_kill = {
	.name = "kill",
	.run = kill_run,
	.min_args = 1,
	.max_args = -1,
	.args = "CONTAINER...",
	.summary = "send a signal to running containers",
	.defaults = &kill_defaults,
	CLI_CMD_OPTIONS(struct kill_args, kill_options),
};
