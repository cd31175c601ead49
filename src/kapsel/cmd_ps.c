/* kapsel ps [-a] [-q] [--no-trunc] [--format json|TEMPLATE]: containers
 * as `docker ps` shows them; --format json is one object per line with
 * Docker's keys (ID, Names, Image, Command, CreatedAt, RunningFor, State,
 * Status, Ports, Labels, Mounts, Networks, LocalVolumes, Size). */
#include "kapsel.h"

#include "common/json.h"
#include "common/strv.h"
#include "common/time.h"
#include "common/units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ps_args {
	int all, quiet, no_trunc;
	const char *format;
};

static const struct cli_option ps_options[] = {
	CLI_OPT_FLAG('a', "all", struct ps_args, all, "every container (default: running ones)"),
	CLI_OPT_FLAG('q', "quiet", struct ps_args, quiet, "IDs only"),
	CLI_OPT_FLAG(0, "no-trunc", struct ps_args, no_trunc, "full IDs and commands"),
	CLI_OPT_STRING(0, "format", struct ps_args, format, "json|TEMPLATE", "one line per container"),
	CLI_OPT_END,
};

static int64_t age(const char *t)
{
	struct timespec ts;
	if (!t || !*t || ktime_parse(t, &ts) < 0)
		return 0;
	int64_t d = (int64_t)time(NULL) - ts.tv_sec;
	return d > 0 ? d : 0;
}

/* "\"sh -c 'x'\"" as Docker shows Command. */
static char *command(json_object *o, bool trunc)
{
	size_t cap = 256, n = 0;
	char *s = calloc(1, cap);
	const char *path = kj_get_str(o, "Path");
	json_object *args = kj_get(o, "Args");
	if (!s)
		return NULL;
	n = (size_t)snprintf(s, cap, "%s", path ? path : "");
	for (size_t i = 0; args && i < json_object_array_length(args) && n < cap - 1; i++)
		n += (size_t)snprintf(s + n, cap - n, " %s", kj_str(json_object_array_get_idx(args, i)));
	if (trunc && strlen(s) > 20) {
		s[19] = 0;
		strcat(s, "…");
	}
	char *q = NULL;
	if (asprintf(&q, "\"%s\"", s) < 0)
		q = NULL;
	free(s);
	return q;
}

