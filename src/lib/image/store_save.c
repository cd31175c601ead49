/* kstore_save: images out of the store as one tar, in the layout Docker
 * >= 25 writes (store.h): an OCI image layout (oci-layout, index.json,
 * blobs/sha256/<hex>) with a docker-save manifest.json beside it, so that
 * `kapsel load`, `docker load` (old and new), `podman load` and skopeo's
 * oci-archive: all read it.  The blobs are written as stored, so loading
 * the archive gives the same image ID; each is hashed again on the way
 * out and a blob that no longer matches its name fails the save.  An
 * image loaded from a legacy docker save has no manifest: one is made
 * (OCI media types; a layer's by the magic of its blob). */
#include "image/cosign.h"
#include "image/store.h"
#include "image/store_int.h"
#include "image/store_sig.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/strv.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 65536
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"

struct saver {
	struct kstore *s;
	struct archive *a;
	char **written; /* digests already in the archive */
	char buf[CHUNK];
};

static int add_header(struct saver *w, const char *name, mode_t mode, int64_t size, kerr *e)
{
	struct archive_entry *ent = archive_entry_new();
	if (!ent)
		return kerr_set(e, ENOMEM, "save");
	archive_entry_set_pathname(ent, name);
	archive_entry_set_mode(ent, mode);
	archive_entry_set_size(ent, size);
	archive_entry_set_mtime(ent, 0, 0);
	int r = archive_write_header(w->a, ent);
	archive_entry_free(ent);
	return r == ARCHIVE_OK ? 0 : kerr_msg(e, EIO, "write %s: %s", name, archive_error_string(w->a));
}

static int add_data(struct saver *w, const char *name, const void *buf, size_t n, kerr *e)
{
	if (n && archive_write_data(w->a, buf, n) != (la_ssize_t)n)
		return kerr_msg(e, EIO, "write %s: %s", name, archive_error_string(w->a));
	return 0;
}

static int add_doc(struct saver *w, const char *name, const char *text, kerr *e)
{
	size_t n = strlen(text);
	return add_header(w, name, S_IFREG | 0644, (int64_t)n, e) < 0 ? -1 : add_data(w, name, text, n, e);
}

/* The blob DIGEST of the store as blobs/sha256/<hex>, once per archive. */
static int add_blob(struct saver *w, const char *digest, kerr *e)
{
	if (kstrv_contains(w->written, digest))
		return 0;
	char name[96];
	snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
	_cleanup_close_ int fd = openat(w->s->blobfd, digest + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return kerr_errno(e, "blob %s", digest);
	struct ksha256 h;
	if (ksha256_init_bulk(&h, e) < 0)
		return -1;
	if (add_header(w, name, S_IFREG | 0644, st.st_size, e) < 0)
		goto fail;
	for (off_t left = st.st_size; left > 0;) {
		ssize_t n = read(fd, w->buf, (size_t)(left < CHUNK ? left : CHUNK));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			kerr_set(e, n < 0 ? errno : EIO, "read blob %s", digest);
			goto fail;
		}
		ksha256_update(&h, w->buf, (size_t)n);
		if (add_data(w, name, w->buf, (size_t)n, e) < 0)
			goto fail;
		left -= n;
	}
	uint8_t sum[KSHA256_LEN];
	ksha256_final(&h, sum);
	if (ksha256_verify(digest, sum, "blob in the store", e) < 0)
		return -1;
	return kstrv_add(&w->written, digest) < 0 ? kerr_set(e, ENOMEM, "save") : 0;
fail:
	ksha256_release(&h);
	return -1;
}

/* A layer blob's media type by its first bytes. */
static const char *layer_type(struct kstore *s, const char *digest)
{
	unsigned char m[4] = { 0 };
	_cleanup_close_ int fd = openat(s->blobfd, digest + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && read(fd, m, sizeof(m)) == (ssize_t)sizeof(m)) {
		if (m[0] == 0x1f && m[1] == 0x8b)
			return "application/vnd.oci.image.layer.v1.tar+gzip";
		if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
			return "application/vnd.oci.image.layer.v1.tar+zstd";
	}
	return "application/vnd.oci.image.layer.v1.tar";
}

