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
extern const struct cli_command cmd_stats;
extern const struct cli_command cmd_monitor;

/* Where `stats` and `monitor` look for containers (monitor_src.c): the
 * options of struct kmon_sources.  A command's option struct has a struct
 * kmon_src_args as its FIRST member (the included rows' offsets are
 * relative to it) and includes them with KMON_SRC_OPTIONS(T, member). */
struct kmon_sources;
struct kmon_src_args {
	const char *runtime_root, *docker_host, *podman_root, *podman_runroot;
	char **task_roots;
};
extern const struct cli_option kmon_src_options[];
#define KMON_SRC_OPTIONS(T, m)                                                                           \
	{ .type = CLI_T_INCLUDE,                                                                         \
	  .data = kmon_src_options,                                                                      \
	  .offset = CLI_TYPE_IS(T, m, struct kmon_src_args) +                                            \
		    0 * sizeof(char[offsetof(T, m) == 0 ? 1 : -1]) }
void kmon_src_from_args(const struct kmon_src_args *a, struct kmon_sources *out);

/* Open the image store of --root with lock MODE (KSTORE_SHARED or
 * KSTORE_EXCLUSIVE); on failure the error is reported and the exit code
 * returned (> 0). */
int kapsel_store(const struct cli_call *c, int mode, struct kstore **out);

#endif
