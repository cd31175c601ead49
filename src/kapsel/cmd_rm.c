/* kapsel rm [-f] CONTAINER...: remove containers: the overlay unmounted,
 * the network namespace released, the directory gone. */
#include "kapsel.h"

#include <stdio.h>

struct rm_args {
	int force;
};

static const struct cli_option rm_options[] = {
	CLI_OPT_FLAG('f', "force", struct rm_args, force, "kill a running container first"),
	CLI_OPT_END,
};

static int rm_run(const struct cli_call *c)
{
	const struct rm_args *a = c->opts;
	struct keng *g;
	int rc = kapsel_engine(c, KENG_SHARED, &g);
	if (rc)
		return rc;
	for (int i = 0; i < c->argc; i++) {
		char id[65];
		kerr e = { 0 };
		keng_relock(g, KENG_SHARED, &e);
		if (kapsel_container(c, g, c->argv[i], id)) {
			rc = CLI_EXIT_FAILURE;
			continue;
		}
		if (keng_remove(g, id, a->force, &e) < 0)
			rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
		else
			printf("%s\n", c->argv[i]);
	}
	keng_close(g);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
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
