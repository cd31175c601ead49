/* CIS section 5: the container runtime configuration of every container
 * (running or stopped) and of every OCI bundle given, from the normalised
 * model in containers.c. */
#include "internal.h"

#include "common/cleanup.h"
#include "linux/lsm.h"
#include "linux/procfs.h"
#include "vocab/caps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Loads the containers; 0 when there is nothing to look at (result set). */
static int begin(struct audit_ctx *ctx, struct audit_result *r)
{
	audit_ctx_containers(ctx);
	if (!ctx->api_ok && !ctx->o->oci_bundles) {
		audit_res_skip(r, "needs the Docker daemon: %s", ctx->api_error ? ctx->api_error : "no daemon");
		return 0;
	}
	if (!ctx->nconts) {
		audit_res_set(r, AUDIT_PASS, "no containers");
		return 0;
	}
	return 1;
}

#define EACH(c) for (const struct kcont *c = ctx->conts; c < ctx->conts + ctx->nconts; c++)

/* 5.1 */
static void c_swarm(struct audit_ctx *ctx, struct audit_result *r)
{
	const char *st = audit_ctx_swarm_state(ctx);
	if (st && !strcmp(st, "active"))
		audit_ev_add(r, AUDIT_WARN, "daemon", "/info", 0, "swarm mode is active: disable it if this node needs no swarm");
	else
		audit_ev_add(r, AUDIT_PASS, "daemon", "/info", 0, "swarm mode is %s", st && *st ? st : "off");
}

/* 5.2 */
static void c_apparmor(struct audit_ctx *ctx, struct audit_result *r)
{
	char lsm[256];
	int aa, se;
	audit_lsm_state(lsm, sizeof(lsm), &aa, &se);
	if (!begin(ctx, r))
		return;
	if (!aa) {
		audit_res_set(r, AUDIT_INFO, "AppArmor is not enabled on this host (see K1.7)");
		return;
	}
	kerr e = { 0 };
	_cleanup_close_ int procfd = kprocfs_open(&e);
	EACH(c) {
		/* a running container: what the kernel says of its init, the
		 * source the runtime writes to (linux/lsm.h) */
		char live[128] = "";
		if (c->running && c->pid > 0 && procfd >= 0 && klsm_apparmor_current(procfd, c->pid, live, sizeof(live), &e) < 0)
			live[0] = '\0';
		if (*live && !strncmp(live, "unconfined", 10))
			audit_ev_cont(r, c, AUDIT_WARN, "pid %d runs unconfined (the kernel's attr/current)%s%s", (int)c->pid,
				      *c->apparmor ? "; the config names " : "", c->apparmor);
		else if (*live)
			audit_ev_cont(r, c, AUDIT_PASS, "AppArmor profile %s (the kernel's attr/current of pid %d)", live,
				      (int)c->pid);
		else if (!*c->apparmor || !strcmp(c->apparmor, "unconfined"))
			audit_ev_cont(r, c, AUDIT_WARN, "no AppArmor profile (%s)", *c->apparmor ? c->apparmor : "none");
		else
			audit_ev_cont(r, c, AUDIT_PASS, "AppArmor profile %s", c->apparmor);
	}
}

/* 5.3 */
static void c_selinux(struct audit_ctx *ctx, struct audit_result *r)
{
	char lsm[256];
	int aa, se;
	audit_lsm_state(lsm, sizeof(lsm), &aa, &se);
	if (!begin(ctx, r))
		return;
	if (se != 1) {
		audit_res_set(r, AUDIT_INFO, "SELinux is not enforcing on this host (see K1.7)");
		return;
	}
	EACH(c) {
		if (!*c->selinux)
			audit_ev_cont(r, c, AUDIT_WARN, "no SELinux label options");
		else
			audit_ev_cont(r, c, AUDIT_PASS, "SELinux options %s", c->selinux);
	}
}

