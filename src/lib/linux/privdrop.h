/* A daemon's switch from root to an unprivileged host user that keeps a
 * few capabilities (`kapsel monitor --user`), after it has done what
 * needs root (sockets bound, root's files read).
 *
 * Contract.  kpriv_lookup resolves "USER[:GROUP]" in the host's passwd and
 * group databases (NSS): names or numbers; the supplementary groups are
 * USER's there (none for a uid without a passwd entry, which must then
 * name its GROUP).  A user that is not there is ENOENT naming it; uid 0 is
 * EINVAL (nothing would be given up).  kpriv_become then: PR_SET_KEEPCAPS;
 * drops every capability but KEEP from the bounding set; setgroups,
 * setresgid, setresuid; capset effective = permitted = KEEP, inheritable
 * and ambient empty; keepcaps off; PR_SET_NO_NEW_PRIVS.  It checks the
 * outcome from the kernel's side (real, effective, saved and fs ids, the
 * groups, capget, the bounding and ambient sets, no_new_privs, and that
 * setuid(0) fails) and fails, naming what is wrong, instead of running
 * with less dropped than asked.  Capabilities, the bounding set, keepcaps
 * and no_new_privs belong to a thread: the process must have one thread
 * only (checked), and the threads started after it inherit the result. */
#ifndef KAPSEL_LINUX_PRIVDROP_H
#define KAPSEL_LINUX_PRIVDROP_H

#include "common/err.h"

#include <stdint.h>
#include <sys/types.h>

#define KPRIV_MAX_GROUPS 64

struct kpriv_user {
	char name[64]; /* USER as given (or its passwd name), for messages */
	uid_t uid;
	gid_t gid;
	gid_t groups[KPRIV_MAX_GROUPS]; /* supplementary (the primary among them) */
	int n_groups;
};

int kpriv_lookup(const char *spec, struct kpriv_user *out, kerr *e);
/* KEEP: capability bits (1ull << CAP_*). */
int kpriv_become(const struct kpriv_user *u, uint64_t keep, kerr *e);

#endif
