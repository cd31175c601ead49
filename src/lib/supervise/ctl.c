/* DIR/ctl.sock: the supervisor's control socket.  One JSON request per
 * line, one JSON reply line; attach then carries the container's output
 * (Docker's 8-byte framing without a tty) and takes its stdin. */
#include "supervise/internal.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/jsonw.h"
#include "common/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CONN_IN_MAX 4096
#define CONN_OUT_MAX (4 * 1024 * 1024) /* an attached reader this far behind is let go */

enum conn_kind { CONN_REQUEST, CONN_ATTACH, CONN_WAIT, CONN_STOP };

struct ksup_conn {
	struct ksup_conn *next;
	struct ksup *s;
	int fd;
	struct kloop_source *src;
	enum conn_kind kind;
	int a_stdin, a_stdout, a_stderr, stdin_once;
	char in[CONN_IN_MAX];
	size_t inlen;   /* request bytes, or (attached) stdin bytes not yet taken */
	int in_blocked; /* waiting for the container's stdin to take them */
	char *out;
	size_t outlen;
	int closing; /* close once OUT is written */
};

static void conn_free(struct ksup_conn *c)
{
	struct ksup *s = c->s;
	for (struct ksup_conn **p = &s->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	kloop_remove(c->src);
	close(c->fd);
	free(c->out);
	free(c);
}

static void conn_events(struct ksup_conn *c)
{
	uint32_t ev = (c->closing || c->in_blocked ? 0 : EPOLLIN) | (c->outlen ? EPOLLOUT : 0);
	kerr ig;
	kloop_io_set_events(c->src, ev, &ig);
}

/* Returns -1 when C was freed. */
static int conn_flush(struct ksup_conn *c)
{
	while (c->outlen) {
		ssize_t w = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0) {
			conn_free(c);
			return -1;
		}
		memmove(c->out, c->out + w, c->outlen - (size_t)w);
		c->outlen -= (size_t)w;
	}
	if (!c->outlen && c->closing) {
		conn_free(c);
		return -1;
	}
	conn_events(c);
	return 0;
}

static int conn_send(struct ksup_conn *c, const char *buf, size_t n)
{
	if (c->outlen + n > CONN_OUT_MAX) {
		conn_free(c);
		return -1;
	}
	char *o = realloc(c->out, c->outlen + n);
	if (!o) {
		conn_free(c);
		return -1;
	}
	c->out = o;
	memcpy(c->out + c->outlen, buf, n);
	c->outlen += n;
	return conn_flush(c);
}

static int reply(struct ksup_conn *c, int ok, const char *err, const char *key, int64_t val)
{
	struct jsonw w;
	jsonw_init(&w);
	jsonw_obj_open(&w);
	jsonw_key_bool(&w, "ok", ok);
	if (err)
		jsonw_key_str(&w, "error", err);
	if (key)
		jsonw_key_int(&w, key, val);
	jsonw_obj_close(&w);
	jsonw_raw(&w, "\n");
	int r = w.oom ? (conn_free(c), -1) : conn_send(c, w.buf, w.len);
	jsonw_free(&w);
	return r;
}

static int fail(struct ksup_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ksup_conn *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->closing = 1;
	return reply(c, 0, msg, NULL, 0);
}

/* ---- stdin from attached clients ----------------------------------------- */

static int stdin_write(struct ksup_conn *c);

static int on_stdin_writable(struct kloop_source *src, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)src, (void)fd, (void)revents, (void)e;
	struct ksup *s = data;
	kloop_remove(s->stdin_src);
	s->stdin_src = NULL;
	for (struct ksup_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->in_blocked) {
			c->in_blocked = 0;
			if (stdin_write(c) == 0)
				conn_events(c);
		}
	}
	return 0;
}

/* Hand C's pending bytes to the container's stdin.  -1: C was freed. */
static int stdin_write(struct ksup_conn *c)
{
	struct ksup *s = c->s;
	while (c->inlen && s->in_fd >= 0) {
		ssize_t w = write(s->in_fd, c->in, c->inlen);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			c->in_blocked = 1;
			if (!s->stdin_src) {
				kerr ig;
				s->stdin_src = kloop_add_io(s->loop, s->in_fd, EPOLLOUT, on_stdin_writable, s, &ig);
			}
			return 0;
		}
		if (w < 0) { /* the container closed its stdin */
			c->inlen = 0;
			break;
		}
		memmove(c->in, c->in + w, c->inlen - (size_t)w);
		c->inlen -= (size_t)w;
	}
	c->inlen = 0;
	return 0;
}

