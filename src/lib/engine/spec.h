/* config.json and the container record from the image config, the user's
 * flags and kapsel.conf's defaults (engine-internal). */
#ifndef KAPSEL_ENGINE_SPEC_H
#define KAPSEL_ENGINE_SPEC_H

#include "engine.h"
#include "mounts.h"

#include <sys/types.h>

struct keng_build {
	const struct keng_opts *o;
	const struct keng_defaults *d;
	json_object *image; /* the image config document */
	const char *id, *name, *image_id, *created;
	int rootfd;                 /* the container's root, still writable */
	const char *netns;          /* the namespace file (network none, or a CNI network) */
	const char *netns_join;     /* --network container:X: X's namespace (its file, or /proc/PID/ns/net) */
	const char *pidns_join, *ipcns_join; /* --pid/--ipc container:X: /proc/PID/ns/pid, ipc of X's init */
	const char *pid_join_id, *ipc_join_id; /* X's full ID */
	const char *shm_dir; /* the /dev/shm bound in: --ipc shareable's own tmpfs, container:X's (NULL: a tmpfs of its own) */
	const char *volumes_dir;    /* ROOT/volumes: a named volume is DIR/NAME/_data */
	json_object *volumes_from;  /* --volumes-from's mounts: [{Type, Name|Source, Destination, RW, Propagation, Mode}] */
	struct keng_mount *umounts; /* out: -v's, --mount's and --volumes-from's, parents first (free with keng_build_clear) */
	size_t n_umounts;
	uid_t uid; /* out: the process's uid and gid (inside) */
	gid_t gid;
	bool cni;       /* a CNI network (bridge or a user network): netns joined even in a user namespace */
	bool userns;    /* out: the process runs as root in a user namespace */
	bool root_on_host; /* out: --userns host with uid 0 */
	bool read_only; /* out: mount the root read-only */
};

/* Build config.json (*spec) and container.json (*record).  Resolves the
 * user in the image's /etc/passwd and /etc/group, creates the working
 * directory and the mount points inside the root. */
int keng_build(struct keng_build *b, json_object **spec, json_object **record, kerr *e);
/* The ports the container exposes: IMG_CFG's ExposedPorts (the image
 * config's "config"), then EXPOSE's (--expose PORT[-END][/PROTO]), each
 * "PORT/PROTO" once (a NULL-terminated list in *OUT). */
/* --restart S (no, on-failure[:N], always, unless-stopped) as HOST's
 * RestartPolicy; EINVAL with AUTO_REMOVE unless S is no. */
int keng_restart_policy(const char *s, bool auto_remove, json_object *host, kerr *e);
int keng_exposed(json_object *img_cfg, char *const *expose, char ***out, kerr *e);

/* A label key the policy reads (io.kapsel.*, io.kubernetes.*, ...): an
 * image's label with such a key is not copied into the annotations, so an
 * image cannot name itself into a policy exemption. */
void keng_build_clear(struct keng_build *b);

bool keng_label_reserved(const char *key);

/* --device: SPECS into config.json's linux (nodes and cgroup rules) and
 * HostConfig.Devices (devices.c).  USERNS: the runtime binds the host's
 * node in (no mknod there), from the same path only. */
int keng_devices(char **specs, bool userns, json_object *lx, json_object *host, kerr *e);
/* --sysctl: KVS into config.json's linux.sysctl (added to what is there)
 * and HostConfig.Sysctls, the namespaced keys only (sysctl.c). */
int keng_sysctls(char **kvs, const char *network, json_object *lx, json_object *host, kerr *e);

#endif
