/* Which mounts may touch /proc.  The container's /proc is the procfs the
 * runtime mounted there; the runtime itself writes only through its own
 * verified handle (linux/procfs.h), and what the container sees at /proc
 * must not be something an image, a volume or a racing process chose.  As
 * runc does:
 *   - a mount on /proc must be a procfs (type "proc", or a bind of one);
 *   - the rootfs's /proc must be a directory, not a symlink (the mount,
 *     and the container's every use of "/proc", would land elsewhere), and
 *     the one the mount point resolved to (not swapped meanwhile);
 *   - nothing may be mounted inside a procfs (a destination under /proc, or
 *     one whose symlinks lead into it) but the files lxcfs replaces:
 *     /proc/cpuinfo, diskstats, loadavg, meminfo, stat, swaps, uptime;
 *   - after the mounts, and after pivot_root, /proc is still that procfs.
 * Every refusal names the mount's destination and ends in "refused". */
#ifndef KAPSEL_PROCMOUNT_H
#define KAPSEL_PROCMOUNT_H

#include "common/err.h"

#include <limits.h>

struct oci_mount;
struct oci_spec;

/* DEST lexically cleaned: no "//", ".", ".." or trailing "/". */
void kprocmount_clean(const char *dest, char out[PATH_MAX]);
/* Before anything is created for M (DEST cleaned; TREE its detached source
 * tree or -1; ROOTFD the rootfs). */
int kprocmount_check_before(const struct oci_mount *m, const char *dest, int tree, int rootfd, kerr *e);
/* Once M's mount point TFD is resolved inside the rootfs. */
int kprocmount_check_after(const struct oci_mount *m, const char *dest, int rootfd, int tfd, kerr *e);
/* When S mounts proc on /proc: PROC under DIRFD ("proc" under the rootfs
 * before pivot_root, "/proc" after) is a directory on procfs. */
int kprocmount_verify(const struct oci_spec *s, int dirfd, const char *proc, kerr *e);

#endif
