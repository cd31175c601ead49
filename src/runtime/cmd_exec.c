/* exec [OPTIONS] ID [CMD ARGS...]: another process in a running container. */
#include "runtime.h"

#include "common/log.h"
#include "container/container.h"
#include "container/exec.h"
#include "linux/lsm.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

struct exec_args {
	struct kexec_opts k;
	int detach;
	const char *apparmor, *process_label, *cgroup;
};

static const struct exec_args exec_defaults = { .k = { .tty = -1, .console_fd_out = -1 } };

#define A struct exec_args
static const struct cli_option exec_options[] = {
	CLI_OPT_STRING('p', "process", A, k.process_file, "FILE", "the process as an OCI process object (instead of CMD)"),
	CLI_OPT_FLAG('t', "tty", A, k.tty, "give the process a terminal"),
	CLI_OPT_FLAG('d', "detach", A, detach, "return once the process runs; do not wait for it"),
	CLI_OPT_STRING(0, "pid-file", A, k.pid_file, "FILE", "write the process's host pid to FILE"),
	CLI_OPT_STRING(0, "console-socket", A, k.console_socket, "PATH", "send the terminal's master fd to this unix socket"),
	CLI_OPT_STRING(0, "cwd", A, k.cwd, "DIR", "working directory in the container"),
	CLI_OPT_STRV('e', "env", A, k.env, "KEY=VALUE", "set an environment variable (repeatable)"),
	CLI_OPT_STRING('u', "user", A, k.user, "UID[:GID]", "run as this user"),
	CLI_OPT_STRV('g', "additional-gids", A, k.additional_gids, "GID", "an additional group (repeatable)"),
	CLI_OPT_STRV(0, "cap", A, k.caps, "CAP", "an additional capability (repeatable)"),
	CLI_OPT_FLAG(0, "no-new-privs", A, k.no_new_privs, "set no_new_privs for the process"),
	CLI_OPT_INT(0, "preserve-fds", A, k.preserve_fds, "N", 0, 65536, "pass N more fds (from 3) to the process"),
	CLI_OPT_FLAG(0, "ignore-paused", A, k.ignore_paused, "exec in a paused container too"),
	CLI_OPT_STRING(0, "apparmor", A, apparmor, "PROFILE", "AppArmor profile (default: the container's)"),
	CLI_OPT_STRING(0, "process-label", A, process_label, "LABEL", "SELinux label (none on this host)"),
	CLI_OPT_STRING(0, "cgroup", A, cgroup, "PATH", "join a sub-cgroup (not supported)"),
	CLI_OPT_END,
};
#undef A

static int exec_run(const struct cli_call *c)
{
	const struct globals *g = c->globals;
	struct exec_args *a = c->opts;
	struct kexec_opts o = a->k;
	int detach = a->detach, argc = c->argc, next = 0;
	char **argv = c->argv;
	kerr e = { 0 };

	struct klsm_host lsm;
	klsm_detect("", &lsm);
	if (a->apparmor && strcmp(a->apparmor, "unconfined") && !lsm.apparmor)
		return cli_usage_error(c, "--apparmor %s: this host has no AppArmor", a->apparmor);
	if (a->process_label && *a->process_label)
		return cli_usage_error(c, "--process-label %s: this host has no SELinux", a->process_label);
	if (a->cgroup)
		return cli_usage_error(c, "--cgroup: joining a sub-cgroup is not supported");
	o.ctx = &g->ctx;
	o.apparmor = a->apparmor;
	o.id = argv[next++];
	if (!o.process_file && next >= argc)
		return cli_usage_error(c, "a command (or --process FILE) is required");
	if (o.process_file && next < argc)
		return cli_usage_error(c, "give either --process or a command, not both");
	o.args = argv + next;
	o.keep_parent = !detach;
	if (!detach)
		prctl(PR_SET_CHILD_SUBREAPER, 1); /* the process is our grandchild */

	sigset_t blocked;
	if (o.keep_parent)
		kcontainer_block_signals(&blocked);
	pid_t pid;
	int r = kcontainer_exec(&o, &pid, &e);
	if (r < 0)
		return fail(&e);
	if (detach)
		return 0;
	int code = kcontainer_wait_forward(pid, o.console_fd_out, &e);
	if (code < 0)
		return fail(&e);
	return code;
}

const struct cli_command cmd_exec = {
	.name = "exec",
	.run = exec_run,
	.min_args = 1,
	.max_args = -1,
	.args = "ID [CMD [ARGS...]]",
	.summary = "run another process in a running container",
	.description = "The process joins the container's cgroup and every namespace, and gets the same\n"
		       "capabilities, no_new_privs, seccomp filter, LSM profile and rlimits as the init.\n"
		       "Options end at ID: what follows is the command.  Without --detach, exec waits and exits\n"
		       "with the process's status.\n",
	CLI_CMD_OPTIONS(struct exec_args, exec_options),
	.defaults = &exec_defaults,
	.flags = CLI_CMD_OPTIONS_FIRST,
};
