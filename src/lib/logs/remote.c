/* The remote drivers' half of klogs (syslog, journald, fluentd): their
 * options as Docker names them, tag templates, addresses, and the queue of
 * encoded messages sent from the caller's event loop.
 *
 * One connection at a time, non-blocking: a message waits in the queue
 * until the socket takes it.  A failure (refused, reset, closed by the
 * receiver, a connect that does not complete in 5 s) closes the
 * connection and a timer tries again after a back-off (100 ms doubling to
 * 5 s; fluentd: fluentd-retry-wait doubling to 60 s, at most
 * fluentd-max-retries times in a row before what waits is dropped).
 * Nothing here ever blocks the loop: stop and kill are answered whatever
 * the receiver does.  When the supervisor is done, klogs_drain sends what
 * is left while it moves, 10 s at most.
 *
 * fluentd-request-ack: an event stays at the head of the queue once sent
 * until the receiver's {"ack": CHUNK} for it comes (ACK_WAIT at most, or
 * the connection is failed); a connection lost meanwhile sends it again,
 * same chunk id: at least once, never lost.  fluentd-buffer-limit bounds
 * the events queued (blocking: the reads stop there; otherwise dropped).
 *
 * tcp+tls runs through kapsel-log-tls (src/supervise/log_tls.c), a relay
 * on a socketpair: the supervisor is linked statically and OpenSSL linked
 * in would cost it ~900 KiB of RSS even unused. */
#include "logs/internal.h"
#include "logs/logs.h"

#include "common/cleanup.h"
#include "common/units.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONNECT_TIMEOUT (5 * KLOOP_NSEC_PER_SEC)
#define BACKOFF_FIRST (100 * KLOOP_NSEC_PER_MSEC)
#define BACKOFF_MAX (5 * KLOOP_NSEC_PER_SEC)
#define FLUENTD_BACKOFF_MAX (60 * KLOOP_NSEC_PER_SEC)
#define DRAIN_STALL KLOOP_NSEC_PER_SEC
#define DRAIN_MAX (10 * KLOOP_NSEC_PER_SEC)
#define ACK_WAIT (30 * KLOOP_NSEC_PER_SEC)
#define DRAIN_RECONNECTS 3
/* mode=blocking: the caller stops reading past 64 KiB queued (Docker
 * ignores max-buffer-size there: its copier waits on the driver).  What
 * may pile up past that: the rest of one read (16 KiB of empty lines is
 * ~2 MiB of messages), or what a container that exited left in its pipes
 * (drained without waiting, sent by klogs_drain) */
#define BLOCKING_QUEUE (64 * 1024)
#define BLOCKING_SLACK (4 * 1024 * 1024)

static const char *const format_table[] = {
	[KLOGS_RFC5424] = "rfc5424",
	[KLOGS_RFC5424MICRO] = "rfc5424micro",
	[KLOGS_RFC3164] = "rfc3164",
};
KAPSEL_DEFINE_NAME_TABLE(klogs_syslog_format, enum klogs_syslog_format, format_table);

/* ---- options --------------------------------------------------------------- */

/* Go's strconv.ParseBool, which Docker uses */
static int parse_bool(const char *v, bool *out)
{
	static const char *const t[] = { "1", "t", "T", "true", "TRUE", "True", NULL };
	static const char *const f[] = { "0", "f", "F", "false", "FALSE", "False", NULL };
	for (int i = 0; t[i]; i++)
		if (!strcmp(v, t[i]))
			return *out = true, 0;
	for (int i = 0; f[i]; i++)
		if (!strcmp(v, f[i]))
			return *out = false, 0;
	return -1;
}

static int facility(const char *v)
{
	static const char *const names[] = { "kern",   "user",   "mail",   "daemon", "auth",     "syslog",
					     "lpr",    "news",   "uucp",   "cron",   "authpriv", "ftp",
					     NULL,     NULL,     NULL,     NULL,     "local0",   "local1",
					     "local2", "local3", "local4", "local5", "local6",   "local7" };
	for (int i = 0; i < 24; i++)
		if (names[i] && !strcmp(v, names[i]))
			return i;
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (!errno && end != v && !*end && n >= 0 && n <= 23)
		return (int)n;
	return -1;
}

static int set_string(char **dst, const char *v, const char *what, kerr *e)
{
	char *d = strdup(v);
	if (!d)
		return kerr_set(e, ENOMEM, "%s", what);
	free(*dst);
	*dst = d;
	return 0;
}

/* a decimal count of at least MIN */
static int count(const char *v, long long min, int64_t *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n < min)
		return -1;
	*out = n;
	return 0;
}

static int set_path(char **dst, const char *v, const char *what, kerr *e)
{
	if (*v != '/')
		return kerr_msg(e, EINVAL, "%s: \"%s\" is not an absolute path", what, v);
	if (access(v, R_OK) < 0)
		return kerr_set(e, errno, "%s: %s", what, v);
	return set_string(dst, v, what, e);
}

