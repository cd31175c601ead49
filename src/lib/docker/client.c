/* The Docker Engine API client (docker.h): HTTP/1.1 GETs on the daemon's
 * unix socket, written here rather than on libcurl.  Why by hand: the
 * socket is local and plain, and libcurl brings OpenSSL with it, which it
 * initializes whatever the URL (3.1 MiB of RSS in `kapsel monitor`, whose
 * budget is 5 MiB with 100 containers: bench/monitor.sh, docs/benchmarks.md).
 * What an answer may be is what Go's net/http sends: a status line,
 * headers, and a body framed by Content-Length, by chunked transfer coding,
 * or by the end of the connection.
 *
 * Connections are kept alive and pooled (a request takes an idle one or
 * makes one), so concurrent requests each have their own; a kept one the
 * daemon closed meanwhile is replaced once, before anything of an answer
 * came.  Deadlines: 3 s to connect, 30 s for the whole request. */
#include "docker/docker.h"

#include "common/json.h"
#include "common/loop.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define POOL_MAX 16
#define CONNECT_MS 3000
#define REQUEST_MS 30000
#define HEAD_MAX (64 * 1024)
#define BODY_MAX ((size_t)256 << 20)

struct kdocker {
	char *socket;
	char *agent;
	pthread_mutex_t m;
	int pool[POOL_MAX];
	size_t npool;
};

static int starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

struct kdocker *kdocker_new(const char *host, const char *agent, kerr *e)
{
	if (!host || !*host)
		host = "unix:///var/run/docker.sock";
	if (starts(host, "unix://"))
		host += 7;
	else if (starts(host, "tcp://") || starts(host, "ssh://") || starts(host, "http")) {
		kerr_msg(e, EINVAL, "docker host %s: only unix sockets are supported", host);
		return NULL;
	}
	if (host[0] != '/') {
		kerr_msg(e, EINVAL, "docker host %s: expected unix:///path/to/docker.sock", host);
		return NULL;
	}
	if (strlen(host) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		kerr_msg(e, ENAMETOOLONG, "docker host %s: the path is too long for a socket", host);
		return NULL;
	}
	struct kdocker *d = calloc(1, sizeof(*d));
	if (!d || !(d->socket = strdup(host)) || !(d->agent = strdup(agent ? agent : "kapsel/" KAPSEL_VERSION))) {
		if (d)
			free(d->socket);
		free(d);
		kerr_set(e, ENOMEM, "docker client");
		return NULL;
	}
	pthread_mutex_init(&d->m, NULL);
	return d;
}

void kdocker_free(struct kdocker *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->npool; i++)
		close(d->pool[i]);
	pthread_mutex_destroy(&d->m);
	free(d->socket);
	free(d->agent);
	free(d);
}

const char *kdocker_socket(const struct kdocker *d)
{
	return d ? d->socket : NULL;
}

/* ---- the connection ---- */

static int64_t now_ms(void) /* the loop's monotonic clock */
{
	return (int64_t)(kloop_now() / KLOOP_NSEC_PER_MSEC);
}

/* Wait for EV on FD until DEADLINE (ms): 0 ready, -ETIMEDOUT, -errno. */
static int wait_fd(int fd, short ev, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = fd, .events = ev };
		int r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int unreachable(const struct kdocker *d, int err, kerr *e)
{
	struct stat st;
	const char *why;
	char buf[128];
	if (stat(d->socket, &st) < 0)
		why = "no such socket (is dockerd running?)";
	else if (!S_ISSOCK(st.st_mode))
		why = "not a socket";
	else if (err == EACCES || err == EPERM || access(d->socket, W_OK) < 0)
		why = "permission denied (root or the docker group can use it)";
	else if (err == ECONNREFUSED)
		why = "connection refused (is dockerd running?)";
	else
		why = (snprintf(buf, sizeof(buf), "%s", err == ETIMEDOUT ? "connect timed out" : strerror(err)), buf);
	return kerr_msg(e, ECONNREFUSED, "cannot reach the Docker daemon at unix://%s: %s", d->socket, why);
}

