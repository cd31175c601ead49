/* linux.resources -> cgroup files.
 *
 * Three steps, each testable on its own:
 *   1. parse: the JSON is read and validated once into struct kcg_res
 *      (errors name the field: "config.json: linux.resources.cpu.quota: ...");
 *   2. plan: the v1 driver (v1.c) and the v2 driver (v2.c) turn it into a
 *      list of (controller, file, value) writes, without touching any file;
 *   3. resolve + write: each controller is given to the hierarchy that has
 *      it (v1 first, then the cgroup2 tree), every file is checked to exist
 *      before anything is written, and the writes are made in order.
 * Stats are read back by the same drivers. */
#include "cgroup/devices_bpf.h"
#include "cgroup/driver.h"

#include "common/cleanup.h"
#include "common/fs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_FILE "config.json"


const char *const kcg_throttle_key[KCG_T_N] = {
	"throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice", "throttleWriteIOPSDevice",
};

const struct kcg_dev_rule kcg_default_devices[] = {
	{ 1, 'c', 1, 3, "rwm" },    /* null */
	{ 1, 'c', 1, 5, "rwm" },    /* zero */
	{ 1, 'c', 1, 7, "rwm" },    /* full */
	{ 1, 'c', 1, 8, "rwm" },    /* random */
	{ 1, 'c', 1, 9, "rwm" },    /* urandom */
	{ 1, 'c', 5, 0, "rwm" },    /* tty */
	{ 1, 'c', 5, 2, "rwm" },    /* ptmx */
	{ 1, 'c', 136, -1, "rwm" }, /* pts/N */
};
const size_t kcg_n_default_devices = ARRAY_SIZE(kcg_default_devices);

/* ---------------------------------------------------------------- parse */

static int oom(struct jctx *c, const char *path)
{
	return kerr_set(c->e, ENOMEM, "%s: %s", c->file, path);
}

/* An int64 field of O that must be >= MIN.  Returns 1 if given. */
static int get_i64(struct jctx *c, json_object *o, const char *parent, const char *key, int64_t min, int64_t *out)
{
	char p[256];
	kj_path(p, sizeof(p), parent, key);
	int r = kj_int64(c, kj_get(o, key), p, out);
	if (r <= 0)
		return r;
	if (*out < min)
		return kj_fail(c, p, "%" PRId64 " is out of range (the least allowed is %" PRId64 ")", *out, min);
	return 1;
}

static int get_u64(struct jctx *c, json_object *o, const char *parent, const char *key, uint64_t *out)
{
	char p[256];
	kj_path(p, sizeof(p), parent, key);
	return kj_uint64(c, kj_get(o, key), p, out);
}

/* A uint64 field within [MIN, MAX]. */
static int get_range(struct jctx *c, json_object *o, const char *parent, const char *key, uint64_t min,
		     uint64_t max, uint64_t *out)
{
	char p[256];
	kj_path(p, sizeof(p), parent, key);
	int r = kj_uint64(c, kj_get(o, key), p, out);
	if (r <= 0)
		return r;
	/* 0 where 0 is not allowed means "not set", as in runc: Docker and
	 * the CRI clients send shares 0, weight 0, period 0 for defaults */
	if (*out == 0 && min > 0)
		return 0;
	if (max == UINT64_MAX && *out < min)
		return kj_fail(c, p, "%" PRIu64 " is out of range (the least allowed is %" PRIu64 ")", *out, min);
	if (*out < min || *out > max)
		return kj_fail(c, p, "%" PRIu64 " is out of range (%" PRIu64 "..%" PRIu64 ")", *out, min, max);
	return 1;
}

/* An array element or map value that must be an object. */
static int need_object(struct jctx *c, json_object *o, const char *path)
{
	int k = kj_object(c, o, path);
	if (k == 0)
		return kj_fail(c, path, "expected an object");
	return k < 0 ? -1 : 0;
}

static int get_bool(struct jctx *c, json_object *o, const char *parent, const char *key, int *out)
{
	char p[256];
	kj_path(p, sizeof(p), parent, key);
	return kj_bool(c, kj_get(o, key), p, out);
}

/* A required device number (block devices: no wildcard). */
static int get_devnum(struct jctx *c, json_object *o, const char *parent, const char *key, int64_t *out)
{
	char p[256];
	kj_path(p, sizeof(p), parent, key);
	int r = kj_int64(c, kj_get(o, key), p, out);
	if (r < 0)
		return r;
	if (r == 0)
		return kj_fail(c, p, "missing (a device number is required)");
	if (*out < 0 || *out > UINT32_MAX)
		return kj_fail(c, p, "%" PRId64 " is not a device number", *out);
	return 1;
}

/* cpuset lists: "0-3,8,10-11". */
static int get_cpulist(struct jctx *c, json_object *o, const char *parent, const char *key, char **out)
{
	char p[256];
	kj_path(p, sizeof(p), parent, key);
	int r = kj_string(c, kj_get(o, key), p, out);
	if (r <= 0)
		return r;
	for (const char *s = *out; *s; s++) {
		if (!isdigit((unsigned char)*s) && *s != ',' && *s != '-') {
			if (isprint((unsigned char)*s))
				kj_fail(c, p, "expected a list like \"0-3,6\", found '%c'", *s);
			else
				kj_fail(c, p, "expected a list like \"0-3,6\", found byte 0x%02x", (unsigned char)*s);
			free(*out);
			*out = NULL;
			return -1;
		}
	}
	if (!**out) { /* empty: no restriction, the inherited set stays */
		free(*out);
		*out = NULL;
		return 0;
	}
	return 1;
}

