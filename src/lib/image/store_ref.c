/* Names and references of the image store (store.h): the name grammar
 * (Docker's reference syntax, docker.io/library/ dropped as Docker shows
 * it), resolving a reference, tag and rmi. */
#include "image/store.h"
#include "image/store_int.h"

#include "common/cleanup.h"
#include "common/sha256.h"
#include "common/strv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128

static int is_hex(const char *s)
{
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return 0;
	return 1;
}

/* A path component: lower-case letters and digits, '.', '_', '-' between. */
static int good_component(const char *p, size_t n)
{
	if (!n || !isalnum((unsigned char)p[0]) || !isalnum((unsigned char)p[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)p[i]) || isdigit((unsigned char)p[i]) || strchr("._-", p[i])))
			return 0;
	return 1;
}

/* A registry host: letters, digits, '.', '-', and an optional :PORT. */
static int good_host(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t hn = colon ? (size_t)(colon - p) : n;
	if (!hn)
		return 0;
	for (size_t i = 0; i < hn; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '.' && p[i] != '-')
			return 0;
	if (colon) {
		if (colon + 1 == p + n)
			return 0;
		for (const char *q = colon + 1; q < p + n; q++)
			if (!isdigit((unsigned char)*q))
				return 0;
	}
	return 1;
}

/* Split NAME[:TAG] and check the repository; the tag is "" when absent. */
static int check_repo(const char *name, size_t len, kerr *e)
{
	const char *p = name, *end = name + len;
	const char *slash = memchr(p, '/', len);
	if (slash) {
		size_t fl = (size_t)(slash - p);
		int hostlike = memchr(p, '.', fl) || memchr(p, ':', fl) || (fl == 9 && !strncmp(p, "localhost", 9));
		if (hostlike) {
			if (!good_host(p, fl))
				return -1;
			p = slash + 1;
		}
	}
	while (p < end) {
		const char *s = memchr(p, '/', (size_t)(end - p));
		size_t n = s ? (size_t)(s - p) : (size_t)(end - p);
		if (!good_component(p, n))
			return -1;
		p += n + (s ? 1 : 0);
		if (s && p == end)
			return -1;
	}
	(void)e;
	return 0;
}

char *kstore_norm_name(const char *name, kerr *e)
{
	size_t len = strlen(name);
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');
	size_t rlen = colon ? (size_t)(colon - name) : len;
	const char *tag = colon ? colon + 1 : "latest";
	if (!len || len > NAME_MAX_LEN || strchr(name, '@') || check_repo(name, rlen, e) < 0) {
		kerr_msg(e, EINVAL, "invalid reference format: \"%.300s\"", name);
		return NULL;
	}
	size_t tl = strlen(tag);
	int ok = tl && tl <= TAG_MAX_LEN && tag[0] != '.' && tag[0] != '-';
	for (size_t i = 0; ok && i < tl; i++)
		ok = isalnum((unsigned char)tag[i]) || strchr("._-", tag[i]);
	if (!ok) {
		kerr_msg(e, EINVAL, "invalid reference format: \"%.300s\": bad tag", name);
		return NULL;
	}
	const char *repo = name;
	if (!strncmp(repo, "docker.io/", 10) || !strncmp(repo, "index.docker.io/", 16))
		repo = strchr(repo, '/') + 1;
	if (repo != name && !strncmp(repo, "library/", 8) && !memchr(repo + 8, '/', rlen - (size_t)(repo - name) - 8))
		repo += 8;
	char *out;
	if (asprintf(&out, "%.*s:%s", (int)(rlen - (size_t)(repo - name)), repo, tag) < 0) {
		kerr_set(e, ENOMEM, "%s", name);
		return NULL;
	}
	return out;
}

size_t kstore_repo_len(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');
	return colon ? (size_t)(colon - name) : strlen(name);
}

static int has_repo(const struct kstore_image *img, const char *repo)
{
	size_t n = strlen(repo);
	for (char **nm = img->names; nm && *nm; nm++)
		if (!strncmp(*nm, repo, n) && (*nm)[n] == ':')
			return 1;
	return 0;
}

/* NAME@DIGEST: an image with that manifest digest (or ID) and name. */
static int resolve_digest_ref(const struct kstore *s, const char *ref, const struct kstore_image **out, kerr *e)
{
	const char *at = strchr(ref, '@');
	_cleanup_free_ char *repo = strndup(ref, (size_t)(at - ref));
	_cleanup_free_ char *norm = repo ? kstore_norm_name(repo, e) : NULL;
	if (!norm || strchr(repo + (strrchr(repo, '/') ? strrchr(repo, '/') - repo : 0), ':'))
		return norm ? kerr_msg(e, EINVAL, "invalid reference format: \"%.300s\": a tag and a digest", ref) : -1;
	if (ksha256_parse(at + 1, NULL, "reference", e) < 0)
		return -1;
	*strrchr(norm, ':') = '\0';
	for (size_t i = 0; i < s->n; i++)
		if ((!strcmp(s->img[i].id, at + 1) || (s->img[i].manifest && !strcmp(s->img[i].manifest, at + 1))) &&
		    has_repo(&s->img[i], norm)) {
			*out = &s->img[i];
			return 0;
		}
	return kerr_msg(e, ENOENT, "No such image: %s", ref);
}

