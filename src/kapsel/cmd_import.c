/* kapsel import FILE|- [REPOSITORY[:TAG]]: a root filesystem tarball as a
 * one-layer image, printed as `docker import` prints it (the image ID). */
#include "kapsel.h"

#include "image/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void imported(void *ud, const struct kstore_image *img, char *const *names)
{
	(void)ud, (void)names;
	printf("%s\n", img->id);
}

struct import_args {
	int keep_setuid, keep_file_caps;
};

static const struct cli_option import_options[] = {
	KAPSEL_KEEP_OPTIONS(struct import_args),
	CLI_OPT_END,
};

static int import_run(const struct cli_call *c)
{
	const struct import_args *a = c->opts;
	const char *file = c->argv[0], *name = c->argc > 1 ? c->argv[1] : NULL;
	int from_stdin = !strcmp(file, "-");
	if (from_stdin && isatty(0))
		return cli_usage_error(c, "import from stdin, but stdin is a terminal: give a FILE or a pipe");
	int fd = from_stdin ? 0 : open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "import %s: %s", file, strerror(errno));
	struct kstore *s;
	int rc = kapsel_store(c, KSTORE_EXCLUSIVE, &s);
	if (rc) {
		if (!from_stdin)
			close(fd);
		return rc;
	}
	kstore_set_keep(s, KAPSEL_KEEP(a));
	kerr e = { 0 };
	rc = kstore_import(s, fd, from_stdin ? "-" : file, name, imported, NULL, &e);
	kstore_close(s);
	if (!from_stdin)
		close(fd);
	if (rc < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_import = {
	.name = "import",
	.run = import_run,
	.min_args = 1,
	.max_args = 2,
	.args = "FILE|- [REPOSITORY[:TAG]]",
	.summary = "make a one-layer image from a root filesystem tarball",
	.description =
		"Reads a tar archive (plain, gzip, zstd, xz ...) of a root filesystem and stores it as an\n"
		"image of one uncompressed layer, unpacked and checked like a loaded one (docs/images.md).\n",
	CLI_CMD_OPTIONS(struct import_args, import_options),
};
