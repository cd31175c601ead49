/* syslog: one message a piece, as Docker's syslog driver formats them
 * (daemon/logger/syslog with srslog):
 *
 *   rfc5424       <PRI>1 TIMESTAMP HOSTNAME TAG PID TAG - MSG
 *   rfc5424micro  the same with microseconds in TIMESTAMP
 *   rfc3164       <PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG
 *
 * PRI is facility * 8 + 6 (info) for stdout, + 3 (err) for stderr; the tag
 * is both APP-NAME and MSGID; every message ends in "\n" (srslog adds it).
 * Over tcp+tls the 5424 formats are octet-counted ("LEN MSG", RFC 5425),
 * as Docker does; over tcp a message ends at its "\n" (RFC 6587's
 * non-transparent framing, Docker's too: a piece never holds a "\n").
 * Times are UTC.  Unlike Docker, HOSTNAME is the host's name over every
 * transport (srslog puts the socket's local address there), and APP-NAME
 * and MSGID are cut to RFC 5424's 48 and 32 printable characters. */
#include "logs/internal.h"

#include <stdio.h>
#include <string.h>

/* RFC 5424 PRINTUSASCII, at most MAX characters; "-" when empty */
static size_t header_field(char *o, const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n] && n < max; n++)
		o[n] = (s[n] > 32 && s[n] < 127) ? s[n] : '_';
	if (!n)
		o[n++] = '-';
	return n;
}

size_t klogs_syslog_encode(char *out, size_t cap, const struct klogs_config *c, const struct klogs_msg *m)
{
	int pri = c->facility * 8 + (m->stream == KLOGS_STDERR ? 3 : 6);
	char head[1024], ts[KTIME_BUFSZ];
	size_t h;
	if (c->format == KLOGS_RFC3164) {
		struct tm tm;
		gmtime_r(&m->ts.tv_sec, &tm);
		char stamp[32];
		strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
		h = (size_t)snprintf(head, sizeof(head), "<%d>%s %s %.*s[%d]: ", pri, stamp, m->hostname, 200, m->tag,
				     m->pid);
	} else {
		if (ktime_format(ts, sizeof(ts), &m->ts,
				 c->format == KLOGS_RFC5424MICRO ? KTIME_MICRO : KTIME_SECONDS) < 0)
			snprintf(ts, sizeof(ts), "-");
		h = (size_t)snprintf(head, sizeof(head), "<%d>1 %s ", pri, ts);
		h += header_field(head + h, m->hostname, 255);
		head[h++] = ' ';
		h += header_field(head + h, m->tag, 48);
		h += (size_t)snprintf(head + h, sizeof(head) - h, " %d ", m->pid);
		h += header_field(head + h, m->tag, 32);
		memcpy(head + h, " - ", 3);
		h += 3;
	}
	size_t body = h + m->len + 1, o = 0;
	if (c->addr.t == KLOGS_T_TLS && c->format != KLOGS_RFC3164)
		o = (size_t)snprintf(out, cap, "%zu ", body);
	if (o + body > cap) /* never: a piece is at most 16 KiB */
		return 0;
	memcpy(out + o, head, h);
	memcpy(out + o + h, m->line, m->len);
	out[o + body - 1] = '\n';
	return o + body;
}
