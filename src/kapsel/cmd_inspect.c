/* kapsel inspect [--format json|TEMPLATE] CONTAINER...: Docker's inspect
 * objects (Id, Name, State, Config, HostConfig, Mounts, NetworkSettings,
 * GraphDriver ...): a JSON array, one JSON object per line with
 * --format json, or a Go template per container (engine/template.h). */
#include "kapsel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct inspect_args {
	const char *format;
};

static const struct cli_option inspect_options[] = {
	CLI_OPT_STRING('f', "format", struct inspect_args, format, "json|TEMPLATE", "one line per container"),
	CLI_OPT_END,
};

static int inspect_one(const struct cli_call *c, struct keng *g, const char *ref, json_object **out, kerr *e)
{
	char id[65];
	if (kapsel_container(c, g, ref, id))
		return 1;
	return keng_inspect(g, id, out, e) < 0 ? -1 : 0;
}

static int inspect_run(const struct cli_call *c)
{
	const struct inspect_args *a = c->opts;
	return kapsel_inspect_each(c, a->format, inspect_one);
}

const struct cli_command cmd_inspect = {
	.name = "inspect",
	.run = inspect_run,
	.min_args = 1,
	.max_args = -1,
	.args = "CONTAINER...",
	.summary = "show containers as Docker's inspect JSON",
	CLI_CMD_OPTIONS(struct inspect_args, inspect_options),
};
