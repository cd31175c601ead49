/* Typed reads from a json-c tree with errors that name the file and the
 * field: "config.json: process.user.uid: expected an unsigned integer". */
#ifndef KAPSEL_JSON_H
#define KAPSEL_JSON_H

#include "cleanup.h"
#include "err.h"

#include <json-c/json.h>
#include <stdint.h>

/* _cleanup_json_ json_object *o: one json_object_put when O goes. */
KAPSEL_DEFINE_CLEANUP(json_object *, json_object_put)
#define _cleanup_json_ _cleanup_(json_object_putp)

struct jctx {
	const char *file;   /* "config.json" */
	kerr *e;
};

/* Parse a whole buffer; errors name the file and the byte offset. */
json_object *kj_parse(const char *file, const char *buf, size_t len, kerr *e);

/* field "a.b" child "c" -> "a.b.c"; index -> "a.b[3]". */
void kj_path(char *out, size_t n, const char *parent, const char *key);
void kj_path_idx(char *out, size_t n, const char *parent, size_t idx);

int kj_fail(struct jctx *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Each returns 1 if present and filled, 0 if absent (or null), -1 on a type
 * error (c->e filled).  Strings are strdup'ed. */
int kj_string(struct jctx *c, json_object *o, const char *path, char **out);
int kj_bool(struct jctx *c, json_object *o, const char *path, int *out);
int kj_int64(struct jctx *c, json_object *o, const char *path, int64_t *out);
int kj_uint64(struct jctx *c, json_object *o, const char *path, uint64_t *out);
int kj_uint32(struct jctx *c, json_object *o, const char *path, uint32_t *out);
int kj_int32(struct jctx *c, json_object *o, const char *path, int32_t *out);
/* Array of strings -> NULL-terminated vector (n may be NULL). */
int kj_strv(struct jctx *c, json_object *o, const char *path, char ***out, size_t *n);
/* Type checks for containers; absent/null is 0. */
int kj_object(struct jctx *c, json_object *o, const char *path);
int kj_array(struct jctx *c, json_object *o, const char *path);

static inline json_object *kj_get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v))
		return v;
	return NULL;
}

/* A new JSON array of the strings of V (NULL-terminated; NULL gives []). */
json_object *kj_new_strv(const char *const *v);

/* Lenient readers for documents kapsel did not write (a daemon's inspect
 * output): a missing key or a value of another type gives the default. */
const char *kj_get_str(json_object *o, const char *key);       /* NULL */
/* The string of V, "" for anything else: never serialises (json-c writes a
 * shared buffer when it does, which is not safe across threads). */
const char *kj_str(json_object *v);
int64_t kj_get_i64(json_object *o, const char *key, int64_t def);
int kj_get_bool(json_object *o, const char *key);              /* 0 unless true */

#endif
