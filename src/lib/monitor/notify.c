/* Alert notifications to an Alertmanager (alerts.h): the POST of the
 * alerts JSON to URL/api/v2/alerts with libcurl, on a worker thread of its
 * own, so that a slow or dead Alertmanager never holds up the sampling
 * loop (nor, through its lock, a scrape).
 *
 * Why a thread and not libcurl's multi interface on the daemon's event
 * loop (common/loop.h): there is one request at a time and what is handed
 * over is one string; the multi interface would need its socket and timer
 * callbacks wired into the loop, and the easy interface's blocking post
 * is then no one's problem.  The thread waits on nothing but its
 * condition variable and libcurl's own socket; every signal is blocked in
 * it (the loop's signalfd takes them).
 *
 * The queue is one slot, the newest payload wins: each payload is the
 * whole current set (every firing alert, and every resolved one no
 * payload delivered yet: alerts.c keeps those until one that carried them
 * was delivered), so a payload replaced before it was posted loses
 * nothing, and coalescing is what Alertmanager wants (the current set,
 * re-sent periodically).  Bounds: one request at a time, 3 s to connect
 * and 15 s in all (Prometheus waits 10 s), at most 3 attempts of a
 * payload 1 s and 4 s apart, cut short by a newer payload; then it is
 * dropped, and the caller's next resend brings the set again.  Failures
 * go to the log callback rate-limited: the first, then at most one a
 * minute with the count since, and the first success after them.
 * Stopping aborts a post in flight within a second (but for the name
 * lookup of a host name, which is getaddrinfo's, with its own timeouts:
 * an address in the URL has none).
 *
 * An http:// URL is posted by kapsel's own HTTP/1.1 client (common/
 * httpc.h): libcurl would load OpenSSL and initialize it for a plain
 * connection, 6 MiB of the daemon's RSS (5.7 -> 11.4 MiB measured, no
 * containers).  An https:// one goes through libcurl (TLS verified against
 * the system's CAs), which is loaded at its first post. */
#include "monitor/alerts.h"

#include "common/httpc.h"
#include "common/httpd.h"
#include "common/str.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CONNECT_MS 3000L
#define TIMEOUT_MS 15000L
#define ATTEMPTS 3
#define LOG_EVERY_S 60.0

static const double backoff_s[ATTEMPTS - 1] = { 1, 4 };

struct kmon_notifier {
	char *url;   /* URL/api/v2/alerts */
	char *shown; /* the same without a user:password, for messages */
	kmon_notify_log_fn log;
	void *data;
	pthread_t thread;
	pthread_mutex_t lock; /* slot, seq, stop */
	pthread_cond_t cond;  /* a payload came, or stop */
	char *slot;           /* the payload not taken yet, or NULL */
	uint64_t slot_seq;
	atomic_int stop;
	_Atomic uint64_t delivered;
	/* the worker's own */
	unsigned long failures; /* since the last success */
	unsigned long unlogged; /* failures not logged yet */
	double last_log;        /* monotonic s of the last failure logged */
};

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t size, size_t n, void *data)
{
	(void)p;
	(void)data;
	return size * n;
}

/* libcurl's progress callback, at least once a second: nonzero aborts */
static int aborted(void *data, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	struct kmon_notifier *n = data;
	return atomic_load(&n->stop);
}

/* "http://[USER[:PASSWORD]@]HOST[:PORT][/PATH]" into its parts (in BUF) */
struct target {
	char buf[1024];
	const char *host, *port, *path;
	char *auth; /* "Basic ..." (malloc'ed), or NULL */
	char hostport[300];
};