static int dial(const struct kdocker *d, kerr *e)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", d->socket);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return kerr_errno(e, "socket");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int err = errno;
		if (err == EINPROGRESS || err == EAGAIN) {
			socklen_t sl = sizeof(err);
			int w = wait_fd(fd, POLLOUT, now_ms() + CONNECT_MS);
			err = w < 0 ? -w : getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 ? errno : err;
		}
		if (err) {
			close(fd);
			return unreachable(d, err, e);
		}
	}
	return fd;
}

static int take(struct kdocker *d, int *reused, kerr *e)
{
	int fd = -1;
	pthread_mutex_lock(&d->m);
	if (d->npool)
		fd = d->pool[--d->npool];
	pthread_mutex_unlock(&d->m);
	*reused = fd >= 0;
	return fd >= 0 ? fd : dial(d, e);
}

static void give_back(struct kdocker *d, int fd)
{
	pthread_mutex_lock(&d->m);
	if (d->npool < POOL_MAX) {
		d->pool[d->npool++] = fd;
		fd = -1;
	}
	pthread_mutex_unlock(&d->m);
	if (fd >= 0)
		close(fd);
}

/* ---- one exchange ---- */

struct rx {
	int fd;
	int64_t deadline;
	char *p; /* what came, p[0 .. len) */
	size_t len, cap, off; /* off: what is parsed */
	int eof;
};

/* More bytes: 1, 0 at the end of the connection, -errno. */
static int rx_more(struct rx *r)
{
	if (r->len + 4096 + 1 > r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16384;
		if (cap > BODY_MAX + HEAD_MAX + 4096)
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
		int w = wait_fd(r->fd, POLLIN, r->deadline);
		if (w < 0)
			return w;
	}
}

/* A line ending at CRLF from r->off: its length (without CRLF), the
 * offset moved past it; -EAGAIN when it is not all there yet. */
static long rx_line(struct rx *r, const char **line)
{
	char *nl = r->len > r->off ? memchr(r->p + r->off, '\n', r->len - r->off) : NULL;
	if (!nl)
		return r->len - r->off > HEAD_MAX ? -EPROTO : -EAGAIN;
	*line = r->p + r->off;
	size_t n = (size_t)(nl - *line);
	r->off += n + 1;
	return (long)(n && (*line)[n - 1] == '\r' ? n - 1 : n);
}

static int rx_need_line(struct rx *r, const char **line, long *n)
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
static int rx_need(struct rx *r, size_t n)
{
	while (r->len - r->off < n) {
		int m = rx_more(r);
		if (m <= 0)
			return m < 0 ? m : -EPROTO;
	}
	return 0;
}

struct answer {
	int status;
	char *body;
	size_t len;
	int keep; /* the connection may be used again */
};

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

/* Read an answer: 0, -EPIPE when the connection ended before its first
 * byte (a kept one the daemon closed), -errno else. */
