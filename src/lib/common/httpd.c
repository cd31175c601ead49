/* The HTTP/1.1 server of httpd.h.
 *
 * Written here rather than taken from libmicrohttpd, which kapsel used
 * before: Debian's libmicrohttpd links GnuTLS, and GnuTLS with p11-kit,
 * nettle, hogweed, gmp, libtasn1, libunistring and libidn2 is 2.4 MiB of
 * the monitor's RSS whether TLS is served or not (smaps of `kapsel
 * monitor` watching no container: 5.8 MiB in all, 2.4 of it those
 * libraries), while the exporter's budget is 5 MiB with 100 containers
 * (docs/benchmarks.md).  What it needs is small: one event loop (loop.h)
 * on one thread, GET and HEAD, no bodies.  TLS is OpenSSL's, loaded only
 * when a certificate is configured.
 *
 * A connection goes HANDSHAKE (TLS only) -> READ (a request head) -> WRITE
 * (the response head, then the body) -> READ again on keep-alive, or
 * CLOSING: our side shut down, what the peer still sends read and dropped
 * until it closes or LINGER_NS pass (closing with unread bytes would reset
 * the connection and could cost the peer the end of our answer). */
#include "common/httpd.h"

#include "common/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define LINGER_NS 2000000000ull
#define RESPONSE_TIMEOUTS 6 /* a whole answer within 6 timeouts (60 s) */
#define BUDGET_REQUESTS 8   /* per wake-up of a connection */
#define BUDGET_BYTES (256u << 10)
#define BUDGET_READS 16

struct khttpd_tls {
	SSL_CTX *ctx;
};

enum cstate { C_HANDSHAKE, C_READ, C_WRITE, C_CLOSING };

struct conn {
	struct khttpd *h;
	struct conn *prev, *next;
	int fd;
	SSL *ssl;
	struct kloop_source *src;
	enum cstate st;
	uint32_t events;   /* asked of epoll */
	int keep;          /* read the next request after this response */
	int http10;        /* ... which says so: an HTTP/1.0 client's keep-alive */
	uint64_t deadline;      /* CLOCK_MONOTONIC ns */
	uint64_t resp_deadline; /* the answer being sent, whole */
	size_t in;         /* bytes in buf */
	size_t used;       /* of them, the request being answered */
	char buf[KHTTPD_HEAD_MAX];
	char head[1024]; /* the response's head */
	size_t hlen, hoff;
	const char *body;
	size_t blen, boff;
	void (*release)(void *);
	void *arg;
};

struct khttpd {
	struct kloop *loop;
	struct kloop_source *lsrc, *timer;
	int fd, stopfd, paused;
	SSL_CTX *ctx;
	unsigned max, n;
	uint64_t timeout;
	khttp_handler handler;
	void *data;
	struct conn *conns;
	pthread_t thread;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------- TLS */

static int tls_error(kerr *e, const char *what, const char *file)
{
	char msg[256] = "unknown error";
	unsigned long err = ERR_get_error();
	if (err)
		ERR_error_string_n(err, msg, sizeof(msg));
	ERR_clear_error();
	return kerr_msg(e, EINVAL, "%s %s: %s", what, file, msg);
}

int khttpd_tls_new(const char *cert, const char *key, struct khttpd_tls **out, kerr *e)
{
	struct khttpd_tls *t = calloc(1, sizeof(*t));
	if (!t)
		return kerr_set(e, ENOMEM, "TLS");
	ERR_clear_error();
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (!t->ctx) {
		free(t);
		return tls_error(e, "TLS", "context");
	}
	int r = 0;
	if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1)
		r = tls_error(e, "TLS", "minimum version");
	else if (SSL_CTX_use_certificate_chain_file(t->ctx, cert) != 1)
		r = tls_error(e, "--tls-cert", cert);
	else if (SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1)
		r = tls_error(e, "--tls-key", key);
	else if (SSL_CTX_check_private_key(t->ctx) != 1)
		r = tls_error(e, "--tls-key", key);
	if (r < 0) {
		khttpd_tls_free(t);
		return r;
	}
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* a client's renegotiations would be handshakes on the server's one thread */
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION);
	*out = t;
	return 0;
}

