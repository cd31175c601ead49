/* OCI hooks: each runs with the container state on stdin, its own args and
 * env, and is killed when its timeout passes. */
#ifndef KAPSEL_HOOKS_H
#define KAPSEL_HOOKS_H

#include "common/err.h"
#include "oci/spec.h"

int khooks_run(const struct oci_spec *s, enum oci_hook_kind kind, const char *state_json, kerr *e);

#endif
