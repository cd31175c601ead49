/* kapsel start CONTAINER...: start created or exited containers under
 * kapsel-supervise; prints each name as given, as Docker does. */
#include "kapsel.h"

#include <stdio.h>

static int start_run(const struct cli_call *c)
{
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
		if (keng_start(g, id, &e) < 0) {
			rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
			continue;
		}
		printf("%s\n", c->argv[i]);
		keng_relock(g, KENG_SHARED, &e);
	}
	keng_close(g);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_start = {
	.name = "start",
	.run = start_run,
	.min_args = 1,
	.max_args = -1,
	.args = "CONTAINER...",
	.summary = "start containers (detached, under kapsel-supervise)",
};
