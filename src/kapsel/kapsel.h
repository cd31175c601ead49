/* kapsel: the engine and the tools around the runtime, on libkapsel.
 * main.c holds the command table (src/cli); one file per command. */
#ifndef KAPSEL_KAPSEL_H
#define KAPSEL_KAPSEL_H

#include "cli.h"
#include "common/err.h"

struct kstore;

/* kapsel's global options (before the command). */
struct kapsel_globals {
	const char *root;   /* the image store (--root, default KSTORE_ROOT) */
};

extern const struct cli_command cmd_audit;
extern const struct cli_command cmd_load;
extern const struct cli_command cmd_images;
extern const struct cli_command cmd_image;
extern const struct cli_command cmd_tag;
extern const struct cli_command cmd_rmi;
extern const struct cli_command cmd_image_sign;
extern const struct cli_command cmd_image_verify;

/* Open the image store of --root with lock MODE (KSTORE_SHARED or
 * KSTORE_EXCLUSIVE); on failure the error is reported and the exit code
 * returned (> 0). */
int kapsel_store(const struct cli_call *c, int mode, struct kstore **out);

#endif
