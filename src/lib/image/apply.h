/* The layer applier: one image layer (a tar, compressed or not) unpacked
 * into an empty directory in overlayfs's format, so that the directories
 * of an image's layers, stacked as overlay lowerdirs, give the image's
 * filesystem.  The image store calls it (store_layer.c); a hostile layer
 * cannot use it to touch anything outside that directory.
 *
 * What a layer becomes:
 *   files, dirs, symlinks, FIFOs   created with the entry's owner (lchown),
 *                                  permission bits and mtime
 *   hard link to an entry of the   a hard link (the target must be a
 *   same layer                     regular file)
 *   hard link to a lower layer's   a copy of it (overlay lowerdirs cannot
 *   file                           link across layers)
 *   .wh.NAME                       NAME as a character device 0:0, unless
 *                                  the layer itself has NAME
 *   .wh..wh..opq in DIR            DIR with trusted.overlay.opaque=y
 *   a directory over a whiteout    the directory, opaque (of the same layer)
 *   a parent the layer omits       created with the owner and mode of the
 *                                  same directory in the nearest lower
 *                                  layer (0755 root when none has it)
 *
 * Rules, each an error naming the entry and the rule (nothing is made
 * visible: the caller unpacks into a directory of its own tmp/ and renames
 * it only on success):
 *   - every path is resolved inside the directory (openat2 RESOLVE_IN_ROOT
 *     | RESOLVE_NO_MAGICLINKS for parents; the last component is created,
 *     replaced or linked with *at() calls that never follow it), so an
 *     absolute symlink, "..", or a symlink planted by an earlier entry
 *     never leads out; ".." and absolute entry names are refused by the
 *     reader already (image.h);
 *   - block and character devices and sockets are refused (a layer that
 *     ships /dev/mem gets no device node, and no image is half-applied);
 *   - a hard link to a symlink, a directory or a whiteout is refused, as is
 *     one whose target is nowhere (not in this layer, not in a lower one);
 *   - setuid and setgid bits of non-directories are removed and the paths
 *     reported (a directory's setgid only makes new files inherit its
 *     group, and is kept); security.capability is dropped and reported;
 *     every other xattr outside user.* and system.posix_acl_* (trusted.*,
 *     which includes overlay's own; user.overlay.*, which overlay reads
 *     when mounted with userxattr; the rest of security.*) is not applied
 *     and counted;
 *   - bounds: entries per layer, uncompressed tar bytes, bytes written to
 *     files (a sparse entry expands), an entry's path length (struct
 *     kapply_limits; the defaults below).
 * The blob's digest and the uncompressed tar's diff_id are verified as the
 * layer streams; a mismatch fails after the last entry, so the caller must
 * not use the directory before kapply_layer returned 0. */
#ifndef KAPSEL_IMAGE_APPLY_H
#define KAPSEL_IMAGE_APPLY_H

#include "common/err.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define KAPPLY_MAX_ENTRIES 1000000     /* entries of one layer */
#define KAPPLY_MAX_BYTES (64ULL << 30) /* uncompressed tar bytes, and file bytes written */
#define KAPPLY_MAX_PATH 4095           /* bytes of an entry's path */
#define KAPPLY_REPORT_MAX 1000         /* paths listed per kind in a report */

struct kapply_limits {
	uint64_t max_entries;
	uint64_t max_bytes;
	size_t max_path;
};

/* kapply_in.keep: what the applier keeps instead of removing (reported
 * all the same, in the same lists). */
#define KAPPLY_KEEP_SETUID 1u    /* setuid/setgid bits of files */
#define KAPPLY_KEEP_FILE_CAPS 2u /* security.capability */

struct kapply_in {
	int fd;              /* the layer blob, read from its current offset to its end */
	const char *digest;  /* the blob's sha256 ("sha256:<hex>"), or NULL: not checked */
	const char *diff_id; /* the uncompressed tar's sha256, or NULL: not checked */
	int dirfd;           /* the empty directory to unpack into */
	const int *lower;    /* the lower layers' directories, the nearest first */
	size_t nlower;
	const struct kapply_limits *limits; /* NULL: the defaults above */
	unsigned keep;                      /* KAPPLY_KEEP_*; 0: the rules above */
};

/* What the applier changed, to be shown to the user. */
struct kapply_report {
	char **setuid;    /* paths with setuid/setgid bits, removed unless kept (NULL-terminated, maybe NULL) */
	char **file_caps; /* paths with security.capability, dropped unless kept */
	uint64_t nsetuid, nfile_caps; /* how many: the lists stop at KAPPLY_REPORT_MAX paths */
	uint64_t xattrs_dropped;      /* other xattrs not applied */
	uint64_t entries;             /* entries of the layer */
	uint64_t bytes;               /* uncompressed tar bytes */
};

/* PATH (relative, no leading '/') as the layers LOWER (directory fds,
 * topmost first) show it together, never following a symlink: 1 with *st
 * (and, when FD is not NULL, an O_RDONLY fd of a regular file), 0 when no
 * layer has it or it is whited out or hidden by an opaque directory, -1 on
 * an error. */
int kapply_lookup(const int *lower, size_t nlower, const char *path, struct stat *st, int *fd, kerr *e);

/* Unpack IN->fd into IN->dirfd.  OUT is filled (and must be cleared with
 * kapply_report_clear) whatever the result. */
int kapply_layer(const struct kapply_in *in, struct kapply_report *out, kerr *e);
void kapply_report_clear(struct kapply_report *r);

#endif
