/* update [--resources FILE|-] [runc's flags] ID
 *
 * Changes the resources of a container live.  --resources takes a
 * linux.resources object (runc's format, "-" reads stdin); the flags set
 * single fields (on top of --resources when both are given).  Memory values
 * take runc's sizes: bytes, or k/m/g/t/p (powers of 1024), or -1.  Fields
 * not given keep their values. */
#include "runtime.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/units.h"
#include "container/container.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_SIZE, K_INT, K_UINT, K_STR, K_REFUSE };

/* Each flag, the linux.resources field it sets, and how its value reads. */
static const struct flag {
	const char *name;
	const char *obj, *key;
	enum kind kind;
	const char *why; /* K_REFUSE: the reason */
} flags[] = {
	{ "memory", "memory", "limit", K_SIZE, NULL },
	{ "memory-reservation", "memory", "reservation", K_SIZE, NULL },
	{ "memory-swap", "memory", "swap", K_SIZE, NULL },
	{ "kernel-memory-tcp", "memory", "kernelTCP", K_SIZE, NULL },
	{ "cpu-share", "cpu", "shares", K_UINT, NULL },
	{ "cpu-shares", "cpu", "shares", K_UINT, NULL },
	{ "cpu-period", "cpu", "period", K_UINT, NULL },
	{ "cpu-quota", "cpu", "quota", K_INT, NULL },
	{ "cpu-burst", "cpu", "burst", K_UINT, NULL },
	{ "cpu-rt-period", "cpu", "realtimePeriod", K_UINT, NULL },
	{ "cpu-rt-runtime", "cpu", "realtimeRuntime", K_INT, NULL },
	{ "cpu-idle", "cpu", "idle", K_INT, NULL },
	{ "cpuset-cpus", "cpu", "cpus", K_STR, NULL },
	{ "cpuset-mems", "cpu", "mems", K_STR, NULL },
	{ "pids-limit", "pids", "limit", K_INT, NULL },
	{ "blkio-weight", "blockIO", "weight", K_UINT, NULL },
	{ "kernel-memory", NULL, NULL, K_REFUSE,
	  "kernel memory limits are deprecated (Linux ignores or refuses them): not supported" },
	{ "l3-cache-schema", NULL, NULL, K_REFUSE, "Intel RDT is not supported by kapsel-runtime" },
	{ "mem-bw-schema", NULL, NULL, K_REFUSE, "Intel RDT is not supported by kapsel-runtime" },
};

#define N_FLAGS (sizeof(flags) / sizeof(flags[0]))

static json_object *child(json_object *o, const char *key)
{
	json_object *c = kj_get(o, key);
	if (!c || !json_object_is_type(c, json_type_object)) {
		c = json_object_new_object();
		json_object_object_add(o, key, c);
	}
	return c;
}

/* Read the value of flag F into RES.  Returns 0, or a usage error. */
static int set_flag(const struct cli_call *c, const struct flag *f, const char *val, json_object *res)
{
	kerr e = { 0 };
	char what[64];
	snprintf(what, sizeof(what), "--%s", f->name);
	if (f->kind == K_REFUSE)
		return cli_usage_error(c, "%s: %s", what, f->why);
	if (!*val) /* runc: an empty value leaves the field as it is */
		return 0;
	json_object *v = NULL;
	char *end;
	switch (f->kind) {
	case K_SIZE: {
		int64_t n;
		if (kunits_parse_size(what, val, &n, &e) < 0)
			return cli_usage_error(c, "%s", e.msg);
		v = json_object_new_int64(n);
		break;
	}
	case K_INT: {
		errno = 0;
		long long n = strtoll(val, &end, 10);
		if (errno || *end || end == val)
			return cli_usage_error(c, "%s: \"%s\" is not an integer", what, val);
		if (!strcmp(f->name, "pids-limit") && n == 0)
			return cli_usage_error(c, "--pids-limit: 0 would leave the limit as it is (as in runc); "
						     "use -1 for no limit");
		v = json_object_new_int64(n);
		break;
	}
	case K_UINT: {
		errno = 0;
		unsigned long long n = strtoull(val, &end, 10);
		if (errno || *end || end == val || val[0] == '-')
			return cli_usage_error(c, "%s: \"%s\" is not an unsigned integer", what, val);
		v = json_object_new_uint64(n);
		break;
	}
	case K_STR:
		v = json_object_new_string(val);
		break;
	case K_REFUSE:
		break;
	}
	json_object_object_add(child(res, f->obj), f->key, v);
	return 0;
}

