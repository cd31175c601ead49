#include "template.h"

#include "common/cleanup.h"
#include "common/str.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	char *s;
	size_t n, cap;
};

static int put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *ns = realloc(b->s, cap);
		if (!ns)
			return -1;
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = 0;
	return 0;
}

/* Follow ".A.B" from V; *missing when a key is absent. */
static json_object *field(json_object *v, const char *path, size_t n, int *missing)
{
	*missing = 0;
	if (n == 1 && path[0] == '.')
		return v;
	size_t i = 1;
	while (i <= n) {
		size_t j = i;
		while (j < n && path[j] != '.')
			j++;
		char key[256];
		if (j - i >= sizeof(key))
			return *missing = 1, NULL;
		memcpy(key, path + i, j - i);
		key[j - i] = 0;
		json_object *c = NULL;
		if (!v || !json_object_is_type(v, json_type_object) || !json_object_object_get_ex(v, key, &c)) {
			*missing = 1;
			return NULL;
		}
		v = c;
		i = j + 1;
	}
	return v;
}

static int emit(struct buf *b, json_object *v, int missing, int as_json)
{
	char num[64];
	if (as_json) {
		const char *s =
			v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
			  : "null";
		return put(b, s, strlen(s));
	}
	if (missing)
		return put(b, "<no value>", 10);
	switch (v ? json_object_get_type(v) : json_type_null) {
	case json_type_null: return put(b, "<nil>", 5);
	case json_type_string: return put(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
	case json_type_boolean:
		return put(b, json_object_get_boolean(v) ? "true" : "false", json_object_get_boolean(v) ? 4 : 5);
	case json_type_int:
		snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(v));
		return put(b, num, strlen(num));
	case json_type_double:
		snprintf(num, sizeof(num), "%g", json_object_get_double(v));
		return put(b, num, strlen(num));
	default: {
		const char *s =
			json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		return put(b, s, strlen(s));
	}
	}
}

static const char *skip(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

static int is_path(const char *p, size_t n)
{
	if (n == 0 || p[0] != '.')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '.')
			return 0;
	return n == 1 || p[n - 1] != '.';
}

/* One action between {{ and }}; V NULL only checks. */
static int action(struct buf *b, const char *a, size_t n, json_object *v, kerr *e)
{
	const char *end = a + n, *p = skip(a, end);
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	size_t len = (size_t)(end - p);
	int as_json = 0;
	if (len > 5 && !strncmp(p, "json", 4) && isspace((unsigned char)p[4])) {
		as_json = 1;
		p = skip(p + 4, end);
		len = (size_t)(end - p);
	} else if (len > 6 && !strncmp(p, "index", 5) && isspace((unsigned char)p[5])) {
		const char *q = skip(p + 5, end), *sp = q;
		while (sp < end && !isspace((unsigned char)*sp))
			sp++;
		const char *k = skip(sp, end);
		if (!is_path(q, (size_t)(sp - q)) || end - k < 2 || *k != '"' || end[-1] != '"')
			return kerr_msg(e, EINVAL, "template action {{%.*s}}: expected index .Field \"key\"", (int)n,
					a);
		if (!v)
			return 0;
		int missing;
		json_object *o = field(v, q, (size_t)(sp - q), &missing), *c = NULL;
		_cleanup_free_ char *key = strndup(k + 1, (size_t)(end - k - 2));
		if (!key)
			return kerr_errno(e, "template");
		missing = missing || !json_object_object_get_ex(o, key, &c);
		return emit(b, c, missing, 0) < 0 ? kerr_errno(e, "template") : 0;
	}
	if (!is_path(p, len))
		return kerr_msg(e, EINVAL,
				"template action {{%.*s}}: kapsel knows {{.Field}}, {{json .Field}} and "
				"{{index .Field \"key\"}}",
				(int)n, a);
	if (!v)
		return 0;
	int missing;
	json_object *f = field(v, p, len, &missing);
	return emit(b, f, missing, as_json) < 0 ? kerr_errno(e, "template") : 0;
}

static int run(const char *t, json_object *v, struct buf *b, kerr *e)
{
	for (const char *p = t; *p;) {
		const char *o = strstr(p, "{{");
		if (!o)
			return put(b, p, strlen(p)) < 0 ? kerr_errno(e, "template") : 0;
		if (put(b, p, (size_t)(o - p)) < 0)
			return kerr_errno(e, "template");
		const char *c = strstr(o + 2, "}}");
		if (!c)
			return kerr_msg(e, EINVAL, "template: \"{{\" without \"}}\"");
		if (action(b, o + 2, (size_t)(c - o - 2), v, e) < 0)
			return -1;
		p = c + 2;
	}
	return 0;
}

int keng_template_check(const char *tmpl, kerr *e)
{
	struct buf b = { 0 };
	int rc = run(tmpl, NULL, &b, e);
	free(b.s);
	return rc;
}

char *keng_template_apply(const char *tmpl, json_object *v, kerr *e)
{
	struct buf b = { 0 };
	if (put(&b, "", 0) < 0) {
		kerr_errno(e, "template");
		return NULL;
	}
	if (run(tmpl, v, &b, e) < 0) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