int klogs_remote_option(struct klogs_config *c, const char *k, const char *v, const char *what, kerr *e)
{
	if (!strcmp(k, "mode")) {
		if (strcmp(v, "blocking") && strcmp(v, "non-blocking"))
			return kerr_msg(e, EINVAL, "%s: \"%s\" is not one of blocking, non-blocking", what, v);
		c->non_blocking = !strcmp(v, "non-blocking");
		return 1;
	}
	if (!strcmp(k, "max-buffer-size")) {
		int64_t n;
		if (kunits_parse_size(what, v, &n, e) < 0)
			return -1;
		if (n <= 0 || n > (int64_t)1 << 32)
			return kerr_msg(e, EINVAL, "%s: \"%s\": a size from 1 byte to 4g", what, v);
		c->max_buffer_size = n;
		return 1;
	}
	if (!klogs_is_remote(c->driver))
		return 0;
	if (!strcmp(k, "tag")) {
		char out[KLOGS_TAG_MAX];
		if (klogs_tag_expand(out, sizeof(out), v, "0", "", "", "", e) < 0)
			return kerr_wrap(e, "%s", what);
		return set_string(&c->tag, v, what, e) < 0 ? -1 : 1;
	}
	bool b;
	if (!strcmp(k, "labels") || !strcmp(k, "env") || !strcmp(k, "labels-regex") || !strcmp(k, "env-regex")) {
		if (c->driver == KLOGS_SYSLOG)
			return kerr_msg(e, EINVAL,
					"%s: a syslog message has no fields to put them in (journald and fluentd "
					"take labels, labels-regex, env, env-regex; Docker's syslog ignores them)",
					what);
		char **dst = k[0] == 'l' ? (k[6] ? &c->x_labels_re : &c->x_labels) : k[3] ? &c->x_env_re : &c->x_env;
		if (strstr(k, "-regex")) {
			regex_t re;
			int rc = regcomp(&re, v, REG_EXTENDED | REG_NOSUB);
			if (rc) {
				char msg[128];
				regerror(rc, &re, msg, sizeof(msg));
				return kerr_msg(e, EINVAL, "%s: \"%s\": %s (a POSIX extended regex)", what, v, msg);
			}
			regfree(&re);
		}
		return set_string(dst, v, what, e) < 0 ? -1 : 1;
	}
	if (c->driver == KLOGS_SYSLOG) {
		if (!strcmp(k, "syslog-address"))
			return klogs_addr_parse(&c->addr, c->driver, v, e) < 0 ? kerr_wrap(e, "%s", what) : 1;
		if (!strcmp(k, "syslog-facility")) {
			if ((c->facility = facility(v)) < 0)
				return kerr_msg(e, EINVAL,
						"%s: \"%s\" is not a syslog facility (kern ... local7, 0-23)", what, v);
			return 1;
		}
		if (!strcmp(k, "syslog-format")) {
			int f = klogs_syslog_format_from_name(v);
			if (f < 0)
				return kerr_msg(e, EINVAL, "%s: \"%s\" is not one of rfc5424, rfc5424micro, rfc3164",
						what, v);
			c->format = f;
			return 1;
		}
		if (!strcmp(k, "syslog-tls-ca-cert"))
			return set_path(&c->tls_ca, v, what, e) < 0 ? -1 : 1;
		if (!strcmp(k, "syslog-tls-cert"))
			return set_path(&c->tls_cert, v, what, e) < 0 ? -1 : 1;
		if (!strcmp(k, "syslog-tls-key"))
			return set_path(&c->tls_key, v, what, e) < 0 ? -1 : 1;
		if (!strcmp(k, "syslog-tls-skip-verify")) {
			if (parse_bool(v, &b) < 0)
				return kerr_msg(e, EINVAL, "%s: \"%s\" is not a boolean", what, v);
			c->tls_skip_verify = b;
			return 1;
		}
		return 0;
	}
	if (c->driver == KLOGS_JOURNALD) {
		/* kapsel's own: the journal's socket (tests run a private one) */
		if (!strcmp(k, "journald-socket")) {
			if (*v != '/' || strlen(v) >= sizeof(c->addr.path))
				return kerr_msg(e, EINVAL, "%s: \"%s\" is not an absolute path of at most %zu bytes",
						what, v, sizeof(c->addr.path) - 1);
			snprintf(c->addr.path, sizeof(c->addr.path), "%s", v);
			return 1;
		}
		return 0;
	}
	/* fluentd */
	if (!strcmp(k, "fluentd-address"))
		return klogs_addr_parse(&c->addr, c->driver, v, e) < 0 ? kerr_wrap(e, "%s", what) : 1;
	if (!strcmp(k, "fluentd-async") || !strcmp(k, "fluentd-async-connect") ||
	    !strcmp(k, "fluentd-sub-second-precision")) {
		if (parse_bool(v, &b) < 0)
			return kerr_msg(e, EINVAL, "%s: \"%s\" is not a boolean", what, v);
		if (k[8] == 's')
			c->subsecond = b;
		else
			c->async = c->async || b;
		return 1;
	}
	if (!strcmp(k, "fluentd-retry-wait")) {
		int64_t ns;
		if (kunits_parse_duration(what, v, &ns, e) < 0)
			return -1;
		if (ns <= 0)
			return kerr_msg(e, EINVAL, "%s: \"%s\": a wait must be positive", what, v);
		c->retry_wait_ns = ns;
		return 1;
	}
	if (!strcmp(k, "fluentd-request-ack")) {
		if (parse_bool(v, &b) < 0)
			return kerr_msg(e, EINVAL, "%s: \"%s\" is not a boolean", what, v);
		c->request_ack = b;
		return 1;
	}
	if (!strcmp(k, "fluentd-buffer-limit"))
		return count(v, 1, &c->buffer_limit) < 0
			       ? kerr_msg(e, EINVAL, "%s: \"%s\" is not a number of events from 1", what, v)
			       : 1;
	if (!strcmp(k, "fluentd-max-retries"))
		return count(v, 0, &c->max_retries) < 0
			       ? kerr_msg(e, EINVAL, "%s: \"%s\" is not a number of retries from 0", what, v)
			       : 1;
	return 0;
}

/* ---- extra fields: labels, env ------------------------------------------------ */

/* journald's field names: upper case letters, digits and '_', never a
 * leading '_' (those are the journal's trusted fields), as Docker makes
 * them from a label or variable name */
static void journal_name(char *k)
{
	char *o = k;
	for (const char *p = k; *p; p++) {
		char ch = *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ? *p : '_';
		if (o == k && ch == '_')
			continue;
		*o++ = ch;
	}
	*o = 0;
}

/* the fields the driver writes itself: an extra one never replaces them */
static bool own_field(enum klogs_driver d, const char *k)
{
	static const char *const journald[] = { "MESSAGE",        "PRIORITY",          "CONTAINER_ID",
						"CONTAINER_ID_FULL", "CONTAINER_NAME", "CONTAINER_TAG",
						"IMAGE_NAME",     "SYSLOG_IDENTIFIER", "SYSLOG_TIMESTAMP",
						"CONTAINER_PARTIAL_MESSAGE", NULL };
	static const char *const fluentd[] = { "container_id", "container_name", "source", "log", "partial_message",
					       NULL };
	for (const char *const *f = d == KLOGS_JOURNALD ? journald : fluentd; *f; f++)
		if (!strcmp(*f, k))
			return true;
	return false;
}

