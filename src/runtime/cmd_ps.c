/* ps [--format table|json] ID [-- PS-ARGS...]
 *
 * json: the host pids of the container's processes, as runc prints them
 * ("[1234,1235]").  table: ps(1) run with PS-ARGS (default -ef), its header
 * and the lines of the container's processes. */
#include "runtime.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Run ps with ARGS; its stdout and stderr together in *out. */
static int run_ps(char **args, int nargs, char **out, kerr *e)
{
	int pfd[2];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	_cleanup_free_ char **av = calloc(nargs + 3, sizeof(char *));
	if (!av)
		return kerr_set(e, ENOMEM, "ps");
	av[0] = "ps";
	if (nargs == 0)
		av[1] = "-ef";
	for (int i = 0; i < nargs; i++)
		av[1 + i] = args[i];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return kerr_errno(e, "ps: pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	int r = posix_spawnp(&pid, "ps", &fa, NULL, av, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (r != 0) {
		close(pfd[0]);
		return kerr_set(e, r, "ps: run ps");
	}
	r = kfs_read_fd(pfd[0], out, NULL, e);
	close(pfd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return kerr_errno(e, "ps: wait");
	if (r < 0)
		return kerr_wrap(e, "ps: read its output");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		size_t l = strlen(*out);
		while (l && (*out)[l - 1] == '\n')
			(*out)[--l] = '\0';
		kerr_msg(e, EINVAL, "ps %s: %s %d: %s", nargs ? "(with the given arguments)" : "-ef",
			 WIFEXITED(status) ? "exit status" : "killed by signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), *out);
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

struct ps_args {
	int format; /* 0 table, 1 json */
};

static const char *const formats[] = { "table", "json", NULL };

static const struct cli_option ps_options[] = {
	CLI_OPT_CHOICE('f', "format", struct ps_args, format, formats, "table (ps(1) lines, default) or json (host pids)"),
	CLI_OPT_END,
};

static int ps_run(const struct cli_call *c)
{
	const struct globals *g = c->globals;
	const struct ps_args *a = c->opts;
	int json = a->format == 1;
	int argc = c->argc, next = 0;
	char **argv = c->argv;
	kerr e = { 0 };
	const char *id = argv[next++];
	/* what follows the id goes to ps; a "--" before it is ours */
	if (next < argc && !strcmp(argv[next], "--"))
		next++;
	if (json && next < argc)
		return cli_usage_error(c, "ps arguments are for --format table only");

	_cleanup_free_ pid_t *pids = NULL;
	int n = kcontainer_pids(g->root, id, &pids, &e);
	if (n < 0)
		return fail(&e);
	if (json) {
		putchar('[');
		for (int i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", pids[i]);
		printf("]\n");
		return 0;
	}
	_cleanup_free_ char *out = NULL, *table = NULL;
	if (run_ps(argv + next, argc - next, &out, &e) < 0 || kps_filter(out, pids, n, &table, &e) < 0)
		return fail(&e);
	fputs(table, stdout);
	return 0;
}

const struct cli_command cmd_ps = {
	.name = "ps",
	.run = ps_run,
	.min_args = 1,
	.max_args = -1,
	.args = "ID [-- PS-ARGS...]",
	.summary = "list the processes of a container",
	.description = "table: ps(1) run with PS-ARGS (default -ef), its header and the lines of the container's\n"
		       "processes; json: their host pids, as runc prints them.\n",
	CLI_CMD_OPTIONS(struct ps_args, ps_options),
	.flags = CLI_CMD_OPTIONS_FIRST,
};