void khttpd_tls_free(struct khttpd_tls *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

/* ------------------------------------------------------------ conn io */

/* What an SSL call's result R means: > 0 done (R), 0 the peer's end
 * (close_notify), -EAGAIN with c->events set to what to wait for, -EPROTO. */
static ssize_t tls_result(struct conn *c, int r)
{
	if (r > 0)
		return r;
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		c->events = EPOLLIN;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		c->events = EPOLLOUT;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		return -EPROTO;
	}
}

/* > 0 bytes, 0 at the peer's end, -EAGAIN with c->events set to what to
 * wait for, or another -errno */
static ssize_t conn_read(struct conn *c, void *buf, size_t n)
{
	if (!c->ssl) {
		ssize_t r = recv(c->fd, buf, n, 0);
		if (r >= 0)
			return r;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			c->events = EPOLLIN;
			return -EAGAIN;
		}
		return -errno;
	}
	ERR_clear_error();
	return tls_result(c, SSL_read(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n));
}

static ssize_t conn_write(struct conn *c, const char *a, size_t an, const char *b, size_t bn)
{
	if (!c->ssl) {
		struct iovec iov[2] = { { (void *)a, an }, { (void *)b, bn } };
		struct msghdr mh = { .msg_iov = an ? iov : iov + 1, .msg_iovlen = an ? 2 : 1 };
		ssize_t r = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (r >= 0)
			return r;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			c->events = EPOLLOUT;
			return -EAGAIN;
		}
		return -errno;
	}
	/* one record at a time: the head, then the body */
	const char *p = an ? a : b;
	size_t n = an ? an : bn;
	ERR_clear_error();
	ssize_t r = tls_result(c, SSL_write(c->ssl, p, n > (1u << 20) ? (1 << 20) : (int)n));
	return r == 0 ? -EPROTO : r; /* an SSL_write never "ends" */
}

static void release_body(struct conn *c)
{
	if (c->release)
		c->release(c->arg);
	c->release = NULL;
	c->body = NULL;
	c->blen = c->boff = 0;
}

static void conn_free(struct conn *c)
{
	struct khttpd *h = c->h;
	release_body(c);
	kloop_remove(c->src);
	if (c->ssl)
		SSL_free(c->ssl);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	h->n--;
	if (h->paused) { /* a descriptor is free again */
		h->paused = 0;
		(void)kloop_io_set_events(h->lsrc, EPOLLIN, NULL);
	}
	if (!h->n)
		kloop_timer_stop(h->timer);
}

/* our side done: shut down, then drop what the peer still sends */
static void conn_close(struct conn *c)
{
	if (c->ssl) {
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);
	}
	(void)shutdown(c->fd, SHUT_WR);
	release_body(c);
	c->st = C_CLOSING;
	c->events = EPOLLIN;
	c->deadline = now_ns() + LINGER_NS;
}

/* ----------------------------------------------------------- response */

static const char *reason(unsigned status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* RFC 9110's IMF-fixdate, without the locale's names */
static void http_date(char *buf, size_t size)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Queue RS (its body sent unless HEAD) and switch C to WRITE. */
static void respond(struct conn *c, const struct khttp_resp *rs, int head_only)
{
	char date[40];
	http_date(date, sizeof(date));
	unsigned status = rs->status ? rs->status : 200;
	int n = snprintf(c->head, sizeof(c->head),
			 "HTTP/1.1 %u %s\r\nDate: %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s%s%s%s\r\n",
			 status, reason(status), date, rs->type ? rs->type : "text/plain; charset=utf-8", rs->len,
			 rs->encoding ? "Content-Encoding: " : "", rs->encoding ? rs->encoding : "",
			 rs->encoding ? "\r\n" : "", rs->headers ? rs->headers : "",
			 !c->keep ? "Connection: close\r\n" : c->http10 ? "Connection: keep-alive\r\n" : "");
	c->release = rs->release;
	c->arg = rs->arg;
	if (n < 0 || (size_t)n >= sizeof(c->head)) {
		release_body(c);
		c->keep = 0;
		n = snprintf(c->head, sizeof(c->head),
			     "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	} else if (!head_only) {
		c->body = rs->body;
		c->blen = rs->len;
	} else {
		release_body(c);
	}
	c->hlen = (size_t)n;
	c->hoff = 0;
	c->boff = 0;
	c->st = C_WRITE;
}

/* an answer of the server's own, the connection closed after it */
static void fail(struct conn *c, unsigned status, const char *headers, const char *msg)
{
	c->keep = 0;
	struct khttp_resp rs = { .status = status, .headers = headers, .body = msg, .len = strlen(msg) };
	respond(c, &rs, 0);
}

/* ------------------------------------------------------------ request */

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int khttp_pct_decode(char *s, int plus)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (*r == '%') {
			int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);
			if (lo < 0 || (hi == 0 && lo == 0))
				return -1;
			*w++ = (char)(hi << 4 | lo);
			r += 2;
		} else {
			*w++ = plus && *r == '+' ? ' ' : *r;
		}
	}
	*w = '\0';
	return 0;
}

