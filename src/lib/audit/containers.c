/* Containers and images: fetched from the Engine API (one inspect per
 * object, concurrently) or read from OCI bundles, and normalised into one
 * model (struct kcont) that the container-runtime checks read. */
#include "internal.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "vocab/caps.h"
#include "vocab/mountopt.h"
#include "vocab/ns.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void kcont_free(struct kcont *c)
{
	free(c->source);
	free(c->kind);
	free(c->id);
	free(c->name);
	free(c->image);
	json_object_put(c->raw);
	free_strv(c->ignore);
	free(c->user);
	free(c->restart_name);
	free(c->apparmor);
	free(c->selinux);
	free(c->seccomp_desc);
	for (size_t i = 0; i < c->nmounts; i++) {
		free(c->mounts[i].type);
		free(c->mounts[i].src);
		free(c->mounts[i].dst);
		free(c->mounts[i].propagation);
	}
	free(c->mounts);
	for (size_t i = 0; i < c->nports; i++) {
		free(c->ports[i].host_ip);
		free(c->ports[i].cport);
	}
	free(c->ports);
	free_strv(c->devices);
	free(c->cgroup_parent);
	free_strv(c->cmd);
	free(c->network_mode);
	free_strv(c->networks);
	free_strv(c->exec_ids);
	memset(c, 0, sizeof(*c));
}

int user_is_root(const char *user)
{
	if (!user || !*user)
		return 1;
	size_t n = strcspn(user, ":");
	return (n == 4 && !strncmp(user, "root", 4)) || (n == 1 && user[0] == '0') ||
	       (n > 1 && strspn(user, "0") == n);
}

static char **json_strv(json_object *a)
{
	char **v = calloc(1, sizeof(char *));
	if (v && a && json_object_is_type(a, json_type_array))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			json_object *x = json_object_array_get_idx(a, i);
			if (json_object_is_type(x, json_type_string))
				strv_push(&v, json_object_get_string(x));
		}
	return v;
}

static void add_mount(struct kcont *c, const char *type, const char *src, const char *dst, const char *prop, int rw)
{
	struct kmount *n = realloc(c->mounts, (c->nmounts + 1) * sizeof(*n));
	if (!n)
		return;
	c->mounts = n;
	n[c->nmounts++] = (struct kmount){ xstrdup(type ? type : ""), xstrdup(src ? src : ""), xstrdup(dst ? dst : ""),
					   xstrdup(prop ? prop : ""), rw };
}

static void add_port(struct kcont *c, const char *ip, int port, const char *cport)
{
	for (size_t i = 0; i < c->nports; i++)
		if (!strcmp(c->ports[i].host_ip, ip ? ip : "") && c->ports[i].host_port == port &&
		    !strcmp(c->ports[i].cport, cport))
			return;
	struct kport *n = realloc(c->ports, (c->nports + 1) * sizeof(*n));
	if (!n)
		return;
	c->ports = n;
	n[c->nports++] = (struct kport){ xstrdup(ip ? ip : ""), port, xstrdup(cport) };
}

