/* kstore_load: every image of an archive into the store (store.h), in
 * two phases so that a bad blob anywhere changes nothing:
 *
 *   stage    each blob (config, manifest, layers) is streamed once from
 *            the archive into a temp file of tmp/ while its sha256 is
 *            computed, and a layer is decompressed on the way (libarchive's
 *            raw format) to compute its diff_id; both are checked against
 *            what the manifest and the config say, and the file fsync'ed.
 *            A blob the store has already is hashed, not written.
 *   add      kstore_add (store_layer.c): the layers unpacked (and
 *            verified again as they are), the staged blobs and layer
 *            directories renamed in, index.json replaced, and what nothing
 *            names swept. */
#include "image/store.h"
#include "image/store_add.h"
#include "image/store_int.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/strv.h"
#include "image/apply.h"
#include "image/cosign.h"
#include "image/store_sig.h"
#include "image/image.h"
#include "image/source.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK 65536

/* The stream of one member: raw bytes hashed and copied as they are read. */
struct feed {
	struct ksrc_blob *b;
	struct ksha256 raw;
	struct kstore *s;
	int out;          /* the temp file, or -1 ... */
	const char *name; /* ... in tmp/ */
	int64_t bytes;
	kerr *e;
	int failed;
	char buf[CHUNK];
	char obuf[CHUNK]; /* the decompressed data */
};

static ssize_t feed_next(struct feed *f)
{
	ssize_t n = ksrc_blob_read(f->b, f->buf, sizeof(f->buf), f->e);
	if (n < 0) {
		f->failed = 1;
		return -1;
	}
	ksha256_update(&f->raw, f->buf, (size_t)n);
	f->bytes += n;
	if (f->out >= 0 && kstore_write(f->s, f->out, f->name, f->buf, (size_t)n, f->e) < 0) {
		f->failed = 1;
		return -1;
	}
	return n;
}

static la_ssize_t feed_read(struct archive *a, void *ud, const void **buf)
{
	(void)a;
	struct feed *f = ud;
	*buf = f->buf;
	return feed_next(f);
}

/* Decompress F's stream (any of libarchive's filters, or none) and hash
 * what comes out into DIFF; *usize gets its length. */
static int hash_uncompressed(struct feed *f, const char *member, uint8_t diff[KSHA256_LEN], int64_t *usize, kerr *e)
{
	struct archive *a = archive_read_new();
	struct ksha256 d;
	int rc = -1;
	if (!a)
		return kerr_set(e, ENOMEM, "%s", member);
	if (ksha256_init_bulk(&d, e) < 0) {
		archive_read_free(a);
		return -1;
	}
	if (ksrc_filters(a, 0, member, e) < 0) {
		ksha256_release(&d);
		archive_read_free(a);
		return -1;
	}
	archive_read_support_format_raw(a);
	struct archive_entry *ent;
	*usize = 0;
	if (archive_read_open(a, f, NULL, feed_read, NULL) != ARCHIVE_OK)
		goto broken;
	int r = archive_read_next_header(a, &ent);
	if (r == ARCHIVE_OK) {
		la_ssize_t n;
		while ((n = archive_read_data(a, f->obuf, sizeof(f->obuf))) > 0) {
			ksha256_update(&d, f->obuf, (size_t)n);
			if ((uint64_t)(*usize += n) > KAPPLY_MAX_BYTES) { /* a decompression bomb */
				kerr_msg(
					e, EFBIG,
					"%s: the uncompressed layer is larger than %llu bytes (the limit of one layer)",
					member, (unsigned long long)KAPPLY_MAX_BYTES);
				ksha256_release(&d);
				archive_read_free(a);
				return -1;
			}
		}
		if (n < 0)
			goto broken;
	} else if (r != ARCHIVE_EOF) {
		goto broken;
	}
	ksha256_final(&d, diff);
	archive_read_free(a);
	return 0;
broken:
	if (!f->failed)
		kerr_msg(e, EINVAL, "%s: %s", member, archive_error_string(a) ? archive_error_string(a) : "unreadable");
	ksha256_release(&d);
	archive_read_free(a);
	return rc;
}