int khttp_query_get(const char *q, const char *key, char *buf, size_t size)
{
	size_t kl = strlen(key);
	for (const char *p = q; p && *p;) {
		const char *end = p + strcspn(p, "&");
		const char *eq = memchr(p, '=', (size_t)(end - p));
		const char *kend = eq ? eq : end;
		if ((size_t)(kend - p) == kl && !memcmp(p, key, kl)) {
			const char *v = eq ? eq + 1 : end;
			size_t vl = (size_t)(end - v);
			if (vl >= size)
				return 0;
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return khttp_pct_decode(buf, 1) == 0;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

static int is_tchar(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* TOKEN among the comma-separated tokens of V, ignoring case */
static int has_token(const char *v, const char *token)
{
	size_t tl = strlen(token);
	for (const char *p = v; p && *p;) {
		p += strspn(p, " \t,");
		size_t n = strcspn(p, " \t,");
		if (n == tl && !strncasecmp(p, token, tl))
			return 1;
		p += n;
	}
	return 0;
}

/* The end of the head in buf (the byte after its empty line), 0 while
 * it is incomplete. */
static size_t head_end(const struct conn *c)
{
	const char *b = c->buf;
	size_t i = 0;
	while (i < c->in && (b[i] == '\r' || b[i] == '\n')) /* empty lines before a request: skipped */
		i++;
	for (; i < c->in; i++) {
		if (b[i] != '\n')
			continue;
		if (i + 1 < c->in && b[i + 1] == '\n')
			return i + 2;
		if (i + 2 < c->in && b[i + 1] == '\r' && b[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

#define REFUSE(st, msg) (h->status = (st), h->why = (msg), h->keep = 0, (void)0)

void khttp_parse(char *buf, size_t end, struct khttp_req *rq, struct khttp_head *h)
{
	char *b = buf, *stop = buf + end;
	*rq = (struct khttp_req){ 0 };
	*h = (struct khttp_head){ 0 };
	while (b < stop && (*b == '\r' || *b == '\n'))
		b++;
	/* the lines, NUL-terminated in place */
	char *lines[128];
	size_t nl = 0;
	for (char *p = b; p < stop;) {
		char *nlp = memchr(p, '\n', (size_t)(stop - p));
		if (!nlp)
			break;
		char *e = nlp > p && nlp[-1] == '\r' ? nlp - 1 : nlp;
		if (e == p) /* the empty line */
			break;
		if (memchr(p, '\0', (size_t)(e - p)) || memchr(p, '\r', (size_t)(e - p)))
			return REFUSE(400, "bad request: a NUL or CR inside a line\n");
		*e = '\0';
		if (nl == sizeof(lines) / sizeof(lines[0]))
			return REFUSE(431, "too many header fields\n");
		lines[nl++] = p;
		p = nlp + 1;
	}
	if (!nl)
		return REFUSE(400, "bad request: no request line\n");
	/* METHOD SP TARGET SP HTTP/1.x */
	char *method = lines[0], *sp1 = strchr(method, ' ');
	char *target = sp1 ? sp1 + 1 : NULL, *sp2 = target ? strchr(target, ' ') : NULL;
	char *version = sp2 ? sp2 + 1 : NULL;
	if (!sp2 || sp1 == method || sp2 == target || strchr(version, ' '))
		return REFUSE(400, "bad request line\n");
	*sp1 = *sp2 = '\0';
	for (char *p = method; *p; p++)
		if (!is_tchar((unsigned char)*p))
			return REFUSE(400, "bad request method\n");
	int minor;
	if (!strcmp(version, "HTTP/1.1"))
		minor = 1;
	else if (!strcmp(version, "HTTP/1.0"))
		minor = 0;
	else if (!strncmp(version, "HTTP/", 5))
		return REFUSE(505, "only HTTP/1.0 and HTTP/1.1\n");
	else
		return REFUSE(400, "bad request line\n");

	const char *connection = NULL;
	int hosts = 0, body = 0;
	for (size_t i = 1; i < nl; i++) {
		char *name = lines[i], *colon = strchr(name, ':');
		if (*name == ' ' || *name == '\t')
			return REFUSE(400, "bad request: folded header line\n");
		if (!colon || colon == name)
			return REFUSE(400, "bad request: a header line without a name\n");
		*colon = '\0';
		for (char *p = name; *p; p++)
			if (!is_tchar((unsigned char)*p))
				return REFUSE(400, "bad request: bad header name\n");
		char *v = colon + 1, *ve = v + strlen(v);
		v += strspn(v, " \t");
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			*--ve = '\0';
		if (!strcasecmp(name, "Host"))
			hosts++;
		else if (!strcasecmp(name, "Connection"))
			connection = v;
		else if (!strcasecmp(name, "Accept"))
			rq->accept = v;
		else if (!strcasecmp(name, "Accept-Encoding"))
			rq->accept_encoding = v;
		else if (!strcasecmp(name, "Authorization"))
			rq->authorization = v;
		else if (!strcasecmp(name, "Transfer-Encoding") || (!strcasecmp(name, "Content-Length") && strcmp(v, "0")))
			body = 1;
	}
	if (minor == 1 && hosts != 1)
		return REFUSE(400, "bad request: HTTP/1.1 needs one Host header\n");
	h->http10 = !minor;
	h->keep = minor ? !(connection && has_token(connection, "close"))
			: connection && has_token(connection, "keep-alive");
	h->head_only = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !h->head_only) {
		h->status = 405;
		h->why = "only GET and HEAD\n";
		h->keep = h->keep && !body; /* a body unread: the connection cannot go on */
		return;
	}
	if (body)
		return REFUSE(400, "bad request: no request body is accepted here\n");
	/* origin-form, or absolute-form (http://host[/path][?query]) */
	char *q;
	rq->query = "";
	if (!strncasecmp(target, "http://", 7) || !strncasecmp(target, "https://", 8)) {
		char *auth = target + (target[4] == ':' ? 7 : 8);
		char *p = auth + strcspn(auth, "/?");
		if (*p == '/') {
			target = p;
		} else { /* no path: "/", written over the scheme (in the buffer, never a literal) */
			if (*p == '?')
				rq->query = p + 1;
			target[0] = '/';
			target[1] = '\0';
		}
	}
	if (*target != '/')
		return REFUSE(400, "bad request target\n");
	if ((q = strchr(target, '?'))) {
		*q = '\0';
		rq->query = q + 1;
	}
	if (khttp_pct_decode(target, 0) < 0)
		return REFUSE(400, "bad request target: a bad %-escape\n");
	rq->method = method;
	rq->path = target;
}

/* Parse the head of END bytes in place and answer it. */
static void handle(struct conn *c, size_t end)
{
	struct khttp_req rq;
	struct khttp_head hd;
	c->used = end;
	khttp_parse(c->buf, end, &rq, &hd);
	c->keep = hd.keep;
	c->http10 = hd.http10;
	if (hd.status) {
		struct khttp_resp rs = { .status = hd.status, .headers = hd.status == 405 ? "Allow: GET, HEAD\r\n" : NULL,
					 .body = hd.why, .len = strlen(hd.why) };
		return respond(c, &rs, 0);
	}
	struct khttp_resp rs = { .status = 200 };
	c->h->handler(&rq, &rs, c->h->data);
	respond(c, &rs, hd.head_only);
}

/* ------------------------------------------------------------- driving */

/* Go as far as the socket lets C go; 0 when C still lives. */
static int drive(struct conn *c)
{
	struct khttpd *h = c->h;
	/* a share of the thread per wake-up: a client pipelining without
	 * pause, or one fast reader of a big body, must not hold up the
	 * others (nor the sweep); level-triggered epoll calls again */
	unsigned requests = 0, reads = 0;
	size_t written = 0;
	for (;;) {
		if (requests >= BUDGET_REQUESTS || written >= BUDGET_BYTES || reads >= BUDGET_READS) {
			c->events = c->st == C_CLOSING ? EPOLLIN : EPOLLIN | EPOLLOUT;
			return 0;
		}
		switch (c->st) {
		case C_HANDSHAKE: {
			ERR_clear_error();
			ssize_t r = tls_result(c, SSL_accept(c->ssl));
			if (r > 0) {
				c->st = C_READ;
				break;
			}
			return r == -EAGAIN ? 0 : -1;
		}
		case C_READ: {
			size_t end = head_end(c);
			if (end) {
				requests++;
				handle(c, end);
				c->resp_deadline = now_ns() + RESPONSE_TIMEOUTS * h->timeout;
				break;
			}
			if (c->in == sizeof(c->buf)) {
				c->used = c->in;
				fail(c, 431, NULL, "request head too large\n");
				c->resp_deadline = now_ns() + RESPONSE_TIMEOUTS * h->timeout;
				break;
			}
			ssize_t n = conn_read(c, c->buf + c->in, sizeof(c->buf) - c->in);
			if (n == -EAGAIN)
				return 0;
			if (n <= 0)
				return -1;
			c->in += (size_t)n;
			break;
		}
		case C_WRITE: {
			if (c->hoff == c->hlen && c->boff == c->blen) {
				release_body(c);
				if (!c->keep) {
					conn_close(c);
					break;
				}
				/* the next request: perhaps pipelined behind this one */
				memmove(c->buf, c->buf + c->used, c->in - c->used);
				c->in -= c->used;
				c->used = 0;
				c->st = C_READ;
				c->deadline = now_ns() + h->timeout;
				break;
			}
			ssize_t n = conn_write(c, c->head + c->hoff, c->hlen - c->hoff, c->body ? c->body + c->boff : "",
					       c->blen - c->boff);
			if (n == -EAGAIN)
				return 0;
			if (n < 0)
				return -1;
			size_t hn = (size_t)n < c->hlen - c->hoff ? (size_t)n : c->hlen - c->hoff;
			c->hoff += hn;
			c->boff += (size_t)n - hn;
			written += (size_t)n;
			/* progress: another timeout, within the whole answer's */
			uint64_t d = now_ns() + h->timeout;
			c->deadline = d < c->resp_deadline ? d : c->resp_deadline;
			break;
		}
		case C_CLOSING: {
			char sink[4096];
			if (now_ns() >= c->deadline)
				return -1;
			ssize_t n = recv(c->fd, sink, sizeof(sink), 0);
			reads++;
			if (n > 0)
				break;
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				c->events = EPOLLIN;
				return 0;
			}
			return -1;
		}
		}
	}
}

static int on_conn(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)s;
	(void)fd;
	(void)e;
	struct conn *c = data;
	if ((revents & EPOLLERR) || drive(c) < 0) {
		conn_free(c);
		return 0;
	}
	if (kloop_io_set_events(c->src, c->events, NULL) < 0)
		conn_free(c);
	return 0;
}

/* Full: the connection waiting longest for a request (idle between two,
 * or a head still coming) makes room; one being answered keeps its slot.
 * So sockets held open without a request cannot lock out a scraper. */
static void evict_one(struct khttpd *h)
{
	struct conn *victim = NULL;
	for (struct conn *c = h->conns; c; c = c->next) /* newest first: the last one found is the oldest */
		if (c->st == C_READ || c->st == C_HANDSHAKE || c->st == C_CLOSING)
			victim = c;
	if (victim)
		conn_free(victim);
}

static int on_accept(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)s;
	(void)revents;
	(void)e;
	struct khttpd *h = data;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* again when a connection closes, or at the next sweep */
				h->paused = 1;
				(void)kloop_io_set_events(h->lsrc, 0, NULL);
				kloop_timer_set(h->timer, 0, 1000000000ull, 1000000000ull);
			}
			return 0; /* EAGAIN, or the peer gone already */
		}
		if (h->n >= h->max)
			evict_one(h);
		struct conn *c = h->n < h->max ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			close(cfd);
			continue;
		}
		c->h = h;
		c->fd = cfd;
		c->st = C_READ;
		c->events = EPOLLIN;
		c->deadline = now_ns() + h->timeout;
		if (h->ctx) {
			c->ssl = SSL_new(h->ctx);
			if (!c->ssl || SSL_set_fd(c->ssl, cfd) != 1) {
				if (c->ssl)
					SSL_free(c->ssl);
				ERR_clear_error();
				close(cfd);
				free(c);
				continue;
			}
			c->st = C_HANDSHAKE;
		}
		c->src = kloop_add_io(h->loop, cfd, EPOLLIN, on_conn, c, NULL);
		if (!c->src) {
			if (c->ssl)
				SSL_free(c->ssl);
			close(cfd);
			free(c);
			continue;
		}
		c->next = h->conns;
		if (h->conns)
			h->conns->prev = c;
		h->conns = c;
		if (!h->n++)
			kloop_timer_set(h->timer, 0, 1000000000ull, 1000000000ull);
	}
}