static void ports_from(struct kcont *c, json_object *map)
{
	if (!map || !json_object_is_type(map, json_type_object))
		return;
	json_object_object_foreach(map, cport, binds) {
		if (!binds || !json_object_is_type(binds, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(binds); i++) {
			json_object *b = json_object_array_get_idx(binds, i);
			const char *hp = js(b, "HostPort");
			add_port(c, js(b, "HostIp"), hp ? atoi(hp) : 0, cport);
		}
	}
}

static void set_ignore(struct kcont *c)
{
	const char *ig = js(c->labels, "kapsel.audit.ignore");
	c->ignore = strv_split(ig, ", ");
}

int kcont_from_docker(struct kcont *c, json_object *j, kerr *e)
{
	memset(c, 0, sizeof(*c));
	if (!j || !json_object_is_type(j, json_type_object))
		return kerr_msg(e, EINVAL, "container inspect: not a JSON object");
	c->raw = json_object_get(j);
	json_object *hc = jget(j, "HostConfig"), *cfg = jget(j, "Config"), *st = jget(j, "State");
	const char *name = js(j, "Name");
	c->source = strdup("docker");
	c->kind = strdup("container");
	c->id = xstrdup(js(j, "Id") ? js(j, "Id") : "");
	c->name = xstrdup(name ? (name[0] == '/' ? name + 1 : name) : c->id);
	c->image = xstrdup(js(cfg, "Image") ? js(cfg, "Image") : "");
	c->running = jb(st, "Running");
	c->pid = (pid_t)ji(st, "Pid", 0);
	c->labels = jget(cfg, "Labels");
	set_ignore(c);

	c->privileged = jb(hc, "Privileged");
	c->user = xstrdup(js(cfg, "User") ? js(cfg, "User") : "");
	/* capabilities: Docker's default set, less CapDrop, plus CapAdd */
	_cleanup_strv_ char **add = json_strv(jget(hc, "CapAdd"));
	_cleanup_strv_ char **drop = json_strv(jget(hc, "CapDrop"));
	uint64_t all = (1ull << 41) - 1, caps = docker_default_caps();
	for (size_t i = 0; drop && drop[i]; i++) {
		int n = kcap_parse(drop[i]);
		if (n == 64)
			caps = 0;
		else if (n >= 0)
			caps &= ~(1ull << n);
	}
	for (size_t i = 0; add && add[i]; i++) {
		int n = kcap_parse(add[i]);
		if (n == 64)
			caps = all;
		else if (n >= 0)
			caps |= 1ull << n;
	}
	c->caps = c->privileged ? all : caps;
	c->caps_known = 1;
	c->readonly_root = jb(hc, "ReadonlyRootfs");
	const char *nm = js(hc, "NetworkMode");
	c->network_mode = xstrdup(nm ? nm : "");
	c->net_host = nm && !strcmp(nm, "host");
	c->pid_host = js(hc, "PidMode") && !strcmp(js(hc, "PidMode"), "host");
	c->ipc_host = js(hc, "IpcMode") && !strcmp(js(hc, "IpcMode"), "host");
	c->uts_host = js(hc, "UTSMode") && !strcmp(js(hc, "UTSMode"), "host");
	c->userns_host = js(hc, "UsernsMode") && !strcmp(js(hc, "UsernsMode"), "host");
	c->cgroupns_host = js(hc, "CgroupnsMode") && !strcmp(js(hc, "CgroupnsMode"), "host");
	c->memory = ji(hc, "Memory", 0);
	int64_t shares = ji(hc, "CpuShares", 0), nano = ji(hc, "NanoCpus", 0), quota = ji(hc, "CpuQuota", 0);
	const char *cpuset = js(hc, "CpusetCpus");
	c->cpu_limited = (shares && shares != 1024) || nano > 0 || quota > 0 || (cpuset && *cpuset);
	snprintf(c->cpu_desc, sizeof(c->cpu_desc), "CpuShares=%lld NanoCpus=%lld CpuQuota=%lld CpusetCpus=%s",
		 (long long)shares, (long long)nano, (long long)quota, cpuset && *cpuset ? cpuset : "\"\"");
	c->pids_limit = ji(hc, "PidsLimit", 0);
	json_object *rp = jget(hc, "RestartPolicy");
	c->restart_known = 1;
	c->restart_name = xstrdup(js(rp, "Name") ? js(rp, "Name") : "");
	c->restart_max = (int)ji(rp, "MaximumRetryCount", 0);
	c->apparmor = xstrdup(js(j, "AppArmorProfile") ? js(j, "AppArmorProfile") : "");

	_cleanup_strv_ char **secopt = json_strv(jget(hc, "SecurityOpt"));
	char selinux[512] = "";
	c->seccomp_desc = strdup(c->privileged ? "privileged: no seccomp filter" : "default profile");
	for (size_t i = 0; secopt && secopt[i]; i++) {
		const char *o = secopt[i];
		if (str_starts(o, "label=") || str_starts(o, "label:")) {
			if (strcmp(o + 6, "disable"))
				snprintf(selinux + strlen(selinux), sizeof(selinux) - strlen(selinux), "%s%s",
					 selinux[0] ? "," : "", o + 6);
		} else if (str_starts(o, "seccomp=") || str_starts(o, "seccomp:")) {
			free(c->seccomp_desc);
			c->seccomp_desc = xasprintf("seccomp=%s", !strcmp(o + 8, "unconfined") ? "unconfined" : "custom profile");
			if (!strcmp(o + 8, "unconfined"))
				c->seccomp_unconfined = 1;
		} else if (!strcmp(o, "no-new-privileges") || !strcmp(o, "no-new-privileges=true") ||
			   !strcmp(o, "no-new-privileges:true")) {
			c->nnp = 1;
		}
	}
	if (c->privileged)
		c->seccomp_unconfined = 1;
	c->selinux = strdup(selinux);

	json_object *mounts = jget(j, "Mounts");
	for (size_t i = 0; mounts && json_object_is_type(mounts, json_type_array) && i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i);
		add_mount(c, js(m, "Type"), js(m, "Source"), js(m, "Destination"), js(m, "Propagation"), jb(m, "RW"));
	}
	c->ports_known = 1;
	ports_from(c, jget(hc, "PortBindings"));
	ports_from(c, jget(jget(j, "NetworkSettings"), "Ports"));

	c->devices = calloc(1, sizeof(char *));
	json_object *devs = jget(hc, "Devices");
	for (size_t i = 0; devs && json_object_is_type(devs, json_type_array) && i < json_object_array_length(devs); i++) {
		json_object *dv = json_object_array_get_idx(devs, i);
		char *s = xasprintf("%s:%s:%s", js(dv, "PathOnHost") ? js(dv, "PathOnHost") : "",
				    js(dv, "PathInContainer") ? js(dv, "PathInContainer") : "",
				    js(dv, "CgroupPermissions") ? js(dv, "CgroupPermissions") : "");
		if (s)
			strv_push(&c->devices, s);
		free(s);
	}
	json_object *ul = jget(hc, "Ulimits");
	c->ulimits_known = 1;
	c->has_ulimits = ul && json_object_is_type(ul, json_type_array) && json_object_array_length(ul) > 0;
	json_object *hcheck = jget(jget(cfg, "Healthcheck"), "Test");
	c->health_known = 1;
	c->has_health = hcheck && json_object_is_type(hcheck, json_type_array) && json_object_array_length(hcheck) > 0 &&
			strcmp(json_object_get_string(json_object_array_get_idx(hcheck, 0)), "NONE");
	if (jget(st, "Health"))
		c->has_health = 1;
	c->cgroup_parent = xstrdup(js(hc, "CgroupParent") ? js(hc, "CgroupParent") : "");
	c->cmd = json_strv(jget(cfg, "Entrypoint"));
	_cleanup_strv_ char **cmd = json_strv(jget(cfg, "Cmd"));
	for (size_t i = 0; cmd && cmd[i]; i++)
		strv_push(&c->cmd, cmd[i]);
	c->networks = calloc(1, sizeof(char *));
	json_object *nets = jget(jget(j, "NetworkSettings"), "Networks");
	if (nets && json_object_is_type(nets, json_type_object)) {
		json_object_object_foreach(nets, k, v) {
			(void)v;
			strv_push(&c->networks, k);
		}
	}
	c->exec_ids = json_strv(jget(j, "ExecIDs"));
	if (!c->name || !c->user || !c->cmd || !c->networks || !c->devices)
		return kerr_set(e, ENOMEM, "container %s", c->id ? c->id : "?");
	return 0;
}