static void caps_list(uint64_t m, char *buf, size_t n)
{
	buf[0] = '\0';
	for (int i = 0; i < 64; i++)
		if (m & (1ull << i)) {
			size_t l = strlen(buf);
			snprintf(buf + l, n - l, "%s%s", l ? "," : "", kcap_short_name(i) ? kcap_short_name(i) : "?");
		}
}

/* 5.4 */
static void c_caps(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	uint64_t def = audit_docker_default_caps();
	EACH(c) {
		char list[1024];
		if (c->privileged) {
			audit_ev_cont(r, c, AUDIT_WARN, "privileged: every capability");
			continue;
		}
		uint64_t extra = c->caps & ~def;
		if (extra) {
			caps_list(extra, list, sizeof(list));
			audit_ev_cont(r, c, AUDIT_WARN, "capabilities beyond the default set: %s", list);
		} else {
			caps_list(c->caps, list, sizeof(list));
			audit_ev_cont(r, c, AUDIT_PASS, "capabilities: %s", *list ? list : "none");
		}
	}
}

/* 5.5 */
static void c_privileged(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		if (c->privileged)
			audit_ev_cont(r, c, AUDIT_WARN, "privileged container");
		else
			audit_ev_cont(r, c, AUDIT_PASS, "not privileged");
	}
}

static const char *sensitive(const char *src)
{
	static const char *const dirs[] = { "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sys", "/usr",
					    "/bin", "/sbin", "/root", "/var/lib/docker", "/run/containerd" };
	if (!strcmp(src, "/"))
		return "/";
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		size_t n = strlen(dirs[i]);
		if (!strncmp(src, dirs[i], n) && (src[n] == '\0' || src[n] == '/'))
			return dirs[i];
	}
	return NULL;
}

/* 5.6 */
static void c_sensitive(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		int bad = 0;
		for (size_t i = 0; i < c->nmounts; i++) {
			const struct kmount *m = &c->mounts[i];
			if (strcmp(m->type, "bind") || !sensitive(m->src))
				continue;
			audit_ev_cont(r, c, AUDIT_WARN, "host %s mounted at %s (%s)", m->src, m->dst, m->rw ? "read-write" : "read-only");
			bad = 1;
		}
		if (!bad)
			audit_ev_cont(r, c, AUDIT_PASS, "no sensitive host directory mounted");
	}
}

/* 5.7: processes named sshd in the container's mount namespace (from the
 * host's /proc), or sshd in the command of a stopped container */
static void c_sshd(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	audit_ctx_host(ctx);
	EACH(c) {
		const char *procs = c->running ? audit_host_procs_of(&ctx->host, c->pid) : NULL;
		int in_cmd = 0;
		for (size_t i = 0; c->cmd && c->cmd[i]; i++)
			in_cmd |= !strcmp(c->cmd[i], "sshd") || kstr_ends(c->cmd[i], "/sshd");
		if (procs && strstr(procs, "\nsshd\n"))
			audit_ev_cont(r, c, AUDIT_WARN, "sshd is running in the container");
		else if (in_cmd)
			audit_ev_cont(r, c, AUDIT_WARN, "the container's command starts sshd");
		else
			audit_ev_cont(r, c, AUDIT_PASS, c->running ? "no sshd process" : "no sshd in the command (not running)");
	}
}

/* 5.8 */
static void c_priv_ports(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		if (!c->ports_known)
			continue;
		int bad = 0;
		for (size_t i = 0; i < c->nports; i++)
			if (c->ports[i].host_port > 0 && c->ports[i].host_port < 1024) {
				audit_ev_cont(r, c, AUDIT_WARN, "privileged host port %d mapped to %s", c->ports[i].host_port, c->ports[i].cport);
				bad = 1;
			}
		if (!bad)
			audit_ev_cont(r, c, AUDIT_PASS, "no privileged host port");
	}
}

/* 5.9 */
static void c_ports(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		for (size_t i = 0; c->ports_known && i < c->nports; i++)
			audit_ev_cont(r, c, AUDIT_INFO, "port %s published on %s:%d", c->ports[i].cport,
				*c->ports[i].host_ip ? c->ports[i].host_ip : "*", c->ports[i].host_port);
	}
}

