#include "runtime.h"

#include "container/container.h"

#include <getopt.h>

int cmd_start(struct globals *g, int argc, char **argv)
{
	kerr e = { 0 };
	static const struct option opts[] = { { 0 } };
	if (getopt_long_only(argc, argv, "+", opts, NULL) != -1)
		return usage_error("start", "unknown option %s", argv[optind - 1]);
	const char *id = one_id("start", argc, argv, optind);
	if (!id)
		return EXIT_USAGE;
	if (kcontainer_start(g->root, id, &e) < 0)
		return fail(&e);
	return 0;
}
