/* features: what this runtime implements, as the runtime-spec features
 * document.  Every list is built from the tables the code itself uses. */
#include "runtime.h"

#include "common/json.h"
#include "linux/lsm.h"
#include "oci/spec.h"
#include "vocab/caps.h"
#include "vocab/mountopt.h"
#include "vocab/ns.h"

#include <json-c/json.h>
#include <sched.h>
#include <stdio.h>

static int features_run(const struct cli_call *call)
{
	(void)call;
	json_object *f = json_object_new_object();
	json_object_object_add(f, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(f, "ociVersionMax", json_object_new_string("1.2.0"));
	json_object *hooks = json_object_new_array();
	for (int k = 0; k < OCI_HOOK_KINDS; k++)
		json_object_array_add(hooks, json_object_new_string(oci_hook_names[k]));
	json_object_object_add(f, "hooks", hooks);
	json_object_object_add(f, "mountOptions", kj_new_strv(kmountopt_names()));

	json_object *lx = json_object_new_object();
	json_object_object_add(lx, "namespaces", kj_new_strv(kns_type_names()));
	json_object *caps = json_object_new_array();
	for (int c = 0; c <= kcap_last_cap() && kcap_name(c); c++)
		json_object_array_add(caps, json_object_new_string(kcap_name(c)));
	json_object_object_add(lx, "capabilities", caps);

	json_object *cg = json_object_new_object();
	json_object_object_add(cg, "v1", json_object_new_boolean(1));
	json_object_object_add(cg, "v2", json_object_new_boolean(1));
	json_object_object_add(cg, "systemd", json_object_new_boolean(0));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(0));
	json_object_object_add(cg, "rdma", json_object_new_boolean(0));
	json_object_object_add(lx, "cgroup", cg);

	json_object *sc = json_object_new_object();
	static const char *const actions[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
					       "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
					       "SCMP_ACT_TRAP", NULL };
	static const char *const ops[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
					   "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL };
	static const char *const archs[] = { "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
					     "SCMP_ARCH_ARM", NULL };
	static const char *const flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
					     "SECCOMP_FILTER_FLAG_TSYNC", NULL };
	json_object_object_add(sc, "enabled", json_object_new_boolean(1));
	json_object_object_add(sc, "actions", kj_new_strv(actions));
	json_object_object_add(sc, "operators", kj_new_strv(ops));
	json_object_object_add(sc, "archs", kj_new_strv(archs));
	json_object_object_add(sc, "knownFlags", kj_new_strv(flags));
	json_object_object_add(sc, "supportedFlags", kj_new_strv(flags));
	json_object_object_add(lx, "seccomp", sc);

	/* applied where the host has them, refused where it does not */
	json_object *on = json_object_new_object();
	json_object_object_add(on, "enabled", json_object_new_boolean(1));
	json_object_object_add(lx, "apparmor", json_object_get(on));
	json_object_object_add(lx, "selinux", on);
	json_object *off = json_object_new_object();
	json_object_object_add(off, "enabled", json_object_new_boolean(0));
	json_object_object_add(lx, "intelRdt", json_object_get(off));
	/* idmapped binds: uidMappings/gidMappings and "idmap"/"ridmap" */
	json_object *me = json_object_new_object();
	json_object *idm = json_object_new_object();
	json_object_object_add(idm, "enabled", json_object_new_boolean(1));
	json_object_object_add(me, "idmap", idm);
	json_object_object_add(lx, "mountExtensions", me);
	json_object_put(off);
	json_object_object_add(f, "linux", lx);

	json_object *ann = json_object_new_object();
	json_object_object_add(ann, "io.kapsel.runtime.version", json_object_new_string("0.1.0"));
	/* linux.apparmor.enabled says the support is built in (the spec's
	 * meaning); whether this host has AppArmor, and so whether a config
	 * without a profile gets one, is said here */
	struct klsm_host lsm;
	klsm_detect("", &lsm);
	json_object_object_add(ann, "io.kapsel.apparmor.host",
			       json_object_new_string(lsm.apparmor ? "enabled" : "disabled"));
	json_object_object_add(ann, "io.kapsel.apparmor.defaultProfile",
			       json_object_new_string(lsm.apparmor ? klsm_default_apparmor(&lsm) : ""));
	json_object_object_add(ann, "io.kapsel.selinux.host", json_object_new_string(lsm.selinux ? "enabled" : "disabled"));
	json_object_object_add(f, "annotations", ann);

	printf("%s\n", json_object_to_json_string_ext(f, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(f);
	return 0;
}

const struct cli_command cmd_features = {
	.name = "features",
	.run = features_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "print the runtime-spec features document",
	.description = "Built from the tables the code itself uses.\n",
};
