/* Internal to src/lib/cgroup: small readers of cgroup files (read.c). */
#ifndef KAPSEL_CGROUP_READ_H
#define KAPSEL_CGROUP_READ_H

#include <stdint.h>

/* Small readers for the stats drivers.  0 on success, -1 if the file is
 * missing or does not hold what was expected. */
int kcg_read_u64(const char *dir, const char *file, uint64_t *out);  /* "max" -> UINT64_MAX */
/* "key value" lines: the value of KEY. */
int kcg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out);
int kcg_exists(const char *dir, const char *file);

#endif
