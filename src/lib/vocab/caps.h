/* Capability names: the one table of CAP_* names and numbers.  The
 * runtime-spec spells them "CAP_SYS_ADMIN"; Docker, Podman and the
 * Kubernetes API spell them "SYS_ADMIN".  Applying capability sets to a
 * process is linux/caps.h's business, not this file's. */
#ifndef KAPSEL_VOCAB_CAPS_H
#define KAPSEL_VOCAB_CAPS_H

#define KCAP_NAMES 41 /* CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE (40) */
#define KCAP_ALL 64   /* what kcap_parse returns for "ALL" */

/* "CAP_SYS_ADMIN" (any case) -> 21; -1 if unknown.  The runtime-spec form
 * only: a config.json that says "SYS_ADMIN" is wrong and is refused. */
int kcap_from_name(const char *name);
/* Either form, any case: "CAP_SYS_ADMIN", "sys_admin" -> 21; "ALL" (with
 * or without CAP_) -> KCAP_ALL; -1 if unknown.  For user-facing flags
 * (exec --cap, Docker's CapAdd in an inspect). */
int kcap_parse(const char *name);
/* 21 -> "CAP_SYS_ADMIN"; NULL if out of the table. */
const char *kcap_name(int cap);
/* 21 -> "SYS_ADMIN" (Docker's spelling); NULL if out of the table. */
const char *kcap_short_name(int cap);
/* Highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap,
 * read once; the table's last entry where it cannot be read). */
int kcap_last_cap(void);

#endif
