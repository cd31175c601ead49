/* kapsel load: images from a `docker save` archive (either generation),
 * an OCI layout (tar or directory) or stdin into the store, printed as
 * Docker prints them. */
#include "kapsel.h"

#include "image/store.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct load_args {
	const char *input;
	int quiet;
};

static const struct cli_option load_options[] = {
	CLI_OPT_STRING('i', "input", struct load_args, input, "FILE",
		       "read from FILE (a tar archive or an OCI layout directory) instead of stdin; - is stdin"),
	CLI_OPT_FLAG('q', "quiet", struct load_args, quiet, "print nothing"),
	CLI_OPT_END,
};

static void loaded(void *ud, const struct kstore_image *img, char *const *names)
{
	const struct load_args *a = ud;
	if (a->quiet)
		return;
	if (!names || !names[0])
		printf("Loaded image ID: %s\n", img->id);
	for (char *const *n = names; n && *n; n++)
		printf("Loaded image: %s\n", *n);
}

static int load_run(const struct cli_call *c)
{
	struct load_args *a = c->opts;
	int from_stdin = !a->input || !strcmp(a->input, "-");
	if (from_stdin && isatty(0))
		return cli_usage_error(c, "requested load from stdin, but stdin is a terminal: use -i FILE or a pipe");
	struct kstore *s;
	int rc = kapsel_store(c, KSTORE_EXCLUSIVE, &s);
	if (rc)
		return rc;
	kerr e = { 0 };
	rc = from_stdin ? kstore_load_fd(s, 0, loaded, a, &e) : kstore_load(s, a->input, loaded, a, &e);
	kstore_close(s);
	if (rc < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_load = {
	.name = "load",
	.run = load_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "load images from a docker save archive or an OCI layout",
	.description =
		"Loads every image of a `docker save` archive (Docker <= 24 and podman's docker-archive,\n"
		"or Docker >= 25's OCI layout), or of an OCI image layout as a tar or a directory.\n"
		"Every blob is checked against its digest and every layer against the config's\n"
		"rootfs.diff_ids before anything enters the store (docs/images.md).\n",
	CLI_CMD_OPTIONS(struct load_args, load_options),
};
