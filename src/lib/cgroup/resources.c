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
 * The steps live in parse.c, plan.c (with v1.c and v2.c) and this file;
 * stats are stats.c. */
#include "cgroup/resources.h"

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
	struct kcg_write *d = kcg_plan_next(out);
	if (!d)
		return kerr_set(e, ENOMEM, "resolve cgroup writes");
	*d = *w;
	memset(w, 0, sizeof(*w));
	if ((d->flags & KCG_W_DEVPROG) ? !(d->path = strdup(dir)) : asprintf(&d->path, "%s/%s", dir, d->file) < 0) {
		d->path = NULL;
		kcg_write_free(d);
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
