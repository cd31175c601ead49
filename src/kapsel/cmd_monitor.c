/* kapsel monitor: the Prometheus exporter, the dashboard, its JSON API and
 * the alert rules.
 *
 *   GET /metrics   every container on the host, cAdvisor's metric names
 *                  (src/lib/monitor/prom.c); Prometheus text 0.0.4, or
 *                  OpenMetrics 1.0.0 when Accept asks; gzip when
 *                  Accept-Encoding allows it; kapsel_alerts_firing
 *   GET /          the dashboard (data/dashboard, embedded at build time)
 *   GET /api/containers[?history=1], /api/containers/ID, /api/alerts
 *                  JSON (src/lib/monitor/api.h, alerts.h)
 *   GET /healthz   "ok"
 *
 * Only loopback is served unless TLS (--tls-cert/--tls-key) or basic auth
 * (--basic-auth-file) is configured, or --insecure-listen is given.
 * The main thread's event loop samples every container each --interval:
 * renders the sample as /metrics text (both formats, kept gzip'ed; a
 * scrape is served from it and reads no cgroup file), keeps it in the store (a history of
 * --history, store.h), evaluates the alert
 * rules (--alerts FILE) and sends their transitions to syslog and an
 * Alertmanager (whose posts a thread of their own makes: notify.c); the
 * API and dashboard read the store.  The HTTP side is common/httpd.c's
 * thread, on a socket bound before --user switches to an unprivileged
 * user (linux/privdrop.h: before any thread starts); one mutex guards the
 * store and alerts. */
#include "kapsel.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/httpd.h"
#include "common/loop.h"
#include "common/jsonw.h"
#include "common/str.h"
#include "common/strv.h"
#include "linux/privdrop.h"
#include "monitor/alerts.h"
#include "monitor/api.h"
#include "monitor/monitor.h"
#include "monitor/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <malloc.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

struct monitor_args {
	struct kmon_src_args src; /* first: see KMON_SRC_OPTIONS */
	const char *listen, *tls_cert, *tls_key, *auth_file, *alerts, *user;
	char **enable_metrics;
	int insecure;
	int64_t interval, history; /* ns */
};

static const struct monitor_args monitor_defaults = {
	.listen = "127.0.0.1:9338",
	.interval = 5000000000ll,
	.history = 3600000000000ll,
};

/* the dashboard's files (generated from data/dashboard by embed.py) */
struct kmon_asset {
	const char *path, *type;
	const unsigned char *data;
	size_t len;
};
extern const struct kmon_asset kmon_assets[];

static const struct cli_option monitor_options[] = {
	CLI_OPT_STRING(0, "listen", struct monitor_args, listen, "ADDR:PORT",
		       "address to serve on (default 127.0.0.1:9338; [::1]:PORT for IPv6)"),
	CLI_OPT_STRING(0, "tls-cert", struct monitor_args, tls_cert, "FILE", "serve HTTPS with this PEM certificate"),
	CLI_OPT_STRING(0, "tls-key", struct monitor_args, tls_key, "FILE", "the certificate's PEM private key"),
	CLI_OPT_STRING(0, "basic-auth-file", struct monitor_args, auth_file, "FILE",
		       "require HTTP basic auth: one USER:PASSWORD line (the file must not be readable by others)"),
	CLI_OPT_FLAG(0, "insecure-listen", struct monitor_args, insecure,
		     "allow a non-loopback address without TLS or auth"),
	CLI_OPT_STRING(0, "alerts", struct monitor_args, alerts, "FILE",
		       "alert rules (default " KMON_ALERTS_CONF ", built-in rules when it is missing)"),
	CLI_OPT_DURATION(0, "interval", struct monitor_args, interval, "DURATION", 100000000ll, 3600000000000ll,
			 "time between samples for the dashboard, API and alerts (default 5s)"),
	CLI_OPT_DURATION(0, "history", struct monitor_args, history, "DURATION", 0, 86400000000000ll,
			 "what the dashboard's charts and the API's history cover (default 1h)"),
	CLI_OPT_STRING(0, "user", struct monitor_args, user, "USER[:GROUP]",
		       "once listening, run as USER keeping only CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE"),
	CLI_OPT_LIST(0, "enable-metrics", struct monitor_args, enable_metrics, "GROUP[,GROUP]",
		     "metric groups off by default, as cAdvisor's: percpu (a CPU usage series per CPU, cgroup v1)"),
	KMON_SRC_OPTIONS(struct monitor_args, src),
	CLI_OPT_END,
};