static int parse_memory(struct jctx *c, json_object *res, struct kcg_res *r)
{
	const char *P = KCG_FIELD ".memory";
	json_object *m = kj_get(res, "memory");
	int k = kj_object(c, m, P);
	if (k <= 0)
		return k;
	if ((r->has_limit = get_i64(c, m, P, "limit", -1, &r->limit)) < 0 ||
	    (r->has_reservation = get_i64(c, m, P, "reservation", -1, &r->reservation)) < 0 ||
	    (r->has_swap = get_i64(c, m, P, "swap", -1, &r->swap)) < 0 ||
	    (r->has_kernel = get_i64(c, m, P, "kernel", -1, &r->kernel)) < 0 ||
	    (r->has_kernel_tcp = get_i64(c, m, P, "kernelTCP", -1, &r->kernel_tcp)) < 0 ||
	    (r->has_disable_oom = get_bool(c, m, P, "disableOOMKiller", &r->disable_oom)) < 0 ||
	    (r->has_use_hierarchy = get_bool(c, m, P, "useHierarchy", &r->use_hierarchy)) < 0 ||
	    get_bool(c, m, P, "checkBeforeUpdate", &r->check_before_update) < 0)
		return -1;
	/* 0 means "not set" (runc; Docker sends zeros for defaults) */
	if (r->has_limit && r->limit == 0)
		r->has_limit = 0;
	if (r->has_swap && r->swap == 0)
		r->has_swap = 0;
	if (r->has_reservation && r->reservation == 0)
		r->has_reservation = 0;
	if (r->has_kernel && r->kernel == 0)
		r->has_kernel = 0;
	if (r->has_kernel_tcp && r->kernel_tcp == 0)
		r->has_kernel_tcp = 0;
	if (r->has_limit && r->has_swap && r->limit > 0 && r->swap > 0 && r->swap < r->limit)
		return kj_fail(c, KCG_FIELD ".memory.swap",
			       "%" PRId64 " is below memory.limit %" PRId64 " (swap is the memory+swap total)",
			       r->swap, r->limit);
	/* swappiness: 0..100; -1 (also as 2^64-1) is the "kernel default" of older clients */
	json_object *sw = kj_get(m, "swappiness");
	if (sw && json_object_is_type(sw, json_type_int) && json_object_get_int64(sw) == -1)
		return 0;
	int rs = get_u64(c, m, P, "swappiness", &r->swappiness);
	if (rs < 0)
		return -1;
	if (rs > 0 && r->swappiness != UINT64_MAX) {
		if (r->swappiness > 100)
			return kj_fail(c, KCG_FIELD ".memory.swappiness", "%" PRIu64 " is out of range (0..100)",
				       r->swappiness);
		r->has_swappiness = 1;
	}
	return 0;
}

static int parse_cpu(struct jctx *c, json_object *res, struct kcg_res *r)
{
	const char *P = KCG_FIELD ".cpu";
	json_object *o = kj_get(res, "cpu");
	int k = kj_object(c, o, P);
	if (k <= 0)
		return k;
	if ((r->has_shares = get_range(c, o, P, "shares", 2, 262144, &r->shares)) < 0 ||
	    (r->has_quota = get_i64(c, o, P, "quota", -1, &r->quota)) < 0 ||
	    (r->has_period = get_range(c, o, P, "period", 1, UINT64_MAX, &r->period)) < 0 ||
	    (r->has_burst = get_u64(c, o, P, "burst", &r->burst)) < 0 ||
	    (r->has_rt_runtime = get_i64(c, o, P, "realtimeRuntime", -1, &r->rt_runtime)) < 0 ||
	    (r->has_rt_period = get_range(c, o, P, "realtimePeriod", 1, UINT64_MAX, &r->rt_period)) < 0 ||
	    (r->has_idle = get_i64(c, o, P, "idle", INT64_MIN, &r->idle)) < 0 ||
	    get_cpulist(c, o, P, "cpus", &r->cpus) < 0 || get_cpulist(c, o, P, "mems", &r->mems) < 0)
		return -1;
	/* quota 0 carries no limit (runc and the CRI clients mean "unset") */
	if (r->has_quota && r->quota == 0)
		r->has_quota = 0;
	if (r->has_idle && r->idle != 0 && r->idle != 1)
		return kj_fail(c, KCG_FIELD ".cpu.idle", "%" PRId64 " is out of range (0 or 1)", r->idle);
	return 0;
}

static int parse_blockio(struct jctx *c, json_object *res, struct kcg_res *r)
{
	const char *P = KCG_FIELD ".blockIO";
	char p[256], ip[256];
	json_object *o = kj_get(res, "blockIO");
	uint64_t v;
	int k = kj_object(c, o, P);
	if (k <= 0)
		return k;
	if ((k = get_range(c, o, P, "weight", 10, 1000, &v)) < 0)
		return -1;
	r->has_blkio_weight = k;
	r->blkio_weight = (uint16_t)v;
	if ((k = get_range(c, o, P, "leafWeight", 10, 1000, &v)) < 0)
		return -1;
	r->has_blkio_leaf = k;
	r->blkio_leaf = (uint16_t)v;

	kj_path(p, sizeof(p), P, "weightDevice");
	json_object *a = kj_get(o, "weightDevice");
	if ((k = kj_array(c, a, p)) < 0)
		return -1;
	if (k > 0 && json_object_array_length(a) > 0) {
		size_t n = json_object_array_length(a);
		if (!(r->wdev = calloc(n, sizeof(*r->wdev))))
			return oom(c, p);
		for (size_t i = 0; i < n; i++) {
			json_object *it = json_object_array_get_idx(a, i);
			struct kcg_wdev *d = &r->wdev[r->n_wdev++];
			kj_path_idx(ip, sizeof(ip), p, i);
			if (need_object(c, it, ip) < 0)
				return -1;
			if (get_devnum(c, it, ip, "major", &d->major) < 0 || get_devnum(c, it, ip, "minor", &d->minor) < 0)
				return -1;
			if ((d->has_weight = get_range(c, it, ip, "weight", 10, 1000, &v)) < 0)
				return -1;
			d->weight = (uint16_t)v;
			if ((d->has_leaf = get_range(c, it, ip, "leafWeight", 10, 1000, &v)) < 0)
				return -1;
			d->leaf = (uint16_t)v;
			if (!d->has_weight && !d->has_leaf)
				return kj_fail(c, ip, "neither weight nor leafWeight is given");
		}
	}
	for (int t = 0; t < KCG_T_N; t++) {
		kj_path(p, sizeof(p), P, kcg_throttle_key[t]);
		a = kj_get(o, kcg_throttle_key[t]);
		if ((k = kj_array(c, a, p)) < 0)
			return -1;
		if (k == 0 || json_object_array_length(a) == 0)
			continue;
		size_t n = json_object_array_length(a);
		if (!(r->tdev[t] = calloc(n, sizeof(*r->tdev[t]))))
			return oom(c, p);
		for (size_t i = 0; i < n; i++) {
			json_object *it = json_object_array_get_idx(a, i);
			struct kcg_tdev *d = &r->tdev[t][r->n_tdev[t]++];
			kj_path_idx(ip, sizeof(ip), p, i);
			if (need_object(c, it, ip) < 0)
				return -1;
			if (get_devnum(c, it, ip, "major", &d->major) < 0 || get_devnum(c, it, ip, "minor", &d->minor) < 0)
				return -1;
			if ((k = get_u64(c, it, ip, "rate", &d->rate)) < 0)
				return -1;
			if (k == 0) {
				char rp[300];
				snprintf(rp, sizeof(rp), "%s.rate", ip);
				return kj_fail(c, rp, "missing (bytes or operations per second are required)");
			}
		}
	}
	return 0;
}

