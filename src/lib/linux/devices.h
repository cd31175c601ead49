/* Device nodes in the container: the runtime-spec default set (null, zero,
 * full, random, urandom, tty), linux.devices, and the /dev symlinks.  In a
 * user namespace, where mknod is not allowed, host nodes are bind-mounted. */
#ifndef KAPSEL_DEVICES_H
#define KAPSEL_DEVICES_H

#include "common/err.h"

struct oci_spec;

int kdev_setup(int rootfd, const struct oci_spec *s, int in_userns, int dev_is_mounted, kerr *e);

#endif
