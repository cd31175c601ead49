/* The store's side of a pull (store_pull.h): blobs streamed into tmp/ and
 * verified, then the image committed into the index. */
#include "image/store_pull.h"
#include "image/store_add.h"
#include "image/source.h"
#include "image/store.h"
#include "image/store_int.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 65536

int kstore_has_blob(const struct kstore *s, const char *digest)
{
	return faccessat(s->blobfd, digest + 7, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int kstore_blob_open(struct kstore *s, struct kstore_blobw *w, kerr *e)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (ksha256_init_bulk(&w->h, e) < 0)
		return -1;
	if ((w->fd = kstore_tmpfile(s, "pull", w->tmp, e)) < 0) {
		ksha256_release(&w->h);
		w->tmp[0] = '\0';
		return -1;
	}
	return 0;
}

int kstore_blob_append(struct kstore *s, struct kstore_blobw *w, const void *buf, size_t n, kerr *e)
{
	if (kstore_write(s, w->fd, w->tmp, buf, n, e) < 0)
		return -1;
	ksha256_update(&w->h, buf, n);
	w->bytes += (int64_t)n;
	return 0;
}

int kstore_blob_rewind(struct kstore *s, struct kstore_blobw *w, kerr *e)
{
	ksha256_release(&w->h);
	if (ksha256_init_bulk(&w->h, e) < 0)
		return -1;
	if (ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0)
		return kerr_errno(e, "truncate %s/tmp/%s", s->root, w->tmp);
	w->bytes = 0;
	return 0;
}

int kstore_blob_verify(struct kstore *s, struct kstore_blobw *w, const char *digest, int64_t size, kerr *e)
{
	uint8_t sum[KSHA256_LEN];
	char what[192];
	ksha256_final(&w->h, sum);
	snprintf(what, sizeof(what), "blob %s", digest);
	if (size >= 0 && w->bytes != size)
		return kerr_msg(e, EINVAL, "%s: size mismatch: the descriptor says %lld bytes, the registry sent %lld",
				what, (long long)size, (long long)w->bytes);
	if (ksha256_verify(digest, sum, what, e) < 0)
		return -1;
	if (fchmod(w->fd, 0644) < 0 || fsync(w->fd) < 0)
		return kerr_errno(e, "write %s/tmp/%s", s->root, w->tmp);
	int fd = steal_fd(w->fd);
	if (close(fd) < 0)
		return kerr_errno(e, "write %s/tmp/%s", s->root, w->tmp);
	return 0;
}

void kstore_blob_discard(struct kstore *s, struct kstore_blobw *w)
{
	if (w->fd >= 0) {
		close(w->fd);
		ksha256_release(&w->h);
		w->fd = -1;
	}
	if (w->tmp[0])
		unlinkat(s->tmpfd, w->tmp, 0);
	w->tmp[0] = '\0';
}

int kstore_blob_fd(const struct kstore *s, const char *digest, int64_t *size, kerr *e)
{
	struct stat st;
	int fd = openat(s->blobfd, digest + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		kerr_errno(e, "blob %s", digest);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*size = st.st_size;
	return fd;
}

void kstore_tmp_remove(struct kstore *s, const char *name)
{
	unlinkat(s->tmpfd, name, 0);
}

int kstore_blob_read(const struct kstore *s, const char *digest, size_t max, char **out, size_t *len, kerr *e)
{
	_cleanup_close_ int fd = openat(s->blobfd, digest + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	uint8_t sum[KSHA256_LEN];
	struct stat st;
	*out = NULL;
	if (fd < 0 || fstat(fd, &st) < 0)
		return kerr_errno(e, "blob %s", digest);
	if ((size_t)st.st_size > max)
		return kerr_msg(e, EFBIG, "blob %s: larger than %zu bytes", digest, max);
	if (kfs_read_fd(fd, out, len, e) < 0)
		return kerr_wrap(e, "blob %s", digest);
	ksha256(*out, *len, sum);
	if (ksha256_verify(digest, sum, "stored blob", e) < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

struct kstore_image *kstore_find_image(struct kstore *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->img[i].id, id))
			return &s->img[i];
	return NULL;
}

/* The sha256 and length of the uncompressed stream of the layer file FD
 * (gzip, zstd or none: libarchive's gzip and zstd filters, raw format). */
static int uncompressed_digest(int fd, const char *what, uint8_t sum[KSHA256_LEN], int64_t *usize, kerr *e)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	struct ksha256 d;
	_cleanup_free_ char *buf = malloc(CHUNK);
	if (!a || !buf) {
		archive_read_free(a);
		return kerr_set(e, ENOMEM, "%s", what);
	}
	if (ksha256_init_bulk(&d, e) < 0) {
		archive_read_free(a);
		return -1;
	}
	/* the layer compressions of the image-spec, in-process, and no others */
	if (ksrc_filters(a, KSRC_LAYER_ONLY, what, e) < 0 || archive_read_support_format_raw(a) != ARCHIVE_OK) {
		if (!e->msg[0])
			kerr_msg(e, ENOTSUP, "%s: libarchive reads no raw format", what);
		ksha256_release(&d);
		archive_read_free(a);
		return -1;
	}
	*usize = 0;
	int r = archive_read_open_fd(a, fd, CHUNK);
	if (r == ARCHIVE_OK)
		r = archive_read_next_header(a, &ent);
	if (r == ARCHIVE_OK) {
		la_ssize_t n;
		while ((n = archive_read_data(a, buf, CHUNK)) > 0) {
			ksha256_update(&d, buf, (size_t)n);
			*usize += n;
		}
		r = n < 0 ? ARCHIVE_FATAL : ARCHIVE_OK;
	} else if (r == ARCHIVE_EOF) {
		r = ARCHIVE_OK; /* an empty stream */
	}
	if (r != ARCHIVE_OK) {
		kerr_msg(e, EINVAL, "%s: %s", what, archive_error_string(a) ? archive_error_string(a) : "unreadable");
		ksha256_release(&d);
		archive_read_free(a);
		return -1;
	}
	ksha256_final(&d, sum);
	archive_read_free(a);
	return 0;
}

static const char *tmp_of(const struct kstore_pulled *p, const char *digest)
{
	for (size_t i = 0; i < p->nblobs; i++)
		if (!strcmp(p->digests[i], digest))
			return p->tmp[i][0] ? p->tmp[i] : NULL;
	return NULL;
}

/* Every layer of P against the config's rootfs.diff_ids (which REC's
 * layers carry); REC's size is the sum of the uncompressed layers. */
static int verify_layers(struct kstore *s, struct kstore_pulled *p, kerr *e)
{
	struct kstore_image *rec = p->rec;
	rec->size = 0;
	for (size_t i = 0; i < rec->nlayers; i++) {
		const struct kstore_layer *l = &rec->layers[i];
		const char *tmp = tmp_of(p, l->digest);
		_cleanup_close_ int fd = tmp ? openat(s->tmpfd, tmp, O_RDONLY | O_CLOEXEC)
					     : openat(s->blobfd, l->digest + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		char what[192];
		uint8_t sum[KSHA256_LEN];
		int64_t usize = 0;
		snprintf(what, sizeof(what), "layer %zu (%s)", i + 1, l->digest);
		if (fd < 0)
			return kerr_errno(e, "%s", what);
		if (uncompressed_digest(fd, what, sum, &usize, e) < 0)
			return -1;
		snprintf(what, sizeof(what), "layer %zu (%s): uncompressed (config rootfs.diff_ids)", i + 1, l->digest);
		if (ksha256_verify(l->diff_id, sum, what, e) < 0)
			return -1;
		rec->size += usize;
	}
	return 0;
}

/* The commit: blobs renamed in, the record merged into the index, the
 * index written.  (The one step an "add an image" path of the store takes
 * over.) */
static int commit_pulled(struct kstore *s, struct kstore_pulled *p, const struct kstore_image **out, kerr *e)
{
	for (size_t i = 0; i < p->nblobs; i++) {
		if (!p->tmp[i][0])
			continue;
		if (renameat(s->tmpfd, p->tmp[i], s->blobfd, p->digests[i] + 7) < 0)
			return kerr_errno(e, "rename %s/tmp/%s to blobs/sha256/%s", s->root, p->tmp[i],
					  p->digests[i] + 7);
		p->tmp[i][0] = '\0';
	}
	if (fsync(s->blobfd) < 0)
		return kerr_errno(e, "fsync %s/blobs/sha256", s->root);
	struct kstore_image *img = kstore_find_image(s, p->rec->id);
	if (!img) {
		struct kstore_image *ni = realloc(s->img, (s->n + 1) * sizeof(*ni));
		if (!ni)
			return kerr_set(e, ENOMEM, "index");
		s->img = ni;
		img = &s->img[s->n++];
		*img = *p->rec;
		memset(p->rec, 0, sizeof(*p->rec));
		if (!img->names && !(img->names = calloc(1, sizeof(char *))))
			return kerr_set(e, ENOMEM, "index");
	}
	if (p->name && kstore_add_name(s, img, p->name, e) < 0)
		return -1;
	if (kstore_commit(s, e) < 0 || kstore_gc(s, e) < 0)
		return -1;
	*out = img;
	return 0;
}

int kstore_pull_commit(struct kstore *s, struct kstore_pulled *p, const struct kstore_image **out, kerr *e)
{
	if (s->mode != KSTORE_EXCLUSIVE)
		return kerr_msg(e, EPERM, "the store is not locked for writing");
	struct kstore_image *have = kstore_find_image(s, p->rec->id);
	if (kstore_layers_check(s, p->rec, e) < 0 || (!have && verify_layers(s, p, e) < 0))
		return -1;
	if (commit_pulled(s, p, out, e) < 0)
		return -1;
	/* layers are unpacked at first use, by default; kept bits must be kept now */
	if (s->keep) {
		char **dirs;
		if (kstore_layer_dirs(s, *out, &dirs, e) < 0)
			return -1;
		kstrv_free(dirs);
	}
	return 0;
}