/* "2MB", "64KB", "1GB" */
static int valid_pagesize(const char *s)
{
	size_t n = strspn(s, "0123456789");
	return n > 0 && n < 10 && s[n] && strchr("KMGT", s[n]) && s[n + 1] == 'B' && s[n + 2] == '\0';
}

static int parse_hugepages(struct jctx *c, json_object *res, struct kcg_res *r)
{
	const char *P = KCG_FIELD ".hugepageLimits";
	char ip[256];
	json_object *a = kj_get(res, "hugepageLimits");
	int k = kj_array(c, a, P);
	if (k <= 0 || json_object_array_length(a) == 0)
		return k < 0 ? -1 : 0;
	size_t n = json_object_array_length(a);
	if (!(r->hp = calloc(n, sizeof(*r->hp))))
		return oom(c, P);
	for (size_t i = 0; i < n; i++) {
		json_object *it = json_object_array_get_idx(a, i);
		struct kcg_hugepage *hp = &r->hp[r->n_hp++];
		kj_path_idx(ip, sizeof(ip), P, i);
		if (need_object(c, it, ip) < 0)
			return -1;
		char p[300];
		_cleanup_free_ char *size = NULL;
		snprintf(p, sizeof(p), "%s.pageSize", ip);
		if ((k = kj_string(c, kj_get(it, "pageSize"), p, &size)) < 0)
			return -1;
		if (k == 0)
			return kj_fail(c, p, "missing");
		if (!valid_pagesize(size))
			return kj_fail(c, p, "\"%s\" is not a page size like \"2MB\" or \"1GB\"", size);
		snprintf(hp->size, sizeof(hp->size), "%s", size);
		snprintf(p, sizeof(p), "%s.limit", ip);
		if ((k = kj_uint64(c, kj_get(it, "limit"), p, &hp->limit)) < 0)
			return -1;
		if (k == 0)
			return kj_fail(c, p, "missing");
	}
	return 0;
}

/* Interface and RDMA device names: no blanks, no slashes, not empty. */
static int valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if (isspace((unsigned char)*s) || *s == '/' || *s == '=' || !isprint((unsigned char)*s))
			return 0;
	return 1;
}

static int parse_network(struct jctx *c, json_object *res, struct kcg_res *r)
{
	const char *P = KCG_FIELD ".network";
	char p[256], ip[256];
	json_object *o = kj_get(res, "network");
	int k = kj_object(c, o, P);
	if (k <= 0)
		return k;
	kj_path(p, sizeof(p), P, "classID");
	if ((r->has_classid = kj_uint32(c, kj_get(o, "classID"), p, &r->classid)) < 0)
		return -1;
	kj_path(p, sizeof(p), P, "priorities");
	json_object *a = kj_get(o, "priorities");
	if ((k = kj_array(c, a, p)) <= 0 || json_object_array_length(a) == 0)
		return k < 0 ? -1 : 0;
	size_t n = json_object_array_length(a);
	if (!(r->prio = calloc(n, sizeof(*r->prio))))
		return oom(c, p);
	for (size_t i = 0; i < n; i++) {
		json_object *it = json_object_array_get_idx(a, i);
		struct kcg_prio *pr = &r->prio[r->n_prio++];
		char fp[300];
		kj_path_idx(ip, sizeof(ip), p, i);
		if (need_object(c, it, ip) < 0)
			return -1;
		snprintf(fp, sizeof(fp), "%s.name", ip);
		if ((k = kj_string(c, kj_get(it, "name"), fp, &pr->name)) < 0)
			return -1;
		if (k == 0)
			return kj_fail(c, fp, "missing");
		if (!valid_name(pr->name, 15))
			return kj_fail(c, fp, "\"%s\" is not an interface name", pr->name);
		snprintf(fp, sizeof(fp), "%s.priority", ip);
		if ((k = kj_uint32(c, kj_get(it, "priority"), fp, &pr->prio)) < 0)
			return -1;
		if (k == 0)
			return kj_fail(c, fp, "missing");
	}
	return 0;
}

static int parse_devices(struct jctx *c, json_object *res, struct kcg_res *r)
{
	const char *P = KCG_FIELD ".devices";
	char ip[256], fp[300];
	json_object *a = kj_get(res, "devices");
	int k = kj_array(c, a, P);
	if (k <= 0)
		return k;
	r->has_devices = 1;
	size_t n = json_object_array_length(a);
	if (n == 0)
		return 0;
	if (!(r->dev = calloc(n, sizeof(*r->dev))))
		return oom(c, P);
	for (size_t i = 0; i < n; i++) {
		json_object *it = json_object_array_get_idx(a, i);
		struct kcg_dev_rule *d = &r->dev[r->n_dev++];
		kj_path_idx(ip, sizeof(ip), P, i);
		if (need_object(c, it, ip) < 0)
			return -1;
		snprintf(fp, sizeof(fp), "%s.allow", ip);
		if ((k = kj_bool(c, kj_get(it, "allow"), fp, &d->allow)) < 0)
			return -1;
		if (k == 0)
			return kj_fail(c, fp, "missing (true or false is required)");
		_cleanup_free_ char *type = NULL, *access = NULL;
		snprintf(fp, sizeof(fp), "%s.type", ip);
		if ((k = kj_string(c, kj_get(it, "type"), fp, &type)) < 0)
			return -1;
		d->type = 'a';
		if (k > 0) {
			if (strlen(type) != 1 || !strchr("acb", type[0]))
				return kj_fail(c, fp, "\"%s\" is not a device type (a, c or b)", type);
			d->type = type[0];
		}
		d->major = d->minor = -1;
		if (get_i64(c, it, ip, "major", -1, &d->major) < 0 || get_i64(c, it, ip, "minor", -1, &d->minor) < 0)
			return -1;
		if (d->major > UINT32_MAX || d->minor > UINT32_MAX)
			return kj_fail(c, ip, "device number out of range");
		snprintf(fp, sizeof(fp), "%s.access", ip);
		if ((k = kj_string(c, kj_get(it, "access"), fp, &access)) < 0)
			return -1;
		snprintf(d->access, sizeof(d->access), "rwm");
		if (k > 0) {
			int seen[3] = { 0, 0, 0 };
			if (!*access)
				return kj_fail(c, fp, "empty (expected letters of \"rwm\")");
			for (const char *s = access; *s; s++) {
				const char *q = strchr("rwm", *s);
				if (!*s || !q)
					return kj_fail(c, fp, "\"%s\": '%c' is not one of r, w, m", access, *s);
				if (seen[q - "rwm"]++)
					return kj_fail(c, fp, "\"%s\": '%c' is given twice", access, *s);
			}
			snprintf(d->access, sizeof(d->access), "%s", access);
		}
	}
	return 0;
}

