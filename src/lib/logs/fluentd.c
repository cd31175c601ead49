/* fluentd: one event a piece in the forward protocol's Message mode,
 *   [tag, time, {"container_id": ID, "container_name": "/NAME",
 *                "source": "stdout"|"stderr", "log": LINE}]
 * msgpack-encoded, as Docker's fluentd driver sends them (a 16 KiB piece
 * of a longer line adds "partial_message": "true", the labels and
 * variables the labels and env options name follow).  With
 * fluentd-request-ack a fourth element, the option {"chunk": ID}: the
 * receiver answers {"ack": ID} once it has the event (remote.c waits).  time is whole
 * seconds, or with fluentd-sub-second-precision the EventTime extension
 * (type 0: seconds and nanoseconds, big-endian u32 each).
 *
 * The encoder is hand-written: it writes six kinds of msgpack value
 * (fixarray, fixmap and map 16, str, uint, ext 8), ~40 lines, where libmsgpack-c
 * would be one more library linked statically into every supervisor. */
#include "logs/internal.h"

#include <stdint.h>
#include <string.h>

static size_t be(char *o, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		o[i] = (char)(v >> (8 * (bytes - 1 - i)));
	return (size_t)bytes;
}

static size_t str(char *o, const char *s, size_t n)
{
	size_t h;
	if (n < 32) {
		o[0] = (char)(0xa0 | n);
		h = 1;
	} else if (n < 256) {
		o[0] = (char)0xd9;
		h = 1 + be(o + 1, n, 1);
	} else if (n < 65536) {
		o[0] = (char)0xda;
		h = 1 + be(o + 1, n, 2);
	} else {
		o[0] = (char)0xdb;
		h = 1 + be(o + 1, n, 4);
	}
	memcpy(o + h, s, n);
	return h + n;
}

static size_t cstr(char *o, const char *s)
{
	return str(o, s, strlen(s));
}

size_t klogs_fluentd_encode(char *out, size_t cap, const struct klogs_config *c, const struct klogs_msg *m)
{
	/* the fixed parts take < 1 KiB (a tag, a name, an ID); the line fits
	 * in KLOGS_MSG_MAX with room to spare */
	size_t extra = 0;
	for (size_t i = 0; i < 2 * m->nextra; i++)
		extra += strlen(m->extra[i]) + 5;
	if (cap < m->len + 1024 + strlen(m->tag) + strlen(m->name) + extra)
		return 0;
	char *o = out;
	*o++ = (char)(m->chunk ? 0x94 : 0x93);
	o += cstr(o, m->tag);
	if (c->subsecond) {
		*o++ = (char)0xd7;
		*o++ = 0;
		o += be(o, (uint64_t)m->ts.tv_sec, 4);
		o += be(o, (uint64_t)m->ts.tv_nsec, 4);
	} else {
		*o++ = (char)0xce;
		o += be(o, (uint64_t)m->ts.tv_sec, 4);
	}
	size_t fields = (m->partial ? 5 : 4) + m->nextra;
	if (fields < 16) {
		*o++ = (char)(0x80 | fields);
	} else {
		*o++ = (char)0xde;
		o += be(o, fields, 2);
	}
	o += cstr(o, "container_id");
	o += cstr(o, m->id);
	o += cstr(o, "container_name");
	char name[300];
	int nl = snprintf(name, sizeof(name), "/%s", m->name);
	o += str(o, name, nl < (int)sizeof(name) ? (size_t)nl : sizeof(name) - 1);
	o += cstr(o, "source");
	o += cstr(o, klogs_stream_to_name(m->stream));
	o += cstr(o, "log");
	o += str(o, m->line, m->len);
	if (m->partial) {
		o += cstr(o, "partial_message");
		o += cstr(o, "true");
	}
	for (size_t i = 0; i < 2 * m->nextra; i++)
		o += cstr(o, m->extra[i]);
	if (m->chunk) { /* the option the receiver answers with {"ack": chunk}: last, so the id ends the event */
		*o++ = (char)0x81;
		o += cstr(o, "chunk");
		o += str(o, m->chunk, KLOGS_CHUNK_LEN);
	}
	return (size_t)(o - out);
}