#define NS_CHECK(fn, field, what) \
	static void fn(struct audit_ctx *ctx, struct audit_result *r) \
	{ \
		if (!begin(ctx, r)) \
			return; \
		EACH(c) { \
			if (c->field) \
				audit_ev_cont(r, c, AUDIT_WARN, "shares the host's " what " namespace"); \
			else \
				audit_ev_cont(r, c, AUDIT_PASS, "own " what " namespace"); \
		} \
	}
NS_CHECK(c_net_host, net_host, "network")
NS_CHECK(c_pid_host, pid_host, "process")
NS_CHECK(c_ipc_host, ipc_host, "IPC")
NS_CHECK(c_uts_host, uts_host, "UTS")
NS_CHECK(c_userns_host, userns_host, "user")

/* 5.11 */
static void c_memory(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		if (c->memory <= 0)
			audit_ev_cont(r, c, AUDIT_WARN, "no memory limit");
		else
			audit_ev_cont(r, c, AUDIT_PASS, "memory limit %lld bytes", (long long)c->memory);
	}
}

/* 5.12 */
static void c_cpu(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		if (!c->cpu_limited)
			audit_ev_cont(r, c, AUDIT_WARN, "no CPU shares or limit (%s)", c->cpu_desc);
		else
			audit_ev_cont(r, c, AUDIT_PASS, "CPU: %s", c->cpu_desc);
	}
}

/* 5.13 */
static void c_readonly(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		if (!c->readonly_root)
			audit_ev_cont(r, c, AUDIT_WARN, "root filesystem is writable");
		else
			audit_ev_cont(r, c, AUDIT_PASS, "root filesystem is read-only");
	}
}

static int wildcard(const char *ip)
{
	return !*ip || !strcmp(ip, "0.0.0.0") || !strcmp(ip, "::") || !strcmp(ip, "[::]") || !strcmp(ip, "0:0:0:0:0:0:0:0");
}

/* 5.14 */
static void c_bind_iface(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		if (!c->ports_known)
			continue;
		int bad = 0;
		for (size_t i = 0; i < c->nports; i++)
			if (wildcard(c->ports[i].host_ip)) {
				audit_ev_cont(r, c, AUDIT_WARN, "%s published on every interface (%s:%d)", c->ports[i].cport,
					*c->ports[i].host_ip ? c->ports[i].host_ip : "\"\"", c->ports[i].host_port);
				bad = 1;
			}
		if (!bad)
			audit_ev_cont(r, c, AUDIT_PASS, c->nports ? "ports bound to specific addresses" : "no published ports");
	}
}

/* 5.15 */
static void c_restart(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		if (!c->restart_known)
			continue;
		const char *n = c->restart_name;
		if (!strcmp(n, "always") || !strcmp(n, "unless-stopped"))
			audit_ev_cont(r, c, AUDIT_WARN, "restart policy %s: restarts without end", n);
		else if (!strcmp(n, "on-failure") && (c->restart_max <= 0 || c->restart_max > 5))
			audit_ev_cont(r, c, AUDIT_WARN, "restart policy on-failure with %s retries", c->restart_max <= 0 ? "unlimited" : "more than 5");
		else
			audit_ev_cont(r, c, AUDIT_PASS, "restart policy %s%s", *n ? n : "no",
				!strcmp(n, "on-failure") ? (c->restart_max <= 5 ? " (at most 5)" : "") : "");
	}
}

/* 5.18 */
static void c_devices(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		if (c->privileged) {
			audit_ev_cont(r, c, AUDIT_WARN, "privileged: every host device");
			continue;
		}
		for (size_t i = 0; c->devices && c->devices[i]; i++)
			audit_ev_cont(r, c, AUDIT_WARN, "host device %s", c->devices[i]);
		if (!c->devices || !c->devices[0])
			audit_ev_cont(r, c, AUDIT_PASS, "no host devices");
	}
}

