/* kapsel: the engine and the tools around the runtime, on libkapsel.
 * main.c holds the command table (src/cli); one file per command. */
#ifndef KAPSEL_KAPSEL_H
#define KAPSEL_KAPSEL_H

#include "cli.h"
#include "common/err.h"

extern const struct cli_command cmd_audit;

#endif
