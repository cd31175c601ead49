/* The policy's rules: each checks a config.json tree and, where a safe
 * default exists, fixes it (the "harden" action).  Levels follow the Pod
 * Security Standards: baseline rules stop known privilege escalations,
 * restricted ones add the hardening checklist of the seeds. */
#include "policy/policy.h"

#include "common/json.h"
#include "oci/seccomp_default.h"
#include "vocab/caps.h"
#include "vocab/mountopt.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- small tree helpers ---- */

static json_object *get(json_object *o, const char *k)
{
	return kj_get(o, k);
}

static json_object *need_obj(json_object *parent, const char *k)
{
	json_object *o = get(parent, k);
	if (!o || !json_object_is_type(o, json_type_object)) {
		o = json_object_new_object();
		json_object_object_add(parent, k, o);
	}
	return o;
}

static json_object *need_arr(json_object *parent, const char *k)
{
	json_object *o = get(parent, k);
	if (!o || !json_object_is_type(o, json_type_array)) {
		o = json_object_new_array();
		json_object_object_add(parent, k, o);
	}
	return o;
}

static const char *str(json_object *o)
{
	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

static int arr_has(json_object *arr, const char *s)
{
	for (size_t i = 0; arr && json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr); i++) {
		const char *v = str(json_object_array_get_idx(arr, i));
		if (v && !strcmp(v, s))
			return 1;
	}
	return 0;
}

/* Is the option ON in effect?  The one reading of mount options
 * (vocab/mountopt.h), the runtime's own: left to right, the last of a pair
 * ("ro"/"rw", "nosuid"/"suid" ...) wins.  OFF names the other half of the
 * pair for the reader; the vocabulary knows it. */
static int opt_on(json_object *arr, const char *on, const char *off)
{
	(void)off;
	return kmountopt_in_effect(arr, on);
}

static void add(char *buf, size_t n, const char *fmt, const char *s)
{
	size_t l = strlen(buf);
	if (l < n)
		snprintf(buf + l, n - l, fmt, s);
}

/* ---- capabilities ---- */

/* The capabilities Docker, Podman and Kubernetes' baseline grant by default. */
static const char *const default_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE", NULL,
};
static const char *const restricted_caps[] = { "CAP_NET_BIND_SERVICE", NULL };
static const char *const cap_sets[] = { "bounding", "effective", "inheritable", "permitted", "ambient" };

static int cap_allowed(const char *c, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (!strcasecmp(c, *allowed))
			return 1;
	return 0;
}

static int caps_beyond(json_object *s, const char *const *allowed, char *ev, size_t n)
{
	json_object *caps = get(get(s, "process"), "capabilities");
	int bad = 0;
	for (size_t k = 0; k < 5; k++) {
		json_object *arr = get(caps, cap_sets[k]);
		for (size_t i = 0; arr && json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr); i++) {
			const char *c = str(json_object_array_get_idx(arr, i));
			if (c && !cap_allowed(c, allowed) && !strstr(ev, c)) {
				add(ev, n, bad ? ", %s" : "%s", c);
				bad = 1;
			}
		}
	}
	return bad;
}

static int caps_fix(json_object *s, const char *const *allowed, char *ch, size_t n)
{
	json_object *caps = get(get(s, "process"), "capabilities");
	for (size_t k = 0; caps && k < 5; k++) {
		json_object *arr = get(caps, cap_sets[k]);
		if (!arr || !json_object_is_type(arr, json_type_array))
			continue;
		json_object *keep = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			const char *c = str(json_object_array_get_idx(arr, i));
			if (c && cap_allowed(c, allowed))
				json_object_array_add(keep, json_object_new_string(c));
		}
		json_object_object_add(caps, cap_sets[k], keep);
	}
	snprintf(ch, n, "dropped capabilities beyond the allowed set");
	return 0;
}

static int b_caps(json_object *s, char *ev, size_t n) { return caps_beyond(s, default_caps, ev, n); }
static int b_caps_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	(void)p;
	return caps_fix(s, default_caps, ch, n);
}
static int r_caps(json_object *s, char *ev, size_t n) { return caps_beyond(s, restricted_caps, ev, n); }
static int r_caps_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	(void)p;
	return caps_fix(s, restricted_caps, ch, n);
}

/* ---- namespaces ---- */

/* The namespace entry of TYPE: 0 absent, 1 new, 2 joined (path in *path). */
static int ns_entry(json_object *s, const char *type, const char **path)
{
	json_object *arr = get(get(s, "linux"), "namespaces");
	for (size_t i = 0; arr && json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr); i++) {
		json_object *it = json_object_array_get_idx(arr, i);
		const char *t = str(get(it, "type"));
		if (t && !strcmp(t, type)) {
			*path = str(get(it, "path"));
			return *path && **path ? 2 : 1;
		}
	}
	return 0;
}

/* "The host's" namespace is the runtime's own: the clients run us in the
 * host's namespaces (and /proc/1 may not be ours to look at). */
