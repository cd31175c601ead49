/* Applying the five capability sets to the calling process.  The names
 * are vocab/caps.h. */
#ifndef KAPSEL_CAPS_H
#define KAPSEL_CAPS_H

#include "common/err.h"

#include <stdint.h>

struct kcaps {
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

/* Set effective/permitted/inheritable with capset, then the ambient set.
 * The bounding set is dropped before, with kcaps_drop_bounding, while
 * CAP_SETPCAP is still effective; this runs after setuid with
 * PR_SET_KEEPCAPS (see process.c). */
int kcaps_apply(const struct kcaps *c, kerr *e);
/* Drop only the bounding set (before setuid). */
int kcaps_drop_bounding(uint64_t keep, kerr *e);

#endif
