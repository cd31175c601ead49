/* kapsel rename CONTAINER NEW_NAME. */
#include "kapsel.h"

static int rename_run(const struct cli_call *c)
{
	struct keng *g;
	int rc = kapsel_engine(c, KENG_EXCLUSIVE, &g);
	if (rc)
		return rc;
	char id[65];
	kerr e = { 0 };
	if (!(rc = kapsel_container(c, g, c->argv[0], id)) && keng_rename(g, id, c->argv[1], &e) < 0)
		rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	keng_close(g);
	return rc;
}

const struct cli_command cmd_rename = {
	.name = "rename",
	.run = rename_run,
	.min_args = 2,
	.max_args = 2,
	.args = "CONTAINER NEW_NAME",
	.summary = "rename a container",
};
