/* AppArmor's policy as securityfs shows it, and kapsel's own profile
 * (data/apparmor/kapsel-default) kept loaded and current.
 *
 * securityfs (/sys/kernel/security/apparmor) lists every loaded profile in
 * policy/profiles/NAME.N/, with its mode and raw_sha1, the SHA-1 of the
 * compiled policy apparmor_parser handed the kernel.  The kernel keeps no
 * trace of the source, so what kapsel loaded is recorded next to the
 * containers' state: the SHA-256 of the profile file and the raw_sha1 the
 * kernel reported after the load.  kaa_ensure_default() reloads the profile
 * with `apparmor_parser --replace` when it is not loaded, when the file
 * changed since (an update), or when the kernel's copy is not the one
 * kapsel loaded (replaced by hand, or a profile of that name loaded by
 * someone else); otherwise it reads three small files and returns. */
#ifndef KAPSEL_APPARMOR_H
#define KAPSEL_APPARMOR_H

#include "common/err.h"

#include <stddef.h>

#define KAA_DEFAULT_PROFILE "kapsel-default"
#define KAA_SECURITYFS "/sys/kernel/security/apparmor"
#define KAA_PROFILE_DIR "/etc/apparmor.d"
#define KAA_STATE_DIR "/run/kapsel/apparmor" /* the record of the last load */

struct kaa_profile {
	int loaded;
	char mode[16];      /* "enforce", "complain", ... */
	char raw_sha1[48];  /* "" where the kernel does not export it */
};

/* Look NAME up under SECURITYFS (KAA_SECURITYFS; tests pass a fake tree):
 * 0 with P filled (P->loaded 0 when it is not loaded), -1 when securityfs
 * cannot be read. */
int kaa_profile_find(const char *securityfs, const char *name, struct kaa_profile *p, kerr *e);

struct kaa_default {
	const char *securityfs;  /* KAA_SECURITYFS */
	const char *file;        /* KAA_PROFILE_DIR "/kapsel-default" */
	const char *state_dir;   /* where the record of the last load is kept */
	const char *parser;      /* apparmor_parser; NULL: /usr/sbin, then /sbin */
};

/* Make the kernel's kapsel-default the one in D->file (see above).  0 when
 * it is (*RELOADED 1 when this call loaded it), -1 with a message naming the
 * file and what to do otherwise. */
int kaa_ensure_default(const struct kaa_default *d, int *reloaded, kerr *e);

#endif
