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
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int cmd_ps(struct globals *g, int argc, char **argv);

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

int cmd_ps(struct globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ 0 },
	};
	int c, json = 0;
	kerr e = { 0 };
	while ((c = getopt_long_only(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c != 'f')
			return usage_error("ps", "unknown option %s", argv[optind - 1]);
		if (!strcmp(optarg, "json"))
			json = 1;
		else if (strcmp(optarg, "table"))
			return usage_error("ps", "--format must be table or json, not \"%s\"", optarg);
	}
	if (optind >= argc)
		return usage_error("ps", "a container id is required");
	const char *id = argv[optind++];
	/* what follows the id goes to ps; a "--" before it is ours */
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (json && optind < argc)
		return usage_error("ps", "ps arguments are for --format table only");

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
	if (run_ps(argv + optind, argc - optind, &out, &e) < 0 || kps_filter(out, pids, n, &table, &e) < 0)
		return fail(&e);
	fputs(table, stdout);
	return 0;
}
