/* --device HOST[:CONTAINER][:PERMS]: a host device node in the container,
 * as Docker's flag makes it: the node at CONTAINER (default: the same
 * path) with the host node's type, numbers and mode, and a device cgroup
 * rule allowing PERMS (r, w, m; default rwm) on it.  The runtime's policy
 * still decides (rule B9 refuses a device beyond the default set unless a
 * policy allows it). */
#include "spec.h"

#include "common/json.h"
#include "common/str.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static bool perms_ok(const char *p)
{
	if (!*p || strlen(p) > 3)
		return false;
	for (const char *c = p; *c; c++)
		if (!strchr("rwm", *c) || strchr(c + 1, *c))
			return false;
	return true;
}

static int one(const char *spec, bool userns, json_object *devs, json_object *rules, json_object *hd, kerr *e)
{
	_cleanup_free_ char *s = strdup(spec);
	if (!s)
		return kerr_errno(e, "--device");
	char *host = s, *ctr = NULL, *perms = NULL;
	char *c1 = strchr(s, ':');
	if (c1) {
		*c1++ = 0;
		char *c2 = strchr(c1, ':');
		if (c2) {
			*c2++ = 0;
			ctr = c1;
			perms = c2;
		} else if (perms_ok(c1))
			perms = c1; /* HOST:PERMS, as Docker reads it */
		else
			ctr = c1;
	}
	if (!ctr || !*ctr)
		ctr = host;
	if (!perms)
		perms = "rwm";
	if (*host == '/' && *ctr != '/' && strspn(ctr, "abcdefghijklmnopqrstuvwxyz") == strlen(ctr))
		return kerr_msg(e, EINVAL, "--device %s: permissions are some of r, w and m, not \"%s\"", spec, ctr);
	if (*host != '/' || *ctr != '/')
		return kerr_msg(e, EINVAL, "--device %s: the paths must be absolute", spec);
	if (!perms_ok(perms))
		return kerr_msg(e, EINVAL, "--device %s: permissions are some of r, w and m, not \"%s\"", spec, perms);
	if (kstr_starts(ctr, "/proc/") || kstr_starts(ctr, "/sys/") || strstr(ctr, "/../") || kstr_ends(ctr, "/.."))
		return kerr_msg(e, EINVAL, "--device %s: %s is not a place for a device", spec, ctr);
	if (userns && strcmp(host, ctr))
		return kerr_msg(e, EINVAL,
				"--device %s: in a user namespace (--user 0) the host's node is bound in at its own "
				"path: give --device %s",
				spec, host);
	struct stat st;
	if (stat(host, &st) < 0)
		return kerr_errno(e, "--device %s: %s", spec, host);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return kerr_msg(e, EINVAL, "--device %s: %s is not a device node", spec, host);
	const char *type = S_ISCHR(st.st_mode) ? "c" : "b";
	json_object *d = json_object_new_object();
	json_object_object_add(d, "path", json_object_new_string(ctr));
	json_object_object_add(d, "type", json_object_new_string(type));
	json_object_object_add(d, "major", json_object_new_int64(major(st.st_rdev)));
	json_object_object_add(d, "minor", json_object_new_int64(minor(st.st_rdev)));
	json_object_object_add(d, "fileMode", json_object_new_int(st.st_mode & 0777));
	json_object_object_add(d, "uid", json_object_new_int(0));
	json_object_object_add(d, "gid", json_object_new_int(0));
	json_object_array_add(devs, d);
	json_object *r = json_object_new_object();
	json_object_object_add(r, "allow", json_object_new_boolean(1));
	json_object_object_add(r, "type", json_object_new_string(type));
	json_object_object_add(r, "major", json_object_new_int64(major(st.st_rdev)));
	json_object_object_add(r, "minor", json_object_new_int64(minor(st.st_rdev)));
	json_object_object_add(r, "access", json_object_new_string(perms));
	json_object_array_add(rules, r);
	json_object *h = json_object_new_object();
	json_object_object_add(h, "PathOnHost", json_object_new_string(host));
	json_object_object_add(h, "PathInContainer", json_object_new_string(ctr));
	json_object_object_add(h, "CgroupPermissions", json_object_new_string(perms));
	json_object_array_add(hd, h);
	return 0;
}

int keng_devices(char **specs, bool userns, json_object *lx, json_object *host, kerr *e)
{
	json_object *hd = json_object_new_array();
	json_object_object_add(host, "Devices", hd);
	if (!specs || !*specs)
		return 0;
	json_object *devs = kj_get(lx, "devices"), *res = kj_get(lx, "resources");
	if (!devs) {
		devs = json_object_new_array();
		json_object_object_add(lx, "devices", devs);
	}
	json_object *rules = kj_get(res, "devices");
	if (!res || !rules)
		return kerr_msg(e, EINVAL, "--device: the default config.json has no device cgroup rules");
	for (char **p = specs; *p; p++)
		if (one(*p, userns, devs, rules, hd, e) < 0)
			return -1;
	return 0;
}
