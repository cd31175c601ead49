/* kapsel pause|unpause CONTAINER...: freeze and thaw every process of
 * running containers (engine.h keng_pause), as Docker's. */
#include "kapsel.h"

#include <stdio.h>

static int each(const struct cli_call *c, bool pause)
{
	struct keng *g;
	int rc = kapsel_engine(c, KENG_EXCLUSIVE, &g);
	if (rc)
		return rc;
	for (int i = 0; i < c->argc; i++) {
		char id[65];
		kerr e = { 0 };
		int r = kapsel_container(c, g, c->argv[i], id);
		if (r) {
			rc = r;
			continue;
		}
		if (keng_pause(g, id, pause, &e) < 0) {
			rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
			continue;
		}
		printf("%s\n", c->argv[i]);
	}
	keng_close(g);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

static int pause_run(const struct cli_call *c)
{
	return each(c, true);
}

static int unpause_run(const struct cli_call *c)
{
	return each(c, false);
}

const struct cli_command cmd_pause = {
	.name = "pause",
	.run = pause_run,
	.min_args = 1,
	.max_args = -1,
	.args = "CONTAINER...",
	.summary = "freeze every process of running containers (the cgroup freezer)",
	.description = "A paused container shows as \"Up ... (Paused)\"; its health checks wait; stop, kill\n"
		       "and exec are refused until `kapsel unpause` (rm -f thaws it first).\n",
};

const struct cli_command cmd_unpause = {
	.name = "unpause",
	.run = unpause_run,
	.min_args = 1,
	.max_args = -1,
	.args = "CONTAINER...",
	.summary = "thaw paused containers",
};
