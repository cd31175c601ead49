/* Credentials of `kapsel login` (registry.h): the auth file in the shape
 * of Docker's config.json, {"auths": {"HOST[:PORT]": {"auth":
 * base64("user:password")}}}, written 0600 by rename; other keys of the
 * file are kept as they are.  A read-modify-write (login, logout) holds
 * an exclusive flock on FILE.lock beside it, so two concurrent logins to
 * different registries both end up in the file.  A file naming a
 * credential helper for the registry (credHelpers, credsStore) keeps them
 * in the helper instead (registry_cred.c). */
#include "image/registry.h"
#include "image/registry_int.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/str.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* The auth file's document (an empty one when FILE does not exist). */
static json_object *read_auth(const char *file, kerr *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (kfs_read_file(file, &buf, &len, e) < 0) {
		if (e->errnum == ENOENT) {
			kerr_clear(e);
			return json_object_new_object();
		}
		return NULL;
	}
	json_object *j = kj_parse(file, buf, len, e);
	if (j && !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		kerr_msg(e, EINVAL, "%s: expected an object", file);
		return NULL;
	}
	json_object *auths = j ? kj_get(j, "auths") : NULL;
	if (auths && !json_object_is_type(auths, json_type_object)) {
		json_object_put(j);
		kerr_msg(e, EINVAL, "%s: auths: expected an object", file);
		return NULL;
	}
	return j;
}

/* Docker Hub is stored under Docker's own key too. */
static const char *hub_key(const char *registry)
{
	return strcmp(registry, KREG_DOCKER_HUB) ? NULL : "https://index.docker.io/v1/";
}

int kreg_auth_lookup(const char *file, const char *registry, char **out, kerr *e)
{
	*out = NULL;
	if (!file)
		return 0;
	_cleanup_json_ json_object *j = read_auth(file, e);
	if (!j)
		return -1;
	const char *helper = kreg_cred_helper(j, registry, hub_key(registry));
	if (helper)
		return kreg_cred_get(helper, hub_key(registry) ? hub_key(registry) : registry, out, e) < 0
			       ? kerr_wrap(e, "%s", file)
			       : 0;
	json_object *auths = kj_get(j, "auths");
	json_object *ent = kj_get(auths, registry);
	if (!ent && hub_key(registry))
		ent = kj_get(auths, hub_key(registry));
	if (!ent)
		return 0;
	const char *a = kj_get_str(ent, "auth");
	if (!a || !*a)
		return kerr_msg(e, EINVAL, "%s: auths.%s.auth: expected base64(user:password)", file, registry);
	unsigned char dec[1024];
	size_t al = strlen(a);
	int dn = al < 4 * (sizeof(dec) / 3) ? EVP_DecodeBlock(dec, (const unsigned char *)a, (int)al) : -1;
	if (dn < 0 || !memchr(dec, ':', (size_t)dn))
		return kerr_msg(e, EINVAL, "%s: auths.%s.auth: not base64 of user:password", file, registry);
	return (*out = strdup(a)) ? 0 : kerr_set(e, ENOMEM, "%s", file);
}

/* The exclusive lock of FILE's read-modify-write: FILE.lock, made 0600
 * (never through a symlink) in FILE's directory, made 0700. */
