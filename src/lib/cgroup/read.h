/* Internal to src/lib/cgroup: small readers of cgroup files (read.c). */
#ifndef KAPSEL_CGROUP_READ_H
#define KAPSEL_CGROUP_READ_H

#include <stdint.h>

/* Small readers for the stats drivers.  0 on success, -1 if the file is
 * missing or does not hold what was expected. */
int kcg_read_u64(const char *dir, const char *file, uint64_t *out); /* "max" -> UINT64_MAX */
/* "key value" lines: the value of KEY. */
int kcg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out);
/* "key value" lines, read once: VALS[i] = the value of KEYS[i] for each
 * of the N keys found.  Returns the bit mask of those found (1 << i), or
 * -1 when the file is missing. */
int kcg_read_keys(const char *dir, const char *file, const char *const *keys, uint64_t *vals, unsigned n);
int kcg_exists(const char *dir, const char *file);
/* DIR/FILE's text into a malloc'ed *OUT: 0, or -1 when missing. */
int kcg_read_text(const char *dir, const char *file, char **out);
/* Between kcg_read_scope(1) and kcg_read_scope(0) (this thread) the last
 * directory read stays open and its files are opened relative to it. */
void kcg_read_scope(int on);

#endif
