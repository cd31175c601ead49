/* Internal to src/lib/cgroup: small readers of cgroup files (read.c). */
#ifndef KAPSEL_CGROUP_READ_H
#define KAPSEL_CGROUP_READ_H

#include <json-c/json.h>
#include <stdint.h>

/* Small readers for the stats drivers.  0 on success, -1 if the file is
 * missing or does not hold what was expected. */
int kcg_read_u64(const char *dir, const char *file, uint64_t *out);  /* "max" -> UINT64_MAX */
/* "key value" lines: the value of KEY. */
int kcg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out);
/* "key value" lines into a JSON object of integers. */
int kcg_read_flat(const char *dir, const char *file, json_object *into);
int kcg_exists(const char *dir, const char *file);
/* obj[key] = v (as an int64 json-c keeps as unsigned when large). */
void kcg_json_u64(json_object *obj, const char *key, uint64_t v);
/* obj[key], created as an object if absent. */
json_object *kcg_json_child(json_object *obj, const char *key);

#endif
