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

static int inspect_run(const struct cli_call *c)
{
	const struct inspect_args *a = c->opts;
	kerr e = { 0 };
	struct keng *g;
	int rc = kapsel_format_check(c, a->format);
	if (rc || (rc = kapsel_engine(c, KENG_SHARED, &g)))
		return rc;
	json_object *all = json_object_new_array();
	for (int i = 0; i < c->argc; i++) {
		char id[65];
		json_object *o;
		if (kapsel_container(c, g, c->argv[i], id)) {
			rc = CLI_EXIT_FAILURE;
			continue;
		}
		if (keng_inspect(g, id, &o, &e) < 0) {
			rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
			continue;
		}
		if (a->format) {
			int r = kapsel_format_print(c, a->format, o);
			rc = r ? r : rc;
			json_object_put(o);
		} else
			json_object_array_add(all, o);
	}
	keng_close(g);
	if (!a->format)
		printf("%s\n", json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
									   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(all);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
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
