#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_object *kj_parse(const char *file, const char *buf, size_t len, kerr *e)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;

	if (!tok) {
		kerr_set(e, ENOMEM, "%s", file);
		return NULL;
	}
	o = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	if (!o || jerr != json_tokener_success) {
		/* report the line of the failure, counted in the input */
		size_t off = json_tokener_get_parse_end(tok), line = 1;
		for (size_t i = 0; i < off && i < len; i++)
			line += buf[i] == '\n';
		kerr_msg(e, EINVAL, "%s: line %zu: invalid JSON: %s", file, line,
			 jerr == json_tokener_continue ? "unexpected end of input" : json_tokener_error_desc(jerr));
		json_object_put(o);
		o = NULL;
	} else if (json_tokener_get_parse_end(tok) < len) {
		size_t off = json_tokener_get_parse_end(tok);
		for (; off < len; off++)
			if (buf[off] != ' ' && buf[off] != '\n' && buf[off] != '\t' && buf[off] != '\r')
				break;
		if (off < len) {
			kerr_msg(e, EINVAL, "%s: invalid JSON: trailing data after the document", file);
			json_object_put(o);
			o = NULL;
		}
	}
	json_tokener_free(tok);
	return o;
}

void kj_path(char *out, size_t n, const char *parent, const char *key)
{
	if (parent && *parent)
		snprintf(out, n, "%s.%s", parent, key);
	else
		snprintf(out, n, "%s", key);
}

void kj_path_idx(char *out, size_t n, const char *parent, size_t idx)
{
	snprintf(out, n, "%s[%zu]", parent, idx);
}

int kj_fail(struct jctx *c, const char *path, const char *fmt, ...)
{
	char reason[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return kerr_msg(c->e, EINVAL, "%s: %s: %s", c->file, path, reason);
}

static int absent(json_object *o)
{
	return o == NULL || json_object_is_type(o, json_type_null);
}

int kj_string(struct jctx *c, json_object *o, const char *path, char **out)
{
	if (absent(o))
		return 0;
	if (!json_object_is_type(o, json_type_string))
		return kj_fail(c, path, "expected a string");
	*out = strdup(json_object_get_string(o));
	if (!*out)
		return kerr_set(c->e, ENOMEM, "%s: %s", c->file, path);
	return 1;
}

int kj_bool(struct jctx *c, json_object *o, const char *path, int *out)
{
	if (absent(o))
		return 0;
	if (!json_object_is_type(o, json_type_boolean))
		return kj_fail(c, path, "expected true or false");
	*out = json_object_get_boolean(o);
	return 1;
}

int kj_int64(struct jctx *c, json_object *o, const char *path, int64_t *out)
{
	if (absent(o))
		return 0;
	if (json_object_is_type(o, json_type_double)) {
		double d = json_object_get_double(o);
		if (d != (double)(int64_t)d)
			return kj_fail(c, path, "expected an integer, got %g", d);
		*out = (int64_t)d;
		return 1;
	}
	if (!json_object_is_type(o, json_type_int))
		return kj_fail(c, path, "expected an integer");
	errno = 0;
	*out = json_object_get_int64(o);
	/* json-c clamps what does not fit: compare with the text we read */
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, *out);
	if (errno == ERANGE || strcmp(buf, json_object_to_json_string(o)))
		return kj_fail(c, path, "integer %s is out of range", json_object_to_json_string(o));
	return 1;
}

int kj_uint64(struct jctx *c, json_object *o, const char *path, uint64_t *out)
{
	if (absent(o))
		return 0;
	if (!json_object_is_type(o, json_type_int) && !json_object_is_type(o, json_type_double))
		return kj_fail(c, path, "expected an unsigned integer");
	if (json_object_is_type(o, json_type_int)) {
		/* json-c keeps values above INT64_MAX as unsigned */
		const char *txt = json_object_to_json_string(o);
		if (txt[0] == '-')
			return kj_fail(c, path, "expected an unsigned integer, got %s", txt);
		errno = 0;
		*out = json_object_get_uint64(o);
		char buf[32];
		snprintf(buf, sizeof(buf), "%" PRIu64, *out);
		if (errno == ERANGE || strcmp(buf, txt))
			return kj_fail(c, path, "integer %s is out of range", txt);
		return 1;
	}
	double d = json_object_get_double(o);
	if (d < 0 || d != (double)(uint64_t)d)
		return kj_fail(c, path, "expected an unsigned integer, got %g", d);
	*out = (uint64_t)d;
	return 1;
}

int kj_uint32(struct jctx *c, json_object *o, const char *path, uint32_t *out)
{
	uint64_t v;
	int r = kj_uint64(c, o, path, &v);
	if (r <= 0)
		return r;
	if (v > UINT32_MAX)
		return kj_fail(c, path, "value %" PRIu64 " is out of range (max %u)", v, UINT32_MAX);
	*out = (uint32_t)v;
	return 1;
}

int kj_int32(struct jctx *c, json_object *o, const char *path, int32_t *out)
{
	int64_t v;
	int r = kj_int64(c, o, path, &v);
	if (r <= 0)
		return r;
	if (v > INT32_MAX || v < INT32_MIN)
		return kj_fail(c, path, "value %" PRId64 " is out of range", v);
	*out = (int32_t)v;
	return 1;
}

int kj_object(struct jctx *c, json_object *o, const char *path)
{
	if (absent(o))
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return kj_fail(c, path, "expected an object");
	return 1;
}

int kj_array(struct jctx *c, json_object *o, const char *path)
{
	if (absent(o))
		return 0;
	if (!json_object_is_type(o, json_type_array))
		return kj_fail(c, path, "expected an array");
	return 1;
}

int kj_strv(struct jctx *c, json_object *o, const char *path, char ***out, size_t *n)
{
	int r = kj_array(c, o, path);
	if (r <= 0)
		return r;
	size_t len = json_object_array_length(o);
	char **v = calloc(len + 1, sizeof(char *));
	if (!v)
		return kerr_set(c->e, ENOMEM, "%s: %s", c->file, path);
	for (size_t i = 0; i < len; i++) {
		json_object *it = json_object_array_get_idx(o, i);
		if (!json_object_is_type(it, json_type_string)) {
			char p[512];
			kj_path_idx(p, sizeof(p), path, i);
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return kj_fail(c, p, "expected a string");
		}
		v[i] = strdup(json_object_get_string(it));
		if (!v[i]) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return kerr_set(c->e, ENOMEM, "%s: %s", c->file, path);
		}
	}
	*out = v;
	if (n)
		*n = len;
	return 1;
}

const char *kj_get_str(json_object *o, const char *key)
{
	json_object *v = kj_get(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

const char *kj_str(json_object *v)
{
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

int64_t kj_get_i64(json_object *o, const char *key, int64_t def)
{
	json_object *v = kj_get(o, key);
	if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return def;
	return json_object_get_int64(v);
}

int kj_get_bool(json_object *o, const char *key)
{
	json_object *v = kj_get(o, key);
	return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

json_object *kj_new_strv(const char *const *v)
{
	json_object *a = json_object_new_array();
	for (; a && v && *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}
