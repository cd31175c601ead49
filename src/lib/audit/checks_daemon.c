/* CIS section 2: the Docker daemon's configuration, from its effective
 * command line, the daemon.json it reads and what /info reports. */
#include "internal.h"

#include "common/cleanup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The configuration is known when a dockerd was matched or a daemon.json
 * was read; otherwise the check is a SKIP. */
static const struct daemon_cfg *cfg(struct audit_ctx *ctx, struct audit_result *r)
{
	audit_ctx_info(ctx);
	audit_ctx_daemon(ctx);
	if (!ctx->daemon.found && !ctx->daemon.json && !ctx->api_ok) {
		audit_res_skip(r, "dockerd's configuration is unknown: no dockerd serves %s and no daemon.json was read",
			 ctx->api ? kdocker_socket(ctx->api) : "the audited socket");
		return NULL;
	}
	return &ctx->daemon;
}

static const char *obj(struct audit_ctx *ctx)
{
	return ctx->daemon.found ? "dockerd" : ctx->daemon.json_path ? ctx->daemon.json_path : "dockerd";
}

static int info_secopt(struct audit_ctx *ctx, const char *prefix)
{
	json_object *so = kj_get(ctx->info, "SecurityOptions");
	for (size_t i = 0; so && json_object_is_type(so, json_type_array) && i < json_object_array_length(so); i++)
		if (kstr_starts(kj_str(json_object_array_get_idx(so, i)), prefix))
			return 1;
	return 0;
}

/* 2.1 */
static void c_rootless(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	if (!c)
		return;
	if (info_secopt(ctx, "name=rootless"))
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "the daemon runs rootless");
	else if (c->found)
		audit_ev_add(r, c->uid == 0 ? AUDIT_INFO : AUDIT_PASS, "daemon", obj(ctx), 0, "dockerd (pid %d) runs as uid %u",
		       (int)c->pid, (unsigned)c->uid);
	else
		audit_res_set(r, AUDIT_NOTE, "whether the daemon can run rootless is a decision for its operator");
}

/* 2.2 */
static void c_icc(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	struct dsetting s, b;
	if (!c)
		return;
	if (audit_dcfg_get(c, "bridge", "bridge", &b) && !strcmp(b.value, "none")) {
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "no default bridge (%s=none)", b.source);
		return;
	}
	if (!audit_dcfg_bool(c, "icc", "icc", 1, &s))
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "%s=false", s.source);
	else
		audit_ev_add(r, AUDIT_WARN, "daemon", obj(ctx), 0, "containers on the default bridge can reach each other (%s)",
		       s.value ? s.source : "icc is true by default");
}

/* 2.3 */
static void c_log_level(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	struct dsetting s, d;
	if (!c)
		return;
	if (audit_dcfg_bool(c, "debug", "debug", 0, &d)) {
		audit_ev_add(r, AUDIT_WARN, "daemon", obj(ctx), 0, "debug logging is on (%s)", d.source);
		return;
	}
	if (!audit_dcfg_get(c, "log-level", "log-level", &s))
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "log level is the default, info");
	else if (!strcmp(s.value, "info"))
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "%s=info", s.source);
	else
		audit_ev_add(r, AUDIT_WARN, "daemon", obj(ctx), 0, "%s=%s (want info)", s.source, s.value);
}

/* 2.4 */
static void c_iptables(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	struct dsetting s;
	if (!c)
		return;
	if (audit_dcfg_bool(c, "iptables", "iptables", 1, &s))
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "%s", s.value ? s.source : "iptables is on by default");
	else
		audit_ev_add(r, AUDIT_WARN, "daemon", obj(ctx), 0, "Docker may not change iptables (%s=false)", s.source);
}

