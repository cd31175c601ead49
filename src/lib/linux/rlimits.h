/* Applying a process's rlimits.  The RLIMIT_* names are vocab/rlimits.h. */
#ifndef KAPSEL_RLIMITS_H
#define KAPSEL_RLIMITS_H

#include "common/err.h"

struct oci_rlimit;

int krlimits_apply(const struct oci_rlimit *r, size_t n, kerr *e);

#endif
