/* The registry connection (registry_int.h): libcurl handles set up for one
 * registry (TLS and its CA, plain HTTP only when configured), requests
 * with the auth dance of the distribution spec and retries. */
#include "image/registry.h"
#include "image/registry_int.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/str.h"
#include "common/strv.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define TRIES 5

int kreg_open(struct kreg *r, const char *registry, const char *repo, const struct kreg_opts *o, int push, kerr *e)
{
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->push = push;
	int insecure = o->insecure && kstrv_contains(o->insecure, registry);
	const char *host = strcmp(registry, KREG_DOCKER_HUB) ? registry : KREG_DOCKER_HUB_API;
	const char *certs = o->certs_dir ? o->certs_dir : KREG_CERTS_DIR;
	if (!(r->registry = strdup(registry)) || (repo && !(r->repo = strdup(repo))) ||
	    !(r->base = kstr_printf("%s://%s", insecure ? "http" : "https", host))) {
		kreg_close(r);
		return kerr_set(e, ENOMEM, "%s", registry);
	}
	if (!(r->ca_file = kstr_printf("%s/%s/ca.crt", certs, registry)) ||
	    !(r->client_cert = kstr_printf("%s/%s/client.cert", certs, registry)) ||
	    !(r->client_key = kstr_printf("%s/%s/client.key", certs, registry))) {
		kreg_close(r);
		return kerr_set(e, ENOMEM, "%s", registry);
	}
	if (access(r->ca_file, F_OK) < 0) {
		free(r->ca_file);
		r->ca_file = NULL;
	}
	int cert = access(r->client_cert, F_OK) == 0, key = access(r->client_key, F_OK) == 0;
	if (cert != key) {
		kerr_msg(e, EINVAL, "%s: a client certificate needs both %s and %s", registry, r->client_cert,
			 r->client_key);
		kreg_close(r);
		return -1;
	}
	if (!cert) {
		free(r->client_cert);
		free(r->client_key);
		r->client_cert = r->client_key = NULL;
	}
	if (kreg_auth_lookup(o->auth_file, registry, &r->basic, e) < 0) {
		kreg_close(r);
		return -1;
	}
	r->share = curl_share_init();
	if (r->share) {
		curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
		curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
		curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	}
	return 0;
}

void kreg_close(struct kreg *r)
{
	free(r->registry);
	free(r->repo);
	free(r->base);
	free(r->ca_file);
	free(r->client_cert);
	free(r->client_key);
	if (r->basic)
		explicit_bzero(r->basic, strlen(r->basic));
	free(r->basic);
	if (r->authz)
		explicit_bzero(r->authz, strlen(r->authz));
	free(r->authz);
	if (r->share)
		curl_share_cleanup(r->share);
	memset(r, 0, sizeof(*r));
}

void kreg_resp_clear(struct kreg_resp *p)
{
	free(p->body);
	size_t max = p->max;
	memset(p, 0, sizeof(*p));
	p->max = max;
}

char *kreg_url(const struct kreg *r, const char *fmt, ...)
{
	va_list ap;
	char *path, *url;
	va_start(ap, fmt);
	int n = vasprintf(&path, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL; /* path is undefined: not freed */
	if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8))
		return path;
	url = kstr_printf("%s%s", r->base, path);
	free(path);
	return url;
}

static void copy_value(char *dst, size_t n, const char *v, size_t len)
{
	while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
		len--;
	if (len >= n)
		len = n - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
	struct kreg_resp *p = ud;
	size_t n = size * nitems;
	static const struct {
		const char *name;
		size_t off, len;
	} keep[] = {
		{ "content-type:", offsetof(struct kreg_resp, content_type),
		  sizeof(((struct kreg_resp *)0)->content_type) },
		{ "docker-content-digest:", offsetof(struct kreg_resp, digest),
		  sizeof(((struct kreg_resp *)0)->digest) },
		{ "location:", offsetof(struct kreg_resp, location), sizeof(((struct kreg_resp *)0)->location) },
		{ "www-authenticate:", offsetof(struct kreg_resp, authenticate),
		  sizeof(((struct kreg_resp *)0)->authenticate) },
		{ "content-range:", offsetof(struct kreg_resp, range), sizeof(((struct kreg_resp *)0)->range) },
	};
	if (n > 5 && !strncmp(buf, "HTTP/", 5)) { /* a new response (after a redirect or 100) */
		p->content_type[0] = p->digest[0] = p->authenticate[0] = p->range[0] = '\0';
		return n;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
		size_t kl = strlen(keep[i].name);
		if (n > kl && !strncasecmp(buf, keep[i].name, kl)) {
			const char *v = buf + kl;
			while (v < buf + n && *v == ' ')
				v++;
			copy_value((char *)p + keep[i].off, keep[i].len, v, (size_t)(buf + n - v));
		}
	}
	return n;
}