static int read_answer(struct rx *r, struct answer *a)
{
	const char *line, *v;
	long n;
	if (r->len == 0) {
		int m = rx_more(r);
		if (m <= 0)
			return m == 0 || m == -ECONNRESET ? -EPIPE : m;
	}
	int rc = rx_need_line(r, &line, &n);
	if (rc < 0)
		return rc;
	int minor = 0;
	if (n < 12 || sscanf(line, "HTTP/1.%d %3d", &minor, &a->status) != 2 || a->status < 100)
		return -EPROTO;
	long long clen = -1;
	int chunked = 0, close_after = minor == 0;
	for (;;) {
		if ((rc = rx_need_line(r, &line, &n)) < 0)
			return rc;
		if (n == 0)
			break;
		if (header_is(line, n, "Content-Length", &v)) {
			char *end;
			errno = 0;
			clen = strtoll(v, &end, 10);
			if (errno || end == v || clen < 0 || (size_t)clen > BODY_MAX)
				return -EPROTO;
		} else if (header_is(line, n, "Transfer-Encoding", &v)) {
			chunked = !strncasecmp(v, "chunked", 7);
			if (!chunked)
				return -EPROTO;
		} else if (header_is(line, n, "Connection", &v)) {
			close_after = close_after || !strncasecmp(v, "close", 5);
		}
	}
	/* the body, gathered in place from r->off on */
	size_t start = r->off, out = r->off;
	int bodyless = a->status == 204 || a->status == 304 || a->status < 200;
	if (bodyless) {
		clen = 0;
		chunked = 0;
	}
	if (chunked) {
		for (;;) {
			if ((rc = rx_need_line(r, &line, &n)) < 0)
				return rc;
			char *end;
			errno = 0;
			unsigned long long size = strtoull(line, &end, 16);
			if (errno || end == line || (*end && *end != ';' && *end != '\r' && *end != ' ') ||
			    size > BODY_MAX || out - start + size > BODY_MAX)
				return -EPROTO;
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
		while (!r->eof)
			if ((rc = rx_more(r)) < 0)
				return rc;
		out = r->off = r->len;
		close_after = 1;
	}
	a->body = r->p + start;
	a->len = out - start;
	a->body[a->len] = 0;
	a->keep = !close_after && r->off == r->len;
	return 0;
}

static int send_all(int fd, const char *p, size_t n, int64_t deadline)
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
		int r = wait_fd(fd, POLLOUT, deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

int kdocker_get(struct kdocker *d, const char *path, json_object **out, kerr *e)
{
	*out = NULL;
	char req[4096];
	int rl = snprintf(req, sizeof(req),
			  "GET %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: %s\r\nAccept: application/json\r\n\r\n", path,
			  d->agent);
	if (rl < 0 || (size_t)rl >= sizeof(req))
		return kerr_msg(e, ENAMETOOLONG, "unix://%s: GET %.64s...: the request is too long", d->socket, path);
	int64_t deadline = now_ms() + REQUEST_MS;
	for (int attempt = 0;; attempt++) {
		int reused;
		int fd = take(d, &reused, e);
		if (fd < 0)
			return -1;
		struct rx r = { .fd = fd, .deadline = deadline };
		struct answer a = { 0 };
		int rc = send_all(fd, req, (size_t)rl, deadline);
		if (rc == 0)
			rc = read_answer(&r, &a);
		if (rc == -EPIPE && reused && attempt == 0) { /* the daemon closed the kept one: a new one */
			close(fd);
			free(r.p);
			continue;
		}
		if (rc < 0) {
			close(fd);
			free(r.p);
			if (rc == -ENOMEM)
				return kerr_set(e, ENOMEM, "GET %s", path);
			return kerr_msg(e, ECONNREFUSED, "the Docker daemon at unix://%s: GET %s: %s", d->socket, path,
					rc == -EPROTO  ? "not an HTTP/1.1 answer kapsel reads"
					: rc == -EFBIG ? "the answer is larger than 256 MiB"
					: rc == -EPIPE ? "the connection ended before the answer"
						       : strerror(-rc));
		}
		if (a.keep)
			give_back(d, fd);
		else
			close(fd);
		if (a.len) {
			kerr je;
			*out = kj_parse(path, a.body, a.len, &je);
		}
		free(r.p);
		return a.status;
	}
}

int kdocker_get_json(struct kdocker *d, const char *path, json_object **out, kerr *e)
{
	json_object *body = NULL;
	int st = kdocker_get(d, path, &body, e);
	*out = NULL;
	if (st < 0)
		return -1;
	if (st < 200 || st > 299) {
		json_object *m = kj_get(body, "message");
		const char *msg = m && json_object_is_type(m, json_type_string) ? json_object_get_string(m) : NULL;
		kerr_msg(e, st == 404 ? ENOENT : EIO, "unix://%s: GET %s answered %d%s%.200s", d->socket, path, st,
			 msg ? ": " : "", msg ? msg : "");
		json_object_put(body);
		return -1;
	}
	if (!body)
		return kerr_msg(e, EIO, "unix://%s: GET %s answered %d without a JSON body", d->socket, path, st);
	*out = body;
	return 0;
}

int kdocker_version(struct kdocker *d, json_object **out, kerr *e)
{
	json_object *v = NULL;
	if (kdocker_get_json(d, "/version", &v, e) < 0)
		return -1;
	if (!json_object_is_type(v, json_type_object)) {
		json_object_put(v);
		return kerr_msg(e, EIO, "unix://%s: GET /version: expected a JSON object", d->socket);
	}
	if (out)
		*out = v;
	else
		json_object_put(v);
	return 0;
}
