/* CIS section 1: host configuration.  The audit-rule checks look for a
 * watch on every path that exists on this host (the real dockerd, data
 * root, daemon.json and containerd socket, not just the usual ones). */
#include "internal.h"

#include "common/cleanup.h"

#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static void mount_of(const char *path, char *out, size_t n)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	size_t best = 0;
	snprintf(out, n, "/");
	while (f && fgets(line, sizeof(line), f)) {
		char mp[PATH_MAX];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		size_t l = strlen(mp);
		if (l > best && !strncmp(path, mp, l) && (path[l] == '/' || path[l] == '\0' || l == 1)) {
			best = l;
			snprintf(out, n, "%s", mp);
		}
	}
}

/* 1.1.1 */
static void c_partition(struct audit_ctx *ctx, struct audit_result *r)
{
	_cleanup_free_ char *root = audit_eff_data_root(ctx);
	struct stat a, b;
	char mp[PATH_MAX];
	if (stat(root, &a) < 0) {
		audit_res_set(r, AUDIT_INFO, "data root %s does not exist", root);
		return;
	}
	stat("/", &b);
	mount_of(root, mp, sizeof(mp));
	if (a.st_dev == b.st_dev)
		audit_ev_add(r, AUDIT_WARN, "host", root, 0, "data root %s is on the root filesystem (mount %s, device %u:%u)", root,
		       mp, major(a.st_dev), minor(a.st_dev));
	else
		audit_ev_add(r, AUDIT_PASS, "host", root, 0, "data root %s is on its own filesystem (mount %s, device %u:%u)",
		       root, mp, major(a.st_dev), minor(a.st_dev));
}

/* 1.1.2 */
static void c_docker_group(struct audit_ctx *ctx, struct audit_result *r)
{
	(void)ctx;
	_cleanup_fclose_ FILE *f = fopen("/etc/group", "re");
	char line[4096];
	while (f && fgets(line, sizeof(line), f)) {
		if (!kstr_starts(line, "docker:"))
			continue;
		line[strcspn(line, "\n")] = '\0';
		char *members = strrchr(line, ':');
		if (members && members[1])
			audit_ev_add(r, AUDIT_INFO, "host", "/etc/group", 0, "members of group docker (root on this host): %s", members + 1);
		else
			audit_ev_add(r, AUDIT_PASS, "host", "/etc/group", 0, "group docker has no members");
		return;
	}
	audit_ev_add(r, AUDIT_PASS, "host", "/etc/group", 0, "no group docker: only root can use the socket");
}

/* ---- 1.1.3 - 1.1.18: audit rules ---- */

static int rule_watches(char **rules, const char *path)
{
	size_t n = strlen(path);
	for (size_t i = 0; rules && rules[i]; i++) {
		const char *r = rules[i];
		for (const char *p = strstr(r, path); p; p = strstr(p + 1, path)) {
			char before = p > r ? p[-1] : ' ';
			char after = p[n];
			int start_ok = before == ' ' || before == '=' || before == '\t';
			int end_ok = after == '\0' || after == ' ' || after == '\t' || after == '/';
			if (!start_ok || !end_ok)
				continue;
			if (strstr(r, "-w ") || strstr(r, "path=") || strstr(r, "dir="))
				return 1;
		}
	}
	return 0;
}

void audit_paths(struct audit_ctx *ctx, struct audit_result *r, char **paths)
{
	audit_ctx_host(ctx);
	int any = 0;
	for (size_t i = 0; paths && paths[i]; i++) {
		struct stat st;
		if (lstat(paths[i], &st) < 0)
			continue;
		any = 1;
		char real[PATH_MAX];
		int watched = rule_watches(ctx->host.audit_rules, paths[i]) ||
			      (realpath(paths[i], real) && rule_watches(ctx->host.audit_rules, real));
		if (watched)
			audit_ev_add(r, AUDIT_PASS, "file", paths[i], 0, "an audit rule watches %s", paths[i]);
		else if (!ctx->host.audit_rules_found)
			audit_ev_add(r, AUDIT_WARN, "file", paths[i], 0, "no audit rules on this host (%s): %s is not watched",
			       ctx->o->audit_rules ? ctx->o->audit_rules : "/etc/audit", paths[i]);
		else
			audit_ev_add(r, AUDIT_WARN, "file", paths[i], 0, "no audit rule watches %s", paths[i]);
	}
	if (!any) {
		_cleanup_free_ char *list = NULL;
		for (size_t i = 0; paths && paths[i]; i++) {
			char *n = kstr_printf("%s%s%s", list ? list : "", list ? ", " : "", paths[i]);
			free(list);
			list = n;
		}
		audit_res_set(r, AUDIT_INFO, "not present on this host: %s", list ? list : "-");
	}
}