/* 5.19 */
static void c_ulimits(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		if (!c->ulimits_known)
			continue;
		if (c->has_ulimits)
			audit_ev_cont(r, c, AUDIT_PASS, "ulimits set");
		else
			audit_ev_cont(r, c, AUDIT_INFO, "no ulimit override: the daemon's defaults apply");
	}
}

/* 5.20 */
static void c_propagation(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		int bad = 0;
		for (size_t i = 0; i < c->nmounts; i++)
			if (strstr(c->mounts[i].propagation, "shared") && !strstr(c->mounts[i].propagation, "slave")) {
				audit_ev_cont(r, c, AUDIT_WARN, "mount %s has %s propagation", c->mounts[i].dst, c->mounts[i].propagation);
				bad = 1;
			}
		if (!bad)
			audit_ev_cont(r, c, AUDIT_PASS, "no shared mount propagation");
	}
}

/* 5.22 */
static void c_seccomp(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		if (c->seccomp_unconfined)
			audit_ev_cont(r, c, AUDIT_WARN, "no seccomp filter (%s)", c->seccomp_desc);
		else
			audit_ev_cont(r, c, AUDIT_PASS, "seccomp: %s", c->seccomp_desc);
	}
}

static const struct kcont *cont_by_id(struct audit_ctx *ctx, const char *id)
{
	for (size_t i = 0; id && i < ctx->ndocker; i++)
		if (!strcmp(ctx->conts[i].id, id))
			return &ctx->conts[i];
	return NULL;
}

/* 5.23 / 5.24: exec instances the daemon still knows */
static void execs(struct audit_ctx *ctx, struct audit_result *r, int root_check)
{
	if (!begin(ctx, r))
		return;
	size_t n = 0;
	if (!ctx->exec_info) {
		audit_res_skip(r, "the daemon's exec instances are unknown");
		return;
	}
	json_object_object_foreach(ctx->exec_info, id, ex) {
		n++;
		const struct kcont *c = cont_by_id(ctx, kj_get_str(ex, "ContainerID"));
		json_object *pc = kj_get(ex, "ProcessConfig");
		const char *user = kj_get_str(pc, "user");
		if (!c)
			continue;
		if (!root_check) {
			if (kj_get_bool(pc, "privileged") || kj_get_bool(ex, "Privileged"))
				audit_ev_cont(r, c, AUDIT_WARN, "exec %.12s runs privileged", id);
		} else {
			const char *eff = user && *user ? user : c->user;
			if (audit_user_is_root(eff))
				audit_ev_cont(r, c, AUDIT_WARN, "exec %.12s runs as root (user \"%s\")", id, eff);
		}
	}
	if (!r->nev)
		audit_res_set(r, AUDIT_PASS, "%zu exec instances known to the daemon, none %s; older ones are only in the audit log", n,
			root_check ? "as root" : "privileged");
}

static void c_exec_priv(struct audit_ctx *ctx, struct audit_result *r) { execs(ctx, r, 0); }
static void c_exec_root(struct audit_ctx *ctx, struct audit_result *r) { execs(ctx, r, 1); }

/* 5.25 */
static void c_cgroup(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		if (*c->cgroup_parent)
			audit_ev_cont(r, c, AUDIT_INFO, "cgroup parent %s: confirm it is intended", c->cgroup_parent);
		else
			audit_ev_cont(r, c, AUDIT_PASS, "default cgroup parent");
	}
}

/* 5.26 */
static void c_nnp(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	struct dsetting s;
	audit_ctx_daemon(ctx);
	int daemon_nnp = audit_dcfg_bool(&ctx->daemon, "no-new-privileges", "no-new-privileges", 0, &s);
	EACH(c) {
		int docker = !strcmp(c->source, "docker");
		if (c->nnp)
			audit_ev_cont(r, c, AUDIT_PASS, "no-new-privileges set");
		else if (docker && daemon_nnp)
			audit_ev_cont(r, c, AUDIT_PASS, "no-new-privileges from the daemon (%s)", s.source);
		else
			audit_ev_cont(r, c, AUDIT_WARN, "may gain privileges (no-new-privileges not set)");
	}
}