static void close_stdin(struct ksup *s)
{
	kloop_remove(s->stdin_src);
	s->stdin_src = NULL;
	if (s->in_fd >= 0)
		close(s->in_fd);
	s->in_fd = -1;
}

/* ---- requests ----------------------------------------------------------------- */

static int bool_field(json_object *o, const char *key)
{
	return kj_get_bool(o, key);
}

static int handle(struct ksup_conn *c, const char *line)
{
	struct ksup *s = c->s;
	_cleanup_json_ json_object *o = json_tokener_parse(line);
	if (!o || !json_object_is_type(o, json_type_object))
		return fail(c, "request: not a JSON object");
	const char *op = kj_get_str(o, "op");
	if (!op)
		return fail(c, "request: op: required (stop, kill, update, attach, wait)");
	if (!strcmp(op, "stop")) {
		json_object *t = kj_get(o, "timeout");
		int64_t timeout = s->c->stop_timeout;
		if (t && !json_object_is_type(t, json_type_null)) {
			if (!json_object_is_type(t, json_type_int) || json_object_get_int64(t) < 0)
				return fail(c, "request: timeout: expected a number of seconds from 0");
			timeout = json_object_get_int64(t);
		}
		c->kind = CONN_STOP;
		ksup_stop(s, timeout);
		/* stopped at once (it was waiting to restart): C got its answer
		 * and is gone */
		return s->phase == KSUP_PHASE_DONE ? -1 : 0;
	}
	if (!strcmp(op, "kill")) {
		const char *name = kj_get_str(o, "signal");
		int sig = name ? ksignal_parse(name) : SIGKILL;
		if (sig <= 0)
			return fail(c, "request: signal: unknown signal \"%s\"", name);
		kerr e;
		if (ksup_signal(s, sig, &e) < 0)
			return fail(c, "%s", e.msg);
		c->closing = 1;
		return reply(c, 1, NULL, NULL, 0);
	}
	if (!strcmp(op, "update")) {
		kerr e;
		if (ksup_config_restart(s->c, o, &e) < 0)
			return fail(c, "%s", e.msg);
		c->closing = 1;
		return reply(c, 1, NULL, NULL, 0);
	}
	if (!strcmp(op, "wait")) {
		c->kind = CONN_WAIT;
		return 0;
	}
	if (!strcmp(op, "attach")) {
		c->a_stdin = bool_field(o, "stdin");
		c->a_stdout = bool_field(o, "stdout");
		c->a_stderr = bool_field(o, "stderr");
		c->stdin_once = bool_field(o, "stdin_once");
		if (c->a_stdin && s->in_fd < 0)
			return fail(c, "attach: the container's stdin is not open (it was created without stdin)");
		if (s->phase != KSUP_PHASE_RUNNING)
			return fail(c, "attach: container %s is not running", s->c->id);
		c->kind = CONN_ATTACH;
		return reply(c, 1, NULL, NULL, 0);
	}
	return fail(c, "request: op: unknown operation \"%s\" (stop, kill, update, attach, wait)", op);
}

