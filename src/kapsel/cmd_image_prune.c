/* kapsel image prune [-a] [-f]: remove the images no container uses, the
 * unnamed ones (or, with -a, all), as `docker image prune` does and says. */
#include "kapsel.h"

#include "common/units.h"
#include "image/store.h"

#include <stdio.h>
#include <string.h>

struct prune_args {
	int all, force;
};

static const struct cli_option prune_options[] = {
	CLI_OPT_FLAG('a', "all", struct prune_args, all, "remove every image no container uses, not only unnamed ones"),
	CLI_OPT_FLAG('f', "force", struct prune_args, force, "do not ask for confirmation"),
	CLI_OPT_END,
};

static void pruned(void *ud, const char *what, const char *name)
{
	int *first = ud;
	if (*first)
		printf("Deleted Images:\n");
	*first = 0;
	printf("%s: %s\n", what, name);
}

static int prune_run(const struct cli_call *c)
{
	const struct prune_args *a = c->opts;
	if (!a->force) {
		printf("WARNING! This will remove all %s.\nAre you sure you want to continue? [y/N] ",
		       a->all ? "images without at least one container associated to them" : "dangling images");
		fflush(stdout);
		char line[16];
		if (!fgets(line, sizeof(line), stdin) ||
		    (strcmp(line, "y\n") && strcmp(line, "Y\n") && strcmp(line, "yes\n")))
			return CLI_EXIT_OK;
	}
	struct kstore *s;
	int rc = kapsel_store(c, KSTORE_EXCLUSIVE, &s);
	if (rc)
		return rc;
	kerr e = { 0 };
	int64_t freed;
	int first = 1;
	rc = kstore_prune(s, a->all, pruned, &first, &freed, &e);
	kstore_close(s);
	if (rc < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	char size[32];
	kunits_human_size(freed, size, sizeof(size));
	printf("%sTotal reclaimed space: %s\n", first ? "" : "\n", size);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_image_prune = {
	.name = "prune",
	.run = prune_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "remove unused images (unnamed ones; every unused one with -a)",
	CLI_CMD_OPTIONS(struct prune_args, prune_options),
};
