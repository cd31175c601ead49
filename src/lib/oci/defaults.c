#include "defaults.h"

#include "common/json.h"
#include "oci/seccomp_default.h"

#include <stdio.h>

static json_object *mount(const char *dest, const char *type, const char *src, const char *const *opts)
{
	json_object *m = json_object_new_object();
	json_object_object_add(m, "destination", json_object_new_string(dest));
	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_object_add(m, "source", json_object_new_string(src));
	json_object_object_add(m, "options", kj_new_strv(opts));
	return m;
}

static json_object *rlimit(const char *type, uint64_t soft, uint64_t hard)
{
	json_object *r = json_object_new_object();
	json_object_object_add(r, "type", json_object_new_string(type));
	json_object_object_add(r, "hard", json_object_new_uint64(hard));
	json_object_object_add(r, "soft", json_object_new_uint64(soft));
	return r;
}

static json_object *idmap(uint32_t cid, uint32_t hid, uint32_t size)
{
	json_object *m = json_object_new_object();
	json_object_object_add(m, "containerID", json_object_new_int64(cid));
	json_object_object_add(m, "hostID", json_object_new_int64(hid));
	json_object_object_add(m, "size", json_object_new_int64(size));
	return m;
}

json_object *oci_default_spec(const struct oci_default_opts *o)
{
	static const char *const def_args[] = { "sh", NULL };
	static const char *const env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL };
	static const char *const caps[] = { "CAP_NET_BIND_SERVICE", NULL };
	static const char *const none[] = { NULL };
	json_object *s = json_object_new_object();

	json_object_object_add(s, "ociVersion", json_object_new_string("1.2.0"));

	json_object *p = json_object_new_object();
	json_object_object_add(p, "terminal", json_object_new_boolean(0));
	json_object *user = json_object_new_object();
	/* non-root by default; rootless maps the caller to root in a user ns */
	json_object_object_add(user, "uid", json_object_new_int(o->rootless ? 0 : 65534));
	json_object_object_add(user, "gid", json_object_new_int(o->rootless ? 0 : 65534));
	json_object_object_add(p, "user", user);
	json_object_object_add(p, "args", kj_new_strv(o->args ? o->args : def_args));
	json_object_object_add(p, "env", kj_new_strv(env));
	json_object_object_add(p, "cwd", json_object_new_string("/"));
	json_object *c = json_object_new_object();
	json_object_object_add(c, "bounding", kj_new_strv(caps));
	json_object_object_add(c, "effective", kj_new_strv(caps));
	json_object_object_add(c, "permitted", kj_new_strv(caps));
	json_object_object_add(c, "inheritable", kj_new_strv(none));
	json_object_object_add(c, "ambient", kj_new_strv(none));
	json_object_object_add(p, "capabilities", c);
	json_object *rl = json_object_new_array();
	json_object_array_add(rl, rlimit("RLIMIT_NOFILE", 1024, 1024));
	json_object_array_add(rl, rlimit("RLIMIT_NPROC", 512, 512));
	json_object_array_add(rl, rlimit("RLIMIT_CORE", 0, 0));
	json_object_object_add(p, "rlimits", rl);
	json_object_object_add(p, "noNewPrivileges", json_object_new_boolean(1));
	json_object_object_add(s, "process", p);

	json_object *root = json_object_new_object();
	json_object_object_add(root, "path", json_object_new_string("rootfs"));
	json_object_object_add(root, "readonly", json_object_new_boolean(1));
	json_object_object_add(s, "root", root);
	json_object_object_add(s, "hostname", json_object_new_string("kapsel"));

	json_object *ms = json_object_new_array();
	static const char *const proc_o[] = { "nosuid", "noexec", "nodev", NULL };
	static const char *const dev_o[] = { "nosuid", "noexec", "strictatime", "mode=755", "size=65536k", NULL };
	static const char *const pts_o[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL };
	static const char *const pts_o_gid[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
	static const char *const shm_o[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
	static const char *const mq_o[] = { "nosuid", "noexec", "nodev", NULL };
	static const char *const sys_o[] = { "nosuid", "noexec", "nodev", "ro", NULL };
	static const char *const cg_o[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
	static const char *const tmp_o[] = { "nosuid", "nodev", "noexec", "mode=1777", "size=65536k", NULL };
	static const char *const run_o[] = { "nosuid", "nodev", "noexec", "mode=755", "size=16384k", NULL };
	json_object_array_add(ms, mount("/proc", "proc", "proc", proc_o));
	json_object_array_add(ms, mount("/dev", "tmpfs", "tmpfs", dev_o));
	json_object_array_add(ms, mount("/dev/pts", "devpts", "devpts", o->rootless ? pts_o : pts_o_gid));
	json_object_array_add(ms, mount("/dev/shm", "tmpfs", "shm", shm_o));
	json_object_array_add(ms, mount("/dev/mqueue", "mqueue", "mqueue", mq_o));
	json_object_array_add(ms, mount("/sys", "sysfs", "sysfs", sys_o));
	json_object_array_add(ms, mount("/sys/fs/cgroup", "cgroup", "cgroup", cg_o));
	json_object_array_add(ms, mount("/tmp", "tmpfs", "tmpfs", tmp_o));
	json_object_array_add(ms, mount("/run", "tmpfs", "tmpfs", run_o));
	json_object_object_add(s, "mounts", ms);

	json_object *lx = json_object_new_object();
	json_object *ns = json_object_new_array();
	static const char *const nss[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", NULL };
	for (const char *const *n = nss; *n; n++) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "type", json_object_new_string(*n));
		json_object_array_add(ns, e);
	}
	if (o->rootless) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "type", json_object_new_string("user"));
		json_object_array_add(ns, e);
		json_object *um = json_object_new_array(), *gm = json_object_new_array();
		json_object_array_add(um, idmap(0, o->host_uid, 1));
		json_object_array_add(gm, idmap(0, o->host_gid, 1));
		json_object_object_add(lx, "uidMappings", um);
		json_object_object_add(lx, "gidMappings", gm);
	}
	json_object_object_add(lx, "namespaces", ns);

	json_object *res = json_object_new_object();
	json_object *mem = json_object_new_object();
	json_object_object_add(mem, "limit", json_object_new_int64(256LL << 20));
	json_object_object_add(mem, "swap", json_object_new_int64(256LL << 20));
	json_object_object_add(res, "memory", mem);
	json_object *pids = json_object_new_object();
	json_object_object_add(pids, "limit", json_object_new_int64(512));
	json_object_object_add(res, "pids", pids);
	json_object *cpu = json_object_new_object();
	json_object_object_add(cpu, "shares", json_object_new_int64(1024));
	json_object_object_add(cpu, "quota", json_object_new_int64(100000));
	json_object_object_add(cpu, "period", json_object_new_int64(100000));
	json_object_object_add(res, "cpu", cpu);
	json_object *devs = json_object_new_array();
	json_object *deny = json_object_new_object();
	json_object_object_add(deny, "allow", json_object_new_boolean(0));
	json_object_object_add(deny, "access", json_object_new_string("rwm"));
	json_object_array_add(devs, deny);
	json_object_object_add(res, "devices", devs);
	json_object_object_add(lx, "resources", res);

	json_object *sc = kseccomp_default_profile();
	if (sc)
		json_object_object_add(lx, "seccomp", sc);

	static const char *const masked[] = {
		"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		"/sys/firmware", "/sys/devices/virtual/powercap", NULL };
	static const char *const ro[] = {
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL };
	json_object_object_add(lx, "maskedPaths", kj_new_strv(masked));
	json_object_object_add(lx, "readonlyPaths", kj_new_strv(ro));
	json_object_object_add(s, "linux", lx);
	return s;
}
