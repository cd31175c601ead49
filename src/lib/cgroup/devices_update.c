/* New device rules for a running container (kcg_update_devices in
 * resources.h).
 *
 * The cgroup2 device program is replaced in one step (devices_bpf.c).  The
 * v1 devices controller cannot be replaced in one step: the create-time
 * writes start with "deny a", and every access would be refused until the
 * allows that follow are written.  So the set of exceptions those writes
 * would leave is computed (the kernel's rules for a cgroup whose default is
 * deny: an allow adds or widens the exception of exactly that type and
 * numbers, a deny narrows or drops it, an "a" rule clears them all), the
 * missing ones are allowed first and only then the ones that are no longer
 * wanted are denied: what both the old and the new rules allow stays
 * allowed throughout.  A cgroup whose default is allow (a rule
 * "allow a"), before or after, is written in order instead. */
#include "cgroup/driver.h"
#include "cgroup/resources.h"

#include "common/cleanup.h"
#include "common/fs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_FILE "config.json"

/* One v1 exception: "c 1:3", its access bits. */
struct exc {
	char key[48]; /* "c 1:3" */
	char acc[4];
};

struct excset {
	struct exc *e;
	size_t n, cap;
	int allow_all; /* the default is allow: not handled here */
};

static struct exc *find(struct excset *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->e[i].key, key))
			return &s->e[i];
	return NULL;
}

/* OUT = A | B (ADD) or A & ~B, in "rwm" order; OUT may be A. */
static void acc_set(char out[4], const char *a, const char *b, int add)
{
	static const char order[] = "rwm";
	char r[4];
	size_t k = 0;
	for (const char *o = order; *o; o++) {
		int in_a = strchr(a, *o) != NULL, in_b = strchr(b, *o) != NULL;
		if (add ? (in_a || in_b) : (in_a && !in_b))
			r[k++] = *o;
	}
	r[k] = '\0';
	memcpy(out, r, k + 1);
}

/* Apply one devices.allow / devices.deny line ("c 1:3 rw") to S. */
static int sim(struct excset *s, int allow, const char *line)
{
	char key[48], acc[8];
	const char *sp = strrchr(line, ' ');
	if (!sp || (size_t)(sp - line) >= sizeof(key) || strlen(sp + 1) >= sizeof(acc))
		return -1;
	snprintf(key, sizeof(key), "%.*s", (int)(sp - line), line);
	snprintf(acc, sizeof(acc), "%s", sp + 1);
	if (key[0] == 'a') { /* the kernel: any "a" rule resets the cgroup */
		s->n = 0;
		s->allow_all = allow;
		return 0;
	}
	if (s->allow_all)
		return 0; /* exceptions of an allow-all cgroup: not modelled */
	struct exc *x = find(s, key);
	if (allow) {
		if (!x) {
			if (s->n == s->cap) {
				size_t cap = s->cap ? s->cap * 2 : 16;
				struct exc *ne = realloc(s->e, cap * sizeof(*ne));
				if (!ne)
					return -1;
				s->e = ne;
				s->cap = cap;
			}
			x = &s->e[s->n++];
			snprintf(x->key, sizeof(x->key), "%s", key);
			x->acc[0] = '\0';
		}
		acc_set(x->acc, x->acc, acc, 1);
	} else if (x) {
		acc_set(x->acc, x->acc, acc, 0);
		if (!x->acc[0])
			*x = s->e[--s->n];
	}
	return 0;
}

/* The exceptions in a devices.list ("a *:* rwm": the default is allow). */
static int parse_list(const char *text, struct excset *s, kerr *e)
{
	_cleanup_free_ char *buf = strdup(text);
	if (!buf)
		return kerr_set(e, ENOMEM, "device rules");
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (*line && sim(s, 1, line) < 0)
			return kerr_msg(e, EINVAL, "devices.list: unexpected line \"%s\"", line);
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

static int add(struct kcg_plan *out, const struct kcg_write *like, const char *file, const char *key, const char *acc)
{
	return kcg_plan_add(out, 0, like->ctl, file, like->field, "%s %s", key, acc);
}

int kcg_v1_devices_transition(const struct kcg_write *w, size_t n, const char *list, struct kcg_plan *out)
{
	struct excset want = { 0 }, have = { 0 };
	int rc = -1;
	for (size_t i = 0; i < n; i++) {
		if (sim(&want, !strcmp(w[i].file, "devices.allow"), w[i].value) < 0) {
			kerr_set(out->e, ENOMEM, "device rules");
			goto out;
		}
	}
	if (parse_list(list, &have, out->e) < 0)
		goto out;
	if (want.allow_all || have.allow_all) {
		for (size_t i = 0; i < n; i++)
			if (kcg_plan_add(out, w[i].flags, w[i].ctl, w[i].file, w[i].field, "%s", w[i].value) < 0)
				goto out;
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < want.n; i++) {
		struct exc *h = find(&have, want.e[i].key);
		char more[4];
		acc_set(more, want.e[i].acc, h ? h->acc : "", 0);
		if (*more && add(out, &w[0], "devices.allow", want.e[i].key, want.e[i].acc) < 0)
			goto out;
	}
	for (size_t i = 0; i < have.n; i++) {
		struct exc *x = find(&want, have.e[i].key);
		char less[4];
		acc_set(less, have.e[i].acc, x ? x->acc : "", 0);
		if (*less && add(out, &w[0], "devices.deny", have.e[i].key, less) < 0)
			goto out;
	}
	rc = 0;
out:
	free(want.e);
	free(have.e);
	return rc;
}

/* W[0..N): the v1 devices writes of the new rules, all in one directory. */
static int v1_transition(const struct kcg_write *w, size_t n, kerr *e)
{
	char dir[PATH_MAX], p[PATH_MAX + 16];
	_cleanup_free_ char *list = NULL;
	struct kcg_plan t = { .e = e };
	snprintf(dir, sizeof(dir), "%s", w[0].path);
	*strrchr(dir, '/') = '\0';
	snprintf(p, sizeof(p), "%s/devices.list", dir);
	if (kfs_read_file(p, &list, NULL, e) < 0 || kcg_v1_devices_transition(w, n, list, &t) < 0) {
		kcg_writes_free(t.w, t.n);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < t.n; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, t.w[i].file);
		if (kfs_write_str(p, t.w[i].value, e) < 0)
			rc = kerr_wrap(e, "%s: %s", CONFIG_FILE, t.w[i].field);
	}
	kcg_writes_free(t.w, t.n);
	return rc;
}

int kcg_update_devices(const struct kcg_host *h, const char *path, json_object *devices, kerr *e)
{
	struct kcg_write *w;
	size_t n, nv1 = 0;
	json_object *res = json_object_new_object();
	if (!res)
		return kerr_set(e, ENOMEM, "update device rules");
	json_object_object_add(res, "devices", json_object_get(devices));
	int rc = kcg_resolve_resources(h, path, res, &w, &n, e);
	json_object_put(res);
	if (rc < 0)
		return -1;
	/* the plan of a devices-only object: the v1 devices writes, then the program */
	while (nv1 < n && !(w[nv1].flags & KCG_W_DEVPROG))
		nv1++;
	if (nv1 > 0)
		rc = v1_transition(w, nv1, e);
	for (size_t i = nv1; rc == 0 && i < n; i++)
		rc = kcg_write_one(&w[i], e);
	kcg_writes_free(w, n);
	return rc;
}