static size_t on_body(char *buf, size_t size, size_t nitems, void *ud)
{
	struct kreg_resp *p = ud;
	size_t n = size * nitems;
	if (!p->max)
		return n;
	if (p->len + n > p->max) {
		p->too_big = 1;
		return 0;
	}
	char *nb = realloc(p->body, p->len + n + 1);
	if (!nb)
		return 0;
	p->body = nb;
	memcpy(p->body + p->len, buf, n);
	p->len += n;
	p->body[p->len] = '\0';
	return n;
}

CURL *kreg_easy(struct kreg *r, const char *url, struct kreg_resp *p, char errbuf[CURL_ERROR_SIZE], kerr *e)
{
	CURL *c = curl_easy_init();
	if (!c) {
		kerr_set(e, ENOMEM, "curl");
		return NULL;
	}
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kapsel/" KAPSEL_VERSION);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* a redirect (blobs on a CDN) may leave HTTPS only for an insecure registry */
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, strncmp(r->base, "http:", 5) ? "https" : "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L); /* a stalled transfer is cut, then resumed */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (r->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
	if (r->client_cert) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, r->client_cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, r->client_key);
	}
	if (r->share)
		curl_easy_setopt(c, CURLOPT_SHARE, r->share);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, p);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, p);
	return c;
}

struct curl_slist *kreg_headers(struct kreg *r, const char *const *headers)
{
	struct curl_slist *l = NULL;
	for (const char *const *h = headers; h && *h; h++)
		l = curl_slist_append(l, *h);
	if (r->authz)
		l = curl_slist_append(l, r->authz);
	return curl_slist_append(l, "Expect:"); /* no 100-continue round trip on uploads */
}

void kreg_backoff(int n)
{
	long ms = 250L << (n > 6 ? 6 : n - 1);
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A transport error worth another try: the connection was cut or stalled. */
static int transient(CURLcode rc)
{
	return rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
	       rc == CURLE_GOT_NOTHING || rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_HTTP2 ||
	       rc == CURLE_HTTP2_STREAM;
}

int kreg_transport_error(struct kreg *r, const char *url, CURLcode rc, const char *errbuf, kerr *e)
{
	const char *why = errbuf && *errbuf ? errbuf : curl_easy_strerror(rc);
	if (rc == CURLE_SSL_CONNECT_ERROR && strncmp(r->base, "http:", 5))
		return kerr_msg(e, EPROTO,
				"%s: TLS handshake failed (%s); a registry that speaks plain HTTP must be listed "
				"in kapsel.conf [registries] insecure",
				url, why);
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
		return kerr_msg(e, EPROTO, "%s: TLS certificate not trusted (%s); put the registry's CA in %s", url,
				why, r->ca_file ? r->ca_file : "CERTS_DIR/HOST:PORT/ca.crt");
	return kerr_msg(e, EIO, "%s: %s", url, why);
}

struct upload {
	int fd;
	const char *buf;
	size_t len, off;
};

static size_t on_read(char *out, size_t size, size_t nitems, void *ud)
{
	struct upload *u = ud;
	size_t want = size * nitems;
	if (want > u->len - u->off)
		want = u->len - u->off;
	if (!want)
		return 0;
	if (u->fd < 0) {
		memcpy(out, u->buf + u->off, want);
	} else {
		ssize_t n;
		do
			n = pread(u->fd, out, want, (off_t)u->off);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return CURL_READFUNC_ABORT;
		want = (size_t)n;
	}
	u->off += want;
	return want;
}

static int on_xfer(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	const struct kreg *r = ud;
	(void)dltotal;
	(void)dlnow;
	if (ultotal > 0)
		r->o->progress(r->o->ud, KREG_EV_PROGRESS, r->xfer, ulnow, ultotal);
	return 0;
}

int kreg_request(struct kreg *r, const char *method, const char *path, const char *const *headers, const void *body,
		 int fd, size_t len, struct kreg_resp *p, kerr *e)
{
	_cleanup_free_ char *url = kreg_url(r, "%s", path);
	if (!url)
		return kerr_set(e, ENOMEM, "%s", path);
	int authed = 0;
	for (int attempt = 1;; attempt++) {
		char errbuf[CURL_ERROR_SIZE];
		kreg_resp_clear(p);
		CURL *c = kreg_easy(r, url, p, errbuf, e);
		if (!c)
			return -1;
		struct curl_slist *hl = kreg_headers(r, headers);
		struct upload u = { .fd = fd, .buf = body, .len = len };
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
		if (!strcmp(method, "HEAD")) {
			curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		} else if (!strcmp(method, "GET")) {
			curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
			curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
		} else {
			if (!strcmp(method, "POST")) {
				curl_easy_setopt(c, CURLOPT_POST, 1L);
				curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
			} else {
				curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
				curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
				curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
			}
			curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(c, CURLOPT_READDATA, &u);
			if (r->xfer && r->o->progress) {
				curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
				curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xfer);
				curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
			}
		}
		CURLcode rc = curl_easy_perform(c);
		if (rc == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p->status);
		curl_slist_free_all(hl);
		curl_easy_cleanup(c);
		if (rc == CURLE_WRITE_ERROR && p->too_big)
			return kerr_msg(e, EFBIG, "%s %s: the answer is larger than %zu bytes", method, url, p->max);
		if (rc != CURLE_OK) {
			if (transient(rc) && attempt < TRIES) {
				kreg_backoff(attempt);
				continue;
			}
			return kreg_transport_error(r, url, rc, errbuf, e);
		}
		if (p->status == 401 && !authed) {
			authed = 1;
			if (kreg_auth(r, p, e) < 0)
				return -1;
			attempt--;
			continue;
		}
		if ((p->status == 429 || p->status >= 500) && attempt < TRIES) {
			kreg_backoff(attempt);
			continue;
		}
		return 0;
	}
}

