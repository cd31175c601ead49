/* kapsel volume create|ls|inspect|rm|prune: Docker's local volumes,
 * under ROOT/volumes/NAME/_data (docs/run.md, "Volumes"). */
#include "kapsel.h"

#include "common/json.h"
#include "common/strv.h"

#include <errno.h>

#include <stdio.h>
#include <string.h>

struct vcreate_args {
	char **labels;
};

static int vcreate_run(const struct cli_call *c)
{
	const struct vcreate_args *a = c->opts;
	struct keng *g;
	int rc = kapsel_engine(c, KENG_EXCLUSIVE, &g);
	if (rc)
		return rc;
	char name[256];
	kerr e = { 0 };
	rc = keng_volume_create(g, c->argc ? c->argv[0] : NULL, a->labels, name, &e);
	keng_close(g);
	if (rc < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	printf("%s\n", name);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static const struct cli_option vcreate_options[] = {
	CLI_OPT_STRV('l', "label", struct vcreate_args, labels, "KEY=VALUE", "a label"),
	CLI_OPT_END,
};

static const struct cli_command cmd_volume_create = {
	.name = "create",
	.run = vcreate_run,
	.min_args = 0,
	.max_args = 1,
	.args = "[NAME]",
	.summary = "create a volume (an existing NAME is kept as it is)",
	CLI_CMD_OPTIONS(struct vcreate_args, vcreate_options),
};

struct vls_args {
	const char *format;
	int quiet;
};

/* ls --format json: Docker's keys for one volume. */
static json_object *ls_obj(json_object *v)
{
	json_object *o = json_object_new_object(), *l = kj_get(v, "Labels");
	char labels[4096] = "";
	if (l && json_object_is_type(l, json_type_object)) {
		json_object_object_foreach(l, k, val)
		{
			size_t n = strlen(labels);
			snprintf(labels + n, sizeof(labels) - n, "%s%s=%s", n ? "," : "", k,
				 json_object_get_string(val));
		}
	}
	static const char *const na[] = { "Availability", "Group", "Links", "Size", "Status", NULL };
	for (const char *const *k = na; *k; k++)
		json_object_object_add(o, *k, json_object_new_string("N/A"));
	json_object_object_add(o, "Driver", json_object_new_string(kj_get_str(v, "Driver") ?: "local"));
	json_object_object_add(o, "Labels", json_object_new_string(labels));
	json_object_object_add(o, "Mountpoint", json_object_new_string(kj_get_str(v, "Mountpoint") ?: ""));
	json_object_object_add(o, "Name", json_object_new_string(kj_get_str(v, "Name") ?: ""));
	json_object_object_add(o, "Scope", json_object_new_string("local"));
	return o;
}

static int vls_run(const struct cli_call *c)
{
	const struct vls_args *a = c->opts;
	struct keng *g;
	int rc = kapsel_format_check(c, a->format);
	if (rc || (rc = kapsel_engine(c, KENG_SHARED, &g)))
		return rc;
	char **names = NULL;
	kerr e = { 0 };
	if (keng_volume_list(g, &names, &e) < 0) {
		keng_close(g);
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	}
	if (!a->quiet && !a->format)
		printf("%-10s%s\n", "DRIVER", "VOLUME NAME");
	for (char **n = names; *n; n++) {
		json_object *v = NULL;
		if (a->quiet) {
			printf("%s\n", *n);
			continue;
		}
		if (keng_volume_inspect(g, *n, &v, &e) < 0) {
			kerr_clear(&e);
			continue; /* removed meanwhile */
		}
		if (a->format) {
			json_object *o = ls_obj(v);
			int r = kapsel_format_print(c, a->format, o);
			rc = r ? r : rc;
			json_object_put(o);
		} else
			printf("%-10s%s\n", kj_get_str(v, "Driver") ?: "local", *n);
		json_object_put(v);
	}
	kstrv_free(names);
	keng_close(g);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

static const struct cli_option vls_options[] = {
	CLI_OPT_STRING(0, "format", struct vls_args, format, "json|TEMPLATE", "one line per volume"),
	CLI_OPT_FLAG('q', "quiet", struct vls_args, quiet, "names only"),
	CLI_OPT_END,
};

static const struct cli_command cmd_volume_ls = {
	.name = "ls",
	.run = vls_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "list volumes",
	CLI_CMD_OPTIONS(struct vls_args, vls_options),
};

struct vinspect_args {
	const char *format;
};

static int vinspect_one(const struct cli_call *c, struct keng *g, const char *ref, json_object **out, kerr *e)
{
	(void)c;
	return keng_volume_inspect(g, ref, out, e) < 0 ? -1 : 0;
}

static int vinspect_run(const struct cli_call *c)
{
	const struct vinspect_args *a = c->opts;
	return kapsel_inspect_each(c, a->format, vinspect_one);
}

static const struct cli_option vinspect_options[] = {
	CLI_OPT_STRING('f', "format", struct vinspect_args, format, "json|TEMPLATE", "one line per volume"),
	CLI_OPT_END,
};

static const struct cli_command cmd_volume_inspect = {
	.name = "inspect",
	.run = vinspect_run,
	.min_args = 1,
	.max_args = -1,
	.args = "VOLUME...",
	.summary = "show volumes as Docker's inspect JSON",
	CLI_CMD_OPTIONS(struct vinspect_args, vinspect_options),
};

struct vrm_args {
	int force;
};

static int vrm_run(const struct cli_call *c)
{
	const struct vrm_args *a = c->opts;
	struct keng *g;
	int rc = kapsel_engine(c, KENG_EXCLUSIVE, &g);
	if (rc)
		return rc;
	for (int i = 0; i < c->argc; i++) {
		kerr e = { 0 };
		if (keng_volume_remove(g, c->argv[i], &e) < 0) {
			/* -f: a missing volume is fine; one in use never is (as Docker) */
			if (!(a->force && e.errnum == ENOENT))
				rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
			continue;
		}
		printf("%s\n", c->argv[i]);
	}
	keng_close(g);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

static const struct cli_option vrm_options[] = {
	CLI_OPT_FLAG('f', "force", struct vrm_args, force,
		     "no error for a volume that does not exist (one in use is still refused, as Docker's)"),
	CLI_OPT_END,
};

static const struct cli_command cmd_volume_rm = {
	.name = "rm",
	.run = vrm_run,
	.min_args = 1,
	.max_args = -1,
	.args = "VOLUME...",
	.summary = "remove volumes no container uses",
	CLI_CMD_OPTIONS(struct vrm_args, vrm_options),
};

struct vprune_args {
	int force, all;
};

static int vprune_run(const struct cli_call *c)
{
	const struct vprune_args *a = c->opts;
	struct keng *g;
	int rc = kapsel_engine(c, KENG_EXCLUSIVE, &g);
	if (rc)
		return rc;
	char **gone = NULL;
	kerr e = { 0 };
	rc = keng_volume_prune(g, a->all, &gone, &e);
	keng_close(g);
	if (rc < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	printf("Deleted Volumes:\n");
	for (char **n = gone; *n; n++)
		printf("%s\n", *n);
	kstrv_free(gone);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static const struct cli_option vprune_options[] = {
	CLI_OPT_FLAG('a', "all", struct vprune_args, all, "every unused volume, named ones too"),
	CLI_OPT_FLAG('f', "force", struct vprune_args, force,
		     "do not ask (kapsel never asks: accepted for Docker's scripts)"),
	CLI_OPT_END,
};

static const struct cli_command cmd_volume_prune = {
	.name = "prune",
	.run = vprune_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "remove the anonymous volumes no container uses (-a: every unused one)",
	CLI_CMD_OPTIONS(struct vprune_args, vprune_options),
};

static const struct cli_command *const volume_commands[] = {
	&cmd_volume_create, &cmd_volume_ls, &cmd_volume_inspect, &cmd_volume_rm, &cmd_volume_prune, NULL,
};

const struct cli_command cmd_volume = {
	.name = "volume",
	.min_args = 0,
	.max_args = -1,
	.summary = "manage volumes (create, ls, inspect, rm, prune)",
	.subcommands = volume_commands,
};
