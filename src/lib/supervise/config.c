#include "supervise/config.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/signals.h"

#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const restart_table[] = {
	[KSUP_RESTART_NO] = "no",
	[KSUP_RESTART_ON_FAILURE] = "on-failure",
	[KSUP_RESTART_ALWAYS] = "always",
	[KSUP_RESTART_UNLESS_STOPPED] = "unless-stopped",
};
KAPSEL_DEFINE_NAME_TABLE(ksup_restart, enum ksup_restart, restart_table);

static const char *const on_failure_table[] = {
	[KSUP_ON_FAILURE_NONE] = "none",
	[KSUP_ON_FAILURE_KILL] = "kill",
	[KSUP_ON_FAILURE_RESTART] = "restart",
	[KSUP_ON_FAILURE_STOP] = "stop",
};
KAPSEL_DEFINE_NAME_TABLE(ksup_on_failure, enum ksup_on_failure, on_failure_table);

static const char *const known_fields[] = {
	"id",    "name", "image",   "image_id",    "bundle",       "runtime",     "runtime_root", "tty",
	"stdin", "log",  "restart", "stop_signal", "stop_timeout", "healthcheck", "auto_remove",  "labels",
	"env",   "joins", NULL,
};

/* Fail on a member of object O not in KNOWN; PATH names O (NULL: the top
 * level, where the member itself is named). */
static int only_fields(struct jctx *j, json_object *o, const char *path, const char *const *known)
{
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		int ok = 0;
		for (const char *const *k = known; *k; k++)
			ok |= !strcmp(*k, key);
		if (!ok)
			return path ? kj_fail(j, path, "unknown field \"%s\"", key) : kj_fail(j, key, "unknown field");
	}
	return 0;
}