int kreg_challenge_param(const char *ch, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	const char *p = ch;
	out[0] = '\0';
	while ((p = strcasestr(p, key))) {
		int start = p == ch || p[-1] == ' ' || p[-1] == ',';
		if (start && p[kl] == '=') {
			const char *v = p + kl + 1, *end;
			if (*v == '"') {
				v++;
				end = strchr(v, '"');
			} else {
				end = v + strcspn(v, ", ");
			}
			if (!end)
				return 0;
			copy_value(out, n, v, (size_t)(end - v));
			return 1;
		}
		p += kl;
	}
	return 0;
}

static int set_authz(struct kreg *r, const char *scheme, const char *cred, kerr *e)
{
	if (r->authz)
		explicit_bzero(r->authz, strlen(r->authz));
	free(r->authz);
	if (!(r->authz = kstr_printf("Authorization: %s %s", scheme, cred)))
		return kerr_set(e, ENOMEM, "auth");
	return 0;
}

static int bearer(struct kreg *r, const char *ch, kerr *e)
{
	char realm[1024], service[256], scope[512];
	if (!kreg_challenge_param(ch, "realm", realm, sizeof(realm)) || !*realm)
		return kerr_msg(e, EPROTO, "%s: a Bearer challenge without a realm: %s", r->registry, ch);
	kreg_challenge_param(ch, "service", service, sizeof(service));
	_cleanup_free_ char *ours = NULL;
	if (r->repo && !(ours = kstr_printf("repository:%s:%s", r->repo, r->push ? "pull,push" : "pull")))
		return kerr_set(e, ENOMEM, "auth");
	if (!kreg_challenge_param(ch, "scope", scope, sizeof(scope)) || (ours && r->push))
		snprintf(scope, sizeof(scope), "%s", ours ? ours : "");
	CURL *esc = curl_easy_init();
	if (!esc)
		return kerr_set(e, ENOMEM, "auth");
	char *s1 = curl_easy_escape(esc, service, 0), *s2 = curl_easy_escape(esc, scope, 0);
	_cleanup_free_ char *url = NULL;
	url = kstr_printf("%s%sservice=%s%s%s", realm, strchr(realm, '?') ? "&" : "?", s1 ? s1 : "",
			  *scope ? "&scope=" : "", *scope ? (s2 ? s2 : "") : "");
	curl_free(s1);
	curl_free(s2);
	curl_easy_cleanup(esc);
	if (!url)
		return kerr_set(e, ENOMEM, "auth");
	if (strncmp(url, "https://", 8) && strncmp(r->base, "http:", 5))
		return kerr_msg(e, EPROTO, "%s: the token realm %s is not HTTPS", r->registry, realm);
	/* the token service is asked with the stored credentials, over the same TLS rules */
	char *saved = steal_ptr(r->authz);
	if (r->basic && set_authz(r, "Basic", r->basic, e) < 0) {
		free(saved);
		return -1;
	}
	struct kreg_resp p = { .max = 1 << 20 };
	char errbuf[CURL_ERROR_SIZE];
	CURL *c = kreg_easy(r, url, &p, errbuf, e);
	struct curl_slist *hl = kreg_headers(r, NULL);
	CURLcode rc = CURLE_FAILED_INIT;
	if (c) {
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p.status);
		curl_easy_cleanup(c);
	}
	curl_slist_free_all(hl);
	if (r->authz)
		explicit_bzero(r->authz, strlen(r->authz));
	free(r->authz);
	r->authz = saved;
	int ret = 0;
	if (!c)
		ret = -1;
	else if (rc != CURLE_OK)
		ret = kreg_transport_error(r, realm, rc, errbuf, e);
	else if (p.status == 401 || p.status == 403)
		ret = kerr_msg(e, EACCES, "unauthorized: the token service %s refused %s", realm,
			       r->basic ? "the credentials (kapsel login)" : "anonymous access (kapsel login)");
	else if (p.status != 200)
		ret = kreg_status_error(&p, "token", e);
	if (ret == 0) {
		_cleanup_json_ json_object *j = kj_parse("token", p.body ? p.body : "", p.len, e);
		const char *tok = j ? kj_get_str(j, "token") : NULL;
		if (!tok || !*tok)
			tok = j ? kj_get_str(j, "access_token") : NULL;
		if (!j)
			ret = kerr_wrap(e, "%s", realm);
		else if (!tok || !*tok || strpbrk(tok, "\r\n"))
			ret = kerr_msg(e, EPROTO, "%s: the answer has no token", realm);
		else
			ret = set_authz(r, "Bearer", tok, e);
	}
	kreg_resp_clear(&p);
	return ret;
}

