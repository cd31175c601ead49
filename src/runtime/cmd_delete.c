#include "runtime.h"

#include "container/container.h"

#include <errno.h>
#include <getopt.h>

int cmd_delete(struct globals *g, int argc, char **argv)
{
	kerr e = { 0 };
	int force = 0, c;
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
	while ((c = getopt_long_only(argc, argv, "+f", opts, NULL)) != -1) {
		if (c == 'f')
			force = 1;
		else
			return usage_error("delete", "unknown option %s", argv[optind - 1]);
	}
	const char *id = one_id("delete", argc, argv, optind);
	if (!id)
		return EXIT_USAGE;
	if (kcontainer_delete(g->root, id, force, &e) < 0) {
		/* runc: deleting a missing container with --force is not an error */
		if (force && e.errnum == ENOENT)
			return 0;
		return fail(&e);
	}
	return 0;
}