static int is_id(const char *s)
{
	size_t n = strlen(s);
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int required_str(struct jctx *j, json_object *o, const char *key, char **out)
{
	int r = kj_string(j, kj_get(o, key), key, out);
	if (r < 0)
		return -1;
	if (r == 0 || !**out)
		return kj_fail(j, key, "required");
	return 0;
}

static int absolute(struct jctx *j, json_object *o, const char *key, char **out)
{
	if (required_str(j, o, key, out) < 0)
		return -1;
	if ((*out)[0] != '/')
		return kj_fail(j, key, "must be an absolute path, not \"%s\"", *out);
	return 0;
}

static int parse_restart(struct ksup_config *c, struct jctx *j, json_object *o)
{
	json_object *r = kj_get(o, "restart");
	if (kj_object(j, r, "restart") < 0)
		return -1;
	if (!r)
		return 0;
	static const char *const known[] = { "policy", "max_retries", NULL };
	if (only_fields(j, r, "restart", known) < 0)
		return -1;
	_cleanup_free_ char *pol = NULL;
	if (kj_string(j, kj_get(r, "policy"), "restart.policy", &pol) < 0)
		return -1;
	if (pol) {
		int v = ksup_restart_from_name(pol);
		if (v < 0)
			return kj_fail(j, "restart.policy",
				       "\"%s\" is not one of no, on-failure, always, unless-stopped", pol);
		c->restart = v;
	}
	int rr = kj_int64(j, kj_get(r, "max_retries"), "restart.max_retries", &c->max_retries);
	if (rr < 0)
		return -1;
	if (c->max_retries < 0)
		return kj_fail(j, "restart.max_retries", "must not be negative");
	if (rr > 0 && c->max_retries > 0 && c->restart != KSUP_RESTART_ON_FAILURE)
		return kj_fail(j, "restart.max_retries", "only the on-failure policy takes a maximum (as Docker)");
	return 0;
}

int ksup_config_restart(struct ksup_config *c, json_object *o, kerr *e)
{
	struct ksup_config t = *c;
	struct jctx j = { "update", e };
	t.max_retries = 0;
	if (parse_restart(&t, &j, o) < 0)
		return -1;
	c->restart = t.restart;
	c->max_retries = t.max_retries;
	return 0;
}

static int health_duration(struct jctx *j, json_object *h, const char *key, int64_t def, int64_t *out)
{
	char path[64];
	snprintf(path, sizeof(path), "healthcheck.%s", key);
	*out = 0;
	if (kj_int64(j, kj_get(h, key), path, out) < 0)
		return -1;
	if (*out < 0)
		return kj_fail(j, path, "must not be negative");
	if (*out == 0)
		*out = def;
	return 0;
}

/* Docker's HealthConfig: Test ["NONE"] | ["CMD", args...] | ["CMD-SHELL", cmd] */
static int parse_health(struct ksup_config *c, struct jctx *j, json_object *h)
{
	if (!h || json_object_is_type(h, json_type_null))
		return 0;
	if (kj_object(j, h, "healthcheck") < 0)
		return -1;
	static const char *const known[] = {
		"test",       "interval_ns", "timeout_ns", "retries", "start_period_ns", "start_interval_ns",
		"on_failure", NULL
	};
	if (only_fields(j, h, "healthcheck", known) < 0)
		return -1;
	char **test = NULL;
	size_t n = 0;
	if (kj_strv(j, kj_get(h, "test"), "healthcheck.test", &test, &n) < 0)
		return -1;
	_cleanup_strv_ char **t = test;
	if (!t || n == 0)
		return kj_fail(j, "healthcheck.test",
			       "required: [\"CMD\", ...], [\"CMD-SHELL\", \"...\"] or [\"NONE\"]");
	if (!strcmp(t[0], "NONE"))
		return 0;
	if (!strcmp(t[0], "CMD")) {
		if (n < 2)
			return kj_fail(j, "healthcheck.test", "CMD needs a command");
		c->health.argv = calloc(n, sizeof(char *));
		for (size_t i = 1; c->health.argv && i < n; i++)
			c->health.argv[i - 1] = steal_ptr(t[i]);
	} else if (!strcmp(t[0], "CMD-SHELL")) {
		if (n != 2)
			return kj_fail(j, "healthcheck.test", "CMD-SHELL takes one command string");
		c->health.argv = calloc(4, sizeof(char *));
		if (c->health.argv) {
			c->health.argv[0] = strdup("/bin/sh");
			c->health.argv[1] = strdup("-c");
			c->health.argv[2] = steal_ptr(t[1]);
		}
	} else {
		return kj_fail(j, "healthcheck.test[0]", "\"%s\" is not CMD, CMD-SHELL or NONE", t[0]);
	}
	if (!c->health.argv)
		return kerr_set(j->e, ENOMEM, "healthcheck");
	if (health_duration(j, h, "interval_ns", KSUP_HEALTH_DEFAULT_INTERVAL_NS, &c->health.interval_ns) < 0 ||
	    health_duration(j, h, "timeout_ns", KSUP_HEALTH_DEFAULT_TIMEOUT_NS, &c->health.timeout_ns) < 0 ||
	    health_duration(j, h, "start_period_ns", 0, &c->health.start_period_ns) < 0 ||
	    health_duration(j, h, "start_interval_ns", 0, &c->health.start_interval_ns) < 0)
		return -1;
	json_object *of = kj_get(h, "on_failure");
	c->health.on_failure = KSUP_ON_FAILURE_NONE;
	if (of) {
		const char *name = json_object_is_type(of, json_type_string) ? json_object_get_string(of) : NULL;
		int v = ksup_on_failure_from_name(name);
		if (v < 0)
			return kj_fail(j, "healthcheck.on_failure", "\"%s\" is not one of none, kill, restart, stop",
				       name ? name : json_object_to_json_string(of));
		c->health.on_failure = (enum ksup_on_failure)v;
	}
	c->health.retries = 0;
	if (kj_int64(j, kj_get(h, "retries"), "healthcheck.retries", &c->health.retries) < 0)
		return -1;
	if (c->health.retries < 0)
		return kj_fail(j, "healthcheck.retries", "must not be negative");
	if (c->health.retries == 0)
		c->health.retries = KSUP_HEALTH_DEFAULT_RETRIES;
	return 0;
}

static int parse_joins(struct ksup_config *c, struct jctx *j, json_object *a)
{
	static const char *const fields[] = { "type", "dir", "name", NULL };
	if (!a)
		return 0;
	if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) > KSUP_JOINS_MAX)
		return kj_fail(j, "joins", "expected an array of at most %d objects", KSUP_JOINS_MAX);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *o = json_object_array_get_idx(a, i);
		struct ksup_join *x = &c->joins[c->n_joins++];
		if (!json_object_is_type(o, json_type_object))
			return kj_fail(j, "joins", "expected an array of objects");
		if (only_fields(j, o, "joins[]", fields) < 0 || required_str(j, o, "type", &x->type) < 0 ||
		    absolute(j, o, "dir", &x->dir) < 0 || kj_string(j, kj_get(o, "name"), "joins[].name", &x->name) < 0)
			return -1;
		if (strcmp(x->type, "pid") && strcmp(x->type, "ipc") && strcmp(x->type, "network"))
			return kj_fail(j, "joins[].type", "\"%s\" is not one of pid, ipc, network", x->type);
	}
	return 0;
}