static int on_conn(struct kloop_source *src, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)src, (void)e;
	struct ksup_conn *c = data;
	if (revents & EPOLLOUT && conn_flush(c) < 0)
		return 0;
	if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->closing || c->in_blocked)
		return 0;
	if (c->kind != CONN_REQUEST && c->kind != CONN_ATTACH) {
		/* waiting for its answer: only a hang-up matters */
		char b[256];
		ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_free(c);
		return 0;
	}
	ssize_t n = recv(fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		if (c->kind == CONN_ATTACH && c->a_stdin && c->stdin_once)
			close_stdin(c->s);
		conn_free(c);
		return 0;
	}
	c->inlen += (size_t)n;
	if (c->kind == CONN_ATTACH) {
		if (!c->a_stdin) {
			c->inlen = 0;
			return 0;
		}
		if (stdin_write(c) == 0)
			conn_events(c);
		return 0;
	}
	char *nl = memchr(c->in, '\n', c->inlen);
	if (!nl) {
		if (c->inlen == sizeof(c->in))
			fail(c, "request: longer than %d bytes", CONN_IN_MAX);
		return 0;
	}
	*nl = 0;
	size_t rest = c->inlen - (size_t)(nl + 1 - c->in);
	char line[CONN_IN_MAX];
	memcpy(line, c->in, (size_t)(nl - c->in) + 1);
	memmove(c->in, nl + 1, rest);
	c->inlen = rest;
	if (handle(c, line) < 0)
		return 0; /* freed */
	if (c->kind == CONN_ATTACH && c->inlen) {
		if (!c->a_stdin)
			c->inlen = 0;
		else if (stdin_write(c) == 0)
			conn_events(c);
	} else if (c->kind != CONN_ATTACH) {
		c->inlen = 0;
	}
	return 0;
}

static int on_accept(struct kloop_source *src, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)src, (void)revents, (void)e;
	struct ksup *s = data;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return 0;
	struct ksup_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(cfd);
		return 0;
	}
	c->s = s;
	c->fd = cfd;
	kerr ig;
	c->src = kloop_add_io(s->loop, cfd, EPOLLIN, on_conn, c, &ig);
	if (!c->src) {
		close(cfd);
		free(c);
		return 0;
	}
	c->next = s->conns;
	s->conns = c;
	return 0;
}

int ksup_ctl_open(struct ksup *s, kerr *e)
{
	/* relative to the working directory, DIR: a path under a deep --root
	 * would not fit in sun_path */
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "ctl.sock" };
	unlink(sa.sun_path); /* a dead supervisor's */
	s->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->ctl_fd < 0)
		return kerr_errno(e, "control socket");
	mode_t old = umask(0177);
	int r = bind(s->ctl_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(s->ctl_fd, 16) < 0)
		return kerr_errno(e, "control socket %s/ctl.sock", s->dir);
	s->ctl_src = kloop_add_io(s->loop, s->ctl_fd, EPOLLIN, on_accept, s, e);
	return s->ctl_src ? 0 : -1;
}

void ksup_ctl_close(struct ksup *s)
{
	while (s->conns)
		conn_free(s->conns);
	if (s->ctl_fd < 0)
		return;
	kloop_remove(s->ctl_src);
	s->ctl_src = NULL;
	close(s->ctl_fd);
	s->ctl_fd = -1;
	unlink("ctl.sock");
}

void ksup_attach_output(struct ksup *s, int which, const char *buf, size_t n)
{
	for (struct ksup_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->kind != CONN_ATTACH || !(which == KLOGS_STDERR ? c->a_stderr : c->a_stdout))
			continue;
		if (s->c->tty) {
			conn_send(c, buf, n);
			continue;
		}
		/* Docker's stdcopy frame: stream, 3 zero bytes, big-endian length */
		unsigned char h[8] = { which == KLOGS_STDERR ? 2 : 1,
				       0,
				       0,
				       0,
				       (unsigned char)(n >> 24),
				       (unsigned char)(n >> 16),
				       (unsigned char)(n >> 8),
				       (unsigned char)n };
		char *frame = malloc(n + 8);
		if (!frame)
			continue;
		memcpy(frame, h, 8);
		memcpy(frame + 8, buf, n);
		conn_send(c, frame, n + 8);
		free(frame);
	}
}

void ksup_attach_end(struct ksup *s)
{
	kloop_remove(s->stdin_src);
	s->stdin_src = NULL;
	for (struct ksup_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->kind == CONN_ATTACH) {
			c->closing = 1;
			c->in_blocked = 0;
			conn_flush(c); /* frees C once its output is out */
		}
	}
}

void ksup_ctl_done(struct ksup *s)
{
	for (struct ksup_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->kind == CONN_WAIT || c->kind == CONN_STOP) {
			c->closing = 1;
			if (reply(c, 1, NULL, "exit_code", s->st.exit_code) == 0) {
				/* the supervisor exits next: push the answer out now */
				fcntl(c->fd, F_SETFL, 0);
				conn_flush(c);
			}
		}
	}
}
