/* Where the Docker and containerd files of this host are: the effective
 * data root, sockets, unit files and binaries, from the daemon's own
 * configuration where it says so. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *eff_data_root(struct audit_ctx *ctx)
{
	struct dsetting s;
	ctx_info(ctx);
	ctx_daemon(ctx);
	const char *r = js(ctx->info, "DockerRootDir");
	if (!r && dcfg_get(&ctx->daemon, "data-root", "data-root", &s))
		r = s.value;
	if (!r && dcfg_get(&ctx->daemon, "graph", "graph", &s))
		r = s.value;
	return strdup(r ? r : "/var/lib/docker");
}

char **unit_paths(const char *unit)
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
		strv_push(&v, p);
	}
	return v;
}

char **eff_containerd_sockets(struct audit_ctx *ctx)
{
	char **v = calloc(1, sizeof(char *));
	struct dsetting s;
	ctx_daemon(ctx);
	if (!v)
		return NULL;
	if (dcfg_get(&ctx->daemon, "containerd", "containerd", &s)) {
		strv_push(&v, s.value);
	} else if (ctx->daemon.containerd_pid) {
		const char *exec_root = dcfg_get(&ctx->daemon, "exec-root", "exec-root", &s) ? s.value : "/var/run/docker";
		char *p = xasprintf("%s/containerd/containerd.sock", exec_root);
		if (p)
			strv_push(&v, p);
		free(p);
	}
	struct stat st;
	if (stat("/run/containerd/containerd.sock", &st) == 0 && !strv_contains(v, "/run/containerd/containerd.sock"))
		strv_push(&v, "/run/containerd/containerd.sock");
	return v;
}

char **eff_docker_sockets(struct audit_ctx *ctx)
{
	char **v = calloc(1, sizeof(char *));
	ctx_daemon(ctx);
	if (!v)
		return NULL;
	if (ctx->api)
		strv_push(&v, kdocker_socket(ctx->api));
	char **hosts = dcfg_list(&ctx->daemon, "host", NULL, "hosts");
	for (size_t i = 0; hosts && hosts[i]; i++) {
		const char *h = hosts[i];
		if (str_starts(h, "unix://") && h[7] && !strv_contains(v, h + 7))
			strv_push(&v, h + 7);
	}
	free_strv(hosts);
	if (!v[0])
		strv_push(&v, "/var/run/docker.sock");
	return v;
}
