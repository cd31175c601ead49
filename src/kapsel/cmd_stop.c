/* kapsel stop [-t SECONDS] CONTAINER...: the stop signal, then SIGKILL
 * after the timeout (default: the container's --stop-timeout, else 10). */
#include "kapsel.h"

struct stop_args {
	int timeout;
};

static const struct stop_args stop_defaults = { .timeout = -1 };

static const struct cli_option stop_options[] = {
	CLI_OPT_INT('t', "time", struct stop_args, timeout, "SECONDS", 0, 86400, "seconds before SIGKILL"),
	CLI_OPT_INT(0, "timeout", struct stop_args, timeout, "SECONDS", 0, 86400, "the same as --time"),
	CLI_OPT_END,
};

static int stop_one(const struct cli_call *c, struct keng *g, const char *id, kerr *e)
{
	const struct stop_args *a = c->opts;
	/* no lock while waiting: the holder records the exit */
	return keng_relock(g, -1, e) < 0 ? -1 : keng_stop(g, id, a->timeout, e);
}

static int stop_run(const struct cli_call *c)
{
	return kapsel_each_container(c, stop_one, true);
}

const struct cli_command cmd_stop = {
	.name = "stop",
	.run = stop_run,
	.min_args = 1,
	.max_args = -1,
	.args = "CONTAINER...",
	.summary = "stop running containers",
	.defaults = &stop_defaults,
	CLI_CMD_OPTIONS(struct stop_args, stop_options),
};
