/* Device nodes in the container: the runtime-spec default set (null, zero,
 * full, random, urandom, tty), linux.devices, and the /dev symlinks.  In a
 * user namespace, where mknod is not allowed, host nodes are bind-mounted.
 *
 * The directory of a node is resolved inside ROOTFD; a node's mode and owner
 * are set through an fd of the node just made (O_PATH|O_NOFOLLOW, checked to
 * be that device: type and st_rdev), never by a name a racing process could
 * swap for a symlink; the mode through FD_DIR, the runtime's own
 * /proc/PID/fd opened on a verified procfs (linux/procfs.h).  At the end the
 * node must still be where it was made, inside the root; else it is removed
 * and the container fails. */
#ifndef KAPSEL_DEVICES_H
#define KAPSEL_DEVICES_H

#include "common/err.h"

struct oci_spec;

int kdev_setup(int rootfd, int fd_dir, const struct oci_spec *s, int in_userns, int dev_is_mounted, kerr *e);

#endif
