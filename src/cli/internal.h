/* Inside src/cli: shared by the parser, the values and the help. */
#ifndef KAPSEL_CLI_INTERNAL_H
#define KAPSEL_CLI_INTERNAL_H

#include "cli.h"

/* Store VALUE (for a flag NULL or "true", or "false") for option O in DEST; NAME is how messages
 * call the option ("--interval").  0, or -1 with *E set. */
int cli_set_value(const struct cli_option *o, void *dest, const char *name, const char *value, kerr *e);

/* The rows of OPTS with the CLI_T_INCLUDE tables spliced in, in order,
 * then the --help row, NULL-terminated (malloc'ed; the rows are OPTS');
 * NULL when out of memory. */
const struct cli_option **cli_flatten(const struct cli_option *opts);

/* The canonical name of O in messages: "--name", else "-x". */
const char *cli_option_name(const struct cli_option *o, char *buf, size_t len);

/* The options table of a command (static or built at run time). */
const struct cli_option *cli_command_options(const struct cli_command *c);

/* The --version row of a program that has a version. */
extern const struct cli_option cli_version_row[];

/* The usage line and a pointer to --help, after a usage error. */
void cli_print_usage_hint(const struct cli_call *c, FILE *f);

#endif
