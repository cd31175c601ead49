/* The image store: its directories and lock, index.json read at open and
 * written by rename, temp files, and the mark-and-sweep of blobs
 * (store.h). */
#include "image/store.h"
#include "image/store_int.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/strv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define INDEX "index.json"

static int open_dir(int at, const char *name, const char *root, kerr *e)
{
	if (mkdirat(at, name, 0700) < 0 && errno != EEXIST)
		return kerr_errno(e, "mkdir %s/%s", root, name);
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(e, "open %s/%s", root, name);
	return fd;
}

/* Everything in tmp/ is what a killed writer left: no writer runs while
 * we hold the lock, in either mode. */
static int clean_tmp(struct kstore *s, kerr *e)
{
	int fd = openat(s->tmpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* its own offset */
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return kerr_errno(e, "read %s/tmp", s->root);
	}
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && kfs_remove_at(s->tmpfd, de->d_name, e) < 0) {
			rc = kerr_wrap(e, "%s/tmp", s->root);
			break;
		}
	closedir(d);
	return rc;
}

void kstore_image_clear(struct kstore_image *img)
{
	free(img->id);
	free(img->manifest);
	kstrv_free(img->names);
	free(img->created);
	for (size_t i = 0; i < img->nlayers; i++) {
		free(img->layers[i].digest);
		free(img->layers[i].diff_id);
		free(img->layers[i].media_type);
	}
	free(img->layers);
	memset(img, 0, sizeof(*img));
}

void kstore_drop(struct kstore *s, size_t i)
{
	kstore_image_clear(&s->img[i]);
	memmove(&s->img[i], &s->img[i + 1], (s->n - i - 1) * sizeof(s->img[0]));
	s->n--;
}

