/* Capability names and the application of the five capability sets. */
#ifndef KAPSEL_CAPS_H
#define KAPSEL_CAPS_H

#include "common/err.h"

#include <stdint.h>

#define KCAP_NAMES 41 /* CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE (40) */

/* "CAP_SYS_ADMIN" -> 21; -1 if unknown. */
int kcap_from_name(const char *name);
/* 21 -> "CAP_SYS_ADMIN"; NULL if out of the table. */
const char *kcap_name(int cap);
/* Highest capability the running kernel knows. */
int kcap_last_cap(void);

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