static int is_host_ns(const char *path, const char *procname)
{
	char host[64];
	struct stat a, b;
	snprintf(host, sizeof(host), "/proc/self/ns/%s", procname);
	return stat(path, &a) == 0 && stat(host, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int host_ns(json_object *s, const char *type, const char *procname, int absent_is_host, char *ev, size_t n)
{
	const char *path = NULL;
	int k = ns_entry(s, type, &path);
	if (k == 0 && absent_is_host) {
		snprintf(ev, n, "no %s namespace: the host's is shared", type);
		return 1;
	}
	if (k == 2 && is_host_ns(path, procname)) {
		snprintf(ev, n, "joins the host's %s namespace (%s)", type, path);
		return 1;
	}
	return 0;
}

static int b_pid(json_object *s, char *ev, size_t n) { return host_ns(s, "pid", "pid", 1, ev, n); }
static int b_ipc(json_object *s, char *ev, size_t n) { return host_ns(s, "ipc", "ipc", 1, ev, n); }
static int b_net(json_object *s, char *ev, size_t n) { return host_ns(s, "network", "net", 1, ev, n); }
static int b_uts(json_object *s, char *ev, size_t n) { return host_ns(s, "uts", "uts", 1, ev, n); }
static int b_user(json_object *s, char *ev, size_t n) { return host_ns(s, "user", "user", 0, ev, n); }
/* the host's mount table, and a chroot that CAP_SYS_CHROOT can leave; or
 * another process's mount namespace, joined by path: the container's root
 * is built inside it, which changes that namespace for every process in it */
static int b_mnt(json_object *s, char *ev, size_t n)
{
	const char *path = NULL;
	if (host_ns(s, "mount", "mnt", 1, ev, n))
		return 1;
	if (ns_entry(s, "mount", &path) == 2) {
		snprintf(ev, n, "joins an existing mount namespace (%s): the container's root would be built in it",
			 path);
		return 1;
	}
	return 0;
}

/* The host's cgroup namespace is a risk when the cgroup tree is writable
 * from the container (release_agent, notify_on_release); Docker on cgroup
 * v1 shares it with a read-only mount, which stays allowed. */
static int cgroup_mount_rw(json_object *s, char *ev, size_t n)
{
	json_object *ms = get(s, "mounts");
	for (size_t i = 0; ms && json_object_is_type(ms, json_type_array) && i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i);
		const char *t = str(get(m, "type"));
		const char *src = str(get(m, "source"));
		const char *dst = str(get(m, "destination"));
		int cg = (t && (!strcmp(t, "cgroup") || !strcmp(t, "cgroup2"))) ||
			 (src && !strncmp(src, "/sys/fs/cgroup", 14));
		json_object *o = get(m, "options");
		if (cg && !opt_on(o, "ro", "rw") && !opt_on(o, "rro", "rrw")) {
			snprintf(ev, n, "the cgroup filesystem is mounted writable at %s", dst ? dst : "?");
			return 1;
		}
	}
	return 0;
}

static int b_cgroup(json_object *s, char *ev, size_t n)
{
	const char *path = NULL;
	int k = ns_entry(s, "cgroup", &path);
	if (k == 2 && is_host_ns(path, "cgroup")) {
		snprintf(ev, n, "joins the host's cgroup namespace (%s)", path);
		return 1;
	}
	return k == 0 && cgroup_mount_rw(s, ev, n);
}

static int b_cgroup_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	(void)p;
	const char *path = NULL;
	if (ns_entry(s, "cgroup", &path) == 2)
		return -1;
	json_object *ms = get(s, "mounts");
	for (size_t i = 0; ms && i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i);
		const char *t = str(get(m, "type"));
		const char *src = str(get(m, "source"));
		int cg = (t && (!strcmp(t, "cgroup") || !strcmp(t, "cgroup2"))) ||
			 (src && !strncmp(src, "/sys/fs/cgroup", 14));
		if (cg && !opt_on(get(m, "options"), "ro", "rw"))
			json_object_array_add(need_arr(m, "options"), json_object_new_string("ro"));
		/* a bind's submounts too */
		if (cg && src && !strncmp(src, "/sys/fs/cgroup", 14) && !opt_on(get(m, "options"), "rro", "rrw"))
			json_object_array_add(need_arr(m, "options"), json_object_new_string("rro"));
	}
	snprintf(ch, n, "mounted the cgroup filesystem read-only");
	return 0;
}

/* ---- host paths ---- */

static const char *const sensitive[] = {
	"/", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sys", "/usr", "/bin", "/sbin", "/root",
	"/var", "/var/lib", "/var/lib/docker", "/var/lib/containerd", "/var/lib/kubelet", "/var/lib/containers",
	"/run", "/var/run", NULL,
};
/* below these, everything is sensitive (a subdirectory is as bad), but for
 * the engines' own per-container files listed next */
static const char *const sensitive_trees[] = {
	"/boot", "/dev", "/etc", "/proc", "/sys", "/usr", "/lib", "/lib64", "/root", "/bin", "/sbin",
	"/var/lib/docker", "/var/lib/containerd", "/var/lib/kubelet", "/var/lib/containers", NULL,
};
static const char *const sockets[] = {
	"docker.sock", "containerd.sock", "crio.sock", "podman.sock", "kubelet.sock", "dockershim.sock", NULL,
};
/* per-container files the engines themselves bind in: allowed (matched
 * against the resolved path only) */
static const char *const engine_files[] = {
	"/var/lib/docker/containers/*", "/var/lib/docker/containers/*/*", "/var/lib/docker/containers/*/mounts/*",
	"/var/lib/docker/volumes/*/_data", "/var/lib/docker/volumes/*/_data/*",
	"/var/lib/containers/storage/overlay-containers/*/userdata/*", "/var/lib/containers/storage/volumes/*/_data",
	"/var/lib/kubelet/pods/*/volumes/*/*", "/var/lib/kubelet/pods/*/volumes/*/*/*", "/var/lib/kubelet/pods/*/etc-hosts",
	"/var/lib/kubelet/pods/*/containers/*/*", "/run/containers/storage/overlay-containers/*/userdata/*",
	"/run/secrets/*",
	/* containerd's CRI: a pod's hosts, resolv.conf, hostname (and /dev/shm) */
	"/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/*/hosts",
	"/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/*/resolv.conf",
	"/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/*/hostname",
	"/run/containerd/io.containerd.grpc.v1.cri/sandboxes/*/shm",
	/* the init the engines inject (docker --init, podman --init) */
	"/usr/bin/docker-init", "/usr/libexec/docker/docker-init", "/usr/bin/catatonit",
	"/usr/libexec/podman/catatonit", "/usr/bin/tini", "/usr/bin/tini-static", NULL,
};

/* The path as the kernel will resolve it: symlinks followed where it
 * exists, ".." and "." folded where it does not. */
static void fold(const char *p, char *out, size_t n);

static void canonical(const char *p, char *out, size_t n)
{
	char real[PATH_MAX];
	if (realpath(p, real)) {
		snprintf(out, n, "%s", real);
		return;
	}
	fold(p, out, n);
}

/* P with "." and ".." folded and repeated slashes dropped, lexically (a
 * path inside the container: nothing of the host is looked at). */
static void fold(const char *p, char *out, size_t n)
{
	char tmp[PATH_MAX], *save = NULL;
	size_t len = 0;
	snprintf(tmp, sizeof(tmp), "%s", p);
	out[0] = '\0';
	for (char *c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			char *sl = strrchr(out, '/');
			if (sl)
				*sl = '\0';
			len = strlen(out);
			continue;
		}
		len += snprintf(out + len, n > len ? n - len : 0, "/%s", c);
	}
	if (!out[0])
		snprintf(out, n, "/");
}

