/* kapsel's Dockerfile lint (K3).  Each finding names the file and line;
 * a `# kapsel-audit ignore=ID` comment before an instruction (or
 * `ignore-file=ID` anywhere) suppresses it. */
#include "internal.h"

#include "common/cleanup.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void df_ev(struct audit_result *r, const struct kdockerfile *df, const struct kinstr *in, enum audit_level lvl,
		  const char *fmt, const char *a1, const char *a2)
{
	if (lvl != AUDIT_PASS && kdockerfile_ignored(df, in, r->check->id)) {
		r->suppressed++;
		return;
	}
	char msg[1024];
	snprintf(msg, sizeof(msg), fmt, a1 ? a1 : "", a2 ? a2 : "");
	audit_ev_add(r, lvl, "dockerfile", df->path, in ? in->line : 0, "%s", msg);
}

#define EACH_DF(df) \
	audit_ctx_dockerfiles(ctx); \
	for (const struct kdockerfile *df = ctx->dfs; df < ctx->dfs + ctx->ndfs; df++)

static int last_stage(const struct kdockerfile *df)
{
	return df->nstages ? df->nstages - 1 : 0;
}

/* K3.1 */
static void c_user(struct audit_ctx *ctx, struct audit_result *r)
{
	EACH_DF(df) {
		const struct kinstr *last = NULL;
		for (size_t i = 0; i < df->nins; i++)
			if (df->ins[i].stage == last_stage(df) && !strcmp(df->ins[i].cmd, "USER"))
				last = &df->ins[i];
		if (!last)
			df_ev(r, df, NULL, AUDIT_WARN, "no USER instruction in the final stage: the container runs as root", NULL, NULL);
		else if (audit_user_is_root(last->args))
			df_ev(r, df, last, AUDIT_WARN, "the last USER is %s", last->args, NULL);
		else
			df_ev(r, df, last, AUDIT_PASS, "runs as %s", last->args, NULL);
	}
}

/* K3.2 */
static void c_base(struct audit_ctx *ctx, struct audit_result *r)
{
	EACH_DF(df) {
		char **stages = calloc(1, sizeof(char *));
		for (size_t i = 0; i < df->nins; i++) {
			const struct kinstr *in = &df->ins[i];
			if (strcmp(in->cmd, "FROM"))
				continue;
			_cleanup_strv_ char **w = kstrv_split(in->args, " \t");
			size_t k = 0;
			while (w && w[k] && kstr_starts(w[k], "--"))
				k++;
			const char *img = w ? w[k] : NULL;
			if (w && w[k] && w[k + 1] && !strcasecmp(w[k + 1], "AS") && w[k + 2])
				kstrv_add(&stages, w[k + 2]);
			if (!img)
				continue;
			if (!strcmp(img, "scratch") || kstrv_contains(stages, img) || strchr(img, '$'))
				continue;
			const char *slash = strrchr(img, '/');
			const char *colon = strchr(slash ? slash : img, ':');
			if (strchr(img, '@'))
				df_ev(r, df, in, AUDIT_PASS, "base %s pinned by digest", img, NULL);
			else if (!colon)
				df_ev(r, df, in, AUDIT_WARN, "base image %s has no tag and no digest", img, NULL);
			else if (!strcmp(colon + 1, "latest"))
				df_ev(r, df, in, AUDIT_WARN, "base image %s is :latest without a digest", img, NULL);
			else
				df_ev(r, df, in, AUDIT_INFO, "base image %s is tagged but not pinned by digest", img, NULL);
		}
		kstrv_free(stages);
	}
}

/* K3.3 */
static void c_add(struct audit_ctx *ctx, struct audit_result *r)
{
	EACH_DF(df) {
		for (size_t i = 0; i < df->nins; i++) {
			const struct kinstr *in = &df->ins[i];
			if (strcmp(in->cmd, "ADD"))
				continue;
			int url = strstr(in->args, "http://") || strstr(in->args, "https://") || strstr(in->args, "git@");
			if (url && strstr(in->args, "--checksum="))
				df_ev(r, df, in, AUDIT_PASS, "ADD of a remote file with --checksum", NULL, NULL);
			else if (url)
				df_ev(r, df, in, AUDIT_WARN, "ADD fetches %s without a checksum", in->args, NULL);
			else
				df_ev(r, df, in, AUDIT_WARN, "ADD for local files (%s): use COPY", in->args, NULL);
		}
	}
}

