/* kapsel's default seccomp profile, as a runtime-spec linux.seccomp
 * object: data for `spec`, the policy's fix and the tests.  Compiling and
 * installing a profile is linux/kseccomp.h. */
#ifndef KAPSEL_OCI_SECCOMP_DEFAULT_H
#define KAPSEL_OCI_SECCOMP_DEFAULT_H

#include <json-c/json.h>

/* A new reference; the caller puts it. */
json_object *kseccomp_default_profile(void);

#endif
