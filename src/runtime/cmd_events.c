/* events [--stats] [--interval DURATION] ID
 *
 * --stats: one {"type":"stats","id":ID,"data":{...}} line and exit.
 * Otherwise a stats event every interval (default 5s) and an
 * {"type":"oom","id":ID} event each time the OOM killer strikes in the
 * container, one JSON object a line, until the container stops. */
#include "runtime.h"

#include "common/units.h"
#include "container/container.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_events(struct globals *g, int argc, char **argv);

static int print_line(void *ctx, const char *json)
{
	(void)ctx;
	if (puts(json) == EOF || fflush(stdout) == EOF)
		return -1;
	return 0;
}

int cmd_events(struct globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stats", no_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ 0 },
	};
	int c, stats = 0;
	int64_t interval = 5000000000LL;
	kerr e = { 0 };
	while ((c = getopt_long_only(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 's') {
			stats = 1;
		} else if (c == 'i') {
			if (kunits_parse_duration("--interval", optarg, &interval, &e) < 0)
				return usage_error("events", "%s", e.msg);
			if (interval <= 0)
				return usage_error("events", "--interval must be greater than 0, not \"%s\"", optarg);
		} else {
			return usage_error("events", "unknown option %s", argv[optind - 1]);
		}
	}
	const char *id = one_id("events", argc, argv, optind);
	if (!id)
		return EXIT_USAGE;
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
