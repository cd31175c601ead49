/* CIS section 4: images and build files, from the engine's images (inspect
 * and history), image tarballs and the containers' configured users. */
#include "internal.h"

#include "common/cleanup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 4.1: every container, running or not, docker or OCI bundle */
static void c_user(struct audit_ctx *ctx, struct audit_result *r)
{
	audit_ctx_containers(ctx);
	if (!ctx->api_ok && !ctx->o->oci_bundles) {
		audit_res_skip(r, "no containers to look at: %s", ctx->api_error ? ctx->api_error : "no daemon");
		return;
	}
	for (size_t i = 0; i < ctx->nconts; i++) {
		const struct kcont *c = &ctx->conts[i];
		if (audit_user_is_root(c->user))
			audit_ev_cont(r, c, AUDIT_WARN, "runs as root (user \"%s\")", c->user);
		else
			audit_ev_cont(r, c, AUDIT_PASS, "runs as user \"%s\"", c->user);
	}
	if (!ctx->nconts)
		audit_res_set(r, AUDIT_PASS, "no containers");
}

/* 4.5: content trust in the auditing environment */
static void c_content_trust(struct audit_ctx *ctx, struct audit_result *r)
{
	(void)ctx;
	const char *v = getenv("DOCKER_CONTENT_TRUST");
	if (v && !strcmp(v, "1"))
		audit_ev_add(r, AUDIT_PASS, "host", "DOCKER_CONTENT_TRUST", 0, "DOCKER_CONTENT_TRUST=1");
	else
		audit_ev_add(r, AUDIT_WARN, "host", "DOCKER_CONTENT_TRUST", 0, "DOCKER_CONTENT_TRUST is %s%s%s", v ? "\"" : "not set",
		       v ? v : "", v ? "\"" : "");
}

static int has_healthcheck(json_object *cfg)
{
	json_object *t = kj_get(kj_get(cfg, "Healthcheck"), "Test");
	return t && json_object_is_type(t, json_type_array) && json_object_array_length(t) > 0 &&
	       strcmp(kj_str(json_object_array_get_idx(t, 0)), "NONE");
}

/* 4.6: engine images and image tarballs */
static void c_healthcheck(struct audit_ctx *ctx, struct audit_result *r)
{
	audit_ctx_images(ctx);
	audit_ctx_imagefs(ctx);
	for (size_t i = 0; i < ctx->nimgs; i++) {
		const struct audit_image *im = &ctx->imgs[i];
		if (has_healthcheck(kj_get(im->inspect, "Config")))
			audit_ev_add(r, AUDIT_PASS, "image", im->name, 0, "HEALTHCHECK set");
		else
			audit_ev_add(r, AUDIT_WARN, "image", im->name, 0, "no HEALTHCHECK");
	}
	for (size_t i = 0; i < ctx->nfs; i++) {
		const struct kimagefs *fs = &ctx->fs[i];
		if (fs->error)
			continue;
		if (has_healthcheck(kj_get(fs->config, "config")))
			audit_ev_add(r, AUDIT_PASS, "image", fs->name, 0, "HEALTHCHECK set");
		else
			audit_ev_add(r, AUDIT_WARN, "image", fs->name, 0, "no HEALTHCHECK");
	}
	if (!r->nev)
		audit_res_skip(r, "no images: %s", ctx->api_ok ? "the engine has none and no --image was given" : ctx->api_error ? ctx->api_error : "no daemon");
}

/* Each history entry's command, for 4.7 and 4.9. */
static void history_scan(struct audit_ctx *ctx, struct audit_result *r, int (*match)(const char *), const char *what)
{
	audit_ctx_images(ctx);
	for (size_t i = 0; i < ctx->nimgs; i++) {
		const struct audit_image *im = &ctx->imgs[i];
		json_object *h = im->history;
		int found = 0;
		for (size_t k = 0; h && json_object_is_type(h, json_type_array) && k < json_object_array_length(h) && !found; k++) {
			const char *cb = kj_get_str(json_object_array_get_idx(h, k), "CreatedBy");
			if (cb && match(cb)) {
				audit_ev_add(r, AUDIT_INFO, "image", im->name, 0, "%s: %.160s", what, cb);
				found = 1;
			}
		}
		if (!found)
			audit_ev_add(r, AUDIT_PASS, "image", im->name, 0, "no %s", what);
	}
	if (!ctx->nimgs)
		audit_res_set(r, AUDIT_PASS, "no images");
}

static int update_alone(const char *cb)
{
	static const char *const upd[] = { "apt-get update", "apt update", "apk update", "yum update", "dnf update",
					   "zypper refresh", "apt-get upgrade", "apk upgrade" };
	static const char *const inst[] = { "install", "apk add" };
	int u = 0, in = 0;
	for (size_t i = 0; i < ARRAY_SIZE(upd); i++)
		u |= strstr(cb, upd[i]) != NULL;
	for (size_t i = 0; i < ARRAY_SIZE(inst); i++)
		in |= strstr(cb, inst[i]) != NULL;
	return u && !in;
}

static void c_update(struct audit_ctx *ctx, struct audit_result *r)
{
	history_scan(ctx, r, update_alone, "update instruction without an install in the same layer");
}

static int add_instr(const char *cb)
{
	const char *p = strstr(cb, "#(nop) ");
	if (p)
		cb = p + 7;
	while (*cb == ' ')
		cb++;
	return kstr_starts(cb, "ADD ");
}