/* Is the option WANT in effect, read as the runtime reads it? */
static int has_opt(json_object *opts, const char *want)
{
	return kmountopt_in_effect(opts, want);
}

static uint64_t caps_of(json_object *arr)
{
	uint64_t m = 0;
	for (size_t i = 0; arr && json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr); i++) {
		int n = kcap_parse(json_object_get_string(json_object_array_get_idx(arr, i)));
		if (n >= 0 && n < 64)
			m |= 1ull << n;
	}
	return m;
}

/* Is the namespace file PATH the host's namespace of TYPE (e.g. Docker's
 * --network=host bundle joins <exec-root>/netns/default)? */
static int host_namespace(const char *type, const char *path)
{
	const char *proc = kns_proc_name(kns_type_from_name(type));
	if (!proc)
		return 0;
	char host[64];
	struct stat a, b;
	snprintf(host, sizeof(host), "/proc/1/ns/%s", proc);
	if (stat(host, &b) < 0) {
		snprintf(host, sizeof(host), "/proc/self/ns/%s", proc);
		if (stat(host, &b) < 0)
			return 0;
	}
	return stat(path, &a) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int kcont_from_oci(struct kcont *c, const char *path, kerr *e)
{
	memset(c, 0, sizeof(*c));
	char file[PATH_MAX];
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(file, sizeof(file), "%s/config.json", path);
	else
		snprintf(file, sizeof(file), "%s", path);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	if (kfs_read_file(file, &buf, &len, e) < 0)
		return kerr_wrap(e, "OCI bundle %s", path);
	json_object *j = kj_parse(file, buf, len, e);
	if (!j)
		return -1;
	if (!json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		return kerr_msg(e, EINVAL, "%s: expected a JSON object", file);
	}
	c->raw = j;
	json_object *proc = jget(j, "process"), *lin = jget(j, "linux"), *res = jget(lin, "resources");
	c->source = strdup("oci");
	c->kind = strdup("bundle");
	c->name = strdup(file);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", file);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	slash = strrchr(dir, '/');
	c->id = strdup(slash ? slash + 1 : dir);
	c->image = strdup(js(jget(j, "root"), "path") ? js(jget(j, "root"), "path") : "");
	c->labels = jget(j, "annotations");
	set_ignore(c);

	json_object *user = jget(proc, "user");
	if (jget(user, "username"))
		c->user = strdup(js(user, "username"));
	else
		c->user = xasprintf("%lld:%lld", (long long)ji(user, "uid", 0), (long long)ji(user, "gid", 0));
	json_object *caps = jget(proc, "capabilities");
	c->caps = caps_of(jget(caps, "bounding")) | caps_of(jget(caps, "effective")) | caps_of(jget(caps, "permitted")) |
		  caps_of(jget(caps, "ambient"));
	c->caps_known = 1;
	c->readonly_root = jb(jget(j, "root"), "readonly");
	int ns_net = 0, ns_pid = 0, ns_ipc = 0, ns_uts = 0, ns_user = 0, ns_cg = 0;
	json_object *nss = jget(lin, "namespaces");
	for (size_t i = 0; nss && json_object_is_type(nss, json_type_array) && i < json_object_array_length(nss); i++) {
		const char *t = js(json_object_array_get_idx(nss, i), "type");
		const char *nspath = js(json_object_array_get_idx(nss, i), "path");
		if (!t || (nspath && host_namespace(t, nspath)))
			continue; /* joining the host's own namespace is sharing it */
		ns_net |= !strcmp(t, "network");
		ns_pid |= !strcmp(t, "pid");
		ns_ipc |= !strcmp(t, "ipc");
		ns_uts |= !strcmp(t, "uts");
		ns_user |= !strcmp(t, "user");
		ns_cg |= !strcmp(t, "cgroup");
	}
	c->net_host = !ns_net;
	c->pid_host = !ns_pid;
	c->ipc_host = !ns_ipc;
	c->uts_host = !ns_uts;
	c->userns_host = !ns_user;
	c->cgroupns_host = !ns_cg;
	c->network_mode = strdup(ns_net ? "private" : "host");
	c->memory = ji(jget(res, "memory"), "limit", 0);
	if (c->memory < 0)
		c->memory = 0;
	json_object *cpu = jget(res, "cpu");
	const char *cpus = js(cpu, "cpus");
	c->cpu_limited = ji(cpu, "shares", 0) > 0 || ji(cpu, "quota", 0) > 0 || (cpus && *cpus);
	snprintf(c->cpu_desc, sizeof(c->cpu_desc), "shares=%lld quota=%lld cpus=%s", (long long)ji(cpu, "shares", 0),
		 (long long)ji(cpu, "quota", 0), cpus && *cpus ? cpus : "\"\"");
	c->pids_limit = ji(jget(res, "pids"), "limit", 0);
	c->restart_name = strdup("");
	c->apparmor = xstrdup(js(proc, "apparmorProfile") ? js(proc, "apparmorProfile") : "");
	c->selinux = xstrdup(js(proc, "selinuxLabel") ? js(proc, "selinuxLabel") : "");
	json_object *sc = jget(lin, "seccomp");
	json_object *scs = jget(sc, "syscalls");
	if (!sc) {
		c->seccomp_unconfined = 1;
		c->seccomp_desc = strdup("no linux.seccomp");
	} else if (js(sc, "defaultAction") && !strcmp(js(sc, "defaultAction"), "SCMP_ACT_ALLOW") &&
		   (!scs || json_object_array_length(scs) == 0)) {
		c->seccomp_unconfined = 1;
		c->seccomp_desc = strdup("linux.seccomp allows every syscall");
	} else {
		c->seccomp_desc = xasprintf("linux.seccomp defaultAction %s", js(sc, "defaultAction") ? js(sc, "defaultAction") : "?");
	}
	c->nnp = jb(proc, "noNewPrivileges");
	const char *rprop = js(lin, "rootfsPropagation");
	if (rprop && strstr(rprop, "shared"))
		add_mount(c, "rootfs", "/", "/", rprop, !c->readonly_root);
	json_object *mounts = jget(j, "mounts");
	for (size_t i = 0; mounts && json_object_is_type(mounts, json_type_array) && i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i), *opts = jget(m, "options");
		const char *type = js(m, "type");
		int bind = (type && !strcmp(type, "bind")) || has_opt(opts, "bind") || has_opt(opts, "rbind");
		const char *prop = "";
		static const char *const props[] = { "rshared", "shared", "rslave", "slave", "rprivate", "private" };
		for (size_t k = 0; k < ARRAY_SIZE(props); k++)
			if (has_opt(opts, props[k])) {
				prop = props[k];
				break;
			}
		add_mount(c, bind ? "bind" : type, js(m, "source"), js(m, "destination"), prop, !has_opt(opts, "ro"));
	}
	c->ports_known = 0;
	c->devices = calloc(1, sizeof(char *));
	json_object *devs = jget(lin, "devices");
	for (size_t i = 0; devs && json_object_is_type(devs, json_type_array) && i < json_object_array_length(devs); i++) {
		const char *p = js(json_object_array_get_idx(devs, i), "path");
		if (p)
			strv_push(&c->devices, p);
	}
	json_object *rl = jget(proc, "rlimits");
	c->ulimits_known = 1;
	c->has_ulimits = rl && json_object_is_type(rl, json_type_array) && json_object_array_length(rl) > 0;
	c->health_known = 0;
	c->cgroup_parent = strdup("");
	c->cmd = json_strv(jget(proc, "args"));
	c->networks = calloc(1, sizeof(char *));
	c->exec_ids = calloc(1, sizeof(char *));
	if (!c->name || !c->user || !c->cmd || !c->networks || !c->devices || !c->seccomp_desc)
		return kerr_set(e, ENOMEM, "OCI bundle %s", path);
	return 0;
}

