/* Docker's -v and --mount, parsed (pure functions, unit-tested):
 *
 *   -v SRC:DST[:OPTS]   SRC absolute: a bind; else a named volume; -v DST
 *                       alone: an anonymous volume.  OPTS: ro, rw, nocopy
 *                       (volumes), and a bind's propagation (private,
 *                       rprivate, slave, rslave, shared, rshared) and idmap
 *                       (Podman's: the bind idmapped through the container's
 *                       user namespace); anything else (z, Z, ...) is
 *                       refused.
 *   --mount type=bind|volume|tmpfs,source=,target=,readonly[=BOOL],
 *           volume-nocopy[=BOOL],tmpfs-size=,tmpfs-mode=,bind-propagation=
 *
 * Errors use Docker's words where Docker has them. */
#ifndef KAPSEL_ENGINE_MOUNTS_H
#define KAPSEL_ENGINE_MOUNTS_H

#include "common/err.h"

#include <stdbool.h>
#include <stdint.h>

enum keng_mount_type { KENG_MOUNT_BIND, KENG_MOUNT_VOLUME, KENG_MOUNT_TMPFS };

struct keng_mount {
	enum keng_mount_type type;
	char *source; /* bind: the host path; volume: its name, NULL for an anonymous one */
	char *target; /* absolute, clean */
	bool ro, nocopy;
	bool idmap;         /* bind: -v ...:idmap */
	bool anonymous;     /* a volume named by kapsel (-v DST, --mount without source) */
	char *propagation;  /* bind: NULL is rprivate */
	int64_t tmpfs_size; /* bytes, 0: kapsel.conf's */
	int tmpfs_mode;     /* -1: 1777 */
	char *mode;         /* -v's OPTS as given (inspect's Mode), "" for --mount */
};

void keng_mount_clear(struct keng_mount *m);
const char *keng_mount_type_name(enum keng_mount_type t);
/* -v's and --mount's syntax into M (EINVAL naming the flag and value). */
int keng_mount_parse_v(const char *spec, struct keng_mount *m, kerr *e);
int keng_mount_parse_mount(const char *spec, struct keng_mount *m, kerr *e);
/* A local volume's name: [a-zA-Z0-9][a-zA-Z0-9_.-]+, as Docker's. */
bool keng_volume_name_ok(const char *name);

#endif
