/* Small string helpers every part uses. */
#ifndef KAPSEL_STR_H
#define KAPSEL_STR_H
#include <stddef.h>

/* strdup that passes NULL through (NULL also on ENOMEM). */
char *kstr_dup(const char *s);
/* asprintf that returns the string, NULL on ENOMEM. */
char *kstr_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Replace each byte of S that is not part of valid UTF-8 with '?'. */
void kstr_utf8_sanitize(char *s);
/* Base64 (RFC 4648, padded) of N bytes of BUF; NULL on ENOMEM. */
char *kstr_base64(const void *buf, size_t n);
/* S (may be NULL: false) starts / ends with the given text. */
int kstr_starts(const char *s, const char *prefix);
int kstr_ends(const char *s, const char *suffix);
/* HAY (may be NULL: false) contains NEEDLE, ignoring case. */
int kstr_icontains(const char *hay, const char *needle);

#endif
