/* create [OPTIONS] ID: build the container up to the point where its
 * program waits for `start`.  Its options are run's too (cmd_run.c). */
#include "runtime.h"

#include "container/container.h"

const struct create_args create_defaults = { .k = { .bundle = ".", .console_fd_out = -1 } };

#define A struct create_args
const struct cli_option create_options[] = {
	CLI_OPT_STRING('b', "bundle", A, k.bundle, "DIR", "the bundle: config.json and the root (default .)"),
	CLI_OPT_STRING(0, "pid-file", A, k.pid_file, "FILE", "write the container's init pid to FILE"),
	CLI_OPT_STRING(0, "console-socket", A, k.console_socket, "PATH", "send the terminal's master fd to this unix socket"),
	CLI_OPT_INT(0, "preserve-fds", A, k.preserve_fds, "N", 0, 65536, "pass N more fds (from 3) to the program"),
	CLI_OPT_FLAG(0, "no-pivot", A, k.no_pivot, "do not use pivot_root to enter the root"),
	CLI_OPT_FLAG(0, "no-new-keyring", A, k.no_new_keyring, "keep the caller's session keyring"),
	CLI_OPT_IGNORE(0, "keep", NULL, "accepted for runc compatibility; no effect"),
	CLI_OPT_IGNORE(0, "no-subreaper", NULL, "accepted for runc compatibility; no effect"),
	CLI_OPT_END,
};
#undef A

void create_opts_fill(const struct cli_call *c, struct kcreate_opts *k)
{
	const struct globals *g = c->globals;
	*k = ((const struct create_args *)c->opts)->k;
	k->ctx = &g->ctx;
	k->id = c->argv[0];
}

static int create_run(const struct cli_call *c)
{
	struct kcreate_opts k;
	kerr e = { 0 };
	pid_t pid;
	create_opts_fill(c, &k);
	if (kcontainer_create(&k, &pid, &e) < 0)
		return fail(&e);
	return 0;
}

const struct cli_command cmd_create = {
	.name = "create",
	.run = create_run,
	.min_args = 1,
	.max_args = 1,
	.args = "ID",
	.summary = "create a container (the program waits for start)",
	.description = "Checks the config against the hardening policy, then builds the container up to the\n"
		       "point where its program waits: it never runs before 'start'.\n",
	CLI_CMD_OPTIONS(struct create_args, create_options),
	.defaults = &create_defaults,
};