static int parse_rdma(struct jctx *c, json_object *res, struct kcg_res *r)
{
	const char *P = KCG_FIELD ".rdma";
	char p[256], fp[300];
	json_object *o = kj_get(res, "rdma");
	int k = kj_object(c, o, P);
	if (k <= 0)
		return k;
	size_t n = json_object_object_length(o);
	if (n == 0)
		return 0;
	if (!(r->rdma = calloc(n, sizeof(*r->rdma))))
		return oom(c, P);
	json_object_object_foreach(o, key, val) {
		struct kcg_rdma *d = &r->rdma[r->n_rdma++];
		kj_path(p, sizeof(p), P, key);
		if (!valid_name(key, 64))
			return kj_fail(c, p, "\"%s\" is not an RDMA device name", key);
		if (!(d->dev = strdup(key)))
			return oom(c, p);
		if (need_object(c, val, p) < 0)
			return -1;
		snprintf(fp, sizeof(fp), "%s.hcaHandles", p);
		if ((d->has_handles = kj_uint32(c, kj_get(val, "hcaHandles"), fp, &d->handles)) < 0)
			return -1;
		snprintf(fp, sizeof(fp), "%s.hcaObjects", p);
		if ((d->has_objects = kj_uint32(c, kj_get(val, "hcaObjects"), fp, &d->objects)) < 0)
			return -1;
		if (!d->has_handles && !d->has_objects)
			return kj_fail(c, p, "neither hcaHandles nor hcaObjects is given");
	}
	return 0;
}

static int parse_unified(struct jctx *c, json_object *res, struct kcg_res *r)
{
	const char *P = KCG_FIELD ".unified";
	char p[512];
	json_object *o = kj_get(res, "unified");
	int k = kj_object(c, o, P);
	if (k <= 0)
		return k;
	size_t n = json_object_object_length(o);
	if (n == 0)
		return 0;
	if (!(r->unified = calloc(n, sizeof(*r->unified))))
		return oom(c, P);
	json_object_object_foreach(o, key, val) {
		struct kcg_kv *kv = &r->unified[r->n_unified++];
		kj_path(p, sizeof(p), P, key);
		const char *dot = strchr(key, '.');
		if (!*key || strchr(key, '/') || strstr(key, "..") || !dot || dot == key || !dot[1])
			return kj_fail(c, p, "\"%s\" is not a cgroup file name like \"memory.high\"", key);
		if (!strcmp(key, "cgroup.procs") || !strcmp(key, "cgroup.threads"))
			return kj_fail(c, p, "moving processes is not a resource setting");
		if (!(kv->key = strdup(key)))
			return oom(c, p);
		if ((k = kj_string(c, val, p, &kv->value)) < 0)
			return -1;
		if (k == 0)
			return kj_fail(c, p, "expected a string");
	}
	return 0;
}

int kcg_res_parse(struct jctx *c, json_object *res, struct kcg_res *r)
{
	memset(r, 0, sizeof(*r));
	int k = kj_object(c, res, KCG_FIELD);
	if (k <= 0)
		return k;
	if (parse_memory(c, res, r) < 0 || parse_cpu(c, res, r) < 0)
		return -1;
	json_object *pids = kj_get(res, "pids");
	k = kj_object(c, pids, KCG_FIELD ".pids");
	if (k < 0)
		return -1;
	if (k > 0 && (r->has_pids = get_i64(c, pids, KCG_FIELD ".pids", "limit", INT64_MIN, &r->pids)) < 0)
		return -1;
	if (r->has_pids && r->pids == 0) /* runc: 0 is "not set", below 0 is "max" */
		r->has_pids = 0;
	if (parse_blockio(c, res, r) < 0 || parse_hugepages(c, res, r) < 0 || parse_network(c, res, r) < 0 ||
	    parse_devices(c, res, r) < 0 || parse_rdma(c, res, r) < 0 || parse_unified(c, res, r) < 0)
		return -1;
	return 0;
}

void kcg_res_free(struct kcg_res *r)
{
	free(r->cpus);
	free(r->mems);
	free(r->wdev);
	for (int t = 0; t < KCG_T_N; t++)
		free(r->tdev[t]);
	free(r->hp);
	for (size_t i = 0; i < r->n_prio; i++)
		free(r->prio[i].name);
	free(r->prio);
	free(r->dev);
	for (size_t i = 0; i < r->n_rdma; i++)
		free(r->rdma[i].dev);
	free(r->rdma);
	for (size_t i = 0; i < r->n_unified; i++) {
		free(r->unified[i].key);
		free(r->unified[i].value);
	}
	free(r->unified);
	memset(r, 0, sizeof(*r));
}

/* ----------------------------------------------------------------- plan */

uint64_t kcg_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

const char *kcg_v1_name(const char *v2ctl)
{
	return !strcmp(v2ctl, "io") ? "blkio" : v2ctl;
}

static void write_free(struct kcg_write *w)
{
	free(w->ctl);
	free(w->file);
	free(w->value);
	free(w->field);
	free(w->alt);
	free(w->alt_value);
	free(w->path);
}

void kcg_writes_free(struct kcg_write *w, size_t n)
{
	if (!w)
		return;
	for (size_t i = 0; i < n; i++)
		write_free(&w[i]);
	free(w);
}

