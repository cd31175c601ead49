/* ps, pause, resume, update: what a client does to a container that runs.
 *
 * update merges the new linux.resources into the ones the container has
 * (ROOT/ID/resources.json after an earlier update, else the config's),
 * validates the result as a whole, writes only what changed, undoes its own
 * writes when the kernel refuses one, and then records the merged resources. */
#include "container.h"

#include "cgroup/cgroup.h"
#include "cgroup/resources.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/log.h"
#include "policy/policy.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define RESOURCES_FILE "resources.json"

/* The state of ID, refusing one still being created (its cgroup is not
 * known yet). */
static int load(const char *root, const char *id, struct kstate *st, enum kstatus *status, kerr *e)
{
	if (kcontainer_state(root, id, st, status, e) < 0)
		return -1;
	if (*status == KSTATUS_CREATING || !st->cgroup_path) {
		kstate_free(st);
		return kerr_msg(e, EBUSY, "container \"%s\" is still being created", id);
	}
	return 0;
}

/* ------------------------------------------------------------------ ps */

static int pids_container(const char *root, const char *id, pid_t **out, kerr *e)
{
	struct kstate st;
	enum kstatus status;
	struct kcg_host h;
	int n;

	*out = NULL;
	if (load(root, id, &st, &status, e) < 0)
		return -1;
	n = kcg_host_detect(&h, e);
	if (n == 0)
		n = kcg_pids(&h, st.cgroup_path, out, e);
	if (n < 0 && e->errnum == ENOENT && status == KSTATUS_STOPPED) {
		n = 0; /* stopped and its cgroup already gone: nothing runs */
		kerr_clear(e);
	} else if (n < 0) {
		kerr_wrap(e, "processes of container \"%s\"", id);
	}
	kstate_free(&st);
	return n;
}

/* the public call: its error says which container */
int kcontainer_pids(const char *root, const char *id, pid_t **out, kerr *e)
{
	int r = pids_container(root, id, out, e);
	if (r < 0)
		kerr_wrap(e, "ps %s", id);
	return r;
}

int kps_filter(const char *ps_output, const pid_t *pids, int n, char **out, kerr *e)
{
	*out = NULL;
	const char *nl = strchr(ps_output, '\n');
	size_t hl = nl ? (size_t)(nl - ps_output) : strlen(ps_output);
	_cleanup_free_ char *hdr = strndup(ps_output, hl);
	if (!hdr)
		return kerr_set(e, ENOMEM, "ps");
	int col = 0, idx = -1;
	char *save = NULL;
	for (char *t = strtok_r(hdr, " \t", &save); t; t = strtok_r(NULL, " \t", &save), col++)
		if (!strcmp(t, "PID")) {
			idx = col;
			break;
		}
	if (idx < 0)
		return kerr_msg(e, EINVAL, "ps: the output has no PID column (header: \"%.*s\")", (int)hl, ps_output);

	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	if (!f)
		return kerr_errno(e, "ps");
	fprintf(f, "%.*s\n", (int)hl, ps_output);
	for (const char *line = nl ? nl + 1 : NULL; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t ll = end ? (size_t)(end - line) : strlen(line);
		const char *p = line, *stop = line + ll;
		/* field IDX of the line */
		for (int i = 0; p < stop; i++) {
			while (p < stop && isspace((unsigned char)*p))
				p++;
			if (i == idx)
				break;
			while (p < stop && !isspace((unsigned char)*p))
				p++;
		}
		if (p < stop) {
			char *q;
			long pid = strtol(p, &q, 10);
			if (q == p || (q < stop && !isspace((unsigned char)*q))) {
				fclose(f);
				free(*out);
				*out = NULL;
				return kerr_msg(e, EINVAL, "ps: cannot read a pid in \"%.*s\"", (int)ll, line);
			}
			for (int i = 0; i < n; i++)
				if (pids[i] == pid) {
					fprintf(f, "%.*s\n", (int)ll, line);
					break;
				}
		}
		line = end ? end + 1 : NULL;
	}
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return kerr_set(e, ENOMEM, "ps");
	}
	return 0;
}

/* ------------------------------------------------------- pause, resume */

