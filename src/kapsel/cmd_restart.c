/* kapsel restart [-t SECONDS] CONTAINER...: stop, then start under
 * kapsel-supervise. */
#include "kapsel.h"

struct restart_args {
	int timeout;
};

static const struct restart_args restart_defaults = { .timeout = -1 };

static const struct cli_option restart_options[] = {
	CLI_OPT_INT('t', "time", struct restart_args, timeout, "SECONDS", 0, 86400, "seconds before SIGKILL"),
	CLI_OPT_INT(0, "timeout", struct restart_args, timeout, "SECONDS", 0, 86400, "the same as --time"),
	CLI_OPT_END,
};

static int restart_one(const struct cli_call *c, struct keng *g, const char *id, kerr *e)
{
	const struct restart_args *a = c->opts;
	if (keng_relock(g, -1, e) < 0 || keng_stop(g, id, a->timeout, e) < 0)
		return -1;
	return keng_relock(g, KENG_SHARED, e) < 0 ? -1 : keng_start(g, id, e);
}

static int restart_run(const struct cli_call *c)
{
	return kapsel_each_container(c, restart_one, true);
}

const struct cli_command cmd_restart = {
	.name = "restart",
	.run = restart_run,
	.min_args = 1,
	.max_args = -1,
	.args = "CONTAINER...",
	.summary = "stop and start containers",
	.defaults = &restart_defaults,
	CLI_CMD_OPTIONS(struct restart_args, restart_options),
};
