/* kapsel rm [-f] [-v] CONTAINER...: remove containers: the overlay
 * unmounted, the network namespace released, the directory gone; with -v
 * its anonymous volumes too. */
#include "kapsel.h"

struct rm_args {
	int force, volumes;
};

static const struct cli_option rm_options[] = {
	CLI_OPT_FLAG('f', "force", struct rm_args, force, "kill a running container first"),
	CLI_OPT_FLAG('v', "volumes", struct rm_args, volumes, "remove its anonymous volumes too"),
	CLI_OPT_END,
};

static int rm_one(const struct cli_call *c, struct keng *g, const char *id, kerr *e)
{
	const struct rm_args *a = c->opts;
	return keng_remove(g, id, a->force, a->volumes, e);
}

static int rm_run(const struct cli_call *c)
{
	return kapsel_each_container(c, rm_one, true);
}

const struct cli_command cmd_rm = {
	.name = "rm",
	.run = rm_run,
	.min_args = 1,
	.max_args = -1,
	.args = "CONTAINER...",
	.summary = "remove containers",
	CLI_CMD_OPTIONS(struct rm_args, rm_options),
};