static int freeze(const char *root, const char *id, int on, kerr *e)
{
	struct kstate st;
	enum kstatus status;
	struct kcg_host h;
	int rc;

	if (load(root, id, &st, &status, e) < 0)
		return -1;
	if (on && status != KSTATUS_RUNNING)
		rc = kerr_msg(e, EINVAL, "cannot pause container \"%s\": it is %s, not running", id, kstatus_to_name(status));
	else if (!on && status != KSTATUS_PAUSED)
		rc = kerr_msg(e, EINVAL, "cannot resume container \"%s\": it is %s, not paused", id, kstatus_to_name(status));
	else if ((rc = kcg_host_detect(&h, e)) == 0 && (rc = kcg_freeze(&h, st.cgroup_path, on, e)) < 0) {
		if (on) {
			kerr ig; /* half frozen helps nobody */
			kcg_freeze(&h, st.cgroup_path, 0, &ig);
		}
		kerr_wrap(e, "%s container \"%s\"", on ? "pause" : "resume", id);
	}
	kstate_free(&st);
	return rc;
}

int kcontainer_pause(const char *root, const char *id, kerr *e)
{
	return freeze(root, id, 1, e);
}

int kcontainer_resume(const char *root, const char *id, kerr *e)
{
	return freeze(root, id, 0, e);
}

/* ------------------------------------------------------------ resources */

/* linux.resources as recorded by the last update, else as configured,
 * else none. */
static int current_resources(const char *root, const struct kstate *st, json_object **out, kerr *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	_cleanup_free_ char *buf = NULL;
	size_t len;

	*out = NULL;
	if (kstate_dir(root, st->id, dir, sizeof(dir), e) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/" RESOURCES_FILE, dir);
	if (kfs_read_file(path, &buf, &len, e) == 0) {
		json_object *o = kj_parse(path, buf, len, e);
		if (!o)
			return -1;
		if (!json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			return kerr_msg(e, EINVAL, "%s: corrupt (not an object)", path);
		}
		*out = o;
		return 0;
	}
	if (e->errnum != ENOENT)
		return -1;
	kerr_clear(e);
	/* the config saved at create, else (older state) the bundle's */
	for (int i = 0; i < 2 && !*out; i++) {
		if (i == 0)
			snprintf(path, sizeof(path), "%s/config.json", dir);
		else if (st->bundle)
			snprintf(path, sizeof(path), "%s/config.json", st->bundle);
		else
			break;
		free(buf);
		buf = NULL;
		if (kfs_read_file(path, &buf, &len, e) < 0) {
			klog_debug("resources of %s: %s", st->id, e->msg);
			kerr_clear(e);
			continue;
		}
		json_object *cfg = kj_parse(path, buf, len, e);
		json_object *res = kj_get(kj_get(cfg, "linux"), "resources");
		if (res && json_object_is_type(res, json_type_object) && json_object_deep_copy(res, out, NULL) < 0)
			*out = NULL;
		if (cfg && !*out)
			*out = json_object_new_object(); /* a config without resources */
		json_object_put(cfg);
		kerr_clear(e);
	}
	if (!*out)
		*out = json_object_new_object();
	return *out ? 0 : kerr_set(e, ENOMEM, "resources");
}

/* The fields update takes: every linux.resources key, and inside the ones
 * with fixed members, those members (a typo is an error, not a no-op). */
static const char *const top_keys[] = { "memory", "cpu", "pids", "blockIO", "hugepageLimits", "network",
					"devices", "rdma", "unified", NULL };
static const struct {
	const char *key;
	const char *const *members;
} member_keys[] = {
	{ "memory", (const char *const[]){ "limit", "reservation", "swap", "kernel", "kernelTCP", "swappiness",
					   "disableOOMKiller", "useHierarchy", "checkBeforeUpdate", NULL } },
	{ "cpu", (const char *const[]){ "shares", "quota", "burst", "period", "realtimeRuntime", "realtimePeriod",
					"cpus", "mems", "idle", NULL } },
	{ "pids", (const char *const[]){ "limit", NULL } },
	{ "blockIO", (const char *const[]){ "weight", "leafWeight", "weightDevice", "throttleReadBpsDevice",
					    "throttleWriteBpsDevice", "throttleReadIOPSDevice",
					    "throttleWriteIOPSDevice", NULL } },
};

static int in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (!strcmp(*l, s))
			return 1;
	return 0;
}

static int check_keys(json_object *res, kerr *e)
{
	if (!json_object_is_type(res, json_type_object))
		return kerr_msg(e, EINVAL, "linux.resources: expected an object");
	json_object_object_foreach(res, k, v) {
		if (!in_list(top_keys, k))
			return kerr_msg(e, EINVAL, "linux.resources.%s: unknown field", k);
		for (size_t i = 0; i < ARRAY_SIZE(member_keys); i++) {
			if (strcmp(member_keys[i].key, k) || !v || !json_object_is_type(v, json_type_object))
				continue;
			json_object_object_foreach(v, mk, mv) {
				(void)mv;
				if (!in_list(member_keys[i].members, mk))
					return kerr_msg(e, EINVAL, "linux.resources.%s.%s: unknown field", k, mk);
			}
		}
	}
	return 0;
}

