/* The HTTP/1.1 client of httpc.h, lifted out of the Engine API client
 * (docker/client.c), which has it by hand rather than on libcurl: libcurl
 * brings OpenSSL with it and initializes it whatever the URL (3.1 MiB of
 * RSS in `kapsel monitor`, whose budget is 5 MiB with 100 containers), and
 * the monitor's Alertmanager posts (monitor/notify.c) have the same reason
 * for plain http:// URLs. */
#include "common/httpc.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int64_t khttpc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int khttpc_wait(int fd, short ev, int64_t deadline, const atomic_int *cancel)
{
	for (;;) {
		if (cancel && atomic_load(cancel))
			return -ECANCELED;
		int64_t left = deadline - khttpc_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (cancel && left > 1000) /* the flag is looked at once a second */
			left = 1000;
		struct pollfd p = { .fd = fd, .events = ev };
		int r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

int khttpc_dial_tcp(const char *host, const char *port, int64_t deadline, const atomic_int *cancel, kerr *e)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int g = getaddrinfo(host, port, &hints, &res);
	if (g)
		return kerr_msg(e, EHOSTUNREACH, "%s: %s", host, g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
	int err = EHOSTUNREACH;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		int r = connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 ? errno : 0;
		if (r == EINPROGRESS) {
			socklen_t sl = sizeof(r);
			int w = khttpc_wait(fd, POLLOUT, deadline, cancel);
			r = w < 0 ? -w : getsockopt(fd, SOL_SOCKET, SO_ERROR, &r, &sl) < 0 ? errno : r;
		}
		if (!r) {
			freeaddrinfo(res);
			return fd;
		}
		close(fd);
		err = r;
		if (r == ECANCELED || r == ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	return kerr_msg(e, err, "%s port %s: %s", host, port, khttpc_strerror(-err));
}

const char *khttpc_strerror(int rc)
{
	switch (rc) {
	case -EPROTO: return "not an HTTP/1.x answer";
	case -EFBIG: return "the answer is larger than kapsel reads (64 KiB of head, 256 MiB of body, or the caller's less)";
	case -EPIPE: return "the connection ended before the answer";
	case -ETIMEDOUT: return "timed out";
	case -ECANCELED: return "cancelled";
	default: return strerror(-rc);
	}
}

/* More bytes: 1, 0 at the end of the connection, -errno. */
static int rx_more(struct khttpc_rx *r)
{
	if (r->len + 4096 + 1 > r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16384;
		if (cap > KHTTPC_BODY_MAX + KHTTPC_HEAD_MAX + 4096)
			return -EFBIG;
		char *np = realloc(r->p, cap);
		if (!np)
			return -ENOMEM;
		r->p = np;
		r->cap = cap;
	}
	for (;;) {
		ssize_t n = recv(r->fd, r->p + r->len, r->cap - r->len - 1, 0);
		if (n > 0) {
			r->len += (size_t)n;
			r->p[r->len] = 0;
			return 1;
		}
		if (n == 0) {
			r->eof = 1;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		int w = khttpc_wait(r->fd, POLLIN, r->deadline, r->cancel);
		if (w < 0)
			return w;
	}
}

/* A line ending at CRLF from r->off: its length (without CRLF), the
 * offset moved past it; -EAGAIN when it is not all there yet. */
static long rx_line(struct khttpc_rx *r, const char **line)
{
	char *nl = r->len > r->off ? memchr(r->p + r->off, '\n', r->len - r->off) : NULL;
	if (!nl)
		return r->len - r->off > KHTTPC_HEAD_MAX ? -EPROTO : -EAGAIN;
	*line = r->p + r->off;
	size_t n = (size_t)(nl - *line);
	r->off += n + 1;
	return (long)(n && (*line)[n - 1] == '\r' ? n - 1 : n);
}

static int rx_need_line(struct khttpc_rx *r, const char **line, long *n)
{
	for (;;) {
		*n = rx_line(r, line);
		if (*n != -EAGAIN)
			return *n < 0 ? (int)*n : 0;
		int m = rx_more(r);
		if (m <= 0)
			return m < 0 ? m : -EPROTO;
	}
}

/* At least N bytes past r->off. */
static int rx_need(struct khttpc_rx *r, size_t n)
{
	while (r->len - r->off < n) {
		int m = rx_more(r);
		if (m <= 0)
			return m < 0 ? m : -EPROTO;
	}
	return 0;
}

/* The number in V[0 .. N) of BASE 10 or 16: digits first, then only
 * blanks (or, in a chunk-size line, a ';' and its extensions); -1 for
 * anything else or above MAX.  Bounded by the line: strtoull would skip
 * a CR/LF and read on into the next line. */
static long long parse_num(const char *v, size_t n, int base, unsigned long long max)
{
	unsigned long long x = 0;
	size_t i = 0;
	for (; i < n; i++) {
		int d = v[i] >= '0' && v[i] <= '9'		       ? v[i] - '0'
			: base == 16 && v[i] >= 'a' && v[i] <= 'f' ? v[i] - 'a' + 10
			: base == 16 && v[i] >= 'A' && v[i] <= 'F' ? v[i] - 'A' + 10
								    : -1;
		if (d < 0)
			break;
		x = x * (unsigned)base + (unsigned)d;
		if (x > max)
			return -1;
	}
	if (i == 0)
		return -1;
	for (; i < n; i++) {
		if (base == 16 && v[i] == ';')
			break;
		if (v[i] != ' ' && v[i] != '\t')
			return -1;
	}
	return (long long)x;
}

static int header_is(const char *line, long n, const char *name, const char **value)
{
	size_t k = strlen(name);
	if ((size_t)n <= k || strncasecmp(line, name, k) || line[k] != ':')
		return 0;
	const char *v = line + k + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	*value = v;
	return 1;
}

int khttpc_read_answer(struct khttpc_rx *r, struct khttpc_answer *a)
{
	const char *line, *v;
	long n;
	if (r->len == 0) {
		int m = rx_more(r);
		if (m <= 0)
			return m == 0 || m == -ECONNRESET ? -EPIPE : m;
	}
	size_t max_body = r->max_body ? r->max_body : KHTTPC_BODY_MAX;
	int rc, minor = 0;
	long long clen;
	int chunked, close_after;
	for (int interim = 0;; interim++) { /* interim answers (1xx) before the final one: read over */
		size_t head = r->off;
		if (interim > 8)
			return -EPROTO;
		if ((rc = rx_need_line(r, &line, &n)) < 0)
			return rc;
		if (n < 12 || sscanf(line, "HTTP/1.%d %3d", &minor, &a->status) != 2 || a->status < 100 ||
		    a->status > 999)
			return -EPROTO;
		clen = -1;
		chunked = 0;
		close_after = minor == 0;
		for (;;) {
			if ((rc = rx_need_line(r, &line, &n)) < 0)
				return rc;
			if (r->off - head > KHTTPC_HEAD_MAX)
				return -EFBIG;
			if (n == 0)
				break;
			if (header_is(line, n, "Content-Length", &v)) {
				clen = parse_num(v, (size_t)(line + n - v), 10, max_body);
				if (clen < 0)
					return -EPROTO;
			} else if (header_is(line, n, "Transfer-Encoding", &v)) {
				chunked = !strncasecmp(v, "chunked", 7);
				if (!chunked)
					return -EPROTO;
			} else if (header_is(line, n, "Connection", &v)) {
				close_after = close_after || !strncasecmp(v, "close", 5);
			}
		}
		if (a->status >= 200)
			break;
		if (a->status == 101) /* a protocol switch nobody asked for */
			return -EPROTO;
	}
	/* the body, gathered in place from r->off on */
	size_t start = r->off, out = r->off;
	int bodyless = a->status == 204 || a->status == 304;
	if (bodyless) {
		clen = 0;
		chunked = 0;
	}
	if (chunked) {
		for (;;) {
			if ((rc = rx_need_line(r, &line, &n)) < 0)
				return rc;
			long long sz = parse_num(line, (size_t)n, 16, max_body);
			if (sz < 0)
				return -EPROTO;
			if (out - start + (size_t)sz > max_body)
				return -EFBIG;
			size_t size = (size_t)sz;
			if (size == 0)
				break;
			if ((rc = rx_need(r, size + 2)) < 0)
				return rc;
			if (r->p[r->off + size] != '\r' || r->p[r->off + size + 1] != '\n')
				return -EPROTO;
			memmove(r->p + out, r->p + r->off, size);
			out += size;
			r->off += size + 2;
		}
		for (;;) { /* trailers, up to the empty line */
			if ((rc = rx_need_line(r, &line, &n)) < 0)
				return rc;
			if (n == 0)
				break;
		}
	} else if (clen >= 0) {
		if ((rc = rx_need(r, (size_t)clen)) < 0)
			return rc;
		out = r->off = r->off + (size_t)clen;
	} else { /* to the end of the connection */
		while (!r->eof) {
			if ((rc = rx_more(r)) < 0)
				return rc;
			if (r->len - r->off > max_body)
				return -EFBIG;
		}
		out = r->off = r->len;
		close_after = 1;
	}
	a->body = r->p + start;
	a->len = out - start;
	a->body[a->len] = 0;
	a->keep = !close_after && r->off == r->len;
	return 0;
}

int khttpc_send_all(int fd, const char *p, size_t n, int64_t deadline, const atomic_int *cancel)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return errno == ECONNRESET ? -EPIPE : -errno;
		int r = khttpc_wait(fd, POLLOUT, deadline, cancel);
		if (r < 0)
			return r;
	}
	return 0;
}
