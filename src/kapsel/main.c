/* kapsel: secure-by-default containers.
 *
 *   kapsel [--version] [--help] COMMAND [OPTIONS] ...
 */
#include "kapsel.h"

#include "common/conf.h"
#include "common/log.h"
#include "common/conf.h"
#include "image/store.h"

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

static const struct cli_command *const commands[] = {
	&cmd_audit, &cmd_images, &cmd_image, &cmd_load, &cmd_monitor, &cmd_rmi, &cmd_scan, &cmd_stats, &cmd_tag, &cmd_version,
	&cmd_pull, &cmd_push, &cmd_login, &cmd_logout, &cmd_import, &cmd_save, &cmd_system,
	&cmd_create, &cmd_run, &cmd_start, &cmd_stop, &cmd_kill, &cmd_rm, &cmd_ps, &cmd_inspect, &cmd_wait, &cmd_logs,
	&cmd_rename, &cmd_update, &cmd_pause, &cmd_unpause, &cmd_restart, &cmd_container, &cmd_volume, &cmd_exec, &cmd_network, &cmd_port, &cmd_events,
	&cmd_top, &cmd_diff, &cmd_export, &cmd_cp, NULL,
};

static const struct cli_option global_options[] = {
	CLI_OPT_STRING(0, "root", struct kapsel_globals, root, "DIR", "image store (default " KSTORE_ROOT ")"),
	CLI_OPT_STRING(0, "config", struct kapsel_globals, config, "FILE", "settings (default " KCONF_PATH ")"),
	CLI_OPT_END,
};

static int setup(const struct cli_call *c)
{
	const struct kapsel_globals *g = c->globals;
	if (g->root[0] != '/')
		return cli_usage_error(c, "--root must be an absolute path, not \"%s\"", g->root);
	return 0;
}

int kapsel_store(const struct cli_call *c, int mode, struct kstore **out)
{
	const struct kapsel_globals *g = c->globals;
	kerr e = { 0 };
	if (kstore_open(g->root, mode, out, &e) < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	return 0;
}

static const struct cli_program program = {
	.name = "kapsel",
	.summary = "Secure-by-default containers.",
	.description = "Exit status: 0 success, 1 failure (or findings), 2 usage error, 3 a check could not run\n"
		       "(docs/cli.md).\n",
	.version = "kapsel version " KAPSEL_VERSION "\n",
	.options = global_options,
	.commands = commands,
	.setup = setup,
	.flags = CLI_PROG_ABBREV,
};

int main(int argc, char **argv)
{
	struct kapsel_globals g = { .root = KSTORE_ROOT, .config = KCONF_PATH };
	klog_set_ident("kapsel");
	return cli_main(&program, &g, argc, argv);
}
