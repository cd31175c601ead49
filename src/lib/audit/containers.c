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
	kstrv_free(c->ignore);
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
	kstrv_free(c->devices);
	free(c->cgroup_parent);
	kstrv_free(c->cmd);
	free(c->network_mode);
	kstrv_free(c->networks);
	kstrv_free(c->exec_ids);
	memset(c, 0, sizeof(*c));
}

int audit_user_is_root(const char *user)
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
				kstrv_add(&v, json_object_get_string(x));
		}
	return v;
}

static void add_mount(struct kcont *c, const char *type, const char *src, const char *dst, const char *prop, int rw)
{
	struct kmount *n = realloc(c->mounts, (c->nmounts + 1) * sizeof(*n));
	if (!n)
		return;
	c->mounts = n;
	n[c->nmounts++] = (struct kmount){ kstr_dup(type ? type : ""), kstr_dup(src ? src : ""), kstr_dup(dst ? dst : ""),
					   kstr_dup(prop ? prop : ""), rw };
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
	n[c->nports++] = (struct kport){ kstr_dup(ip ? ip : ""), port, kstr_dup(cport) };
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
			const char *hp = kj_get_str(b, "HostPort");
			add_port(c, kj_get_str(b, "HostIp"), hp ? atoi(hp) : 0, cport);
		}
	}
}

static void set_ignore(struct kcont *c)
{
	const char *ig = kj_get_str(c->labels, "kapsel.audit.ignore");
	c->ignore = kstrv_split(ig, ", ");
}