static const char *opt_str(json_object *o, const char *key)
{
	json_object *v = kj_get(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* One image record of index.json; WHAT names it in errors. */
static int parse_image(json_object *o, struct kstore_image *img, const char *what, kerr *e)
{
	json_object *names = kj_get(o, "names"), *layers = kj_get(o, "layers");
	const char *id = opt_str(o, "id");
	if (!json_object_is_type(o, json_type_object) || !id || ksha256_parse(id, NULL, what, e) < 0 ||
	    !json_object_is_type(names, json_type_array) || !json_object_is_type(layers, json_type_array))
		return kerr_msg(e, EINVAL, "%s: expected id, names and layers", what);
	img->id = strdup(id);
	img->manifest = dup_or_null(opt_str(o, "manifest"));
	img->created = dup_or_null(opt_str(o, "created"));
	img->size = kj_get_i64(o, "size", 0);
	if (!(img->names = calloc(1, sizeof(char *))))
		return kerr_set(e, ENOMEM, "%s", what);
	for (size_t i = 0; i < json_object_array_length(names); i++) {
		const char *nm = kj_str(json_object_array_get_idx(names, i));
		if (!nm || kstrv_add(&img->names, nm) < 0)
			return kerr_msg(e, EINVAL, "%s: names[%zu]: expected a string", what, i);
	}
	size_t nl = json_object_array_length(layers);
	if (nl && !(img->layers = calloc(nl, sizeof(*img->layers))))
		return kerr_set(e, ENOMEM, "%s", what);
	for (size_t i = 0; i < nl; i++, img->nlayers++) {
		json_object *l = json_object_array_get_idx(layers, i);
		struct kstore_layer *sl = &img->layers[i];
		const char *d = opt_str(l, "digest"), *diff = opt_str(l, "diff_id");
		if (!d || !diff || ksha256_parse(d, NULL, what, e) < 0 || ksha256_parse(diff, NULL, what, e) < 0)
			return kerr_msg(e, EINVAL, "%s: layers[%zu]: expected digest and diff_id", what, i);
		sl->digest = strdup(d);
		sl->diff_id = strdup(diff);
		sl->media_type = dup_or_null(opt_str(l, "media_type"));
		sl->size = kj_get_i64(l, "size", 0);
	}
	return 0;
}

static int read_index(struct kstore *s, kerr *e)
{
	_cleanup_close_ int fd = openat(s->rootfd, INDEX, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (fd < 0)
		return errno == ENOENT ? 0 : kerr_errno(e, "open %s/" INDEX, s->root);
	if (kfs_read_fd(fd, &buf, &len, e) < 0)
		return kerr_wrap(e, "%s/" INDEX, s->root);
	_cleanup_json_ json_object *j = kj_parse(INDEX, buf, len, e);
	json_object *images = j ? kj_get(j, "images") : NULL;
	if (!j)
		return kerr_wrap(e, "%s", s->root);
	if (!json_object_is_type(images, json_type_array))
		return kerr_msg(e, EINVAL, "%s/" INDEX ": images: expected an array", s->root);
	size_t n = json_object_array_length(images);
	if (n && !(s->img = calloc(n, sizeof(*s->img))))
		return kerr_set(e, ENOMEM, INDEX);
	for (size_t i = 0; i < n; i++) {
		char what[64];
		snprintf(what, sizeof(what), "images[%zu]", i);
		s->n++;
		if (parse_image(json_object_array_get_idx(images, i), &s->img[i], what, e) < 0)
			return kerr_wrap(e, "%s/" INDEX, s->root);
	}
	return 0;
}

int kstore_open(const char *root, int mode, struct kstore **out, kerr *e)
{
	struct kstore *s = calloc(1, sizeof(*s));
	*out = NULL;
	if (!s || !(s->root = strdup(root))) {
		free(s);
		return kerr_set(e, ENOMEM, "store %s", root);
	}
	s->mode = mode;
	s->rootfd = s->lockfd = s->blobfd = s->tmpfd = s->layerfd = s->holdfd = -1;
	int blobs = -1;
	if (kfs_mkdir_p(root, 0700, e) < 0)
		goto fail;
	if ((s->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		kerr_errno(e, "open %s", root);
		goto fail;
	}
	s->lockfd = openat(s->rootfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->lockfd < 0) {
		kerr_errno(e, "open %s/lock", root);
		goto fail;
	}
	int r;
	do
		r = flock(s->lockfd, mode == KSTORE_EXCLUSIVE ? LOCK_EX : LOCK_SH);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		kerr_errno(e, "lock %s/lock", root);
		goto fail;
	}
	if ((blobs = open_dir(s->rootfd, "blobs", root, e)) < 0 ||
	    (s->blobfd = open_dir(blobs, "sha256", root, e)) < 0 ||
	    (s->tmpfd = open_dir(s->rootfd, "tmp", root, e)) < 0 ||
	    (s->layerfd = open_dir(s->rootfd, "layers", root, e)) < 0 ||
	    (s->holdfd = open_dir(s->rootfd, "holds", root, e)) < 0 || clean_tmp(s, e) < 0 || read_index(s, e) < 0)
		goto fail;
	close(blobs);
	*out = s;
	return 0;
fail:
	if (blobs >= 0)
		close(blobs);
	kstore_close(s);
	return kerr_wrap(e, "store %s", root);
}

void kstore_close(struct kstore *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		kstore_image_clear(&s->img[i]);
	free(s->img);
	if (s->rootfd >= 0)
		close(s->rootfd);
	if (s->blobfd >= 0)
		close(s->blobfd);
	if (s->tmpfd >= 0)
		close(s->tmpfd);
	if (s->layerfd >= 0)
		close(s->layerfd);
	if (s->holdfd >= 0)
		close(s->holdfd);
	if (s->lockfd >= 0)
		close(s->lockfd); /* releases the lock */
	free(s->root);
	free(s);
}

const struct kstore_image *kstore_images(const struct kstore *s, size_t *n)
{
	*n = s->n;
	return s->img;
}

int kstore_tmpfile(struct kstore *s, const char *what, char name[64], kerr *e)
{
	snprintf(name, 64, "%s-%d-%u", what, (int)getpid(), s->seq++);
	int fd = openat(s->tmpfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return kerr_errno(e, "create %s/tmp/%s", s->root, name);
	return fd;
}

int kstore_write(struct kstore *s, int fd, const char *name, const void *buf, size_t n, kerr *e)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, (const char *)buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return kerr_errno(e, "write %s/tmp/%s", s->root, name);
		off += (size_t)w;
	}
	return 0;
}

int kstore_publish(struct kstore *s, int fd, const char *name, int dirfd, const char *to, kerr *e)
{
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		kerr_errno(e, "write %s/tmp/%s", s->root, name);
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return kerr_errno(e, "write %s/tmp/%s", s->root, name);
	if (renameat(s->tmpfd, name, dirfd, to) < 0)
		return kerr_errno(e, "rename %s/tmp/%s to %s", s->root, name, to);
	return 0;
}

static json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : json_object_new_null();
}

static json_object *image_json(const struct kstore_image *img)
{
	json_object *o = json_object_new_object(), *names = json_object_new_array(), *layers = json_object_new_array();
	json_object_object_add(o, "id", jstr(img->id));
	json_object_object_add(o, "manifest", jstr(img->manifest));
	for (char **n = img->names; n && *n; n++)
		json_object_array_add(names, json_object_new_string(*n));
	json_object_object_add(o, "names", names);
	json_object_object_add(o, "created", jstr(img->created));
	json_object_object_add(o, "size", json_object_new_int64(img->size));
	for (size_t i = 0; i < img->nlayers; i++) {
		json_object *l = json_object_new_object();
		json_object_object_add(l, "digest", jstr(img->layers[i].digest));
		json_object_object_add(l, "diff_id", jstr(img->layers[i].diff_id));
		json_object_object_add(l, "media_type", jstr(img->layers[i].media_type));
		json_object_object_add(l, "size", json_object_new_int64(img->layers[i].size));
		json_object_array_add(layers, l);
	}
	json_object_object_add(o, "layers", layers);
	return o;
}

int kstore_commit(struct kstore *s, kerr *e)
{
	_cleanup_json_ json_object *j = json_object_new_object();
	json_object *images = json_object_new_array();
	json_object_object_add(j, "version", json_object_new_int(1));
	json_object_object_add(j, "images", images);
	for (size_t i = 0; i < s->n; i++)
		json_object_array_add(images, image_json(&s->img[i]));
	const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	char name[64];
	int fd = kstore_tmpfile(s, "index", name, e);
	if (fd < 0)
		return -1;
	if (kstore_write(s, fd, name, text, strlen(text), e) < 0) {
		close(fd);
		return -1;
	}
	if (kstore_publish(s, fd, name, s->rootfd, INDEX, e) < 0)
		return -1;
	if (fsync(s->rootfd) < 0)
		return kerr_errno(e, "fsync %s", s->root);
	return 0;
}

int kstore_image_uses_blob(const struct kstore_image *img, const char *hex)
{
	if (!strcmp(img->id + 7, hex) || (img->manifest && !strcmp(img->manifest + 7, hex)))
		return 1;
	for (size_t k = 0; k < img->nlayers; k++)
		if (!strcmp(img->layers[k].digest + 7, hex))
			return 1;
	return 0;
}

static int referenced(const struct kstore *s, const char *hex)
{
	for (size_t i = 0; i < s->n; i++)
		if (kstore_image_uses_blob(&s->img[i], hex))
			return 1;
	return 0;
}

int kstore_gc(struct kstore *s, kerr *e)
{
	if (s->mode != KSTORE_EXCLUSIVE)
		return kerr_msg(e, EPERM, "store %s: gc needs the exclusive lock", s->root);
	int fd = openat(s->blobfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return kerr_errno(e, "read %s/blobs/sha256", s->root);
	}
	struct dirent *de;
	int rc = 0, removed = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || referenced(s, de->d_name))
			continue;
		if (unlinkat(s->blobfd, de->d_name, 0) < 0 && errno != ENOENT) {
			rc = kerr_errno(e, "remove %s/blobs/sha256/%s", s->root, de->d_name);
			break;
		}
		removed++;
	}
	closedir(d);
	if (rc == 0 && removed && fsync(s->blobfd) < 0)
		rc = kerr_errno(e, "fsync %s/blobs/sha256", s->root);
	if (rc == 0)
		rc = kstore_gc_layers(s, e);
	return rc < 0 ? rc : kstore_gc_signatures(s, e);
}

int kstore_config(const struct kstore *s, const struct kstore_image *img, json_object **out, kerr *e)
{
	_cleanup_close_ int fd = openat(s->blobfd, img->id + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	uint8_t sum[KSHA256_LEN];
	*out = NULL;
	if (fd < 0)
		return kerr_errno(e, "image %s: config blob", img->id);
	if (kfs_read_fd(fd, &buf, &len, e) < 0)
		return kerr_wrap(e, "image %s: config blob", img->id);
	ksha256(buf, len, sum);
	if (ksha256_verify(img->id, sum, "config blob", e) < 0 || !(*out = kj_parse("config", buf, len, e)))
		return kerr_wrap(e, "image %s", img->id);
	return 0;
}