/* 5.27 */
static void c_health(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		if (!c->health_known)
			continue;
		if (c->has_health)
			audit_ev_cont(r, c, AUDIT_PASS, "health check set");
		else
			audit_ev_cont(r, c, AUDIT_WARN, "no health check");
	}
}

/* 5.29 */
static void c_pids(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		if (c->pids_limit <= 0)
			audit_ev_cont(r, c, AUDIT_WARN, "no PIDs limit");
		else
			audit_ev_cont(r, c, AUDIT_PASS, "PIDs limit %lld", (long long)c->pids_limit);
	}
}

/* 5.30 */
static void c_docker0(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	EACH(c) {
		if (kstrv_contains(c->networks, "bridge"))
			audit_ev_cont(r, c, AUDIT_INFO, "on the default bridge network (docker0)");
	}
	if (!r->nev)
		audit_res_set(r, AUDIT_PASS, "no container on the default bridge");
}

/* 5.32 */
static void c_docker_sock(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!begin(ctx, r))
		return;
	_cleanup_strv_ char **socks = audit_eff_docker_sockets(ctx);
	_cleanup_strv_ char **csocks = audit_eff_containerd_sockets(ctx);
	EACH(c) {
		int bad = 0;
		for (size_t i = 0; i < c->nmounts; i++) {
			const struct kmount *m = &c->mounts[i];
			int hit = kstr_ends(m->src, "/docker.sock") || kstr_ends(m->src, "/containerd.sock") ||
				  kstrv_contains(socks, m->src) || kstrv_contains(csocks, m->src) ||
				  kstr_ends(m->dst, "/docker.sock");
			if (hit) {
				audit_ev_cont(r, c, AUDIT_WARN, "%s mounted at %s: the container controls the engine (root on the host)", m->src, m->dst);
				bad = 1;
			}
		}
		if (!bad)
			audit_ev_cont(r, c, AUDIT_PASS, "no engine socket mounted");
	}
}

