/* kapsel's default config.json: the hardening checklist as a runtime-spec
 * document (non-root user, no capabilities beyond a small set, read-only
 * root with small tmpfs for /tmp and /run, no_new_privs, rlimits, masked
 * and read-only kernel paths, the default seccomp profile, limits). */
#ifndef KAPSEL_OCI_DEFAULTS_H
#define KAPSEL_OCI_DEFAULTS_H

#include <json-c/json.h>
#include <sys/types.h>

struct oci_default_opts {
	int rootless;         /* user namespace mapping HOST_UID/GID to 0 */
	uid_t host_uid;
	gid_t host_gid;
	const char **args;    /* NULL: ["sh"] */
};

json_object *oci_default_spec(const struct oci_default_opts *o);

#endif