/* Fields where 0 means "not set" (runc; Docker sends zeros for defaults):
 * in an update they leave the value as it is. */
static const char *const zero_unset[][2] = {
	{ "memory", "limit" }, { "memory", "swap" }, { "memory", "reservation" }, { "memory", "kernel" },
	{ "memory", "kernelTCP" }, { "cpu", "shares" }, { "cpu", "quota" }, { "cpu", "period" },
	{ "cpu", "realtimePeriod" }, { "pids", "limit" }, { "blockIO", "weight" }, { "blockIO", "leafWeight" },
};

static void drop_zeros(json_object *res)
{
	for (size_t i = 0; i < ARRAY_SIZE(zero_unset); i++) {
		json_object *o = kj_get(res, zero_unset[i][0]);
		json_object *v = kj_get(o, zero_unset[i][1]);
		if (v && json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 0)
			json_object_object_del(o, zero_unset[i][1]);
	}
	/* empty strings: cpus and mems unchanged */
	json_object *cpu = kj_get(res, "cpu");
	static const char *const strs[] = { "cpus", "mems" };
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		json_object *v = kj_get(cpu, strs[i]);
		if (v && json_object_is_type(v, json_type_string) && !*json_object_get_string(v))
			json_object_object_del(cpu, strs[i]);
	}
}

/* Merge SRC into DST: objects member by member, everything else replaced;
 * null leaves a value as it is. */
static int merge(json_object *dst, json_object *src)
{
	json_object_object_foreach(src, k, v) {
		if (!v)
			continue;
		json_object *d = kj_get(dst, k);
		if (d && json_object_is_type(d, json_type_object) && json_object_is_type(v, json_type_object)) {
			if (merge(d, v) < 0)
				return -1;
			continue;
		}
		json_object *c = NULL;
		if (json_object_deep_copy(v, &c, NULL) < 0)
			return -1;
		json_object_object_add(dst, k, c);
	}
	return 0;
}

static int get_int(json_object *o, const char *a, const char *b, int64_t *out)
{
	json_object *v = kj_get(kj_get(o, a), b);
	if (!v || !json_object_is_type(v, json_type_int))
		return 0;
	*out = json_object_get_int64(v);
	return 1;
}

/* A new memory limit without a word on swap: unlimited memory makes swap
 * unlimited too (as runc does); a container that had no swap (swap equal to
 * the limit) keeps having none; one that had some keeps its memory+swap
 * limit, written again: cgroup v2 keeps swap apart (memory.swap.max is swap
 * minus limit), so the new limit changes what that file must hold. */
static void swap_follows_limit(json_object *delta, json_object *cur)
{
	int64_t limit, old_limit, old_swap;
	json_object *mem = kj_get(delta, "memory");
	if (!get_int(delta, "memory", "limit", &limit) || kj_get(mem, "swap"))
		return;
	if (limit == -1) /* the v1 driver lifts memsw with it, where there is one */
		json_object_object_del(kj_get(cur, "memory"), "swap");
	else if (get_int(cur, "memory", "limit", &old_limit) && get_int(cur, "memory", "swap", &old_swap) &&
		 old_limit > 0)
		json_object_object_add(mem, "swap", json_object_new_int64(old_swap == old_limit ? limit : old_swap));
}

/* "config.json: linux.resources..." from the cgroup code: the file is not
 * what the user gave us here. */
static void strip_config_prefix(kerr *e)
{
	static const char pfx[] = "config.json: ";
	if (!strncmp(e->msg, pfx, sizeof(pfx) - 1))
		memmove(e->msg, e->msg + sizeof(pfx) - 1, strlen(e->msg) - (sizeof(pfx) - 1) + 1);
}

static int write_value(const char *path, const char *v, size_t len)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r;
	do
		r = write(fd, v, len);
	while (r < 0 && errno == EINTR);
	if (r >= 0 && (size_t)r != len) {
		errno = EIO;
		return -1;
	}
	return r < 0 ? -1 : 0;
}

/* Put back what FILE held before we wrote it (best effort): one value, or
 * one write per line for the files that list devices or interfaces. */
