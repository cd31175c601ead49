/* kapsel start CONTAINER...: start created or exited containers under
 * kapsel-supervise; prints each name as given, as Docker does.
 *
 * kapsel start --all-restartable: what a daemon does when it comes back,
 * for a host that has none: after a reboot (the systemd unit and the init
 * script in data/ call it) every container its restart policy wants up is
 * started again, its overlay root and network namespace mounted anew:
 *   always          started, even if it was stopped by hand (Docker's rule)
 *   unless-stopped  started unless `stop` or `kill` put it down
 *   on-failure[:N]  started if it was running when the host went down
 *   no              left alone */
#include "kapsel.h"

#include "common/json.h"
#include "common/strv.h"

#include <string.h>

struct start_args {
	int all_restartable;
};

static const struct cli_option start_options[] = {
	CLI_OPT_FLAG(0, "all-restartable", struct start_args, all_restartable,
		     "start every container its restart policy wants running (after a reboot)"),
	CLI_OPT_END,
};

static int start_one(const struct cli_call *c, struct keng *g, const char *id, kerr *e)
{
	(void)c;
	return keng_start(g, id, e);
}

/* Whether the restart policy of the container (state ST) wants it up. */
static bool wanted(const struct keng *g, const char *id, const struct keng_state *st, json_object *rec)
{
	const char *policy = kj_get_str(kj_get(kj_get(rec, "HostConfig"), "RestartPolicy"), "Name") ?: "no";
	if (!strcmp(st->status, "running") || !strcmp(st->status, "restarting") || !strcmp(st->status, "paused"))
		return false; /* up already: its supervisor survived */
	if (!strcmp(policy, "always"))
		return true;
	if (!strcmp(policy, "unless-stopped"))
		return !keng_stopped_by_user(g, id);
	if (!strcmp(policy, "on-failure"))
		return !strcmp(st->status, "dead") && !keng_stopped_by_user(g, id);
	return false;
}

static int start_all(const struct cli_call *c)
{
	struct keng *g;
	int rc = kapsel_engine(c, KENG_SHARED, &g);
	if (rc)
		return rc;
	char **ids = NULL;
	kerr e = { 0 };
	if (keng_list(g, &ids, &e) < 0) {
		keng_close(g);
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	}
	for (char **p = ids; *p; p++) {
		struct keng_state st;
		json_object *rec = NULL;
		kerr_clear(&e);
		keng_relock(g, KENG_SHARED, &e);
		if (keng_state(g, *p, &st, &e) < 0 || keng_inspect(g, *p, &rec, &e) < 0) {
			json_object_put(rec);
			continue; /* removed meanwhile */
		}
		bool want = wanted(g, *p, &st, rec);
		const char *name = kj_get_str(rec, "Name") ?: *p;
		name += *name == '/';
		if (want && keng_start(g, *p, &e) < 0)
			rc = cli_error(c, CLI_EXIT_FAILURE, "%s: %s", name, e.msg);
		else if (want)
			printf("%s\n", name);
		fflush(stdout);
		json_object_put(rec);
	}
	kstrv_free(ids);
	keng_close(g);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

static int start_run(const struct cli_call *c)
{
	const struct start_args *a = c->opts;
	if (a->all_restartable) {
		if (c->argc)
			return cli_usage_error(c, "--all-restartable takes no CONTAINER");
		return start_all(c);
	}
	if (!c->argc)
		return cli_usage_error(c, "give a CONTAINER, or --all-restartable");
	return kapsel_each_container(c, start_one, true);
}

const struct cli_command cmd_start = {
	.name = "start",
	.run = start_run,
	.min_args = 0,
	.max_args = -1,
	.args = "CONTAINER...",
	.summary = "start containers (detached, under kapsel-supervise)",
	CLI_CMD_OPTIONS(struct start_args, start_options),
};