static struct kcg_write *plan_next(struct kcg_plan *p)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		struct kcg_write *nw = realloc(p->w, cap * sizeof(*nw));
		if (!nw)
			return NULL;
		p->w = nw;
		p->cap = cap;
	}
	struct kcg_write *w = &p->w[p->n];
	memset(w, 0, sizeof(*w));
	return w;
}

static int plan_vadd(struct kcg_plan *p, unsigned flags, const char *ctl, const char *file, const char *field,
		     const char *fmt, va_list ap)
{
	struct kcg_write *w = plan_next(p);
	if (!w)
		return kerr_set(p->e, ENOMEM, "plan cgroup writes");
	w->flags = flags;
	w->ctl = strdup(ctl);
	w->file = file ? strdup(file) : NULL;
	w->field = strdup(field);
	if (vasprintf(&w->value, fmt, ap) < 0)
		w->value = NULL;
	if (!w->ctl || (file && !w->file) || !w->field || !w->value) {
		write_free(w);
		return kerr_set(p->e, ENOMEM, "plan cgroup writes");
	}
	p->n++;
	return 0;
}

int kcg_plan_add(struct kcg_plan *p, unsigned flags, const char *ctl, const char *file, const char *field,
		 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = plan_vadd(p, flags, ctl, file, field, fmt, ap);
	va_end(ap);
	return r;
}

int kcg_plan_unsupported(struct kcg_plan *p, const char *ctl, const char *field, const char *why, ...)
{
	va_list ap;
	va_start(ap, why);
	int r = plan_vadd(p, KCG_W_UNSUPPORTED, ctl, NULL, field, why, ap);
	va_end(ap);
	return r;
}

int kcg_plan_alt(struct kcg_plan *p, const char *alt, const char *alt_value)
{
	struct kcg_write *w = &p->w[p->n - 1];
	if (!(w->alt = strdup(alt)) || (alt_value && !(w->alt_value = strdup(alt_value))))
		return kerr_set(p->e, ENOMEM, "plan cgroup writes");
	return 0;
}

static int unsupported_error(kerr *e, const struct kcg_write *w)
{
	return kerr_msg(e, ENOTSUP, "%s: %s: %s", CONFIG_FILE, w->field, w->value);
}

int kcg_plan_resources(int v2, json_object *resources, struct kcg_write **out, size_t *n, kerr *e)
{
	struct jctx c = { CONFIG_FILE, e };
	struct kcg_res r;
	struct kcg_plan p = { .e = e };

	*out = NULL;
	*n = 0;
	if (kcg_res_parse(&c, resources, &r) < 0)
		goto fail;
	if ((v2 ? kcg_v2_plan(&r, &p) : kcg_v1_plan(&r, &p)) < 0)
		goto fail;
	for (size_t i = 0; i < p.n; i++) {
		if (p.w[i].flags & KCG_W_UNSUPPORTED) {
			unsupported_error(e, &p.w[i]);
			goto fail;
		}
	}
	kcg_res_free(&r);
	*out = p.w;
	*n = p.n;
	return 0;
fail:
	kcg_res_free(&r);
	kcg_writes_free(p.w, p.n);
	return -1;
}

/* -------------------------------------------------------------- resolve */

int kcg_exists(const char *dir, const char *file)
{
	char p[PATH_MAX];
	struct stat st;
	if (snprintf(p, sizeof(p), "%s/%s", dir, file) >= (int)sizeof(p))
		return 0;
	return stat(p, &st) == 0;
}

