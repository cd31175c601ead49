#include "runtime.h"

#include "container/container.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

int cmd_state(struct globals *g, int argc, char **argv)
{
	kerr e = { 0 };
	struct kstate st;
	enum kstatus status;
	static const struct option opts[] = { { 0 } };
	if (getopt_long_only(argc, argv, "+", opts, NULL) != -1)
		return usage_error("state", "unknown option %s", argv[optind - 1]);
	const char *id = one_id("state", argc, argv, optind);
	if (!id)
		return EXIT_USAGE;
	if (kcontainer_state(g->root, id, &st, &status, &e) < 0)
		return fail(&e);
	char *json = kstate_oci_json(&st, status, 1);
	kstate_free(&st);
	if (!json) {
		kerr_set(&e, 12, "state: out of memory");
		return fail(&e);
	}
	printf("%s\n", json);
	free(json);
	return 0;
}