static int sensitive_path(const char *p, const char **why)
{
	char r[PATH_MAX];
	canonical(p, r, sizeof(r));
	for (const char *const *g = engine_files; *g; g++)
		if (!fnmatch(*g, r, FNM_PATHNAME))
			return 0;
	const char *base = strrchr(r, '/');
	for (const char *const *s = sockets; *s; s++)
		if (base && !strcmp(base + 1, *s)) {
			*why = "a container engine's API socket";
			return 1;
		}
	/* a directory holding an engine socket */
	for (const char *const *s = sockets; *s; s++) {
		char probe[PATH_MAX + 64];
		struct stat st;
		snprintf(probe, sizeof(probe), "%s/%s", r, *s);
		if (stat(probe, &st) == 0 && S_ISSOCK(st.st_mode)) {
			*why = "a directory holding a container engine's API socket";
			return 1;
		}
	}
	for (const char *const *s = sensitive; *s; s++)
		if (!strcmp(r, *s)) {
			*why = "a sensitive host directory";
			return 1;
		}
	for (const char *const *s = sensitive_trees; *s; s++) {
		size_t l = strlen(*s);
		if (!strncmp(r, *s, l) && r[l] == '/') {
			*why = "inside a sensitive host directory";
			return 1;
		}
	}
	return 0;
}

/* overlay lowerdir/upperdir/workdir options name host directories too */
static int overlay_sensitive(json_object *m, char *one, size_t n)
{
	json_object *o = get(m, "options");
	for (size_t i = 0; o && json_object_is_type(o, json_type_array) && i < json_object_array_length(o); i++) {
		const char *v = str(json_object_array_get_idx(o, i));
		static const char *const keys[] = { "lowerdir=", "upperdir=", "workdir=" };
		for (int k = 0; v && k < 3; k++) {
			if (strncmp(v, keys[k], strlen(keys[k])))
				continue;
			char dirs[PATH_MAX], *save = NULL;
			snprintf(dirs, sizeof(dirs), "%s", v + strlen(keys[k]));
			for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
				const char *why;
				if (sensitive_path(d, &why)) {
					snprintf(one, n, "overlay %.*s%s (%s)", (int)strlen(keys[k]) - 1, keys[k], d, why);
					return 1;
				}
			}
		}
	}
	return 0;
}

static int b_mounts(json_object *s, char *ev, size_t n)
{
	json_object *ms = get(s, "mounts");
	int bad = 0;
	for (size_t i = 0; ms && json_object_is_type(ms, json_type_array) && i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i);
		const char *t = str(get(m, "type"));
		const char *src = str(get(m, "source"));
		json_object *o = get(m, "options");
		int bind = (t && !strcmp(t, "bind")) || arr_has(o, "bind") || arr_has(o, "rbind");
		const char *why;
		char one[PATH_MAX];
		if (bind && src && sensitive_path(src, &why)) {
			snprintf(one, sizeof(one), "%s%s on %s (%s)", bad ? "; " : "", src,
				 str(get(m, "destination")) ? str(get(m, "destination")) : "?", why);
			add(ev, n, "%s", one);
			bad = 1;
		} else if (t && !strcmp(t, "overlay") && overlay_sensitive(m, one + 2, sizeof(one) - 2)) {
			one[0] = bad ? ';' : ' ';
			one[1] = ' ';
			add(ev, n, "%s", bad ? one : one + 2);
			bad = 1;
		}
	}
	return bad;
}

/* ---- devices ---- */

static const struct { char type; long major, minor; } default_devs[] = {
	{ 'c', 1, 3 }, { 'c', 1, 5 }, { 'c', 1, 7 }, { 'c', 1, 8 }, { 'c', 1, 9 }, { 'c', 5, 0 }, { 'c', 5, 1 },
	{ 'c', 5, 2 }, { 'c', 136, -1 }, { 'c', 10, 200 },
};

static int dev_default(char type, long major, long minor)
{
	for (size_t i = 0; i < sizeof(default_devs) / sizeof(default_devs[0]); i++)
		if (default_devs[i].type == type && default_devs[i].major == major &&
		    (default_devs[i].minor == -1 || default_devs[i].minor == minor))
			return 1;
	return 0;
}

static long num(json_object *o, long dflt)
{
	return o && (json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double))
		       ? (long)json_object_get_int64(o) : dflt;
}

static int b_devices(json_object *s, char *ev, size_t n)
{
	int bad = 0;
	json_object *devs = get(get(s, "linux"), "devices");
	for (size_t i = 0; devs && json_object_is_type(devs, json_type_array) && i < json_object_array_length(devs); i++) {
		json_object *d = json_object_array_get_idx(devs, i);
		const char *t = str(get(d, "type"));
		char type = t && *t == 'u' ? 'c' : t ? *t : '?';
		if (type == 'p' || dev_default(type, num(get(d, "major"), -2), num(get(d, "minor"), -2)))
			continue;
		add(ev, n, bad ? ", %s" : "%s", str(get(d, "path")) ? str(get(d, "path")) : "?");
		bad = 1;
	}
	json_object *rules = get(get(get(s, "linux"), "resources"), "devices");
	for (size_t i = 0; rules && json_object_is_type(rules, json_type_array) && i < json_object_array_length(rules); i++) {
		json_object *r = json_object_array_get_idx(rules, i);
		json_object *allow = get(r, "allow");
		if (!allow || !json_object_get_boolean(allow))
			continue;
		const char *t = str(get(r, "type"));
		const char *acc = str(get(r, "access"));
		long ma = num(get(r, "major"), -1), mi = num(get(r, "minor"), -1);
		char type = t ? *t : 'a';
		/* mknod alone ("m") on any device is what Docker allows */
		if (acc && !strchr(acc, 'r') && !strchr(acc, 'w'))
			continue;
		if (type != 'a' && dev_default(type, ma, mi))
			continue;
		char one[96], smaj[24] = "*", smin[24] = "*";
		if (ma >= 0)
			snprintf(smaj, sizeof(smaj), "%ld", ma);
		if (mi >= 0)
			snprintf(smin, sizeof(smin), "%ld", mi);
		snprintf(one, sizeof(one), "%sthe device cgroup allows %c %s:%s %s", bad ? ", " : "", type, smaj, smin,
			 acc ? acc : "rwm");
		add(ev, n, "%s", one);
		bad = 1;
	}
	return bad;
}

/* ---- seccomp ---- */

static int allows(const char *action)
{
	return action && (!strcmp(action, "SCMP_ACT_ALLOW") || !strcmp(action, "SCMP_ACT_LOG"));
}

/* Does a syscalls entry of SC stop a syscall: an action that fails it
 * (errno), kills, traps or hands it to a supervisor (notify)? */
static int seccomp_denies_one(json_object *sc)
{
	static const char *const deny[] = {
		"SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS",
		"SCMP_ACT_TRAP", "SCMP_ACT_NOTIFY", NULL,
	};
	json_object *sys = get(sc, "syscalls");
	for (size_t i = 0; sys && json_object_is_type(sys, json_type_array) && i < json_object_array_length(sys); i++) {
		json_object *r = json_object_array_get_idx(sys, i);
		json_object *names = get(r, "names");
		const char *a = str(get(r, "action"));
		if (!a || !names || !json_object_is_type(names, json_type_array) || !json_object_array_length(names))
			continue;
		for (const char *const *d = deny; *d; d++)
			if (!strcmp(a, *d))
				return 1;
	}
	return 0;
}

