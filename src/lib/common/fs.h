/* File and path helpers.  Everything that touches a path under a container
 * root goes through kfs_*_in_root(), which resolves the path as if the root
 * were "/" (openat2 RESOLVE_IN_ROOT, or a careful component walk on kernels
 * without openat2): a symlink in an image can never lead outside it. */
#ifndef KAPSEL_FS_H
#define KAPSEL_FS_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read a whole file (NUL-terminated).  *len may be NULL. */
int kfs_read_file(const char *path, char **out, size_t *len, kerr *e);
int kfs_read_fd(int fd, char **out, size_t *len, kerr *e);
/* Write a whole file: O_CREAT|O_TRUNC (or, with atomic, via PATH.tmp, made
 * anew with MODE (O_EXCL|O_NOFOLLOW, whatever was there removed), + rename). */
int kfs_write_file(const char *path, const char *data, size_t len, mode_t mode, int atomic, kerr *e);
/* Write a string to an existing file (procfs, sysfs, cgroupfs). */
int kfs_write_str(const char *path, const char *s, kerr *e);
int kfs_write_str_at(int dirfd, const char *name, const char *s, kerr *e);
int kfs_mkdir_p(const char *path, mode_t mode, kerr *e);

/* Resolve PATH inside the root directory ROOTFD and open it with FLAGS
 * (O_CLOEXEC is always added).  Returns an fd or -1 (errno set). */
int kfs_open_in_root(int rootfd, const char *path, int flags, mode_t mode);
/* Create every missing directory of PATH inside ROOTFD; returns an O_PATH fd
 * to the final directory. */
int kfs_mkdir_in_root(int rootfd, const char *path, mode_t mode);
/* Make sure PATH exists inside ROOTFD as a directory (is_dir) or an empty
 * regular file, creating parents; returns an O_PATH fd to it. */
int kfs_mkpath_in_root(int rootfd, const char *path, int is_dir, mode_t mode);

/* Copy the tree under directory SRC into directory DST (files, dirs,
 * symlinks, fifos; modes, owners and times kept).  Never follows a
 * symlink. */
int kfs_copy_tree(int src, int dst, kerr *e);

/* How kfs_copy_at copies.  Owners: UID/GID when >= 0, else the source's,
 * those in MAP_FROM..+MAP_SIZE moved to MAP_TO.. (into or out of a user
 * namespace's range; MAP_SIZE 0: none).  STRIP: mode bits removed (S_ISUID | S_ISGID).  REPLACE: an
 * existing non-directory at the destination is replaced (a directory is
 * never replaced, a directory copied onto one merges).  NO_SPECIAL:
 * device nodes are refused.  Sockets are skipped (nothing without their
 * listener, as tar does); a regular file is opened O_NONBLOCK and checked
 * to be the one stat saw, so one swapped for a fifo blocks nothing; owner,
 * mode and times are set on the fds held, never through a name the other
 * side could swap for a symlink. */
struct kfs_copy_opts {
	int64_t uid, gid;
	int64_t map_from, map_to, map_size;
	mode_t strip;
	bool replace, no_special;
};
/* Copy SNAME of directory SDIR (a file, a symlink as a symlink, or a whole
 * tree) to DNAME of directory DDIR, never following a symlink on either
 * side below the two directories. */
int kfs_copy_at(int sdir, const char *sname, int ddir, const char *dname, const struct kfs_copy_opts *o, kerr *e);
/* Copy what directory SRC holds into directory DST. */
int kfs_copy_into(int src, int dst, const struct kfs_copy_opts *o, kerr *e);

/* Remove NAME in DIRFD, a file or a whole directory tree, never
 * following a symlink; a missing NAME is fine.  Errors name the path
 * below DIRFD. */
int kfs_remove_at(int dirfd, const char *name, kerr *e);

/* "/proc/self/fd/N" for mounting on or reopening an fd. */
#define KFS_FDPATH_MAX 32
const char *kfs_fdpath(int fd, char buf[KFS_FDPATH_MAX]);

/* 1 if the kernel has openat2 (tests may force the fallback walk). */
int kfs_have_openat2(void);
void kfs_force_fallback(int on);
/* 1 if openat2 is there and not switched off by kfs_force_fallback(). */
int kfs_openat2_enabled(void);

#endif