static int pattern_matches(const char *pat, const struct kcont *c)
{
	if (str_starts(pat, "label=")) {
		const char *kv = pat + 6, *eq = strchr(kv, '=');
		char key[256];
		snprintf(key, sizeof(key), "%.*s", (int)(eq ? (size_t)(eq - kv) : strlen(kv)), kv);
		const char *v = js(c->labels, key);
		return v && (!eq || !strcmp(v, eq + 1));
	}
	if (!fnmatch(pat, c->name, 0))
		return 1;
	return strlen(pat) >= 12 && c->id && str_starts(c->id, pat);
}

int kcont_selected(const struct kcont *c, const struct audit_opts *o)
{
	if (o->include_containers && o->include_containers[0]) {
		int any = 0;
		for (size_t i = 0; o->include_containers[i] && !any; i++)
			any = pattern_matches(o->include_containers[i], c);
		if (!any)
			return 0;
	}
	for (size_t i = 0; o->exclude_containers && o->exclude_containers[i]; i++)
		if (pattern_matches(o->exclude_containers[i], c))
			return 0;
	return 1;
}

/* ---- loaders ---- */

struct inspect_job {
	struct audit_ctx *ctx;
	json_object *list;
	json_object **out;
	const char *fmt;      /* "/containers/%s/json" */
	const char *fmt2;     /* a second request per object, or NULL */
	json_object **out2;
};