static int b_seccomp(json_object *s, char *ev, size_t n)
{
	json_object *sc = get(get(s, "linux"), "seccomp");
	if (!sc || !json_object_is_type(sc, json_type_object)) {
		snprintf(ev, n, "no seccomp filter");
		return 1;
	}
	const char *a = str(get(sc, "defaultAction"));
	if (allows(a) && !seccomp_denies_one(sc)) {
		snprintf(ev, n, "the filter allows every syscall (defaultAction %s, no rule denies one): unconfined", a);
		return 1;
	}
	return 0;
}

static int seccomp_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	(void)p;
	json_object *prof = kseccomp_default_profile();
	if (!prof)
		return -1;
	json_object_object_add(need_obj(s, "linux"), "seccomp", prof);
	snprintf(ch, n, "installed kapsel's default seccomp profile");
	return 0;
}

/* B10 fills in a missing filter only: a profile in the config is the
 * client's request, refused (-1) when it allows everything rather than
 * replaced, kept (nothing to do) otherwise. */
static int b_seccomp_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	json_object *sc = get(get(s, "linux"), "seccomp");
	char ev[160];
	if (sc && json_object_is_type(sc, json_type_object))
		return b_seccomp(s, ev, sizeof(ev)) ? -1 : 0;
	return seccomp_fix(s, p, ch, n);
}

static int r_seccomp(json_object *s, char *ev, size_t n)
{
	json_object *sc = get(get(s, "linux"), "seccomp");
	const char *a = str(get(sc, "defaultAction"));
	if (!sc || !a) {
		snprintf(ev, n, "no seccomp filter");
		return 1;
	}
	if (allows(a)) {
		snprintf(ev, n, "the filter's default action is %s", a);
		return 1;
	}
	return 0;
}

/* ---- /proc ---- */

static const char *const masked_default[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
	"/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap", NULL,
};
static const char *const readonly_default[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* Is PATH, or a directory above it, in ARR? */
static int covered(json_object *arr, const char *path)
{
	for (size_t i = 0; arr && json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr); i++) {
		const char *v = str(json_object_array_get_idx(arr, i));
		size_t l = v ? strlen(v) : 0;
		while (l > 1 && v[l - 1] == '/')
			l--;
		if (l && !strncmp(path, v, l) && (path[l] == '\0' || path[l] == '/' || l == 1))
			return 1;
	}
	return 0;
}

/* A procfs mounted anywhere but /proc: the runtime masks only /proc, so
 * it is whole and writable (/proc/sys/kernel/core_pattern ...). */
static const char *proc_elsewhere(json_object *s)
{
	json_object *ms = get(s, "mounts");
	for (size_t i = 0; ms && json_object_is_type(ms, json_type_array) && i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i);
		const char *t = str(get(m, "type")), *dst = str(get(m, "destination"));
		char where[PATH_MAX];
		if (!t || strcmp(t, "proc"))
			continue;
		fold(dst ? dst : "", where, sizeof(where));
		if (strcmp(where, "/proc"))
			return dst ? dst : "?";
	}
	return NULL;
}

static int b_proc(json_object *s, char *ev, size_t n)
{
	json_object *lx = get(s, "linux");
	json_object *mp = get(lx, "maskedPaths"), *rp = get(lx, "readonlyPaths");
	const char *other = proc_elsewhere(s);
	if (other) {
		snprintf(ev, n, "a procfs is mounted at %s: only /proc is masked, it is whole and writable", other);
		return 1;
	}
	if (!mp || !json_object_is_type(mp, json_type_array) || json_object_array_length(mp) == 0) {
		snprintf(ev, n, "maskedPaths is empty: /proc/kcore, /proc/keys ... are visible");
		return 1;
	}
	/* every default entry, as a client's partial list leaves the rest
	 * readable; a masked path is read-only too */
	int bad = 0;
	for (const char *const *m = masked_default; *m; m++)
		if (!covered(mp, *m)) {
			add(ev, n, bad ? ", %s" : "not masked: %s", *m);
			bad = 1;
		}
	int ro = 0;
	for (const char *const *r = readonly_default; *r; r++)
		if (!covered(rp, *r) && !covered(mp, *r)) {
			add(ev, n, ro ? ", %s" : bad ? "; not read-only: %s" : "not read-only: %s", *r);
			ro = bad = 1;
		}
	return bad;
}

static int b_proc_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	(void)p;
	if (proc_elsewhere(s))
		return -1;
	json_object *lx = need_obj(s, "linux");
	json_object *mp = need_arr(lx, "maskedPaths"), *rp = need_arr(lx, "readonlyPaths");
	for (const char *const *m = masked_default; *m; m++)
		if (!covered(mp, *m))
			json_object_array_add(mp, json_object_new_string(*m));
	for (const char *const *r = readonly_default; *r; r++)
		if (!covered(rp, *r) && !covered(mp, *r))
			json_object_array_add(rp, json_object_new_string(*r));
	snprintf(ch, n, "masked /proc and made /proc/sys read-only");
	return 0;
}

/* ---- sysfs ---- */

/* A writable sysfs: /sys/power/state, /sys/kernel/... of the host.  runc's
 * default spec and Docker (unprivileged) mount it read-only. */
static int sysfs_writable(json_object *m)
{
	const char *t = str(get(m, "type"));
	return t && !strcmp(t, "sysfs") && !opt_on(get(m, "options"), "ro", "rw");
}

static int b_sysfs(json_object *s, char *ev, size_t n)
{
	json_object *ms = get(s, "mounts");
	int bad = 0;
	for (size_t i = 0; ms && json_object_is_type(ms, json_type_array) && i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i);
		const char *dst = str(get(m, "destination"));
		if (sysfs_writable(m)) {
			add(ev, n, bad ? ", %s" : "sysfs is mounted writable at %s", dst ? dst : "?");
			bad = 1;
		}
	}
	return bad;
}

static int b_sysfs_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	(void)p;
	json_object *ms = get(s, "mounts");
	for (size_t i = 0; ms && json_object_is_type(ms, json_type_array) && i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i);
		/* appended last, so it wins over an earlier rw */
		if (sysfs_writable(m))
			json_object_array_add(need_arr(m, "options"), json_object_new_string("ro"));
	}
	snprintf(ch, n, "mounted sysfs read-only");
	return 0;
}

