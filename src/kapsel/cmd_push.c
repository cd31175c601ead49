/* kapsel push: an image of the store to a registry. */
#include "kapsel.h"

#include "image/registry.h"
#include "image/store.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct push_args {
	struct kapsel_registry_args reg;
	int quiet;
};

static const struct cli_option push_options[] = {
	CLI_OPT_FLAG('q', "quiet", struct push_args, quiet, "print only the manifest digest"),
	CLI_OPT_INCLUDE(kapsel_registry_options),
	CLI_OPT_END,
};

static int push_run(const struct cli_call *c)
{
	struct push_args *a = c->opts;
	struct kapsel_registry reg;
	int rc = kapsel_registry_setup(c, &a->reg, &reg);
	if (rc)
		return rc;
	struct kapsel_progress sh = { .tty = isatty(1), .quiet = a->quiet, .words = &kapsel_push_words };
	reg.o.progress = kapsel_progress_event;
	reg.o.ud = &sh;
	struct kstore *s;
	if ((rc = kapsel_store(c, KSTORE_SHARED, &s))) {
		kapsel_registry_done(&reg);
		return rc;
	}
	char digest[72];
	kerr e = { 0 };
	const char *dest = c->argc > 1 ? c->argv[1] : NULL;
	if (kreg_push(s, c->argv[0], dest, &reg.o, digest, &e) < 0) {
		rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	} else if (a->quiet) {
		printf("%s\n", digest);
	} else {
		kapsel_progress_end(&sh);
		printf("Pushed %s\nDigest: %s\n", dest ? dest : c->argv[0], digest);
	}
	kapsel_progress_done(&sh);
	kstore_close(s);
	kapsel_registry_done(&reg);
	return rc ? rc : fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_push = {
	.name = "push",
	.run = push_run,
	.min_args = 1,
	.max_args = 2,
	.args = "IMAGE [DESTINATION]",
	.summary = "push an image to a registry",
	.description =
		"Uploads the blobs of IMAGE the registry lacks, then its manifest, to DESTINATION\n"
		"([REGISTRY/]NAME:TAG; default IMAGE's own name) (docs/images.md).\n",
	CLI_CMD_OPTIONS(struct push_args, push_options),
};
