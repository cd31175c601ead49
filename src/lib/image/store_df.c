/* kstore_df and kstore_prune (store.h): what the store takes on disk, what
 * removing the images no container holds would give back, and that
 * removal.  A blob counts its bytes, a layer directory the bytes of its
 * uncompressed tar (its report.json), each once however many images share
 * it. */
#include "image/store.h"
#include "image/store_int.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/strv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 1 if an image of USED (a NULL-terminated list) uses blob or chain HEX. */
static int used_by(const struct kstore_image *const *used, int layers, const char *hex)
{
	for (; *used; used++)
		if (layers ? kstore_image_uses_chain(*used, hex) : kstore_image_uses_blob(*used, hex))
			return 1;
	return 0;
}

static int64_t layer_bytes(const struct kstore *s, const char *hex)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/report.json", hex);
	_cleanup_close_ int fd = openat(s->layerfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	kerr ig;
	if (fd < 0 || kfs_read_fd(fd, &buf, NULL, &ig) < 0)
		return 0;
	_cleanup_json_ json_object *j = kj_parse("report.json", buf, strlen(buf), &ig);
	return j ? kj_get_i64(j, "bytes", 0) : 0;
}

/* Sum the bytes of DIRFD's entries (blobs, or layer directories) and of
 * those USED does not name. */
static int sum_dir(const struct kstore *s, int dirfd, int layers, const struct kstore_image *const *used,
		   int64_t *total, int64_t *unused, kerr *e)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return kerr_errno(e, "read %s/%s", s->root, layers ? "layers" : "blobs/sha256");
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		int64_t n = layers ? layer_bytes(s, de->d_name)
				   : (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_size : 0);
		*total += n;
		if (!used_by(used, layers, de->d_name))
			*unused += n;
	}
	return 0;
}

/* The images some container holds, NULL-terminated. */
static const struct kstore_image **held(const struct kstore *s, size_t *n, kerr *e)
{
	const struct kstore_image **v = calloc(s->n + 1, sizeof(*v));
	if (!v) {
		kerr_set(e, ENOMEM, "holds");
		return NULL;
	}
	*n = 0;
	for (size_t i = 0; i < s->n; i++) {
		char **h = kstore_holders(s, s->img[i].id, e);
		if (!h) {
			free(v);
			return NULL;
		}
		if (h[0])
			v[(*n)++] = &s->img[i];
		kstrv_free(h);
	}
	return v;
}

int kstore_df(const struct kstore *s, struct kstore_df *out, kerr *e)
{
	memset(out, 0, sizeof(*out));
	out->images = s->n;
	const struct kstore_image **used = held(s, &out->active, e);
	if (!used)
		return kerr_wrap(e, "store %s", s->root);
	int rc = sum_dir(s, s->blobfd, 0, used, &out->size, &out->reclaimable, e) < 0 ||
				 sum_dir(s, s->layerfd, 1, used, &out->size, &out->reclaimable, e) < 0
			 ? kerr_wrap(e, "store %s", s->root)
			 : 0;
	free(used);
	return rc;
}

int kstore_prune(struct kstore *s, int all, kstore_removed_fn fn, void *ud, int64_t *reclaimed, kerr *e)
{
	struct kstore_df before, after;
	*reclaimed = 0;
	if (s->mode != KSTORE_EXCLUSIVE)
		return kerr_msg(e, EPERM, "prune: the store is not locked for writing");
	if (kstore_df(s, &before, e) < 0)
		return kerr_wrap(e, "prune");
	for (size_t i = s->n; i-- > 0;) {
		struct kstore_image *img = &s->img[i];
		_cleanup_strv_ char **h = kstore_holders(s, img->id, e);
		if (!h)
			return kerr_wrap(e, "prune");
		if (h[0] || (!all && img->names && img->names[0]))
			continue;
		for (char **n = img->names; fn && n && *n; n++)
			fn(ud, "untagged", *n);
		if (fn)
			fn(ud, "deleted", img->id);
		kstore_drop(s, i);
	}
	if (kstore_commit(s, e) < 0 || kstore_gc(s, e) < 0 || kstore_df(s, &after, e) < 0)
		return kerr_wrap(e, "prune");
	*reclaimed = before.size - after.size;
	return 0;
}