/* 2.5 */
static void c_insecure(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	if (!c)
		return;
	_cleanup_strv_ char **v = audit_dcfg_list(c, "insecure-registry", NULL, "insecure-registries");
	for (size_t i = 0; v && v[i]; i++)
		audit_ev_add(r, AUDIT_WARN, "daemon", obj(ctx), 0, "insecure registry %s (configuration)", v[i]);
	json_object *rc = kj_get(ctx->info, "RegistryConfig");
	json_object *cidrs = kj_get(rc, "InsecureRegistryCIDRs");
	for (size_t i = 0; cidrs && json_object_is_type(cidrs, json_type_array) && i < json_object_array_length(cidrs); i++) {
		const char *x = kj_str(json_object_array_get_idx(cidrs, i));
		if (strcmp(x, "127.0.0.0/8") && strcmp(x, "::1/128") && !kstrv_contains(v, x))
			audit_ev_add(r, AUDIT_WARN, "daemon", "/info", 0, "insecure registry range %s (RegistryConfig)", x);
	}
	json_object *idx = kj_get(rc, "IndexConfigs");
	if (idx && json_object_is_type(idx, json_type_object)) {
		json_object_object_foreach(idx, name, ic) {
			json_object *sec = kj_get(ic, "Secure");
			if (sec && !json_object_get_boolean(sec) && !kstrv_contains(v, name))
				audit_ev_add(r, AUDIT_WARN, "daemon", "/info", 0, "insecure registry %s (RegistryConfig)", name);
		}
	}
	if (!r->nev)
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "no insecure registries");
}

/* 2.6 */
static void c_aufs(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	struct dsetting s;
	if (!c)
		return;
	const char *drv = kj_get_str(ctx->info, "Driver");
	const char *src = "/info Driver";
	if (!drv && audit_dcfg_get(c, "storage-driver", "storage-driver", &s)) {
		drv = s.value;
		src = s.source;
	}
	if (!drv)
		audit_res_skip(r, "the storage driver is unknown without the daemon");
	else if (!strcmp(drv, "aufs"))
		audit_ev_add(r, AUDIT_WARN, "daemon", obj(ctx), 0, "storage driver aufs (%s)", src);
	else
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "storage driver %s (%s)", drv, src);
}

/* 2.7 */
static void c_tls(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	struct dsetting s, ca, cert, key;
	if (!c)
		return;
	_cleanup_strv_ char **hosts = audit_dcfg_list(c, "host", NULL, "hosts");
	int tcp = 0;
	for (size_t i = 0; hosts && hosts[i]; i++)
		if (kstr_starts(hosts[i], "tcp://")) {
			tcp = 1;
			int verify = audit_dcfg_bool(c, "tlsverify", "tlsverify", 0, &s);
			int have = audit_dcfg_get(c, "tlscacert", "tlscacert", &ca) + audit_dcfg_get(c, "tlscert", "tlscert", &cert) +
				   audit_dcfg_get(c, "tlskey", "tlskey", &key);
			if (verify && have == 3)
				audit_ev_add(r, AUDIT_PASS, "daemon", hosts[i], 0, "listens on %s with TLS client verification", hosts[i]);
			else
				audit_ev_add(r, AUDIT_WARN, "daemon", hosts[i], 0, "listens on %s without %s", hosts[i],
				       verify ? "a CA, certificate and key" : "--tlsverify: anyone who reaches the port is root");
		}
	if (!tcp)
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "the daemon does not listen on TCP");
}

/* 2.8 */
static void c_default_ulimit(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	if (!c)
		return;
	_cleanup_strv_ char **v = audit_dcfg_list(c, "default-ulimit", NULL, "default-ulimits");
	if (v && v[0])
		for (size_t i = 0; v[i]; i++)
			audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "default ulimit %s", v[i]);
	else
		audit_ev_add(r, AUDIT_INFO, "daemon", obj(ctx), 0, "no default ulimits: containers inherit dockerd's limits");
}

/* 2.9 */
static void c_userns(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	struct dsetting s;
	if (!c)
		return;
	if (audit_dcfg_get(c, "userns-remap", "userns-remap", &s) && *s.value)
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "%s=%s", s.source, s.value);
	else if (info_secopt(ctx, "name=userns"))
		audit_ev_add(r, AUDIT_PASS, "daemon", "/info", 0, "user namespace remapping is on");
	else
		audit_ev_add(r, AUDIT_WARN, "daemon", obj(ctx), 0, "no user namespace remapping: root in a container is root on the host");
}

/* 2.10 */
static void c_cgroup_parent(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	struct dsetting s;
	if (!c)
		return;
	if (audit_dcfg_get(c, "cgroup-parent", "cgroup-parent", &s))
		audit_ev_add(r, AUDIT_INFO, "daemon", obj(ctx), 0, "%s=%s: confirm this is intended", s.source, s.value);
	else
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "default cgroup parent");
}

/* 2.11 */
static void c_basesize(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	if (!c)
		return;
	_cleanup_strv_ char **v = audit_dcfg_list(c, "storage-opt", NULL, "storage-opts");
	for (size_t i = 0; v && v[i]; i++)
		if (kstr_starts(v[i], "dm.basesize"))
			audit_ev_add(r, AUDIT_WARN, "daemon", obj(ctx), 0, "base device size changed: %s", v[i]);
	if (!r->nev)
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "base device size not changed");
}

