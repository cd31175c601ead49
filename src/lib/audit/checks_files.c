/* CIS section 3: owners and modes of the daemon's files.  Modes are
 * compared as bit masks: a file passes "644 or more restrictive" only when
 * it has no permission bit outside 0644 (so 0606 fails, 0600 passes). */
#include "internal.h"

#include "common/cleanup.h"

#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { OWN_ROOT_ROOT, OWN_ROOT_DOCKER };

static void names(uid_t u, gid_t g, char *buf, size_t n)
{
	struct passwd pw, *pp = NULL;
	struct group gr, *gp = NULL;
	char b1[1024], b2[4096];
	getpwuid_r(u, &pw, b1, sizeof(b1), &pp);
	getgrgid_r(g, &gr, b2, sizeof(b2), &gp);
	snprintf(buf, n, "%s:%s (%u:%u)", pp ? pp->pw_name : "?", gp ? gp->gr_name : "?", (unsigned)u, (unsigned)g);
}

static gid_t docker_gid(int *found)
{
	struct group gr, *gp = NULL;
	char b[4096];
	getgrnam_r("docker", &gr, b, sizeof(b), &gp);
	*found = gp != NULL;
	return gp ? gp->gr_gid : 0;
}

static void owner_one(struct audit_result *r, const char *path, int want)
{
	struct stat st;
	char who[256];
	if (lstat(path, &st) < 0)
		return;
	names(st.st_uid, st.st_gid, who, sizeof(who));
	int gfound;
	gid_t dg = docker_gid(&gfound);
	int ok = st.st_uid == 0 &&
		 (want == OWN_ROOT_ROOT ? st.st_gid == 0 : (gfound ? st.st_gid == dg : st.st_gid == 0));
	if (ok)
		audit_ev_add(r, AUDIT_PASS, "file", path, 0, "owner %s", who);
	else
		audit_ev_add(r, AUDIT_WARN, "file", path, 0, "owner %s, want %s", who,
		       want == OWN_ROOT_ROOT ? "root:root" : "root:docker");
}

static void mode_one(struct audit_result *r, const char *path, unsigned max)
{
	struct stat st;
	char have[8], want[8], extra[8];
	if (lstat(path, &st) < 0)
		return;
	unsigned m = st.st_mode & 07777, bad = m & ~max;
	audit_mode_str(m, have);
	audit_mode_str(max, want);
	audit_mode_str(bad, extra);
	if (bad)
		audit_ev_add(r, AUDIT_WARN, "file", path, 0, "mode %s has bits %s beyond %s", have, extra, want);
	else
		audit_ev_add(r, AUDIT_PASS, "file", path, 0, "mode %s (at most %s)", have, want);
}

/* Run OWNER or MODE on each path that exists; INFO when none does. */
static void files(struct audit_result *r, char **paths, int is_mode, int want_owner, unsigned max, const char *what)
{
	int any = 0;
	for (size_t i = 0; paths && paths[i]; i++) {
		struct stat st;
		if (lstat(paths[i], &st) < 0)
			continue;
		any = 1;
		if (is_mode)
			mode_one(r, paths[i], max);
		else
			owner_one(r, paths[i], want_owner);
	}
	if (!any)
		audit_res_set(r, AUDIT_INFO, "%s not found", what);
}

static void one(struct audit_result *r, const char *path, int is_mode, int want_owner, unsigned max)
{
	char *v[] = { (char *)path, NULL };
	files(r, v, is_mode, want_owner, max, path);
}

#define UNIT_CHECK(fn, unit, is_mode, max) \
	static void fn(struct audit_ctx *ctx, struct audit_result *r) \
	{ \
		(void)ctx; \
		_cleanup_strv_ char **v = audit_unit_paths(unit); \
		files(r, v, is_mode, OWN_ROOT_ROOT, max, unit); \
	}
UNIT_CHECK(c_service_owner, "docker.service", 0, 0)
UNIT_CHECK(c_service_mode, "docker.service", 1, 0644)
UNIT_CHECK(c_socket_unit_owner, "docker.socket", 0, 0)
UNIT_CHECK(c_socket_unit_mode, "docker.socket", 1, 0644)

#define PATH_CHECK(fn, path, is_mode, max) \
	static void fn(struct audit_ctx *ctx, struct audit_result *r) \
	{ \
		(void)ctx; \
		one(r, path, is_mode, OWN_ROOT_ROOT, max); \
	}
PATH_CHECK(c_etc_owner, "/etc/docker", 0, 0)
PATH_CHECK(c_etc_mode, "/etc/docker", 1, 0755)
PATH_CHECK(c_default_owner, "/etc/default/docker", 0, 0)
PATH_CHECK(c_default_mode, "/etc/default/docker", 1, 0644)
PATH_CHECK(c_sysconfig_mode, "/etc/sysconfig/docker", 1, 0644)
PATH_CHECK(c_sysconfig_owner, "/etc/sysconfig/docker", 0, 0)

