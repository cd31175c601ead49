/* kapsel's host checks (K1): kernel hardening the benchmark leaves out,
 * the LSM, and the engine's open-file limit. */
#include "internal.h"

#include "common/cleanup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sysctl_rule {
	const char *name;
	long min;       /* value must be >= min */
	long max;       /* and <= max */
	const char *why;
};

static void sysctls(struct audit_result *r, const struct sysctl_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		long v;
		char key[128];
		snprintf(key, sizeof(key), "%s", rules[i].name);
		for (char *p = key; *p; p++)
			if (*p == '/')
				*p = '.';
		if (!audit_read_sysctl(rules[i].name, &v)) {
			audit_ev_add(r, AUDIT_WARN, "host", key, 0, "%s does not exist on this kernel: %s", key, rules[i].why);
			continue;
		}
		if (v >= rules[i].min && v <= rules[i].max)
			audit_ev_add(r, AUDIT_PASS, "host", key, 0, "%s = %ld", key, v);
		else
			audit_ev_add(r, AUDIT_WARN, "host", key, 0, "%s = %ld (want %s%ld): %s", key, v,
			       rules[i].min == rules[i].max ? "" : ">= ", rules[i].min, rules[i].why);
	}
}

#define SYSCTL_CHECK(fn, ...) \
	static void fn(struct audit_ctx *ctx, struct audit_result *r) \
	{ \
		(void)ctx; \
		static const struct sysctl_rule rules[] = { __VA_ARGS__ }; \
		sysctls(r, rules, ARRAY_SIZE(rules)); \
	}

SYSCTL_CHECK(c_kptr, { "kernel/kptr_restrict", 1, 2, "kernel addresses leak to unprivileged users" })
SYSCTL_CHECK(c_dmesg, { "kernel/dmesg_restrict", 1, 1, "the kernel log is readable by every user" })
SYSCTL_CHECK(c_bpf, { "kernel/unprivileged_bpf_disabled", 1, 2, "unprivileged users can load BPF programs" })
SYSCTL_CHECK(c_ptrace, { "kernel/yama/ptrace_scope", 1, 3, "processes can trace others of the same user (Yama)" })
SYSCTL_CHECK(c_links, { "fs/protected_symlinks", 1, 1, "symlink races in sticky directories" },
	     { "fs/protected_hardlinks", 1, 1, "hard links to files the user cannot write" },
	     { "fs/protected_fifos", 1, 2, "FIFOs in sticky directories" },
	     { "fs/protected_regular", 1, 2, "regular files in sticky directories" })
SYSCTL_CHECK(c_perf, { "kernel/perf_event_paranoid", 2, 4, "unprivileged users can profile the kernel" })
SYSCTL_CHECK(c_suid_dump, { "fs/suid_dumpable", 0, 0, "setuid programs dump core" })

/* K1.4: unprivileged user namespaces are the door to most kernel exploits
 * from an unprivileged account (rootless engines need them: then INFO). */
static void c_userns(struct audit_ctx *ctx, struct audit_result *r)
{
	(void)ctx;
	long v;
	if (audit_read_sysctl("kernel/unprivileged_userns_clone", &v)) {
		audit_ev_add(r, v ? AUDIT_WARN : AUDIT_PASS, "host", "kernel.unprivileged_userns_clone", 0,
		       "kernel.unprivileged_userns_clone = %ld", v);
		return;
	}
	if (audit_read_sysctl("user/max_user_namespaces", &v)) {
		audit_ev_add(r, v ? AUDIT_WARN : AUDIT_PASS, "host", "user.max_user_namespaces", 0,
		       "user.max_user_namespaces = %ld%s", v, v ? ": unprivileged users can create user namespaces" : "");
		return;
	}
	audit_ev_add(r, AUDIT_PASS, "host", "user.max_user_namespaces", 0, "no user namespaces in this kernel");
}

/* K1.7 */
static void c_lsm(struct audit_ctx *ctx, struct audit_result *r)
{
	(void)ctx;
	char lsm[256];
	int aa, se;
	audit_lsm_state(lsm, sizeof(lsm), &aa, &se);
	if (aa)
		audit_ev_add(r, AUDIT_PASS, "host", "lsm", 0, "AppArmor is enabled%s%s", *lsm ? "; LSMs: " : "", lsm);
	else if (se == 1)
		audit_ev_add(r, AUDIT_PASS, "host", "lsm", 0, "SELinux is enforcing");
	else if (se == 0)
		audit_ev_add(r, AUDIT_WARN, "host", "lsm", 0, "SELinux is present but permissive");
	else
		audit_ev_add(r, AUDIT_WARN, "host", "lsm", 0, "neither AppArmor nor SELinux is enabled%s%s", *lsm ? "; LSMs: " : "", lsm);
}

