/* kapsel-runtime: an OCI runtime with runc's command line.
 *
 *   kapsel-runtime [--root DIR] [--log FILE] [--log-format text|json]
 *                  [--debug] COMMAND [OPTIONS] ARGS
 */
#include "runtime.h"

#include "common/log.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef KAPSEL_VERSION
#define KAPSEL_VERSION "0.1.0"
#endif

/* ps, pause/resume, update, events (cmd_ps.c, cmd_pause.c, cmd_update.c,
 * cmd_events.c) */

static const struct {
	const char *name;
	cmd_fn fn;
	const char *help;
} commands[] = {
	{ "create", cmd_create, "create a container (the program waits for start)" },
	{ "start", cmd_start, "start the program of a created container" },
	{ "run", cmd_run, "create and start a container, wait for it" },
	{ "state", cmd_state, "print the state of a container as JSON" },
	{ "kill", cmd_kill, "send a signal to the container's init (or all processes)" },
	{ "delete", cmd_delete, "delete a container and everything it holds" },
	{ "exec", cmd_exec, "run another process in a running container" },
	{ "list", cmd_list, "list the containers" },
	{ "spec", cmd_spec, "write kapsel's hardened default config.json" },
	{ "features", cmd_features, "print the runtime-spec features document" },
	{ "policy", cmd_policy, "check a policy file, explain a decision, list the rules" },
	{ "ps", cmd_ps, "list the processes of a container" },
	{ "pause", cmd_pause, "freeze every process of a container" },
	{ "resume", cmd_resume, "thaw a paused container" },
	{ "update", cmd_update, "change the resource limits of a container live" },
	{ "events", cmd_events, "stream a container's resource usage and OOM events" },
};

int fail(const kerr *e)
{
	klog_error("%s", e->msg);
	/* with --log, the client reads the file; stderr still tells a human */
	if (klog_fd() != 2)
		fprintf(stderr, "kapsel-runtime: %s\n", e->msg);
	return 1;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	klog_error("%s: %s", cmd, msg);
	if (klog_fd() != 2)
		fprintf(stderr, "kapsel-runtime %s: %s\n", cmd, msg);
	return EXIT_USAGE;
}

const char *one_id(const char *cmd, int argc, char **argv, int optind_)
{
	if (argc - optind_ != 1) {
		usage_error(cmd, argc - optind_ < 1 ? "a container id is required" : "exactly one container id is expected");
		return NULL;
	}
	return argv[optind_];
}

static void usage(FILE *f)
{
	fprintf(f, "usage: kapsel-runtime [--root DIR] [--log FILE] [--log-format text|json] [--debug] [--policy FILE] COMMAND ...\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	struct globals g = { .root = "/run/kapsel", .log_format = "text", .argv = argv };
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "policy", required_argument, NULL, 'P' },
		{ "systemd-cgroup", no_argument, NULL, 's' },
		{ "rootless", required_argument, NULL, 'R' },
		{ "criu", required_argument, NULL, 'c' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	if (getenv("XDG_RUNTIME_DIR") && geteuid() != 0) {
		static char root[4096];
		snprintf(root, sizeof(root), "%s/kapsel", getenv("XDG_RUNTIME_DIR"));
		g.root = root;
	}
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (c) {
		case 'r': g.root = optarg; break;
		case 'l': g.log = optarg; break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				fprintf(stderr, "kapsel-runtime: --log-format must be text or json, not \"%s\"\n", optarg);
				return EXIT_USAGE;
			}
			g.log_format = optarg;
			break;
		case 'd': g.debug = 1; break;
		case 'P': g.policy = optarg; break;
		case 's': g.systemd_cgroup = 1; break;
		case 'R': case 'c': break; /* accepted for runc compatibility */
		case 'v':
			printf("kapsel-runtime version %s\nspec: 1.2.0\n", KAPSEL_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "kapsel-runtime: unknown global option %s\n", argv[optind - 1]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (g.root[0] != '/') {
		fprintf(stderr, "kapsel-runtime: --root must be an absolute path\n");
		return EXIT_USAGE;
	}
	if (klog_open(g.log, strcmp(g.log_format, "json") ? KLOG_TEXT : KLOG_JSON, g.debug) < 0) {
		fprintf(stderr, "kapsel-runtime: open log %s: %m\n", g.log);
		return 1;
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(commands[i].name, name)) {
			int sub = optind;
			optind = 0; /* reinitialise getopt for the command's own options */
			klog_debug("command %s", name);
			return commands[i].fn(&g, argc - sub, argv + sub);
		}
	}
	fprintf(stderr, "kapsel-runtime: unknown command \"%s\"\n", name);
	usage(stderr);
	return EXIT_USAGE;
}
