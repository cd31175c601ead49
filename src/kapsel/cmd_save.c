/* kapsel save [-o FILE] IMAGE...: images as one tar (an OCI layout with
 * Docker's manifest.json beside it), to FILE or to stdout. */
#include "kapsel.h"

#include "image/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct save_args {
	const char *output;
};

static const struct cli_option save_options[] = {
	CLI_OPT_STRING('o', "output", struct save_args, output, "FILE",
		       "write to FILE (replaced only once the archive is complete) instead of stdout"),
	CLI_OPT_END,
};

static int save_run(const struct cli_call *c)
{
	const struct save_args *a = c->opts;
	if (!a->output && isatty(1))
		return cli_usage_error(c, "refusing to write an archive to a terminal: use -o FILE or redirect stdout");
	struct kstore *s;
	int rc = kapsel_store(c, KSTORE_SHARED, &s);
	if (rc)
		return rc;
	char tmp[4096];
	int fd = 1;
	if (a->output) {
		snprintf(tmp, sizeof(tmp), "%s.kapsel-save-%d", a->output, (int)getpid());
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
			kstore_close(s);
			return cli_error(c, CLI_EXIT_FAILURE, "create %s: %s", tmp, strerror(errno));
		}
	}
	kerr e = { 0 };
	rc = kstore_save(s, (const char *const *)c->argv, (size_t)c->argc, fd, &e);
	kstore_close(s);
	if (a->output) {
		if (rc == 0 && (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, a->output) < 0))
			rc = kerr_errno(&e, "write %s", a->output);
		else if (rc < 0)
			close(fd);
		if (rc < 0)
			unlink(tmp);
	}
	if (rc < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_save = {
	.name = "save",
	.run = save_run,
	.min_args = 1,
	.max_args = -1,
	.args = "NAME|ID...",
	.summary = "write images to a tar archive (OCI layout and docker-save manifest.json)",
	.description =
		"Writes the images as Docker >= 25 saves them: an OCI image layout with a manifest.json\n"
		"beside it, which kapsel, docker, podman and skopeo load.  The blobs are written as\n"
		"stored, so loading the archive gives the same image IDs (docs/images.md).\n",
	CLI_CMD_OPTIONS(struct save_args, save_options),
};
