/* kapsel rmi REF...: untag, delete images that lose their last name, and
 * remove the blobs no image uses any more. */
#include "kapsel.h"

#include "image/store.h"

#include <stdio.h>
#include <string.h>

struct rmi_args {
	int force;
};

static const struct cli_option rmi_options[] = {
	CLI_OPT_FLAG('f', "force", struct rmi_args, force, "delete an image given by ID even if it has several names"),
	CLI_OPT_END,
};

static void removed(void *ud, const char *what, const char *name)
{
	printf("%s: %s\n", what, name);
	kapsel_image_event(ud, !strcmp(what, "Untagged") ? "untag" : "delete", name, NULL);
}

static int rmi_run(const struct cli_call *c)
{
	const struct rmi_args *a = c->opts;
	struct kstore *s;
	int rc = kapsel_store(c, KSTORE_EXCLUSIVE, &s);
	if (rc)
		return rc;
	for (int i = 0; i < c->argc; i++) {
		kerr e = { 0 };
		if (kstore_remove(s, c->argv[i], a->force, removed, (void *)c, &e) < 0) {
			fflush(stdout);
			rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
		}
	}
	kstore_close(s);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_rmi = {
	.name = "rmi",
	.run = rmi_run,
	.min_args = 1,
	.max_args = -1,
	.args = "NAME|ID...",
	.summary = "remove images (untag; delete the image when no name is left)",
	CLI_CMD_OPTIONS(struct rmi_args, rmi_options),
};