/* every second while connections are open: the ones past their deadline go */
static int on_sweep(struct kloop_source *s, uint64_t expirations, void *data, kerr *e)
{
	(void)s;
	(void)expirations;
	(void)e;
	struct khttpd *h = data;
	uint64_t now = now_ns();
	for (struct conn *c = h->conns, *next; c; c = next) {
		next = c->next;
		if (c->deadline <= now)
			conn_free(c);
	}
	if (h->paused) {
		h->paused = 0;
		(void)kloop_io_set_events(h->lsrc, EPOLLIN, NULL);
	}
	if (!h->n)
		kloop_timer_stop(h->timer);
	return 0;
}

static int on_stop(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)fd;
	(void)revents;
	(void)data;
	(void)e;
	kloop_exit(kloop_source_loop(s), 0);
	return 0;
}

static void *serve(void *arg)
{
	struct khttpd *h = arg;
	kerr e = { 0 };
	(void)kloop_run(h->loop, &e);
	return NULL;
}

static void free_server(struct khttpd *h)
{
	while (h->conns)
		conn_free(h->conns);
	kloop_free(h->loop);
	if (h->stopfd >= 0)
		close(h->stopfd);
	close(h->fd);
	free(h);
}

int khttpd_start(const struct khttpd_conf *c, struct khttpd **out, kerr *e)
{
	struct khttpd *h = calloc(1, sizeof(*h));
	if (!h) {
		close(c->fd);
		return kerr_set(e, ENOMEM, "HTTP server");
	}
	h->fd = c->fd;
	h->stopfd = -1;
	h->ctx = c->tls ? c->tls->ctx : NULL;
	h->max = c->max_conns ? c->max_conns : 64;
	h->timeout = (uint64_t)(c->timeout_s ? c->timeout_s : 10) * 1000000000ull;
	h->handler = c->handler;
	h->data = c->data;
	int fl = fcntl(h->fd, F_GETFL);
	if (fl < 0 || fcntl(h->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		kerr_errno(e, "HTTP server: the listening socket");
		goto fail;
	}
	if ((h->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		kerr_errno(e, "HTTP server: eventfd");
		goto fail;
	}
	if (kloop_new(&h->loop, e) < 0 || !(h->lsrc = kloop_add_io(h->loop, h->fd, EPOLLIN, on_accept, h, e)) ||
	    !kloop_add_io(h->loop, h->stopfd, EPOLLIN, on_stop, h, e) ||
	    !(h->timer = kloop_add_timer(h->loop, 0, 0, 0, on_sweep, h, e)))
		goto fail;
	kloop_timer_stop(h->timer);
	/* the thread inherits the mask: SIGPIPE from OpenSSL's write() to a
	 * peer that went stays pending there, harmless */
	sigset_t pipe, old;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &old);
	int r = pthread_create(&h->thread, NULL, serve, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		kerr_set(e, r, "HTTP server: thread");
		goto fail;
	}
	*out = h;
	return 0;
fail:
	free_server(h);
	return -1;
}

void khttpd_stop(struct khttpd *h)
{
	if (!h)
		return;
	uint64_t one = 1;
	if (write(h->stopfd, &one, sizeof(one)) == sizeof(one))
		pthread_join(h->thread, NULL);
	else
		pthread_cancel(h->thread), pthread_join(h->thread, NULL);
	free_server(h);
}