/* 2.12 */
static void c_authz(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	if (!c)
		return;
	_cleanup_strv_ char **v = audit_dcfg_list(c, "authorization-plugin", NULL, "authorization-plugins");
	json_object *az = kj_get(kj_get(ctx->info, "Plugins"), "Authorization");
	size_t n = az && json_object_is_type(az, json_type_array) ? json_object_array_length(az) : 0;
	if ((v && v[0]) || n)
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "authorization plugin %s",
		       v && v[0] ? v[0] : kj_str(json_object_array_get_idx(az, 0)));
	else
		audit_ev_add(r, AUDIT_WARN, "daemon", obj(ctx), 0, "no authorization plugin: every client of the socket may do everything");
}

/* 2.13 */
static void c_remote_log(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	struct dsetting s;
	if (!c)
		return;
	const char *drv = NULL, *src = "default";
	if (audit_dcfg_get(c, "log-driver", "log-driver", &s)) {
		drv = s.value;
		src = s.source;
	} else if (kj_get_str(ctx->info, "LoggingDriver")) {
		drv = kj_get_str(ctx->info, "LoggingDriver");
		src = "/info LoggingDriver";
	} else {
		drv = "json-file";
	}
	static const char *const remote[] = { "syslog", "journald", "fluentd", "gelf", "awslogs", "splunk",
					      "gcplogs", "logentries", "etwlogs" };
	for (size_t i = 0; i < ARRAY_SIZE(remote); i++)
		if (!strcmp(drv, remote[i])) {
			audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "log driver %s (%s)", drv, src);
			return;
		}
	audit_ev_add(r, AUDIT_WARN, "daemon", obj(ctx), 0, "log driver %s (%s) keeps the logs on this host", drv, src);
}

/* 2.14 */
static void c_nnp(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	struct dsetting s;
	if (!c)
		return;
	if (audit_dcfg_bool(c, "no-new-privileges", "no-new-privileges", 0, &s))
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "%s=true", s.source);
	else
		audit_ev_add(r, AUDIT_WARN, "daemon", obj(ctx), 0, "containers may gain privileges through setuid binaries (no-new-privileges is off)");
}

/* 2.15 */
static void c_live_restore(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	struct dsetting s;
	if (!c)
		return;
	const char *sw = audit_ctx_swarm_state(ctx);
	if (sw && !strcmp(sw, "active")) {
		audit_ev_add(r, AUDIT_INFO, "daemon", obj(ctx), 0, "swarm mode is active: live restore does not apply");
		return;
	}
	if (audit_dcfg_bool(c, "live-restore", "live-restore", 0, &s) || kj_get_bool(ctx->info, "LiveRestoreEnabled"))
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "live restore is on (%s)", s.value ? s.source : "/info");
	else
		audit_ev_add(r, AUDIT_WARN, "daemon", obj(ctx), 0, "live restore is off: restarting dockerd stops every container");
}

/* 2.16 */
static void c_userland_proxy(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	struct dsetting s;
	if (!c)
		return;
	if (audit_dcfg_bool(c, "userland-proxy", "userland-proxy", 1, &s))
		audit_ev_add(r, AUDIT_WARN, "daemon", obj(ctx), 0, "the userland proxy is on (%s)", s.value ? s.source : "default");
	else
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "%s=false", s.source);
}

/* 2.17 */
static void c_seccomp_profile(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	struct dsetting s;
	if (!c)
		return;
	if (audit_dcfg_get(c, "seccomp-profile", "seccomp-profile", &s)) {
		if (!strcmp(s.value, "unconfined"))
			audit_ev_add(r, AUDIT_WARN, "daemon", obj(ctx), 0, "%s=unconfined: no seccomp filter for any container", s.source);
		else
			audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "daemon-wide profile %s (%s)", s.value, s.source);
	} else if (ctx->api_ok && !info_secopt(ctx, "name=seccomp")) {
		audit_ev_add(r, AUDIT_WARN, "daemon", "/info", 0, "seccomp is not available to the daemon");
	} else {
		audit_ev_add(r, AUDIT_INFO, "daemon", obj(ctx), 0, "Docker's default seccomp profile; a custom one may fit your workloads better");
	}
}

