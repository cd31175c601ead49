/* Namespaces: join one by path (its type checked), write id mappings. */
#ifndef KAPSEL_NS_H
#define KAPSEL_NS_H

#include "common/err.h"

#include <sys/types.h>

struct oci_spec;
struct oci_ns;

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Open NS->path and check it is a namespace of NS->type. Returns an fd. */
int kns_open(const struct oci_ns *ns, kerr *e);
int kns_join_fd(int fd, int type, kerr *e);
/* Write uid_map and gid_map of PID from the spec, through the verified
 * procfs handle PROCFD (linux/procfs.h). */
int kns_write_idmaps(int procfd, pid_t pid, const struct oci_spec *s, kerr *e);
/* A user namespace with these mappings, for mount_setattr(MOUNT_ATTR_IDMAP):
 * a forked child unshares it, its maps are written through PROCFD, its
 * ns/user is opened and the child is reaped.  WHAT names the mappings in
 * errors ("config.json: mounts[2]").  Returns the fd (O_CLOEXEC). */
struct oci_idmap;
int kns_userns_fd(int procfd, const struct oci_idmap *uid, size_t n_uid, const struct oci_idmap *gid, size_t n_gid,
		  const char *what, kerr *e);
/* Write self/timens_offsets (after unshare(CLONE_NEWTIME)) through PROCFD. */
int kns_write_time_offsets(int procfd, const struct oci_spec *s, kerr *e);
/* Bring up the loopback interface of the calling process's network
 * namespace (a new one has lo down; a container init made there needs
 * CAP_NET_ADMIN over it: after becoming root in its user namespace). */
int kns_loopback_up(kerr *e);

#endif
