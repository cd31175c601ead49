/* --sysctl KEY=VALUE: a kernel setting of the container's own namespaces,
 * Docker's list of the namespaced ones: the IPC namespace's (kernel.msg*,
 * kernel.sem, kernel.shm*, fs.mqueue.*) and the network namespace's
 * (net.*, not with --network host, where they would be the host's).  Any
 * other key would write the host's value: refused here by name (and the
 * runtime refuses it again, whatever wrote the bundle). */
#include "spec.h"

#include "common/json.h"
#include "common/str.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool ipc_key(const char *k)
{
	static const char *const exact[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
					     "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
					     "kernel.shm_rmid_forced", NULL };
	for (const char *const *p = exact; *p; p++)
		if (!strcmp(k, *p))
			return true;
	return kstr_starts(k, "fs.mqueue.");
}

int keng_sysctls(char **kvs, const char *network, json_object *lx, json_object *host, kerr *e)
{
	json_object *hs = json_object_new_object();
	json_object_object_add(host, "Sysctls", hs);
	json_object *sc = kj_get(lx, "sysctl");
	for (char **p = kvs; p && *p; p++) {
		const char *eq = strchr(*p, '=');
		_cleanup_free_ char *key = eq ? strndup(*p, (size_t)(eq - *p)) : NULL;
		if (!eq || !key || !*key || !eq[1])
			return kerr_msg(e, EINVAL, "--sysctl %s: expected KEY=VALUE", *p);
		for (char *c = key; *c; c++)
			if (*c == '/')
				*c = '.'; /* net/ipv4/... as sysctl(8) accepts it */
		if (strstr(key, "..") || *key == '.' || key[strlen(key) - 1] == '.')
			return kerr_msg(e, EINVAL, "--sysctl %s: not a sysctl name", *p);
		if (kstr_starts(key, "net.")) {
			if (!strcmp(network, "host"))
				return kerr_msg(e, EPERM,
						"--sysctl %s: with --network host it is the host's network namespace's "
						"setting",
						key);
			if (kstr_starts(network, "container:"))
				return kerr_msg(e, EPERM,
						"--sysctl %s: with --network %s it is the other container's network "
						"namespace's setting",
						key, network);
		} else if (!ipc_key(key))
			return kerr_msg(e, EPERM,
					"--sysctl %s: not a setting of the container's own namespaces (net.*, "
					"kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*): it would change the host",
					key);
		if (!sc) {
			sc = json_object_new_object();
			json_object_object_add(lx, "sysctl", sc);
		}
		json_object_object_add(sc, key, json_object_new_string(eq + 1));
		json_object_object_add(hs, key, json_object_new_string(eq + 1));
	}
	return 0;
}