/* ---- sysctl ---- */

/* Namespaced and safe (Kubernetes' safe set). */
static const char *const safe_sysctls[] = {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes", NULL,
};

static int b_sysctl(json_object *s, char *ev, size_t n)
{
	json_object *sc = get(get(s, "linux"), "sysctl");
	int bad = 0;
	if (!sc || !json_object_is_type(sc, json_type_object))
		return 0;
	json_object_object_foreach(sc, k, v) {
		(void)v;
		int ok = 0;
		for (const char *const *x = safe_sysctls; *x; x++)
			if (!strcmp(k, *x))
				ok = 1;
		if (!ok) {
			add(ev, n, bad ? ", %s" : "%s", k);
			bad = 1;
		}
	}
	return bad;
}

/* ---- propagation ---- */

static int b_propagation(json_object *s, char *ev, size_t n)
{
	const char *rp = str(get(get(s, "linux"), "rootfsPropagation"));
	if (rp && (!strcmp(rp, "shared") || !strcmp(rp, "rshared"))) {
		snprintf(ev, n, "rootfsPropagation is %s", rp);
		return 1;
	}
	json_object *ms = get(s, "mounts");
	for (size_t i = 0; ms && json_object_is_type(ms, json_type_array) && i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i);
		json_object *o = get(m, "options");
		if (arr_has(o, "shared") || arr_has(o, "rshared")) {
			snprintf(ev, n, "%s is mounted with shared propagation",
				 str(get(m, "destination")) ? str(get(m, "destination")) : "?");
			return 1;
		}
	}
	return 0;
}

/* ---- restricted ---- */

/* The host uid the process runs as: through the new user namespace's
 * uidMappings, or a joined one's /proc/PID/uid_map.  -1: cannot tell. */
static long host_uid(json_object *s, long uid)
{
	const char *path = NULL;
	int k = ns_entry(s, "user", &path);
	if (k == 0)
		return uid;
	if (k == 1) {
		json_object *um = get(get(s, "linux"), "uidMappings");
		for (size_t i = 0; um && json_object_is_type(um, json_type_array) && i < json_object_array_length(um); i++) {
			json_object *m = json_object_array_get_idx(um, i);
			long c = num(get(m, "containerID"), -1), h = num(get(m, "hostID"), -1), sz = num(get(m, "size"), 0);
			if (uid >= c && uid < c + sz)
				return h + (uid - c);
		}
		return -1;
	}
	/* joined: /proc/PID/ns/user -> /proc/PID/uid_map */
	int pid;
	char map[64];
	if (sscanf(path, "/proc/%d/ns/user", &pid) != 1)
		return -1;
	snprintf(map, sizeof(map), "/proc/%d/uid_map", pid);
	FILE *f = fopen(map, "re");
	if (!f)
		return -1;
	long c, h, sz, r = -1;
	while (fscanf(f, "%ld %ld %ld", &c, &h, &sz) == 3)
		if (uid >= c && uid < c + sz)
			r = h + (uid - c);
	fclose(f);
	return r;
}

static int r_root(json_object *s, char *ev, size_t n)
{
	json_object *u = get(get(s, "process"), "user");
	long uid = num(get(u, "uid"), 0);
	long h = host_uid(s, uid);
	if (h > 0)
		return 0;
	if (h == 0)
		snprintf(ev, n, uid == 0 ? "runs as uid 0 on the host" : "uid %ld is mapped to uid 0 on the host", uid);
	else
		snprintf(ev, n, "cannot tell which host uid uid %ld is (no mapping for it)", uid);
	return 1;
}

/* Root stays root inside, but on the host it is an unprivileged uid: a
 * new user namespace maps the container's 0..SIZE-1 to BASE..  (The
 * image's files, owned by host root, are then read as "nobody".) */
static int r_root_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	const char *path = NULL;
	json_object *u = get(get(s, "process"), "user");
	long uid = num(get(u, "uid"), 0);
	if (ns_entry(s, "user", &path) != 0) {
		/* already in a user namespace: fine if it maps root away */
		long h = host_uid(s, uid);
		if (h <= 0)
			return -1;
		snprintf(ch, n, "mapped root to host uid %ld in a user namespace", h - uid);
		return 0;
	}
	if (!p->harden_userns_base)
		return -1;
	if (uid >= p->harden_userns_size)
		return -1;
	json_object *lx = need_obj(s, "linux");
	json_object *ns = json_object_new_object();
	json_object_object_add(ns, "type", json_object_new_string("user"));
	json_object_array_add(need_arr(lx, "namespaces"), ns);
	static const char *const maps[] = { "uidMappings", "gidMappings" };
	for (int i = 0; i < 2; i++) {
		json_object *arr = json_object_new_array(), *m = json_object_new_object();
		json_object_object_add(m, "containerID", json_object_new_int64(0));
		json_object_object_add(m, "hostID", json_object_new_int64(p->harden_userns_base));
		json_object_object_add(m, "size", json_object_new_int64(p->harden_userns_size));
		json_object_array_add(arr, m);
		json_object_object_add(lx, maps[i], arr);
	}
	/* a gid range beyond the mapping is refused in a user namespace
	 * (Docker asks for "0 2147483647"): keep it to the mapped gids */
	json_object *sc = get(lx, "sysctl");
	if (sc && get(sc, "net.ipv4.ping_group_range")) {
		char range[48];
		snprintf(range, sizeof(range), "0 %lld", p->harden_userns_size - 1);
		json_object_object_add(sc, "net.ipv4.ping_group_range", json_object_new_string(range));
	}
	snprintf(ch, n, "mapped root to host uid %lld in a user namespace", p->harden_userns_base);
	return 0;
}

static int r_nnp(json_object *s, char *ev, size_t n)
{
	json_object *o = get(get(s, "process"), "noNewPrivileges");
	if (o && json_object_get_boolean(o))
		return 0;
	snprintf(ev, n, "noNewPrivileges is not set");
	return 1;
}

static int r_nnp_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	(void)p;
	json_object_object_add(need_obj(s, "process"), "noNewPrivileges", json_object_new_boolean(1));
	snprintf(ch, n, "set noNewPrivileges");
	return 0;
}

static int mounted_at(json_object *s, const char *dest)
{
	json_object *ms = get(s, "mounts");
	for (size_t i = 0; ms && json_object_is_type(ms, json_type_array) && i < json_object_array_length(ms); i++)
		if (str(get(json_object_array_get_idx(ms, i), "destination")) &&
		    !strcmp(str(get(json_object_array_get_idx(ms, i), "destination")), dest))
			return 1;
	return 0;
}