static json_object *read_resources(const char *file, kerr *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	const char *name = strcmp(file, "-") ? file : "stdin";
	if ((strcmp(file, "-") ? kfs_read_file(file, &buf, &len, e) : kfs_read_fd(0, &buf, &len, e)) < 0) {
		kerr_wrap(e, "--resources");
		return NULL;
	}
	json_object *o = kj_parse(name, buf, len, e);
	if (o && !json_object_is_type(o, json_type_object)) {
		kerr_msg(e, EINVAL, "%s: expected a linux.resources object", name);
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The library names fields as linux.resources paths; a user who gave flags
 * reads the flag's name too. */
static void name_flags(kerr *e, const int *given)
{
	for (size_t i = 0; i < N_FLAGS; i++) {
		if (!given[i] || !flags[i].obj)
			continue;
		char field[96], repl[160];
		snprintf(field, sizeof(field), "linux.resources.%s.%s", flags[i].obj, flags[i].key);
		char *p = strstr(e->msg, field);
		size_t fl = strlen(field);
		if (!p || p[fl] == '.' || p[fl] == '_' || isalnum((unsigned char)p[fl]))
			continue;
		int rl = snprintf(repl, sizeof(repl), "--%s (%s)", flags[i].name, field);
		if (strlen(e->msg) + rl - fl >= sizeof(e->msg))
			continue;
		memmove(p + rl, p + fl, strlen(p + fl) + 1);
		memcpy(p, repl, rl);
		return;
	}
}

struct update_args {
	const char *file;          /* --resources */
	const char *vals[N_FLAGS]; /* one per flag, NULL: not given */
};

/* The option table, one row per flag (built once from flags[]). */
static const struct cli_option *update_options(void)
{
	static struct cli_option opts[N_FLAGS + 2];
	static char help[N_FLAGS][96];
	static const char *const args[] = { [K_SIZE] = "BYTES", [K_INT] = "N", [K_UINT] = "N", [K_STR] = "LIST",
					    [K_REFUSE] = "VALUE" };
	if (opts[0].type != CLI_T_END)
		return opts;
	opts[0] = (struct cli_option)CLI_OPT_STRING('r', "resources", struct update_args, file, "FILE",
						    "a linux.resources object (runc's format; - reads stdin)");
	for (size_t i = 0; i < N_FLAGS; i++) {
		if (flags[i].obj)
			snprintf(help[i], sizeof(help[i]), "set linux.resources.%s.%s", flags[i].obj, flags[i].key);
		opts[i + 1] = (struct cli_option){ .type = CLI_T_STRING, .long_name = flags[i].name,
						   .offset = offsetof(struct update_args, vals) + i * sizeof(char *),
						   .arg = args[flags[i].kind], .help = flags[i].obj ? help[i] : flags[i].why };
	}
	return opts;
}

static int update_run(const struct cli_call *c)
{
	const struct globals *g = c->globals;
	const struct update_args *a = c->opts;
	int given[N_FLAGS] = { 0 };
	const char *const *vals = a->vals;
	const char *file = a->file, *id = c->argv[0];
	kerr e = { 0 };

	for (size_t i = 0; i < N_FLAGS; i++)
		given[i] = vals[i] != NULL;
	json_object *res = file ? read_resources(file, &e) : json_object_new_object();
	if (!res)
		return fail(&e);
	for (size_t i = 0; i < N_FLAGS; i++) {
		int r;
		if (given[i] && (r = set_flag(c, &flags[i], vals[i], res)) != 0) {
			json_object_put(res);
			return r;
		}
	}
	int r = kcontainer_update(g->root, id, res, g->policy, &e);
	json_object_put(res);
	if (r < 0) {
		name_flags(&e, given);
		return fail(&e);
	}
	return 0;
}

const struct cli_command cmd_update = {
	.name = "update",
	.run = update_run,
	.min_args = 1,
	.max_args = 1,
	.args = "ID",
	.summary = "change the resource limits of a container live",
	.description = "--resources takes a linux.resources object; the flags set single fields on top of it.\n"
		       "Sizes: bytes, or k, m, g, t, p (powers of 1024), or -1; an empty value keeps the field.\n"
		       "The merged resources are validated first, recorded, and a write the kernel refuses is\n"
		       "rolled back.\n",
	.options_fn = update_options,
	.opts_size = sizeof(struct update_args),
};
