/* Inside engine/: named volumes for create and rm (the public calls are
 * in engine.h). */
#ifndef KAPSEL_ENGINE_VOLUME_H
#define KAPSEL_ENGINE_VOLUME_H

#include "internal.h"

#include <sys/types.h>

/* ROOT/volumes/NAME[/SUB]; free it. */
char *keng_volume_path(const struct keng *g, const char *name, const char *sub);
bool keng_volume_exists(const struct keng *g, const char *name);
/* A fresh anonymous volume's name (64 hex digits). */
int keng_volume_anon_name(char name[65], kerr *e);
/* Make NAME unless it exists (*created says which). */
int keng_volume_make(struct keng *g, const char *name, char *const *labels, bool anonymous, bool *created, kerr *e);
/* Make NAME if needed and, at its first use (no other container holds
 * it), copy the image's TARGET from ROOTFD into it (when COPY) and give
 * its top to UID:GID (host ids).  The exclusive lock is held. */
int keng_volume_prepare(struct keng *g, const char *name, bool anonymous, bool copy, int rootfd, const char *target,
			uid_t uid, gid_t gid, bool *created, kerr *e);
/* Remove the anonymous ones among NAMES that no container uses. */
int keng_volume_remove_anonymous(struct keng *g, char *const *names, kerr *e);

#endif