int kcont_from_docker(struct kcont *c, json_object *j, kerr *e)
{
	memset(c, 0, sizeof(*c));
	if (!j || !json_object_is_type(j, json_type_object))
		return kerr_msg(e, EINVAL, "container inspect: not a JSON object");
	c->raw = json_object_get(j);
	json_object *hc = kj_get(j, "HostConfig"), *cfg = kj_get(j, "Config"), *st = kj_get(j, "State");
	const char *name = kj_get_str(j, "Name");
	c->source = strdup("docker");
	c->kind = strdup("container");
	c->id = kstr_dup(kj_get_str(j, "Id") ? kj_get_str(j, "Id") : "");
	c->name = kstr_dup(name ? (name[0] == '/' ? name + 1 : name) : c->id);
	c->image = kstr_dup(kj_get_str(cfg, "Image") ? kj_get_str(cfg, "Image") : "");
	c->running = kj_get_bool(st, "Running");
	c->pid = (pid_t)kj_get_i64(st, "Pid", 0);
	c->labels = kj_get(cfg, "Labels");
	set_ignore(c);

	c->privileged = kj_get_bool(hc, "Privileged");
	c->user = kstr_dup(kj_get_str(cfg, "User") ? kj_get_str(cfg, "User") : "");
	/* capabilities: Docker's default set, less CapDrop, plus CapAdd */
	_cleanup_strv_ char **add = json_strv(kj_get(hc, "CapAdd"));
	_cleanup_strv_ char **drop = json_strv(kj_get(hc, "CapDrop"));
	uint64_t all = (1ull << 41) - 1, caps = audit_docker_default_caps();
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
	c->readonly_root = kj_get_bool(hc, "ReadonlyRootfs");
	const char *nm = kj_get_str(hc, "NetworkMode");
	c->network_mode = kstr_dup(nm ? nm : "");
	c->net_host = nm && !strcmp(nm, "host");
	c->pid_host = kj_get_str(hc, "PidMode") && !strcmp(kj_get_str(hc, "PidMode"), "host");
	c->ipc_host = kj_get_str(hc, "IpcMode") && !strcmp(kj_get_str(hc, "IpcMode"), "host");
	c->uts_host = kj_get_str(hc, "UTSMode") && !strcmp(kj_get_str(hc, "UTSMode"), "host");
	c->userns_host = kj_get_str(hc, "UsernsMode") && !strcmp(kj_get_str(hc, "UsernsMode"), "host");
	c->cgroupns_host = kj_get_str(hc, "CgroupnsMode") && !strcmp(kj_get_str(hc, "CgroupnsMode"), "host");
	c->memory = kj_get_i64(hc, "Memory", 0);
	int64_t shares = kj_get_i64(hc, "CpuShares", 0), nano = kj_get_i64(hc, "NanoCpus", 0), quota = kj_get_i64(hc, "CpuQuota", 0);
	const char *cpuset = kj_get_str(hc, "CpusetCpus");
	c->cpu_limited = (shares && shares != 1024) || nano > 0 || quota > 0 || (cpuset && *cpuset);
	snprintf(c->cpu_desc, sizeof(c->cpu_desc), "CpuShares=%lld NanoCpus=%lld CpuQuota=%lld CpusetCpus=%s",
		 (long long)shares, (long long)nano, (long long)quota, cpuset && *cpuset ? cpuset : "\"\"");
	c->pids_limit = kj_get_i64(hc, "PidsLimit", 0);
	json_object *rp = kj_get(hc, "RestartPolicy");
	c->restart_known = 1;
	c->restart_name = kstr_dup(kj_get_str(rp, "Name") ? kj_get_str(rp, "Name") : "");
	c->restart_max = (int)kj_get_i64(rp, "MaximumRetryCount", 0);
	c->apparmor = kstr_dup(kj_get_str(j, "AppArmorProfile") ? kj_get_str(j, "AppArmorProfile") : "");

	_cleanup_strv_ char **secopt = json_strv(kj_get(hc, "SecurityOpt"));
	char selinux[512] = "";
	c->seccomp_desc = strdup(c->privileged ? "privileged: no seccomp filter" : "default profile");
	for (size_t i = 0; secopt && secopt[i]; i++) {
		const char *o = secopt[i];
		if (kstr_starts(o, "label=") || kstr_starts(o, "label:")) {
			if (strcmp(o + 6, "disable"))
				snprintf(selinux + strlen(selinux), sizeof(selinux) - strlen(selinux), "%s%s",
					 selinux[0] ? "," : "", o + 6);
		} else if (kstr_starts(o, "seccomp=") || kstr_starts(o, "seccomp:")) {
			free(c->seccomp_desc);
			c->seccomp_desc = kstr_printf("seccomp=%s", !strcmp(o + 8, "unconfined") ? "unconfined" : "custom profile");
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

	json_object *mounts = kj_get(j, "Mounts");
	for (size_t i = 0; mounts && json_object_is_type(mounts, json_type_array) && i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i);
		add_mount(c, kj_get_str(m, "Type"), kj_get_str(m, "Source"), kj_get_str(m, "Destination"), kj_get_str(m, "Propagation"), kj_get_bool(m, "RW"));
	}
	c->ports_known = 1;
	ports_from(c, kj_get(hc, "PortBindings"));
	ports_from(c, kj_get(kj_get(j, "NetworkSettings"), "Ports"));

	c->devices = calloc(1, sizeof(char *));
	json_object *devs = kj_get(hc, "Devices");
	for (size_t i = 0; devs && json_object_is_type(devs, json_type_array) && i < json_object_array_length(devs); i++) {
		json_object *dv = json_object_array_get_idx(devs, i);
		char *s = kstr_printf("%s:%s:%s", kj_get_str(dv, "PathOnHost") ? kj_get_str(dv, "PathOnHost") : "",
				    kj_get_str(dv, "PathInContainer") ? kj_get_str(dv, "PathInContainer") : "",
				    kj_get_str(dv, "CgroupPermissions") ? kj_get_str(dv, "CgroupPermissions") : "");
		if (s)
			kstrv_add(&c->devices, s);
		free(s);
	}
	json_object *ul = kj_get(hc, "Ulimits");
	c->ulimits_known = 1;
	c->has_ulimits = ul && json_object_is_type(ul, json_type_array) && json_object_array_length(ul) > 0;
	json_object *hcheck = kj_get(kj_get(cfg, "Healthcheck"), "Test");
	c->health_known = 1;
	c->has_health = hcheck && json_object_is_type(hcheck, json_type_array) && json_object_array_length(hcheck) > 0 &&
			strcmp(json_object_get_string(json_object_array_get_idx(hcheck, 0)), "NONE");
	if (kj_get(st, "Health"))
		c->has_health = 1;
	c->cgroup_parent = kstr_dup(kj_get_str(hc, "CgroupParent") ? kj_get_str(hc, "CgroupParent") : "");
	c->cmd = json_strv(kj_get(cfg, "Entrypoint"));
	_cleanup_strv_ char **cmd = json_strv(kj_get(cfg, "Cmd"));
	for (size_t i = 0; cmd && cmd[i]; i++)
		kstrv_add(&c->cmd, cmd[i]);
	c->networks = calloc(1, sizeof(char *));
	json_object *nets = kj_get(kj_get(j, "NetworkSettings"), "Networks");
	if (nets && json_object_is_type(nets, json_type_object)) {
		json_object_object_foreach(nets, k, v) {
			(void)v;
			kstrv_add(&c->networks, k);
		}
	}
	c->exec_ids = json_strv(kj_get(j, "ExecIDs"));
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

/* A kapsel-runtime state directory (config.json with state.json beside
 * it): the container's init, where it still runs, so the checks that look
 * at the process (the AppArmor label the kernel gives it) see it. */
static void oci_live_pid(struct kcont *c, const char *config)
{
	char state[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	size_t len;
	kerr ig = { 0 };
	snprintf(state, sizeof(state), "%s", config);
	char *slash = strrchr(state, '/');
	snprintf(slash ? slash + 1 : state, sizeof(state) - (slash ? (size_t)(slash + 1 - state) : 0), "state.json");
	if (access(state, R_OK) < 0 || kfs_read_file(state, &buf, &len, &ig) < 0)
		return;
	json_object *j = kj_parse(state, buf, len, &ig);
	int64_t pid = j ? kj_get_i64(j, "pid", 0) : 0;
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/%lld", (long long)pid);
	if (pid > 0 && access(proc, F_OK) == 0) {
		c->running = 1;
		c->pid = (pid_t)pid;
	}
	json_object_put(j);
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
	json_object *proc = kj_get(j, "process"), *lin = kj_get(j, "linux"), *res = kj_get(lin, "resources");
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
	oci_live_pid(c, file);
	c->image = strdup(kj_get_str(kj_get(j, "root"), "path") ? kj_get_str(kj_get(j, "root"), "path") : "");
	c->labels = kj_get(j, "annotations");
	set_ignore(c);

	json_object *user = kj_get(proc, "user");
	if (kj_get(user, "username"))
		c->user = strdup(kj_get_str(user, "username"));
	else
		c->user = kstr_printf("%lld:%lld", (long long)kj_get_i64(user, "uid", 0), (long long)kj_get_i64(user, "gid", 0));
	json_object *caps = kj_get(proc, "capabilities");
	c->caps = caps_of(kj_get(caps, "bounding")) | caps_of(kj_get(caps, "effective")) | caps_of(kj_get(caps, "permitted")) |
		  caps_of(kj_get(caps, "ambient"));
	c->caps_known = 1;
	c->readonly_root = kj_get_bool(kj_get(j, "root"), "readonly");
	int ns_net = 0, ns_pid = 0, ns_ipc = 0, ns_uts = 0, ns_user = 0, ns_cg = 0;
	json_object *nss = kj_get(lin, "namespaces");
	for (size_t i = 0; nss && json_object_is_type(nss, json_type_array) && i < json_object_array_length(nss); i++) {
		const char *t = kj_get_str(json_object_array_get_idx(nss, i), "type");
		const char *nspath = kj_get_str(json_object_array_get_idx(nss, i), "path");
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
	c->memory = kj_get_i64(kj_get(res, "memory"), "limit", 0);
	if (c->memory < 0)
		c->memory = 0;
	json_object *cpu = kj_get(res, "cpu");
	const char *cpus = kj_get_str(cpu, "cpus");
	c->cpu_limited = kj_get_i64(cpu, "shares", 0) > 0 || kj_get_i64(cpu, "quota", 0) > 0 || (cpus && *cpus);
	snprintf(c->cpu_desc, sizeof(c->cpu_desc), "shares=%lld quota=%lld cpus=%s", (long long)kj_get_i64(cpu, "shares", 0),
		 (long long)kj_get_i64(cpu, "quota", 0), cpus && *cpus ? cpus : "\"\"");
	c->pids_limit = kj_get_i64(kj_get(res, "pids"), "limit", 0);
	c->restart_name = strdup("");
	c->apparmor = kstr_dup(kj_get_str(proc, "apparmorProfile") ? kj_get_str(proc, "apparmorProfile") : "");
	c->selinux = kstr_dup(kj_get_str(proc, "selinuxLabel") ? kj_get_str(proc, "selinuxLabel") : "");
	json_object *sc = kj_get(lin, "seccomp");
	json_object *scs = kj_get(sc, "syscalls");
	if (!sc) {
		c->seccomp_unconfined = 1;
		c->seccomp_desc = strdup("no linux.seccomp");
	} else if (kj_get_str(sc, "defaultAction") && !strcmp(kj_get_str(sc, "defaultAction"), "SCMP_ACT_ALLOW") &&
		   (!scs || json_object_array_length(scs) == 0)) {
		c->seccomp_unconfined = 1;
		c->seccomp_desc = strdup("linux.seccomp allows every syscall");
	} else {
		c->seccomp_desc = kstr_printf("linux.seccomp defaultAction %s", kj_get_str(sc, "defaultAction") ? kj_get_str(sc, "defaultAction") : "?");
	}
	c->nnp = kj_get_bool(proc, "noNewPrivileges");
	const char *rprop = kj_get_str(lin, "rootfsPropagation");
	if (rprop && strstr(rprop, "shared"))
		add_mount(c, "rootfs", "/", "/", rprop, !c->readonly_root);
	json_object *mounts = kj_get(j, "mounts");
	for (size_t i = 0; mounts && json_object_is_type(mounts, json_type_array) && i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i), *opts = kj_get(m, "options");
		const char *type = kj_get_str(m, "type");
		int bind = (type && !strcmp(type, "bind")) || has_opt(opts, "bind") || has_opt(opts, "rbind");
		const char *prop = "";
		static const char *const props[] = { "rshared", "shared", "rslave", "slave", "rprivate", "private" };
		for (size_t k = 0; k < ARRAY_SIZE(props); k++)
			if (has_opt(opts, props[k])) {
				prop = props[k];
				break;
			}
		add_mount(c, bind ? "bind" : type, kj_get_str(m, "source"), kj_get_str(m, "destination"), prop, !has_opt(opts, "ro"));
	}
	c->ports_known = 0;
	c->devices = calloc(1, sizeof(char *));
	json_object *devs = kj_get(lin, "devices");
	for (size_t i = 0; devs && json_object_is_type(devs, json_type_array) && i < json_object_array_length(devs); i++) {
		const char *p = kj_get_str(json_object_array_get_idx(devs, i), "path");
		if (p)
			kstrv_add(&c->devices, p);
	}
	json_object *rl = kj_get(proc, "rlimits");
	c->ulimits_known = 1;
	c->has_ulimits = rl && json_object_is_type(rl, json_type_array) && json_object_array_length(rl) > 0;
	c->health_known = 0;
	c->cgroup_parent = strdup("");
	c->cmd = json_strv(kj_get(proc, "args"));
	c->networks = calloc(1, sizeof(char *));
	c->exec_ids = calloc(1, sizeof(char *));
	if (!c->name || !c->user || !c->cmd || !c->networks || !c->devices || !c->seccomp_desc)
		return kerr_set(e, ENOMEM, "OCI bundle %s", path);
	return 0;
}

static int pattern_matches(const char *pat, const struct kcont *c)
{
	if (kstr_starts(pat, "label=")) {
		const char *kv = pat + 6, *eq = strchr(kv, '=');
		char key[256];
		snprintf(key, sizeof(key), "%.*s", (int)(eq ? (size_t)(eq - kv) : strlen(kv)), kv);
		const char *v = kj_get_str(c->labels, key);
		return v && (!eq || !strcmp(v, eq + 1));
	}
	if (!fnmatch(pat, c->name, 0))
		return 1;
	return strlen(pat) >= 12 && c->id && kstr_starts(c->id, pat);
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
	const char *id = kj_get_str(item, "Id");
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
			audit_ctx_notice(j->ctx, "%s", e.msg);
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
			audit_ctx_notice(ctx, "list containers: %s", st < 0 ? e.msg : "unexpected answer");
			json_object_put(list);
			list = NULL;
		}
	}
	size_t n = list ? json_object_array_length(list) : 0;
	size_t nb = kstrv_len(ctx->o->oci_bundles);
	json_object **ins = calloc(n + 1, sizeof(*ins));
	ctx->conts = calloc(n + nb + 1, sizeof(*ctx->conts));
	if (!ins || !ctx->conts) {
		free(ins);
		json_object_put(list);
		return;
	}
	struct inspect_job job = { ctx, list, ins, "/containers/%s/json", NULL, NULL };
	audit_ctx_parallel(ctx, n, inspect_one, &job);
	json_object *execs = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		if (!ins[i])
			continue;
		struct kcont *c = &ctx->conts[ctx->nconts];
		if (kcont_from_docker(c, ins[i], &e) < 0) {
			audit_ctx_notice(ctx, "%s", e.msg);
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
		audit_ctx_parallel(ctx, ne, exec_one, &ej);
		for (size_t i = 0; i < ne; i++)
			if (eo[i])
				json_object_object_add(ctx->exec_info, json_object_get_string(json_object_array_get_idx(execs, i)), eo[i]);
	}
	free(eo);
	json_object_put(execs);
	for (size_t i = 0; i < nb; i++) {
		struct kcont *c = &ctx->conts[ctx->nconts];
		if (kcont_from_oci(c, ctx->o->oci_bundles[i], &e) < 0) {
			audit_ctx_notice(ctx, "%s", e.msg);
			kcont_free(c);
		} else if (!kcont_selected(c, ctx->o)) {
			kcont_free(c);
		} else {
			ctx->nconts++;
		}
	}
}

void audit_ctx_containers(struct audit_ctx *ctx)
{
	audit_lazy_run(&ctx->cont_lazy, ctx, load_containers);
}

static void load_images(struct audit_ctx *ctx)
{
	json_object *list = NULL;
	kerr e;
	if (!ctx->api_ok)
		return;
	int st = kdocker_get(ctx->api, "/images/json", &list, &e);
	if (st != 200 || !list || !json_object_is_type(list, json_type_array)) {
		audit_ctx_notice(ctx, "list images: %s", st < 0 ? e.msg : "unexpected answer");
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
	audit_ctx_parallel(ctx, n, inspect_one, &job);
	audit_ctx_containers(ctx);
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(list, i);
		if (!ins[i]) {
			json_object_put(hist[i]);
			continue;
		}
		struct audit_image *im = &ctx->imgs[ctx->nimgs++];
		im->id = kstr_dup(kj_get_str(item, "Id"));
		json_object *tags = kj_get(ins[i], "RepoTags");
		const char *tag = tags && json_object_is_type(tags, json_type_array) && json_object_array_length(tags)
					  ? json_object_get_string(json_object_array_get_idx(tags, 0)) : NULL;
		if (tag && strcmp(tag, "<none>:<none>"))
			im->name = strdup(tag);
		else
			im->name = kstr_printf("%.19s", im->id ? im->id : "?");
		im->inspect = ins[i];
		im->history = hist[i];
		for (size_t k = 0; k < ctx->ndocker; k++) {
			const char *cimg = kj_get_str(ctx->conts[k].raw, "Image");
			if (cimg && im->id && !strcmp(cimg, im->id))
				im->used = 1;
		}
	}
	ctx->nimgs_total = n;
	free(ins);
	free(hist);
	json_object_put(list);
}

void audit_ctx_images(struct audit_ctx *ctx)
{
	audit_lazy_run(&ctx->img_lazy, ctx, load_images);
}
