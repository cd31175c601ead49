/* kapsel container prune [-f]: remove every container that is not
 * running (created, exited, dead); prints their IDs and the count. */
#include "kapsel.h"

#include "common/strv.h"

#include <stdio.h>
#include <string.h>

struct prune_args {
	int force;
};

static const struct cli_option prune_options[] = {
	CLI_OPT_FLAG('f', "force", struct prune_args, force,
		     "do not ask (kapsel never asks: accepted for Docker's scripts)"),
	CLI_OPT_END,
};

static int prune_run(const struct cli_call *c)
{
	struct keng *g;
	int rc = kapsel_engine(c, KENG_SHARED, &g);
	if (rc)
		return rc;
	char **ids = NULL;
	kerr e = { 0 };
	if (keng_list(g, &ids, &e) < 0) {
		keng_close(g);
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	}
	printf("Deleted Containers:\n");
	for (char **p = ids; *p; p++) {
		struct keng_state st;
		if (keng_relock(g, KENG_SHARED, &e) < 0 || keng_state(g, *p, &st, &e) < 0) {
			kerr_clear(&e);
			continue; /* removed meanwhile */
		}
		if (!strcmp(st.status, "running") || !strcmp(st.status, "restarting") || !strcmp(st.status, "paused"))
			continue;
		if (keng_remove(g, *p, false, false, &e) < 0)
			rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
		else
			printf("%s\n", *p);
	}
	kstrv_free(ids);
	keng_close(g);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

static const struct cli_command cmd_container_prune = {
	.name = "prune",
	.run = prune_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "remove every container that is not running",
	CLI_CMD_OPTIONS(struct prune_args, prune_options),
};

static const struct cli_command *const container_commands[] = { &cmd_container_prune, NULL };

const struct cli_command cmd_container = {
	.name = "container",
	.min_args = 0,
	.max_args = -1,
	.summary = "manage containers (prune)",
	.subcommands = container_commands,
};
