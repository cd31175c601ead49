/* Discovery of every running container on the host from the engines' own
 * state (monitor.h says which files): read afresh on every call. */
#include "monitor/monitor.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/str.h"
#include "common/strv.h"
#include "docker/docker.h"
#include "oci/state.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const engine_table[] = {
	[KMON_KAPSEL] = "kapsel",         [KMON_DOCKER] = "docker",         [KMON_PODMAN] = "podman",
	[KMON_CONTAINERD] = "containerd", [KMON_KUBERNETES] = "kubernetes",
};
KAPSEL_DEFINE_NAME_TABLE(kmon_engine, enum kmon_engine, engine_table);

static const char *const default_task_roots[] = {
	"/run/containerd/io.containerd.runtime.v2.task",
	"/run/docker/containerd/daemon/io.containerd.runtime.v2.task",
	NULL,
};

struct disc {
	const char *proc;
	int all;
	struct kmon_list *l;
	size_t cap;
	double btime;
	long hz;
};

static const char *or_default(const char *v, const char *def)
{
	return v ? v : def;
}

static void warn(struct disc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct disc *d, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kstrv_add(&d->l->warnings, buf);
}

void kmon_container_clear(struct kmon_container *c)
{
	free(c->id);
	free(c->name);
	free(c->image);
	free(c->ns);
	free(c->cgroup);
	kstrv_free(c->labels);
	free(c->pod);
	free(c->pod_namespace);
	free(c->k8s_container);
	memset(c, 0, sizeof(*c));
}

void kmon_list_done(struct kmon_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		kmon_container_clear(&l->c[i]);
	free(l->c);
	kstrv_free(l->warnings);
	memset(l, 0, sizeof(*l));
}

/* The cgroup of PID: the memory hierarchy's line on v1/hybrid, else the
 * cgroup2 one ("0::"); NULL when the process is gone. */
