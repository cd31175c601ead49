/* pause ID / resume ID: freeze and thaw every process of a container. */
#include "runtime.h"

#include "container/container.h"

#include <getopt.h>

int cmd_pause(struct globals *g, int argc, char **argv);
int cmd_resume(struct globals *g, int argc, char **argv);

static int freeze_cmd(struct globals *g, int argc, char **argv, const char *name,
		      int (*op)(const char *, const char *, kerr *))
{
	kerr e = { 0 };
	static const struct option opts[] = { { 0 } };
	if (getopt_long_only(argc, argv, "+", opts, NULL) != -1)
		return usage_error(name, "unknown option %s", argv[optind - 1]);
	const char *id = one_id(name, argc, argv, optind);
	if (!id)
		return EXIT_USAGE;
	if (op(g->root, id, &e) < 0)
		return fail(&e);
	return 0;
}

int cmd_pause(struct globals *g, int argc, char **argv)
{
	return freeze_cmd(g, argc, argv, "pause", kcontainer_pause);
}

int cmd_resume(struct globals *g, int argc, char **argv)
{
	return freeze_cmd(g, argc, argv, "resume", kcontainer_resume);
}