static int parse_http(const char *url, const char *shown, struct target *t, kerr *e)
{
	memset(t, 0, sizeof(*t));
	if (strncasecmp(url, "http://", 7) || strlen(url + 7) >= sizeof(t->buf))
		return kerr_msg(e, EINVAL, "alertmanager %s: not an http:// URL kapsel can post to", shown);
	strcpy(t->buf, url + 7);
	char *a = t->buf, *slash = a + strcspn(a, "/?#");
	t->path = *slash == '/' ? url + 7 + (slash - a) : "/";
	*slash = '\0';
	char *at = strrchr(a, '@');
	if (at) {
		*at = '\0';
		if (khttp_pct_decode(a, 0) < 0 || !(t->auth = kstr_base64(a, strlen(a))))
			return kerr_msg(e, EINVAL, "alertmanager %s: a bad user:password in the URL", shown);
		a = at + 1;
	}
	snprintf(t->hostport, sizeof(t->hostport), "%s", a);
	char *colon;
	if (*a == '[') { /* [v6]:port */
		char *close = strchr(a, ']');
		if (!close || (close[1] && close[1] != ':'))
			return kerr_msg(e, EINVAL, "alertmanager %s: a bad IPv6 address", shown);
		*close = '\0';
		t->host = a + 1;
		colon = close[1] ? close + 1 : NULL;
	} else {
		t->host = a;
		colon = strchr(a, ':');
	}
	if (colon)
		*colon = '\0';
	t->port = colon && colon[1] ? colon + 1 : "80";
	if (!*t->host || strspn(t->port, "0123456789") != strlen(t->port) || atoi(t->port) < 1 || atoi(t->port) > 65535)
		return kerr_msg(e, EINVAL, "alertmanager %s: a bad host or port", shown);
	return 0;
}

/* The POST on kapsel's own client: a connection per post (one at most
 * every few seconds), closed after the answer. */
static int post_plain(struct kmon_notifier *n, const char *body, kerr *e)
{
	struct target t;
	if (parse_http(n->url, n->shown, &t, e) < 0) {
		free(t.auth);
		return -1;
	}
	size_t blen = strlen(body);
	char *req = kstr_printf("POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: kapsel-monitor\r\n"
				"Content-Type: application/json\r\nContent-Length: %zu\r\n%s%s%sConnection: close\r\n\r\n",
				t.path, t.hostport, blen, t.auth ? "Authorization: Basic " : "", t.auth ? t.auth : "",
				t.auth ? "\r\n" : "");
	free(t.auth);
	if (!req)
		return kerr_set(e, ENOMEM, "alertmanager %s", n->shown);
	int64_t start = khttpc_now_ms();
	kerr de = { 0 };
	int fd = khttpc_dial_tcp(t.host, t.port, start + CONNECT_MS, &n->stop, &de);
	if (fd < 0) {
		free(req);
		return kerr_msg(e, EIO, "alertmanager %s: %s", n->shown, de.msg);
	}
	int64_t deadline = start + TIMEOUT_MS;
	/* only the status matters: an answer bigger than this is no Alertmanager's */
	struct khttpc_rx r = { .fd = fd, .deadline = deadline, .cancel = &n->stop, .max_body = 64 << 10 };
	struct khttpc_answer a = { 0 };
	int rc = khttpc_send_all(fd, req, strlen(req), deadline, &n->stop);
	if (!rc)
		rc = khttpc_send_all(fd, body, blen, deadline, &n->stop);
	if (!rc)
		rc = khttpc_read_answer(&r, &a);
	close(fd);
	free(req);
	free(r.p);
	if (rc < 0)
		return kerr_msg(e, EIO, "alertmanager %s: %s", n->shown, khttpc_strerror(rc));
	if (a.status < 200 || a.status > 299)
		return kerr_msg(e, EIO, "alertmanager %s: HTTP %d", n->shown, a.status);
	return 0;
}

static int post(struct kmon_notifier *n, const char *body, kerr *e)
{
	if (!strncasecmp(n->url, "http://", 7))
		return post_plain(n, body, e);

	CURL *c = curl_easy_init();
	struct curl_slist *h = c ? curl_slist_append(NULL, "Content-Type: application/json") : NULL;
	if (!h) {
		if (c)
			curl_easy_cleanup(c);
		return kerr_set(e, ENOMEM, "alertmanager %s", n->shown);
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, n->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, aborted);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, n);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	if (rc != CURLE_OK)
		return kerr_msg(e, EIO, "alertmanager %s: %s", n->shown, *errbuf ? errbuf : curl_easy_strerror(rc));
	if (status < 200 || status > 299)
		return kerr_msg(e, EIO, "alertmanager %s: HTTP %ld", n->shown, status);
	return 0;
}

static void failed(struct kmon_notifier *n, const kerr *e)
{
	n->failures++;
	n->unlogged++;
	double now = mono_s();
	if (n->failures > 1 && now - n->last_log < LOG_EVERY_S)
		return;
	char msg[sizeof(e->msg) + 96];
	if (n->unlogged > 1)
		snprintf(msg, sizeof(msg), "%s (%lu failed posts since the last line)", e->msg, n->unlogged);
	else
		snprintf(msg, sizeof(msg), "%s", e->msg);
	n->log(msg, 1, n->data);
	n->unlogged = 0;
	n->last_log = now;
}

