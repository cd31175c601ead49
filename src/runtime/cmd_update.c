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
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_update(struct globals *g, int argc, char **argv);

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
static int set_flag(const struct flag *f, const char *val, json_object *res)
{
	kerr e = { 0 };
	char what[64];
	snprintf(what, sizeof(what), "--%s", f->name);
	if (f->kind == K_REFUSE)
		return usage_error("update", "%s: %s", what, f->why);
	if (!*val) /* runc: an empty value leaves the field as it is */
		return 0;
	json_object *v = NULL;
	char *end;
	switch (f->kind) {
	case K_SIZE: {
		int64_t n;
		if (kunits_parse_size(what, val, &n, &e) < 0)
			return usage_error("update", "%s", e.msg);
		v = json_object_new_int64(n);
		break;
	}
	case K_INT: {
		errno = 0;
		long long n = strtoll(val, &end, 10);
		if (errno || *end || end == val)
			return usage_error("update", "%s: \"%s\" is not an integer", what, val);
		if (!strcmp(f->name, "pids-limit") && n == 0)
			return usage_error("update", "--pids-limit: 0 would leave the limit as it is (as in runc); "
						     "use -1 for no limit");
		v = json_object_new_int64(n);
		break;
	}
	case K_UINT: {
		errno = 0;
		unsigned long long n = strtoull(val, &end, 10);
		if (errno || *end || end == val || val[0] == '-')
			return usage_error("update", "%s: \"%s\" is not an unsigned integer", what, val);
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

int cmd_update(struct globals *g, int argc, char **argv)
{
	struct option opts[N_FLAGS + 2];
	int given[N_FLAGS] = { 0 };
	const char *vals[N_FLAGS] = { 0 };
	const char *file = NULL;
	kerr e = { 0 };
	int c, idx;

	for (size_t i = 0; i < N_FLAGS; i++)
		opts[i] = (struct option){ flags[i].name, required_argument, NULL, 0 };
	opts[N_FLAGS] = (struct option){ "resources", required_argument, NULL, 'r' };
	opts[N_FLAGS + 1] = (struct option){ 0 };
	while ((c = getopt_long_only(argc, argv, "+r:", opts, &idx)) != -1) {
		if (c == 'r') {
			file = optarg;
		} else if (c == 0 && idx < (int)N_FLAGS) {
			given[idx] = 1;
			vals[idx] = optarg;
		} else {
			return usage_error("update", "unknown option %s", argv[optind - 1]);
		}
	}
	const char *id = one_id("update", argc, argv, optind);
	if (!id)
		return EXIT_USAGE;

	json_object *res = file ? read_resources(file, &e) : json_object_new_object();
	if (!res)
		return fail(&e);
	for (size_t i = 0; i < N_FLAGS; i++) {
		int r;
		if (given[i] && (r = set_flag(&flags[i], vals[i], res)) != 0) {
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