static void c_add(struct audit_ctx *ctx, struct audit_result *r)
{
	history_scan(ctx, r, add_instr, "ADD instruction");
}

/* 4.8: with image tarballs the setuid files are listed (K2.1 judges them) */
static void c_setuid(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!ctx->o->image_tars) {
		audit_res_set(r, AUDIT_NOTE, "manual check; give image tarballs with --image to have them searched (K2.1)");
		return;
	}
	audit_ctx_imagefs(ctx);
	for (size_t i = 0; i < ctx->nfs; i++) {
		size_t n = 0;
		for (size_t k = 0; k < ctx->fs[i].nfiles; k++) {
			const struct kfile *f = &ctx->fs[i].files[k];
			n += (f->mode & 0170000) == 0100000 && (f->mode & 06000);
		}
		audit_ev_add(r, n ? AUDIT_INFO : AUDIT_PASS, "image", ctx->fs[i].name, 0, "%zu setuid/setgid files (see K2.1)", n);
	}
}

/* 4.10: secret-looking variables baked into images */
static void c_secrets(struct audit_ctx *ctx, struct audit_result *r)
{
	audit_ctx_images(ctx);
	audit_ctx_imagefs(ctx);
	size_t total = ctx->nimgs + ctx->nfs;
	for (size_t i = 0; i < total; i++) {
		json_object *env;
		const char *name;
		if (i < ctx->nimgs) {
			env = kj_get(kj_get(ctx->imgs[i].inspect, "Config"), "Env");
			name = ctx->imgs[i].name;
		} else {
			env = kj_get(kj_get(ctx->fs[i - ctx->nimgs].config, "config"), "Env");
			name = ctx->fs[i - ctx->nimgs].name;
		}
		int found = 0;
		for (size_t k = 0; env && json_object_is_type(env, json_type_array) && k < json_object_array_length(env); k++) {
			const char *kv = kj_str(json_object_array_get_idx(env, k));
			const char *eq = strchr(kv, '=');
			char key[256];
			snprintf(key, sizeof(key), "%.*s", (int)(eq ? (size_t)(eq - kv) : strlen(kv)), kv);
			if (audit_secret_name(key) && eq && eq[1]) {
				audit_ev_add(r, AUDIT_INFO, "image", name, 0, "environment variable %s has a value baked into the image", key);
				found = 1;
			}
		}
		if (!found)
			audit_ev_add(r, AUDIT_PASS, "image", name, 0, "no secret-looking environment variables");
	}
	if (!total)
		audit_res_set(r, AUDIT_NOTE, "manual check: no images to look at");
}

const struct audit_check audit_checks_images[] = {
	{ "4.1", "Ensure that a user for the container has been created", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Create a user in the image (USER in the Dockerfile) or run with --user UID:GID; kapsel runs as non-root by default.", c_user },
	{ "4.2", "Ensure that containers use only trusted base images", 0, 1, AUDIT_SEV_MEDIUM, 0,
	  "Build from base images you trust, pinned by digest.", audit_check_manual },
	{ "4.3", "Ensure that unnecessary packages are not installed in the container", 0, 1, AUDIT_SEV_LOW, 0,
	  "Keep images minimal; K2.5 and K2.7 find caches and shells in image tarballs.", audit_check_manual },
	{ "4.4", "Ensure images are scanned and rebuilt to include security patches", 0, 1, AUDIT_SEV_HIGH, 0,
	  "Scan images regularly (kapsel scan) and rebuild them on fixes.", audit_check_manual },
	{ "4.5", "Ensure Content trust for Docker is Enabled", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "export DOCKER_CONTENT_TRUST=1 for the users and services that pull images.", c_content_trust },
	{ "4.6", "Ensure that HEALTHCHECK instructions have been added to container images", 1, 0, AUDIT_SEV_LOW, 0,
	  "Add a HEALTHCHECK instruction to the Dockerfile.", c_healthcheck },
	{ "4.7", "Ensure update instructions are not used alone in the Dockerfile", 0, 1, AUDIT_SEV_LOW, AUDIT_NEED_API,
	  "Update and install in the same RUN (apt-get update && apt-get install ...).", c_update },
	{ "4.8", "Ensure setuid and setgid permissions are removed", 0, 1, AUDIT_SEV_MEDIUM, 0,
	  "Remove the setuid/setgid bits of binaries the container does not need (chmod a-s) in the Dockerfile.", c_setuid },
	{ "4.9", "Ensure that COPY is used instead of ADD in Dockerfiles", 0, 1, AUDIT_SEV_LOW, AUDIT_NEED_API,
	  "Use COPY for local files; fetch remote files with a verified download.", c_add },
	{ "4.10", "Ensure secrets are not stored in Dockerfiles", 0, 1, AUDIT_SEV_HIGH, 0,
	  "Pass secrets at run time (secrets, mounted files), never as ENV/ARG in the image.", c_secrets },
	{ "4.11", "Ensure only verified packages are installed", 0, 1, AUDIT_SEV_MEDIUM, 0,
	  "Install packages only from signed repositories and verify downloads by checksum.", audit_check_manual },
	{ "4.12", "Ensure all signed artifacts are validated", 0, 1, AUDIT_SEV_MEDIUM, 0,
	  "Verify signatures of images and artifacts before use.", audit_check_manual },
};
const size_t audit_nchecks_images = ARRAY_SIZE(audit_checks_images);
