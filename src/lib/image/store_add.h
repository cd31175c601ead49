/* Inside image/: the one path by which images enter the store, taken by
 * kstore_load (store_load.c) and the registry's pull (store_pull.c);
 * implemented in store_layer.c. */
#ifndef KAPSEL_IMAGE_STORE_ADD_H
#define KAPSEL_IMAGE_STORE_ADD_H

#include "common/err.h"
#include "common/sha256.h"
#include "image/store.h"
#include "image/store_int.h"

#include <stddef.h>

/* The caller streams each blob of an image into a temp file of tmp/
 * (kstore_tmpfile, kstore_write; fsync'ed and closed) while it
 * checks the blob's sha256 against its digest, or finds the blob in the
 * store already (tmp ""), and fills a kstore_pending: the record (id =
 * the config's digest, manifest digest or NULL, created, size, the layers
 * with digest, diff_id, media_type and blob size) and the staged blobs
 * (config, manifest, every layer).  kstore_add then
 *   1. unpacks every layer whose ChainID the store has no directory for
 *      into tmp/ (apply.h): a hostile layer fails here, naming the image,
 *      the layer, the entry and the rule.  A staged blob is trusted to be
 *      what the caller verified; a blob the store had is checked again
 *      (digest and diff_id) as it streams;
 *   2. renames the blobs (fsync'ed) into blobs/sha256 and the layer
 *      directories into layers/, fsyncs both directories;
 *   3. merges the records into the index (an image it has already gains
 *      the names), writes index.json (the commit point) and sweeps what no
 *      image names (kstore_gc).
 * On an error nothing is visible: the caller's kstore_pending_free removes
 * the temp files, kstore_add its temp layer directories.  FN (may be NULL)
 * is told of each image with the names it got.  Needs the exclusive lock. */
struct kstore_staged {
	char digest[KSHA256_DIGEST]; /* its verified sha256 */
	char tmp[64];                /* its temp file in tmp/, "" when the store has the blob */
};

struct kstore_pending {
	struct kstore_image rec;
	struct kstore_staged *blobs;
	size_t nblobs;
	char **names; /* repo:tag as kstore_norm_name gives them, NULL-terminated (may be NULL) */
};

/* The layers of IMG the store has unpacked already must have been unpacked
 * as s->keep asks, or hold no file it concerns (EEXIST naming the layer);
 * kstore_add checks this, the pull before its commit. */
int kstore_layers_check(struct kstore *s, const struct kstore_image *img, kerr *e);

int kstore_add_staged(struct kstore_pending *p, const struct kstore_staged *st, kerr *e);
int kstore_add(struct kstore *s, struct kstore_pending *p, size_t n, kstore_loaded_fn fn, void *ud, kerr *e);
void kstore_pending_free(struct kstore *s, struct kstore_pending *p, size_t n);

#endif