/* Is CTL listed in DIR/cgroup.controllers? */
static int v2_has(const char *dir, const char *ctl)
{
	char p[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	kerr e;
	snprintf(p, sizeof(p), "%s/cgroup.controllers", dir);
	if (kfs_read_file(p, &buf, NULL, &e) < 0)
		return 0;
	size_t n = strlen(ctl);
	for (char *s = buf; (s = strstr(s, ctl)); s += n) {
		if ((s == buf || isspace((unsigned char)s[-1])) && (!s[n] || isspace((unsigned char)s[n])))
			return 1;
	}
	return 0;
}

/* Enable CTL in the cgroup.subtree_control of every ancestor of PATH in the
 * cgroup2 tree at MOUNT, from the top, as far as each one offers it. */
static void v2_enable(const char *mount, const char *path, const char *ctl)
{
	char dir[PATH_MAX], val[80];
	size_t ml = strlen(mount);
	if (snprintf(dir, sizeof(dir), "%s%s", mount, path) >= (int)sizeof(dir))
		return;
	snprintf(val, sizeof(val), "+%s", ctl);
	for (char *p = dir + ml; p && *p;) {
		char c = *p;
		*p = '\0';
		const char *d = *dir ? dir : "/";
		if (!v2_has(d, ctl)) {
			*p = c;
			return;
		}
		char sc[PATH_MAX + 32];
		snprintf(sc, sizeof(sc), "%s/cgroup.subtree_control", d);
		kerr e;
		(void)kfs_write_str(sc, val, &e);
		*p = c;
		p = strchr(p + 1, '/');
	}
}

struct ctlsel {
	char name[32];  /* v1 name */
	int version;    /* 1, 2, or 0: the host has it nowhere */
	char dir[PATH_MAX];
};

/* Where controller V1NAME (V2NAME in the cgroup2 tree) lives for PATH. */
static const struct ctlsel *select_ctl(const struct kcg_host *h, const char *path, const char *v1name,
				       struct ctlsel *cache, size_t *ncache, size_t max)
{
	for (size_t i = 0; i < *ncache; i++)
		if (!strcmp(cache[i].name, v1name))
			return &cache[i];
	if (*ncache == max)
		return NULL;
	struct ctlsel *s = &cache[(*ncache)++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", v1name);
	int idx = kcg_find(h, v1name);
	if (idx >= 0 && !h->hier[idx].v2) {
		s->version = 1;
		snprintf(s->dir, sizeof(s->dir), "%s%s", h->hier[idx].mount, path);
		return s;
	}
	if (h->unified < 0)
		return s;
	const char *mount = h->hier[h->unified].mount;
	snprintf(s->dir, sizeof(s->dir), "%s%s", mount, path);
	if (!strcmp(v1name, "devices")) { /* v2: an eBPF program, not a controller */
		s->version = 2;
		return s;
	}
	const char *v2name = !strcmp(v1name, "blkio") ? "io" : v1name;
	if (!v2_has(s->dir, v2name))
		v2_enable(mount, path, v2name);
	if (v2_has(s->dir, v2name))
		s->version = 2;
	return s;
}

static int no_controller(kerr *e, const struct kcg_host *h, const struct kcg_write *w, const char *ctl)
{
	if (h->unified < 0)
		return kerr_msg(e, ENOTSUP, "%s: %s: no %s controller on this host (no cgroup v1 hierarchy has it)",
				CONFIG_FILE, w->field, ctl);
	if (h->layout == KCG_V2)
		return kerr_msg(e, ENOTSUP, "%s: %s: no %s controller on this host (not available in %s)", CONFIG_FILE,
				w->field, ctl, h->hier[h->unified].mount);
	return kerr_msg(e, ENOTSUP,
			"%s: %s: no %s controller on this host (no cgroup v1 hierarchy under /sys/fs/cgroup has it, "
			"and it is not enabled in the cgroup2 tree at %s)",
			CONFIG_FILE, w->field, ctl, h->hier[h->unified].mount);
}

static int missing_file(kerr *e, const struct kcg_write *w, const char *dir)
{
	if (!strcmp(w->file, "memory.memsw.limit_in_bytes") || !strcmp(w->file, "memory.swap.max"))
		return kerr_msg(e, ENOTSUP, "%s: %s: this host has no swap accounting (%s missing)", CONFIG_FILE,
				w->field, w->file);
	if (!strncmp(w->file, "hugetlb.", 8))
		return kerr_msg(e, ENOTSUP, "%s: %s: this host has no such huge page size (%s missing in %s)",
				CONFIG_FILE, w->field, w->file, dir);
	return kerr_msg(e, ENOTSUP, "%s: %s: this host cannot set it (%s missing in %s)", CONFIG_FILE, w->field,
			w->file, dir);
}

/* Take W (moved) into the list OUT. */
static int take(struct kcg_plan *out, struct kcg_write *w, const char *dir, kerr *e)
{
	struct kcg_write *d = plan_next(out);
	if (!d)
		return kerr_set(e, ENOMEM, "resolve cgroup writes");
	*d = *w;
	memset(w, 0, sizeof(*w));
	if ((d->flags & KCG_W_DEVPROG) ? !(d->path = strdup(dir)) : asprintf(&d->path, "%s/%s", dir, d->file) < 0) {
		d->path = NULL;
		write_free(d);
		return kerr_set(e, ENOMEM, "resolve cgroup writes");
	}
	out->n++;
	return 0;
}

/* Check FILE exists in DIR (else ALT, else skip an optional one) and add it. */
static int place(struct kcg_plan *out, struct kcg_write *w, const char *dir, kerr *e)
{
	if (w->flags & KCG_W_DEVPROG) /* no file: attached to DIR itself */
		return take(out, w, dir, e);
	if (!kcg_exists(dir, w->file)) {
		if (w->alt && kcg_exists(dir, w->alt)) {
			free(w->file);
			w->file = steal_ptr(w->alt);
			if (w->alt_value) {
				free(w->value);
				w->value = steal_ptr(w->alt_value);
			}
		} else if (w->flags & KCG_W_OPTIONAL) {
			return 0;
		} else {
			return missing_file(e, w, dir);
		}
	}
	return take(out, w, dir, e);
}

static int read_num(const char *path, int64_t *out)
{
	_cleanup_free_ char *buf = NULL;
	kerr e;
	if (kfs_read_file(path, &buf, NULL, &e) < 0)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (end == buf || errno)
		return -1;
	*out = v;
	return 0;
}

/* v1: memory.limit_in_bytes must stay <= memory.memsw.limit_in_bytes after
 * every single write.  Writing memsw first works when the new memsw is
 * unlimited or not below the current limit; else the limit goes first. */
static void order_memsw(struct kcg_write *w, size_t n)
{
	size_t li = n, si = n;
	for (size_t i = 0; i < n; i++) {
		if (!(w[i].flags & KCG_W_MEMSW))
			continue;
		if (!strcmp(w[i].file, "memory.limit_in_bytes"))
			li = i;
		else if (!strcmp(w[i].file, "memory.memsw.limit_in_bytes"))
			si = i;
	}
	if (li == n || si == n)
		return;
	int64_t cur, swap = strtoll(w[si].value, NULL, 10);
	if (read_num(w[li].path, &cur) < 0)
		cur = INT64_MAX; /* unknown: a new cgroup, unlimited */
	int memsw_first = swap == -1 || swap >= cur;
	if (memsw_first != (si < li)) {
		struct kcg_write t = w[li];
		w[li] = w[si];
		w[si] = t;
	}
}

/* memory.checkBeforeUpdate: a new limit below the usage is refused. */
static int check_usage(const struct kcg_write *w, kerr *e)
{
	char dir[PATH_MAX], up[PATH_MAX + 32];
	int64_t usage, limit = strtoll(w->value, NULL, 10);
	if (limit <= 0) /* -1 or "max" */
		return 0;
	snprintf(dir, sizeof(dir), "%s", w->path);
	*strrchr(dir, '/') = '\0';
	snprintf(up, sizeof(up), "%s/%s", dir, kcg_exists(dir, "memory.current") ? "memory.current" : "memory.usage_in_bytes");
	if (read_num(up, &usage) < 0)
		return 0;
	if (limit < usage)
		return kerr_msg(e, EBUSY, "%s: %s: %" PRId64 " is below the current usage %" PRId64 " (checkBeforeUpdate)",
				CONFIG_FILE, w->field, limit, usage);
	return 0;
}

int kcg_resolve_resources(const struct kcg_host *h, const char *path, json_object *resources,
			  struct kcg_write **out, size_t *n, kerr *e)
{
	struct jctx c = { CONFIG_FILE, e };
	struct kcg_res r;
	struct kcg_plan p1 = { .e = e }, p2 = { .e = e }, res = { .e = e };
	struct ctlsel sel[24];
	size_t nsel = 0;
	int want1 = h->layout != KCG_V2, want2 = h->unified >= 0;

	*out = NULL;
	*n = 0;
	if (kcg_res_parse(&c, resources, &r) < 0)
		goto fail;
	if ((want1 && kcg_v1_plan(&r, &p1) < 0) || (want2 && kcg_v2_plan(&r, &p2) < 0))
		goto fail;

	/* v1 writes (on a pure v2 host the v2 plan alone) */
	struct kcg_plan *first = want1 ? &p1 : &p2;
	for (size_t i = 0; i < first->n; i++) {
		struct kcg_write *w = &first->w[i];
		if (w->flags & KCG_W_UNIFIED) {
			if (first == &p1) {
				if (h->unified < 0) { /* the v1 driver's marker */
					unsupported_error(e, w);
					goto fail;
				}
				continue; /* hybrid: taken from the v2 plan below */
			}
			continue;
		}
		const char *v1name = kcg_v1_name(w->ctl);
		const struct ctlsel *s = select_ctl(h, path, v1name, sel, &nsel, ARRAY_SIZE(sel));
		if (!s) {
			kerr_set(e, E2BIG, "too many controllers");
			goto fail;
		}
		if (s->version == 0) {
			if (w->flags & KCG_W_IMPLICIT)
				continue;
			no_controller(e, h, w, w->ctl);
			goto fail;
		}
		if ((first == &p1) != (s->version == 1))
			continue; /* handled by the other driver */
		if (w->flags & KCG_W_UNSUPPORTED) {
			unsupported_error(e, w);
			goto fail;
		}
		if (place(&res, w, s->dir, e) < 0)
			goto fail;
	}
	/* hybrid: controllers the v1 hierarchies lack, from the cgroup2 tree;
	 * and the device program on top of the v1 devices controller (the
	 * kernel runs both; see docs/kapsel-runtime.md) */
	if (want1 && want2) {
		for (size_t i = 0; i < p2.n; i++) {
			struct kcg_write *w = &p2.w[i];
			if (w->flags & KCG_W_UNIFIED)
				continue;
			if (w->flags & KCG_W_DEVPROG) {
				char v2dir[PATH_MAX];
				snprintf(v2dir, sizeof(v2dir), "%s%s", h->hier[h->unified].mount, path);
				if (place(&res, w, v2dir, e) < 0)
					goto fail;
				continue;
			}
			const struct ctlsel *s = select_ctl(h, path, kcg_v1_name(w->ctl), sel, &nsel, ARRAY_SIZE(sel));
			if (!s || s->version != 2)
				continue;
			if (w->flags & KCG_W_UNSUPPORTED) {
				unsupported_error(e, w);
				goto fail;
			}
			if (place(&res, w, s->dir, e) < 0)
				goto fail;
		}
	}
	/* unified: verbatim into the cgroup2 tree, for controllers enabled there */
	if (want2) {
		char v2dir[PATH_MAX];
		snprintf(v2dir, sizeof(v2dir), "%s%s", h->hier[h->unified].mount, path);
		for (size_t i = 0; i < p2.n; i++) {
			struct kcg_write *w = &p2.w[i];
			if (!(w->flags & KCG_W_UNIFIED))
				continue;
			if (!kcg_exists(v2dir, w->file)) {
				int idx = kcg_find(h, w->ctl);
				if (idx >= 0 && !h->hier[idx].v2) {
					kerr_msg(e, ENOTSUP,
						 "%s: %s: %s is a cgroup v1 controller on this host (%s), not part of the "
						 "cgroup2 tree at %s",
						 CONFIG_FILE, w->field, w->ctl, h->hier[idx].mount, h->hier[h->unified].mount);
					goto fail;
				}
				if (strcmp(w->ctl, "cgroup") && !v2_has(v2dir, w->ctl)) {
					v2_enable(h->hier[h->unified].mount, path, w->ctl);
					if (!v2_has(v2dir, w->ctl)) {
						kerr_msg(e, ENOTSUP,
							 "%s: %s: the %s controller is not enabled in the cgroup2 tree "
							 "(%s/cgroup.controllers)",
							 CONFIG_FILE, w->field, w->ctl, v2dir);
						goto fail;
					}
				}
				if (!kcg_exists(v2dir, w->file)) {
					missing_file(e, w, v2dir);
					goto fail;
				}
			}
			if (take(&res, w, v2dir, e) < 0)
				goto fail;
		}
	}
	order_memsw(res.w, res.n);
	for (size_t i = 0; i < res.n; i++)
		if ((res.w[i].flags & KCG_W_CHECK_USAGE) && check_usage(&res.w[i], e) < 0)
			goto fail;
	kcg_res_free(&r);
	kcg_writes_free(p1.w, p1.n);
	kcg_writes_free(p2.w, p2.n);
	*out = res.w;
	*n = res.n;
	return 0;
fail:
	kcg_res_free(&r);
	kcg_writes_free(p1.w, p1.n);
	kcg_writes_free(p2.w, p2.n);
	kcg_writes_free(res.w, res.n);
	return -1;
}

/* ---------------------------------------------------------------- apply */

static int attach_devprog(const struct kcg_write *w, kerr *e)
{
	_cleanup_free_ struct kcg_dev_rule *rules = NULL;
	size_t n;
	if (kcg_dev_rules_parse(w->value, &rules, &n, e) < 0 || kcg_devbpf_apply(w->path, rules, n, e) < 0)
		return kerr_wrap(e, "%s: %s", CONFIG_FILE, w->field);
	return 0;
}

int kcg_write_one(const struct kcg_write *w, kerr *e)
{
	if (w->flags & KCG_W_DEVPROG)
		return attach_devprog(w, e);
	_cleanup_close_ int fd = open(w->path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(e, "%s: %s: open %s", CONFIG_FILE, w->field, w->path);
	size_t len = strlen(w->value);
	ssize_t r;
	do
		r = write(fd, w->value, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return kerr_errno(e, "%s: %s: write \"%s\" to %s", CONFIG_FILE, w->field, w->value, w->path);
	if ((size_t)r != len)
		return kerr_msg(e, EIO, "%s: %s: write \"%s\" to %s: short write", CONFIG_FILE, w->field, w->value,
				w->path);
	return 0;
}

int kcg_apply_resources(const struct kcg_host *h, const char *path, json_object *resources, kerr *e)
{
	struct kcg_write *w;
	size_t n;
	if (kcg_resolve_resources(h, path, resources, &w, &n, e) < 0)
		return -1;
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++)
		r = kcg_write_one(&w[i], e);
	kcg_writes_free(w, n);
	return r;
}

/* ---------------------------------------------------------------- stats */

static int read_small(const char *dir, const char *file, char **out)
{
	char p[PATH_MAX];
	kerr e;
	if (snprintf(p, sizeof(p), "%s/%s", dir, file) >= (int)sizeof(p))
		return -1;
	return kfs_read_file(p, out, NULL, &e);
}

int kcg_read_u64(const char *dir, const char *file, uint64_t *out)
{
	_cleanup_free_ char *buf = NULL;
	if (read_small(dir, file, &buf) < 0)
		return -1;
	char *s = buf;
	while (isspace((unsigned char)*s))
		s++;
	if (!strncmp(s, "max", 3)) {
		*out = UINT64_MAX;
		return 0;
	}
	if (*s == '-') /* -1: unlimited */
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno)
		return -1;
	*out = v;
	return 0;
}

int kcg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out)
{
	_cleanup_free_ char *buf = NULL;
	if (read_small(dir, file, &buf) < 0)
		return -1;
	size_t kl = strlen(key);
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(line, key, kl) && line[kl] == ' ') {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(line + kl + 1, &end, 10);
			if (end == line + kl + 1 || errno)
				return -1;
			*out = v;
			return 0;
		}
		line = nl ? nl + 1 : NULL;
	}
	return -1;
}