static char *pid_cgroup(const char *proc, pid_t pid)
{
	char path[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	kerr e;
	snprintf(path, sizeof(path), "%s/%d/cgroup", proc, (int)pid);
	if (kfs_read_file(path, &buf, NULL, &e) < 0)
		return NULL;
	char *mem = NULL, *v2 = NULL;
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2) {
			*c2 = '\0';
			const char *ctls = c1 + 1;
			if (!strcmp(line, "0") && !*ctls)
				v2 = c2 + 1;
			else {
				_cleanup_strv_ char **v = kstrv_split(ctls, ",");
				if (v && kstrv_contains(v, "memory"))
					mem = c2 + 1;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	const char *p = mem ? mem : v2;
	return p ? kstr_dup(p) : NULL;
}

/* Start time of PID as unix time (0 unknown). */
static double pid_started(struct disc *d, pid_t pid)
{
	uint64_t t = kproc_start_time(pid);
	return t && d->btime > 0 ? d->btime + (double)t / (double)d->hz : 0;
}

static int pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* A new entry for ID of ENGINE running as PID, or NULL (gone, or no memory). */
static struct kmon_container *add(struct disc *d, enum kmon_engine engine, const char *id, pid_t pid)
{
	_cleanup_free_ char *cg = pid_alive(pid) ? pid_cgroup(d->proc, pid) : NULL;
	if (!cg && !d->all)
		return NULL;
	if (!cg) {
		pid = 0;
		if (!(cg = kstr_dup("")))
			return NULL;
	}
	struct kmon_list *l = d->l;
	if (l->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct kmon_container *nc = reallocarray(l->c, cap, sizeof(*nc));
		if (!nc)
			return NULL;
		l->c = nc;
		d->cap = cap;
	}
	struct kmon_container *c = &l->c[l->n];
	memset(c, 0, sizeof(*c));
	c->engine = engine;
	c->pid = pid;
	c->running = pid > 0;
	c->id = kstr_dup(id);
	c->cgroup = steal_ptr(cg);
	c->started = pid > 0 ? pid_started(d, pid) : 0;
	c->restarts = c->log_dropped = -1;
	c->labels = calloc(1, sizeof(char *));
	if (!c->id || !c->labels) {
		kmon_container_clear(c);
		return NULL;
	}
	l->n++;
	return c;
}

/* Fill the strings still NULL with "" (name with the id). */
static int finish(struct kmon_container *c)
{
	char **f[] = { &c->image, &c->ns, &c->pod, &c->pod_namespace, &c->k8s_container };
	if (!c->name)
		c->name = kstr_dup(c->id);
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		if (!*f[i])
			*f[i] = kstr_dup("");
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		if (!*f[i])
			return -1;
	return c->name ? 0 : -1;
}

static pid_t read_pid_file(const char *dir, const char *file)
{
	char path[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	kerr e;
	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path) ||
	    kfs_read_file(path, &buf, NULL, &e) < 0)
		return -1;
	char *end;
	long v = strtol(buf, &end, 10);
	return end != buf && v > 0 && v <= INT32_MAX ? (pid_t)v : -1;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ------------------------------------------------------ kapsel-runtime */

static void add_labels_from(struct kmon_container *c, char *const *kv)
{
	for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
		if (kstrv_add(&c->labels, kv[i]) < 0 || kstrv_add(&c->labels, kv[i + 1]) < 0)
			return;
}

static const char *kv_get(char *const *kv, const char *key)
{
	for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
		if (!strcmp(kv[i], key))
			return kv[i + 1];
	return NULL;
}

static void set_health(struct kmon_container *c, const char *h)
{
	static const char *const known[] = { "starting", "healthy", "unhealthy" };
	for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
		if (!strcmp(h, known[i]))
			snprintf(c->health, sizeof(c->health), "%s", h);
}

/* kapsel's engine keeps the bundle at ROOT/containers/<id>/bundle and
 * the supervisor's status.json beside it: restarts, health, dropped log
 * lines. */
static void kapsel_status(struct kmon_container *c, const char *bundle)
{
	size_t n = bundle ? strlen(bundle) : 0;
	if (n < 7 || strcmp(bundle + n - 7, "/bundle"))
		return;
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%.*s/status.json", (int)(n - 7), bundle) >= (int)sizeof(path))
		return;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	kerr e = { 0 };
	if (kfs_read_file(path, &buf, &len, &e) < 0)
		return;
	_cleanup_json_ json_object *o = kj_parse(path, buf, len, &e);
	if (!o)
		return;
	c->restarts = kj_get_i64(o, "restart_count", -1);
	json_object *ld = kj_get(o, "log_dropped_lines");
	if (ld && json_object_is_type(ld, json_type_int))
		c->log_dropped = json_object_get_int64(ld);
	const char *h = kj_get_str(kj_get(o, "health"), "status");
	if (h)
		set_health(c, h);
}

static void scan_kapsel(struct disc *d, const char *root)
{
	_cleanup_closedir_ DIR *dir = opendir(root);
	struct dirent *de;
	if (!dir) {
		if (errno != ENOENT)
			warn(d, "kapsel-runtime root %s: %s", root, strerror(errno));
		return;
	}
	while ((de = readdir(dir))) {
		struct kstate st;
		kerr e = { 0 };
		if (de->d_name[0] == '.' || kid_validate(de->d_name, &e) < 0 ||
		    kstate_read(root, de->d_name, &st, &e) < 0)
			continue;
		enum kstatus s = kstate_status(&st);
		int live = (s == KSTATUS_RUNNING || s == KSTATUS_PAUSED || s == KSTATUS_CREATED) && kstate_alive(&st);
		if (live || (d->all && s != KSTATUS_CREATING)) {
			struct kmon_container *c = add(d, KMON_KAPSEL, st.id, live ? st.pid : 0);
			if (c) {
				add_labels_from(c, st.annotations);
				const char *img = kv_get(st.annotations, "org.opencontainers.image.ref.name");
				if (!img) /* kapsel run's */
					img = kv_get(st.annotations, "io.kapsel.image");
				const char *name = kv_get(st.annotations, "io.kapsel.name");
				c->image = img ? kstr_dup(img) : NULL;
				c->name = name ? kstr_dup(name) : NULL;
				if (!live && st.cgroup_path && st.cgroup_path[0]) {
					/* stopped (between restarts): the cgroup it runs in */
					char *cg = kstr_dup(st.cgroup_path);
					if (cg) {
						free(c->cgroup);
						c->cgroup = cg;
					}
				}
				kapsel_status(c, st.bundle);
			}
		}
		kstate_free(&st);
	}
}

/* ----------------------------------------------------------- containerd */

static void take_annotations(struct kmon_container *c, json_object *cfg)
{
	json_object *ann = kj_get(cfg, "annotations");
	if (!ann || !json_object_is_type(ann, json_type_object))
		return;
	json_object_object_foreach(ann, k, v)
	{
		if (json_object_is_type(v, json_type_string) &&
		    (kstrv_add(&c->labels, k) < 0 || kstrv_add(&c->labels, json_object_get_string(v)) < 0))
			return;
	}
}

static char *ann_dup(json_object *cfg, const char *key)
{
	const char *v = kj_get_str(kj_get(cfg, "annotations"), key);
	return v ? kstr_dup(v) : NULL;
}

/* ns "moby" tasks are collected for the Docker pass: ids and pids. */
struct moby {
	char **ids; /* id, pid as text, ... */
};

static void scan_task_ns(struct disc *d, const char *nsdir, const char *ns, struct moby *m)
{
	_cleanup_closedir_ DIR *dir = opendir(nsdir);
	struct dirent *de;
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		char tdir[PATH_MAX], cfgpath[PATH_MAX + 16];
		if (de->d_name[0] == '.' ||
		    snprintf(tdir, sizeof(tdir), "%s/%s", nsdir, de->d_name) >= (int)sizeof(tdir))
			continue;
		pid_t pid = read_pid_file(tdir, "init.pid");
		if (pid < 0 || !pid_alive(pid))
			continue;
		if (!strcmp(ns, "moby")) {
			char pidtext[16];
			snprintf(pidtext, sizeof(pidtext), "%d", (int)pid);
			kstrv_add(&m->ids, de->d_name);
			kstrv_add(&m->ids, pidtext);
			continue;
		}
		snprintf(cfgpath, sizeof(cfgpath), "%s/config.json", tdir);
		_cleanup_free_ char *buf = NULL;
		size_t len;
		kerr e = { 0 };
		_cleanup_json_ json_object *cfg = NULL;
		if (kfs_read_file(cfgpath, &buf, &len, &e) == 0)
			cfg = kj_parse(cfgpath, buf, len, &e);
		if (!cfg) {
			warn(d, "containerd task %s/%s: %s", ns, de->d_name, e.msg);
			continue;
		}
		const char *type = kj_get_str(kj_get(cfg, "annotations"), "io.kubernetes.cri.container-type");
		struct kmon_container *c = add(d, type ? KMON_KUBERNETES : KMON_CONTAINERD, de->d_name, pid);
		if (!c)
			continue;
		c->ns = kstr_dup(ns);
		take_annotations(c, cfg);
		if (type) {
			int sandbox = !strcmp(type, "sandbox");
			c->pod = ann_dup(cfg, "io.kubernetes.cri.sandbox-name");
			c->pod_namespace = ann_dup(cfg, "io.kubernetes.cri.sandbox-namespace");
			c->k8s_container = sandbox ? kstr_dup("POD") : ann_dup(cfg, "io.kubernetes.cri.container-name");
			c->image = sandbox ? NULL : ann_dup(cfg, "io.kubernetes.cri.image-name");
			c->name = kstr_printf("%s/%s/%s", c->pod_namespace ? c->pod_namespace : "",
					      c->pod ? c->pod : "", c->k8s_container ? c->k8s_container : "");
		}
	}
}

static void scan_tasks(struct disc *d, const char *root, struct moby *m)
{
	_cleanup_closedir_ DIR *dir = opendir(root);
	struct dirent *de;
	if (!dir) {
		if (errno != ENOENT)
			warn(d, "containerd task root %s: %s", root, strerror(errno));
		return;
	}
	while ((de = readdir(dir))) {
		char nsdir[PATH_MAX];
		if (de->d_name[0] == '.' ||
		    snprintf(nsdir, sizeof(nsdir), "%s/%s", root, de->d_name) >= (int)sizeof(nsdir))
			continue;
		if (is_dir(nsdir))
			scan_task_ns(d, nsdir, de->d_name, m);
	}
}

/* --------------------------------------------------------------- Docker */

static void docker_labels(struct kmon_container *c, json_object *labels)
{
	if (!labels || !json_object_is_type(labels, json_type_object))
		return;
	json_object_object_foreach(labels, k, v)
	{
		if (kstrv_add(&c->labels, k) < 0 || kstrv_add(&c->labels, kj_str(v) ? kj_str(v) : "") < 0)
			return;
	}
}

static void scan_docker(struct disc *d, const char *host, struct moby *m)
{
	kerr e = { 0 };
	/* no socket: no Docker on this host (or not here); the moby tasks
	 * are still listed, by id */
	const char *sock = kstr_starts(host, "unix://") ? host + 7 : host;
	struct stat st;
	int have_sock = *host && stat(sock, &st) == 0;
	_cleanup_json_ json_object *arr = NULL;
	struct kdocker *cl = NULL;
	if (have_sock && (cl = kdocker_new(host, NULL, &e)) &&
	    kdocker_get_json(cl, d->all ? "/containers/json?all=1" : "/containers/json", &arr, &e) == 0 &&
	    !json_object_is_type(arr, json_type_array)) {
		kerr_msg(&e, EINVAL, "%s: GET /containers/json: not an array", host);
		json_object_put(arr);
		arr = NULL;
	}
	if (have_sock && !arr)
		warn(d, "docker: %s", e.msg);
	size_t n = arr ? json_object_array_length(arr) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		const char *id = kj_get_str(o, "Id");
		if (!id)
			continue;
		pid_t pid = -1;
		for (size_t k = 0; m->ids && m->ids[k]; k += 2)
			if (!strcmp(m->ids[k], id)) {
				pid = (pid_t)atoi(m->ids[k + 1]);
				m->ids[k][0] = '\0'; /* matched */
			}
		const char *state = kj_get_str(o, "State");
		if (pid < 0 && state && !strcmp(state, "running")) { /* its containerd is elsewhere: ask */
			char path[128];
			_cleanup_json_ json_object *ins = NULL;
			kerr ie = { 0 };
			snprintf(path, sizeof(path), "/containers/%.64s/json", id);
			if (kdocker_get_json(cl, path, &ins, &ie) == 0)
				pid = (pid_t)kj_get_i64(kj_get(ins, "State"), "Pid", -1);
		}
		struct kmon_container *c = add(d, KMON_DOCKER, id, pid);
		if (!c)
			continue;
		json_object *names = kj_get(o, "Names");
		const char *name = names ? kj_str(json_object_array_get_idx(names, 0)) : NULL;
		if (name && *name == '/')
			name++;
		c->name = name ? kstr_dup(name) : NULL;
		const char *img = kj_get_str(o, "Image");
		c->image = img ? kstr_dup(img) : NULL;
		c->ns = kstr_dup("moby");
		docker_labels(c, kj_get(o, "Labels"));
		/* "Up 3 minutes (healthy)", "(unhealthy)", "(health: starting)" */
		const char *status = kj_get_str(o, "Status");
		const char *paren = status ? strrchr(status, '(') : NULL;
		if (paren) {
			char h[16];
			snprintf(h, sizeof(h), "%.*s", (int)strcspn(paren + 1, ")"), paren + 1);
			set_health(c, strncmp(h, "health: ", 8) ? h : h + 8);
		}
	}
	kdocker_free(cl);
	/* moby tasks Docker did not list (no API): by id */
	for (size_t k = 0; m->ids && m->ids[k]; k += 2) {
		if (!m->ids[k][0])
			continue;
		struct kmon_container *c = add(d, KMON_DOCKER, m->ids[k], (pid_t)atoi(m->ids[k + 1]));
		if (c)
			c->ns = kstr_dup("moby");
	}
}

