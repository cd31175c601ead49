/* kapsel kill [-s SIGNAL] CONTAINER...: signal running containers
 * (default SIGKILL, as Docker). */
#include "kapsel.h"

#include "common/signals.h"

#include <stdio.h>

struct kill_args {
	const char *signal;
};

static const struct kill_args kill_defaults = { .signal = "KILL" };

static const struct cli_option kill_options[] = {
	CLI_OPT_STRING('s', "signal", struct kill_args, signal, "SIGNAL", "the signal (default KILL)"),
	CLI_OPT_END,
};

static int kill_run(const struct cli_call *c)
{
	const struct kill_args *a = c->opts;
	int sig = ksignal_parse(a->signal);
	if (sig <= 0)
		return cli_usage_error(c, "--signal %s: unknown signal", a->signal);
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
		if (keng_kill(g, id, sig, &e) < 0)
			rc = cli_error(c, CLI_EXIT_FAILURE, "kill %s: %s", c->argv[i], e.msg);
		else
			printf("%s\n", c->argv[i]);
	}
	keng_close(g);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
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
