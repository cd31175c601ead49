/* kapsel run IMAGE [COMMAND [ARG...]]: create and start a container.
 * In the foreground (the default) kapsel holds it: its stdout and stderr
 * are the container's, stdin too with -i, signals are passed on, and the
 * exit code is the container's.  -d starts it under kapsel-supervise and
 * prints its ID once it runs.  kapsel's own failures exit with 125, as
 * Docker's (docs/run.md). */
#include "kapsel.h"

#include "engine/engine.h"

#include <stdio.h>

struct run_args {
	struct create_args c; /* first: the shared option table fills it */
	int detach;
};

static const struct run_args run_defaults = { .c = CREATE_DEFAULTS };

static const struct cli_option run_options[] = {
	CLI_OPT_INCLUDE(create_options),
	CLI_OPT_FLAG('d', "detach", struct run_args, detach, "run in the background and print the ID"),
	CLI_OPT_END,
};

static int run_run(const struct cli_call *c)
{
	const struct run_args *a = c->opts;
	struct keng *g;
	int rc = kapsel_engine(c, KENG_EXCLUSIVE, &g);
	if (rc)
		return rc == CLI_EXIT_USAGE ? rc : KAPSEL_RUN_FAILED;
	char id[65];
	if ((rc = kapsel_create_container(c, g, id))) {
		keng_close(g);
		return rc;
	}
	kerr e = { 0 };
	if (a->detach) {
		if (keng_start(g, id, &e) < 0) {
			kerr ig = { 0 };
			/* the container goes again: so does the ID we wrote for it */
			if (keng_remove(g, id, true, true, &ig) == 0)
				kapsel_cidfile_remove(a->c.cidfile, id);
			keng_close(g);
			return cli_error(c, KAPSEL_RUN_FAILED, "%s", e.msg);
		}
		keng_close(g);
		printf("%s\n", id);
		return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
	}
	fflush(stdout);
	int code = keng_run_foreground(g, id, a->c.o.interactive, &e);
	if (code < 0)
		cli_error(c, KAPSEL_RUN_FAILED, "%s", e.msg);
	struct keng_state st;
	kerr se = { 0 };
	if (code > 0 && keng_state(g, id, &st, &se) == 0 && st.hint[0])
		fprintf(stderr, "kapsel: %s\n", st.hint);
	if (a->c.o.auto_remove) {
		kerr re = { 0 };
		if (keng_remove(g, id, true, true, &re) < 0)
			cli_error(c, KAPSEL_RUN_FAILED, "%s", re.msg);
	}
	keng_close(g);
	return code < 0 ? KAPSEL_RUN_FAILED : code;
}

const struct cli_command cmd_run = {
	.name = "run",
	.run = run_run,
	.min_args = 1,
	.max_args = -1,
	.args = "IMAGE [COMMAND [ARG...]]",
	.summary = "run a container with the hardened defaults (docs/run.md)",
	.flags = CLI_CMD_OPTIONS_FIRST,
	.defaults = &run_defaults,
	CLI_CMD_OPTIONS(struct run_args, run_options),
};
