#include "sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The other side died: it may have said why before it went. */
static int peer_error(int fd, int err, kerr *e)
{
	struct ksync_msg m;
	ssize_t n = recv(fd, &m, sizeof(m), MSG_DONTWAIT);
	if (n > (ssize_t)offsetof(struct ksync_msg, msg) && m.type == KSYNC_ERROR) {
		m.msg[sizeof(m.msg) - 1] = '\0';
		e->errnum = m.errnum;
		memcpy(e->msg, m.msg, sizeof(e->msg));
		return -1;
	}
	return kerr_set(e, err, "sync (the container process exited during setup)");
}

int ksync_send(int fd, int type, pid_t pid, kerr *e)
{
	struct ksync_msg m = { .type = type, .pid = pid };
	/* only the header matters for non-error messages */
	if (send(fd, &m, offsetof(struct ksync_msg, msg), MSG_NOSIGNAL) < 0)
		return peer_error(fd, errno, e);
	return 0;
}

int ksync_send_error(int fd, const kerr *err)
{
	struct ksync_msg m = { .type = KSYNC_ERROR, .errnum = err->errnum };
	memcpy(m.msg, err->msg, sizeof(m.msg));
	size_t len = offsetof(struct ksync_msg, msg) + strnlen(m.msg, sizeof(m.msg) - 1) + 1;
	return send(fd, &m, len, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int ksync_recv(int fd, struct ksync_msg *m, kerr *e)
{
	ssize_t n;
	memset(m, 0, sizeof(*m));
	do
		n = recv(fd, m, sizeof(*m), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ECONNRESET ? peer_error(fd, errno, e) : kerr_errno(e, "sync");
	if (n == 0)
		return kerr_msg(e, EPIPE, "the container process exited during setup");
	if (m->type == KSYNC_ERROR) {
		m->msg[sizeof(m->msg) - 1] = '\0';
		e->errnum = m->errnum;
		memcpy(e->msg, m->msg, sizeof(e->msg));
		return -1;
	}
	return 0;
}

int ksync_expect(int fd, int want, struct ksync_msg *m, kerr *e)
{
	if (ksync_recv(fd, m, e) < 0)
		return -1;
	if (m->type != want)
		return kerr_msg(e, EPROTO, "sync: expected message %d, got %d", want, m->type);
	return 0;
}
