/* kapsel system df: the image store's disk use in `docker system df`'s
 * columns (TYPE TOTAL ACTIVE SIZE RECLAIMABLE), or one JSON object with
 * --format json.  Containers are the engine's: this is the images row. */
#include "kapsel.h"

#include "common/units.h"
#include "image/store.h"

#include <inttypes.h>
#include <stdio.h>

struct df_args {
	int format;
};

static const char *const formats[] = { "table", "json", NULL };

static const struct cli_option df_options[] = {
	CLI_OPT_CHOICE(0, "format", struct df_args, format, formats, "output format (default table)"),
	CLI_OPT_END,
};

static int df_run(const struct cli_call *c)
{
	const struct df_args *a = c->opts;
	struct kstore *s;
	int rc = kapsel_store(c, KSTORE_SHARED, &s);
	if (rc)
		return rc;
	kerr e = { 0 };
	struct kstore_df df;
	rc = kstore_df(s, &df, &e);
	kstore_close(s);
	if (rc < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	char size[32], rec[32], pct[16] = "";
	kunits_human_size(df.size, size, sizeof(size));
	kunits_human_size(df.reclaimable, rec, sizeof(rec));
	if (df.size > 0)
		snprintf(pct, sizeof(pct), " (%d%%)", (int)(df.reclaimable * 100 / df.size));
	if (a->format == 1)
		printf("{\"Active\":\"%zu\",\"Reclaimable\":\"%s%s\",\"Size\":\"%s\",\"TotalCount\":\"%zu\",\"Type\":\"Images\","
		       "\"SizeBytes\":%" PRId64 ",\"ReclaimableBytes\":%" PRId64 "}\n",
		       df.active, rec, pct, size, df.images, df.size, df.reclaimable);
	else
		printf("%-15s %-9s %-9s %-9s %s\n%-15s %-9zu %-9zu %-9s %s%s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE",
		       "RECLAIMABLE", "Images", df.images, df.active, size, rec, pct);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static const struct cli_command cmd_system_df = {
	.name = "df",
	.run = df_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "show the image store's disk use",
	CLI_CMD_OPTIONS(struct df_args, df_options),
};

static const struct cli_command *const system_commands[] = { &cmd_system_df, NULL };

const struct cli_command cmd_system = {
	.name = "system",
	.min_args = 0,
	.max_args = -1,
	.summary = "manage kapsel (df)",
	.subcommands = system_commands,
};
