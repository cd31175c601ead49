/* kapsel exec [-i] [-t] [-d] [-e K=V] [--env-file F] [-u USER] [-w DIR]
 * CONTAINER CMD...: run CMD in a running container with the container's
 * own restrictions (kapsel-runtime exec); the exit status is CMD's. */
#include "kapsel.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "engine/convert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct exec_args {
	int interactive, tty, detach, privileged;
	char **env, **env_files;
	const char *user, *workdir;
};

#define A struct exec_args
static const struct cli_option exec_options[] = {
	CLI_OPT_FLAG('i', "interactive", A, interactive, "keep stdin open"),
	CLI_OPT_FLAG('t', "tty", A, tty, "give the process a terminal"),
	CLI_OPT_FLAG('d', "detach", A, detach, "start it in the background"),
	CLI_OPT_STRV('e', "env", A, env, "KEY=VALUE", "set a variable (a bare KEY takes kapsel's own value)"),
	CLI_OPT_STRV(0, "env-file", A, env_files, "FILE", "read variables from FILE (KEY=VALUE lines)"),
	CLI_OPT_STRING('u', "user", A, user, "USER[:GROUP]",
		       "run as USER (looked up in the container's /etc/passwd; default: the container's)"),
	CLI_OPT_STRING('w', "workdir", A, workdir, "DIR", "working directory inside the container"),
	CLI_OPT_FLAG(0, "privileged", A, privileged, "refused: kapsel never gives a process every capability"),
	CLI_OPT_END,
};
#undef A

static int exec_run(const struct cli_call *c)
{
	const struct exec_args *a = c->opts;
	if (a->privileged)
		return cli_usage_error(c,
				       "--privileged: kapsel never runs a process with every capability and no "
				       "confinement; create the container with the one capability it needs "
				       "(--cap-add)");
	if (a->detach && (a->tty || a->interactive))
		return cli_usage_error(c, "-d with -t or -i: a detached process has no terminal or stdin here");
	struct keng_exec x = { .cmd = c->argv + 1,
			       .user = a->user,
			       .workdir = a->workdir,
			       .tty = a->tty,
			       .interactive = a->interactive,
			       .detach = a->detach };
	int rc = kapsel_env(c, a->env_files, a->env, &x.env);
	if (rc)
		return rc;
	struct keng *g;
	if ((rc = kapsel_engine(c, KENG_SHARED, &g))) {
		kstrv_free(x.env);
		return rc;
	}
	char id[65];
	if ((rc = kapsel_container(c, g, c->argv[0], id))) {
		keng_close(g);
		kstrv_free(x.env);
		return rc;
	}
	kerr e = { 0 };
	fflush(stdout);
	int code = keng_exec(g, id, &x, &e);
	keng_close(g);
	kstrv_free(x.env);
	if (code < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	return code;
}

const struct cli_command cmd_exec = {
	.name = "exec",
	.run = exec_run,
	.min_args = 2,
	.max_args = -1,
	.args = "CONTAINER COMMAND [ARG...]",
	.summary = "run a command in a running container (its capabilities, seccomp, no_new_privs, user)",
	.flags = CLI_CMD_OPTIONS_FIRST,
	CLI_CMD_OPTIONS(struct exec_args, exec_options),
};