static void push_unique(char ***v, const char *p)
{
	if (p && !kstrv_contains(*v, p))
		kstrv_add(v, p);
}

static void paths_static(struct audit_ctx *ctx, struct audit_result *r, const char *const *list)
{
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	for (size_t i = 0; list[i]; i++)
		push_unique(&v, list[i]);
	audit_paths(ctx, r, v);
}

static void c_audit_dockerd(struct audit_ctx *ctx, struct audit_result *r)
{
	audit_ctx_daemon(ctx);
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	push_unique(&v, ctx->daemon.exe);
	static const char *const std[] = { "/usr/bin/dockerd", "/usr/sbin/dockerd", "/usr/local/bin/dockerd", NULL };
	for (size_t i = 0; std[i]; i++) {
		struct stat st;
		if (stat(std[i], &st) == 0)
			push_unique(&v, std[i]);
	}
	if (!v[0])
		push_unique(&v, "/usr/bin/dockerd");
	audit_paths(ctx, r, v);
}

static void c_audit_run_containerd(struct audit_ctx *ctx, struct audit_result *r)
{
	static const char *const p[] = { "/run/containerd", NULL };
	paths_static(ctx, r, p);
}

static void c_audit_data_root(struct audit_ctx *ctx, struct audit_result *r)
{
	_cleanup_free_ char *root = audit_eff_data_root(ctx);
	const char *p[] = { root, NULL };
	paths_static(ctx, r, p);
}

static void c_audit_etc_docker(struct audit_ctx *ctx, struct audit_result *r)
{
	static const char *const p[] = { "/etc/docker", NULL };
	paths_static(ctx, r, p);
}

static void c_audit_unit(struct audit_ctx *ctx, struct audit_result *r, const char *unit)
{
	_cleanup_strv_ char **v = audit_unit_paths(unit);
	if (v && !v[0]) {
		char *p = kstr_printf("/lib/systemd/system/%s", unit);
		kstrv_add(&v, p);
		free(p);
	}
	audit_paths(ctx, r, v);
}

static void c_audit_service(struct audit_ctx *ctx, struct audit_result *r)
{
	c_audit_unit(ctx, r, "docker.service");
}

static void c_audit_socket_unit(struct audit_ctx *ctx, struct audit_result *r)
{
	c_audit_unit(ctx, r, "docker.socket");
}

static void c_audit_containerd_sock(struct audit_ctx *ctx, struct audit_result *r)
{
	_cleanup_strv_ char **v = audit_eff_containerd_sockets(ctx);
	if (v && !v[0])
		kstrv_add(&v, "/run/containerd/containerd.sock");
	audit_paths(ctx, r, v);
}

static void c_audit_default(struct audit_ctx *ctx, struct audit_result *r)
{
	static const char *const p[] = { "/etc/default/docker", NULL };
	paths_static(ctx, r, p);
}

static void c_audit_daemon_json(struct audit_ctx *ctx, struct audit_result *r)
{
	audit_ctx_daemon(ctx);
	const char *p[] = { ctx->daemon.json_path ? ctx->daemon.json_path : "/etc/docker/daemon.json",
			    "/etc/docker/daemon.json", NULL };
	paths_static(ctx, r, p);
}

static void c_audit_containerd_toml(struct audit_ctx *ctx, struct audit_result *r)
{
	static const char *const p[] = { "/etc/containerd/config.toml", NULL };
	paths_static(ctx, r, p);
}

static void c_audit_sysconfig(struct audit_ctx *ctx, struct audit_result *r)
{
	static const char *const p[] = { "/etc/sysconfig/docker", NULL };
	paths_static(ctx, r, p);
}

/* Every NAME in the usual binary directories. */
void audit_bin_paths(char ***v, const char *name)
{
	static const char *const dirs[] = { "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin",
					     "/usr/libexec/docker", "/bin", "/sbin" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char p[256];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", dirs[i], name);
		if (lstat(p, &st) < 0)
			continue;
		/* /bin is /usr/bin on merged-/usr systems: one file, once */
		int dup = 0;
		for (size_t k = 0; *v && (*v)[k] && !dup; k++) {
			struct stat o;
			dup = lstat((*v)[k], &o) == 0 && o.st_dev == st.st_dev && o.st_ino == st.st_ino;
		}
		if (!dup)
			push_unique(v, p);
	}
}

static void c_audit_bin(struct audit_ctx *ctx, struct audit_result *r, const char *name, const char *running)
{
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	push_unique(&v, running);
	audit_bin_paths(&v, name);
	if (!v[0]) {
		char p[256];
		snprintf(p, sizeof(p), "/usr/bin/%s", name);
		push_unique(&v, p);
	}
	audit_paths(ctx, r, v);
}