static json_object *row(json_object *o, bool trunc)
{
	json_object *st = kj_get(o, "State"), *cfg = kj_get(o, "Config"), *r = json_object_new_object();
	const char *status = kj_get_str(st, "Status") ?: "";
	char id[65], human[64], stext[160];
	snprintf(id, sizeof(id), trunc ? "%.12s" : "%s", kj_get_str(o, "Id") ?: "");
	if (!strcmp(status, "running") || !strcmp(status, "paused")) {
		kunits_human_duration(age(kj_get_str(st, "StartedAt")), human, sizeof(human));
		snprintf(stext, sizeof(stext), "Up %s%s", human, !strcmp(status, "paused") ? " (Paused)" : "");
	} else if (!strcmp(status, "exited")) {
		kunits_human_duration(age(kj_get_str(st, "FinishedAt")), human, sizeof(human));
		snprintf(stext, sizeof(stext), "Exited (%lld) %s ago", (long long)kj_get_i64(st, "ExitCode", 0), human);
	} else if (!strcmp(status, "created"))
		snprintf(stext, sizeof(stext), "Created");
	else
		snprintf(stext, sizeof(stext), "%c%s", status[0] - 32, status + 1);
	const char *err = kj_get_str(st, "Error");
	if (err && *err && !strcmp(status, "running"))
		snprintf(stext + strlen(stext), sizeof(stext) - strlen(stext), " (supervisor gone)");
	char *cmd = command(o, trunc);
	kunits_human_duration(age(kj_get_str(o, "Created")), human, sizeof(human));
	char ago[80];
	snprintf(ago, sizeof(ago), "%s ago", human);
	const char *name = kj_get_str(o, "Name") ?: "";
	json_object_object_add(r, "Command", json_object_new_string(cmd ? cmd : ""));
	free(cmd);
	json_object_object_add(r, "CreatedAt", json_object_new_string(kj_get_str(o, "Created") ?: ""));
	json_object_object_add(r, "ID", json_object_new_string(id));
	json_object_object_add(r, "Image", json_object_new_string(kj_get_str(cfg, "Image") ?: ""));
	char labels[1024] = "";
	json_object *lab = kj_get(cfg, "Labels");
	if (lab && json_object_is_type(lab, json_type_object)) {
		json_object_object_foreach(lab, k, v)
		{
			size_t l = strlen(labels);
			snprintf(labels + l, sizeof(labels) - l, "%s%s=%s", l ? "," : "", k, kj_str(v));
		}
	}
	json_object_object_add(r, "Labels", json_object_new_string(labels));
	/* Docker's: the volumes' names and the binds' sources; the count of volumes */
	char mounts[1024] = "", nvol[16];
	int vols = 0;
	json_object *ms = kj_get(o, "Mounts");
	for (size_t i = 0; ms && json_object_is_type(ms, json_type_array) && i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i);
		const char *t = kj_get_str(m, "Type") ?: "";
		const char *what = !strcmp(t, "volume") ? kj_get_str(m, "Name")
				   : !strcmp(t, "bind") ? kj_get_str(m, "Source")
							: NULL;
		vols += !strcmp(t, "volume");
		size_t l = strlen(mounts);
		if (what)
			snprintf(mounts + l, sizeof(mounts) - l, "%s%s", l ? "," : "", what);
	}
	snprintf(nvol, sizeof(nvol), "%d", vols);
	json_object_object_add(r, "LocalVolumes", json_object_new_string(nvol));
	json_object_object_add(r, "Mounts", json_object_new_string(mounts));
	json_object_object_add(r, "Names", json_object_new_string(*name == '/' ? name + 1 : name));
	json_object_object_add(r, "Networks",
			       json_object_new_string(kj_get_str(kj_get(o, "HostConfig"), "NetworkMode") ?: ""));
	char ports[1024] = "";
	json_object *pm = kj_get(kj_get(o, "NetworkSettings"), "Ports");
	if (json_object_is_type(pm, json_type_object)) {
		json_object_object_foreach(pm, pk, pv)
		{
			for (size_t i = 0; json_object_is_type(pv, json_type_array) && i < json_object_array_length(pv);
			     i++) {
				json_object *b = json_object_array_get_idx(pv, i);
				size_t l = strlen(ports);
				snprintf(ports + l, sizeof(ports) - l, "%s%s:%s->%s", l ? ", " : "",
					 kj_get_str(b, "HostIp") ?: "", kj_get_str(b, "HostPort") ?: "", pk);
			}
		}
	}
	json_object_object_add(r, "Ports", json_object_new_string(ports));
	json_object_object_add(r, "RunningFor", json_object_new_string(ago));
	json_object_object_add(r, "Size", json_object_new_string("0B"));
	json_object_object_add(r, "State", json_object_new_string(status));
	json_object_object_add(r, "Status", json_object_new_string(stext));
	return r;
}

static int ps_run(const struct cli_call *c)
{
	const struct ps_args *a = c->opts;
	kerr e = { 0 };
	struct keng *g;
	int rc = kapsel_format_check(c, a->format);
	if (rc || (rc = kapsel_engine(c, KENG_SHARED, &g)))
		return rc;
	json_object **all;
	size_t n;
	if (keng_ps_all(g, &all, &n, &e) < 0) {
		keng_close(g);
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	}
	if (!a->quiet && !a->format)
		printf("%-12s   %-20s %-22s %-15s %-26s %-10s %s\n", "CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
		       "STATUS", "PORTS", "NAMES");
	for (size_t i = 0; i < n; i++) {
		json_object *o = all[i];
		const char *status = kj_get_str(kj_get(o, "State"), "Status") ?: "";
		if (!a->all && strcmp(status, "running") && strcmp(status, "restarting") && strcmp(status, "paused")) {
			json_object_put(o);
			continue;
		}
		json_object *r = row(o, !a->no_trunc);
		if (a->quiet)
			printf("%s\n", kj_get_str(r, "ID"));
		else if (a->format) {
			int fr = kapsel_format_print(c, a->format, r);
			rc = fr ? fr : rc;
		} else
			printf("%-12s   %-20s %-22s %-15s %-26s %-10s %s\n", kj_get_str(r, "ID"),
			       kj_get_str(r, "Image"), kj_get_str(r, "Command"), kj_get_str(r, "RunningFor"),
			       kj_get_str(r, "Status"), kj_get_str(r, "Ports"), kj_get_str(r, "Names"));
		json_object_put(r);
		json_object_put(o);
	}
	free(all);
	keng_close(g);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_ps = {
	.name = "ps",
	.run = ps_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "list containers",
	CLI_CMD_OPTIONS(struct ps_args, ps_options),
};
