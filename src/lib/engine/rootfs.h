/* A container's root filesystem and network namespace (engine-internal). */
#ifndef KAPSEL_ENGINE_ROOTFS_H
#define KAPSEL_ENGINE_ROOTFS_H

#include "common/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Mount overlayfs over LOWER (base first) with UPPER and WORK, with the
 * new mount API: fsconfig "lowerdir+" per layer (Linux 6.8+), else one
 * "lowerdir" string.  With USERNS >= 0 (a user namespace fd) every layer
 * is first an idmapped mount through it, so what the host's root owns in
 * the image the namespace's root owns: no copy, no chown of the shared
 * layers (the container's own UPPER is shifted by keng_shift_tree).  The
 * mount is nosuid,nodev and detached: the returned fd is its root,
 * writable until keng_overlay_attach.  UPPER and WORK NULL: a read-only
 * overlay of LOWER alone.  VOLATILE_UPPER: overlayfs' "volatile" (no sync
 * of the upper filesystem, for a --rm container's upper that goes with it;
 * after a crash the upper may be incomplete, and overlayfs refuses it until
 * WORK/work/incompat/volatile (and its "dirty" file) is removed). */
int keng_overlay_open(char *const *lower, const char *upper, const char *work, int userns, bool volatile_upper,
		      kerr *e);
/* A user namespace mapping 0..SIZE-1 to HOST.. (uids and gids); its fd. */
int keng_userns_fd(int64_t host, int64_t size, kerr *e);
/* Shift the owners of everything under DIR (the container's own upper
 * layer) from 0..SIZE-1 to HOST.. (lchown, no symlink followed). */
int keng_shift_tree(const char *dir, int64_t host, int64_t size, kerr *e);
/* Make the detached mount MFD read-only when RO, and attach it at TARGET. */
int keng_overlay_attach(int mfd, bool ro, const char *target, kerr *e);

/* A new network namespace with loopback up, bind-mounted on PATH (an
 * empty file is made). */
int keng_netns_create(const char *path, kerr *e);

/* rm -rf PATH without crossing into a mount below it (nftw FTW_MOUNT). */
int keng_rm_tree(const char *path, kerr *e);

/* A tmpfs of SIZE bytes (mode 1777, nosuid,nodev,noexec) on the directory
 * DIR (made when missing), unless one is there already: the /dev/shm of
 * an --ipc shareable container, which others may join. */
int keng_shm_mount(const char *dir, int64_t size, kerr *e);

/* Detach whatever is mounted on PATH (ENOENT and "not mounted" are fine). */
int keng_umount(const char *path, kerr *e);

#endif
