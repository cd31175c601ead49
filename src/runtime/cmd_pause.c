/* pause ID / resume ID: freeze and thaw every process of a container. */
#include "runtime.h"

#include "container/container.h"

static int freeze_cmd(const struct cli_call *c, int (*op)(const char *, const char *, kerr *))
{
	const struct globals *g = c->globals;
	kerr e = { 0 };
	if (op(g->root, c->argv[0], &e) < 0)
		return fail(&e);
	return 0;
}

static int pause_run(const struct cli_call *c)
{
	return freeze_cmd(c, kcontainer_pause);
}

static int resume_run(const struct cli_call *c)
{
	return freeze_cmd(c, kcontainer_resume);
}

const struct cli_command cmd_pause = {
	.name = "pause",
	.run = pause_run,
	.min_args = 1,
	.max_args = 1,
	.args = "ID",
	.summary = "freeze every process of a container",
	.description = "Uses the v1 freezer or cgroup.freeze; 'resume' thaws.\n",
};

const struct cli_command cmd_resume = {
	.name = "resume",
	.run = resume_run,
	.min_args = 1,
	.max_args = 1,
	.args = "ID",
	.summary = "thaw a paused container",
};