int ksup_config_parse(struct ksup_config *c, const char *file, const char *buf, size_t len, const struct kconf *conf,
		      kerr *e)
{
	struct jctx j = { file, e };
	*c = (struct ksup_config){ .restart = KSUP_RESTART_NO, .stop_signal = SIGTERM, .stop_timeout = 10 };
	_cleanup_json_ json_object *o = kj_parse(file, buf, len, e);
	if (!o)
		return -1;
	if (!json_object_is_type(o, json_type_object))
		return kj_fail(&j, "(top level)", "expected an object");
	if (only_fields(&j, o, NULL, known_fields) < 0)
		return -1;
	if (required_str(&j, o, "id", &c->id) < 0)
		return -1;
	if (!is_id(c->id))
		return kj_fail(&j, "id", "\"%s\" is not 64 lower-case hex digits", c->id);
	if (kj_string(&j, kj_get(o, "name"), "name", &c->name) < 0 ||
	    kj_string(&j, kj_get(o, "image"), "image", &c->image) < 0 ||
	    kj_string(&j, kj_get(o, "image_id"), "image_id", &c->image_id) < 0)
		return -1;
	if (absolute(&j, o, "bundle", &c->bundle) < 0 || absolute(&j, o, "runtime", &c->runtime) < 0 ||
	    absolute(&j, o, "runtime_root", &c->runtime_root) < 0)
		return -1;
	int b = 0;
	if (kj_bool(&j, kj_get(o, "tty"), "tty", &b) < 0)
		return -1;
	c->tty = b;
	b = 0;
	if (kj_bool(&j, kj_get(o, "stdin"), "stdin", &b) < 0)
		return -1;
	c->stdin_open = b;
	b = 0;
	if (kj_bool(&j, kj_get(o, "auto_remove"), "auto_remove", &b) < 0)
		return -1;
	c->auto_remove = b;

	if (klogs_config_defaults(&c->log, conf, e) < 0)
		return -1;
	if (klogs_config_parse(&c->log, kj_get(o, "log"), file, e) < 0)
		return -1;
	/* the container's labels and env, for the remote drivers' extra fields */
	json_object *labels = kj_get(o, "labels"), *env = kj_get(o, "env");
	if (labels && !json_object_is_type(labels, json_type_object))
		return kj_fail(&j, "labels", "expected an object of strings");
	if (env && !json_object_is_type(env, json_type_array))
		return kj_fail(&j, "env", "expected an array of \"NAME=value\" strings");
	if (klogs_config_extra(&c->log, labels, env, e) < 0)
		return kerr_wrap(e, "%s", file);
	/* for the remote drivers' tags and fields */
	if ((c->name && !(c->log.name = strdup(c->name))) || (c->image && !(c->log.image = strdup(c->image))) ||
	    (c->image_id && !(c->log.image_id = strdup(c->image_id))))
		return kerr_set(e, ENOMEM, "%s", file);
	if (parse_restart(c, &j, o) < 0)
		return -1;

	_cleanup_free_ char *sig = NULL;
	if (kj_string(&j, kj_get(o, "stop_signal"), "stop_signal", &sig) < 0)
		return -1;
	if (sig && *sig) {
		c->stop_signal = ksignal_parse(sig);
		if (c->stop_signal <= 0)
			return kj_fail(&j, "stop_signal", "unknown signal \"%s\"", sig);
	}
	if (kj_int64(&j, kj_get(o, "stop_timeout"), "stop_timeout", &c->stop_timeout) < 0)
		return -1;
	if (c->stop_timeout < 0 || c->stop_timeout > 86400 * 365)
		return kj_fail(&j, "stop_timeout", "%lld is not a number of seconds from 0",
			       (long long)c->stop_timeout);
	if (parse_health(c, &j, kj_get(o, "healthcheck")) < 0 || parse_joins(c, &j, kj_get(o, "joins")) < 0)
		return -1;
	return 0;
}

int ksup_config_load(struct ksup_config *c, const char *dir, const struct kconf *conf, kerr *e)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/supervise.json", dir) >= (int)sizeof(path))
		return kerr_set(e, ENAMETOOLONG, "%s", dir);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (kfs_read_file(path, &buf, &len, e) < 0)
		return -1;
	return ksup_config_parse(c, path, buf, len, conf, e);
}

void ksup_config_done(struct ksup_config *c)
{
	free(c->id);
	free(c->name);
	free(c->image);
	free(c->image_id);
	free(c->bundle);
	free(c->runtime);
	free(c->runtime_root);
	for (char **a = c->health.argv; a && *a; a++)
		free(*a);
	free(c->health.argv);
	for (size_t i = 0; i < c->n_joins; i++) {
		free(c->joins[i].type);
		free(c->joins[i].dir);
		free(c->joins[i].name);
	}
	klogs_config_done(&c->log);
	*c = (struct ksup_config){ 0 };
}
