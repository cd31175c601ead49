/* What every container command shares: the store, the programs beside
 * kapsel, the config file, resolving a container reference. */
#include "kapsel.h"

#include "common/cleanup.h"
#include "common/events.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/str.h"
#include "common/strv.h"
#include "engine/convert.h"
#include "engine/template.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void kapsel_image_event(const struct cli_call *c, const char *action, const char *id, const char *name)
{
	const struct kapsel_globals *gl = c->globals;
	struct kevent_attr a[] = { { "name", name ? name : id, false } };
	struct kevent ev = { .type = "image", .action = action, .id = id, .attrs = a, .nattrs = 1 };
	kerr e = { 0 };
	if (kevent_append(gl->root, &ev, 0, &e) < 0)
		klog_warn("%s", e.msg);
}

int kapsel_run_failed(const struct cli_call *c)
{
	return c->cmd == &cmd_run ? KAPSEL_RUN_FAILED : CLI_EXIT_FAILURE;
}

const char *kapsel_conf_path(const struct cli_call *c)
{
	return ((const struct kapsel_globals *)c->globals)->config;
}

/* PROG beside /proc/self/exe, or in the build tree's SUBDIR; NULL if
 * neither exists. */
char *kapsel_find_beside(const char *prog, const char *subdir)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = 0;
	char *slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	char *p = kstr_printf("%s/%s", self, prog);
	if (p && access(p, X_OK) == 0)
		return p;
	free(p);
	p = kstr_printf("%s/../%s/%s", self, subdir, prog);
	if (p && access(p, X_OK) == 0)
		return p;
	free(p);
	return NULL;
}

int kapsel_engine(const struct cli_call *c, int mode, struct keng **out)
{
	const struct kapsel_globals *gl = c->globals;
	const char *rt_env = getenv("KAPSEL_RUNTIME"), *sup_env = getenv("KAPSEL_SUPERVISE");
	char *rt = rt_env && *rt_env ? strdup(rt_env) : kapsel_find_beside("kapsel-runtime", "runtime");
	char *sup = sup_env && *sup_env ? strdup(sup_env) : kapsel_find_beside("kapsel-supervise", "supervise");
	if (!rt) {
		free(sup);
		return cli_error(c, kapsel_run_failed(c),
				 "kapsel-runtime not found beside kapsel (install it there, or set KAPSEL_RUNTIME)");
	}
	char abs[PATH_MAX];
	kerr e = { 0 };
	int rc = keng_open(gl->root, mode, realpath(rt, abs) ? abs : rt, sup, out, &e);
	free(rt);
	free(sup);
	if (rc < 0)
		return cli_error(c, kapsel_run_failed(c), "%s", e.msg);
	return 0;
}

int kapsel_container(const struct cli_call *c, struct keng *g, const char *ref, char id[65])
{
	kerr e = { 0 };
	if (keng_resolve(g, ref, id, &e) < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	return 0;
}

int kapsel_each_container(const struct cli_call *c, kapsel_container_fn fn, bool print_ref)
{
	struct keng *g;
	int rc = kapsel_engine(c, KENG_SHARED, &g);
	if (rc)
		return rc;
	for (int i = 0; i < c->argc; i++) {
		char id[65];
		kerr e = { 0 };
		keng_relock(g, KENG_SHARED, &e);
		if (kapsel_container(c, g, c->argv[i], id)) {
			rc = CLI_EXIT_FAILURE;
			continue;
		}
		if (fn(c, g, id, &e) < 0)
			rc = cli_error(c, CLI_EXIT_FAILURE, "%s: %s", c->argv[i], e.msg);
		else if (print_ref)
			printf("%s\n", c->argv[i]);
		fflush(stdout);
	}
	keng_close(g);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

int kapsel_format_check(const struct cli_call *c, const char *format)
{
	kerr e = { 0 };
	if (format && strcmp(format, "json") && keng_template_check(format, &e) < 0)
		return cli_usage_error(c, "--format: %s", e.msg);
	return 0;
}

int kapsel_inspect_each(const struct cli_call *c, const char *format, kapsel_inspect_fn fn)
{
	struct keng *g;
	int rc = kapsel_format_check(c, format);
	if (rc || (rc = kapsel_engine(c, KENG_SHARED, &g)))
		return rc;
	json_object *all = json_object_new_array();
	for (int i = 0; i < c->argc; i++) {
		json_object *o;
		kerr e = { 0 };
		int r = fn(c, g, c->argv[i], &o, &e);
		if (r) {
			rc = r > 0 ? CLI_EXIT_FAILURE : cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
			continue;
		}
		if (format) {
			int fr = kapsel_format_print(c, format, o);
			rc = fr ? fr : rc;
			json_object_put(o);
		} else
			json_object_array_add(all, o);
	}
	keng_close(g);
	if (!format)
		printf("%s\n", json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
									   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(all);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

int kapsel_format_print(const struct cli_call *c, const char *format, json_object *o)
{
	if (!strcmp(format, "json")) {
		printf("%s\n",
		       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		return 0;
	}
	kerr e = { 0 };
	char *s = keng_template_apply(format, o, &e);
	if (!s)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	printf("%s\n", s);
	free(s);
	return 0;
}

int kapsel_env(const struct cli_call *c, char **env_files, char **env_args, char ***out)
{
	_cleanup_strv_ char **all = calloc(1, sizeof(char *)), **env = calloc(1, sizeof(char *));
	if (!all || !env)
		return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
	for (char **f = env_files; f && *f; f++) {
		kerr e = { 0 };
		_cleanup_free_ char *text = NULL;
		_cleanup_strv_ char **lines = NULL;
		if (kfs_read_file(*f, &text, NULL, &e) < 0 || keng_env_file_parse(*f, text, &lines, &e) < 0)
			return cli_error(c, CLI_EXIT_USAGE, "--env-file: %s", e.msg);
		for (char **l = lines; *l; l++)
			if (kstrv_add(&all, *l) < 0)
				return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
	}
	for (char **p = env_args; p && *p; p++)
		if (kstrv_add(&all, *p) < 0)
			return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
	for (char **p = all; *p; p++) {
		if (**p == '=')
			return cli_usage_error(c, "-e %s: an empty variable name", *p);
		if (strchr(*p, '=')) {
			if (kstrv_add(&env, *p) < 0)
				return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
			continue;
		}
		const char *v = getenv(*p);
		_cleanup_free_ char *kv = NULL;
		if (v && (asprintf(&kv, "%s=%s", *p, v) < 0 || kstrv_add(&env, kv) < 0))
			return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
	}
	*out = steal_ptr(env);
	return 0;
}