/* every file under /etc/docker/certs.d/<registry>/ */
static char **registry_certs(void)
{
	char **v = calloc(1, sizeof(char *));
	_cleanup_closedir_ DIR *d = opendir("/etc/docker/certs.d");
	struct dirent *de;
	while (v && d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char sub[512];
		snprintf(sub, sizeof(sub), "/etc/docker/certs.d/%s", de->d_name);
		_cleanup_closedir_ DIR *s = opendir(sub);
		struct dirent *fe;
		while (s && (fe = readdir(s))) {
			if (fe->d_name[0] == '.')
				continue;
			char p[1024];
			snprintf(p, sizeof(p), "%s/%s", sub, fe->d_name);
			kstrv_add(&v, p);
		}
	}
	return v;
}

static void c_certs_owner(struct audit_ctx *ctx, struct audit_result *r)
{
	(void)ctx;
	_cleanup_strv_ char **v = registry_certs();
	files(r, v, 0, OWN_ROOT_ROOT, 0, "registry certificates (/etc/docker/certs.d)");
}

static void c_certs_mode(struct audit_ctx *ctx, struct audit_result *r)
{
	(void)ctx;
	_cleanup_strv_ char **v = registry_certs();
	files(r, v, 1, OWN_ROOT_ROOT, 0444, "registry certificates (/etc/docker/certs.d)");
}

static void tls_file(struct audit_ctx *ctx, struct audit_result *r, const char *key, int is_mode, unsigned max)
{
	struct dsetting s;
	audit_ctx_daemon(ctx);
	if (!audit_dcfg_get(&ctx->daemon, key, key, &s)) {
		audit_res_set(r, AUDIT_INFO, "no --%s configured", key);
		return;
	}
	one(r, s.value, is_mode, OWN_ROOT_ROOT, max);
}

static void c_ca_owner(struct audit_ctx *ctx, struct audit_result *r) { tls_file(ctx, r, "tlscacert", 0, 0); }
static void c_ca_mode(struct audit_ctx *ctx, struct audit_result *r) { tls_file(ctx, r, "tlscacert", 1, 0444); }
static void c_cert_owner(struct audit_ctx *ctx, struct audit_result *r) { tls_file(ctx, r, "tlscert", 0, 0); }
static void c_cert_mode(struct audit_ctx *ctx, struct audit_result *r) { tls_file(ctx, r, "tlscert", 1, 0444); }
static void c_key_owner(struct audit_ctx *ctx, struct audit_result *r) { tls_file(ctx, r, "tlskey", 0, 0); }
static void c_key_mode(struct audit_ctx *ctx, struct audit_result *r) { tls_file(ctx, r, "tlskey", 1, 0400); }

static void c_sock_owner(struct audit_ctx *ctx, struct audit_result *r)
{
	_cleanup_strv_ char **v = audit_eff_docker_sockets(ctx);
	files(r, v, 0, OWN_ROOT_DOCKER, 0, "Docker socket");
}

static void c_sock_mode(struct audit_ctx *ctx, struct audit_result *r)
{
	_cleanup_strv_ char **v = audit_eff_docker_sockets(ctx);
	files(r, v, 1, 0, 0660, "Docker socket");
}

static void c_json_owner(struct audit_ctx *ctx, struct audit_result *r)
{
	audit_ctx_daemon(ctx);
	one(r, ctx->daemon.json_path ? ctx->daemon.json_path : "/etc/docker/daemon.json", 0, OWN_ROOT_ROOT, 0);
}

static void c_json_mode(struct audit_ctx *ctx, struct audit_result *r)
{
	audit_ctx_daemon(ctx);
	one(r, ctx->daemon.json_path ? ctx->daemon.json_path : "/etc/docker/daemon.json", 1, OWN_ROOT_ROOT, 0644);
}

static void c_containerd_owner(struct audit_ctx *ctx, struct audit_result *r)
{
	_cleanup_strv_ char **v = audit_eff_containerd_sockets(ctx);
	files(r, v, 0, OWN_ROOT_ROOT, 0, "containerd socket");
}

static void c_containerd_mode(struct audit_ctx *ctx, struct audit_result *r)
{
	_cleanup_strv_ char **v = audit_eff_containerd_sockets(ctx);
	files(r, v, 1, OWN_ROOT_ROOT, 0660, "containerd socket");
}

#define OWN_REM(what) "chown root:root " what
#define MODE_REM(what, m) "chmod " m " " what " (or a mode with fewer bits)"