static bool listed(const char *list, const char *k)
{
	size_t n = strlen(k);
	for (const char *p = list; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && !memcmp(p, k, n))
			return true;
		p = comma ? comma + 1 : p + len;
	}
	return false;
}

static int add_extra(struct klogs_config *c, const char *key, size_t klen, const char *val, kerr *e)
{
	char *k = strndup(key, klen), *v = strdup(val);
	char **x = realloc(c->extra, (c->nextra + 1) * 2 * sizeof(*x));
	if (!k || !v || !x) {
		free(k), free(v);
		if (x)
			c->extra = x;
		return kerr_set(e, ENOMEM, "log extra fields");
	}
	c->extra = x;
	if (c->driver == KLOGS_JOURNALD)
		journal_name(k);
	for (size_t i = 0; i < c->nextra; i++)
		if (!strcmp(x[2 * i], k)) { /* a label and a variable of one name: the variable's, as Docker */
			free(x[2 * i + 1]);
			x[2 * i + 1] = v;
			free(k);
			return 0;
		}
	if (!*k || own_field(c->driver, k)) {
		free(k), free(v);
		return 0;
	}
	x[2 * c->nextra] = k;
	x[2 * c->nextra + 1] = v;
	c->nextra++;
	return 0;
}

static int match(const char *re_text, regex_t *re, bool *have, kerr *e)
{
	if (!re_text)
		return 0;
	if (regcomp(re, re_text, REG_EXTENDED | REG_NOSUB))
		return kerr_msg(e, EINVAL, "log.opts: \"%s\" is not a POSIX extended regex", re_text);
	*have = true;
	return 0;
}

int klogs_config_extra(struct klogs_config *c, json_object *labels, json_object *env, kerr *e)
{
	if (!c->x_labels && !c->x_labels_re && !c->x_env && !c->x_env_re)
		return 0;
	regex_t lre, ere;
	bool have_l = false, have_e = false;
	int rc = 0;
	if (match(c->x_labels_re, &lre, &have_l, e) < 0 || match(c->x_env_re, &ere, &have_e, e) < 0) {
		rc = -1;
		goto out;
	}
	if (json_object_is_type(labels, json_type_object)) {
		json_object_object_foreach(labels, k, v)
		{
			if (!json_object_is_type(v, json_type_string))
				continue;
			if ((listed(c->x_labels, k) || (have_l && !regexec(&lre, k, 0, NULL, 0))) &&
			    add_extra(c, k, strlen(k), json_object_get_string(v), e) < 0) {
				rc = -1;
				goto out;
			}
		}
	}
	size_t n = json_object_is_type(env, json_type_array) ? json_object_array_length(env) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *kv = json_object_get_string(json_object_array_get_idx(env, i));
		const char *eq = kv ? strchr(kv, '=') : NULL;
		if (!eq || eq == kv)
			continue;
		char name[256];
		if ((size_t)(eq - kv) >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - kv), kv);
		if ((listed(c->x_env, name) || (have_e && !regexec(&ere, name, 0, NULL, 0))) &&
		    add_extra(c, name, strlen(name), eq + 1, e) < 0) {
			rc = -1;
			goto out;
		}
	}
	size_t total = 0;
	for (size_t i = 0; i < 2 * c->nextra; i++)
		total += strlen(c->extra[i]) + 12;
	if (total > KLOGS_EXTRA_MAX)
		rc = kerr_msg(e, EINVAL,
			      "log.opts: the extra fields (labels, env) come to %zu bytes, at most %d: name fewer",
			      total, KLOGS_EXTRA_MAX);
out:
	if (have_l)
		regfree(&lre);
	if (have_e)
		regfree(&ere);
	return rc;
}

/* ---- tags and addresses ------------------------------------------------------ */

int klogs_tag_expand(char *out, size_t cap, const char *tmpl, const char *id, const char *name, const char *image,
		     const char *image_id, kerr *e)
{
	static const char *const fields[] = { "ID",      "FullID",      "Name",       "ImageName",
					      "ImageID", "ImageFullID", "DaemonName", NULL };
	if (!tmpl)
		tmpl = "{{.ID}}";
	if (!strncmp(image_id, "sha256:", 7))
		image_id += 7;
	size_t o = 0;
	for (const char *p = tmpl; *p;) {
		const char *add = p;
		size_t len = 1;
		if (!strncmp(p, "{{", 2)) {
			const char *end = strstr(p, "}}");
			if (!end)
				return kerr_msg(e, EINVAL, "tag \"%s\": \"{{\" without \"}}\"", tmpl);
			const char *f = p + 2;
			while (*f == ' ')
				f++;
			size_t fl = (size_t)(end - f);
			while (fl && f[fl - 1] == ' ')
				fl--;
			int which = -1;
			for (int i = 0; fields[i]; i++)
				if (fl == strlen(fields[i]) + 1 && *f == '.' && !strncmp(f + 1, fields[i], fl - 1))
					which = i;
			if (which < 0)
				return kerr_msg(e, EINVAL,
						"tag \"%s\": unknown field \"%.*s\" (.ID, .FullID, .Name, .ImageName, "
						".ImageID, .ImageFullID, .DaemonName)",
						tmpl, (int)fl, f);
			const char *vals[] = { id, id, name, image, image_id, image_id, "kapsel" };
			add = vals[which];
			len = strlen(add);
			if ((which == 0 || which == 4) && len > 12)
				len = 12;
			p = end + 2;
		} else {
			p++;
		}
		if (o + len >= cap)
			return kerr_msg(e, ENAMETOOLONG, "tag \"%s\": longer than %zu bytes", tmpl, cap - 1);
		memcpy(out + o, add, len);
		o += len;
	}
	out[o] = 0;
	return 0;
}