/* --------------------------------------------------------------- Podman */

static void scan_podman(struct disc *d, const char *root, const char *runroot)
{
	char path[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	size_t len;
	kerr e = { 0 };
	snprintf(path, sizeof(path), "%s/overlay-containers/containers.json", root);
	if (kfs_read_file(path, &buf, &len, &e) < 0) {
		if (e.errnum != ENOENT)
			warn(d, "podman: %s", e.msg);
		return;
	}
	_cleanup_json_ json_object *arr = kj_parse(path, buf, len, &e);
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		warn(d, "podman: %s", arr ? "containers.json is not an array" : e.msg);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		const char *id = kj_get_str(o, "id");
		char udir[PATH_MAX];
		if (!id || strchr(id, '/') || !*id ||
		    snprintf(udir, sizeof(udir), "%s/overlay-containers/%s/userdata", runroot, id) >= (int)sizeof(udir))
			continue;
		struct kmon_container *c = add(d, KMON_PODMAN, id, read_pid_file(udir, "pidfile"));
		if (!c)
			continue;
		json_object *names = kj_get(o, "names");
		const char *name = names ? kj_str(json_object_array_get_idx(names, 0)) : NULL;
		c->name = name ? kstr_dup(name) : NULL;
		/* "metadata" is JSON in a string: {"image-name":"localhost/x:latest",...} */
		const char *meta = kj_get_str(o, "metadata");
		kerr me = { 0 };
		_cleanup_json_ json_object *mo = meta ? kj_parse("metadata", meta, strlen(meta), &me) : NULL;
		const char *img = mo ? kj_get_str(mo, "image-name") : NULL;
		c->image = kstr_dup(img ? img : kj_get_str(o, "image") ? kj_get_str(o, "image") : "");
		/* the annotations of its config.json */
		char cfgpath[PATH_MAX + 64];
		snprintf(cfgpath, sizeof(cfgpath), "%s/overlay-containers/%s/userdata/config.json", root, id);
		_cleanup_free_ char *cb = NULL;
		size_t cl;
		_cleanup_json_ json_object *cfg = NULL;
		if (kfs_read_file(cfgpath, &cb, &cl, &me) == 0 && (cfg = kj_parse(cfgpath, cb, cl, &me)))
			take_annotations(c, cfg);
	}
}

