#include "runtime.h"

#include "container/container.h"

#include <getopt.h>
#include <stdlib.h>

/* Options shared by create and run. */
int parse_create_opts(const char *cmd, int argc, char **argv, struct kcreate_opts *o, int *detach);

int parse_create_opts(const char *cmd, int argc, char **argv, struct kcreate_opts *o, int *detach)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "preserve-fds", required_argument, NULL, 'f' },
		{ "no-pivot", no_argument, NULL, 'P' },
		{ "no-new-keyring", no_argument, NULL, 'k' },
		{ "detach", no_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'K' },
		{ "no-subreaper", no_argument, NULL, 'S' },
		{ 0 },
	};
	int c;
	o->bundle = ".";
	while ((c = getopt_long_only(argc, argv, "+b:d", opts, NULL)) != -1) {
		switch (c) {
		case 'b': o->bundle = optarg; break;
		case 'p': o->pid_file = optarg; break;
		case 'c': o->console_socket = optarg; break;
		case 'f': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 0 || n > 65536)
				return usage_error(cmd, "--preserve-fds: \"%s\" is not a count", optarg);
			o->preserve_fds = (int)n;
			break;
		}
		case 'P': o->no_pivot = 1; break;
		case 'k': o->no_new_keyring = 1; break;
		case 'd':
			if (!detach)
				return usage_error(cmd, "unknown option --detach");
			*detach = 1;
			break;
		case 'K': case 'S': break;
		default:
			return usage_error(cmd, "unknown option %s", argv[optind - 1]);
		}
	}
	o->id = one_id(cmd, argc, argv, optind);
	return o->id ? 0 : EXIT_USAGE;
}

int cmd_create(struct globals *g, int argc, char **argv)
{
	struct kcreate_opts o = { .root = g->root, .argv = g->argv, .console_fd_out = -1, .policy = g->policy };
	kerr e = { 0 };
	pid_t pid;
	int r = parse_create_opts("create", argc, argv, &o, NULL);
	if (r)
		return r;
	if (kcontainer_create(&o, &pid, &e) < 0)
		return fail(&e);
	return 0;
}