int kcg_read_flat(const char *dir, const char *file, json_object *into)
{
	_cleanup_free_ char *buf = NULL;
	if (read_small(dir, file, &buf) < 0)
		return -1;
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *sp = strchr(line, ' ');
		if (sp) {
			*sp = '\0';
			char *end;
			errno = 0;
			unsigned long long v = strtoull(sp + 1, &end, 10);
			if (end != sp + 1 && !errno && *line)
				kcg_json_u64(into, line, v);
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

void kcg_json_u64(json_object *obj, const char *key, uint64_t v)
{
	json_object_object_add(obj, key, json_object_new_uint64(v));
}

json_object *kcg_json_child(json_object *obj, const char *key)
{
	json_object *c = kj_get(obj, key);
	if (!c) {
		c = json_object_new_object();
		json_object_object_add(obj, key, c);
	}
	return c;
}

static int dir_of(const struct kcg_host *h, int idx, const char *path, char *out, size_t n)
{
	struct stat st;
	if (idx < 0 || snprintf(out, n, "%s%s", h->hier[idx].mount, path) >= (int)n)
		return -1;
	return stat(out, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

/* Directory of v1 controller CTL for PATH, else the cgroup2 directory if
 * FILE exists there. */
static int pick(const struct kcg_host *h, const char *path, const char *ctl, const char *v2file, char *out, size_t n,
		int *v2)
{
	int idx = kcg_find(h, ctl);
	if (idx >= 0 && !h->hier[idx].v2) {
		*v2 = 0;
		return dir_of(h, idx, path, out, n);
	}
	if (h->unified < 0 || dir_of(h, h->unified, path, out, n) < 0 || !kcg_exists(out, v2file))
		return -1;
	*v2 = 1;
	return 0;
}

int kcg_stats(const struct kcg_host *h, const char *path, json_object **out, kerr *e)
{
	char dir[PATH_MAX];
	int v2, found = 0;
	for (int i = 0; i < h->n && !found; i++)
		found = dir_of(h, i, path, dir, sizeof(dir)) == 0;
	if (!found)
		return kerr_set(e, ENOENT, "stats: no cgroup %s in any hierarchy", path);

	json_object *o = json_object_new_object();
	if (!o)
		return kerr_set(e, ENOMEM, "stats");
	json_object_object_add(o, "cpu", json_object_new_object());
	json_object_object_add(o, "memory", json_object_new_object());
	json_object_object_add(o, "pids", json_object_new_object());
	json_object_object_add(o, "blkio", json_object_new_object());
	json_object_object_add(o, "hugetlb", json_object_new_object());

	int have_cpuacct = 0;
	if (pick(h, path, "cpuacct", "cpu.stat", dir, sizeof(dir), &v2) == 0 && !v2) {
		kcg_v1_stats_cpuacct(dir, o);
		have_cpuacct = 1;
	}
	if (pick(h, path, "cpu", "cpu.stat", dir, sizeof(dir), &v2) == 0) {
		if (v2 && !have_cpuacct)
			kcg_v2_stats_cpu(dir, o);
		else if (!v2)
			kcg_v1_stats_cpu(dir, o);
	} else if (!have_cpuacct && h->unified >= 0 && dir_of(h, h->unified, path, dir, sizeof(dir)) == 0) {
		kcg_v2_stats_cpu(dir, o); /* cpu.stat usage is core in v2 */
	}
	if (pick(h, path, "memory", "memory.current", dir, sizeof(dir), &v2) == 0)
		(v2 ? kcg_v2_stats_memory : kcg_v1_stats_memory)(dir, o);
	if (pick(h, path, "pids", "pids.current", dir, sizeof(dir), &v2) == 0)
		(v2 ? kcg_v2_stats_pids : kcg_v1_stats_pids)(dir, o);
	int idx = kcg_find(h, "blkio");
	if (idx >= 0 && dir_of(h, idx, path, dir, sizeof(dir)) == 0)
		kcg_v1_stats_blkio(dir, o);
	else if (pick(h, path, "io", "io.stat", dir, sizeof(dir), &v2) == 0 && v2)
		kcg_v2_stats_io(dir, o);
	idx = kcg_find(h, "hugetlb");
	if (idx >= 0 && dir_of(h, idx, path, dir, sizeof(dir)) == 0)
		kcg_v1_stats_hugetlb(dir, o);
	else if (h->unified >= 0 && dir_of(h, h->unified, path, dir, sizeof(dir)) == 0)
		kcg_v2_stats_hugetlb(dir, o);
	*out = o;
	return 0;
}

int kcg_oom_count(const struct kcg_host *h, const char *path, uint64_t *count, kerr *e)
{
	char dir[PATH_MAX];
	int v2;
	if (pick(h, path, "memory", "memory.events", dir, sizeof(dir), &v2) < 0)
		return kerr_set(e, ENOENT, "oom count of %s: no memory cgroup", path);
	const char *file = v2 ? "memory.events" : "memory.oom_control";
	if (kcg_read_keyed(dir, file, "oom_kill", count) < 0)
		return kerr_msg(e, ENOTSUP, "oom count of %s: no \"oom_kill\" counter in %s/%s", path, dir, file);
	return 0;
}
