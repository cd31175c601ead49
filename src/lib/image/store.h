/* The image store: images loaded from archives, kept by digest.
 *
 *   ROOT/lock                 flock: shared for reads, exclusive for writes
 *   ROOT/blobs/sha256/<hex>   every blob (configs, manifests, layers) as it
 *                             came, named by the sha256 of its bytes
 *   ROOT/index.json           the images (by config digest: the image ID),
 *                             their layers, manifest digest and names
 *   ROOT/layers/<chain-hex>/  each layer unpacked once per ChainID (apply.h):
 *                             diff/ (an overlay lowerdir) and report.json
 *                             (what the applier removed: setuid bits, file
 *                             capabilities, xattrs)
 *   ROOT/holds/<holder>       an image in use (the ID it holds), kstore_hold
 *   ROOT/tmp/                 blobs, documents and layer directories being
 *                             written
 *
 * Contract.  kstore_open() takes the lock for the whole life of the handle
 * and removes what a killed command left in tmp/ (no writer can be running
 * while any lock is held, so everything there is stale).  A blob is
 * written to tmp/, fsync'ed and renamed into blobs/ only once its digest
 * (and, for a layer, the digest of its uncompressed tar against the
 * config's rootfs.diff_ids) is verified; index.json is replaced by rename
 * after the blobs it names and their directory are on disk.  index.json is
 * the one commit point: a crash at any moment leaves either the old index
 * or the new one, never a half-loaded image.  Blobs no image of the index
 * names (a crash between the renames and the commit, an rmi) are removed
 * by kstore_gc (mark and sweep), which every write runs under the
 * exclusive lock.  Layers are unpacked when an image enters the store,
 * into tmp/, and renamed into layers/ (one rename each, after the blob's
 * digest and the diff_id are verified) before index.json is written; the
 * same sweep removes layer directories no image uses.
 *
 * References (kstore_resolve): NAME[:TAG] (tag latest by default,
 * docker.io/library/ dropped as Docker shows names), NAME@sha256:<hex>
 * (the manifest digest or the image ID), sha256:<hex> (the ID, or a
 * prefix), or a prefix of at least 4 hex digits of the ID; an ambiguous
 * prefix is an error that lists the candidates. */
#ifndef KAPSEL_IMAGE_STORE_H
#define KAPSEL_IMAGE_STORE_H

#include "common/err.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#define KSTORE_ROOT "/var/lib/kapsel"

struct kstore;

struct kstore_layer {
	char *digest;     /* the blob as stored */
	char *diff_id;    /* sha256 of the uncompressed tar (config rootfs.diff_ids) */
	char *media_type; /* from the manifest, or NULL */
	int64_t size;     /* bytes of the blob */
};

struct kstore_image {
	char *id;       /* sha256:<hex> of the config */
	char *manifest; /* the OCI manifest's digest, or NULL (a legacy docker save has none) */
	char **names;   /* repo:tag, NULL-terminated (maybe empty) */
	char *created;  /* the config's "created", or NULL */
	int64_t size;   /* bytes of the uncompressed layers */
	struct kstore_layer *layers;
	size_t nlayers;
};

#define KSTORE_SHARED 0
#define KSTORE_EXCLUSIVE 1

/* Open (creating) the store at ROOT with the lock MODE held until close. */
int kstore_open(const char *root, int mode, struct kstore **out, kerr *e);

/* How the images this handle adds are unpacked (load, import, pull): by
 * default setuid/setgid bits are removed and security.capability dropped;
 * KSTORE_KEEP_SETUID / KSTORE_KEEP_FILE_CAPS keep them.  A layer is one
 * directory per ChainID, so an image whose layer is unpacked already the
 * other way, and has such files, is refused (EEXIST, naming the layer):
 * the flag never changes what another image's layer gives, nor does the
 * default hand out what an earlier --keep-setuid kept. */
#define KSTORE_KEEP_SETUID 1u
#define KSTORE_KEEP_FILE_CAPS 2u
void kstore_set_keep(struct kstore *s, unsigned keep);
void kstore_close(struct kstore *s);

/* The images, newest created first; valid until the store changes. */
const struct kstore_image *kstore_images(const struct kstore *s, size_t *n);
/* Find REF (see above).  *how (may be NULL) is the name it matched, or NULL
 * when it matched by digest or ID.  ENOENT "no such image", EINVAL for a
 * malformed or ambiguous reference. */
int kstore_resolve(const struct kstore *s, const char *ref, const struct kstore_image **out, const char **how, kerr *e);
/* The image's config, parsed from its blob (verified again). */
int kstore_config(const struct kstore *s, const struct kstore_image *img, json_object **out, kerr *e);
/* "repo:tag" of NAME in the form the store keeps (the tag latest added,
 * docker.io/library/ dropped); NULL with EINVAL naming it when malformed. */
char *kstore_norm_name(const char *name, kerr *e);
/* The length of the repository part of a stored "repo:tag". */
size_t kstore_repo_len(const char *name);