static void c_audit_containerd(struct audit_ctx *ctx, struct audit_result *r)
{
	audit_ctx_daemon(ctx);
	c_audit_bin(ctx, r, "containerd", ctx->daemon.containerd_exe);
}

static void c_audit_shim(struct audit_ctx *ctx, struct audit_result *r)
{
	c_audit_bin(ctx, r, "containerd-shim", NULL);
}

static void c_audit_shim_v1(struct audit_ctx *ctx, struct audit_result *r)
{
	c_audit_bin(ctx, r, "containerd-shim-runc-v1", NULL);
}

static void c_audit_shim_v2(struct audit_ctx *ctx, struct audit_result *r)
{
	c_audit_bin(ctx, r, "containerd-shim-runc-v2", NULL);
}

static void c_audit_runc(struct audit_ctx *ctx, struct audit_result *r)
{
	c_audit_bin(ctx, r, "runc", NULL);
}

/* 1.2.2 */
static void c_version(struct audit_ctx *ctx, struct audit_result *r)
{
	audit_ev_add(r, AUDIT_INFO, "daemon", "version", 0, "Docker Engine %s (API %s, containerd and runc as reported by /version); compare with your vendor's supported releases",
	       kj_get_str(ctx->version, "Version") ? kj_get_str(ctx->version, "Version") : "?",
	       kj_get_str(ctx->version, "ApiVersion") ? kj_get_str(ctx->version, "ApiVersion") : "?");
}

#define AUDIT_REM "Add a watch for the path to the audit rules (e.g. /etc/audit/rules.d/docker.rules: -w PATH -k docker) and reload auditd."

const struct audit_check audit_checks_host[] = {
	{ "1.1.1", "Ensure a separate partition for containers has been created", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Put the data root (DockerRootDir, --data-root) on its own filesystem, e.g. a dedicated LVM volume mounted there.", c_partition },
	{ "1.1.2", "Ensure only trusted users are allowed to control Docker daemon", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Remove every user who must not be root on this host from the docker group (gpasswd -d USER docker).", c_docker_group },
	{ "1.1.3", "Ensure auditing is configured for the Docker daemon", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_dockerd },
	{ "1.1.4", "Ensure auditing is configured for Docker files and directories - /run/containerd", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_run_containerd },
	{ "1.1.5", "Ensure auditing is configured for Docker files and directories - /var/lib/docker", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_data_root },
	{ "1.1.6", "Ensure auditing is configured for Docker files and directories - /etc/docker", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_etc_docker },
	{ "1.1.7", "Ensure auditing is configured for Docker files and directories - docker.service", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_service },
	{ "1.1.8", "Ensure auditing is configured for Docker files and directories - containerd.sock", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_containerd_sock },
	{ "1.1.9", "Ensure auditing is configured for Docker files and directories - docker.socket", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_socket_unit },
	{ "1.1.10", "Ensure auditing is configured for Docker files and directories - /etc/default/docker", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_default },
	{ "1.1.11", "Ensure auditing is configured for Docker files and directories - /etc/docker/daemon.json", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_daemon_json },
	{ "1.1.12", "Ensure auditing is configured for Docker files and directories - /etc/containerd/config.toml", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_containerd_toml },
	{ "1.1.13", "Ensure auditing is configured for Docker files and directories - /etc/sysconfig/docker", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_sysconfig },
	{ "1.1.14", "Ensure auditing is configured for Docker files and directories - /usr/bin/containerd", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_containerd },
	{ "1.1.15", "Ensure auditing is configured for Docker files and directories - /usr/bin/containerd-shim", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_shim },
	{ "1.1.16", "Ensure auditing is configured for Docker files and directories - /usr/bin/containerd-shim-runc-v1", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_shim_v1 },
	{ "1.1.17", "Ensure auditing is configured for Docker files and directories - /usr/bin/containerd-shim-runc-v2", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_shim_v2 },
	{ "1.1.18", "Ensure auditing is configured for Docker files and directories - /usr/bin/runc", 1, 0, AUDIT_SEV_LOW, 0, AUDIT_REM, c_audit_runc },
	{ "1.2.1", "Ensure the container host has been Hardened", 0, 1, AUDIT_SEV_MEDIUM, 0,
	  "Harden the host by a hardening guide for its distribution; kapsel's own host checks (K1) cover part of it.", audit_check_manual },
	{ "1.2.2", "Ensure that the version of Docker is up to date", 0, 1, AUDIT_SEV_MEDIUM, AUDIT_NEED_API,
	  "Keep the engine on a release your vendor still supports with security fixes.", c_version },
};
const size_t audit_nchecks_host = ARRAY_SIZE(audit_checks_host);