static void restore(const struct kcg_write *w, const char *saved)
{
	if (!strcmp(w->file, "memory.oom_control")) {
		const char *p = strstr(saved, "oom_kill_disable ");
		if (p)
			write_value(w->path, p + 17, 1);
		return;
	}
	const char *nl = strchr(saved, '\n');
	int multi = nl && nl[1];
	if (!multi) {
		size_t len = nl ? (size_t)(nl - saved) : strlen(saved);
		if (write_value(w->path, saved, len) < 0)
			klog_warn("update: could not restore %s: %m", w->path);
		return;
	}
	for (const char *line = saved; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len && write_value(w->path, line, len) < 0)
			klog_warn("update: could not restore \"%.*s\" in %s: %m", (int)len, line, w->path);
		line = end ? end + 1 : NULL;
	}
}

/* The device rules the v1 driver always plans (deny all, then the
 * defaults) are not part of an update. */
static int skip_write(const struct kcg_write *w)
{
	return !strcmp(w->ctl, "devices");
}

/* Write W[0..N) in order; on a failure, undo the writes made so far in the
 * reverse order (each state passed through was accepted by the kernel). */
static int write_all_or_none(const struct kcg_write *w, size_t n, kerr *e)
{
	char **saved = calloc(n ? n : 1, sizeof(char *));
	size_t done = 0;
	int rc = 0;
	if (!saved)
		return kerr_set(e, ENOMEM, "update");
	for (; done < n; done++) {
		kerr ig;
		if (skip_write(&w[done]))
			continue;
		if (kfs_read_file(w[done].path, &saved[done], NULL, &ig) < 0)
			saved[done] = NULL;
		if (write_value(w[done].path, w[done].value, strlen(w[done].value)) < 0) {
			rc = kerr_errno(e, "%s: write \"%s\" to %s", w[done].field, w[done].value, w[done].path);
			break;
		}
	}
	if (rc < 0)
		while (done-- > 0)
			if (saved[done] && !skip_write(&w[done]))
				restore(&w[done], saved[done]);
	for (size_t i = 0; i < n; i++)
		free(saved[i]);
	free(saved);
	return rc;
}

/* A copy of RES without devices (see kcontainer_update). */
static json_object *without_devices(json_object *res)
{
	json_object *c = NULL;
	if (json_object_deep_copy(res, &c, NULL) < 0)
		return NULL;
	json_object_object_del(c, "devices");
	return c;
}

/* New device rules pass the policy the container was created under: the
 * config saved at create (ROOT/ID/config.json, not the bundle's, which may
 * have changed since) with the new rules is decided again (and the
 * decision logged); a refusal names the rule. */
