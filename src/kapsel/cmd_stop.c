/* kapsel stop [-t SECONDS] CONTAINER...: the stop signal, then SIGKILL
 * after the timeout (default: the container's --stop-timeout, else 10). */
#include "kapsel.h"

#include <stdio.h>

struct stop_args {
	int timeout;
};

static const struct stop_args stop_defaults = { .timeout = -1 };

static const struct cli_option stop_options[] = {
	CLI_OPT_INT('t', "time", struct stop_args, timeout, "SECONDS", 0, 86400, "seconds before SIGKILL"),
	CLI_OPT_INT(0, "timeout", struct stop_args, timeout, "SECONDS", 0, 86400, "the same as --time"),
	CLI_OPT_END,
};

static int stop_run(const struct cli_call *c)
{
	const struct stop_args *a = c->opts;
	struct keng *g;
	int rc = kapsel_engine(c, KENG_SHARED, &g);
	if (rc)
		return rc;
	for (int i = 0; i < c->argc; i++) {
		char id[65];
		kerr e = { 0 };
		if (kapsel_container(c, g, c->argv[i], id)) {
			rc = CLI_EXIT_FAILURE;
			continue;
		}
		keng_relock(g, -1, &e);
		if (keng_stop(g, id, a->timeout, &e) < 0)
			rc = cli_error(c, CLI_EXIT_FAILURE, "stop %s: %s", c->argv[i], e.msg);
		else
			printf("%s\n", c->argv[i]);
		keng_relock(g, KENG_SHARED, &e);
	}
	keng_close(g);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
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