/* 2.18 */
static void c_experimental(struct audit_ctx *ctx, struct audit_result *r)
{
	const struct daemon_cfg *c = cfg(ctx, r);
	struct dsetting s;
	if (!c)
		return;
	if (audit_dcfg_bool(c, "experimental", "experimental", 0, &s) || kj_get_bool(ctx->info, "ExperimentalBuild"))
		audit_ev_add(r, AUDIT_WARN, "daemon", obj(ctx), 0, "experimental features are on");
	else
		audit_ev_add(r, AUDIT_PASS, "daemon", obj(ctx), 0, "experimental features are off");
}

const struct audit_check audit_checks_daemon[] = {
	{ "2.1", "Run the Docker daemon as a non-root user, if possible", 0, 1, AUDIT_SEV_MEDIUM, 0,
	  "Consider rootless mode (dockerd-rootless-setuptool.sh) where the workloads allow it.", c_rootless },
	{ "2.2", "Ensure network traffic is restricted between containers on the default bridge", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Set \"icc\": false in daemon.json (or --icc=false) and connect containers that must talk through user-defined networks.", c_icc },
	{ "2.3", "Ensure the logging level is set to 'info'", 1, 0, AUDIT_SEV_LOW, 0,
	  "Remove --log-level/\"debug\" or set \"log-level\": \"info\".", c_log_level },
	{ "2.4", "Ensure Docker is allowed to make changes to iptables", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Remove --iptables=false so that Docker keeps the firewall in step with the containers' networking.", c_iptables },
	{ "2.5", "Ensure insecure registries are not used", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Remove --insecure-registry and \"insecure-registries\"; give every registry a TLS certificate.", c_insecure },
	{ "2.6", "Ensure aufs storage driver is not used", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Use overlay2 (\"storage-driver\": \"overlay2\").", c_aufs },
	{ "2.7", "Ensure TLS authentication for Docker daemon is configured", 1, 0, AUDIT_SEV_CRITICAL, 0,
	  "Do not expose the API on TCP; if you must, use --tlsverify with --tlscacert, --tlscert and --tlskey.", c_tls },
	{ "2.8", "Ensure the default ulimit is configured appropriately", 0, 1, AUDIT_SEV_LOW, 0,
	  "Set \"default-ulimits\" (e.g. nofile and nproc) in daemon.json.", c_default_ulimit },
	{ "2.9", "Enable user namespace support", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Set \"userns-remap\": \"default\" in daemon.json (and check /etc/subuid and /etc/subgid).", c_userns },
	{ "2.10", "Ensure the default cgroup usage has been confirmed", 1, 0, AUDIT_SEV_LOW, 0,
	  "Leave --cgroup-parent at its default unless a separate cgroup tree is intended.", c_cgroup_parent },
	{ "2.11", "Ensure base device size is not changed until needed", 1, 0, AUDIT_SEV_LOW, 0,
	  "Remove dm.basesize from the storage options unless it is needed.", c_basesize },
	{ "2.12", "Ensure that authorization for Docker client commands is enabled", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Install an authorization plugin and name it in \"authorization-plugins\".", c_authz },
	{ "2.13", "Ensure centralized and remote logging is configured", 1, 0, AUDIT_SEV_LOW, 0,
	  "Set \"log-driver\" to syslog, journald, fluentd, gelf or another driver that ships logs off the host.", c_remote_log },
	{ "2.14", "Ensure containers are restricted from acquiring new privileges", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Set \"no-new-privileges\": true in daemon.json.", c_nnp },
	{ "2.15", "Ensure live restore is enabled", 1, 0, AUDIT_SEV_LOW, 0,
	  "Set \"live-restore\": true in daemon.json.", c_live_restore },
	{ "2.16", "Ensure Userland Proxy is Disabled", 1, 0, AUDIT_SEV_LOW, 0,
	  "Set \"userland-proxy\": false in daemon.json (hairpin NAT takes over).", c_userland_proxy },
	{ "2.17", "Ensure that a daemon-wide custom seccomp profile is applied if appropriate", 0, 1, AUDIT_SEV_LOW, 0,
	  "Write a seccomp profile for your workloads and set \"seccomp-profile\" to its path.", c_seccomp_profile },
	{ "2.18", "Ensure that experimental features are not implemented in production", 0, 1, AUDIT_SEV_LOW, 0,
	  "Remove --experimental / \"experimental\": true in production.", c_experimental },
};
const size_t audit_nchecks_daemon = ARRAY_SIZE(audit_checks_daemon);
