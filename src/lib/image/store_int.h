/* Inside image/: the store's handle, shared by store.c (lock, index,
 * commit, gc), store_ref.c (names and references) and store_load.c. */
#ifndef KAPSEL_IMAGE_STORE_INT_H
#define KAPSEL_IMAGE_STORE_INT_H

#include "common/err.h"

#include <stddef.h>

struct kstore_image;

struct kstore {
	char *root;
	int mode; /* KSTORE_SHARED or KSTORE_EXCLUSIVE */
	int lockfd;
	int rootfd, blobfd, tmpfd; /* ROOT, ROOT/blobs/sha256, ROOT/tmp */
	struct kstore_image *img;
	size_t n;
	unsigned seq; /* temp file names of this process */
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

/* Remove the signatures of manifests no image has (store_sig.c). */
int kstore_gc_signatures(struct kstore *s, kerr *e);

#endif
