/* kapsel monitor: the Prometheus exporter (libmicrohttpd).
 *
 *   GET /metrics   every container on the host, cAdvisor's metric names
 *                  (src/lib/monitor/prom.c); Prometheus text 0.0.4, or
 *                  OpenMetrics 1.0.0 when Accept asks; gzip when
 *                  Accept-Encoding allows it
 *   GET /healthz   "ok"
 *
 * Only loopback is served unless TLS (--tls-cert/--tls-key) or basic auth
 * (--basic-auth-file) is configured, or --insecure-listen is given.  The
 * daemon reads cgroupfs, /proc and the engines' state on each scrape; it
 * keeps nothing between scrapes but the host's cgroup layout.  The HTTP
 * side is libmicrohttpd's own thread; the main thread waits for SIGINT or
 * SIGTERM on the event loop. */
#include "kapsel.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/loop.h"
#include "common/str.h"
#include "monitor/monitor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

struct monitor_args {
	struct kmon_src_args src; /* first: see KMON_SRC_OPTIONS */
	const char *listen, *tls_cert, *tls_key, *auth_file;
	int insecure;
};

static const struct monitor_args monitor_defaults = { .listen = "127.0.0.1:9338" };

static const struct cli_option monitor_options[] = {
	CLI_OPT_STRING(0, "listen", struct monitor_args, listen, "ADDR:PORT",
		       "address to serve on (default 127.0.0.1:9338; [::1]:PORT for IPv6)"),
	CLI_OPT_STRING(0, "tls-cert", struct monitor_args, tls_cert, "FILE", "serve HTTPS with this PEM certificate"),
	CLI_OPT_STRING(0, "tls-key", struct monitor_args, tls_key, "FILE", "the certificate's PEM private key"),
	CLI_OPT_STRING(0, "basic-auth-file", struct monitor_args, auth_file, "FILE",
		       "require HTTP basic auth: one USER:PASSWORD line (the file must not be readable by others)"),
	CLI_OPT_FLAG(0, "insecure-listen", struct monitor_args, insecure,
		     "allow a non-loopback address without TLS or auth"),
	KMON_SRC_OPTIONS(struct monitor_args, src),
	CLI_OPT_END,
};

struct mon {
	struct kmon_sources src;
	struct kcg_host host;
	char *user, *password; /* basic auth, or NULL */
};

/* ------------------------------------------------------------ address */

/* "127.0.0.1:9338" or "[::1]:9338" into SA; LOOPBACK set. */
static int parse_listen(const char *s, struct sockaddr_storage *sa, int *loopback, kerr *e)
{
	char host[64];
	const char *colon;
	memset(sa, 0, sizeof(*sa));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			return kerr_msg(e, EINVAL, "--listen \"%s\": expected [IPV6]:PORT", s);
		snprintf(host, sizeof(host), "%.*s", (int)(close - s - 1), s + 1);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return kerr_msg(e, EINVAL, "--listen \"%s\": expected ADDR:PORT", s);
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	}
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port < 1 || port > 65535)
		return kerr_msg(e, EINVAL, "--listen \"%s\": port must be 1..65535", s);
	struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
	} else {
		return kerr_msg(e, EINVAL, "--listen \"%s\": \"%s\" is not a numeric IPv4 or IPv6 address", s, host);
	}
	return 0;
}

static int read_auth(const char *path, struct mon *m, kerr *e)
{
	struct stat st;
	_cleanup_free_ char *buf = NULL;
	if (stat(path, &st) < 0)
		return kerr_set(e, errno, "--basic-auth-file %s", path);
	if (st.st_mode & 0077)
		return kerr_msg(e, EPERM, "--basic-auth-file %s: readable by group or others (mode %04o): chmod 600 it",
				path, (unsigned)(st.st_mode & 07777));
	if (kfs_read_file(path, &buf, NULL, e) < 0)
		return kerr_wrap(e, "--basic-auth-file");
	buf[strcspn(buf, "\r\n")] = '\0';
	char *colon = strchr(buf, ':');
	if (!colon || colon == buf || !colon[1])
		return kerr_msg(e, EINVAL, "--basic-auth-file %s: the first line must be USER:PASSWORD", path);
	*colon = '\0';
	m->user = kstr_dup(buf);
	m->password = kstr_dup(colon + 1);
	return m->user && m->password ? 0 : kerr_set(e, ENOMEM, "--basic-auth-file");
}