/* ---------------------------------------------------------------------- */

static int by_engine_name(const void *a, const void *b)
{
	const struct kmon_container *x = a, *y = b;
	if (x->engine != y->engine)
		return (int)x->engine - (int)y->engine;
	int r = strcmp(x->name, y->name);
	return r ? r : strcmp(x->id, y->id);
}

static double boot_time(const char *proc)
{
	char path[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	kerr e;
	snprintf(path, sizeof(path), "%s/stat", proc);
	if (kfs_read_file(path, &buf, NULL, &e) < 0)
		return 0;
	const char *b = strstr(buf, "\nbtime ");
	return b ? strtod(b + 7, NULL) : 0;
}

int kmon_discover(const struct kmon_sources *src, struct kmon_list *out, kerr *e)
{
	static const struct kmon_sources none = { 0 };
	if (!src)
		src = &none;
	memset(out, 0, sizeof(*out));
	struct disc d = { .proc = or_default(src->proc, "/proc"),
			  .all = src->all,
			  .l = out,
			  .hz = sysconf(_SC_CLK_TCK) };
	if (d.hz <= 0)
		d.hz = 100;
	d.btime = boot_time(d.proc);
	struct moby m = { 0 };

	const char *root = or_default(src->kapsel_root, "/run/kapsel");
	if (*root)
		scan_kapsel(&d, root);
	for (const char *const *t = src->task_roots ? src->task_roots : default_task_roots; *t; t++)
		if (**t)
			scan_tasks(&d, *t, &m);
	const char *host = or_default(src->docker_host, "unix:///var/run/docker.sock");
	scan_docker(&d, host, &m); /* "": the moby tasks by id alone */
	kstrv_free(m.ids);
	const char *proot = or_default(src->podman_root, "/var/lib/containers/storage");
	const char *prun = or_default(src->podman_runroot, "/run/containers/storage");
	if (*proot && *prun)
		scan_podman(&d, proot, prun);

	for (size_t i = 0; i < out->n; i++)
		if (finish(&out->c[i]) < 0) {
			kmon_list_done(out);
			return kerr_set(e, ENOMEM, "discover containers");
		}
	if (out->n)
		qsort(out->c, out->n, sizeof(out->c[0]), by_engine_name);
	return 0;
}

const struct kmon_container *kmon_find(const struct kmon_list *l, const char *q, kerr *e)
{
	const struct kmon_container *hit = NULL;
	size_t ql = strlen(q);
	int n = 0;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->c[i].id, q) || !strcmp(l->c[i].name, q))
			return &l->c[i];
	for (size_t i = 0; ql && i < l->n; i++)
		if (!strncmp(l->c[i].id, q, ql)) {
			hit = &l->c[i];
			n++;
		}
	if (n == 1)
		return hit;
	if (n > 1)
		kerr_msg(e, EINVAL, "container id prefix \"%s\" is ambiguous (%d containers)", q, n);
	else
		kerr_msg(e, ENOENT, "no such container: %s", q);
	return NULL;
}