struct mon {
	struct kmon_sources src;
	struct kcg_host host;
	char *basic;          /* basic auth: base64 of USER:PASSWORD, or NULL */
	pthread_mutex_t lock;  /* store and alerts */
	struct kmon_store store;
	struct kmon_alerts alerts;
	struct kmon_alerts_conf conf;
	unsigned groups;                /* --enable-metrics: 1u << enum kmon_metric_group */
	int syslog_fd;                  /* -1 */
	struct kmon_notifier *notifier; /* the Alertmanager posts' thread, or NULL */
	char generator[96];
	int serving; /* the first sample (before listening) evaluates no alert */
	/* /metrics as the last sample rendered it, per format, kept gzip'ed
	 * only (a tenth of the size: with 1000 containers a body is 2.3 MB);
	 * mlock guards them */
	pthread_mutex_t mlock;
	struct blob *gz[2];
	struct blob *plain[2]; /* gz inflated while a scrape that takes no gzip sends it, or NULL
				* (no reference of its own: the last sender frees it, plain_unref) */
};

/* A rendered body, shared by the answers that send it (no copy per
 * scrape: with 1000 containers it is megabytes), freed with the last. */
struct blob {
	int refs;
	size_t len;
	char *data;
	size_t plain; /* its length inflated */
	/* an inflated copy: the slot that points to it while it lives, and
	 * the lock of that slot (plain_unref) */
	struct blob **slot;
	pthread_mutex_t *lock;
};

static struct blob *blob_new(char *data, size_t len)
{
	struct blob *b = malloc(sizeof(*b));
	if (!b) {
		free(data);
		return NULL;
	}
	*b = (struct blob){ 1, len, data, 0, NULL, NULL };
	return b;
}

static void blob_unref(void *p)
{
	struct blob *b = p;
	if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(b->data);
		free(b);
	}
}

/* The release of an inflated copy: its last sender frees it and empties
 * the slot (if the slot still points to it: a new sample may have
 * replaced it), so no copy outlives the answers that send it. */
static void plain_unref(void *p)
{
	struct blob *b = p;
	pthread_mutex_lock(b->lock);
	int last = --b->refs == 0;
	if (last && *b->slot == b)
		*b->slot = NULL;
	pthread_mutex_unlock(b->lock);
	if (last) {
		free(b->data);
		free(b);
	}
}

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

/* The listening socket, bound while the process may still bind any port
 * (before --user), then handed to the HTTP server.  IPv6 only on an
 * IPv6 address (no v4-mapped addresses). */
