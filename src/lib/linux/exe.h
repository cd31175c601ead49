/* The runtime binary must never be writable from a container (the
 * CVE-2019-5736 class: a container process opens /proc/PID/exe of a runtime
 * process that entered it and writes through it).
 *
 * Two layers.  Every runtime process that enters a container is made
 * non-dumpable first, so /proc/PID/exe and /proc/PID/fd of it cannot be
 * opened from the container without CAP_SYS_PTRACE in the host's user
 * namespace.  When a container would hold exactly that capability (no user
 * namespace and CAP_SYS_PTRACE in a set), kapsel-runtime re-executes itself
 * from a sealed memfd copy before it creates anything, so the exe seen from
 * the container is an immutable copy, not the file on the host. */
#ifndef KAPSEL_EXE_H
#define KAPSEL_EXE_H

#include "common/err.h"

/* 1 if /proc/self/exe is a sealed memfd. */
int kexe_is_sealed(void);
/* Re-exec from a sealed memfd copy of /proc/self/exe.  Returns only on error. */
int kexe_reexec_sealed(char *const *argv, kerr *e);

#endif