static int64_t blob_size(struct kstore *s, const char *digest)
{
	struct stat st;
	return fstatat(s->blobfd, digest + 7, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_size : -1;
}

static json_object *descriptor(const char *mt, const char *digest, int64_t size)
{
	json_object *d = json_object_new_object();
	json_object_object_add(d, "mediaType", json_object_new_string(mt));
	json_object_object_add(d, "digest", json_object_new_string(digest));
	json_object_object_add(d, "size", json_object_new_int64(size));
	return d;
}

/* IMG's manifest (its own, or one made), as its text and digest; it is
 * added to the archive. */
static int add_manifest(struct saver *w, const struct kstore_image *img, char digest[KSHA256_DIGEST], int64_t *size,
			kerr *e)
{
	if (img->manifest) {
		snprintf(digest, KSHA256_DIGEST, "%s", img->manifest);
		*size = blob_size(w->s, img->manifest);
		return add_blob(w, img->manifest, e);
	}
	_cleanup_json_ json_object *m = json_object_new_object();
	json_object *layers = json_object_new_array();
	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	json_object_object_add(m, "mediaType", json_object_new_string(MT_MANIFEST));
	json_object_object_add(
		m, "config", descriptor("application/vnd.oci.image.config.v1+json", img->id, blob_size(w->s, img->id)));
	for (size_t i = 0; i < img->nlayers; i++) {
		const struct kstore_layer *l = &img->layers[i];
		json_object_array_add(layers, descriptor(l->media_type ? l->media_type : layer_type(w->s, l->digest),
							 l->digest, blob_size(w->s, l->digest)));
	}
	json_object_object_add(m, "layers", layers);
	const char *text = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	uint8_t sum[KSHA256_LEN];
	ksha256(text, strlen(text), sum);
	ksha256_digest(sum, digest);
	*size = (int64_t)strlen(text);
	if (kstrv_contains(w->written, digest))
		return 0;
	char name[96];
	snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
	if (add_doc(w, name, text, e) < 0)
		return -1;
	return kstrv_add(&w->written, digest) < 0 ? kerr_set(e, ENOMEM, "save") : 0;
}

/* TEXT (LEN bytes) as the blob of its digest, once per archive. */
static int add_text_blob(struct saver *w, const char *text, size_t len, char digest[KSHA256_DIGEST], kerr *e)
{
	uint8_t sum[KSHA256_LEN];
	char name[96];
	ksha256(text, len, sum);
	ksha256_digest(sum, digest);
	if (kstrv_contains(w->written, digest))
		return 0;
	snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
	if (add_header(w, name, S_IFREG | 0644, (int64_t)len, e) < 0 || add_data(w, name, text, len, e) < 0)
		return -1;
	return kstrv_add(&w->written, digest) < 0 ? kerr_set(e, ENOMEM, "save") : 0;
}

/* The signatures kept for the manifest MD, as cosign save writes them: a
 * signature manifest (cosign.h) in the index, annotated kind
 * dev.cosignproject.cosign/sigs and ref.name sha256-<hex>.sig. */
static int add_signatures(struct saver *w, const char *md, json_object *index, kerr *e)
{
	struct kstore_sig *sigs;
	size_t n;
	if (kstore_sigs(w->s, md, &sigs, &n, e) < 0)
		return kerr_wrap(e, "signatures");
	int rc = 0;
	char *cfg = NULL, *man = NULL, d[KSHA256_DIGEST], tag[80];
	if (n && kcosign_build(sigs, n, &cfg, &man, e) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = add_text_blob(w, sigs[i].payload, sigs[i].payload_len, d, e);
	if (rc == 0 && n &&
	    (add_text_blob(w, cfg, strlen(cfg), d, e) < 0 || add_text_blob(w, man, strlen(man), d, e) < 0))
		rc = -1;
	if (rc == 0 && n) {
		json_object *desc = descriptor(MT_MANIFEST, d, (int64_t)strlen(man)), *ann = json_object_new_object();
		kcosign_tag(md, tag);
		json_object_object_add(ann, "kind", json_object_new_string(KCOSIGN_KIND_SIGS));
		json_object_object_add(ann, "org.opencontainers.image.ref.name", json_object_new_string(tag));
		json_object_object_add(desc, "annotations", ann);
		json_object_array_add(index, desc);
	}
	free(cfg);
	free(man);
	kstore_sigs_free(sigs, n);
	return rc;
}

/* One image: its blobs, its index.json entries (one per name, as Docker
 * writes them) and its manifest.json entry. */
static int save_image(struct saver *w, const struct kstore_image *img, char *const *names, json_object *index,
		      json_object *docker, kerr *e)
{
	char md[KSHA256_DIGEST];
	int64_t msize;
	if (add_blob(w, img->id, e) < 0)
		return -1;
	for (size_t i = 0; i < img->nlayers; i++)
		if (add_blob(w, img->layers[i].digest, e) < 0)
			return kerr_wrap(e, "layer %zu", i + 1);
	if (add_manifest(w, img, md, &msize, e) < 0)
		return -1;
	json_object *entry = json_object_new_object(), *tags = json_object_new_array(),
		    *layers = json_object_new_array();
	char member[96];
	snprintf(member, sizeof(member), "blobs/sha256/%s", img->id + 7);
	json_object_object_add(entry, "Config", json_object_new_string(member));
	for (size_t i = 0; names && names[i]; i++)
		json_object_array_add(tags, json_object_new_string(names[i]));
	json_object_object_add(entry, "RepoTags", tags);
	for (size_t i = 0; i < img->nlayers; i++) {
		snprintf(member, sizeof(member), "blobs/sha256/%s", img->layers[i].digest + 7);
		json_object_array_add(layers, json_object_new_string(member));
	}
	json_object_object_add(entry, "Layers", layers);
	json_object_array_add(docker, entry);
	size_t nn = kstrv_len(names);
	for (size_t i = 0; i < (nn ? nn : 1); i++) {
		json_object *d = descriptor(MT_MANIFEST, md, msize);
		if (nn) {
			json_object *ann = json_object_new_object();
			json_object_object_add(ann, "io.containerd.image.name", json_object_new_string(names[i]));
			json_object_object_add(ann, "org.opencontainers.image.ref.name",
					       json_object_new_string(names[i] + kstore_repo_len(names[i]) + 1));
			json_object_object_add(d, "annotations", ann);
		}
		json_object_array_add(index, d);
	}
	return img->manifest ? add_signatures(w, img->manifest, index, e) : 0;
}

static int save_all(struct saver *w, const char *const *refs, size_t n, kerr *e)
{
	_cleanup_json_ json_object *index = json_object_new_object(), *docker = json_object_new_array();
	json_object *ms = json_object_new_array();
	json_object_object_add(index, "schemaVersion", json_object_new_int(2));
	json_object_object_add(index, "mediaType", json_object_new_string("application/vnd.oci.image.index.v1+json"));
	json_object_object_add(index, "manifests", ms);
	if (add_header(w, "blobs/", S_IFDIR | 0755, 0, e) < 0 ||
	    add_header(w, "blobs/sha256/", S_IFDIR | 0755, 0, e) < 0)
		return -1;
	/* the images in the order given, each once, with the names the
	 * references brought (none for an ID, as docker save does) */
	const struct kstore_image **seen = calloc(n ? n : 1, sizeof(*seen));
	char ***names = calloc(n ? n : 1, sizeof(*names));
	size_t ns = 0;
	int rc = seen && names ? 0 : kerr_set(e, ENOMEM, "save");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct kstore_image *img;
		const char *how;
		if (kstore_resolve(w->s, refs[i], &img, &how, e) < 0) {
			rc = -1;
			break;
		}
		size_t k;
		for (k = 0; k < ns && seen[k] != img; k++)
			;
		if (k == ns) {
			seen[ns] = img;
			names[ns++] = calloc(1, sizeof(char *));
		}
		if (!names[k])
			rc = kerr_set(e, ENOMEM, "save");
		if (rc == 0 && how && !kstrv_contains(names[k], how) && kstrv_add(&names[k], how) < 0)
			rc = kerr_set(e, ENOMEM, "save");
	}
	for (size_t k = 0; rc == 0 && k < ns; k++)
		if (save_image(w, seen[k], names[k], ms, docker, e) < 0)
			rc = kerr_wrap(e, "image %s", seen[k]->id);
	for (size_t k = 0; names && k < ns; k++)
		kstrv_free(names[k]);
	free(names);
	free(seen);
	if (rc < 0)
		return -1;
	const int f = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
	if (add_doc(w, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", e) < 0 ||
	    add_doc(w, "index.json", json_object_to_json_string_ext(index, f), e) < 0 ||
	    add_doc(w, "manifest.json", json_object_to_json_string_ext(docker, f), e) < 0)
		return -1;
	return 0;
}

int kstore_save(struct kstore *s, const char *const *refs, size_t n, int fd, kerr *e)
{
	struct saver *w = calloc(1, sizeof(*w));
	if (!w)
		return kerr_set(e, ENOMEM, "save");
	w->s = s;
	int rc = -1;
	if (!(w->a = archive_write_new())) {
		kerr_set(e, ENOMEM, "save");
		goto out;
	}
	archive_write_set_format_pax_restricted(w->a);
	archive_write_set_bytes_in_last_block(w->a, 1);
	if (archive_write_open_fd(w->a, fd) != ARCHIVE_OK) {
		kerr_msg(e, EIO, "save: %s", archive_error_string(w->a));
		goto out;
	}
	if (save_all(w, refs, n, e) < 0)
		goto out;
	if (archive_write_close(w->a) != ARCHIVE_OK) {
		kerr_msg(e, EIO, "save: %s", archive_error_string(w->a));
		goto out;
	}
	rc = 0;
out:
	if (w->a)
		archive_write_free(w->a);
	kstrv_free(w->written);
	free(w);
	return rc;
}