static int has_word(const char *s, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = strstr(s, w); p; p = strstr(p + 1, w)) {
		char b = p > s ? p[-1] : ' ';
		char a = p[n];
		if ((isspace((unsigned char)b) || b == ';' || b == '&' || b == '|' || b == '(' || b == '"' || b == '[') &&
		    (isspace((unsigned char)a) || a == '\0' || a == ';' || a == '"' || a == ','))
			return 1;
	}
	return 0;
}

#define EACH_RUN(df, in) \
	for (const struct kinstr *in = df->ins; in < df->ins + df->nins; in++) \
		if (!strcmp(in->cmd, "RUN"))

/* WORD used as a command: at the start or after ; && || | ( ` $( */
static int has_command(const char *s, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = strstr(s, w); p; p = strstr(p + 1, w)) {
		char a = p[n];
		if (!(isspace((unsigned char)a) || a == '\0' || a == ';'))
			continue;
		const char *b = p;
		while (b > s && isspace((unsigned char)b[-1]))
			b--;
		if (b == s || b[-1] == ';' || b[-1] == '&' || b[-1] == '|' || b[-1] == '(' || b[-1] == '`' || b[-1] == '"' ||
		    b[-1] == '[')
			return 1;
	}
	return 0;
}

/* K3.4 */
static void c_sudo(struct audit_ctx *ctx, struct audit_result *r)
{
	EACH_DF(df) {
		EACH_RUN(df, in) {
			if (has_command(in->args, "sudo"))
				df_ev(r, df, in, AUDIT_WARN, "sudo in RUN: %.120s", in->args, NULL);
		}
	}
}

/* K3.5: curl or wget whose output is piped into a shell or interpreter */
static void c_pipe_shell(struct audit_ctx *ctx, struct audit_result *r)
{
	static const char *const shells[] = { "sh", "bash", "ash", "dash", "zsh", "ksh", "python", "python3", "perl",
					      "ruby", "sudo" };
	EACH_DF(df) {
		EACH_RUN(df, in) {
			_cleanup_strv_ char **segs = kstrv_split(in->args, "|");
			int fetch = 0;
			for (size_t k = 0; segs && segs[k]; k++) {
				if (k && fetch) {
					const char *p = segs[k];
					while (isspace((unsigned char)*p))
						p++;
					char word[32];
					size_t n = strcspn(p, " \t;&)");
					snprintf(word, sizeof(word), "%.*s", (int)n, p);
					const char *b = strrchr(word, '/') ? strrchr(word, '/') + 1 : word;
					for (size_t s = 0; s < ARRAY_SIZE(shells); s++)
						if (!strcmp(b, shells[s])) {
							df_ev(r, df, in, AUDIT_WARN, "download piped into %s: %.120s", b, in->args);
							goto next;
						}
				}
				fetch = has_word(segs[k], "curl") || has_word(segs[k], "wget");
			}
		next:;
		}
	}
}

/* K3.6 */
static void c_caches(struct audit_ctx *ctx, struct audit_result *r)
{
	EACH_DF(df) {
		EACH_RUN(df, in) {
			const char *a = in->args;
			if ((strstr(a, "apt-get install") || strstr(a, "apt install")) && !strstr(a, "/var/lib/apt/lists"))
				df_ev(r, df, in, AUDIT_WARN, "apt install without removing /var/lib/apt/lists in the same RUN", NULL, NULL);
			if (strstr(a, "apk add") && !strstr(a, "--no-cache") && !strstr(a, "/var/cache/apk"))
				df_ev(r, df, in, AUDIT_WARN, "apk add without --no-cache", NULL, NULL);
			if ((strstr(a, "yum install") || strstr(a, "dnf install")) && !strstr(a, "clean all"))
				df_ev(r, df, in, AUDIT_WARN, "yum/dnf install without clean all", NULL, NULL);
			if ((strstr(a, "pip install") || strstr(a, "pip3 install")) && !strstr(a, "--no-cache-dir"))
				df_ev(r, df, in, AUDIT_WARN, "pip install without --no-cache-dir", NULL, NULL);
		}
	}
}