/* Load every image of the archive or OCI layout PATH (exclusive lock).
 * Every blob of every image is verified before any is renamed into the
 * store; loading an image again changes nothing.  FN (may be NULL) is
 * told of each image loaded, with the names it got. */
typedef void (*kstore_loaded_fn)(void *ud, const struct kstore_image *img, char *const *names);
int kstore_load(struct kstore *s, const char *path, kstore_loaded_fn fn, void *ud, kerr *e);
/* The same from an fd (a pipe): copied to tmp/ first, as tar archives
 * are read twice. */
int kstore_load_fd(struct kstore *s, int fd, kstore_loaded_fn fn, void *ud, kerr *e);

/* Import the root filesystem tarball read from FD (plain or compressed;
 * WHAT names it in errors and in the history entry, "Imported from
 * WHAT") as a one-layer image named NAME (may be NULL), as `docker import`
 * does: the layer stored uncompressed, the config with the host's
 * architecture, os linux and the time.  The layer is unpacked and checked
 * like a loaded one.  FN is told of the image. */
int kstore_import(struct kstore *s, int fd, const char *what, const char *name, kstore_loaded_fn fn, void *ud, kerr *e);

/* Write the images REFS[0..N) to FD as one tar: an OCI image layout with
 * Docker's manifest.json beside it (as Docker >= 25 saves), the blobs as
 * stored (each hashed again), so loading it gives the same image IDs.  A
 * reference by name saves that name, one by ID none (as docker save).
 * The shared lock is enough. */
int kstore_save(struct kstore *s, const char *const *refs, size_t n, int fd, kerr *e);

/* Give the image REF the name NAME (taken from any image that had it). */
int kstore_tag(struct kstore *s, const char *ref, const char *name, kerr *e);
/* Remove REF: a name is untagged, and the image deleted when it has no
 * name left; an ID or digest deletes the image, refused (EEXIST) when it
 * has more than one name unless FORCE.  FN is told "Untagged" NAME and
 * "Deleted" ID as Docker prints them.  Unreferenced blobs are removed. */
typedef void (*kstore_removed_fn)(void *ud, const char *what, const char *name);
int kstore_remove(struct kstore *s, const char *ref, int force, kstore_removed_fn fn, void *ud, kerr *e);
/* Remove every blob and layer directory no image names (the exclusive
 * lock is held). */
int kstore_gc(struct kstore *s, kerr *e);

/* The unpacked layer directories of IMG, for overlayfs: *dirs gets the
 * absolute paths of ROOT/layers/<chain>/diff, base layer first (overlay's
 * lowerdir= wants them top first), NULL-terminated; free with
 * kstrv_free.  A layer not unpacked yet (an image loaded by an older
 * kapsel) is unpacked from its blob, verified, which needs the exclusive
 * lock: with the shared one that is an error with errnum EAGAIN (open the
 * store exclusively and call again). */
int kstore_layer_dirs(struct kstore *s, const struct kstore_image *img, char ***dirs, kerr *e);
/* Per layer of IMG, what the applier removed: a JSON array (base first) of
 * {"ChainID", "Unpacked": bool, "SetuidRemoved": [paths],
 * "FileCapsRemoved": [paths], "SetuidRemovedCount": n,
 * "FileCapsRemovedCount": n, "XattrsDropped": n}; the lists stop at
 * KAPPLY_REPORT_MAX (1000) paths, the counts do not. */
int kstore_layer_report(const struct kstore *s, const struct kstore_image *img, json_object **out, kerr *e);

/* What the store takes on disk: blobs by their bytes, layer directories by
 * the bytes of their uncompressed tar, each once.  ACTIVE images are held;
 * RECLAIMABLE is what no held image uses. */
struct kstore_df {
	size_t images, active;
	int64_t size, reclaimable;
};
int kstore_df(const struct kstore *s, struct kstore_df *out, kerr *e);
/* Remove the images no container holds that have no name (with ALL: every
 * one), as `docker image prune [-a]`; FN is told "untagged" NAME and
 * "deleted" ID; *RECLAIMED the bytes given back.  Exclusive lock. */
int kstore_prune(struct kstore *s, int all, kstore_removed_fn fn, void *ud, int64_t *reclaimed, kerr *e);

/* Holds: HOLDER (a container ID or name: letters, digits, "_.-", at most
 * 128, not starting with ".") uses IMG, so kstore_remove refuses to delete
 * it ("image is being used by container HOLDER", EEXIST) and its layers
 * stay.  One image per holder: holding again replaces the hold.  Persisted
 * as ROOT/holds/HOLDER (written by rename: a crash leaves the old hold or
 * the new one).  Both need the exclusive lock; releasing a holder that
 * holds nothing is not an error. */
int kstore_hold(struct kstore *s, const struct kstore_image *img, const char *holder, kerr *e);
int kstore_release(struct kstore *s, const char *holder, kerr *e);
/* The holders of image ID (every holder when ID is NULL), a new
 * NULL-terminated vector; NULL with E filled on an error. */
char **kstore_holders(const struct kstore *s, const char *id, kerr *e);

#endif