static int r_rootfs(json_object *s, char *ev, size_t n)
{
	json_object *r = get(get(s, "root"), "readonly");
	if (r && json_object_get_boolean(r))
		return 0;
	snprintf(ev, n, "the root filesystem is writable");
	return 1;
}

static int r_rootfs_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	(void)p;
	json_object_object_add(need_obj(s, "root"), "readonly", json_object_new_boolean(1));
	json_object *ms = need_arr(s, "mounts");
	static const char *const where[] = { "/tmp", "/run" };
	for (int i = 0; i < 2; i++) {
		if (mounted_at(s, where[i]))
			continue;
		json_object *m = json_object_new_object();
		json_object_object_add(m, "destination", json_object_new_string(where[i]));
		json_object_object_add(m, "type", json_object_new_string("tmpfs"));
		json_object_object_add(m, "source", json_object_new_string("tmpfs"));
		json_object *o = json_object_new_array();
		const char *opts[] = { "nosuid", "nodev", "noexec", i ? "mode=755" : "mode=1777", i ? "size=16m" : "size=64m" };
		for (int k = 0; k < 5; k++)
			json_object_array_add(o, json_object_new_string(opts[k]));
		json_object_object_add(m, "options", o);
		json_object_array_add(ms, m);
	}
	snprintf(ch, n, "made the root filesystem read-only with tmpfs on /tmp and /run");
	return 0;
}

static json_object *resources(json_object *s)
{
	return get(get(s, "linux"), "resources");
}

static int r_memory(json_object *s, char *ev, size_t n)
{
	json_object *m = get(resources(s), "memory");
	long long lim = m ? (long long)num(get(m, "limit"), 0) : 0;
	if (lim <= 0) {
		snprintf(ev, n, "no memory limit");
		return 1;
	}
	json_object *sw = get(m, "swap");
	long long swap = sw ? (long long)num(sw, 0) : 0;
	if (swap != lim) {
		snprintf(ev, n, swap <= 0 ? "swap is not limited (memory.swap unset or -1)"
					  : "memory.swap allows swap beyond the memory limit");
		return 1;
	}
	return 0;
}

static int r_memory_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	json_object *m = need_obj(need_obj(need_obj(s, "linux"), "resources"), "memory");
	long long lim = (long long)num(get(m, "limit"), 0);
	if (lim <= 0) {
		lim = p->harden_memory;
		json_object_object_add(m, "limit", json_object_new_int64(lim));
	}
	json_object_object_add(m, "swap", json_object_new_int64(lim));
	snprintf(ch, n, "limited memory to %lld bytes with no extra swap", lim);
	return 0;
}

static int r_pids(json_object *s, char *ev, size_t n)
{
	if (num(get(get(resources(s), "pids"), "limit"), 0) > 0)
		return 0;
	snprintf(ev, n, "no PID limit");
	return 1;
}

static int r_pids_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	json_object *o = need_obj(need_obj(need_obj(s, "linux"), "resources"), "pids");
	json_object_object_add(o, "limit", json_object_new_int64(p->harden_pids));
	snprintf(ch, n, "limited PIDs to %lld", p->harden_pids);
	return 0;
}

static int r_cpu(json_object *s, char *ev, size_t n)
{
	if (num(get(get(resources(s), "cpu"), "quota"), 0) > 0)
		return 0;
	snprintf(ev, n, "no CPU quota");
	return 1;
}

static int r_cpu_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	json_object *o = need_obj(need_obj(need_obj(s, "linux"), "resources"), "cpu");
	json_object_object_add(o, "quota", json_object_new_int64(p->harden_cpu_quota));
	json_object_object_add(o, "period", json_object_new_int64(p->harden_cpu_period));
	snprintf(ch, n, "limited CPU to %lld/%lld us", p->harden_cpu_quota, p->harden_cpu_period);
	return 0;
}

static int has_rlimit(json_object *s, const char *type)
{
	json_object *rl = get(get(s, "process"), "rlimits");
	for (size_t i = 0; rl && json_object_is_type(rl, json_type_array) && i < json_object_array_length(rl); i++)
		if (str(get(json_object_array_get_idx(rl, i), "type")) &&
		    !strcmp(str(get(json_object_array_get_idx(rl, i), "type")), type))
			return 1;
	return 0;
}

static int r_ulimits(json_object *s, char *ev, size_t n)
{
	int nf = has_rlimit(s, "RLIMIT_NOFILE"), np = has_rlimit(s, "RLIMIT_NPROC");
	if (nf && np)
		return 0;
	snprintf(ev, n, "no %s%s%s rlimit", nf ? "" : "RLIMIT_NOFILE", !nf && !np ? " or " : "", np ? "" : "RLIMIT_NPROC");
	return 1;
}

static int r_ulimits_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	json_object *rl = need_arr(need_obj(s, "process"), "rlimits");
	static const struct { const char *name; int res; } want[] = {
		{ "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_NPROC", RLIMIT_NPROC },
	};
	for (int i = 0; i < 2; i++) {
		if (has_rlimit(s, want[i].name))
			continue;
		unsigned long long v = i ? p->harden_nproc : p->harden_nofile;
		struct rlimit cur;
		/* never above what the runtime itself may grant */
		if (getrlimit(want[i].res, &cur) == 0 && cur.rlim_max != RLIM_INFINITY && v > cur.rlim_max)
			v = cur.rlim_max;
		json_object *o = json_object_new_object();
		json_object_object_add(o, "type", json_object_new_string(want[i].name));
		json_object_object_add(o, "soft", json_object_new_uint64(v));
		json_object_object_add(o, "hard", json_object_new_uint64(v));
		json_object_array_add(rl, o);
	}
	snprintf(ch, n, "set RLIMIT_NOFILE %llu and RLIMIT_NPROC %llu", p->harden_nofile, p->harden_nproc);
	return 0;
}

/* /dev and /dev/pts hold device nodes: nodev would break them */
static int needs_dev(const char *dst)
{
	return dst && (!strcmp(dst, "/dev") || !strcmp(dst, "/dev/pts"));
}

static int r_mountopts(json_object *s, char *ev, size_t n)
{
	json_object *ms = get(s, "mounts");
	int bad = 0;
	for (size_t i = 0; ms && json_object_is_type(ms, json_type_array) && i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i);
		json_object *o = get(m, "options");
		const char *dst = str(get(m, "destination"));
		const char *t = str(get(m, "type"));
		int miss = !opt_on(o, "nosuid", "suid") || (!needs_dev(dst) && !opt_on(o, "nodev", "dev")) ||
			   (t && !strcmp(t, "tmpfs") && !opt_on(o, "noexec", "exec"));
		if (miss) {
			add(ev, n, bad ? ", %s" : "%s", dst ? dst : "?");
			bad = 1;
		}
	}
	if (bad)
		add(ev, n, "%s", " lack nosuid/nodev (tmpfs: noexec)");
	return bad;
}