/* K3.7: ENV and ARG names that look like secrets */
static void c_secrets(struct audit_ctx *ctx, struct audit_result *r)
{
	EACH_DF(df) {
		for (const struct kinstr *in = df->ins; in < df->ins + df->nins; in++) {
			if (strcmp(in->cmd, "ENV") && strcmp(in->cmd, "ARG"))
				continue;
			_cleanup_strv_ char **w = kstrv_split(in->args, " \t");
			int legacy = !strcmp(in->cmd, "ENV") && w && w[0] && !strchr(w[0], '=');
			for (size_t k = 0; w && w[k]; k++) {
				char name[256];
				snprintf(name, sizeof(name), "%.*s", (int)strcspn(w[k], "="), w[k]);
				if (audit_secret_name(name))
					df_ev(r, df, in, AUDIT_WARN, "%s %s looks like a secret: it stays in the image", in->cmd, name);
				if (legacy)
					break;
			}
		}
	}
}

/* K3.8 */
static void c_healthcheck(struct audit_ctx *ctx, struct audit_result *r)
{
	EACH_DF(df) {
		const struct kinstr *hc = NULL;
		for (size_t i = 0; i < df->nins; i++)
			if (df->ins[i].stage == last_stage(df) && !strcmp(df->ins[i].cmd, "HEALTHCHECK"))
				hc = &df->ins[i];
		if (!hc)
			df_ev(r, df, NULL, AUDIT_WARN, "no HEALTHCHECK in the final stage", NULL, NULL);
		else if (!strcasecmp(hc->args, "NONE"))
			df_ev(r, df, hc, AUDIT_WARN, "HEALTHCHECK NONE", NULL, NULL);
		else
			df_ev(r, df, hc, AUDIT_PASS, "HEALTHCHECK set", NULL, NULL);
	}
}

/* K3.9 */
static void c_expose22(struct audit_ctx *ctx, struct audit_result *r)
{
	EACH_DF(df) {
		for (const struct kinstr *in = df->ins; in < df->ins + df->nins; in++) {
			if (strcmp(in->cmd, "EXPOSE"))
				continue;
			_cleanup_strv_ char **w = kstrv_split(in->args, " \t");
			for (size_t k = 0; w && w[k]; k++)
				if (!strcmp(w[k], "22") || kstr_starts(w[k], "22/"))
					df_ev(r, df, in, AUDIT_WARN, "EXPOSE %s: SSH in a container", w[k], NULL);
		}
	}
}

/* K3.10 */
static void c_multi_cmd(struct audit_ctx *ctx, struct audit_result *r)
{
	static const char *const which[] = { "CMD", "ENTRYPOINT" };
	EACH_DF(df) {
		for (int s = 0; s < (df->nstages ? df->nstages : 1); s++) {
			for (size_t w = 0; w < 2; w++) {
				const struct kinstr *first = NULL;
				for (const struct kinstr *in = df->ins; in < df->ins + df->nins; in++) {
					if (in->stage != s || strcmp(in->cmd, which[w]))
						continue;
					if (first)
						df_ev(r, df, in, AUDIT_WARN, "more than one %s in a stage: only the last takes effect", which[w], NULL);
					first = in;
				}
			}
		}
	}
}

/* K3.11 (CIS 4.7 for Dockerfiles) */
static void c_update_alone(struct audit_ctx *ctx, struct audit_result *r)
{
	EACH_DF(df) {
		EACH_RUN(df, in) {
			const char *a = in->args;
			int upd = strstr(a, "apt-get update") || strstr(a, "apt update") || strstr(a, "apk update") ||
				  strstr(a, "yum update") || strstr(a, "dnf update");
			if (upd && !strstr(a, "install") && !strstr(a, "apk add") && !strstr(a, "upgrade"))
				df_ev(r, df, in, AUDIT_WARN, "package index update without an install in the same RUN", NULL, NULL);
		}
	}
}

