/* linux.resources read and validated once into struct kcg_res.  Errors name
 * the field: "config.json: linux.resources.cpu.quota: ...". */
#include "cgroup/parse.h"

#include "common/cleanup.h"

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
