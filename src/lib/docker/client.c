/* The Docker Engine API client (docker.h) on libcurl
 * (CURLOPT_UNIX_SOCKET_PATH).  Easy handles are pooled so that concurrent
 * requests each use their own connection and keep it alive. */
#include "docker/docker.h"

#include "common/json.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define POOL_MAX 16

struct kdocker {
	char *socket;
	char *agent;
	pthread_mutex_t m;
	CURL *pool[POOL_MAX];
	size_t npool;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_NOTHING);
}

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
	pthread_once(&curl_once, curl_init_once);
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
		curl_easy_cleanup(d->pool[i]);
	pthread_mutex_destroy(&d->m);
	free(d->socket);
	free(d->agent);
	free(d);
}

const char *kdocker_socket(const struct kdocker *d)
{
	return d ? d->socket : NULL;
}

static CURL *acquire(struct kdocker *d)
{
	CURL *c = NULL;
	pthread_mutex_lock(&d->m);
	if (d->npool)
		c = d->pool[--d->npool];
	pthread_mutex_unlock(&d->m);
	if (c)
		return c;
	c = curl_easy_init();
	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->socket);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, d->agent);
	return c;
}

static void release(struct kdocker *d, CURL *c)
{
	pthread_mutex_lock(&d->m);
	if (d->npool < POOL_MAX) {
		d->pool[d->npool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&d->m);
	if (c)
		curl_easy_cleanup(c);
}

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t n = size * nmemb;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return 0;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, ptr, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

int kdocker_get(struct kdocker *d, const char *path, json_object **out, kerr *e)
{
	char url[2048], errbuf[CURL_ERROR_SIZE] = "";
	struct buf b = { 0 };
	long status = 0;

	*out = NULL;
	CURL *c = acquire(d);
	if (!c)
		return kerr_set(e, ENOMEM, "GET %s", path);
	snprintf(url, sizeof(url), "http://localhost%s", path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	if (rc != CURLE_OK) {
		curl_easy_cleanup(c);
		free(b.p);
		struct stat st;
		const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
		if (rc == CURLE_COULDNT_CONNECT) {
			if (stat(d->socket, &st) < 0)
				why = "no such socket (is dockerd running?)";
			else if (!S_ISSOCK(st.st_mode))
				why = "not a socket";
			else if (access(d->socket, W_OK) < 0)
				why = "permission denied (root or the docker group can use it)";
			else
				why = "connection refused (is dockerd running?)";
		}
		return kerr_msg(e, ECONNREFUSED, "cannot reach the Docker daemon at unix://%s: %s", d->socket, why);
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	release(d, c);
	if (b.oom) {
		free(b.p);
		return kerr_set(e, ENOMEM, "GET %s", path);
	}
	if (b.len) {
		kerr je;
		*out = kj_parse(path, b.p, b.len, &je);
	}
	free(b.p);
	return (int)status;
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
