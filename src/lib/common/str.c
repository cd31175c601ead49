#include "str.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *kstr_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *kstr_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

void kstr_utf8_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;
	while (p && *p) {
		int n = 0;
		if (*p < 0x80)
			n = 1;
		else if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
			n = 2;
		else if ((*p & 0xf0) == 0xe0)
			n = 3;
		else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
			n = 4;
		int ok = n > 0;
		for (int i = 1; ok && i < n; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (!ok) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

int kstr_starts(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

int kstr_ends(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);
	return s && a >= b && !strcmp(s + a - b, suffix);
}

int kstr_icontains(const char *hay, const char *needle)
{
	return hay && strcasestr(hay, needle) != NULL;
}

char *kstr_base64(const void *buf, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = buf;
	char *out = malloc(4 * ((n + 2) / 3) + 1), *w = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		*w++ = abc[v >> 18 & 63];
		*w++ = abc[v >> 12 & 63];
		*w++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
		*w++ = i + 2 < n ? abc[v & 63] : '=';
	}
	*w = '\0';
	return out;
}
