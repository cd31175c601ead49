/* kapsel export [-o FILE] CONTAINER: the container's root filesystem as a
 * tar archive, on stdout or into FILE (written aside and renamed into
 * place: a failed export leaves no half a file). */
#include "kapsel.h"

#include "common/cleanup.h"
#include "common/str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct export_args {
	const char *output;
};

static const struct cli_option export_options[] = {
	CLI_OPT_STRING('o', "output", struct export_args, output, "FILE", "write to FILE instead of stdout"),
	CLI_OPT_END,
};

static int export_run(const struct cli_call *c)
{
	const struct export_args *a = c->opts;
	if (!a->output && isatty(1))
		return cli_usage_error(c, "refusing to write a tar to a terminal: give -o FILE or redirect stdout");
	struct keng *g;
	int rc = kapsel_engine(c, KENG_SHARED, &g);
	if (rc)
		return rc;
	char id[65];
	kerr e = { 0 };
	_cleanup_free_ char *tmp = a->output ? kstr_printf("%s.tmp-%d", a->output, (int)getpid()) : NULL;
	int fd = 1;
	if (kapsel_container(c, g, c->argv[0], id)) {
		keng_close(g);
		return CLI_EXIT_FAILURE;
	}
	if (a->output && (!tmp || (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)) {
		rc = cli_error(c, CLI_EXIT_FAILURE, "%s: %s", a->output, strerror(errno));
		keng_close(g);
		return rc;
	}
	if (keng_export(g, id, fd, &e) < 0)
		rc = cli_error(c, CLI_EXIT_FAILURE, "%s: %s", c->argv[0], e.msg);
	else if (a->output && (fsync(fd) < 0 || rename(tmp, a->output) < 0))
		rc = cli_error(c, CLI_EXIT_FAILURE, "%s: %s", a->output, strerror(errno));
	if (a->output) {
		close(fd);
		if (rc)
			unlink(tmp);
	}
	keng_close(g);
	return rc;
}

const struct cli_command cmd_export = {
	.name = "export",
	.run = export_run,
	.min_args = 1,
	.max_args = 1,
	.args = "CONTAINER",
	.summary = "write a container's root filesystem as a tar archive",
	CLI_CMD_OPTIONS(struct export_args, export_options),
};
