/* The parent/child handshake during create: fixed-size messages on a
 * SOCK_SEQPACKET pair, so an error inside the container reaches the user
 * with its full message. */
#ifndef KAPSEL_SYNC_H
#define KAPSEL_SYNC_H

#include "common/err.h"

#include <sys/types.h>

enum ksync_type {
	KSYNC_GO = 1,        /* parent -> child: maps written, set up the rootfs */
	KSYNC_USERNS,        /* child -> parent: write my id maps (slow path) */
	KSYNC_MAPS_DONE,     /* parent -> child */
	KSYNC_PID,           /* intermediate -> parent: the init's pid */
	KSYNC_HOOKS,         /* child -> parent: run prestart/createRuntime now */
	KSYNC_HOOKS_DONE,    /* parent -> child */
	KSYNC_READY,         /* child -> parent: waiting for start */
	KSYNC_ERROR,         /* either way: message follows */
};

struct ksync_msg {
	int type;
	int errnum;
	pid_t pid;
	char msg[KERR_MSG_MAX];
};

int ksync_send(int fd, int type, pid_t pid, kerr *e);
int ksync_send_error(int fd, const kerr *err);
/* Receive a message of type WANT; an ERROR message becomes *e.  A closed
 * socket (the other side died) is an error too. */
/* Receive any message; an ERROR message becomes *e. */
int ksync_recv(int fd, struct ksync_msg *m, kerr *e);
int ksync_expect(int fd, int want, struct ksync_msg *m, kerr *e);

#endif