/* Checks with no finding get a PASS per file. */
#define DF_CHECK(fn) \
	static void fn##_all(struct audit_ctx *ctx, struct audit_result *r) \
	{ \
		fn(ctx, r); \
		for (size_t i = 0; i < ctx->ndfs; i++) { \
			int any = 0; \
			for (size_t k = 0; k < r->nev && !any; k++) \
				any = !strcmp(r->ev[k].object, ctx->dfs[i].path); \
			if (!any) \
				audit_ev_add(r, AUDIT_PASS, "dockerfile", ctx->dfs[i].path, 0, "no finding"); \
		} \
	}
DF_CHECK(c_user)
DF_CHECK(c_base)
DF_CHECK(c_add)
DF_CHECK(c_sudo)
DF_CHECK(c_pipe_shell)
DF_CHECK(c_caches)
DF_CHECK(c_secrets)
DF_CHECK(c_healthcheck)
DF_CHECK(c_expose22)
DF_CHECK(c_multi_cmd)
DF_CHECK(c_update_alone)

#define N AUDIT_NEED_DOCKERFILE
const struct audit_check audit_checks_dockerfile[] = {
	{ "K3.1", "Ensure the Dockerfile's final USER is not root", 1, 0, AUDIT_SEV_HIGH, N,
	  "End the final stage with USER NAME (or UID:GID) of an unprivileged user.", c_user_all },
	{ "K3.2", "Ensure base images are tagged and pinned by digest", 1, 0, AUDIT_SEV_MEDIUM, N,
	  "FROM image:tag@sha256:DIGEST.", c_base_all },
	{ "K3.3", "Ensure COPY is used instead of ADD", 1, 0, AUDIT_SEV_LOW, N,
	  "Use COPY for local files; for downloads, ADD --checksum= or a verified fetch.", c_add_all },
	{ "K3.4", "Ensure sudo is not used in RUN", 1, 0, AUDIT_SEV_MEDIUM, N,
	  "RUN runs as root during the build already; do not install or use sudo.", c_sudo_all },
	{ "K3.5", "Ensure downloads are not piped into a shell", 1, 0, AUDIT_SEV_HIGH, N,
	  "Download to a file, verify its checksum or signature, then run it.", c_pipe_shell_all },
	{ "K3.6", "Ensure package manager caches are cleaned in the same RUN", 1, 0, AUDIT_SEV_LOW, N,
	  "apt-get install ... && rm -rf /var/lib/apt/lists/*; apk add --no-cache; pip install --no-cache-dir.", c_caches_all },
	{ "K3.7", "Ensure secrets are not passed in ENV or ARG", 1, 0, AUDIT_SEV_HIGH, N,
	  "Use build secrets (RUN --mount=type=secret) and runtime secrets instead of ENV/ARG.", c_secrets_all },
	{ "K3.8", "Ensure the Dockerfile has a HEALTHCHECK", 1, 0, AUDIT_SEV_LOW, N,
	  "Add HEALTHCHECK CMD ... to the final stage.", c_healthcheck_all },
	{ "K3.9", "Ensure port 22 is not exposed", 1, 0, AUDIT_SEV_MEDIUM, N,
	  "Remove EXPOSE 22 and sshd; use docker exec.", c_expose22_all },
	{ "K3.10", "Ensure a stage has at most one CMD and one ENTRYPOINT", 1, 0, AUDIT_SEV_LOW, N,
	  "Keep a single CMD and a single ENTRYPOINT per stage.", c_multi_cmd_all },
	{ "K3.11", "Ensure package index updates are not used alone in a RUN", 1, 0, AUDIT_SEV_LOW, N,
	  "apt-get update && apt-get install -y ... in one RUN.", c_update_alone_all },
};
const size_t audit_nchecks_dockerfile = ARRAY_SIZE(audit_checks_dockerfile);
