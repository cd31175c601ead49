/* Inside image/: where an image's members come from, a tar file or a
 * directory, behind one interface.  Member names are normalised relative
 * paths ("manifest.json", "blobs/sha256/<hex>"). */
#ifndef KAPSEL_IMAGE_SOURCE_H
#define KAPSEL_IMAGE_SOURCE_H

#include "common/err.h"

#include <stddef.h>
#include <sys/types.h>

struct archive;
struct ksrc;

#define KSRC_DOC_MAX (4u << 20) /* JSON documents are read up to this size */

/* Give reader A the decompressions kapsel reads, all in-process: gzip and
 * zstd (the image-spec's layer compressions) and, unless LAYER_ONLY, xz
 * and bzip2 too (archives such as `docker save | xz`, rootfs tarballs).
 * Never libarchive's "all": it would run lrzip, lzop or grzip as external
 * programs on an image's bytes.  A filter libarchive could only run as an
 * external program (ARCHIVE_WARN) is ENOTSUP naming WHAT. */
#define KSRC_LAYER_ONLY 1
int ksrc_filters(struct archive *a, int flags, const char *what, kerr *e);

/* PATH: a directory (an OCI layout) or an archive.  Errors name PATH. */
int ksrc_open(const char *path, struct ksrc **out, kerr *e);
/* Another owner of S (the images of one archive share it); ksrc_free drops
 * one and frees S with the last. */
struct ksrc *ksrc_ref(struct ksrc *s);
void ksrc_free(struct ksrc *s);
/* 0 if MEMBER is there (a regular file), -1 with e saying why not. */
int ksrc_check(const struct ksrc *s, const char *member, kerr *e);
/* The member's content (NUL-terminated) if it is at most MAX bytes;
 * -1 with ENOENT when it is missing, EFBIG when larger. */
int ksrc_read(struct ksrc *s, const char *member, size_t max, char **out, size_t *len, kerr *e);
/* A layer: a libarchive reader (tar formats, ksrc_filters) over the
 * member, ready for archive_read_next_header.  DIGEST (may be NULL) is the
 * member's sha256: a member held in memory is checked here, a streamed one
 * by ksrc_layer_end once its entries are read. */
struct klayer;
struct klayer *ksrc_layer_open(struct ksrc *s, const char *member, const char *digest, kerr *e);
struct archive *ksrc_layer_archive(struct klayer *l);
/* After the last entry: read the rest of the member and check its digest. */
int ksrc_layer_end(struct klayer *l, kerr *e);
void ksrc_layer_close(struct klayer *l);
/* A member's raw bytes, as stored (the store copies blobs unchanged). */
struct ksrc_blob;
struct ksrc_blob *ksrc_blob_open(struct ksrc *s, const char *member, kerr *e);
/* The count read, 0 at the end, -1 (e names the member) on a read error. */
ssize_t ksrc_blob_read(struct ksrc_blob *b, void *buf, size_t n, kerr *e);
void ksrc_blob_close(struct ksrc_blob *b);

#endif
