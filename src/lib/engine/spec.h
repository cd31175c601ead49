/* config.json and the container record from the image config, the user's
 * flags and kapsel.conf's defaults (engine-internal). */
#ifndef KAPSEL_ENGINE_SPEC_H
#define KAPSEL_ENGINE_SPEC_H

#include "engine.h"

struct keng_build {
	const struct keng_opts *o;
	const struct keng_defaults *d;
	json_object *image; /* the image config document */
	const char *id, *name, *image_id, *created;
	int rootfd;        /* the container's root, still writable */
	const char *netns; /* the namespace file (network none, or a CNI network) */
	bool cni;          /* a CNI network (bridge or a user network): netns joined even in a user namespace */
	bool userns;       /* out: the process runs as root in a user namespace */
	bool read_only;    /* out: mount the root read-only */
};

/* Build config.json (*spec) and container.json (*record).  Resolves the
 * user in the image's /etc/passwd and /etc/group, creates the working
 * directory and the mount points inside the root. */
int keng_build(struct keng_build *b, json_object **spec, json_object **record, kerr *e);

/* A label key the policy reads (io.kapsel.*, io.kubernetes.*, ...): an
 * image's label with such a key is not copied into the annotations, so an
 * image cannot name itself into a policy exemption. */
bool keng_label_reserved(const char *key);

#endif
