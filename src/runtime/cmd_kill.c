#include "runtime.h"

#include "common/signals.h"
#include "container/container.h"

#include <getopt.h>
#include <signal.h>

int cmd_kill(struct globals *g, int argc, char **argv)
{
	kerr e = { 0 };
	int all = 0, c;
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { 0 } };
	while ((c = getopt_long_only(argc, argv, "+a", opts, NULL)) != -1) {
		if (c == 'a')
			all = 1;
		else
			return usage_error("kill", "unknown option %s", argv[optind - 1]);
	}
	int n = argc - optind;
	if (n < 1 || n > 2)
		return usage_error("kill", "usage: kill [--all] ID [SIGNAL]");
	/* runc allows --all after the id too */
	const char *id = argv[optind];
	int sig = SIGTERM;
	if (n == 2) {
		sig = ksignal_parse(argv[optind + 1]);
		if (sig < 0)
			return usage_error("kill", "unknown signal \"%s\"", argv[optind + 1]);
	}
	if (kcontainer_kill(g->root, id, sig, all, &e) < 0)
		return fail(&e);
	return 0;
}
