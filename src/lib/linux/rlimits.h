/* RLIMIT_* names and their application. */
#ifndef KAPSEL_RLIMITS_H
#define KAPSEL_RLIMITS_H

#include "common/err.h"

struct oci_rlimit;

int krlimit_from_name(const char *name);   /* "RLIMIT_NOFILE" -> 7, -1 unknown */
const char *krlimit_name(int resource);
const char *const *krlimit_names(void);     /* NULL-terminated */
int krlimits_apply(const struct oci_rlimit *r, size_t n, kerr *e);

#endif
