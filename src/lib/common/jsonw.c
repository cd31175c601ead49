#include "jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jsonw_init(struct jsonw *w)
{
	memset(w, 0, sizeof(*w));
}

void jsonw_free(struct jsonw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static void put(struct jsonw *w, const char *s, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		while (cap < w->len + n + 1)
			cap *= 2;
		char *nb = realloc(w->buf, cap);
		if (!nb) {
			w->oom = 1;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

void jsonw_raw(struct jsonw *w, const char *s)
{
	put(w, s, strlen(s));
}

static void sep(struct jsonw *w)
{
	if (w->need_comma)
		put(w, ",", 1);
	w->need_comma = 0;
}

void jsonw_obj_open(struct jsonw *w)
{
	sep(w);
	put(w, "{", 1);
}

void jsonw_obj_close(struct jsonw *w)
{
	put(w, "}", 1);
	w->need_comma = 1;
}

void jsonw_arr_open(struct jsonw *w)
{
	sep(w);
	put(w, "[", 1);
}

void jsonw_arr_close(struct jsonw *w)
{
	put(w, "]", 1);
	w->need_comma = 1;
}

static void put_escaped(struct jsonw *w, const char *s)
{
	put(w, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		switch (*p) {
		case '"': put(w, "\\\"", 2); break;
		case '\\': put(w, "\\\\", 2); break;
		case '\n': put(w, "\\n", 2); break;
		case '\r': put(w, "\\r", 2); break;
		case '\t': put(w, "\\t", 2); break;
		default:
			if (*p < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				put(w, esc, 6);
			} else {
				put(w, (const char *)p, 1);
			}
		}
	}
	put(w, "\"", 1);
}

void jsonw_key(struct jsonw *w, const char *key)
{
	sep(w);
	put_escaped(w, key);
	put(w, ":", 1);
}

void jsonw_str(struct jsonw *w, const char *s)
{
	sep(w);
	if (s)
		put_escaped(w, s);
	else
		put(w, "null", 4);
	w->need_comma = 1;
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	char b[32];
	sep(w);
	int n = snprintf(b, sizeof(b), "%" PRId64, v);
	put(w, b, n);
	w->need_comma = 1;
}

void jsonw_bool(struct jsonw *w, int v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
	w->need_comma = 1;
}

void jsonw_null(struct jsonw *w)
{
	sep(w);
	put(w, "null", 4);
	w->need_comma = 1;
}

void jsonw_key_str(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_str(w, s);
}

void jsonw_key_int(struct jsonw *w, const char *key, int64_t v)
{
	jsonw_key(w, key);
	jsonw_int(w, v);
}

void jsonw_key_bool(struct jsonw *w, const char *key, int v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}