static int have_blob(const struct kstore *s, const char *digest)
{
	return faccessat(s->blobfd, digest + 7, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Stream MEMBER of IMG into a temp file; check it against DIGEST and
 * DIFF_ID (either may be NULL).  *usize: the uncompressed size of a layer. */
static int stage(struct kstore *s, struct kimage *img, const char *member, const char *digest, const char *diff_id,
		 struct kstore_staged *st, int64_t *usize, int64_t *bytes, kerr *e)
{
	struct feed *f = calloc(1, sizeof(*f));
	if (!f)
		return kerr_set(e, ENOMEM, "%s", member);
	f->out = -1;
	f->e = e;
	f->s = s;
	f->name = st->tmp;
	int rc = -1;
	uint8_t sum[KSHA256_LEN], dsum[KSHA256_LEN];
	st->tmp[0] = '\0';
	if (!(f->b = ksrc_blob_open(img->src, member, e)) || ksha256_init_bulk(&f->raw, e) < 0) {
		ksrc_blob_close(f->b);
		free(f);
		return -1;
	}
	if (!(digest && have_blob(s, digest)) && (f->out = kstore_tmpfile(s, "blob", st->tmp, e)) < 0)
		goto out;
	if (diff_id) {
		if (hash_uncompressed(f, member, dsum, usize, e) < 0)
			goto out;
	}
	ssize_t n;
	while ((n = feed_next(f)) > 0) /* what the decompressor left (padding), or all of it */
		;
	if (n < 0)
		goto out;
	ksha256_final(&f->raw, sum);
	ksha256_digest(sum, st->digest);
	*bytes = f->bytes;
	if ((digest && ksha256_verify(digest, sum, "blob", e) < 0) ||
	    (diff_id && ksha256_verify(diff_id, dsum, "uncompressed layer (config rootfs.diff_ids)", e) < 0))
		goto out_hashed;
	if (f->out >= 0 && have_blob(s, st->digest)) { /* a legacy layer named by id: now we know */
		close(f->out);
		f->out = -1;
		unlinkat(s->tmpfd, st->tmp, 0);
		st->tmp[0] = '\0';
	}
	if (f->out >= 0) {
		if (fsync(f->out) < 0) {
			kerr_errno(e, "fsync %s/tmp/%s", s->root, st->tmp);
			goto out_hashed;
		}
	}
	rc = 0;
	goto out_hashed;
out:
	ksha256_release(&f->raw);
out_hashed:
	if (f->out >= 0 && close(f->out) < 0 && rc == 0)
		rc = kerr_errno(e, "write %s/tmp/%s", s->root, st->tmp);
	ksrc_blob_close(f->b);
	free(f);
	if (rc < 0 && st->tmp[0]) {
		unlinkat(s->tmpfd, st->tmp, 0);
		st->tmp[0] = '\0';
	}
	if (rc < 0)
		return kerr_wrap(e, "%s", member);
	return 0;
}

static int stage_image(struct kstore *s, struct kimage *img, struct kstore_pending *p, kerr *e)
{
	struct kstore_staged st;
	int64_t usize, bytes;
	json_object *ids = kj_get(kj_get(img->config, "rootfs"), "diff_ids");
	size_t nids = json_object_is_type(ids, json_type_array) ? json_object_array_length(ids) : 0;
	if (nids != img->nlayers || !img->nlayers)
		return kerr_msg(e, EINVAL, "the manifest names %zu layers, the config's rootfs.diff_ids %zu%s",
				img->nlayers, nids, img->nlayers ? "" : " (an image needs at least one layer)");
	if (stage(s, img, img->config_member, img->config_digest, NULL, &st, &usize, &bytes, e) < 0 ||
	    kstore_add_staged(p, &st, e) < 0)
		return -1;
	p->rec.id = strdup(st.digest);
	if (img->manifest_member) {
		if (stage(s, img, img->manifest_member, img->manifest_digest, NULL, &st, &usize, &bytes, e) < 0 ||
		    kstore_add_staged(p, &st, e) < 0)
			return -1;
		p->rec.manifest = strdup(st.digest);
	}
	p->rec.created = kj_get_str(img->config, "created") ? strdup(kj_get_str(img->config, "created")) : NULL;
	if (!(p->rec.layers = calloc(img->nlayers, sizeof(*p->rec.layers))))
		return kerr_set(e, ENOMEM, "layers");
	for (size_t i = 0; i < img->nlayers; i++) {
		const struct kimage_layer *l = &img->layers[i];
		if (stage(s, img, l->member, l->digest, l->diff_id, &st, &usize, &bytes, e) < 0 ||
		    kstore_add_staged(p, &st, e) < 0)
			return kerr_wrap(e, "layer %zu", i + 1);
		struct kstore_layer *sl = &p->rec.layers[p->rec.nlayers++];
		sl->digest = strdup(st.digest);
		sl->diff_id = strdup(l->diff_id);
		sl->media_type = l->media_type ? strdup(l->media_type) : NULL;
		sl->size = bytes;
		p->rec.size += usize;
	}
	for (char **t = img->tags; t && *t; t++) {
		/* an OCI ref.name that is only a tag ("latest") names nothing */
		if (!strcmp(img->format, "oci") && !strchr(*t, '/') && !strchr(*t, ':'))
			continue;
		_cleanup_free_ char *n = kstore_norm_name(*t, e);
		if (!n)
			return kerr_wrap(e, "%s",
					 img->format[0] == 'o' ? "index.json annotations" : "manifest.json RepoTags");
		if (!kstrv_contains(p->names, n) && kstrv_add(&p->names, n) < 0)
			return kerr_set(e, ENOMEM, "names");
	}
	if (!p->names && !(p->names = calloc(1, sizeof(char *))))
		return kerr_set(e, ENOMEM, "names");
	return 0;
}

int kstore_load(struct kstore *s, const char *path, kstore_loaded_fn fn, void *ud, kerr *e)
{
	struct kimage **imgs;
	size_t n;
	if (s->mode != KSTORE_EXCLUSIVE)
		return kerr_msg(e, EPERM, "load %s: the store is not locked for writing", path);
	if (kimage_open_all(path, &imgs, &n, e) < 0)
		return -1;
	struct kstore_pending *p = calloc(n, sizeof(*p));
	struct kstore_sig **sigs = calloc(n, sizeof(*sigs));
	size_t *nsig = calloc(n, sizeof(*nsig));
	int rc = p && sigs && nsig ? 0 : kerr_set(e, ENOMEM, "load %s", path);
	/* the signatures the archive brings, verified against their digests
	 * with the rest before anything is visible */
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (stage_image(s, imgs[i], &p[i], e) < 0 || kcosign_archive_sigs(imgs[i], &sigs[i], &nsig[i], e) < 0)
			rc = n > 1 ? kerr_wrap(e, "%s: image %zu", path, i + 1) : kerr_wrap(e, "%s", path);
	if (rc == 0 && kstore_add(s, p, n, fn, ud, e) < 0)
		rc = kerr_wrap(e, "%s", path);
	/* kept for the manifest they claim, when the store's image has it */
	for (size_t i = 0; rc == 0 && i < n; i++)
		for (size_t k = 0; rc == 0 && k < nsig[i]; k++) {
			const char *md = imgs[i]->manifest_digest;
			if (!kcosign_claims(&sigs[i][k], md))
				continue;
			if (kstore_sig_add(s, md, sigs[i][k].payload, sigs[i][k].payload_len, sigs[i][k].signature, e) <
			    0) {
				if (e->errnum == ENOENT) /* the store kept the image under another manifest */
					*e = (kerr){ 0 };
				else
					rc = kerr_wrap(e, "%s: signatures", path);
			}
		}
	for (size_t i = 0; sigs && i < n; i++)
		kstore_sigs_free(sigs[i], nsig[i]);
	free(sigs);
	free(nsig);
	kstore_pending_free(s, p, n);
	kimage_close_all(imgs, n);
	return rc;
}

int kstore_load_fd(struct kstore *s, int fd, kstore_loaded_fn fn, void *ud, kerr *e)
{
	char name[64], path[PATH_MAX];
	_cleanup_free_ char *buf = malloc(CHUNK);
	if (!buf)
		return kerr_set(e, ENOMEM, "load");
	int out = kstore_tmpfile(s, "input", name, e);
	if (out < 0)
		return kerr_wrap(e, "load");
	ssize_t n;
	int rc = 0;
	while (rc == 0 && (n = read(fd, buf, CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = kerr_errno(e, "load: read the archive");
			break;
		}
		rc = kstore_write(s, out, name, buf, (size_t)n, e);
	}
	close(out);
	snprintf(path, sizeof(path), "%s/tmp/%s", s->root, name);
	if (rc == 0)
		rc = kstore_load(s, path, fn, ud, e);
	unlinkat(s->tmpfd, name, 0);
	return rc;
}