static void inspect_one(void *arg, size_t i)
{
	struct inspect_job *j = arg;
	json_object *item = json_object_array_get_idx(j->list, i);
	const char *id = js(item, "Id");
	char path[512];
	kerr e;
	if (!id)
		return;
	snprintf(path, sizeof(path), j->fmt, id);
	json_object *o = NULL;
	int st = kdocker_get(j->ctx->api, path, &o, &e);
	if (st == 200)
		j->out[i] = o;
	else {
		json_object_put(o);
		if (st < 0)
			ctx_notice(j->ctx, "%s", e.msg);
	}
	if (j->fmt2) {
		snprintf(path, sizeof(path), j->fmt2, id);
		o = NULL;
		if (kdocker_get(j->ctx->api, path, &o, &e) == 200)
			j->out2[i] = o;
		else
			json_object_put(o);
	}
}

static void exec_one(void *arg, size_t i)
{
	struct inspect_job *j = arg;
	const char *id = json_object_get_string(json_object_array_get_idx(j->list, i));
	char path[512];
	kerr e;
	snprintf(path, sizeof(path), "/exec/%s/json", id);
	json_object *o = NULL;
	if (kdocker_get(j->ctx->api, path, &o, &e) == 200)
		j->out[i] = o;
	else
		json_object_put(o);
}