static int check_device_policy(const char *root, const char *policy, const struct kstate *st, json_object *devices,
			       kerr *e)
{
	char p[PATH_MAX + 16], dir[PATH_MAX];
	_cleanup_free_ char *txt = NULL;
	struct kpolicy pol;
	struct kpol_decision d;
	int rc = -1;

	if (kstate_dir(root, st->id, dir, sizeof(dir), e) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/config.json", dir);
	if (kfs_read_file(p, &txt, NULL, e) < 0)
		return kerr_wrap(e, "linux.resources.devices: the new rules are checked against the policy");
	json_object *spec = json_tokener_parse(txt);
	if (!spec || !json_object_is_type(spec, json_type_object)) {
		json_object_put(spec);
		return kerr_msg(e, EINVAL, "linux.resources.devices: the new rules are checked against the policy: %s: "
					   "not a JSON object", p);
	}
	json_object *lx = kj_get(spec, "linux"), *res;
	if (!lx || !json_object_is_type(lx, json_type_object))
		json_object_object_add(spec, "linux", lx = json_object_new_object());
	res = kj_get(lx, "resources");
	if (!res || !json_object_is_type(res, json_type_object))
		json_object_object_add(lx, "resources", res = json_object_new_object());
	json_object_object_add(res, "devices", json_object_get(devices));
	if (kpolicy_load(policy, &pol, e) < 0) {
		json_object_put(spec);
		return -1;
	}
	if (kpolicy_enforce(&pol, st->id, st->bundle, spec, &d, e) < 0)
		goto out;
	rc = 0;
out:
	kpolicy_free(&pol);
	json_object_put(spec);
	return rc;
}

static int do_update(const char *root, const struct kstate *st, json_object *update, const char *policy, kerr *e)
{
	struct kcg_host h;
	struct kcg_write *w = NULL;
	size_t n = 0;
	json_object *cur = NULL, *delta = NULL, *check = NULL, *devices = NULL, *old_devices = NULL;
	char dir[PATH_MAX], path[PATH_MAX + 32], tmp[PATH_MAX + 48];
	int rc = -1, made_tmp = 0;

	if (check_keys(update, e) < 0)
		return -1;
	if (kcg_host_detect(&h, e) < 0 || current_resources(root, st, &cur, e) < 0)
		return -1;
	if (json_object_deep_copy(update, &delta, NULL) < 0) {
		kerr_set(e, ENOMEM, "update");
		goto out;
	}
	/* Device rules are replaced as a whole (crun does so too; the same
	 * rules sent back change nothing); written apart from the rest. */
	if (kj_get(delta, "devices")) {
		devices = json_object_get(kj_get(delta, "devices"));
		json_object_object_del(delta, "devices");
	}
	drop_zeros(delta);
	if (kj_get(kj_get(delta, "memory"), "kernel")) {
		kerr_msg(e, ENOTSUP, "linux.resources.memory.kernel: kernel memory limits are deprecated (the kernel "
				     "ignores or refuses them): not supported");
		goto out;
	}
	swap_follows_limit(delta, cur);
	if (merge(cur, delta) < 0) {
		kerr_set(e, ENOMEM, "update");
		goto out;
	}
	if (devices) {
		json_object *od = kj_get(cur, "devices");
		old_devices = od ? json_object_get(od) : json_object_new_array();
		if (!json_object_equal(old_devices, devices) && check_device_policy(root, policy, st, devices, e) < 0)
			goto out;
		json_object_object_add(cur, "devices", json_object_get(devices));
	}
	/* the merged whole must hold together (swap >= limit, ranges) ... */
	if (!(check = without_devices(cur))) {
		kerr_set(e, ENOMEM, "update");
		goto out;
	}
	if (kcg_resolve_resources(&h, st->cgroup_path, check, &w, &n, e) < 0)
		goto out;
	kcg_writes_free(w, n);
	w = NULL;
	/* ... and only what was asked for is written */
	if (kcg_resolve_resources(&h, st->cgroup_path, delta, &w, &n, e) < 0)
		goto out;

	/* record first (beside), apply, then make the record current */
	if (kstate_dir(root, st->id, dir, sizeof(dir), e) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/" RESOURCES_FILE, dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	const char *txt = json_object_to_json_string_ext(cur, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (kfs_write_file(tmp, txt, strlen(txt), 0600, 0, e) < 0)
		goto out;
	made_tmp = 1;
	if (devices && kcg_update_devices(&h, st->cgroup_path, devices, e) < 0)
		goto out;
	if (write_all_or_none(w, n, e) < 0) {
		kerr ig;
		if (devices && kcg_update_devices(&h, st->cgroup_path, old_devices, &ig) < 0)
			klog_warn("update %s: could not restore the device rules: %s", st->id, ig.msg);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		kerr_errno(e, "rename %s", tmp);
		goto out;
	}
	made_tmp = 0;
	rc = 0;
out:
	if (rc < 0)
		strip_config_prefix(e);
	if (made_tmp)
		unlink(tmp);
	kcg_writes_free(w, n);
	json_object_put(check);
	json_object_put(devices);
	json_object_put(old_devices);
	json_object_put(delta);
	json_object_put(cur);
	return rc;
}

static int update_container(const char *root, const char *id, json_object *resources, const char *policy, kerr *e)
{
	struct kstate st;
	enum kstatus status;
	char dir[PATH_MAX];

	if (kstate_dir(root, id, dir, sizeof(dir), e) < 0)
		return -1;
	/* one update at a time: each merges into what the last one recorded */
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)
			return kerr_msg(e, ENOENT, "container \"%s\" does not exist", id);
		return kerr_errno(e, "open %s", dir);
	}
	if (flock(dfd, LOCK_EX) < 0)
		return kerr_errno(e, "lock %s", dir);
	if (load(root, id, &st, &status, e) < 0)
		return -1;
	int rc;
	if (status == KSTATUS_STOPPED)
		rc = kerr_msg(e, EINVAL, "cannot update container \"%s\": it is stopped", id);
	else if ((rc = do_update(root, &st, resources, policy, e)) < 0)
		kerr_wrap(e, "update container \"%s\"", id);
	kstate_free(&st);
	return rc;
}

/* the public call: its error says which container */
int kcontainer_update(const char *root, const char *id, json_object *resources, const char *policy, kerr *e)
{
	int r = update_container(root, id, resources, policy, e);
	if (r < 0)
		kerr_wrap(e, "update %s", id);
	return r;
}