/* ------------------------------------------------------------- serving */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type, char *body, size_t len,
			     const char *encoding)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	if (encoding)
		MHD_add_response_header(r, "Content-Encoding", encoding);
	MHD_add_response_header(r, "Vary", "Accept, Accept-Encoding");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	char *body = kstr_dup(msg);
	return body ? reply(conn, status, "text/plain; charset=utf-8", body, strlen(body), NULL) : MHD_NO;
}

/* gzip of IN (a gzip header: windowBits 15 + 16) */
static char *gzip(const char *in, size_t len, size_t *out_len)
{
	z_stream z = { 0 };
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&z, len) + 32;
	char *out = malloc(cap);
	if (!out) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	int r = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (r != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

/* "gzip" among the codings, not with q=0 */
static int wants_gzip(const char *ae)
{
	for (const char *p = ae; p && (p = strstr(p, "gzip")); p += 4) {
		const char *end = p + strcspn(p, ",");
		const char *q = strstr(p, "q=");
		if (q && q < end && strtod(q + 2, NULL) <= 0)
			continue;
		return 1;
	}
	return 0;
}

static enum MHD_Result metrics(struct mon *m, struct MHD_Connection *conn)
{
	struct kmon_list l;
	kerr e = { 0 };
	if (kmon_discover(&m->src, &l, &e) < 0)
		return text(conn, 500, e.msg);
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	enum kmon_prom_format f = kmon_prom_negotiate(accept);
	struct kmon_prom *p = kmon_prom_new(f);
	struct kmon_sample *s = malloc(sizeof(*s)); /* one at a time */
	int r = p && s ? 0 : kerr_set(&e, ENOMEM, "metrics");
	for (size_t i = 0; r == 0 && i < l.n; i++) {
		kerr se = { 0 };
		if (kmon_sample_read(&m->host, "/proc", &l.c[i], 0, s, &se) < 0)
			l.c[i].running = 0; /* gone between discovery and reading */
		kmon_prom_add(p, &l.c[i], s);
		kmon_sample_done(s);
	}
	char *body = NULL;
	size_t len = 0;
	if (r == 0)
		r = kmon_prom_finish(p, &body, &len, &e);
	kmon_prom_free(p);
	free(s);
	kmon_list_done(&l);
	if (r < 0)
		return text(conn, 500, e.msg);
	const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (wants_gzip(ae)) {
		size_t zlen;
		char *z = gzip(body, len, &zlen);
		if (z) {
			free(body);
			return reply(conn, 200, kmon_prom_content_type(f), z, zlen, "gzip");
		}
	}
	return reply(conn, 200, kmon_prom_content_type(f), body, len, NULL);
}

static int authorized(struct mon *m, struct MHD_Connection *conn)
{
	if (!m->user)
		return 1;
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(conn, &pass);
	int ok = user && pass && !strcmp(user, m->user) && strlen(pass) == strlen(m->password);
	/* compare every byte: the time does not tell how much matched */
	unsigned char diff = 0;
	for (size_t i = 0; ok && pass[i]; i++)
		diff |= (unsigned char)(pass[i] ^ m->password[i]);
	ok = ok && !diff;
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)version;
	(void)upload;
	struct mon *m = cls;
	if (!*con_cls) { /* first call: headers only */
		*con_cls = m;
		return MHD_YES;
	}
	if (*upload_size) /* no bodies here */
		return MHD_NO;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return text(conn, 405, "only GET and HEAD\n");
	if (!authorized(m, conn)) {
		char *body = kstr_dup("unauthorized\n");
		struct MHD_Response *r =
			body ? MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE) : NULL;
		if (!r) {
			free(body);
			return MHD_NO;
		}
		enum MHD_Result ret = MHD_queue_basic_auth_fail_response(conn, "kapsel monitor", r);
		MHD_destroy_response(r);
		return ret;
	}
	if (!strcmp(url, "/metrics"))
		return metrics(m, conn);
	if (!strcmp(url, "/healthz"))
		return text(conn, 200, "ok\n");
	return text(conn, 404, "not found: /metrics and /healthz are served\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	vfprintf(stderr, fmt, ap);
}

