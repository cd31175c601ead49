/* json-file: Docker's log file format, byte for byte.  Docker encodes the
 * text with its own copy of Go's string escaping (daemon/logger/jsonfilelog
 * /jsonlog), which this reproduces; the line is then
 *   {"log":"<text>[\n]","stream":"stdout|stderr","time":"<RFC3339Nano>"}\n
 * where the escaped "\n" ends the text of a full line only.  Hand-written
 * rather than json-c: this runs once per log line. */
#include "logs/internal.h"

#include "common/time.h"

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

size_t klogs_json_quote(char *out, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	*o++ = '"';
	size_t i = 0;
	while (i < n) {
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
	*o++ = '"';
	return (size_t)(o - out);
}

void klogs_json_file_write(struct klogs *l, enum klogs_stream s, const struct timespec *ts, const char *p, size_t n,
			   int partial)
{
	char *o = l->scratch;
	memcpy(o, "{\"log\":", 7);
	o += 7;
	o += klogs_json_quote(o, (const unsigned char *)p, n);
	if (!partial) {
		/* the closing quote moves behind the line's "\n" */
		memcpy(o - 1, "\\n\"", 3);
		o += 2;
	}
	const char *stream = klogs_stream_to_name(s);
	o += sprintf(o, ",\"stream\":\"%s\",\"time\":\"", stream);
	int tl = ktime_format(o, KTIME_BUFSZ, ts, KTIME_NANO_TRIM);
	if (tl > 0)
		o += tl;
	memcpy(o, "\"}\n", 3);
	o += 3;
	klogs_emit(l, l->scratch, (size_t)(o - l->scratch), n);
}
