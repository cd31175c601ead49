/* kapsel-runtime: the runc command line on top of libkapsel.  Each
 * cmd_<name>.c holds one command: its options struct and table, its row
 * for the command table (src/cli/cli.h) and its .run. */
#ifndef KAPSEL_RUNTIME_H
#define KAPSEL_RUNTIME_H

#include "cli.h"
#include "common/context.h"
#include "common/err.h"

/* The global options (before the command). */
struct globals {
	const char *root;
	const char *log;
	int log_json;           /* --log-format: 0 text, 1 json */
	int debug;
	int systemd_cgroup;
	const char *policy;     /* --policy FILE */
	char **argv;            /* the full argv, for a sealed re-exec */
	struct kctx ctx;        /* what the library is told (filled by setup) */
};

extern const struct cli_command cmd_create, cmd_start, cmd_run, cmd_state, cmd_kill, cmd_delete, cmd_exec, cmd_list,
	cmd_spec, cmd_features, cmd_policy, cmd_ps, cmd_pause, cmd_resume, cmd_update, cmd_events;

/* create and run share their options (cmd_create.c). */
#include "container/container.h"
struct create_args {
	struct kcreate_opts k;
	int detach; /* run only */
};
extern const struct cli_option create_options[];
extern const struct create_args create_defaults;
/* The library's options of create/run C: the parsed ones, the globals, the id. */
void create_opts_fill(const struct cli_call *c, struct kcreate_opts *k);

/* Print the error (log + stderr) and return 1. */
int fail(const kerr *e);

#endif