static int host_port(struct klogs_addr *a, const char *s, const char *def_port, const char *full, kerr *e)
{
	const char *colon;
	size_t hl;
	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (!rb)
			return kerr_msg(e, EINVAL, "\"%s\": \"[\" without \"]\"", full);
		s++;
		hl = (size_t)(rb - s);
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if (rb[1] && !colon)
			return kerr_msg(e, EINVAL, "\"%s\": not host:port", full);
	} else {
		colon = strrchr(s, ':');
		hl = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (!hl || hl >= sizeof(a->host))
		return kerr_msg(e, EINVAL, "\"%s\": no host", full);
	memcpy(a->host, s, hl);
	a->host[hl] = 0;
	const char *port = colon ? colon + 1 : def_port;
	char *end;
	long p = strtol(port, &end, 10);
	if (!*port || *end || p < 1 || p > 65535)
		return kerr_msg(e, EINVAL, "\"%s\": \"%s\" is not a port", full, port);
	snprintf(a->port, sizeof(a->port), "%ld", p);
	return 0;
}

int klogs_addr_parse(struct klogs_addr *a, enum klogs_driver d, const char *s, kerr *e)
{
	static const struct {
		const char *scheme;
		enum klogs_transport t;
	} schemes[] = {
		{ "unix://", KLOGS_T_UNIX }, { "unixgram://", KLOGS_T_UNIXGRAM }, { "udp://", KLOGS_T_UDP },
		{ "tcp://", KLOGS_T_TCP },   { "tcp+tls://", KLOGS_T_TLS },
	};
	struct klogs_addr n = { 0 };
	const char *rest = NULL;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(*schemes); i++)
		if (!strncmp(s, schemes[i].scheme, strlen(schemes[i].scheme))) {
			n.t = schemes[i].t;
			rest = s + strlen(schemes[i].scheme);
		}
	if (d == KLOGS_FLUENTD && !rest && !strstr(s, "://")) {
		/* Docker's fluentd-address may be a bare host:port */
		n.t = KLOGS_T_TCP;
		rest = s;
	}
	if (!rest || (d == KLOGS_FLUENTD && n.t != KLOGS_T_TCP && n.t != KLOGS_T_UNIX))
		return kerr_msg(e, EINVAL, "\"%s\": not %s", s,
				d == KLOGS_FLUENTD ? "host:port, tcp://host:port or unix:///path"
						   : "unix:///path, unixgram:///path, udp://host:port, tcp://host:port "
						     "or tcp+tls://host:port");
	if (n.t == KLOGS_T_UNIX || n.t == KLOGS_T_UNIXGRAM) {
		if (*rest != '/' || strlen(rest) >= sizeof(n.path))
			return kerr_msg(e, EINVAL, "\"%s\": the path must be absolute and at most %zu bytes", s,
					sizeof(n.path) - 1);
		snprintf(n.path, sizeof(n.path), "%s", rest);
	} else if (host_port(&n, rest, d == KLOGS_FLUENTD ? "24224" : "514", s, e) < 0) {
		return -1;
	}
	*a = n;
	return 0;
}

/* ---- the queue ---------------------------------------------------------------- */

static int q_push(struct klogs_queue *q, const char *data, uint32_t n, uint32_t payload)
{
	size_t need = 8 + (size_t)n;
	if (q->head + q->len + need > q->cap && q->head) {
		memmove(q->buf, q->buf + q->head, q->len);
		q->head = 0;
	}
	if (q->len + need > q->cap) {
		size_t cap = q->cap ? q->cap : 64 * 1024;
		while (cap < q->len + need)
			cap *= 2;
		char *b = realloc(q->buf, cap);
		if (!b)
			return -1;
		q->buf = b;
		q->cap = cap;
	}
	char *p = q->buf + q->head + q->len;
	memcpy(p, &n, 4);
	memcpy(p + 4, &payload, 4);
	memcpy(p + 8, data, n);
	q->len += need;
	q->nrec++;
	return 0;
}

static const char *q_front(const struct klogs_queue *q, uint32_t *n, uint32_t *payload)
{
	const char *p = q->buf + q->head;
	memcpy(n, p, 4);
	memcpy(payload, p + 4, 4);
	return p + 8;
}

static void q_pop(struct klogs_queue *q)
{
	uint32_t n, pl;
	q_front(q, &n, &pl);
	q->head += 8 + (size_t)n;
	q->len -= 8 + (size_t)n;
	q->off = 0;
	if (!--q->nrec) {
		q->head = q->len = 0;
		if (q->cap > 256 * 1024) { /* a burst is over: give the memory back */
			free(q->buf);
			q->buf = NULL;
			q->cap = 0;
		}
	}
}

static void dropped(struct klogs *l, uint64_t lines, uint64_t bytes)
{
	if (!lines)
		return;
	l->dropped_lines += lines;
	l->dropped_bytes += bytes;
	if (l->r->fn)
		l->r->fn(l, KLOGS_EV_DROPPED, l->r->data);
}

static void q_drop_all(struct klogs *l)
{
	struct klogs_queue *q = &l->r->q;
	uint64_t lines = 0, bytes = 0;
	while (q->nrec) {
		uint32_t n, pl;
		q_front(q, &n, &pl);
		lines++;
		bytes += pl;
		q_pop(q);
	}
	dropped(l, lines, bytes);
}

/* ---- the connection ------------------------------------------------------------ */

static int stream_kind(enum klogs_transport t)
{
	return t == KLOGS_T_UNIX || t == KLOGS_T_TCP || t == KLOGS_T_TLS;
}

/* GRACEFUL: the TLS relay is left to carry what it holds and end at our
 * EOF (its writes time out), else it is killed */
static void disconnect_how(struct klogs_remote *r, int graceful)
{
	kloop_remove(r->io);
	r->io = NULL;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	/* by pidfd: the caller's SIGCHLD handling reaps it, its pid may be reused */
	if (r->relay >= 0 && !graceful)
		pidfd_send_signal(r->relay, SIGKILL, NULL, 0);
	if (r->relay >= 0)
		close(r->relay);
	r->relay = -1;
	r->conn = KLOGS_DOWN;
	r->q.off = 0; /* a message cut short goes again whole */
	r->awaiting = false; /* and one not acked goes again */
	r->acklen = 0;
}

static void disconnect(struct klogs_remote *r)
{
	disconnect_how(r, 0);
}

static void pump(struct klogs *l);
static void room(struct klogs *l);
static int connect_start(struct klogs *l, int initial, kerr *e);