/* K1.8 */
static void c_nofile(struct audit_ctx *ctx, struct audit_result *r)
{
	audit_ctx_daemon(ctx);
	const struct daemon_cfg *c = &ctx->daemon;
	_cleanup_strv_ char **ul = audit_dcfg_list(c, "default-ulimit", NULL, "default-ulimits");
	for (size_t i = 0; ul && ul[i]; i++)
		if (kstr_starts(ul[i], "nofile=")) {
			audit_ev_add(r, AUDIT_PASS, "daemon", "default-ulimits", 0, "containers get %s from the daemon", ul[i]);
			return;
		}
	if (!c->found || !c->limits_known) {
		audit_res_skip(r, "dockerd's limits are unknown (no dockerd matched)");
		return;
	}
	if (c->nofile_hard == ~0ull || c->nofile_hard > 1048576 / 2)
		audit_ev_add(r, AUDIT_WARN, "daemon", "dockerd", 0,
		       "dockerd (pid %d) has an open-file limit of %llu (hard): containers inherit it unless default-ulimits sets nofile",
		       (int)c->pid, c->nofile_hard);
	else
		audit_ev_add(r, AUDIT_PASS, "daemon", "dockerd", 0, "dockerd (pid %d) open-file limit %llu/%llu", (int)c->pid,
		       c->nofile_soft, c->nofile_hard);
}

/* K1.11: the Docker and containerd paths the benchmark does not list */
static void c_audit_more(struct audit_ctx *ctx, struct audit_result *r)
{
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	static const char *const dirs[] = { "/var/lib/containerd", "/etc/containerd" };
	for (size_t i = 0; v && i < ARRAY_SIZE(dirs); i++)
		kstrv_add(&v, dirs[i]);
	static const char *const bins[] = { "docker", "docker-init", "docker-proxy", "ctr", "containerd-shim-runc-v2",
					    "crun", "kapsel-runtime" };
	for (size_t i = 0; v && i < ARRAY_SIZE(bins); i++)
		audit_bin_paths(&v, bins[i]);
	/* the runtime binaries dockerd knows (/info Runtimes) */
	audit_ctx_info(ctx);
	json_object *rt = kj_get(ctx->info, "Runtimes");
	if (v && rt && json_object_is_type(rt, json_type_object)) {
		json_object_object_foreach(rt, name, def) {
			(void)name;
			const char *path = kj_get_str(def, "path");
			if (path && path[0] == '/' && !kstrv_contains(v, path))
				kstrv_add(&v, path);
			else if (path && path[0] != '/')
				audit_bin_paths(&v, path);
		}
	}
	audit_paths(ctx, r, v);
}

const struct audit_check audit_checks_kapsel[] = {
	{ "K1.1", "Ensure kernel pointers are hidden from unprivileged users (kernel.kptr_restrict)", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "sysctl -w kernel.kptr_restrict=1 (and persist it in /etc/sysctl.d).", c_kptr },
	{ "K1.2", "Ensure the kernel log is restricted (kernel.dmesg_restrict)", 1, 0, AUDIT_SEV_LOW, 0,
	  "sysctl -w kernel.dmesg_restrict=1.", c_dmesg },
	{ "K1.3", "Ensure unprivileged BPF is disabled (kernel.unprivileged_bpf_disabled)", 1, 0, AUDIT_SEV_HIGH, 0,
	  "sysctl -w kernel.unprivileged_bpf_disabled=1.", c_bpf },
	{ "K1.4", "Ensure unprivileged user namespaces are disabled where not needed", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "sysctl -w kernel.unprivileged_userns_clone=0 (Debian) or user.max_user_namespaces=0, unless rootless containers need them.", c_userns },
	{ "K1.5", "Ensure ptrace is restricted (kernel.yama.ptrace_scope)", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Enable Yama and sysctl -w kernel.yama.ptrace_scope=1.", c_ptrace },
	{ "K1.6", "Ensure links, FIFOs and files in sticky directories are protected (fs.protected_*)", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "sysctl -w fs.protected_symlinks=1 fs.protected_hardlinks=1 fs.protected_fifos=1 fs.protected_regular=2.", c_links },
	{ "K1.7", "Ensure a Linux security module (AppArmor or SELinux) is present and enforcing", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Boot with AppArmor (apparmor=1 security=apparmor) or SELinux in enforcing mode.", c_lsm },
	{ "K1.8", "Ensure the open-file limit containers inherit is bounded", 1, 0, AUDIT_SEV_LOW, 0,
	  "Set \"default-ulimits\": {\"nofile\": {\"Name\": \"nofile\", \"Soft\": 1024, \"Hard\": 4096}} or lower dockerd's LimitNOFILE.", c_nofile },
	{ "K1.9", "Ensure perf events are restricted (kernel.perf_event_paranoid)", 1, 0, AUDIT_SEV_LOW, 0,
	  "sysctl -w kernel.perf_event_paranoid=2 (or 3 where the kernel supports it).", c_perf },
	{ "K1.10", "Ensure setuid programs do not dump core (fs.suid_dumpable)", 1, 0, AUDIT_SEV_LOW, 0,
	  "sysctl -w fs.suid_dumpable=0.", c_suid_dump },
	{ "K1.11", "Ensure auditing is configured for the other Docker and containerd paths (containerd's state and configuration, docker-init, docker-proxy, ctr, every runtime dockerd knows)", 1, 0, AUDIT_SEV_LOW, 0,
	  "Add a watch for each path to the audit rules (-w PATH -k docker) and reload auditd.", c_audit_more },
};
const size_t audit_nchecks_kapsel = ARRAY_SIZE(audit_checks_kapsel);