static void succeeded(struct kmon_notifier *n)
{
	if (n->failures) {
		char msg[256];
		snprintf(msg, sizeof(msg), "alertmanager %.160s: delivered again after %lu failed posts", n->shown,
			 n->failures);
		n->log(msg, 0, n->data);
	}
	n->failures = n->unlogged = 0;
}

/* Wait until a payload is in the slot, STOP, or (UNTIL > 0) monotonic
 * time UNTIL; with the lock held. */
static void wait_slot(struct kmon_notifier *n, double until)
{
	while (!n->slot && !atomic_load(&n->stop)) {
		if (until <= 0) {
			pthread_cond_wait(&n->cond, &n->lock);
			continue;
		}
		double left = until - mono_s();
		if (left <= 0)
			return;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		long long ns = (long long)ts.tv_nsec + (long long)(left * 1e9);
		ts.tv_sec += (time_t)(ns / 1000000000LL);
		ts.tv_nsec = (long)(ns % 1000000000LL);
		pthread_cond_timedwait(&n->cond, &n->lock, &ts);
	}
}

static void *worker(void *data)
{
	struct kmon_notifier *n = data;
	pthread_mutex_lock(&n->lock);
	for (;;) {
		wait_slot(n, 0);
		if (atomic_load(&n->stop))
			break;
		char *body = n->slot;
		uint64_t seq = n->slot_seq;
		n->slot = NULL;
		for (int attempt = 0; body; attempt++) {
			pthread_mutex_unlock(&n->lock);
			kerr e = { 0 };
			int r = post(n, body, &e);
			if (r == 0) {
				atomic_store(&n->delivered, seq);
				succeeded(n);
			} else if (!atomic_load(&n->stop)) {
				failed(n, &e);
			}
			pthread_mutex_lock(&n->lock);
			if (r == 0 || attempt + 1 >= ATTEMPTS || atomic_load(&n->stop)) {
				free(body);
				body = NULL;
				break;
			}
			/* again after the back-off, unless a newer payload came */
			wait_slot(n, mono_s() + backoff_s[attempt]);
			if (n->slot || atomic_load(&n->stop)) {
				free(body);
				body = NULL;
			}
		}
		if (atomic_load(&n->stop))
			break;
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

int kmon_notifier_start(const char *url, kmon_notify_log_fn log, void *data, struct kmon_notifier **out, kerr *e)
{
	size_t len = strlen(url);
	while (len && url[len - 1] == '/')
		len--;
	struct kmon_notifier *n = calloc(1, sizeof(*n));
	const char *auth = strstr(url, "://"), *at = auth ? strchr(auth + 3, '@') : NULL;
	if (at && at > url + len)
		at = NULL;
	if (at && memchr(auth + 3, '/', (size_t)(at - auth - 3)))
		at = NULL; /* an '@' in the path, not a user */
	if (!n || !(n->url = kstr_printf("%.*s/api/v2/alerts", (int)len, url)) ||
	    !(n->shown = at ? kstr_printf("%.*s%.*s/api/v2/alerts", (int)(auth + 3 - url), url, (int)(url + len - at - 1),
					  at + 1)
			    : kstr_dup(n->url))) {
		if (n)
			free(n->url);
		free(n);
		return kerr_set(e, ENOMEM, "alertmanager %s", url);
	}
	n->log = log;
	n->data = data;
	pthread_mutex_init(&n->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->cond, &ca);
	pthread_condattr_destroy(&ca);
	/* every signal blocked in the worker from its first instruction */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = pthread_create(&n->thread, NULL, worker, n);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		pthread_cond_destroy(&n->cond);
		pthread_mutex_destroy(&n->lock);
		free(n->url);
		free(n->shown);
		free(n);
		return kerr_set(e, r, "alertmanager: start the notifier thread");
	}
	*out = n;
	return 0;
}

void kmon_notifier_send(struct kmon_notifier *n, char *body, uint64_t seq)
{
	pthread_mutex_lock(&n->lock);
	free(n->slot); /* not taken yet: the newer one has all it had */
	n->slot = body;
	n->slot_seq = seq;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

uint64_t kmon_notifier_delivered(struct kmon_notifier *n)
{
	return atomic_load(&n->delivered);
}

void kmon_notifier_stop(struct kmon_notifier *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	atomic_store(&n->stop, 1);
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	free(n->slot);
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->lock);
	free(n->url);
	free(n->shown);
	free(n);
}