static void fail(struct klogs *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct klogs *l, const char *fmt, ...)
{
	struct klogs_remote *r = l->r;
	char msg[sizeof(r->last_error)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(msg, r->last_error)) { /* once per kind of failure, into supervise.log */
		fprintf(stderr, "kapsel-supervise: %s log: %s (trying again)\n", klogs_driver_to_name(l->cfg.driver),
			msg);
		snprintf(r->last_error, sizeof(r->last_error), "%s", msg);
	}
	disconnect(r);
	r->failures++;
	uint64_t first = BACKOFF_FIRST, max = BACKOFF_MAX;
	if (l->cfg.driver == KLOGS_FLUENTD) {
		first = (uint64_t)l->cfg.retry_wait_ns;
		max = FLUENTD_BACKOFF_MAX;
		if (r->failures > l->cfg.max_retries) {
			/* Docker's fluentd gives up on what it holds after max-retries;
			 * what comes next gets its own retries, from retry-wait */
			q_drop_all(l);
			r->failures = 0;
			r->backoff = 0;
			room(l);
		}
	}
	r->backoff = r->backoff ? (r->backoff * 2 > max ? max : r->backoff * 2) : first;
	if (r->timer)
		kloop_timer_set(r->timer, 0, r->backoff, 0);
}

static void up(struct klogs *l)
{
	struct klogs_remote *r = l->r;
	r->conn = KLOGS_UP;
	if (r->timer)
		kloop_timer_stop(r->timer);
}

/* A message went out whole: the receiver works again (a connect alone
 * does not say so: one that accepts and closes would be retried at once,
 * over and over) */
static void delivered(struct klogs *l)
{
	struct klogs_remote *r = l->r;
	r->backoff = 0;
	r->failures = 0;
	if (r->last_error[0]) {
		fprintf(stderr, "kapsel-supervise: %s log: sending again\n", klogs_driver_to_name(l->cfg.driver));
		r->last_error[0] = 0;
	}
}

static void want(struct klogs_remote *r, uint32_t ev)
{
	kerr ig;
	if (r->io)
		kloop_io_set_events(r->io, ev, &ig);
}

static bool acking(const struct klogs *l)
{
	return l->cfg.driver == KLOGS_FLUENTD && l->cfg.request_ack;
}

/* The receiver's answer in r->ack: {"ack": ID} (a msgpack map of one str
 * or bin).  1: a whole answer, its ID the head event's (popped); 0: more
 * to come; -1: not an answer, or another event's. */
static int ack_take(struct klogs *l)
{
	struct klogs_remote *r = l->r;
	const unsigned char *a = r->ack;
	size_t n = r->acklen, h;
	if (!r->q.nrec)
		return -1;
	if (n >= 1 && a[0] != 0x81)
		return -1;
	if (n >= 5 && memcmp(a + 1, "\xa3" "ack", 4))
		return -1;
	if (n < 6)
		return 0;
	size_t len;
	if ((a[5] & 0xe0) == 0xa0)
		len = a[5] & 0x1f, h = 6;
	else if (a[5] == 0xd9 || a[5] == 0xc4)
		len = n >= 7 ? a[6] : 0, h = 7;
	else if (a[5] == 0xda || a[5] == 0xc5) /* str 16, bin 16 */
		len = n >= 8 ? (size_t)a[6] << 8 | a[7] : 0, h = 8;
	else
		return -1;
	if (n < h)
		return 0;
	if (len != KLOGS_CHUNK_LEN)
		return -1;
	if (n < h + len)
		return 0;
	uint32_t rn, pl;
	const char *p = q_front(&r->q, &rn, &pl);
	if (rn < KLOGS_CHUNK_LEN || memcmp(p + rn - KLOGS_CHUNK_LEN, a + h, KLOGS_CHUNK_LEN))
		return -1;
	memmove(r->ack, a + h + len, n - h - len);
	r->acklen = n - h - len;
	r->awaiting = false;
	q_pop(&r->q);
	return 1;
}

static int on_io(struct kloop_source *src, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)src, (void)e;
	struct klogs *l = data;
	struct klogs_remote *r = l->r;
	if (r->conn == KLOGS_CONNECTING && l->cfg.addr.t == KLOGS_T_TLS) {
		/* the relay's word: "ok\n" or "error: ...\n" */
		char buf[512];
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		buf[n > 0 ? n : 0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		if (!strcmp(buf, "ok")) {
			up(l);
			pump(l);
		} else {
			fail(l, "%s", n > 0 ? buf : "kapsel-log-tls ended");
		}
		return 0;
	}
	if (r->conn == KLOGS_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			fail(l, "connect %s:%s: %s", l->cfg.addr.host, l->cfg.addr.port, strerror(err));
			return 0;
		}
		up(l);
		pump(l);
		return 0;
	}
	if ((revents & EPOLLIN) && acking(l)) {
		ssize_t n = recv(fd, r->ack + r->acklen, sizeof(r->ack) - r->acklen, MSG_DONTWAIT);
		if (n == 0) {
			fail(l, "closed by the receiver");
			return 0;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			fail(l, "%s", strerror(errno));
			return 0;
		}
		if (n > 0)
			r->acklen += (size_t)n;
		while (r->awaiting && ack_take(l) > 0) {
			kloop_timer_stop(r->timer);
			if (r->failures || r->backoff)
				delivered(l);
			pump(l);
		}
		if (r->acklen && (!r->awaiting || ack_take(l) < 0)) {
			fail(l, "an answer that is not the ack of the event sent");
			return 0;
		}
		if (!(revents & EPOLLOUT))
			return 0;
	} else if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		char buf[512];
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 && stream_kind(l->cfg.addr.t)) {
			fail(l, "closed by the receiver");
			return 0;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			fail(l, "%s", strerror(errno));
			return 0;
		}
		if ((revents & (EPOLLHUP | EPOLLERR)) && n < 0) {
			fail(l, "the connection failed");
			return 0;
		}
	}
	if (revents & EPOLLOUT)
		pump(l);
	return 0;
}

