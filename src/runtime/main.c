/* kapsel-runtime: an OCI runtime with runc's command line.
 *
 *   kapsel-runtime [--root DIR] [--log FILE] [--log-format text|json]
 *                  [--debug] COMMAND [OPTIONS] ARGS
 *
 * The commands and their options are tables (src/cli); a message goes to
 * the log (--log, which containerd and Docker read back) and to stderr. */
#include "runtime.h"

#include "linux/process.h"

#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef KAPSEL_VERSION
#define KAPSEL_VERSION "0.1.0"
#endif

static const struct cli_command *const commands[] = {
	&cmd_create, &cmd_start, &cmd_run, &cmd_state, &cmd_kill, &cmd_delete, &cmd_exec, &cmd_list,
	&cmd_spec, &cmd_features, &cmd_policy, &cmd_ps, &cmd_pause, &cmd_resume, &cmd_update, &cmd_events,
	NULL,
};

static const char *const log_formats[] = { "text", "json", NULL };

static const struct cli_option global_options[] = {
	CLI_OPT_STRING(0, "root", struct globals, root, "DIR", "state directory (default /run/kapsel)"),
	CLI_OPT_STRING(0, "log", struct globals, log, "FILE", "write messages to FILE instead of stderr"),
	CLI_OPT_CHOICE(0, "log-format", struct globals, log_json, log_formats, "format of the log (default text)"),
	CLI_OPT_FLAG(0, "debug", struct globals, debug, "log debug messages too"),
	CLI_OPT_STRING(0, "policy", struct globals, policy, "FILE", "hardening policy (default /etc/kapsel/policy.conf)"),
	CLI_OPT_FLAG(0, "systemd-cgroup", struct globals, systemd_cgroup,
		     "accepted for runc compatibility; cgroups are set up through cgroupfs"),
	CLI_OPT_IGNORE(0, "rootless", "VALUE", "accepted for runc compatibility; no effect"),
	CLI_OPT_IGNORE(0, "criu", "PATH", "accepted for runc compatibility; no effect"),
	CLI_OPT_END,
};

static void report(const char *msg)
{
	klog_error("%s", msg);
	/* with --log, the client reads the file; stderr still tells a human */
	if (klog_fd() != 2)
		fprintf(stderr, "kapsel-runtime: %s\n", msg);
}

int fail(const kerr *e)
{
	report(e->msg);
	/* a program that cannot start: Docker's 127 (not found) and 126 */
	int st = kproc_exec_status(e);
	return st ? st : CLI_EXIT_FAILURE;
}

static int setup(const struct cli_call *c)
{
	struct globals *g = c->globals;
	if (g->root[0] != '/')
		return cli_usage_error(c, "--root must be an absolute path, not \"%s\"", g->root);
	/* the policy file: --policy, else $KAPSEL_POLICY, else the library's default */
	if (!g->policy || !*g->policy) {
		const char *env = getenv("KAPSEL_POLICY");
		g->policy = env && *env ? env : NULL;
	}
	/* the compiled-seccomp cache: $KAPSEL_SECCOMP_CACHE ("" turns it off) */
	const char *cache = getenv("KAPSEL_SECCOMP_CACHE");
	g->ctx = (struct kctx){ .state_root = g->root, .policy = g->policy,
				.seccomp_cache = cache ? cache : KCTX_SECCOMP_CACHE, .self_argv = g->argv };
	klog_set_ident("kapsel-runtime");
	if (klog_open(g->log, g->log_json ? KLOG_JSON : KLOG_TEXT, g->debug) < 0) {
		fprintf(stderr, "kapsel-runtime: open log %s: %m\n", g->log);
		return CLI_EXIT_FAILURE;
	}
	return 0;
}

static const struct cli_program program = {
	.name = "kapsel-runtime",
	.summary = "An OCI runtime with runc's command line and a hardening policy.",
	.description = "Docker, Podman, containerd and a kubelet call it as they call runc.  Exit status: 0 success,\n"
		       "1 failure, 2 usage error; run and exec exit with the program's status (docs/cli.md).\n",
	.version = "kapsel-runtime version " KAPSEL_VERSION "\nspec: 1.2.0\n",
	.options = global_options,
	.commands = commands,
	.flags = CLI_PROG_SINGLE_DASH_LONG | CLI_PROG_ABBREV,
	.setup = setup,
	.report = report,
};

int main(int argc, char **argv)
{
	struct globals g = { .root = "/run/kapsel", .argv = argv };
	static char root[4096];
	kproc_runtime_umask();
	if (getenv("XDG_RUNTIME_DIR") && geteuid() != 0) {
		snprintf(root, sizeof(root), "%s/kapsel", getenv("XDG_RUNTIME_DIR"));
		g.root = root;
	}
	return cli_main(&program, &g, argc, argv);
}
