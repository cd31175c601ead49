/* Inside image/: the store's side of a pull (store_pull.c).  Blobs come in
 * as streams (a registry's answers), each into a temp file of tmp/ while
 * its sha256 is computed; kstore_blob_verify checks digest and size and
 * fsyncs it, still invisible.  kstore_pull_commit then checks every
 * layer's uncompressed digest against the config's rootfs.diff_ids,
 * renames the blobs into blobs/sha256 and commits the image into the
 * index: the one step that makes the pull visible. */
#ifndef KAPSEL_IMAGE_STORE_PULL_H
#define KAPSEL_IMAGE_STORE_PULL_H

#include "common/err.h"
#include "common/sha256.h"

#include <stddef.h>
#include <stdint.h>

struct kstore;
struct kstore_image;

/* A blob being written: tmp[0] == '\0' when there is none. */
struct kstore_blobw {
	char tmp[64];
	int fd;
	struct ksha256 h;
	int64_t bytes;
};

/* 1 when the store has the blob DIGEST. */
int kstore_has_blob(const struct kstore *s, const char *digest);
int kstore_blob_open(struct kstore *s, struct kstore_blobw *w, kerr *e);
int kstore_blob_append(struct kstore *s, struct kstore_blobw *w, const void *buf, size_t n, kerr *e);
/* Start W again from its first byte (a server that ignored a Range). */
int kstore_blob_rewind(struct kstore *s, struct kstore_blobw *w, kerr *e);
/* Check W against DIGEST and SIZE (-1: any) ("blob DIGEST: digest
 * mismatch", "blob DIGEST: size mismatch"), fsync and close it; it stays
 * in tmp/ until kstore_pull_commit. */
int kstore_blob_verify(struct kstore *s, struct kstore_blobw *w, const char *digest, int64_t size, kerr *e);
/* Remove W's temp file (safe on a closed or never opened W). */
void kstore_blob_discard(struct kstore *s, struct kstore_blobw *w);
/* The stored blob DIGEST open for reading (its fd), *size its bytes. */
int kstore_blob_fd(const struct kstore *s, const char *digest, int64_t *size, kerr *e);
/* Remove tmp/NAME. */
void kstore_tmp_remove(struct kstore *s, const char *name);
/* The whole of the stored blob DIGEST, verified again (configs, manifests). */
int kstore_blob_read(const struct kstore *s, const char *digest, size_t max, char **out, size_t *len, kerr *e);

/* A pulled image, every blob verified: REC as it will be in the index
 * (its size is filled by the commit), TMP[i] the temp file of blob
 * DIGESTS[i] ("" when the store had it), NAME the name it gets (or NULL). */
struct kstore_pulled {
	struct kstore_image *rec;
	char **digests;
	char (*tmp)[64];
	size_t nblobs;
	const char *name;
};
/* The store has REC's image already, with these very layers: nothing to
 * fetch but the name. */
struct kstore_image *kstore_find_image(struct kstore *s, const char *id);
int kstore_pull_commit(struct kstore *s, struct kstore_pulled *p, const struct kstore_image **out, kerr *e);

#endif
