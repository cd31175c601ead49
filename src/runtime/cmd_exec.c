#include "runtime.h"

#include "common/log.h"
#include "container/container.h"
#include "container/exec.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

static int push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));
	if (!nv)
		return -1;
	nv[(*n)++] = (char *)s;
	nv[*n] = NULL;
	*v = nv;
	return 0;
}

int cmd_exec(struct globals *g, int argc, char **argv)
{
	struct kexec_opts o = { .root = g->root, .tty = -1, .console_fd_out = -1 };
	static const struct option opts[] = {
		{ "process", required_argument, NULL, 'p' },
		{ "tty", no_argument, NULL, 't' },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "cwd", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "additional-gids", required_argument, NULL, 'g' },
		{ "cap", required_argument, NULL, 'C' },
		{ "no-new-privs", no_argument, NULL, 'n' },
		{ "preserve-fds", required_argument, NULL, 'f' },
		{ "ignore-paused", no_argument, NULL, 'i' },
		{ "apparmor", required_argument, NULL, 'a' },
		{ "process-label", required_argument, NULL, 'l' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ 0 },
	};
	char **env = NULL, **caps = NULL, **gids = NULL;
	size_t nenv = 0, ncaps = 0, ngids = 0;
	int c, detach = 0;
	kerr e = { 0 };

	while ((c = getopt_long_only(argc, argv, "+p:tde:u:g:", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.process_file = optarg; break;
		case 't': o.tty = 1; break;
		case 'd': detach = 1; break;
		case 'P': o.pid_file = optarg; break;
		case 'c': o.console_socket = optarg; break;
		case 'w': o.cwd = optarg; break;
		case 'e': push(&env, &nenv, optarg); break;
		case 'u': o.user = optarg; break;
		case 'g': push(&gids, &ngids, optarg); break;
		case 'C': push(&caps, &ncaps, optarg); break;
		case 'n': o.no_new_privs = 1; break;
		case 'f': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 0 || n > 65536)
				return usage_error("exec", "--preserve-fds: \"%s\" is not a count", optarg);
			o.preserve_fds = (int)n;
			break;
		}
		case 'i': o.ignore_paused = 1; break;
		case 'a':
			if (strcmp(optarg, "unconfined"))
				return usage_error("exec", "--apparmor %s: this host has no AppArmor", optarg);
			break;
		case 'l':
			if (*optarg)
				return usage_error("exec", "--process-label %s: this host has no SELinux", optarg);
			break;
		case 'G':
			return usage_error("exec", "--cgroup: joining a sub-cgroup is not supported");
		default:
			return usage_error("exec", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("exec", "a container id is required");
	o.id = argv[optind++];
	if (!o.process_file && optind >= argc)
		return usage_error("exec", "a command (or --process FILE) is required");
	if (o.process_file && optind < argc)
		return usage_error("exec", "give either --process or a command, not both");
	o.args = argv + optind;
	o.env = env;
	o.caps = caps;
	o.additional_gids = gids;
	o.keep_parent = !detach;
	if (!detach)
		prctl(PR_SET_CHILD_SUBREAPER, 1); /* the process is our grandchild */

	sigset_t blocked;
	if (o.keep_parent)
		kcontainer_block_signals(&blocked);
	pid_t pid;
	int r = kcontainer_exec(&o, &pid, &e);
	free(env);
	free(caps);
	free(gids);
	if (r < 0)
		return fail(&e);
	if (detach)
		return 0;
	int code = kcontainer_wait_forward(pid, o.console_fd_out, &e);
	if (code < 0)
		return fail(&e);
	return code;
}
