/* kapsel wait CONTAINER...: block until each exits; print its exit code. */
#include "kapsel.h"

#include <stdio.h>

static int wait_one(const struct cli_call *c, struct keng *g, const char *id, kerr *e)
{
	(void)c;
	int code;
	if (keng_relock(g, -1, e) < 0 || keng_wait(g, id, &code, e) < 0)
		return -1;
	printf("%d\n", code);
	return 0;
}

static int wait_run(const struct cli_call *c)
{
	return kapsel_each_container(c, wait_one, false);
}

const struct cli_command cmd_wait = {
	.name = "wait",
	.run = wait_run,
	.min_args = 1,
	.max_args = -1,
	.args = "CONTAINER...",
	.summary = "wait for containers to exit and print their exit codes",
};
