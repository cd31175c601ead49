/* kapsel top CONTAINER [PS-OPTIONS...]: the processes of a running
 * container, as `docker top` prints them (ps -ef by default). */
#include "kapsel.h"

#include <stdio.h>

static int top_run(const struct cli_call *c)
{
	struct keng *g;
	int rc = kapsel_engine(c, KENG_SHARED, &g);
	if (rc)
		return rc;
	char id[65];
	kerr e = { 0 };
	if (kapsel_container(c, g, c->argv[0], id))
		rc = CLI_EXIT_FAILURE;
	else if (keng_relock(g, -1, &e) < 0 || keng_top(g, id, c->argv + 1, &e) < 0)
		rc = cli_error(c, CLI_EXIT_FAILURE, "%s: %s", c->argv[0], e.msg);
	keng_close(g);
	return rc;
}

const struct cli_command cmd_top = {
	.name = "top",
	.run = top_run,
	.min_args = 1,
	.max_args = -1,
	.args = "CONTAINER [PS-OPTIONS...]",
	.summary = "show the processes of a running container (ps -ef by default)",
	.flags = CLI_CMD_OPTIONS_FIRST,
};
