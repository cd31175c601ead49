/* The container's terminal: a pty made inside the container's devpts, its
 * master handed out over the --console-socket (SCM_RIGHTS), the slave made
 * the controlling terminal and stdio of the process. */
#ifndef KAPSEL_TERMINAL_H
#define KAPSEL_TERMINAL_H

#include "common/err.h"

struct oci_process;

/* In the container: create the pty, send the master on SOCK, make the slave
 * stdio.  Must run after pivot_root (uses the container's /dev/ptmx). */
int kterm_setup(const struct oci_process *p, int sock, kerr *e);
/* Connect to a console socket path. Returns the fd. */
int kterm_connect(const char *path, kerr *e);
/* Send / receive one fd with SCM_RIGHTS. */
int kterm_send_fd(int sock, int fd, const char *name, kerr *e);
int kterm_recv_fd(int sock, kerr *e);
/* While `run`/`exec` relay a container's pty MASTER: our terminal in raw
 * mode (keys reach the container as typed) with MASTER's window size taken
 * from it; restored by kterm_local_restore (and at exit).  kterm_resize
 * follows a SIGWINCH. */
void kterm_local_raw(int master);
void kterm_local_restore(void);
void kterm_resize(int master);

#endif
