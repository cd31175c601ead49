/* A small HTTP/1.1 client: one exchange on a connected stream socket (a
 * unix socket of the Engine API, a TCP connection to an Alertmanager),
 * every wait bounded by a deadline and, where one is given, cut short by
 * a cancel flag (checked at least once a second).
 *
 * An answer is what Go's net/http and the like send: a status line,
 * headers, and a body framed by Content-Length, by chunked transfer
 * coding, or by the end of the connection, after any interim (1xx)
 * answers; a head of at most KHTTPC_HEAD_MAX bytes, a body of at most
 * KHTTPC_BODY_MAX (or the reader's max_body).  Numbers are read strictly
 * (digits only, within their line). */
#ifndef KAPSEL_HTTPC_H
#define KAPSEL_HTTPC_H
#include "common/err.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define KHTTPC_HEAD_MAX (64 * 1024)
#define KHTTPC_BODY_MAX ((size_t)256 << 20)

/* CLOCK_MONOTONIC in ms: what the deadlines are in */
int64_t khttpc_now_ms(void);

/* Wait for EV (POLLIN, POLLOUT) on FD: 0 ready, -ETIMEDOUT past DEADLINE,
 * -ECANCELED once *CANCEL (may be NULL) is set, -errno. */
int khttpc_wait(int fd, short ev, int64_t deadline, const atomic_int *cancel);

/* All N bytes of P (MSG_NOSIGNAL): 0, -EPIPE when the peer is gone, -errno. */
int khttpc_send_all(int fd, const char *p, size_t n, int64_t deadline, const atomic_int *cancel);

/* A TCP connection to HOST (a name, an IPv4 or an IPv6 address without
 * brackets) and PORT, each address tried in turn until DEADLINE.  The
 * name lookup itself is getaddrinfo's (blocking, its own timeouts). */
int khttpc_dial_tcp(const char *host, const char *port, int64_t deadline, const atomic_int *cancel, kerr *e);

/* What one answer's read keeps; zero it, set fd, deadline (and cancel),
 * and free(p) when done. */
struct khttpc_rx {
	int fd;
	int64_t deadline;
	const atomic_int *cancel;
	size_t max_body;      /* 0: KHTTPC_BODY_MAX */
	char *p;              /* what came, p[0 .. len) */
	size_t len, cap, off; /* off: what is parsed */
	int eof;
};

struct khttpc_answer {
	int status;
	char *body; /* in the rx's buffer, NUL-terminated */
	size_t len;
	int keep; /* the connection may carry another request */
};

/* Read an answer: 0; -EPIPE when the connection ended before its first
 * byte (a kept connection the peer closed meanwhile); -EPROTO for what is
 * not HTTP/1.x; -EFBIG past the limits; -ETIMEDOUT, -ECANCELED, -errno. */
int khttpc_read_answer(struct khttpc_rx *r, struct khttpc_answer *a);

/* A one-line reason for an error of the functions above. */
const char *khttpc_strerror(int rc);

#endif
