/* Inside image/: the store's handle, shared by store.c (lock, index,
 * commit, gc), store_ref.c (names and references), store_load.c (load),
 * store_layer.c (unpacked layers, holds, kstore_add) and the registry's
 * pull (store_pull.c).  (store_add.h is apart because it needs store.h's
 * types, and store.c includes this header.) */
#ifndef KAPSEL_IMAGE_STORE_INT_H
#define KAPSEL_IMAGE_STORE_INT_H

#include "common/err.h"
#include "common/sha256.h"

#include <stddef.h>

struct kstore_image;

struct kstore {
	char *root;
	int mode; /* KSTORE_SHARED or KSTORE_EXCLUSIVE */
	int lockfd;
	int rootfd, blobfd, tmpfd; /* ROOT, ROOT/blobs/sha256, ROOT/tmp */
	int layerfd, holdfd;       /* ROOT/layers, ROOT/holds */
	struct kstore_image *img;
	size_t n;
	unsigned seq;  /* temp file names of this process */
	unsigned keep; /* KSTORE_KEEP_* for the layers this handle unpacks */
};

/* Write index.json from s->img (tmp + fsync + rename + fsync ROOT). */
int kstore_commit(struct kstore *s, kerr *e);
/* A fresh temp file in tmp/: its fd (write-only), its name in NAME. */
int kstore_tmpfile(struct kstore *s, const char *what, char name[64], kerr *e);
/* Write all of BUF to the temp file FD (tmp/NAME). */
int kstore_write(struct kstore *s, int fd, const char *name, const void *buf, size_t n, kerr *e);
/* fsync the file FD, close it and rename tmp/NAME to DIRFD/TO. */
int kstore_publish(struct kstore *s, int fd, const char *name, int dirfd, const char *to, kerr *e);
/* Release an image record's members. */
void kstore_image_clear(struct kstore_image *img);
/* Add NAME to IMG, taking it from any other image. */
int kstore_add_name(struct kstore *s, struct kstore_image *img, const char *name, kerr *e);
/* Drop image I from the index (its members released). */
void kstore_drop(struct kstore *s, size_t i);

/* Adding images (load, pull): store_add.h. */

/* The ChainIDs of IMG's layers (image-spec: ChainID(L0) = DiffID(L0),
 * ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))), base first;
 * OUT has img->nlayers slots. */
void kstore_chain_ids(const struct kstore_image *img, char (*out)[KSHA256_DIGEST]);
/* 1 if IMG names the blob HEX (its config, manifest or a layer), or uses
 * the layer directory of ChainID HEX (a hex digest without "sha256:"). */
int kstore_image_uses_blob(const struct kstore_image *img, const char *hex);
int kstore_image_uses_chain(const struct kstore_image *img, const char *hex);
/* Remove the layer directories no image uses (the exclusive lock is held). */
int kstore_gc_layers(struct kstore *s, kerr *e);
/* Remove the signatures of manifests no image has (store_sig.c). */
int kstore_gc_signatures(struct kstore *s, kerr *e);

#endif
