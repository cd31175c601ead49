/* state ID: the OCI state of a container as JSON. */
#include "runtime.h"

#include "container/container.h"

#include <stdio.h>
#include <stdlib.h>

static int state_run(const struct cli_call *c)
{
	const struct globals *g = c->globals;
	const char *id = c->argv[0];
	kerr e = { 0 };
	struct kstate st;
	enum kstatus status;
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

const struct cli_command cmd_state = {
	.name = "state",
	.run = state_run,
	.min_args = 1,
	.max_args = 1,
	.args = "ID",
	.summary = "print the state of a container as JSON",
	.description = "Status creating, created, running, paused or stopped; a stopped container the kernel\n"
		       "OOM-killed in also has \"oomKilled\": true.\n",
};
