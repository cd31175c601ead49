/* kapsel's image filesystem checks (K2), on the merged filesystem of each
 * image tarball given with --image. */
#include "internal.h"

#include "common/cleanup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EACH_FS(fs) \
	audit_ctx_imagefs(ctx); \
	for (const struct kimagefs *fs = ctx->fs; fs < ctx->fs + ctx->nfs; fs++) \
		if (!fs->error)

static void pass_if_clean(struct audit_result *r, const struct kimagefs *fs, size_t before, const char *what)
{
	if (r->nev == before)
		audit_ev_add(r, AUDIT_PASS, "image", fs->name, 0, "%s", what);
}

/* K2.1 */
static void c_setuid(struct audit_ctx *ctx, struct audit_result *r)
{
	EACH_FS(fs) {
		size_t before = r->nev;
		for (size_t i = 0; i < fs->nfiles; i++) {
			const struct kfile *f = &fs->files[i];
			char m[8];
			if (!S_ISREG(f->mode) || !(f->mode & 06000))
				continue;
			audit_mode_str(f->mode, m);
			audit_ev_add(r, AUDIT_WARN, "image", fs->name, 0, "/%s is %s%s (mode %s, owner %u)", f->path,
			       f->mode & 04000 ? "setuid" : "", (f->mode & 06000) == 06000 ? " and setgid" : f->mode & 04000 ? "" : "setgid",
			       m, (unsigned)f->uid);
		}
		pass_if_clean(r, fs, before, "no setuid or setgid files");
	}
}

/* K2.2 */
static void c_world_writable(struct audit_ctx *ctx, struct audit_result *r)
{
	EACH_FS(fs) {
		size_t before = r->nev;
		for (size_t i = 0; i < fs->nfiles; i++) {
			const struct kfile *f = &fs->files[i];
			char m[8];
			if (S_ISLNK(f->mode) || !(f->mode & 0002))
				continue;
			if (S_ISDIR(f->mode) && (f->mode & 01000))
				continue; /* sticky, like /tmp */
			if (S_ISCHR(f->mode) || S_ISSOCK(f->mode) || S_ISFIFO(f->mode))
				continue;
			audit_mode_str(f->mode, m);
			audit_ev_add(r, AUDIT_WARN, "image", fs->name, 0, "/%s is world-writable (%s %s)", f->path,
			       S_ISDIR(f->mode) ? "directory" : "file", m);
		}
		pass_if_clean(r, fs, before, "no world-writable files or directories without the sticky bit");
	}
}

/* K2.3 */
static void c_keys(struct audit_ctx *ctx, struct audit_result *r)
{
	EACH_FS(fs) {
		size_t before = r->nev;
		for (size_t i = 0; i < fs->nfiles; i++) {
			const struct kfile *f = &fs->files[i];
			if (!S_ISREG(f->mode))
				continue;
			const char *b = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
			const char *why = NULL;
			if (f->private_key)
				why = "holds a private key";
			else if (!strcmp(b, ".netrc") || !strcmp(b, ".git-credentials") || !strcmp(b, ".pgpass") ||
				 !strcmp(b, ".dockercfg"))
				why = "is a credential file";
			else if (!strcmp(b, "credentials") && strstr(f->path, ".aws/"))
				why = "holds AWS credentials";
			else if (!strcmp(b, "config.json") && strstr(f->path, ".docker/") && f->data && strstr(f->data, "\"auth\""))
				why = "holds registry credentials";
			else if (!strcmp(b, ".npmrc") && f->data && strstr(f->data, "_auth"))
				why = "holds an npm token";
			else if (!strcmp(b, ".pypirc") && f->data && strstr(f->data, "password"))
				why = "holds a PyPI password";
			else if (!strcmp(b, ".env") && f->data && (strstr(f->data, "PASSWORD=") || strstr(f->data, "SECRET") || strstr(f->data, "TOKEN=")))
				why = "holds secrets";
			if (why)
				audit_ev_add(r, AUDIT_WARN, "image", fs->name, 0, "/%s %s", f->path, why);
		}
		pass_if_clean(r, fs, before, "no private keys or credential files");
	}
}

/* K2.4 */
static void pw_fields(struct audit_result *r, const struct kimagefs *fs, const char *path, const char *what)
{
	const struct kfile *f = kimagefs_find(fs, path);
	if (!f || !f->data)
		return;
	_cleanup_free_ char *copy = strdup(f->data);
	char *save = NULL;
	for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':');
		if (!c1 || line[0] == '#')
			continue;
		if (c1[1] == ':' || c1[1] == '\0')
			audit_ev_add(r, AUDIT_WARN, "image", fs->name, 0, "/%s: user %.*s has an empty %s field: login without a password",
			       path, (int)(c1 - line), line, what);
	}
}

static void c_empty_pw(struct audit_ctx *ctx, struct audit_result *r)
{
	EACH_FS(fs) {
		size_t before = r->nev;
		pw_fields(r, fs, "etc/shadow", "password");
		pw_fields(r, fs, "etc/passwd", "password");
		pass_if_clean(r, fs, before, "no empty password fields");
	}
}

