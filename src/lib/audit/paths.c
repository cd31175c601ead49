/* Where the Docker and containerd files of this host are: the effective
 * data root, sockets, unit files and binaries, from the daemon's own
 * configuration where it says so. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *audit_eff_data_root(struct audit_ctx *ctx)
{
	struct dsetting s;
	audit_ctx_info(ctx);
	audit_ctx_daemon(ctx);
	const char *r = kj_get_str(ctx->info, "DockerRootDir");
	if (!r && audit_dcfg_get(&ctx->daemon, "data-root", "data-root", &s))
		r = s.value;
	if (!r && audit_dcfg_get(&ctx->daemon, "graph", "graph", &s))
		r = s.value;
	return strdup(r ? r : "/var/lib/docker");
}

char **audit_unit_paths(const char *unit)
{
	static const char *const dirs[] = { "/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system",
					    "/usr/lib/systemd/system", "/usr/local/lib/systemd/system" };
	char **v = calloc(1, sizeof(char *));
	struct stat seen[8];
	size_t nseen = 0;
	for (size_t i = 0; v && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char p[512];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", dirs[i], unit);
		if (lstat(p, &st) < 0)
			continue;
		/* /lib is /usr/lib on merged-/usr systems: one file, once */
		int dup = 0;
		for (size_t k = 0; k < nseen; k++)
			dup |= seen[k].st_dev == st.st_dev && seen[k].st_ino == st.st_ino;
		if (dup)
			continue;
		seen[nseen++] = st;
		kstrv_add(&v, p);
	}
	return v;
}

char **audit_eff_containerd_sockets(struct audit_ctx *ctx)
{
	char **v = calloc(1, sizeof(char *));
	struct dsetting s;
	audit_ctx_daemon(ctx);
	if (!v)
		return NULL;
	if (audit_dcfg_get(&ctx->daemon, "containerd", "containerd", &s)) {
		kstrv_add(&v, s.value);
	} else if (ctx->daemon.containerd_pid) {
		const char *exec_root = audit_dcfg_get(&ctx->daemon, "exec-root", "exec-root", &s) ? s.value : "/var/run/docker";
		char *p = kstr_printf("%s/containerd/containerd.sock", exec_root);
		if (p)
			kstrv_add(&v, p);
		free(p);
	}
	struct stat st;
	if (stat("/run/containerd/containerd.sock", &st) == 0 && !kstrv_contains(v, "/run/containerd/containerd.sock"))
		kstrv_add(&v, "/run/containerd/containerd.sock");
	return v;
}

char **audit_eff_docker_sockets(struct audit_ctx *ctx)
{
	char **v = calloc(1, sizeof(char *));
	audit_ctx_daemon(ctx);
	if (!v)
		return NULL;
	if (ctx->api)
		kstrv_add(&v, kdocker_socket(ctx->api));
	char **hosts = audit_dcfg_list(&ctx->daemon, "host", NULL, "hosts");
	for (size_t i = 0; hosts && hosts[i]; i++) {
		const char *h = hosts[i];
		if (kstr_starts(h, "unix://") && h[7] && !kstrv_contains(v, h + 7))
			kstrv_add(&v, h + 7);
	}
	kstrv_free(hosts);
	if (!v[0])
		kstrv_add(&v, "/var/run/docker.sock");
	return v;
}