const struct audit_check audit_checks_files[] = {
	{ "3.1", "Ensure that the docker.service file ownership is set to root:root", 1, 0, AUDIT_SEV_MEDIUM, 0, OWN_REM("the docker.service unit file"), c_service_owner },
	{ "3.2", "Ensure that docker.service file permissions are appropriately set", 1, 0, AUDIT_SEV_MEDIUM, 0, MODE_REM("the docker.service unit file", "644"), c_service_mode },
	{ "3.3", "Ensure that docker.socket file ownership is set to root:root", 1, 0, AUDIT_SEV_MEDIUM, 0, OWN_REM("the docker.socket unit file"), c_socket_unit_owner },
	{ "3.4", "Ensure that docker.socket file permissions are set to 644 or more restrictive", 1, 0, AUDIT_SEV_MEDIUM, 0, MODE_REM("the docker.socket unit file", "644"), c_socket_unit_mode },
	{ "3.5", "Ensure that the /etc/docker directory ownership is set to root:root", 1, 0, AUDIT_SEV_MEDIUM, 0, OWN_REM("/etc/docker"), c_etc_owner },
	{ "3.6", "Ensure that /etc/docker directory permissions are set to 755 or more restrictively", 1, 0, AUDIT_SEV_MEDIUM, 0, MODE_REM("/etc/docker", "755"), c_etc_mode },
	{ "3.7", "Ensure that registry certificate file ownership is set to root:root", 1, 0, AUDIT_SEV_MEDIUM, 0, OWN_REM("/etc/docker/certs.d/*/*"), c_certs_owner },
	{ "3.8", "Ensure that registry certificate file permissions are set to 444 or more restrictively", 1, 0, AUDIT_SEV_MEDIUM, 0, MODE_REM("/etc/docker/certs.d/*/*", "444"), c_certs_mode },
	{ "3.9", "Ensure that TLS CA certificate file ownership is set to root:root", 1, 0, AUDIT_SEV_MEDIUM, 0, OWN_REM("the --tlscacert file"), c_ca_owner },
	{ "3.10", "Ensure that TLS CA certificate file permissions are set to 444 or more restrictively", 1, 0, AUDIT_SEV_MEDIUM, 0, MODE_REM("the --tlscacert file", "444"), c_ca_mode },
	{ "3.11", "Ensure that Docker server certificate file ownership is set to root:root", 1, 0, AUDIT_SEV_MEDIUM, 0, OWN_REM("the --tlscert file"), c_cert_owner },
	{ "3.12", "Ensure that the Docker server certificate file permissions are set to 444 or more restrictively", 1, 0, AUDIT_SEV_MEDIUM, 0, MODE_REM("the --tlscert file", "444"), c_cert_mode },
	{ "3.13", "Ensure that the Docker server certificate key file ownership is set to root:root", 1, 0, AUDIT_SEV_HIGH, 0, OWN_REM("the --tlskey file"), c_key_owner },
	{ "3.14", "Ensure that the Docker server certificate key file permissions are set to 400", 1, 0, AUDIT_SEV_HIGH, 0, MODE_REM("the --tlskey file", "400"), c_key_mode },
	{ "3.15", "Ensure that the Docker socket file ownership is set to root:docker", 1, 0, AUDIT_SEV_HIGH, 0, "chown root:docker the Docker socket", c_sock_owner },
	{ "3.16", "Ensure that the Docker socket file permissions are set to 660 or more restrictively", 1, 0, AUDIT_SEV_HIGH, 0, MODE_REM("the Docker socket", "660"), c_sock_mode },
	{ "3.17", "Ensure that the daemon.json file ownership is set to root:root", 1, 0, AUDIT_SEV_MEDIUM, 0, OWN_REM("daemon.json"), c_json_owner },
	{ "3.18", "Ensure that daemon.json file permissions are set to 644 or more restrictive", 1, 0, AUDIT_SEV_MEDIUM, 0, MODE_REM("daemon.json", "644"), c_json_mode },
	{ "3.19", "Ensure that the /etc/default/docker file ownership is set to root:root", 1, 0, AUDIT_SEV_MEDIUM, 0, OWN_REM("/etc/default/docker"), c_default_owner },
	{ "3.20", "Ensure that the /etc/default/docker file permissions are set to 644 or more restrictively", 1, 0, AUDIT_SEV_MEDIUM, 0, MODE_REM("/etc/default/docker", "644"), c_default_mode },
	{ "3.21", "Ensure that the /etc/sysconfig/docker file permissions are set to 644 or more restrictively", 1, 0, AUDIT_SEV_MEDIUM, 0, MODE_REM("/etc/sysconfig/docker", "644"), c_sysconfig_mode },
	{ "3.22", "Ensure that the /etc/sysconfig/docker file ownership is set to root:root", 1, 0, AUDIT_SEV_MEDIUM, 0, OWN_REM("/etc/sysconfig/docker"), c_sysconfig_owner },
	{ "3.23", "Ensure that the Containerd socket file ownership is set to root:root", 1, 0, AUDIT_SEV_HIGH, 0, OWN_REM("the containerd socket"), c_containerd_owner },
	{ "3.24", "Ensure that the Containerd socket file permissions are set to 660 or more restrictively", 1, 0, AUDIT_SEV_HIGH, 0, MODE_REM("the containerd socket", "660"), c_containerd_mode },
};
const size_t audit_nchecks_files = ARRAY_SIZE(audit_checks_files);
