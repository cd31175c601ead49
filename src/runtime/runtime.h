/* kapsel-runtime: the runc command line on top of libkapsel. */
#ifndef KAPSEL_RUNTIME_H
#define KAPSEL_RUNTIME_H

#include "common/err.h"

struct globals {
	const char *root;
	const char *log;
	const char *log_format;
	int debug;
	int systemd_cgroup;
	const char *policy;     /* --policy FILE */
	char **argv;            /* the full argv, for a sealed re-exec */
};

/* Each command parses its own options from argc/argv (argv[0] is the
 * command name) and returns the process exit code. */
typedef int (*cmd_fn)(struct globals *g, int argc, char **argv);

int cmd_create(struct globals *g, int argc, char **argv);
int cmd_start(struct globals *g, int argc, char **argv);
int cmd_run(struct globals *g, int argc, char **argv);
int cmd_state(struct globals *g, int argc, char **argv);
int cmd_kill(struct globals *g, int argc, char **argv);
int cmd_delete(struct globals *g, int argc, char **argv);
int cmd_exec(struct globals *g, int argc, char **argv);
int cmd_list(struct globals *g, int argc, char **argv);
int cmd_spec(struct globals *g, int argc, char **argv);
int cmd_features(struct globals *g, int argc, char **argv);
int cmd_policy(struct globals *g, int argc, char **argv);
int cmd_ps(struct globals *g, int argc, char **argv);
int cmd_pause(struct globals *g, int argc, char **argv);
int cmd_resume(struct globals *g, int argc, char **argv);
int cmd_update(struct globals *g, int argc, char **argv);
int cmd_events(struct globals *g, int argc, char **argv);

/* Print the error (log + stderr) and return 1. */
int fail(const kerr *e);
/* Usage error for CMD: message and exit code 2. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wants exactly one positional argument (the container id). */
const char *one_id(const char *cmd, int argc, char **argv, int optind_);

#define EXIT_USAGE 2

#endif
