/* events [--stats] [--interval DURATION] ID
 *
 * --stats: one {"type":"stats","id":ID,"data":{...}} line and exit.
 * Otherwise a stats event every interval (default 5s) and an
 * {"type":"oom","id":ID} event each time the OOM killer strikes in the
 * container, one JSON object a line, until the container stops. */
#include "runtime.h"

#include "common/units.h"
#include "container/container.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int print_line(void *ctx, const char *json)
{
	(void)ctx;
	if (puts(json) == EOF || fflush(stdout) == EOF)
		return -1;
	return 0;
}

struct events_args {
	int stats;
	int64_t interval;
};

static const struct events_args events_defaults = { .interval = 5000000000LL };

static const struct cli_option events_options[] = {
	CLI_OPT_FLAG(0, "stats", struct events_args, stats, "print the resource usage once and exit"),
	CLI_OPT_DURATION(0, "interval", struct events_args, interval, "DURATION", 1, CLI_NO_MAX,
			 "time between two stats events (default 5s)"),
	CLI_OPT_END,
};

static int events_run(const struct cli_call *c)
{
	const struct globals *g = c->globals;
	const struct events_args *a = c->opts;
	const char *id = c->argv[0];
	int stats = a->stats;
	int64_t interval = a->interval;
	kerr e = { 0 };
	if (stats) {
		json_object *data;
		if (kcontainer_stats(g->root, id, &data, &e) < 0)
			return fail(&e);
		char *line = kevent_json("stats", id, data);
		json_object_put(data);
		if (!line) {
			kerr_set(&e, 12, "events: out of memory");
			return fail(&e);
		}
		print_line(NULL, line);
		free(line);
		return 0;
	}
	if (kcontainer_events(g->root, id, interval, print_line, NULL, &e) < 0)
		return fail(&e);
	return 0;
}

const struct cli_command cmd_events = {
	.name = "events",
	.run = events_run,
	.min_args = 1,
	.max_args = 1,
	.args = "ID",
	.summary = "stream a container's resource usage and OOM events",
	.description = "One JSON object a line: {\"type\":\"stats\",...} every interval and {\"type\":\"oom\"} each time\n"
		       "the OOM killer strikes in the container, until it stops.\n",
	CLI_CMD_OPTIONS(struct events_args, events_options),
	.defaults = &events_defaults,
};
