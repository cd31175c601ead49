/* A verified handle on procfs: the only way the runtime opens files under
 * /proc to write them (sysctls, oom_score_adj, uid_map and gid_map,
 * timens_offsets, attr/ for AppArmor and SELinux) or to reach its own fds.
 *
 * A /proc that an image, a volume or a config mount can reach may send a
 * write anywhere: /proc a symlink into a volume, a bind mount over part of
 * /proc/sys, an entry swapped while the runtime sets up (the CVE-2025-52881
 * class).  So:
 *   - the handle is the runtime's own /proc, opened by kprocfs_open() before
 *     any image is looked at or any namespace joined, and checked to be the
 *     root of a procfs (fstatfs says PROC_SUPER_MAGIC, the root inode);
 *     children inherit it, and it stays valid after pivot_root;
 *   - a path below it is resolved with openat2(RESOLVE_BENEATH |
 *     RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS): no
 *     symlink followed, no mount crossed, nothing outside (without openat2:
 *     a component walk that refuses symlinks, ".." and other filesystems),
 *     and the file opened is checked to be on procfs as well;
 *   - a leading "self" or "thread-self" (symlinks inside procfs) is read
 *     with readlink on the handle, which gives the caller's pid as that
 *     procfs numbers it (the host's, from inside a pid namespace too).
 * Sysctl, uts and ipc files act on the namespaces of the calling process,
 * whichever procfs instance they are opened through.
 *
 * Paths are relative ("sys/net/ipv4/ip_forward", "self/attr/exec"); errors
 * name them as "/proc/PATH".  Every fd returned is O_CLOEXEC; the caller
 * owns it. */
#ifndef KAPSEL_PROCFS_H
#define KAPSEL_PROCFS_H

#include "common/err.h"

/* Open and verify the handle (an O_PATH directory fd on /proc). */
int kprocfs_open(kerr *e);
/* Open PATH below the handle with FLAGS (O_PATH, O_WRONLY, O_DIRECTORY ...). */
int kprocfs_openat(int procfd, const char *path, int flags, kerr *e);
/* Write S to PATH below the handle in one write(2), as procfs wants it. */
int kprocfs_write(int procfd, const char *path, const char *s, kerr *e);

#endif
