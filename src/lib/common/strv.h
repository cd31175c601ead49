/* NULL-terminated string vectors (argv, env). */
#ifndef KAPSEL_STRV_H
#define KAPSEL_STRV_H

#include <stddef.h>

size_t kstrv_len(char *const *v);
/* Append a copy of S; *V may be NULL.  -1 on ENOMEM (nothing changed). */
int kstrv_add(char ***v, const char *s);
/* A deep copy ({NULL} for NULL); NULL on ENOMEM. */
char **kstrv_copy(char *const *v);

#endif
