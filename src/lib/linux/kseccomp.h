/* linux.seccomp: the whole runtime-spec object compiled to a BPF program
 * (libseccomp), cached on disk keyed by a hash of the profile, installed in
 * the container process.  Also kapsel's default profile. */

/* (Named kseccomp.h so that it never shadows the kernel's <linux/seccomp.h>
 * under -Isrc/lib.)  The default profile is data: oci/seccomp_default.h. */

#ifndef KAPSEL_SECCOMP_H
#define KAPSEL_SECCOMP_H

#include "common/err.h"

#include <json-c/json.h>
#include <stddef.h>

struct kseccomp;
struct sock_filter;

/* Translate and compile PROFILE (the linux.seccomp object).  Errors name the
 * field: "config.json: linux.seccomp.syscalls[3].action: unknown action ...".
 * Unknown syscall names are skipped (logged at debug level).
 *
 * The program is cached in CACHE_DIR (created on demand, used only when it
 * is ours and nobody else can write to it; NULL or "" for no cache), keyed by
 * a SHA-256 of the profile, the libseccomp version and the kernel; a hit
 * skips libseccomp entirely.  When the profile has a listenerPath, *out
 * holds an O_PATH fd to it (O_CLOEXEC) until kseccomp_free(). */
int kseccomp_compile(json_object *profile, const char *cache_dir, struct kseccomp **out, kerr *e);
/* Install in the calling process: one seccomp(2) call with the profile's
 * flags.  With a SCMP_ACT_NOTIFY rule, the listener fd is sent (SCM_RIGHTS)
 * over a unix socket connected to listenerPath, with listenerMetadata as the
 * payload.  Does not allocate: safe right before execve. */
int kseccomp_install(struct kseccomp *sc, kerr *e);
void kseccomp_free(struct kseccomp *sc);

/* Diagnostics and tests: the compiled program and its length in
 * instructions; whether it came from the on-disk cache. */
const struct sock_filter *kseccomp_program(const struct kseccomp *sc, size_t *n_insns);
int kseccomp_cached(const struct kseccomp *sc);

#endif