static int listen_socket(const struct sockaddr_storage *sa, const char *listen_s, kerr *e)
{
	int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int on = 1;
	if (fd < 0)
		return kerr_errno(e, "listen on %s: socket", listen_s);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (sa->ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	socklen_t len = sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (bind(fd, (const struct sockaddr *)sa, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		kerr_errno(e, "listen on %s", listen_s);
		close(fd);
		return -1;
	}
	return fd;
}

/* 0 when a socket of TYPE may connect to the unix socket PATH, else the
 * errno (EACCES: no write permission on it) */
static int reach(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	_cleanup_close_ int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errno;
	return connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS && errno != EAGAIN ? errno
													      : 0;
}

/* Running as a user other than root (--user, or started so): the sockets
 * it talks to must take its connections.  Docker's (root:docker 0660) is
 * connected to anew at every sample, so a connection made before the
 * switch would not do: the user needs the right itself (group docker).  A
 * socket nobody listens on is as before (no Docker, no syslog daemon:
 * skipped). */
static int check_sockets(const struct mon *m, kerr *e)
{
	char who[96];
	struct passwd *pw = getpwuid(geteuid());
	snprintf(who, sizeof(who), "%s%s(uid %u)", pw ? pw->pw_name : "", pw ? " " : "", (unsigned)geteuid());
	const char *host = m->src.docker_host ? m->src.docker_host : "unix:///var/run/docker.sock";
	const char *sock = kstr_starts(host, "unix://") ? host + 7 : host;
	struct stat st;
	if (*sock && stat(sock, &st) == 0 && reach(sock, SOCK_STREAM) == EACCES) {
		struct group *g = getgrgid(st.st_gid);
		const char *gn = g ? g->gr_name : "docker";
		return kerr_msg(e, EACCES,
				"user %s cannot connect to Docker's socket %s (group %s, mode %04o): put the user in "
				"that group (adduser %s %s; systemd: SupplementaryGroups=%s), or leave Docker out "
				"(--docker-host \"\")",
				who, sock, gn, (unsigned)(st.st_mode & 07777), pw ? pw->pw_name : "USER", gn, gn);
	}
	if (m->syslog_fd >= 0 && stat(m->conf.syslog_socket, &st) == 0 &&
	    reach(m->conf.syslog_socket, SOCK_DGRAM) == EACCES)
		return kerr_msg(e, EACCES,
				"user %s cannot write the syslog socket %s (mode %04o): name one it may write, or "
				"[syslog] enabled = false",
				who, m->conf.syslog_socket, (unsigned)(st.st_mode & 07777));
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
	m->basic = kstr_base64(buf, strlen(buf));
	explicit_bzero(buf, strlen(buf));
	return m->basic ? 0 : kerr_set(e, ENOMEM, "--basic-auth-file");
}

/* ------------------------------------------------------------- serving */

#define SAFE_HEADERS                                                                 \
	"X-Content-Type-Options: nosniff\r\n"                                        \
	"Content-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\n"
#define DATA_HEADERS SAFE_HEADERS "Cache-Control: no-store\r\nVary: Accept, Accept-Encoding\r\n"

static void text(struct khttp_resp *rs, unsigned status, const char *msg)
{
	*rs = (struct khttp_resp){ .status = status, .headers = DATA_HEADERS, .body = msg, .len = strlen(msg) };
}

static void json(struct khttp_resp *rs, unsigned status, char *body)
{
	if (!body)
		return text(rs, 500, "out of memory\n");
	*rs = (struct khttp_resp){ .status = status, .type = "application/json", .headers = DATA_HEADERS,
				   .body = body, .len = strlen(body), .release = free, .arg = body };
}

/* gzip of IN (a gzip header: windowBits 15 + 16), at level 1: the
 * repetitive metrics text still shrinks ten times, at a third of level 6's
 * CPU */
static char *gzip(const char *in, size_t len, size_t *out_len)
{
	z_stream z = { 0 };
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
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

/* B inflated (its PLAIN bytes), NULL on ENOMEM */
static char *gunzip(const struct blob *b)
{
	z_stream z = { 0 };
	char *out = malloc(b->plain ? b->plain : 1);
	if (!out || inflateInit2(&z, 15 + 16) != Z_OK) {
		free(out);
		return NULL;
	}
	z.next_in = (Bytef *)b->data;
	z.avail_in = (uInt)b->len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)b->plain;
	int r = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if (r != Z_STREAM_END || z.total_out != b->plain) {
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

/* The last sample's text in the format asked for: a scrape reads no
 * cgroup file (the tick does, every --interval).  Sent as it is kept
 * (gzip) when Accept-Encoding allows, else inflated: one copy shared by
 * the scrapes that send it at the same time, freed with the last. */
static void metrics(struct mon *m, const struct khttp_req *rq, struct khttp_resp *rs)
{
	enum kmon_prom_format f = kmon_prom_negotiate(rq->accept);
	int z = wants_gzip(rq->accept_encoding);
	pthread_mutex_lock(&m->mlock);
	struct blob *b = z ? m->gz[f] : m->plain[f];
	if (b) {
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
	} else if (!z && m->gz[f]) { /* one copy for the scrapes sending it at once */
		char *p = gunzip(m->gz[f]);
		if ((b = p ? blob_new(p, m->gz[f]->plain) : NULL)) {
			b->plain = m->gz[f]->plain;
			b->slot = &m->plain[f];
			b->lock = &m->mlock;
			m->plain[f] = b;
		}
	}
	int sampled = m->gz[f] != NULL;
	pthread_mutex_unlock(&m->mlock);
	if (!b)
		return text(rs, sampled ? 500 : 503, sampled ? "out of memory\n" : "no sample yet\n");
	*rs = (struct khttp_resp){ .status = 200, .type = kmon_prom_content_type(f), .encoding = z ? "gzip" : NULL,
				   .headers = DATA_HEADERS, .body = b->data, .len = b->len,
				   .release = z ? blob_unref : plain_unref, .arg = b };
}

static void api(struct mon *m, const struct khttp_req *rq, struct khttp_resp *rs)
{
	const char *url = rq->path;
	char *body = NULL;
	unsigned status = 200;
	pthread_mutex_lock(&m->lock);
	if (!strcmp(url, "/api/containers")) {
		char h[8];
		body = khttp_query_get(rq->query, "history", h, sizeof(h)) && strcmp(h, "0")
			       ? kmon_api_containers_history(&m->store)
			       : kmon_api_containers(&m->store);
	} else if (!strcmp(url, "/api/alerts")) {
		body = kmon_api_alerts(&m->alerts);
	} else if (kstr_starts(url, "/api/containers/") && url[16]) {
		kerr e = { 0 };
		const struct kmon_entry *en = kmon_store_find(&m->store, url + 16, &e);
		if (en) {
			body = kmon_api_container(&m->store, en);
		} else {
			struct jsonw w;
			jsonw_init(&w);
			jsonw_obj_open(&w);
			jsonw_key_str(&w, "message", e.msg);
			jsonw_obj_close(&w);
			body = w.buf;
			status = e.errnum == ENOENT ? 404 : 400;
		}
	} else {
		pthread_mutex_unlock(&m->lock);
		return text(rs, 404, "not found\n");
	}
	pthread_mutex_unlock(&m->lock);
	json(rs, status, body);
}

/* "Basic " and the base64 of USER:PASSWORD, compared with every byte
 * (the time does not tell how much matched) */
static int authorized(const struct mon *m, const char *authz)
{
	if (!m->basic)
		return 1;
	if (!authz || strncasecmp(authz, "Basic ", 6))
		return 0;
	const char *cred = authz + 6 + strspn(authz + 6, " ");
	size_t n = strlen(m->basic);
	if (strlen(cred) != n)
		return 0;
	unsigned char diff = 0;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(cred[i] ^ m->basic[i]);
	return !diff;
}

static void handle(const struct khttp_req *rq, struct khttp_resp *rs, void *data)
{
	struct mon *m = data;
	const char *url = rq->path;
	if (!authorized(m, rq->authorization)) {
		*rs = (struct khttp_resp){ .status = 401,
					   .headers = "WWW-Authenticate: Basic realm=\"kapsel monitor\", "
						      "charset=\"UTF-8\"\r\n" SAFE_HEADERS,
					   .body = "unauthorized\n",
					   .len = 13 };
		return;
	}
	if (!strcmp(url, "/metrics"))
		return metrics(m, rq, rs);
	if (!strcmp(url, "/healthz"))
		return text(rs, 200, "ok\n");
	if (kstr_starts(url, "/api/"))
		return api(m, rq, rs);
	for (const struct kmon_asset *a = kmon_assets; a->path; a++)
		if (!strcmp(url, a->path)) { /* static bytes: no copy */
			*rs = (struct khttp_resp){ .status = 200, .type = a->type,
						   .headers = SAFE_HEADERS "X-Frame-Options: DENY\r\n"
									   "Referrer-Policy: no-referrer\r\n",
						   .body = a->data, .len = a->len };
			return;
		}
	text(rs, 404, "not found: /, /api/containers, /api/alerts, /metrics and /healthz are served\n");
}

/* ------------------------------------------------------ samples, alerts */

/* One RFC 3164 line to the syslog socket (what syslog(3) sends, to a
 * socket the config may name): <daemon.PRI>TIMESTAMP TAG[PID]: MSG */
static void to_syslog(struct mon *m, int prio, const char *msg)
{
	if (m->syslog_fd < 0)
		return;
	char stamp[32], line[1200];
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	int n = snprintf(line, sizeof(line), "<%d>%s kapsel-monitor[%d]: %s", LOG_DAEMON | prio, stamp, (int)getpid(),
			 msg);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", m->conf.syslog_socket);
	if (n > 0)
		(void)sendto(m->syslog_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1, MSG_DONTWAIT,
			     (struct sockaddr *)&sa, sizeof(sa));
}

static void on_transition(const struct kmon_alert *a, void *data)
{
	struct mon *m = data;
	char line[1024];
	kmon_alert_line(a, line, sizeof(line));
	fprintf(stderr, "kapsel monitor: alert %s\n", line);
	to_syslog(m,
		  a->state == KMON_A_FIRING     ? LOG_WARNING
		  : a->state == KMON_A_RESOLVED ? LOG_NOTICE
						: LOG_INFO,
		  line);
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int tick(struct kloop_source *src, uint64_t expirations, void *data, kerr *e)
{
	(void)src;
	(void)expirations;
	(void)e;
	struct mon *m = data;
	struct kmon_sources all = m->src;
	all.all = 1;
	struct kmon_list l;
	kerr de = { 0 };
	if (kmon_discover(&all, &l, &de) < 0) {
		fprintf(stderr, "kapsel monitor: %s\n", de.msg);
		return 0;
	}
	struct kmon_reading *rd = calloc(l.n + 1, sizeof(*rd));
	struct kmon_sample *s = malloc(sizeof(*s)); /* one at a time */
	struct kmon_prom *p[2] = { kmon_prom_new(KMON_PROM_TEXT), kmon_prom_new(KMON_PROM_OPENMETRICS) };
	kmon_prom_enable(p[0], m->groups);
	kmon_prom_enable(p[1], m->groups);
	unsigned sflags = KMON_SAMPLE_SPEC | (m->groups & (1u << KMON_MG_PERCPU) ? KMON_SAMPLE_PERCPU : 0);
	if (!rd || !s || !p[0] || !p[1]) {
		free(rd);
		free(s);
		kmon_prom_free(p[0]);
		kmon_prom_free(p[1]);
		kmon_list_done(&l);
		return 0;
	}
	for (size_t i = 0; i < l.n; i++) {
		kerr se = { 0 };
		if (!l.c[i].running)
			continue; /* stopped: in the store, not in /metrics */
		memset(s, 0, sizeof(*s));
		s->n_net = -1;
		if (kmon_sample_read(&m->host, "/proc", &l.c[i], sflags, s, &se) < 0)
			l.c[i].running = 0; /* gone between discovery and reading: only its info series */
		else
			kmon_reading_from(s, m->store.memtotal, &rd[i]);
		kmon_prom_add(p[0], &l.c[i], s);
		kmon_prom_add(p[1], &l.c[i], s);
		kmon_sample_done(s);
	}
	free(s);
	size_t nd = kstrv_len(m->conf.log_paths);
	struct kmon_disk disks[KMON_ALERTS_MAX_PATHS];
	for (size_t i = 0; i < nd; i++) {
		kerr fe = { 0 };
		disks[i].path = m->conf.log_paths[i];
		if (kmon_disk_usage(disks[i].path, &disks[i].used_pct, &fe) < 0)
			disks[i].used_pct = -1;
	}
	double now = wall_now();
	char *payload = NULL;
	uint64_t seq = 0;
	kerr ue = { 0 };
	pthread_mutex_lock(&m->lock);
	if (m->notifier) /* before the evaluation forgets the resolutions delivered */
		kmon_alerts_delivered(&m->alerts, kmon_notifier_delivered(m->notifier));
	if (kmon_store_update(&m->store, &l, rd, now, &ue) < 0 ||
	    (m->serving &&
	     kmon_alerts_eval(&m->alerts, &m->conf, &m->store, disks, nd, now, on_transition, m, &ue) < 0))
		fprintf(stderr, "kapsel monitor: %s\n", ue.msg);
	int firing = 0;
	for (int k = 0; k < KMON_R_N; k++)
		firing |= kmon_alerts_firing(&m->alerts, k) > 0;
	/* transitions at once; the firing set, and resolutions not delivered
	 * yet, again every resend */
	int again = firing || kmon_alerts_undelivered(&m->alerts);
	if (m->notifier && (m->alerts.dirty || (again && now - m->alerts.last_sent >= m->conf.resend)))
		payload = kmon_alerts_payload(&m->alerts, now, m->conf.resend, m->generator, &seq);
	const char *names[KMON_R_N];
	size_t counts[KMON_R_N];
	for (int k = 0; k < KMON_R_N; k++) {
		names[k] = kmon_rule_alertname(k);
		counts[k] = kmon_alerts_firing(&m->alerts, k);
	}
	/* the restart counts as the store has them now (Docker's: new start
	 * times); a container between two restarts (stopped, still listed)
	 * keeps its series, under the cgroup it last ran in */
	for (size_t i = 0; i < m->store.n; i++) {
		const struct kmon_entry *en = &m->store.e[i];
		const char *cg = en->cgroup_seen ? en->cgroup_seen : en->c.cgroup;
		if (!en->touched || !cg || !cg[0])
			continue;
		struct kmon_container c = en->c;
		c.cgroup = (char *)cg;
		for (int f = 0; f < 2; f++)
			kmon_prom_add_state(p[f], &c, en->restarts);
	}
	pthread_mutex_unlock(&m->lock);
	free(rd);
	kmon_list_done(&l);
	for (int f = 0; f < 2; f++) {
		char *body = NULL;
		size_t len = 0;
		kerr pe = { 0 };
		kmon_prom_alerts(p[f], names, counts, KMON_R_N);
		if (kmon_prom_finish(p[f], &body, &len, &pe) < 0) {
			fprintf(stderr, "kapsel monitor: %s\n", pe.msg);
		} else {
			kmon_prom_free(p[f]); /* its buffers before the next one grows */
			p[f] = NULL;
			size_t zl = 0;
			char *zd = gzip(body, len, &zl);
			free(body);
			struct blob *nb = zd ? blob_new(zd, zl) : NULL;
			if (nb) {
				nb->plain = len;
				pthread_mutex_lock(&m->mlock);
				blob_unref(m->gz[f]);
				m->gz[f] = nb;
				m->plain[f] = NULL; /* the old sample's copy: its senders free it */
				pthread_mutex_unlock(&m->mlock);
			} else {
				fprintf(stderr, "kapsel monitor: /metrics: out of memory (the last sample's is served)\n");
			}
		}
		kmon_prom_free(p[f]);
	}
	/* the sample's buffers back to the kernel: they are most of the heap
	 * between two samples */
	malloc_trim(0);
	if (payload) /* posted by the notifier's thread: nothing here waits for Alertmanager */
		kmon_notifier_send(m->notifier, payload, seq);
	return 0;
}

/* the notifier's failures (rate-limited there), from its thread */
static void on_notify(const char *msg, int failed, void *data)
{
	struct mon *m = data;
	fprintf(stderr, "kapsel monitor: %s\n", msg);
	to_syslog(m, failed ? LOG_ERR : LOG_NOTICE, msg);
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
	struct mon m = { .syslog_fd = -1 };
	struct sockaddr_storage sa;
	int loopback = 0, rc = CLI_EXIT_FAILURE;
	kerr e = { 0 };
	struct khttpd_tls *tls = NULL;
	_cleanup_(kloop_freep) struct kloop *l = NULL;
	struct khttpd *d = NULL;
	struct kpriv_user u;
	_cleanup_close_ int lfd = -1;

	if (parse_listen(a->listen, &sa, &loopback, &e) < 0)
		return cli_usage_error(c, "%s", e.msg);
	/* Buffers of 64 KiB and more (the rendered bodies, the Engine API's
	 * answers, the cgroup files' reads) mapped and unmapped on their own.
	 * glibc's default raises that threshold to the largest such buffer
	 * freed, and then serves them from the heap, whose pages between
	 * long-lived small objects never go back: with 100 Docker containers
	 * the daemon's anonymous memory was 2.3 MiB instead of 1.4. */
	mallopt(M_MMAP_THRESHOLD, 64 << 10);
	if (!a->tls_cert != !a->tls_key)
		return cli_usage_error(c, "--tls-cert and --tls-key go together");
	for (char **g = a->enable_metrics; g && *g; g++) {
		int k = kmon_metric_group_from_name(*g);
		if (k < 0)
			return cli_usage_error(c, "--enable-metrics: unknown metric group \"%s\" (known: percpu)", *g);
		m.groups |= 1u << k;
	}
	if (a->user && kpriv_lookup(a->user, &u, &e) < 0) {
		kerr_wrap(&e, "--user %s", a->user);
		goto out;
	}
	if (a->auth_file && read_auth(a->auth_file, &m, &e) < 0)
		goto out;
	if (!loopback && !a->tls_cert && !m.basic && !a->insecure) {
		cli_usage_error(c,
				"refusing to serve metrics on non-loopback %s without TLS (--tls-cert/--tls-key) or "
				"basic auth (--basic-auth-file); --insecure-listen overrides",
				a->listen);
		rc = CLI_EXIT_USAGE;
		goto done;
	}
	if (a->tls_cert && khttpd_tls_new(a->tls_cert, a->tls_key, &tls, &e) < 0)
		goto out;
	kmon_src_from_args(&a->src, &m.src);
	if (kcg_host_detect(&m.host, &e) < 0)
		goto out;
	if (kmon_alerts_conf_load(a->alerts ? a->alerts : KMON_ALERTS_CONF, !a->alerts, &m.conf, &e) < 0)
		goto out;
	if (m.conf.syslog)
		m.syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if ((lfd = listen_socket(&sa, a->listen, &e)) < 0)
		goto out;
	/* what needs root is done (the socket bound; the TLS key, auth file and
	 * rules read): the rest runs as --user, with only the capabilities
	 * that read root's 0700 state (CAP_DAC_READ_SEARCH) and other users'
	 * /proc/PID where /proc hides them (CAP_SYS_PTRACE).  Before any
	 * thread starts. */
	if (a->user && kpriv_become(&u, 1ull << CAP_DAC_READ_SEARCH | 1ull << CAP_SYS_PTRACE, &e) < 0)
		goto out;
	/* --user asked for: a socket it cannot use is an error; started as
	 * another user (systemd's DynamicUser) a warning */
	if (geteuid() != 0 && check_sockets(&m, &e) < 0) {
		if (a->user)
			goto out;
		fprintf(stderr, "kapsel monitor: warning: %s\n", e.msg);
		e = (kerr){ 0 };
	}
	double interval = (double)a->interval / 1e9;
	size_t hist = (size_t)(a->history / a->interval) + 1;
	kmon_store_init(&m.store, hist, fmax(600, m.conf.r[KMON_R_DOWN].for_s * 2), interval);
	pthread_mutex_init(&m.lock, NULL);
	pthread_mutex_init(&m.mlock, NULL);
	if (m.conf.alertmanager && kmon_notifier_start(m.conf.alertmanager, on_notify, &m, &m.notifier, &e) < 0)
		goto out;
	/* the first sample before serving: /metrics answers from it */
	tick(NULL, 1, &m, &e);
	/* the signals are blocked before the HTTP server's thread inherits the mask */
	if (kloop_new(&l, &e) < 0 || !kloop_add_signal(l, SIGINT, on_signal, NULL, &e) ||
	    !kloop_add_signal(l, SIGTERM, on_signal, NULL, &e) ||
	    !kloop_add_timer(l, 0, (uint64_t)a->interval, (uint64_t)a->interval, tick, &m, &e))
		goto out;
	struct khttpd_conf hc = { .fd = lfd, .tls = tls, .handler = handle, .data = &m };
	lfd = -1; /* the server's now, closed by khttpd_stop() */
	if (khttpd_start(&hc, &d, &e) < 0)
		goto out;
	m.serving = 1;
	snprintf(m.generator, sizeof(m.generator), "%s://%s/", tls ? "https" : "http", a->listen);
	fprintf(stderr, "kapsel monitor: serving %s://%s/metrics\n", tls ? "https" : "http", a->listen);
	if (kloop_run(l, &e) < 0)
		goto out;
	rc = CLI_EXIT_OK;
out:
	if (rc != CLI_EXIT_OK)
		cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
done:
	khttpd_stop(d);
	khttpd_tls_free(tls);
	kmon_notifier_stop(m.notifier);
	kmon_store_done(&m.store);
	kmon_alerts_done(&m.alerts);
	kmon_alerts_conf_done(&m.conf);
	if (m.syslog_fd >= 0)
		close(m.syslog_fd);
	for (int f = 0; f < 2; f++)
		blob_unref(m.gz[f]); /* no copy is left: the server stopped, its answers released */
	free(m.basic);
	return rc;
}

const struct cli_command cmd_monitor = {
	.name = "monitor",
	.run = monitor_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "serve every container's metrics, a dashboard and alerts",
	.description =
		"GET /metrics (Prometheus text 0.0.4, or OpenMetrics 1.0.0 by Accept; gzip by\n"
		"Accept-Encoding), the dashboard at /, JSON at /api/containers[/ID] and /api/alerts,\n"
		"and GET /healthz.  Alert rules (--alerts) go to syslog and an Alertmanager.\n"
		"A non-loopback --listen needs TLS or basic auth, or --insecure-listen\n"
		"(docs/monitoring.md).\n",
	.defaults = &monitor_defaults,
	CLI_CMD_OPTIONS(struct monitor_args, monitor_options),
};
