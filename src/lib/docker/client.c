/* The Docker Engine API client (docker.h): HTTP/1.1 GETs on the daemon's
 * unix socket, written here rather than on libcurl.  Why by hand: the
 * socket is local and plain, and libcurl brings OpenSSL with it, which it
 * initializes whatever the URL (3.1 MiB of RSS in `kapsel monitor`, whose
 * budget is 5 MiB with 100 containers: bench/monitor.sh, docs/benchmarks.md).
 * The exchange itself is common/httpc.c's.
 *
 * Connections are kept alive and pooled (a request takes an idle one or
 * makes one), so concurrent requests each have their own; a kept one the
 * daemon closed meanwhile is replaced once, before anything of an answer
 * came.  Deadlines: 3 s to connect, 30 s for the whole request. */
#include "docker/docker.h"

#include "common/httpc.h"
#include "common/json.h"

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
			int w = khttpc_wait(fd, POLLOUT, khttpc_now_ms() + CONNECT_MS, NULL);
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

int kdocker_get(struct kdocker *d, const char *path, json_object **out, kerr *e)
{
	*out = NULL;
	char req[4096];
	int rl = snprintf(req, sizeof(req),
			  "GET %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: %s\r\nAccept: application/json\r\n\r\n", path,
			  d->agent);
	if (rl < 0 || (size_t)rl >= sizeof(req))
		return kerr_msg(e, ENAMETOOLONG, "unix://%s: GET %.64s...: the request is too long", d->socket, path);
	int64_t deadline = khttpc_now_ms() + REQUEST_MS;
	for (int attempt = 0;; attempt++) {
		int reused;
		int fd = take(d, &reused, e);
		if (fd < 0)
			return -1;
		struct khttpc_rx r = { .fd = fd, .deadline = deadline };
		struct khttpc_answer a = { 0 };
		int rc = khttpc_send_all(fd, req, (size_t)rl, deadline, NULL);
		if (rc == 0)
			rc = khttpc_read_answer(&r, &a);
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
					khttpc_strerror(rc));
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
