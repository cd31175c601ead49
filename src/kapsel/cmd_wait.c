/* kapsel wait CONTAINER...: block until each exits; print its exit code. */
#include "kapsel.h"

#include <stdio.h>

static int wait_run(const struct cli_call *c)
{
	struct keng *g;
	int rc = kapsel_engine(c, KENG_SHARED, &g);
	if (rc)
		return rc;
	for (int i = 0; i < c->argc; i++) {
		char id[65];
		kerr e = { 0 };
		int code;
		keng_relock(g, KENG_SHARED, &e);
		if (kapsel_container(c, g, c->argv[i], id)) {
			rc = CLI_EXIT_FAILURE;
			continue;
		}
		keng_relock(g, -1, &e);
		if (keng_wait(g, id, &code, &e) < 0)
			rc = cli_error(c, CLI_EXIT_FAILURE, "wait %s: %s", c->argv[i], e.msg);
		else
			printf("%d\n", code);
		fflush(stdout);
	}
	keng_close(g);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_wait = {
	.name = "wait",
	.run = wait_run,
	.min_args = 1,
	.max_args = -1,
	.args = "CONTAINER...",
	.summary = "wait for containers to exit and print their exit codes",
};
