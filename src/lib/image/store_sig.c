/* Signatures in the image store (store_sig.h): records written like
 * blobs (tmp/, fsync, rename, fsync the directory), swept with the images. */
#include "image/store_sig.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/str.h"
#include "image/sign.h"
#include "image/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIGDIR "signatures"
#define MAX_RECORD (1 << 20)

void kstore_sigs_free(struct kstore_sig *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].payload);
		free(v[i].signature);
	}
	free(v);
}

static int open_at(int at, const char *name, int create, const char *root, kerr *e)
{
	if (create && mkdirat(at, name, 0700) < 0 && errno != EEXIST)
		return kerr_errno(e, "mkdir %s/%s", root, name);
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (create || errno != ENOENT))
		return kerr_errno(e, "open %s/%s", root, name);
	return fd;
}

static int known_manifest(const struct kstore *s, const char *digest)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->img[i].manifest && !strcmp(s->img[i].manifest, digest))
			return 1;
	return 0;
}

int kstore_sig_add(struct kstore *s, const char *digest, const char *payload, size_t len, const char *sig_b64,
		   kerr *e)
{
	if (s->mode != KSTORE_EXCLUSIVE)
		return kerr_msg(e, EPERM, "store %s: adding a signature needs the exclusive lock", s->root);
	if (ksha256_parse(digest, NULL, "manifest digest", e) < 0)
		return -1;
	if (!known_manifest(s, digest))
		return kerr_msg(e, ENOENT, "store %s: no image has the manifest %s", s->root, digest);
	_cleanup_free_ char *p64 = kstr_base64(payload, len);
	if (!p64)
		return kerr_set(e, ENOMEM, "signature");
	_cleanup_json_ json_object *rec = json_object_new_object();
	json_object_object_add(rec, "payload", json_object_new_string(p64));
	json_object_object_add(rec, "signature", json_object_new_string(sig_b64));
	const char *text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	uint8_t sum[KSHA256_LEN];
	char name[KSHA256_DIGEST], tmp[64];
	ksha256(text, strlen(text), sum);
	ksha256_digest(sum, name);
	_cleanup_close_ int top = open_at(s->rootfd, SIGDIR, 1, s->root, e);
	if (top < 0)
		return -1;
	_cleanup_close_ int dir = open_at(top, digest + 7, 1, s->root, e);
	if (dir < 0)
		return -1;
	int fd = kstore_tmpfile(s, "sig", tmp, e);
	if (fd < 0)
		return -1;
	if (kstore_write(s, fd, tmp, text, strlen(text), e) < 0) {
		close(fd);
		unlinkat(s->tmpfd, tmp, 0);
		return -1;
	}
	if (kstore_publish(s, fd, tmp, dir, name + 7, e) < 0) {
		unlinkat(s->tmpfd, tmp, 0);
		return -1;
	}
	if (fsync(dir) < 0 || fsync(top) < 0)
		return kerr_errno(e, "fsync %s/" SIGDIR "/%s", s->root, digest + 7);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One record file of DIR: NAME must be the sha256 of its text. */
static int read_record(const struct kstore *s, int dir, const char *digest, const char *name, struct kstore_sig *out,
		       kerr *e)
{
	char what[256];
	snprintf(what, sizeof(what), "%s/" SIGDIR "/%s/%s", s->root, digest + 7, name);
	_cleanup_close_ int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (fd < 0 || fstat(fd, &st) < 0)
		return kerr_errno(e, "open %s", what);
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_RECORD)
		return kerr_msg(e, EINVAL, "%s: not a signature record", what);
	if (kfs_read_fd(fd, &buf, &len, e) < 0)
		return kerr_wrap(e, "%s", what);
	uint8_t sum[KSHA256_LEN];
	char full[KSHA256_DIGEST + 8];
	ksha256(buf, len, sum);
	snprintf(full, sizeof(full), "sha256:%s", name);
	if (ksha256_verify(full, sum, "signature record", e) < 0)
		return kerr_wrap(e, "%s", what);
	_cleanup_json_ json_object *j = kj_parse(what, buf, len, e);
	if (!j)
		return -1;
	const char *p64 = kj_get_str(j, "payload"), *sig = kj_get_str(j, "signature");
	if (!p64 || !sig)
		return kerr_msg(e, EINVAL, "%s: expected payload and signature", what);
	unsigned char *payload;
	if (ksign_unb64(p64, &payload, &out->payload_len, e) < 0)
		return kerr_wrap(e, "%s: payload", what);
	out->payload = (char *)payload;
	out->payload[out->payload_len] = '\0'; /* ksign_unb64 leaves a byte spare */
	if (!(out->signature = strdup(sig)))
		return kerr_set(e, ENOMEM, "%s", what);
	return 0;
}

