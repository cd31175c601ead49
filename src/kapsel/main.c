/* kapsel: secure-by-default containers.
 *
 *   kapsel [--version] [--help] COMMAND [OPTIONS] ...
 */
#include "kapsel.h"

#include "common/log.h"

#include <stdio.h>

#ifndef KAPSEL_VERSION
#define KAPSEL_VERSION "0.1.0"
#endif

static int version_run(const struct cli_call *c)
{
	fputs(c->prog->version, stdout);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static const struct cli_command cmd_version = {
	.name = "version",
	.run = version_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "print the version",
};

static const struct cli_command *const commands[] = { &cmd_audit, &cmd_version, NULL };

static const struct cli_program program = {
	.name = "kapsel",
	.summary = "Secure-by-default containers.",
	.description = "Exit status: 0 success, 1 failure (or findings), 2 usage error, 3 a check could not run\n"
		       "(docs/cli.md).\n",
	.version = "kapsel version " KAPSEL_VERSION "\n",
	.commands = commands,
	.flags = CLI_PROG_ABBREV,
};

int main(int argc, char **argv)
{
	/* no global options yet besides --help and --version */
	klog_set_ident("kapsel");
	return cli_main(&program, NULL, argc, argv);
}
