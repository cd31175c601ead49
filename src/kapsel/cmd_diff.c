/* kapsel diff CONTAINER: the files and directories the container added
 * (A), changed (C) or deleted (D) in its root filesystem, as `docker diff`
 * prints them. */
#include "kapsel.h"

#include "common/strv.h"

#include <stdio.h>

static int diff_run(const struct cli_call *c)
{
	struct keng *g;
	int rc = kapsel_engine(c, KENG_SHARED, &g);
	if (rc)
		return rc;
	char id[65];
	kerr e = { 0 };
	char **lines = NULL;
	if (kapsel_container(c, g, c->argv[0], id))
		rc = CLI_EXIT_FAILURE;
	else if (keng_diff(g, id, &lines, &e) < 0)
		rc = cli_error(c, CLI_EXIT_FAILURE, "%s: %s", c->argv[0], e.msg);
	for (char **p = lines; p && *p; p++)
		printf("%s\n", *p);
	kstrv_free(lines);
	keng_close(g);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_diff = {
	.name = "diff",
	.run = diff_run,
	.min_args = 1,
	.max_args = 1,
	.args = "CONTAINER",
	.summary = "show what a container changed in its root filesystem (A added, C changed, D deleted)",
};