static void load_containers(struct audit_ctx *ctx)
{
	json_object *list = NULL;
	kerr e;
	if (ctx->api_ok) {
		int st = kdocker_get(ctx->api, "/containers/json?all=1", &list, &e);
		if (st != 200 || !list || !json_object_is_type(list, json_type_array)) {
			ctx_notice(ctx, "list containers: %s", st < 0 ? e.msg : "unexpected answer");
			json_object_put(list);
			list = NULL;
		}
	}
	size_t n = list ? json_object_array_length(list) : 0;
	size_t nb = strv_len(ctx->o->oci_bundles);
	json_object **ins = calloc(n + 1, sizeof(*ins));
	ctx->conts = calloc(n + nb + 1, sizeof(*ctx->conts));
	if (!ins || !ctx->conts) {
		free(ins);
		json_object_put(list);
		return;
	}
	struct inspect_job job = { ctx, list, ins, "/containers/%s/json", NULL, NULL };
	ctx_parallel(ctx, n, inspect_one, &job);
	json_object *execs = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		if (!ins[i])
			continue;
		struct kcont *c = &ctx->conts[ctx->nconts];
		if (kcont_from_docker(c, ins[i], &e) < 0) {
			ctx_notice(ctx, "%s", e.msg);
			kcont_free(c);
		} else if (!kcont_selected(c, ctx->o)) {
			kcont_free(c);
		} else {
			ctx->nconts++;
			for (size_t k = 0; c->exec_ids[k]; k++)
				json_object_array_add(execs, json_object_new_string(c->exec_ids[k]));
		}
		json_object_put(ins[i]);
	}
	free(ins);
	json_object_put(list);
	ctx->ndocker = ctx->nconts;
	/* exec instances still known to the daemon (5.23, 5.24) */
	size_t ne = json_object_array_length(execs);
	json_object **eo = calloc(ne + 1, sizeof(*eo));
	ctx->exec_info = json_object_new_object();
	if (eo && ne) {
		struct inspect_job ej = { ctx, execs, eo, NULL, NULL, NULL };
		ctx_parallel(ctx, ne, exec_one, &ej);
		for (size_t i = 0; i < ne; i++)
			if (eo[i])
				json_object_object_add(ctx->exec_info, json_object_get_string(json_object_array_get_idx(execs, i)), eo[i]);
	}
	free(eo);
	json_object_put(execs);
	for (size_t i = 0; i < nb; i++) {
		struct kcont *c = &ctx->conts[ctx->nconts];
		if (kcont_from_oci(c, ctx->o->oci_bundles[i], &e) < 0) {
			ctx_notice(ctx, "%s", e.msg);
			kcont_free(c);
		} else if (!kcont_selected(c, ctx->o)) {
			kcont_free(c);
		} else {
			ctx->nconts++;
		}
	}
}