static int lock_auth(const char *file, kerr *e)
{
	_cleanup_free_ char *dir = strdup(file), *lock = kstr_printf("%s.lock", file);
	if (!dir || !lock)
		return kerr_set(e, ENOMEM, "%s", file);
	if (kfs_mkdir_p(dirname(dir), 0700, e) < 0)
		return -1;
	int fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return kerr_errno(e, "open %s", lock);
	int r;
	while ((r = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		kerr_errno(e, "flock %s", lock);
		close(fd);
		return -1;
	}
	return fd;
}

static int write_auth(const char *file, json_object *j, kerr *e)
{
	const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	return kfs_write_file(file, text, strlen(text), 0600, 1, e);
}

int kreg_auth_store(const char *file, const char *registry, const char *user, const char *password, kerr *e)
{
	_cleanup_close_ int lk = lock_auth(file, e);
	if (lk < 0)
		return -1;
	_cleanup_json_ json_object *j = read_auth(file, e);
	if (!j)
		return -1;
	const char *helper = kreg_cred_helper(j, registry, hub_key(registry));
	if (helper)
		return kreg_cred_store(helper, hub_key(registry) ? hub_key(registry) : registry, user, password, e);
	json_object *auths = kj_get(j, "auths");
	if (!auths) {
		auths = json_object_new_object();
		json_object_object_add(j, "auths", auths);
	}
	_cleanup_free_ char *pair = NULL, *b = NULL;
	if (!(pair = kstr_printf("%s:%s", user, password)) || !(b = kstr_base64(pair, strlen(pair))))
		return kerr_set(e, ENOMEM, "%s", file);
	json_object *ent = json_object_new_object();
	json_object_object_add(ent, "auth", json_object_new_string(b));
	json_object_object_add(auths, registry, ent);
	explicit_bzero(pair, strlen(pair));
	return write_auth(file, j, e);
}

int kreg_logout(const char *registry, const char *auth_file, kerr *e)
{
	_cleanup_close_ int lk = lock_auth(auth_file, e);
	if (lk < 0)
		return -1;
	_cleanup_json_ json_object *j = read_auth(auth_file, e);
	if (!j)
		return -1;
	const char *helper = kreg_cred_helper(j, registry, hub_key(registry));
	if (helper)
		return kreg_cred_erase(helper, hub_key(registry) ? hub_key(registry) : registry, e);
	json_object *auths = kj_get(j, "auths");
	int had = 0;
	if (kj_get(auths, registry)) {
		json_object_object_del(auths, registry);
		had = 1;
	}
	if (hub_key(registry) && kj_get(auths, hub_key(registry))) {
		json_object_object_del(auths, hub_key(registry));
		had = 1;
	}
	if (!had)
		return kerr_msg(e, ENOENT, "not logged in to %s (%s)", registry, auth_file);
	return write_auth(auth_file, j, e);
}

int kreg_login(const char *registry, const char *user, const char *password, const struct kreg_opts *o, kerr *e)
{
	if (!o->auth_file)
		return kerr_msg(e, EINVAL, "login %s: no auth file", registry);
	if (!*user || strchr(user, ':'))
		return kerr_msg(e, EINVAL, "login %s: the user name may not be empty or contain ':'", registry);
	struct kreg r;
	struct kreg_opts anon = *o;
	anon.auth_file = NULL; /* the credentials given, not the stored ones */
	if (kreg_open(&r, registry, NULL, &anon, 0, e) < 0)
		return kerr_wrap(e, "login %s", registry);
	_cleanup_free_ char *pair = NULL;
	if (!(pair = kstr_printf("%s:%s", user, password)) || !(r.basic = kstr_base64(pair, strlen(pair)))) {
		kreg_close(&r);
		return kerr_set(e, ENOMEM, "login %s", registry);
	}
	explicit_bzero(pair, strlen(pair));
	struct kreg_resp p = { 0 };
	int rc = kreg_request(&r, "GET", "/v2/", NULL, NULL, -1, 0, &p, e);
	if (rc == 0 && p.status == 401)
		rc = kerr_msg(e, EACCES, "unauthorized: the registry refused user %s", user);
	else if (rc == 0 && p.status != 200)
		rc = kreg_status_error(&p, "GET /v2/", e);
	kreg_resp_clear(&p);
	kreg_close(&r);
	if (rc < 0)
		return kerr_wrap(e, "login %s", registry);
	if (kreg_auth_store(o->auth_file, registry, user, password, e) < 0)
		return kerr_wrap(e, "login %s", registry);
	return 0;
}
