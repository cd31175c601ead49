/* NULL-terminated string vectors (argv, env). */
#ifndef KAPSEL_STRV_H
#define KAPSEL_STRV_H

#include <stddef.h>

size_t kstrv_len(char *const *v);
/* Append a copy of S (NULL: ""); *V may be NULL.  -1 on ENOMEM (nothing changed). */
int kstrv_add(char ***v, const char *s);
/* A deep copy ({NULL} for NULL); NULL on ENOMEM. */
char **kstrv_copy(char *const *v);
/* Free V and its strings; NULL is fine. */
void kstrv_free(char **v);
/* 1 if V (may be NULL) holds S. */
int kstrv_contains(char *const *v, const char *s);
/* S cut at any of SEPS, empty pieces dropped; {NULL} for NULL.  NULL on ENOMEM. */
char **kstrv_split(const char *s, const char *seps);

#endif
