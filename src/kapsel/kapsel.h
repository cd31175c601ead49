/* kapsel: the engine and the tools around the runtime, on libkapsel.
 * main.c dispatches to one file per command. */
#ifndef KAPSEL_KAPSEL_H
#define KAPSEL_KAPSEL_H

#include "common/err.h"

/* Each command parses its own options (argv[0] is the command name) and
 * returns the process exit code. */
typedef int (*kapsel_cmd_fn)(int argc, char **argv);

int cmd_audit(int argc, char **argv);

/* Print "kapsel: MSG" on stderr and return 3 (a runtime error). */
int kapsel_fail(const kerr *e);
/* Usage error for CMD: message on stderr, exit code 2. */
int kapsel_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define KAPSEL_EXIT_FINDINGS 1
#define KAPSEL_EXIT_USAGE 2
#define KAPSEL_EXIT_ERROR 3

#endif