void ctx_containers(struct audit_ctx *ctx)
{
	lazy_run(&ctx->cont_lazy, ctx, load_containers);
}

static void load_images(struct audit_ctx *ctx)
{
	json_object *list = NULL;
	kerr e;
	if (!ctx->api_ok)
		return;
	int st = kdocker_get(ctx->api, "/images/json", &list, &e);
	if (st != 200 || !list || !json_object_is_type(list, json_type_array)) {
		ctx_notice(ctx, "list images: %s", st < 0 ? e.msg : "unexpected answer");
		json_object_put(list);
		return;
	}
	size_t n = json_object_array_length(list);
	json_object **ins = calloc(n + 1, sizeof(*ins)), **hist = calloc(n + 1, sizeof(*hist));
	ctx->imgs = calloc(n + 1, sizeof(*ctx->imgs));
	if (!ins || !hist || !ctx->imgs) {
		free(ins);
		free(hist);
		json_object_put(list);
		return;
	}
	struct inspect_job job = { ctx, list, ins, "/images/%s/json", "/images/%s/history", hist };
	ctx_parallel(ctx, n, inspect_one, &job);
	ctx_containers(ctx);
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(list, i);
		if (!ins[i]) {
			json_object_put(hist[i]);
			continue;
		}
		struct audit_image *im = &ctx->imgs[ctx->nimgs++];
		im->id = xstrdup(js(item, "Id"));
		json_object *tags = jget(ins[i], "RepoTags");
		const char *tag = tags && json_object_is_type(tags, json_type_array) && json_object_array_length(tags)
					  ? json_object_get_string(json_object_array_get_idx(tags, 0)) : NULL;
		if (tag && strcmp(tag, "<none>:<none>"))
			im->name = strdup(tag);
		else
			im->name = xasprintf("%.19s", im->id ? im->id : "?");
		im->inspect = ins[i];
		im->history = hist[i];
		for (size_t k = 0; k < ctx->ndocker; k++) {
			const char *cimg = js(ctx->conts[k].raw, "Image");
			if (cimg && im->id && !strcmp(cimg, im->id))
				im->used = 1;
		}
	}
	ctx->nimgs_total = n;
	free(ins);
	free(hist);
	json_object_put(list);
}

void ctx_images(struct audit_ctx *ctx)
{
	lazy_run(&ctx->img_lazy, ctx, load_images);
}