static int on_timer(struct kloop_source *src, uint64_t exp, void *data, kerr *e)
{
	(void)src, (void)exp, (void)e;
	struct klogs *l = data;
	if (l->r->conn == KLOGS_CONNECTING) {
		fail(l, "connect: timed out");
		return 0;
	}
	if (l->r->conn == KLOGS_UP) {
		if (l->r->awaiting)
			fail(l, "no ack in %d s", (int)(ACK_WAIT / KLOOP_NSEC_PER_SEC));
		return 0;
	}
	kerr ce;
	if (connect_start(l, 0, &ce) < 0)
		fail(l, "%s", ce.msg);
	return 0;
}

/* the kapsel-log-tls relay on a socketpair: it connects and handshakes,
 * says "ok\n", then carries what we write */
static int spawn_relay(struct klogs *l, int *fd, kerr *e)
{
	const struct klogs_config *c = &l->cfg;
	if (!c->tls_relay)
		return kerr_msg(e, ENOENT, "tcp+tls: kapsel-log-tls is not installed beside kapsel-supervise");
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return kerr_errno(e, "socketpair");
	const char *argv[16];
	int n = 0;
	argv[n++] = c->tls_relay;
	if (c->tls_ca)
		argv[n++] = "--ca", argv[n++] = c->tls_ca;
	if (c->tls_cert)
		argv[n++] = "--cert", argv[n++] = c->tls_cert;
	if (c->tls_key)
		argv[n++] = "--key", argv[n++] = c->tls_key;
	if (c->tls_skip_verify)
		argv[n++] = "--skip-verify";
	argv[n++] = c->addr.host;
	argv[n++] = c->addr.port;
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid < 0) {
		close(sp[0]);
		close(sp[1]);
		return kerr_errno(e, "fork");
	}
	if (pid == 0) {
		/* its stderr stays ours (supervise.log) */
		if (dup2(sp[1], 0) < 0 || dup2(sp[1], 1) < 0)
			_exit(127);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(argv[0], (char **)argv);
		fprintf(stderr, "kapsel-supervise: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(sp[1]);
	l->r->relay = pidfd_open(pid, 0);
	*fd = sp[0];
	return 0;
}

static int unix_connect(int fd, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	return connect(fd, (struct sockaddr *)&sa, sizeof(sa));
}

/* NS as a socket timeout: never {0, 0}, which is none */
static struct timeval ns_timeval(uint64_t ns)
{
	struct timeval tv = { (time_t)(ns / KLOOP_NSEC_PER_SEC), (suseconds_t)(ns % KLOOP_NSEC_PER_SEC / 1000) };
	if (!tv.tv_sec && tv.tv_usec < 1000)
		tv.tv_usec = 1000;
	return tv;
}

/* Start a connection; INITIAL: the one klogs_attach makes, which waits
 * for the TLS relay's word (at most 10 s) so a start fails clearly. */
static int connect_start(struct klogs *l, int initial, kerr *e)
{
	struct klogs_remote *r = l->r;
	const struct klogs_addr *a = &l->cfg.addr;
	disconnect(r);
	int fd = -1;
	if (a->t == KLOGS_T_TLS) {
		if (spawn_relay(l, &fd, e) < 0)
			return -1;
		if (initial) {
			struct timeval tv = { 10, 0 };
			if (r->connect_cap && r->connect_cap < 10 * KLOOP_NSEC_PER_SEC)
				tv = ns_timeval(r->connect_cap);
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			char buf[512];
			ssize_t n = read(fd, buf, sizeof(buf) - 1);
			buf[n > 0 ? n : 0] = 0;
			buf[strcspn(buf, "\n")] = 0;
			if (strcmp(buf, "ok")) {
				close(fd);
				return kerr_msg(e, ECONNREFUSED, "%s", n > 0 ? buf : "kapsel-log-tls: no answer");
			}
		}
		fcntl(fd, F_SETFL, O_NONBLOCK);
		r->fd = fd;
		if (initial)
			up(l);
		else
			r->conn = KLOGS_CONNECTING;
	} else if (a->t == KLOGS_T_UNIX || a->t == KLOGS_T_UNIXGRAM) {
		fd = socket(AF_UNIX, (a->t == KLOGS_T_UNIX ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    0);
		if (fd < 0)
			return kerr_errno(e, "socket");
		if (unix_connect(fd, a->path) < 0 && errno != EINPROGRESS) {
			int err = errno;
			close(fd);
			return kerr_set(e, err, "connect %s", a->path);
		}
		r->fd = fd;
		up(l);
	} else {
		struct addrinfo hints = { .ai_socktype = a->t == KLOGS_T_UDP ? SOCK_DGRAM : SOCK_STREAM,
					  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
		struct addrinfo *ai = NULL;
		int g = getaddrinfo(a->host, a->port, &hints, &ai);
		if (g == EAI_NONAME) { /* a name: resolved each time we connect */
			hints.ai_flags = AI_NUMERICSERV;
			g = getaddrinfo(a->host, a->port, &hints, &ai);
		}
		if (g)
			return kerr_msg(e, ENOENT, "resolve %s: %s", a->host, gai_strerror(g));
		/* a name with several addresses (localhost: ::1 and 127.0.0.1):
		 * each attempt takes the next one after a failure */
		struct addrinfo *all = ai;
		size_t count = 0;
		for (struct addrinfo *p = all; p; p = p->ai_next)
			count++;
		for (size_t i = r->failures % count; i; i--)
			ai = ai->ai_next;
		/* the first connect (before the container starts) waits up to
		 * 5 s, so a receiver that is not there fails the start clearly */
		fd = socket(ai->ai_family, ai->ai_socktype | (initial ? 0 : SOCK_NONBLOCK) | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			freeaddrinfo(all);
			return kerr_errno(e, "socket");
		}
		struct timeval tv = { CONNECT_TIMEOUT / KLOOP_NSEC_PER_SEC, 0 };
		if (r->connect_cap && r->connect_cap < CONNECT_TIMEOUT)
			tv = ns_timeval(r->connect_cap);
		if (initial)
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (rc < 0 && initial && errno == EINPROGRESS)
			errno = ETIMEDOUT;
		int err = errno;
		freeaddrinfo(all);
		if (rc < 0 && initial && count > 1 && (size_t)r->failures + 1 < count) {
			/* the first connect tries them all */
			close(fd);
			r->failures++;
			int ret = connect_start(l, initial, e);
			r->failures = 0;
			return ret;
		}
		if (initial)
			fcntl(fd, F_SETFL, O_NONBLOCK);
		if (rc < 0 && err != EINPROGRESS) {
			close(fd);
			return kerr_set(e, err, "connect %s:%s", a->host, a->port);
		}
		r->fd = fd;
		if (rc == 0)
			up(l);
		else
			r->conn = KLOGS_CONNECTING;
	}
	if (r->loop) {
		uint32_t ev = r->conn == KLOGS_CONNECTING ? (a->t == KLOGS_T_TLS ? EPOLLIN : EPOLLOUT)
			      : stream_kind(a->t)         ? EPOLLIN
							  : 0;
		if (!(r->io = kloop_add_io(r->loop, r->fd, ev, on_io, l, e))) {
			disconnect(r);
			return -1;
		}
		if (r->conn == KLOGS_CONNECTING)
			kloop_timer_set(r->timer, 0, CONNECT_TIMEOUT, 0);
	}
	return 0;
}

/* Send the first record: 1 sent, 0 the socket is full, -errno. */
static int send_front(struct klogs *l)
{
	struct klogs_remote *r = l->r;
	uint32_t n, pl;
	const char *p = q_front(&r->q, &n, &pl);
	if (l->cfg.driver == KLOGS_JOURNALD) {
		int rc = klogs_journald_send(r->fd, p, n);
		return rc == -EAGAIN ? 0 : rc < 0 ? rc : 1;
	}
	for (;;) {
		ssize_t w = send(r->fd, p + r->q.off, n - r->q.off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (!stream_kind(l->cfg.addr.t))
			return 1;
		r->q.off += (size_t)w;
		if (r->q.off == n)
			return 1;
	}
}

static size_t high_water(const struct klogs_config *c);

/* fluentd-buffer-limit: events queued at most */
static size_t event_limit(const struct klogs_config *c)
{
	return c->driver == KLOGS_FLUENTD ? (size_t)c->buffer_limit : SIZE_MAX;
}

/* the caller stopped reading (klogs_full): read on once half is gone */
static void room(struct klogs *l)
{
	struct klogs_remote *r = l->r;
	if (r->full && r->q.len <= high_water(&l->cfg) / 2 && r->q.nrec <= event_limit(&l->cfg) / 2) {
		r->full = false;
		if (r->fn)
			r->fn(l, KLOGS_EV_ROOM, r->data);
	}
}

/* non-blocking, or fluentd-async: never hold the container back */
static bool never_waits(const struct klogs_config *c)
{
	return c->non_blocking || (c->driver == KLOGS_FLUENTD && c->async);
}

static size_t high_water(const struct klogs_config *c)
{
	return never_waits(c) ? (size_t)c->max_buffer_size : BLOCKING_QUEUE;
}

static void pump(struct klogs *l)
{
	struct klogs_remote *r = l->r;
	while (r->conn == KLOGS_UP && r->q.nrec && !r->awaiting) {
		int rc = send_front(l);
		if (rc == 0) {
			want(r, EPOLLOUT | (stream_kind(l->cfg.addr.t) ? EPOLLIN : 0));
			return;
		}
		if (rc < 0) {
			fail(l, "send: %s", strerror(-rc));
			return;
		}
		if (acking(l)) { /* popped when its ack comes */
			r->awaiting = true;
			kloop_timer_set(r->timer, 0, ACK_WAIT, 0);
			break;
		}
		q_pop(&r->q);
		if (r->failures || r->backoff)
			delivered(l);
	}
	if (r->conn == KLOGS_UP)
		want(r, stream_kind(l->cfg.addr.t) ? EPOLLIN : 0);
	room(l);
}

/* ---- the klogs side --------------------------------------------------------------- */

int klogs_remote_open(struct klogs *l, const char *id, kerr *e)
{
	struct klogs_remote *r = calloc(1, sizeof(*r));
	if (!r)
		return kerr_set(e, ENOMEM, "remote log");
	l->r = r;
	r->fd = -1;
	r->relay = -1;
	snprintf(r->id, sizeof(r->id), "%s", id);
	if (!(r->scratch = malloc(KLOGS_MSG_MAX)))
		return kerr_set(e, ENOMEM, "remote log");
	const struct klogs_config *c = &l->cfg;
	if (klogs_tag_expand(r->tag, sizeof(r->tag), c->tag, id, c->name ? c->name : "", c->image ? c->image : "",
			     c->image_id ? c->image_id : "", e) < 0)
		return -1;
	r->pid = getpid();
	if (getrandom(&r->chunk_seed, sizeof(r->chunk_seed), 0) != sizeof(r->chunk_seed))
		r->chunk_seed = ((uint64_t)r->pid << 32) ^ (uint64_t)kloop_now();
	if (gethostname(r->hostname, sizeof(r->hostname) - 1) < 0 || !r->hostname[0])
		snprintf(r->hostname, sizeof(r->hostname), "localhost");
	return 0;
}

static const char *where(const struct klogs_addr *a, char *buf, size_t n)
{
	static const char *const schemes[] = { "unix://", "unixgram://", "udp://", "tcp://", "tcp+tls://" };
	if (a->t == KLOGS_T_UNIX || a->t == KLOGS_T_UNIXGRAM)
		snprintf(buf, n, "%s%s", schemes[a->t], a->path);
	else
		snprintf(buf, n, "%s%s:%s", schemes[a->t], a->host, a->port);
	return buf;
}

int klogs_attach(struct klogs *l, struct kloop *loop, klogs_event_fn fn, void *data, kerr *e)
{
	struct klogs_remote *r = l->r;
	l->loop = loop;
	l->fn = fn;
	l->data = data;
	if (!r)
		return 0;
	r->loop = loop;
	r->fn = fn;
	r->data = data;
	if (!(r->timer = kloop_add_timer(loop, 0, 0, 0, on_timer, l, e)))
		return -1;
	kloop_timer_stop(r->timer);
	kerr ce;
	if (connect_start(l, 1, &ce) < 0) {
		char w[512];
		if (!(l->cfg.driver == KLOGS_FLUENTD && l->cfg.async))
			return kerr_msg(e, ce.errnum, "%s log to %s: %s", klogs_driver_to_name(l->cfg.driver),
					where(&l->cfg.addr, w, sizeof(w)), ce.msg);
		fail(l, "%s", ce.msg);
	}
	return 0;
}

bool klogs_full(const struct klogs *l)
{
	return (l->r && l->r->full) || klogs_file_full(l);
}

size_t klogs_queued(const struct klogs *l)
{
	return l->r ? l->r->q.len : 0;
}

void klogs_remote_write(struct klogs *l, enum klogs_stream s, const char *p, size_t n, int partial)
{
	struct klogs_remote *r = l->r;
	const struct klogs_config *c = &l->cfg;
	struct klogs_msg m = {
		.stream = s,
		.line = p,
		.len = n,
		.partial = partial,
		.ts = l->now,
		.id = r->id,
		.name = c->name ? c->name : "",
		.image = c->image ? c->image : "",
		.tag = r->tag,
		.hostname = r->hostname,
		.pid = r->pid,
		.extra = (const char *const *)c->extra,
		.nextra = c->nextra,
	};
	char chunk[KLOGS_CHUNK_LEN + 1];
	if (acking(l)) { /* unique: 64 random bits of this supervisor, then a count */
		snprintf(chunk, sizeof(chunk), "%016llx%016llx", (unsigned long long)r->chunk_seed,
			 (unsigned long long)++r->chunk_seq);
		m.chunk = chunk;
	}
	size_t len = c->driver == KLOGS_SYSLOG     ? klogs_syslog_encode(r->scratch, KLOGS_MSG_MAX, c, &m)
		     : c->driver == KLOGS_JOURNALD ? klogs_journald_encode(r->scratch, KLOGS_MSG_MAX, &m)
						   : klogs_fluentd_encode(r->scratch, KLOGS_MSG_MAX, c, &m);
	bool never_wait = never_waits(c);
	size_t max = high_water(c);
	size_t limit = event_limit(c);
	if (r->q.len + len + 8 > max + (never_wait ? 0 : BLOCKING_SLACK) || (never_wait && r->q.nrec >= limit) ||
	    q_push(&r->q, r->scratch, len, n) < 0) {
		dropped(l, 1, n);
		return;
	}
	pump(l);
	if (!never_wait && (r->q.len >= max || r->q.nrec >= limit))
		r->full = true;
}

/* What is still queued when the supervisor is done: sent blocking, while
 * it moves (a send that takes nothing for 1 s ends it) and for 10 s at
 * most; the rest is dropped, counted.  The container is done by then:
 * stop and wait were answered before. */
bool klogs_drain(struct klogs *l)
{
	struct klogs_remote *r = l ? l->r : NULL;
	if (!r || !r->q.nrec)
		return false;
	uint64_t before = l->dropped_lines;
	/* a connection that was up and is lost meanwhile is made again (a
	 * receiver restarting, or one that closes on an event it did not ack) */
	int reconnects = r->conn == KLOGS_UP ? DRAIN_RECONNECTS : 0, blocking_fd = -1;
	uint64_t deadline = kloop_now() + DRAIN_MAX;
	while (r->q.nrec) {
		uint64_t now = kloop_now();
		if (now + KLOOP_NSEC_PER_MSEC >= deadline)
			break;
		if (r->conn != KLOGS_UP) {
			if (reconnects-- <= 0)
				break;
			struct timespec pause = { 0, BACKOFF_FIRST };
			nanosleep(&pause, NULL);
			kerr ce;
			now = kloop_now();
			if (now + KLOOP_NSEC_PER_MSEC >= deadline)
				break;
			r->connect_cap = deadline - now; /* within the drain's time */
			int rc = connect_start(l, 1, &ce);
			r->connect_cap = 0;
			blocking_fd = -1; /* a new socket, maybe under the old number */
			if (rc < 0 || r->conn != KLOGS_UP) {
				disconnect(r);
				continue;
			}
		}
		if (r->fd != blocking_fd) { /* from here on blocking, with timeouts */
			kloop_remove(r->io);
			r->io = NULL;
			fcntl(r->fd, F_SETFL, fcntl(r->fd, F_GETFL) & ~O_NONBLOCK);
			blocking_fd = r->fd;
		}
		now = kloop_now();
		if (now + KLOOP_NSEC_PER_MSEC >= deadline)
			break;
		uint64_t left = deadline - now < DRAIN_STALL ? deadline - now : DRAIN_STALL;
		struct timeval tv = ns_timeval(left);
		uint32_t n, pl;
		const char *p = q_front(&r->q, &n, &pl);
		if (r->awaiting) { /* fluentd-request-ack: its answer first */
			setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			ssize_t got = recv(r->fd, r->ack + r->acklen, sizeof(r->ack) - r->acklen, 0);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break; /* 1 s without a word: done */
			if (got > 0)
				r->acklen += (size_t)got;
			if (got <= 0 || ack_take(l) < 0) /* 0: more to read; 1: popped, the next goes */
				disconnect(r);
			continue;
		}
		setsockopt(r->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		ssize_t w = l->cfg.driver == KLOGS_JOURNALD ? (klogs_journald_send(r->fd, p, n) < 0 ? -1 : (ssize_t)n)
							    : send(r->fd, p + r->q.off, n - r->q.off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break; /* a send that takes nothing for 1 s ends it */
		if (w < 0) {
			disconnect(r);
			continue;
		}
		r->q.off += (size_t)w;
		if (acking(l) && r->q.off >= n)
			r->awaiting = true;
		else if (r->q.off >= n || !stream_kind(l->cfg.addr.t))
			q_pop(&r->q);
	}
	q_drop_all(l);
	return l->dropped_lines != before;
}

void klogs_remote_close(struct klogs *l)
{
	struct klogs_remote *r = l->r;
	r->fn = NULL;
	klogs_drain(l);
	kloop_remove(r->timer);
	disconnect_how(r, r->conn == KLOGS_UP);
	free(r->q.buf);
	free(r->scratch);
	free(r);
	l->r = NULL;
}
