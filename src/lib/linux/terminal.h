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
/* Relay between our stdio and MASTER until the master hangs up. */
int kterm_relay(int master, kerr *e);

#endif