int kstore_sigs(const struct kstore *s, const char *digest, struct kstore_sig **out, size_t *n, kerr *e)
{
	*out = NULL;
	*n = 0;
	if (ksha256_parse(digest, NULL, "manifest digest", e) < 0)
		return -1;
	_cleanup_close_ int top = open_at(s->rootfd, SIGDIR, 0, s->root, e);
	if (top < 0)
		return errno == ENOENT ? 0 : -1;
	int dir = open_at(top, digest + 7, 0, s->root, e);
	if (dir < 0)
		return errno == ENOENT ? 0 : -1;
	DIR *d = fdopendir(dir);
	if (!d) {
		close(dir);
		return kerr_errno(e, "read %s/" SIGDIR "/%s", s->root, digest + 7);
	}
	char **names = NULL;
	size_t nn = 0;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char **nv = realloc(names, (nn + 1) * sizeof(*nv));
		if (!nv || !(nv[nn] = strdup(de->d_name))) {
			names = nv ? nv : names;
			rc = kerr_set(e, ENOMEM, "signatures");
			break;
		}
		names = nv;
		nn++;
	}
	if (nn)
		qsort(names, nn, sizeof(*names), cmp_names);
	struct kstore_sig *v = nn ? calloc(nn, sizeof(*v)) : NULL;
	if (rc == 0 && nn && !v)
		rc = kerr_set(e, ENOMEM, "signatures");
	for (size_t i = 0; rc == 0 && i < nn; i++)
		if (read_record(s, dirfd(d), digest, names[i], &v[i], e) < 0)
			rc = -1;
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	closedir(d);
	if (rc < 0) {
		kstore_sigs_free(v, nn);
		return -1;
	}
	*out = v;
	*n = nn;
	return 0;
}

static int remove_dir(int top, const char *name, kerr *e)
{
	int fd = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return errno == ENOTDIR ? (unlinkat(top, name, 0) < 0 ? kerr_errno(e, "remove %s", name) : 0)
					: kerr_errno(e, "open %s", name);
	}
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && unlinkat(dirfd(d), de->d_name, 0) < 0)
			rc = kerr_errno(e, "remove %s/%s", name, de->d_name);
	closedir(d);
	if (rc == 0 && unlinkat(top, name, AT_REMOVEDIR) < 0)
		rc = kerr_errno(e, "remove %s", name);
	return rc;
}

int kstore_gc_signatures(struct kstore *s, kerr *e)
{
	_cleanup_close_ int top = open_at(s->rootfd, SIGDIR, 0, s->root, e);
	if (top < 0)
		return errno == ENOENT ? 0 : -1;
	int fd = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return kerr_errno(e, "read %s/" SIGDIR, s->root);
	}
	struct dirent *de;
	int rc = 0, removed = 0;
	while (rc == 0 && (de = readdir(d))) {
		char digest[KSHA256_DIGEST + 8];
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(digest, sizeof(digest), "sha256:%.64s", de->d_name);
		if (strlen(de->d_name) == 64 && known_manifest(s, digest))
			continue;
		if (remove_dir(top, de->d_name, e) < 0)
			rc = kerr_wrap(e, "%s/" SIGDIR, s->root);
		removed++;
	}
	closedir(d);
	if (rc == 0 && removed && fsync(top) < 0)
		rc = kerr_errno(e, "fsync %s/" SIGDIR, s->root);
	return rc;
}
