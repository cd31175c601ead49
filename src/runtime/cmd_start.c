/* start ID: release the program of a created container. */
#include "runtime.h"

#include "container/container.h"

static int start_run(const struct cli_call *c)
{
	const struct globals *g = c->globals;
	kerr e = { 0 };
	if (kcontainer_start(g->root, c->argv[0], &e) < 0)
		return fail(&e);
	return 0;
}

const struct cli_command cmd_start = {
	.name = "start",
	.run = start_run,
	.min_args = 1,
	.max_args = 1,
	.args = "ID",
	.summary = "start the program of a created container",
	.description = "Releases the program of a created container and runs the poststart hooks.\n",
};
