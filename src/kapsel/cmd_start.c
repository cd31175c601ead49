/* kapsel start CONTAINER...: start created or exited containers under
 * kapsel-supervise; prints each name as given, as Docker does. */
#include "kapsel.h"

static int start_one(const struct cli_call *c, struct keng *g, const char *id, kerr *e)
{
	(void)c;
	return keng_start(g, id, e);
}

static int start_run(const struct cli_call *c)
{
	return kapsel_each_container(c, start_one, true);
}

const struct cli_command cmd_start = {
	.name = "start",
	.run = start_run,
	.min_args = 1,
	.max_args = -1,
	.args = "CONTAINER...",
	.summary = "start containers (detached, under kapsel-supervise)",
};