static int r_mountopts_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	(void)p;
	json_object *ms = get(s, "mounts");
	for (size_t i = 0; ms && json_object_is_type(ms, json_type_array) && i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i);
		json_object *o = need_arr(m, "options");
		const char *dst = str(get(m, "destination"));
		const char *t = str(get(m, "type"));
		/* appended last, so they win over an earlier suid/dev/exec */
		if (!opt_on(o, "nosuid", "suid"))
			json_object_array_add(o, json_object_new_string("nosuid"));
		if (!needs_dev(dst) && !opt_on(o, "nodev", "dev"))
			json_object_array_add(o, json_object_new_string("nodev"));
		if (t && !strcmp(t, "tmpfs") && !opt_on(o, "noexec", "exec"))
			json_object_array_add(o, json_object_new_string("noexec"));
	}
	snprintf(ch, n, "added nosuid and nodev to every mount, noexec to tmpfs");
	return 0;
}

/* ---- AppArmor ---- */

/* Where the host has AppArmor: a process without a profile runs
 * unconfined (the fix gives it the default profile, as Docker gives
 * docker-default), and "unconfined" asks for exactly that (refused: the
 * client asked for it, so it is not filled over).  Where the host has no
 * AppArmor there is nothing to confine with: no finding. */
static int b_apparmor(json_object *s, const struct kpolicy *p, char *ev, size_t n)
{
	const char *prof = str(get(get(s, "process"), "apparmorProfile"));
	if (!p->apparmor_default)
		return 0;
	if (!prof || !*prof) {
		snprintf(ev, n, "no AppArmor profile: the process would run unconfined");
		return 1;
	}
	if (!strcmp(prof, "unconfined")) {
		snprintf(ev, n, "process.apparmorProfile is \"unconfined\"");
		return 1;
	}
	return 0;
}

static int b_apparmor_fix(json_object *s, const struct kpolicy *p, char *ch, size_t n)
{
	const char *prof = str(get(get(s, "process"), "apparmorProfile"));
	if (!p->apparmor_default || (prof && *prof))
		return -1;
	json_object_object_add(need_obj(s, "process"), "apparmorProfile", json_object_new_string(p->apparmor_default));
	snprintf(ch, n, "applied AppArmor profile %s", p->apparmor_default);
	return 0;
}

/* ---- the OOM killer ---- */

/* A negative oom_score_adj makes the kernel prefer every other process
 * when memory runs out: at -1000 the container is never chosen, so a
 * container that fills memory (with no limit, or the host's limit) has
 * the host's own processes killed in its place.  Lowering it needs
 * CAP_SYS_RESOURCE, which the runtime has and writes it with: the policy
 * is what stops a client from asking.  0..1000 only make the container a
 * likelier victim, which harms nobody else.
 *
 * The one exception is the runtime's own score (p->oom_score_adj_floor):
 * a container as shielded as the process that starts it is what the
 * kernel gives any child without CAP_SYS_RESOURCE.  Under containerd
 * (itself at -999) that is the CRI's pause container at -998 and
 * kubelet's Guaranteed pods at -997; under `kapsel run` or Docker's
 * default, 0. */
static int b_oom(json_object *s, const struct kpolicy *p, char *ev, size_t n)
{
	json_object *adj = get(get(s, "process"), "oomScoreAdj");
	/* the spec parser takes -500.0 for -500: read a double as one too */
	if (!adj || (!json_object_is_type(adj, json_type_int) && !json_object_is_type(adj, json_type_double)))
		return 0;
	double v = json_object_get_double(adj);
	int floor = p->oom_score_adj_floor < 0 ? p->oom_score_adj_floor : 0;
	if (!(v < floor))
		return 0;
	int w = snprintf(ev, n, "process.oomScoreAdj is %.0f: the OOM killer would %s", v,
			 v <= -1000 ? "never kill the container, and kill host processes instead"
				    : "kill host processes before the container");
	if (floor < 0 && w > 0 && (size_t)w < n)
		snprintf(ev + w, n - (size_t)w, " (the runtime's own is %d)", floor);
	return 1;
}

/* ---- the image's scan verdict ---- */

/* kapsel run/create hands the verdict of `kapsel scan` over as
 * annotations (io.kapsel.* is never copied from an image's labels).  A
 * bundle without them (made by another engine) has no verdict: the rule
 * does not apply.  A worst value that is no severity fails closed. */
static int s_verdict(json_object *s, const struct kpolicy *p, char *ev, size_t n)
{
	if (p->scan_refuse_on < 0)
		return 0;
	json_object *ann = get(s, "annotations");
	const char *worst = str(get(ann, KPOL_ANN_SCAN_WORST));
	if (!worst)
		return 0;
	if (!strcmp(worst, "none"))
		return 0;
	int sev = kpol_severity_from_name(worst);
	if (sev < 0) {
		snprintf(ev, n, "%s is \"%.40s\": not none or a severity", KPOL_ANN_SCAN_WORST, worst);
		return 1;
	}
	if (sev < p->scan_refuse_on)
		return 0;
	const char *what = str(get(ann, KPOL_ANN_SCAN_FINDINGS));
	const char *count = str(get(ann, KPOL_ANN_SCAN_ACTIONABLE));
	snprintf(ev, n, "the image's worst fixable finding is %s ([scan] refuse_on = %s): %.160s%s%s%s", worst,
		 kpol_severity_to_name(p->scan_refuse_on), what && *what ? what : "(no finding named)",
		 count ? " (" : "", count ? count : "", count ? " actionable)" : "");
	return 1;
}