/* A prefix of the hex of an image ID (all of it, or 4 digits and more). */
static int resolve_prefix(const struct kstore *s, const char *ref, const char *hex, const struct kstore_image **out,
			  kerr *e)
{
	size_t n = strlen(hex), found = 0;
	char list[512] = "";
	for (size_t i = 0; i < s->n; i++) {
		if (strncmp(s->img[i].id + 7, hex, n))
			continue;
		if (found++ == 0)
			*out = &s->img[i];
		size_t l = strlen(list);
		if (l < sizeof(list) - 20)
			snprintf(list + l, sizeof(list) - l, "%s%.12s", l ? ", " : "", s->img[i].id + 7);
	}
	if (found == 1)
		return 0;
	if (found > 1)
		return kerr_msg(e, EINVAL, "%s is ambiguous: it matches %zu images (%s)", ref, found, list);
	return kerr_msg(e, ENOENT, "No such image: %s", ref);
}

int kstore_resolve(const struct kstore *s, const char *ref, const struct kstore_image **out, const char **how, kerr *e)
{
	const char *dummy;
	if (!how)
		how = &dummy;
	*how = NULL;
	*out = NULL;
	if (!strncmp(ref, "sha256:", 7)) {
		const char *hex = ref + 7;
		if (strlen(hex) < 4 || strlen(hex) > 64 || !is_hex(hex))
			return kerr_msg(e, EINVAL,
					"invalid reference format: \"%.300s\": expected sha256: and 4 to 64 hex digits",
					ref);
		if (strlen(hex) == 64)
			for (size_t i = 0; i < s->n; i++)
				if (s->img[i].manifest && !strcmp(s->img[i].manifest, ref) &&
				    strcmp(s->img[i].id, ref)) {
					*out = &s->img[i];
					return 0;
				}
		return resolve_prefix(s, ref, hex, out, e);
	}
	if (strchr(ref, '@'))
		return resolve_digest_ref(s, ref, out, e);
	kerr ne = { 0 };
	_cleanup_free_ char *norm = kstore_norm_name(ref, &ne);
	for (size_t i = 0; norm && i < s->n; i++)
		for (char **nm = s->img[i].names; nm && *nm; nm++)
			if (!strcmp(*nm, norm)) {
				*out = &s->img[i];
				*how = *nm;
				return 0;
			}
	size_t n = strlen(ref);
	if (n >= 4 && n <= 64 && is_hex(ref))
		return resolve_prefix(s, ref, ref, out, e);
	if (!norm) {
		*e = ne;
		return -1;
	}
	return kerr_msg(e, ENOENT, "No such image: %s", ref);
}

int kstore_add_name(struct kstore *s, struct kstore_image *img, const char *name, kerr *e)
{
	for (size_t i = 0; i < s->n; i++) {
		char **v = s->img[i].names;
		for (size_t k = 0; v && v[k]; k++)
			if (!strcmp(v[k], name)) {
				if (&s->img[i] == img)
					return 0;
				free(v[k]);
				memmove(&v[k], &v[k + 1], (kstrv_len(v) - k) * sizeof(char *));
				break;
			}
	}
	return kstrv_add(&img->names, name) < 0 ? kerr_set(e, ENOMEM, "tag %s", name) : 0;
}

int kstore_tag(struct kstore *s, const char *ref, const char *name, kerr *e)
{
	const struct kstore_image *img;
	_cleanup_free_ char *norm = kstore_norm_name(name, e);
	if (!norm || kstore_resolve(s, ref, &img, NULL, e) < 0 ||
	    kstore_add_name(s, (struct kstore_image *)img, norm, e) < 0 || kstore_commit(s, e) < 0)
		return kerr_wrap(e, "tag %s as %s", ref, name);
	return 0;
}

static void untag(struct kstore_image *img, const char *name, kstore_removed_fn fn, void *ud)
{
	char **v = img->names;
	for (size_t k = 0; v && v[k]; k++)
		if (!strcmp(v[k], name)) {
			if (fn)
				fn(ud, "Untagged", v[k]);
			free(v[k]);
			memmove(&v[k], &v[k + 1], (kstrv_len(v) - k) * sizeof(char *));
			return;
		}
}

int kstore_remove(struct kstore *s, const char *ref, int force, kstore_removed_fn fn, void *ud, kerr *e)
{
	const struct kstore_image *found;
	const char *how;
	if (kstore_resolve(s, ref, &found, &how, e) < 0)
		return kerr_wrap(e, "image %s", ref);
	struct kstore_image *img = (struct kstore_image *)found;
	_cleanup_strv_ char **holders = kstore_holders(s, img->id, e);
	if (!holders)
		return kerr_wrap(e, "image %s", ref);
	/* a held image is never deleted: untagging its last name needs FORCE and keeps it */
	int last = !how || kstrv_len(img->names) <= 1;
	if (holders[0] && last && !force)
		return kerr_msg(
			e, EEXIST,
			"image %s: conflict: unable to %s %.12s (must be forced) - image is being used by container %s",
			ref, how ? "remove repository reference of" : "delete", img->id + 7, holders[0]);
	if (how) {
		_cleanup_free_ char *name = strdup(how);
		if (!name)
			return kerr_set(e, ENOMEM, "image %s", ref);
		untag(img, name, fn, ud);
	} else if (kstrv_len(img->names) > 1 && !force) {
		return kerr_msg(
			e, EEXIST,
			"image %s: conflict: unable to delete %.12s (must be forced) - image is referenced in multiple repositories",
			ref, img->id + 7);
	} else {
		while (img->names && img->names[0]) {
			_cleanup_free_ char *name = strdup(img->names[0]);
			if (!name)
				return kerr_set(e, ENOMEM, "image %s", ref);
			untag(img, name, fn, ud);
		}
	}
	if ((!img->names || !img->names[0]) && !holders[0]) {
		if (fn)
			fn(ud, "Deleted", img->id);
		kstore_drop(s, (size_t)(img - s->img));
	}
	if (kstore_commit(s, e) < 0 || kstore_gc(s, e) < 0)
		return kerr_wrap(e, "image %s", ref);
	return 0;
}
