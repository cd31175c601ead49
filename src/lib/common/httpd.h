/* A small HTTP/1.1 server on a thread of its own (`kapsel monitor`'s).
 *
 * GET and HEAD only (405 with Allow for the rest), no request bodies
 * (400), HTTP/1.0 and 1.1 with keep-alive and pipelining, TLS 1.2+ through
 * OpenSSL when khttpd_tls_new() made a context.  A request head is at most
 * KHTTPD_HEAD_MAX bytes (431 beyond); a connection that does not complete
 * its request, or lets a response make no progress, for the timeout, or
 * takes six timeouts for one response, is closed; when the connections
 * are at the limit, the one waiting longest for a request makes room for
 * a new one.  A connection gets a bounded share of the thread per wake-up
 * (8 requests, 256 KiB), so one client cannot hold up the others.
 *
 * The handler runs on the server's thread, once per request; it fills the
 * response, whose body it keeps alive until RELEASE is called (once, when
 * the body is sent, the request was HEAD or the connection went). */
#ifndef KAPSEL_HTTPD_H
#define KAPSEL_HTTPD_H
#include "common/err.h"

#include <stddef.h>

#define KHTTPD_HEAD_MAX 16384

struct khttpd;
struct khttpd_tls;

struct khttp_req {
	const char *method; /* "GET" or "HEAD" */
	const char *path;   /* percent-decoded, without the query */
	const char *query;  /* as sent, after '?', or "" */
	/* the headers' values (OWS trimmed), or NULL when absent */
	const char *accept, *accept_encoding, *authorization;
};

struct khttp_resp {
	unsigned status;      /* 200 unless set */
	const char *type;     /* Content-Type; text/plain when NULL */
	const char *encoding; /* Content-Encoding, or NULL */
	const char *headers;  /* more header lines ("Name: value\r\n"...), static; or NULL */
	const void *body;
	size_t len;
	void (*release)(void *arg); /* or NULL */
	void *arg;
};

typedef void (*khttp_handler)(const struct khttp_req *rq, struct khttp_resp *rs, void *data);

struct khttpd_conf {
	int fd; /* a listening socket: the server's from khttpd_start() on, even when it fails */
	struct khttpd_tls *tls; /* HTTPS with it, or NULL; stays the caller's */
	unsigned max_conns;     /* 0: 64 */
	unsigned timeout_s;     /* 0: 10 */
	khttp_handler handler;
	void *data;
};

/* A TLS server context of the PEM files CERT (the chain) and KEY,
 * TLS 1.2 at least (loads libssl: lazy.h). */
int khttpd_tls_new(const char *cert, const char *key, struct khttpd_tls **out, kerr *e);
void khttpd_tls_free(struct khttpd_tls *t);

/* Serve C on a new thread.  The caller's signal mask is the thread's
 * (SIGPIPE is blocked in it besides). */
int khttpd_start(const struct khttpd_conf *c, struct khttpd **out, kerr *e);
/* Stop serving: the thread ends, every connection and the socket are
 * closed, every pending body released.  NULL is fine. */
void khttpd_stop(struct khttpd *h);

/* What khttp_parse() made of a request head. */
struct khttp_head {
	unsigned status; /* 0: a request for the handler; else the server's own answer (400, 405, 431, 505) */
	const char *why; /* that answer's body */
	int keep;        /* the connection goes on after the answer */
	int head_only;   /* HEAD: no body sent */
	int http10;      /* an HTTP/1.0 request: keep-alive is said, not assumed */
};

/* Parse the request head in BUF's first END bytes (up to and with its
 * empty line) in place: RQ's strings point into BUF.  The server's own
 * parser, here for its libFuzzer target. */
void khttp_parse(char *buf, size_t end, struct khttp_req *rq, struct khttp_head *h);

/* Percent-decode S in place (PLUS: '+' is a space too); -1 on a bad
 * escape or an escaped NUL. */
int khttp_pct_decode(char *s, int plus);

/* The value of KEY in the query string Q, percent-decoded ('+' is a
 * space) into BUF; 1 when found and it fits, else 0. */
int khttp_query_get(const char *q, const char *key, char *buf, size_t size);

#endif