const struct audit_check audit_checks_runtime[] = {
	{ "5.1", "Ensure swarm mode is not Enabled, if not needed", 1, 0, AUDIT_SEV_LOW, AUDIT_NEED_API,
	  "docker swarm leave, on nodes that need no swarm.", c_swarm },
	{ "5.2", "Ensure that, if applicable, an AppArmor Profile is enabled", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Run with --security-opt apparmor=PROFILE (docker-default at least).", c_apparmor },
	{ "5.3", "Ensure that, if applicable, SELinux security options are set", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Run with --security-opt label=... on SELinux hosts (and the daemon with --selinux-enabled).", c_selinux },
	{ "5.4", "Ensure that Linux kernel capabilities are restricted within containers", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Run with --cap-drop=ALL and add back only what the program needs.", c_caps },
	{ "5.5", "Ensure that privileged containers are not used", 1, 0, AUDIT_SEV_CRITICAL, 0,
	  "Do not use --privileged; grant single capabilities or devices instead.", c_privileged },
	{ "5.6", "Ensure sensitive host system directories are not mounted on containers", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Do not bind-mount /, /boot, /dev, /etc, /lib, /proc, /sys, /usr and the like into containers.", c_sensitive },
	{ "5.7", "Ensure sshd is not run within containers", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Remove sshd from the image; use docker exec for interactive access.", c_sshd },
	{ "5.8", "Ensure privileged ports are not mapped within containers", 1, 0, AUDIT_SEV_LOW, 0,
	  "Publish on host ports 1024 and above, or put a proxy in front.", c_priv_ports },
	{ "5.9", "Ensure that only needed ports are open on the container", 0, 1, AUDIT_SEV_LOW, 0,
	  "Publish only the ports the service needs (no -P).", c_ports },
	{ "5.10", "Ensure that the host's network namespace is not shared", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Do not use --network=host.", c_net_host },
	{ "5.11", "Ensure that the memory usage for containers is limited", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Run with --memory (and --memory-swap).", c_memory },
	{ "5.12", "Ensure that CPU priority is set appropriately on containers", 1, 0, AUDIT_SEV_LOW, 0,
	  "Run with --cpu-shares, --cpus or --cpuset-cpus.", c_cpu },
	{ "5.13", "Ensure that the container's root filesystem is mounted as read only", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Run with --read-only and tmpfs or volumes for the paths that must be written.", c_readonly },
	{ "5.14", "Ensure that incoming container traffic is bound to a specific host interface", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Publish as -p IP:HOSTPORT:PORT with a specific address, not 0.0.0.0 or ::.", c_bind_iface },
	{ "5.15", "Ensure that the 'on-failure' container restart policy is set to '5'", 1, 0, AUDIT_SEV_LOW, 0,
	  "Run with --restart=on-failure:5.", c_restart },
	{ "5.16", "Ensure that the host's process namespace is not shared", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Do not use --pid=host.", c_pid_host },
	{ "5.17", "Ensure that the host's IPC namespace is not shared", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Do not use --ipc=host.", c_ipc_host },
	{ "5.18", "Ensure that host devices are not directly exposed to containers", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Do not use --device unless needed; then restrict it (e.g. :r).", c_devices },
	{ "5.19", "Ensure that the default ulimit is overwritten at runtime if needed", 0, 1, AUDIT_SEV_LOW, 0,
	  "Set --ulimit for containers that need other limits than the daemon's.", c_ulimits },
	{ "5.20", "Ensure mount propagation mode is not set to shared", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Do not mount volumes with shared or rshared propagation.", c_propagation },
	{ "5.21", "Ensure that the host's UTS namespace is not shared", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Do not use --uts=host.", c_uts_host },
	{ "5.22", "Ensure the default seccomp profile is not Disabled", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Do not use --security-opt seccomp=unconfined (nor --privileged).", c_seccomp },
	{ "5.23", "Ensure that docker exec commands are not used with the privileged option", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Do not use docker exec --privileged.", c_exec_priv },
	{ "5.24", "Ensure that docker exec commands are not used with the user=root option", 0, 1, AUDIT_SEV_MEDIUM, 0,
	  "Do not use docker exec --user=root; run containers as non-root.", c_exec_root },
	{ "5.25", "Ensure that cgroup usage is confirmed", 1, 0, AUDIT_SEV_LOW, 0,
	  "Leave --cgroup-parent at its default unless intended.", c_cgroup },
	{ "5.26", "Ensure that the container is restricted from acquiring additional privileges", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Run with --security-opt no-new-privileges (or set it daemon-wide).", c_nnp },
	{ "5.27", "Ensure that container health is checked at runtime", 1, 0, AUDIT_SEV_LOW, 0,
	  "Give the image a HEALTHCHECK or run with --health-cmd.", c_health },
	{ "5.28", "Ensure that Docker commands always make use of the latest version of their image", 0, 1, AUDIT_SEV_LOW, 0,
	  "Pull images by digest and roll out rebuilt images deliberately.", audit_check_manual },
	{ "5.29", "Ensure that the PIDs cgroup limit is used", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Run with --pids-limit.", c_pids },
	{ "5.30", "Ensure that Docker's default bridge 'docker0' is not used", 0, 1, AUDIT_SEV_LOW, 0,
	  "Attach containers to user-defined networks.", c_docker0 },
	{ "5.31", "Ensure that the host's user namespaces are not shared", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Do not use --userns=host; for OCI bundles, add a user namespace.", c_userns_host },
	{ "5.32", "Ensure that the Docker socket is not mounted inside any containers", 1, 0, AUDIT_SEV_CRITICAL, 0,
	  "Never mount docker.sock (or containerd.sock) into a container.", c_docker_sock },
};
const size_t audit_nchecks_runtime = ARRAY_SIZE(audit_checks_runtime);