/* K2.5 */
static void c_caches(struct audit_ctx *ctx, struct audit_result *r)
{
	static const struct { const char *dir, *what, *skip1, *skip2; } caches[] = {
		{ "var/cache/apt/archives", "apt package archives", "lock", "partial" },
		{ "var/lib/apt/lists", "apt package lists", "lock", "partial" },
		{ "var/cache/apk", "apk cache", NULL, NULL },
		{ "var/cache/yum", "yum cache", NULL, NULL },
		{ "var/cache/dnf", "dnf cache", NULL, NULL },
		{ "root/.cache/pip", "pip cache", NULL, NULL },
		{ "root/.npm/_cacache", "npm cache", NULL, NULL },
	};
	EACH_FS(fs) {
		size_t before = r->nev;
		for (size_t c = 0; c < ARRAY_SIZE(caches); c++) {
			size_t n = 0, l = strlen(caches[c].dir);
			long long bytes = 0;
			for (size_t i = 0; i < fs->nfiles; i++) {
				const struct kfile *f = &fs->files[i];
				if (!S_ISREG(f->mode) || strncmp(f->path, caches[c].dir, l) || f->path[l] != '/')
					continue;
				const char *rest = f->path + l + 1;
				if ((caches[c].skip1 && kstr_starts(rest, caches[c].skip1)) || (caches[c].skip2 && kstr_starts(rest, caches[c].skip2)))
					continue;
				n++;
				bytes += f->size;
			}
			if (n)
				audit_ev_add(r, AUDIT_WARN, "image", fs->name, 0, "%s left in /%s: %zu files, %lld bytes", caches[c].what,
				       caches[c].dir, n, bytes);
		}
		pass_if_clean(r, fs, before, "no package manager caches");
	}
}

static int present(const struct kimagefs *fs, const char *path)
{
	const struct kfile *f = kimagefs_find(fs, path);
	return f && (S_ISREG(f->mode) || S_ISLNK(f->mode));
}

/* K2.6 */
static void c_sshd(struct audit_ctx *ctx, struct audit_result *r)
{
	static const char *const paths[] = { "usr/sbin/sshd", "sbin/sshd", "usr/bin/sshd", "usr/local/sbin/sshd", "bin/sshd" };
	EACH_FS(fs) {
		size_t before = r->nev;
		for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
			if (present(fs, paths[i]))
				audit_ev_add(r, AUDIT_WARN, "image", fs->name, 0, "sshd present: /%s", paths[i]);
		pass_if_clean(r, fs, before, "no sshd");
	}
}

/* K2.7 */
static void c_shells(struct audit_ctx *ctx, struct audit_result *r)
{
	static const char *const shells[] = { "sh", "bash", "ash", "dash", "zsh", "ksh", "csh", "tcsh", "busybox" };
	static const char *const dirs[] = { "bin", "usr/bin", "sbin", "usr/sbin", "usr/local/bin" };
	EACH_FS(fs) {
		char found[512] = "";
		for (size_t d = 0; d < ARRAY_SIZE(dirs); d++)
			for (size_t s = 0; s < ARRAY_SIZE(shells); s++) {
				char p[64];
				snprintf(p, sizeof(p), "%s/%s", dirs[d], shells[s]);
				if (present(fs, p) && strlen(found) + strlen(p) + 3 < sizeof(found))
					snprintf(found + strlen(found), sizeof(found) - strlen(found), "%s/%s", *found ? ", " : "", p);
			}
		if (*found)
			audit_ev_add(r, AUDIT_INFO, "image", fs->name, 0, "shells present: %s", found);
		else
			audit_ev_add(r, AUDIT_PASS, "image", fs->name, 0, "no shell");
	}
}

#define N AUDIT_NEED_IMAGEFS
const struct audit_check audit_checks_imagefs[] = {
	{ "K2.1", "Ensure images contain no setuid or setgid files", 1, 0, AUDIT_SEV_MEDIUM, N,
	  "RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} + in the Dockerfile (kapsel also mounts nosuid).", c_setuid },
	{ "K2.2", "Ensure images contain no world-writable files", 1, 0, AUDIT_SEV_MEDIUM, N,
	  "chmod o-w the files; give world-writable directories the sticky bit.", c_world_writable },
	{ "K2.3", "Ensure images contain no private keys or credential files", 1, 0, AUDIT_SEV_CRITICAL, N,
	  "Remove keys and credentials from the image (and from every layer: rebuild); mount them at run time.", c_keys },
	{ "K2.4", "Ensure no account in the image has an empty password", 1, 0, AUDIT_SEV_HIGH, N,
	  "Lock the accounts (passwd -l, or '*' / '!' in /etc/shadow).", c_empty_pw },
	{ "K2.5", "Ensure package manager caches are not left in images", 1, 0, AUDIT_SEV_LOW, N,
	  "Clean the caches in the RUN that fills them (rm -rf /var/lib/apt/lists/*, apk --no-cache ...).", c_caches },
	{ "K2.6", "Ensure images do not contain sshd", 1, 0, AUDIT_SEV_MEDIUM, N,
	  "Remove the SSH server package from the image.", c_sshd },
	{ "K2.7", "Ensure images do not need a shell", 0, 0, AUDIT_SEV_INFO, N,
	  "Where the program allows it, build from a distroless or scratch base so there is no shell to abuse.", c_shells },
};
const size_t audit_nchecks_imagefs = ARRAY_SIZE(audit_checks_imagefs);