int kreg_auth(struct kreg *r, const struct kreg_resp *p, kerr *e)
{
	const char *ch = p->authenticate;
	if (!strncasecmp(ch, "Bearer ", 7))
		return bearer(r, ch + 7, e);
	if (!strncasecmp(ch, "Basic", 5)) {
		if (!r->basic)
			return kerr_msg(e, EACCES, "unauthorized: %s asks for credentials (kapsel login %s)",
					r->registry, r->registry);
		return set_authz(r, "Basic", r->basic, e);
	}
	return kerr_msg(e, EACCES, "unauthorized: %s answered 401 with %s%s%s", r->registry,
			*ch ? "the challenge \"" : "no challenge", ch, *ch ? "\"" : "");
}

void kreg_errors(const struct kreg_resp *p, char *out, size_t n)
{
	out[0] = '\0';
	if (!p->body || !p->len)
		return;
	kerr e;
	_cleanup_json_ json_object *j = kj_parse("errors", p->body, p->len, &e);
	json_object *errs = j ? kj_get(j, "errors") : NULL;
	if (!json_object_is_type(errs, json_type_array) || !json_object_array_length(errs))
		return;
	json_object *first = json_object_array_get_idx(errs, 0);
	const char *code = kj_get_str(first, "code"), *msg = kj_get_str(first, "message");
	snprintf(out, n, "%s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
	for (char *c = out; *c; c++)
		if (!isprint((unsigned char)*c))
			*c = '?';
}

int kreg_status_error(const struct kreg_resp *p, const char *what, kerr *e)
{
	char why[512];
	kreg_errors(p, why, sizeof(why));
	int err = p->status == 401 || p->status == 403 ? EACCES : p->status == 404 ? ENOENT : EPROTO;
	const char *kind = p->status == 401 ? "unauthorized: " : p->status == 404 ? "not found: " : "";
	return kerr_msg(e, err, "%s%s: HTTP %ld%s%s", kind, what, p->status, *why ? ": " : "", why);
}
