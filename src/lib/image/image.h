/* The image reader: `docker save` archives (the legacy layout with
 * manifest.json and <id>/layer.tar, and Docker >= 25's OCI layout with
 * manifest.json beside index.json) and OCI image layouts, as a tar file
 * (plain, gzip, zstd ...: whatever libarchive reads) or a directory.
 *
 * Contract.  kimage_open() reads and checks the small documents (the
 * manifest, the index, the image config: digests verified where the layout
 * names blobs by digest) and keeps no layer in memory.  kimage_walk() then
 * streams the layers, base first, through a visitor:
 *
 *   layer_begin(layer)
 *     entry(e)          one per tar entry, in archive order; e->path is
 *                       normalised ("etc/passwd", "" for the root); the
 *                       entry's data is read on demand with kimage_read()
 *                       while the callback runs (unread data is skipped)
 *     whiteout(path)    a .wh.NAME entry: PATH and everything below it, as
 *                       the lower layers have it, is deleted
 *     opaque(dir)       a .wh..wh..opq entry: the lower layers' content of
 *                       DIR is hidden (DIR itself stays)
 *   layer_end(layer)
 *
 * Whiteout events arrive in archive order; per the image spec they apply to
 * the lower layers only, never to entries of the same layer.  Any callback
 * may be NULL; one that returns < 0 stops the walk with its kerr, wrapped
 * with the image and the layer.  Hostile input fails closed with an error
 * naming the archive and the member: a path with a ".." component or an
 * absolute path (entry or hard-link target), a whiteout of "." or "..", a
 * missing layer or config, JSON that does not parse or has the wrong shape,
 * a blob whose content does not match its digest, documents over 4 MiB.
 * A layer named by digest (OCI, Docker >= 25) is verified: before its first
 * entry when it is small enough to be held in memory (1 MiB), else as it
 * streams, failing after its last entry, so a visitor must not make
 * anything it wrote visible before kimage_walk() returned 0.  A legacy
 * docker save names layers by id: nothing to verify them against but the
 * config's diff_ids (of the uncompressed tar), which is left to the
 * caller.
 * Audit's in-memory filesystem index (audit/imagefs.c) is one visitor; the
 * image store's layer applier and the scanner's package-database walk are
 * meant to be the others. */
#ifndef KAPSEL_IMAGE_H
#define KAPSEL_IMAGE_H

#include "common/err.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct kimage_layer {
	size_t index;             /* 0: the base layer */
	char *member;             /* where it is: "<id>/layer.tar", "blobs/sha256/<hex>" */
	char *digest;             /* the blob's digest when the layout names it, else NULL */
	char *media_type;         /* from an OCI manifest, else NULL */
	char *diff_id;            /* config rootfs.diff_ids[index] (digest of the tar), or NULL */
	char *created_by;         /* the config history entry that made the layer, or NULL */
};

/* An index.json entry annotated "kind" with this is a signature manifest
 * (cosign save's layout, cosign.h), not an image. */
#define KIMAGE_KIND_SIGS "dev.cosignproject.cosign/sigs"

struct kimage {
	char *path;               /* the archive or directory as given */
	const char *format;       /* "docker-save" or "oci" */
	char *name;               /* RepoTags[0] or the ref.name annotation, or NULL */
	char **tags;              /* every RepoTags entry (or the name); NULL-terminated, maybe empty */
	size_t which;             /* the image's place in the archive's manifest.json / index.json */
	char *config_member;      /* where the config is */
	char *config_digest;      /* "sha256:<hex>" when known, else NULL */
	char *manifest_member;    /* an OCI layout's image manifest, else NULL ... */
	char *manifest_digest;    /* ... and its digest */
	json_object *config;      /* the image config (an object) */
	struct kimage_layer *layers;
	size_t nlayers;
	struct ksrc *src;         /* private: the archive or directory */
};

/* Open PATH (a tar file or a directory).  *out is freed with kimage_close. */
int kimage_open(const char *path, struct kimage **out, kerr *e);
void kimage_close(struct kimage *img);
/* Every image of PATH (the entries of manifest.json, or of index.json),
 * read once: *out is an array of *n images (at least one), freed with
 * kimage_close_all. */
int kimage_open_all(const char *path, struct kimage ***out, size_t *n, kerr *e);
void kimage_close_all(struct kimage **v, size_t n);

/* One tar entry of a layer, valid during the entry callback. */
struct kimage_entry {
	const struct kimage_layer *layer;
	const char *path;         /* normalised, no leading or trailing '/' */
	unsigned mode;            /* type (S_IFMT) and permission bits; a hard link is S_IFREG */
	uid_t uid;
	gid_t gid;
	int64_t size;             /* bytes of data (0 for a hard link) */
	int64_t mtime;
	dev_t rdev;               /* character and block devices */
	const char *symlink;      /* a symlink's target as stored, else NULL */
	const char *hardlink;     /* a hard link's normalised target path, else NULL */
	struct kimage_walker *w;  /* private */
};

/* Read up to N bytes of the entry's data: the count, 0 at its end, -1 on a
 * broken archive (e names the member and the entry). */
ssize_t kimage_read(struct kimage_entry *ent, void *buf, size_t n, kerr *e);
/* The whole data when it is at most MAX bytes (NUL-terminated, free it);
 * -1 with EFBIG when it is larger. */
int kimage_read_all(struct kimage_entry *ent, size_t max, char **out, size_t *len, kerr *e);
/* An extended attribute ("security.capability"): its value and size, or
 * NULL when the entry has none of that name. */
const void *kimage_xattr(const struct kimage_entry *ent, const char *name, size_t *len);
/* The entry's extended attributes in turn: *I starts at 0; 1 with the
 * name, value and size of the next one, 0 after the last. */
int kimage_xattr_next(const struct kimage_entry *ent, size_t *i, const char **name, const void **val, size_t *len);

struct kimage_visitor {
	int (*layer_begin)(void *ud, const struct kimage_layer *l, kerr *e);
	int (*entry)(void *ud, struct kimage_entry *ent, kerr *e);
	int (*whiteout)(void *ud, const struct kimage_layer *l, const char *path, kerr *e);
	int (*opaque)(void *ud, const struct kimage_layer *l, const char *dir, kerr *e);
	int (*layer_end)(void *ud, const struct kimage_layer *l, kerr *e);
};

int kimage_walk(struct kimage *img, const struct kimage_visitor *v, void *ud, kerr *e);
/* The same for one layer already open as a libarchive reader A (ready for
 * archive_read_next_header): its entries through V, between V's
 * layer_begin and layer_end, with the same normalisation and whiteout
 * events.  L is what the callbacks are told (l->index, l->member).  The
 * caller verifies A's bytes; errors are not wrapped. */
struct archive;
int kimage_walk_archive(struct archive *a, const struct kimage_layer *l, const struct kimage_visitor *v, void *ud,
			kerr *e);

/* Normalise a path of an image ("./a//b/" -> "a/b", "." -> ""); NULL with
 * e filled for ".." components, an absolute path, or ENOMEM.  WHAT names
 * the path in the error. */
char *kimage_norm_path(const char *p, const char *what, kerr *e);

#endif
