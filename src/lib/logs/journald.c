/* journald: one entry a piece over the journal's native protocol
 * (systemd's "Native Journal Protocol"): a datagram to
 * /run/systemd/journal/socket holding one field a line, NAME=value\n, or
 * for a value that holds a newline (or a NUL) the binary-safe form
 * NAME\n <64-bit little-endian length> value \n.  An entry too big for one
 * datagram goes in a sealed memfd passed with SCM_RIGHTS, as
 * sd_journal_send does.
 *
 * The fields are Docker's: MESSAGE (the line without its "\n"), PRIORITY
 * (6 stdout, 3 stderr), CONTAINER_ID (12 hex), CONTAINER_ID_FULL,
 * CONTAINER_NAME, CONTAINER_TAG, SYSLOG_IDENTIFIER (both the tag),
 * IMAGE_NAME, SYSLOG_TIMESTAMP, and CONTAINER_PARTIAL_MESSAGE=true for a
 * 16 KiB piece of a longer line; then the labels and variables the labels
 * and env options name (klogs_config_extra). */
#include "logs/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static size_t field(char *out, size_t o, size_t cap, const char *name, const char *v, size_t n)
{
	size_t nl = strlen(name);
	if (o + nl + n + 10 > cap)
		return o;
	memcpy(out + o, name, nl);
	o += nl;
	if (memchr(v, '\n', n) || memchr(v, 0, n)) {
		out[o++] = '\n';
		uint64_t len = n;
		for (int i = 0; i < 8; i++)
			out[o++] = (char)(len >> (8 * i));
	} else {
		out[o++] = '=';
	}
	memcpy(out + o, v, n);
	o += n;
	out[o++] = '\n';
	return o;
}

static size_t sfield(char *out, size_t o, size_t cap, const char *name, const char *v)
{
	return field(out, o, cap, name, v, strlen(v));
}

size_t klogs_journald_encode(char *out, size_t cap, const struct klogs_msg *m)
{
	size_t o = field(out, 0, cap, "MESSAGE", m->line, m->len);
	o = sfield(out, o, cap, "PRIORITY", m->stream == KLOGS_STDERR ? "3" : "6");
	char short_id[13];
	snprintf(short_id, sizeof(short_id), "%.12s", m->id);
	o = sfield(out, o, cap, "CONTAINER_ID", short_id);
	o = sfield(out, o, cap, "CONTAINER_ID_FULL", m->id);
	o = sfield(out, o, cap, "CONTAINER_NAME", m->name);
	o = sfield(out, o, cap, "CONTAINER_TAG", m->tag);
	o = sfield(out, o, cap, "IMAGE_NAME", m->image);
	o = sfield(out, o, cap, "SYSLOG_IDENTIFIER", m->tag);
	char ts[KTIME_BUFSZ];
	if (ktime_format(ts, sizeof(ts), &m->ts, KTIME_NANO_TRIM) > 0)
		o = sfield(out, o, cap, "SYSLOG_TIMESTAMP", ts);
	if (m->partial)
		o = sfield(out, o, cap, "CONTAINER_PARTIAL_MESSAGE", "true");
	for (size_t i = 0; i < m->nextra; i++) /* labels, env: named as the journal wants them */
		o = sfield(out, o, cap, m->extra[2 * i], m->extra[2 * i + 1]);
	return o;
}

static int send_memfd(int fd, const char *buf, size_t n)
{
	int mfd = memfd_create("journal-entry", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	for (size_t off = 0; off < n;) {
		ssize_t w = write(mfd, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int err = w < 0 ? errno : EIO;
			close(mfd);
			return -err;
		}
		off += (size_t)w;
	}
	/* journald takes only a sealed memfd: it must not change under it */
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		int err = errno;
		close(mfd);
		return -err;
	}
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof(cbuf));
	struct msghdr mh = { .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &mfd, sizeof(int));
	ssize_t r = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	int err = errno;
	close(mfd);
	return r < 0 ? -err : 0;
}

int klogs_journald_send(int fd, const char *buf, size_t n)
{
	ssize_t r = send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r >= 0)
		return 0;
	if (errno == EMSGSIZE || errno == ENOBUFS)
		return send_memfd(fd, buf, n);
	return -errno;
}
