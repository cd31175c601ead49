/* json-file: Docker's log file format, byte for byte.  Docker encodes the
 * text with its own copy of Go's string escaping (daemon/logger/jsonfilelog
 * /jsonlog), which this reproduces; the line is then
 *   {"log":"<text>[\n]","stream":"stdout|stderr","time":"<RFC3339Nano>"}\n
 * where the escaped "\n" ends the text of a full line only.  Hand-written
 * rather than json-c: this runs once per log line. */
#include "logs/internal.h"

#include <string.h>

/* Length of the valid UTF-8 sequence at S (as Go's utf8.DecodeRune accepts
 * them: no overlongs, no surrogates, nothing above U+10FFFF), 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char b = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (b >= 0xc2 && b <= 0xdf)
		len = 2;
	else if (b >= 0xe0 && b <= 0xef) {
		len = 3;
		if (b == 0xe0)
			lo = 0xa0;
		else if (b == 0xed)
			hi = 0x9f;
	} else if (b >= 0xf0 && b <= 0xf4) {
		len = 4;
		if (b == 0xf0)
			lo = 0x90;
		else if (b == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* The bytes written as they are: printable ASCII and DEL but " \ < > &. */
#define PLAIN(c) ((c) >= 0x20 && (c) < 0x80 && (c) != '"' && (c) != '\\' && (c) != '<' && (c) != '>' && (c) != '&')
#define PLAIN4(c) PLAIN(c), PLAIN((c) + 1), PLAIN((c) + 2), PLAIN((c) + 3)
#define PLAIN16(c) PLAIN4(c), PLAIN4((c) + 4), PLAIN4((c) + 8), PLAIN4((c) + 12)
#define PLAIN64(c) PLAIN16(c), PLAIN16((c) + 16), PLAIN16((c) + 32), PLAIN16((c) + 48)
static const unsigned char plain[256] = { PLAIN64(0), PLAIN64(64), PLAIN64(128), PLAIN64(192) };

/* Escape from S[0..N) into OUT while at least 6 bytes of CAP are left
 * (the most one input byte becomes); *USED gets the bytes consumed.  A
 * UTF-8 sequence is never cut: it is consumed whole or not at all.  This
 * runs over every byte of every line: a run of plain bytes is found by
 * table and copied at once. */
size_t klogs_json_escape(char *out, size_t cap, const unsigned char *s, size_t n, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	char *o = out, *end = out + cap;
	size_t i = 0;
	while (i < n && end - o >= 6) {
		/* the plain run, as far as the room allows (one byte each) */
		size_t lim = n - i, room = (size_t)(end - o) - 5;
		if (room < lim)
			lim = room;
		size_t k = 0;
		while (k < lim && plain[s[i + k]])
			k++;
		memcpy(o, s + i, k);
		o += k;
		i += k;
		if (i >= n || end - o < 6)
			break;
		unsigned char b = s[i];
		if (b < 0x80) {
			if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') {
				*o++ = (char)b;
				i++;
				continue;
			}
			*o++ = '\\';
			if (b == '\\' || b == '"')
				*o++ = (char)b;
			else if (b == '\n')
				*o++ = 'n';
			else if (b == '\r')
				*o++ = 'r';
			else {
				memcpy(o, "u00", 3);
				o += 3;
				*o++ = hex[b >> 4];
				*o++ = hex[b & 0xf];
			}
			i++;
			continue;
		}
		size_t len = utf8_seq(s + i, n - i);
		if (!len) {
			memcpy(o, "\\ufffd", 6);
			o += 6;
			i++;
			continue;
		}
		if (len == 3 && b == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			memcpy(o, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
			o += 6;
		} else {
			memcpy(o, s + i, len);
			o += len;
		}
		i += len;
	}
	*used = i;
	return (size_t)(o - out);
}

size_t klogs_json_quote(char *out, const unsigned char *s, size_t n)
{
	size_t used;
	out[0] = '"';
	size_t len = 1 + klogs_json_escape(out + 1, 6 * n + 6, s, n, &used);
	out[len++] = '"';
	return len;
}

void klogs_json_file_write(struct klogs *l, enum klogs_stream s, const char *p, size_t n, int partial)
{
	klogs_begin(l);
	memcpy(klogs_room(l, 8), "{\"log\":\"", 8);
	klogs_wrote(l, 8);
	const unsigned char *in = (const unsigned char *)p;
	size_t left = n;
	while (left) {
		char *o = klogs_room(l, 64);
		size_t used, w = klogs_json_escape(o, klogs_room_left(l), in, left, &used);
		klogs_wrote(l, w);
		in += used;
		left -= used;
	}
	/* the text of a full line ends in its "\n"; a partial piece's does not */
	static const char out_tail[] = "\\n\",\"stream\":\"stdout\",\"time\":\"";
	static const char err_tail[] = "\\n\",\"stream\":\"stderr\",\"time\":\"";
	const char *tail = (s == KLOGS_STDOUT ? out_tail : err_tail) + (partial ? 2 : 0);
	size_t tl = sizeof(out_tail) - 1 - (partial ? 2 : 0);
	char *o = klogs_room(l, tl + KTIME_BUFSZ + 3), *start = o;
	memcpy(o, tail, tl);
	o += tl;
	memcpy(o, l->now_text, (size_t)l->now_len);
	o += l->now_len;
	memcpy(o, "\"}\n", 3);
	o += 3;
	klogs_wrote(l, (size_t)(o - start));
	klogs_end(l, n);
}
