/* The container process's identity and environment: user and groups,
 * capabilities, no_new_privs, umask, cwd (verified inside the root), the
 * program looked up on the container's PATH, and fd hygiene. */
#ifndef KAPSEL_PROCESS_H
#define KAPSEL_PROCESS_H

#include "common/err.h"

#include <limits.h>
#include <sys/types.h>

struct oci_process;

/* Find ARGS[0] on PATH from ENV, inside the current root.  OUT receives the
 * path to execve. */
int kproc_find_program(const struct oci_process *p, char out[PATH_MAX], kerr *e);
/* Docker's exit codes for a program that cannot start: 127 when E is
 * kproc_find_program's "not found" (ENOENT), 126 when it is there but
 * cannot be executed (EACCES); 0 for any other error. */
int kproc_exec_status(const kerr *e);
/* The same for execve's errno ERR: 127 not found, 126 otherwise. */
int kproc_execve_status(int err);
/* Open the cwd inside the current root (no magic links). Returns O_PATH fd. */
int kproc_open_cwd(const struct oci_process *p, kerr *e);
/* The runtime works under umask 022 whatever its caller's is, so the
 * directories it makes (cgroups, mount points, state) have the modes it
 * asks for: a caller's 077 made the shared cgroup parents 0700, which a
 * later container in a user namespace cannot walk through.  Called once
 * at startup; returns nothing, remembers the caller's umask. */
void kproc_runtime_umask(void);
/* The caller's umask kproc_runtime_umask saw (022 before it ran): hooks
 * and a re-exec of the runtime get it back. */
mode_t kproc_caller_umask(void);
/* groups, gid, uid, capabilities (keeping caps across setuid); the
 * umask is process.user.umask, else the caller's (runtime-spec: "not
 * changed from the calling process' umask"). */
int kproc_set_identity(const struct oci_process *p, int setgroups_allowed, kerr *e);
/* fchdir to the fd from kproc_open_cwd and verify it is under "/". */
int kproc_enter_cwd(int cwdfd, const char *cwd, kerr *e);
/* Written by the runtime for the container's init PID, from outside any
 * user namespace the init may be in (where /proc/self/oom_score_adj would
 * belong to an unmapped root), through the verified procfs handle PROCFD. */
int kproc_set_oom_score_adj(int procfd, const struct oci_process *p, pid_t pid, kerr *e);
/* The calling process's own oom_score_adj (0 when unreadable). */
int kproc_own_oom_score_adj(void);
/* Before the runtime opens anything of its own: the fds 3..3+PRESERVE-1
 * the caller hands the container are open, and none of them is the
 * runtime's (its log file).  Otherwise a closed slot would later hold one
 * of the runtime's fds (its procfs handle, the exec fifo) and hand it to
 * the container. */
int kproc_check_preserved_fds(int preserve, kerr *e);
/* Mark every fd >= 3 close-on-exec except 3..3+preserve-1. */
int kproc_cloexec_fds(int preserve, kerr *e);
/* Default PATH when process.env has none. */
#define KPROC_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#endif
