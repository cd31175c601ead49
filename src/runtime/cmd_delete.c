/* delete [--force] ID: remove a container and everything it holds. */
#include "runtime.h"

#include "container/container.h"

#include <errno.h>

struct delete_args {
	int force;
};

static const struct cli_option delete_options[] = {
	CLI_OPT_FLAG('f', "force", struct delete_args, force, "kill a running container first; a missing one is no error"),
	CLI_OPT_END,
};

static int delete_run(const struct cli_call *c)
{
	const struct globals *g = c->globals;
	const struct delete_args *a = c->opts;
	kerr e = { 0 };
	if (kcontainer_delete(g->root, c->argv[0], a->force, &e) < 0) {
		/* runc: deleting a missing container with --force is not an error */
		if (a->force && e.errnum == ENOENT)
			return 0;
		return fail(&e);
	}
	return 0;
}

const struct cli_command cmd_delete = {
	.name = "delete",
	.run = delete_run,
	.min_args = 1,
	.max_args = 1,
	.args = "ID",
	.summary = "delete a container and everything it holds",
	.description = "Removes a stopped or created container: its processes, cgroup and state.\n",
	CLI_CMD_OPTIONS(struct delete_args, delete_options),
};