static int on_signal(struct kloop_source *s, const struct signalfd_siginfo *si, void *data, kerr *e)
{
	(void)si;
	(void)data;
	(void)e;
	kloop_exit(kloop_source_loop(s), 0);
	return 0;
}

static int monitor_run(const struct cli_call *c)
{
	const struct monitor_args *a = c->opts;
	struct mon m = { 0 };
	struct sockaddr_storage sa;
	int loopback = 0, rc = CLI_EXIT_FAILURE;
	kerr e = { 0 };
	_cleanup_free_ char *cert = NULL, *key = NULL;
	_cleanup_(kloop_freep) struct kloop *l = NULL;
	struct MHD_Daemon *d = NULL;

	if (parse_listen(a->listen, &sa, &loopback, &e) < 0)
		return cli_usage_error(c, "%s", e.msg);
	if (!a->tls_cert != !a->tls_key)
		return cli_usage_error(c, "--tls-cert and --tls-key go together");
	if (a->auth_file && read_auth(a->auth_file, &m, &e) < 0)
		goto out;
	if (!loopback && !a->tls_cert && !m.user && !a->insecure) {
		cli_usage_error(c,
				"refusing to serve metrics on non-loopback %s without TLS (--tls-cert/--tls-key) or "
				"basic auth (--basic-auth-file); --insecure-listen overrides",
				a->listen);
		rc = CLI_EXIT_USAGE;
		goto done;
	}
	if (a->tls_cert &&
	    (kfs_read_file(a->tls_cert, &cert, NULL, &e) < 0 || kfs_read_file(a->tls_key, &key, NULL, &e) < 0))
		goto out;
	kmon_src_from_args(&a->src, &m.src);
	if (kcg_host_detect(&m.host, &e) < 0)
		goto out;
	/* the signals are blocked before libmicrohttpd's thread inherits the mask */
	if (kloop_new(&l, &e) < 0 || !kloop_add_signal(l, SIGINT, on_signal, NULL, &e) ||
	    !kloop_add_signal(l, SIGTERM, on_signal, NULL, &e))
		goto out;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | (cert ? MHD_USE_TLS : 0) |
			 (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
	d = cert ? MHD_start_daemon(flags, 0, NULL, NULL, handle, &m, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				    MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_LIMIT, 64u,
				    MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_HTTPS_MEM_CERT, cert,
				    MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END)
		 : MHD_start_daemon(flags, 0, NULL, NULL, handle, &m, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				    MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_LIMIT, 64u,
				    MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!d) {
		kerr_set(&e, errno ? errno : EADDRINUSE, "listen on %s", a->listen);
		goto out;
	}
	fprintf(stderr, "kapsel monitor: serving %s://%s/metrics\n", cert ? "https" : "http", a->listen);
	if (kloop_run(l, &e) < 0)
		goto out;
	rc = CLI_EXIT_OK;
out:
	if (rc != CLI_EXIT_OK)
		cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
done:
	if (d)
		MHD_stop_daemon(d);
	free(m.user);
	free(m.password);
	return rc;
}

const struct cli_command cmd_monitor = {
	.name = "monitor",
	.run = monitor_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "serve every container's metrics to Prometheus (cAdvisor's names)",
	.description =
		"GET /metrics (Prometheus text 0.0.4, or OpenMetrics 1.0.0 by Accept; gzip by\n"
		"Accept-Encoding) and GET /healthz.  A non-loopback --listen needs TLS or basic auth,\n"
		"or --insecure-listen (docs/monitoring.md).\n",
	.defaults = &monitor_defaults,
	CLI_CMD_OPTIONS(struct monitor_args, monitor_options),
};