static const struct kpol_rule rules[] = {
	{ "B1", "capabilities", KPOL_BASELINE, "No capabilities beyond the default set", "5.3",
	  "drop them: docker/podman --cap-drop, Kubernetes securityContext.capabilities", b_caps, b_caps_fix },
	{ "B2", "host-pid", KPOL_BASELINE, "The host's PID namespace is not shared", "5.15",
	  "remove --pid host / hostPID: true", b_pid, NULL },
	{ "B3", "host-ipc", KPOL_BASELINE, "The host's IPC namespace is not shared", "5.16",
	  "remove --ipc host / hostIPC: true", b_ipc, NULL },
	{ "B4", "host-network", KPOL_BASELINE, "The host's network namespace is not shared", "5.9",
	  "remove --net host / hostNetwork: true", b_net, NULL },
	{ "B5", "host-uts", KPOL_BASELINE, "The host's UTS namespace is not shared", "5.20",
	  "remove --uts host", b_uts, NULL },
	{ "B6", "host-user", KPOL_BASELINE, "The host's user namespace is not joined", "5.31",
	  "remove --userns host / the user namespace path", b_user, NULL },
	{ "B7", "host-cgroup", KPOL_BASELINE, "The host's cgroup namespace is not shared with a writable cgroupfs", "5.30",
	  "use --cgroupns private, or mount /sys/fs/cgroup read-only", b_cgroup, b_cgroup_fix, 1 },
	{ "B8", "sensitive-mount", KPOL_BASELINE, "No sensitive host path or engine socket is mounted (bind or overlay)", "5.5, 5.32",
	  "remove the -v/--mount of that path / the hostPath volume", b_mounts, NULL },
	{ "B9", "host-devices", KPOL_BASELINE, "No host devices beyond the default set", "5.17",
	  "remove --device / --device-cgroup-rule / --privileged", b_devices, NULL },
	{ "B10", "no-seccomp", KPOL_BASELINE, "A seccomp filter is applied", "5.21",
	  "remove --security-opt seccomp=unconfined / set seccompProfile RuntimeDefault", b_seccomp, b_seccomp_fix, 1 },
	{ "B11", "unmasked-proc", KPOL_BASELINE, "/proc is masked and /proc/sys read-only, and no procfs is mounted elsewhere", "5.4",
	  "remove --privileged / --security-opt systempaths=unconfined / procMount: Unmasked / a proc mount outside /proc",
	  b_proc, b_proc_fix, 1 },
	{ "B12", "unsafe-sysctl", KPOL_BASELINE, "Only namespaced, safe sysctls are set", "",
	  "remove the --sysctl / securityContext.sysctls outside the safe set", b_sysctl, NULL },
	{ "B13", "shared-propagation", KPOL_BASELINE, "No mount propagates back to the host", "5.19",
	  "use rslave or rprivate instead of shared/rshared bind propagation", b_propagation, NULL },
	{ "B14", "host-mount", KPOL_BASELINE, "The container has a mount namespace of its own", "",
	  "add {\"type\": \"mount\"} without a path to linux.namespaces (every engine does)", b_mnt, NULL },
	{ "B15", "writable-sysfs", KPOL_BASELINE, "sysfs is mounted read-only", "5.4",
	  "remove --privileged / mount sysfs with \"ro\"", b_sysfs, b_sysfs_fix, 1 },
	{ "B16", "apparmor", KPOL_BASELINE, "The process is confined by AppArmor where the host has it", "5.1",
	  "remove --security-opt apparmor=unconfined / appArmorProfile type Unconfined: name a profile, or leave it "
	  "to kapsel-default", NULL, b_apparmor_fix, 1, b_apparmor },
	{ "B17", "oom-score-adj", KPOL_BASELINE, "The process is not shielded from the OOM killer", "",
	  "remove --oom-score-adj below 0 / a negative process.oomScoreAdj (0 to 1000 is allowed, and down to "
	  "the runtime's own oom_score_adj)",
	  NULL, NULL, 0, b_oom },
	{ "R1", "run-as-root", KPOL_RESTRICTED, "The process does not run as root on the host", "4.1, 5.31",
	  "--user UID, USER in the Dockerfile, runAsNonRoot: true, or a user namespace (userns-remap)", r_root, r_root_fix },
	{ "R2", "minimal-capabilities", KPOL_RESTRICTED, "Capabilities are limited to NET_BIND_SERVICE", "5.3",
	  "--cap-drop ALL --cap-add NET_BIND_SERVICE / capabilities.drop: [ALL]", r_caps, r_caps_fix },
	{ "R3", "no-new-privileges", KPOL_RESTRICTED, "no_new_privs is set", "5.25",
	  "--security-opt no-new-privileges / allowPrivilegeEscalation: false", r_nnp, r_nnp_fix },
	{ "R4", "seccomp-default-deny", KPOL_RESTRICTED, "The seccomp filter denies by default", "5.21",
	  "use the engine's default profile or one whose defaultAction denies", r_seccomp, seccomp_fix },
	{ "R5", "writable-rootfs", KPOL_RESTRICTED, "The root filesystem is read-only", "5.12",
	  "--read-only with --tmpfs /tmp / readOnlyRootFilesystem: true", r_rootfs, r_rootfs_fix },
	{ "R6", "memory-limit", KPOL_RESTRICTED, "Memory is limited, with no extra swap", "5.10",
	  "--memory M --memory-swap M / resources.limits.memory", r_memory, r_memory_fix },
	{ "R7", "pids-limit", KPOL_RESTRICTED, "The number of processes is limited", "5.28",
	  "--pids-limit N / the kubelet's podPidsLimit", r_pids, r_pids_fix },
	{ "R8", "cpu-limit", KPOL_RESTRICTED, "CPU time is limited", "5.11",
	  "--cpus N / resources.limits.cpu", r_cpu, r_cpu_fix },
	{ "R9", "ulimits", KPOL_RESTRICTED, "Open files and processes have rlimits", "",
	  "--ulimit nofile=N:N --ulimit nproc=N:N", r_ulimits, r_ulimits_fix },
	{ "R10", "mount-options", KPOL_RESTRICTED, "Every mount is nosuid and nodev, every tmpfs noexec", "5.13",
	  "mount with nosuid,nodev (tmpfs also noexec): --tmpfs /tmp:rw,noexec,nosuid,nodev", r_mountopts, r_mountopts_fix },
	{ "S1", "scan-verdict", KPOL_BASELINE, "The image has no fixable vulnerability at the policy's [scan] refuse_on",
	  "", "update the packages the finding names (kapsel scan IMAGE lists the fixes), or raise [scan] refuse_on",
	  NULL, NULL, 0, s_verdict },
};

const struct kpol_rule *kpol_rules(size_t *n)
{
	*n = sizeof(rules) / sizeof(rules[0]);
	return rules;
}

int kpol_rule_check(const struct kpol_rule *r, const struct kpolicy *p, json_object *spec, char *evidence, size_t n)
{
	return r->check_host ? r->check_host(spec, p, evidence, n) : r->check(spec, evidence, n);
}

const struct kpol_rule *kpol_rule_find(const char *id)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (!strcmp(rules[i].id, id) || !strcmp(rules[i].slug, id))
			return &rules[i];
	return NULL;
}
