/* The runtime-spec model: config.json parsed and validated into plain C
 * structures.  Names are translated here (capabilities, rlimits, mount
 * options, namespace types), so that everything after parsing works with
 * numbers and every error can still name the field it came from. */
#ifndef KAPSEL_OCI_SPEC_H
#define KAPSEL_OCI_SPEC_H

#include "common/err.h"

#include <json-c/json.h>
#include <stdint.h>
#include <sys/types.h>

struct oci_idmap {
	uint32_t container_id, host_id, size;
};

struct oci_mount {
	char *destination, *type, *source;
	char **options;                 /* as written */
	unsigned long flags;            /* MS_* to set */
	unsigned long propagation;      /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE [|MS_REC] */
	uint64_t attr_set, attr_clr;    /* recursive MOUNT_ATTR_* (rro, rnosuid ...) */
	char *data;                     /* filesystem options: "size=64k,mode=755" */
	int is_bind;
	int tmpcopyup;
	/* an idmapped bind: 0 no, 1 the top mount ("idmap", or mappings
	 * alone), 2 every submount ("ridmap").  No mappings of its own: the
	 * container's user namespace mappings (linux.uidMappings). */
	int idmap;
	struct oci_idmap *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
};

struct oci_rlimit {
	int resource;
	uint64_t soft, hard;
};

struct oci_ns {
	int type;          /* CLONE_NEW* */
	char *path;        /* NULL: create a new one */
};

struct oci_device {
	char *path;
	char type;         /* 'c', 'b', 'u' (= 'c'), 'p' */
	int64_t major, minor;
	mode_t file_mode;
	int has_file_mode;
	uid_t uid;
	gid_t gid;
	int has_uid, has_gid;
};

struct oci_hook {
	char *path;
	char **args, **env;
	int timeout;       /* seconds, 0 = none */
};

enum oci_hook_kind {
	OCI_HOOK_PRESTART,
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_KINDS
};
extern const char *const oci_hook_names[OCI_HOOK_KINDS];

enum oci_capset { CAPS_BOUNDING, CAPS_EFFECTIVE, CAPS_INHERITABLE, CAPS_PERMITTED, CAPS_AMBIENT, CAPS_SETS };
extern const char *const oci_capset_names[CAPS_SETS];

struct oci_kv {
	char *key, *value;
};

struct oci_process {
	int terminal;
	uint32_t console_height, console_width;
	int has_console_size;
	uid_t uid;
	gid_t gid;
	mode_t umask;
	int has_umask;
	gid_t *additional_gids;
	size_t n_additional_gids;
	char **args, **env;
	size_t n_args;
	char *cwd;
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	int no_new_privileges;
	int has_oom_score_adj;
	int oom_score_adj;
	uint64_t caps[CAPS_SETS];
	int has_caps;                   /* capabilities object present */
	char *apparmor_profile, *selinux_label;
	json_object *scheduler, *io_priority; /* validated when applied */
};

struct oci_spec {
	char *oci_version;
	char *root_path;                /* absolute after oci_spec_load() */
	int root_readonly;
	char *hostname, *domainname;
	int has_process;
	struct oci_process process;

	struct oci_mount *mounts;
	size_t n_mounts;

	struct oci_hook *hooks[OCI_HOOK_KINDS];
	size_t n_hooks[OCI_HOOK_KINDS];

	struct oci_kv *annotations;
	size_t n_annotations;

	/* linux */
	struct oci_ns *namespaces;
	size_t n_namespaces;
	int ns_new_flags;               /* CLONE_NEW* to create */
	int ns_join_flags;              /* CLONE_NEW* joined by path */
	struct oci_idmap *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct oci_device *devices;
	size_t n_devices;
	struct oci_kv *sysctl;
	size_t n_sysctl;
	char *cgroups_path;
	unsigned long rootfs_propagation; /* 0 = default (rslave) */
	char **masked_paths, **readonly_paths;
	size_t n_masked_paths, n_readonly_paths;
	char *mount_label;
	int64_t time_offset_mono_secs, time_offset_boot_secs;
	uint32_t time_offset_mono_nsecs, time_offset_boot_nsecs;
	int has_time_offsets;
	char *personality_domain;

	json_object *resources;         /* linux.resources, borrowed from root */
	json_object *seccomp;           /* linux.seccomp, borrowed from root */
	json_object *intel_rdt;

	json_object *root;              /* the whole document */
	char *bundle;                   /* absolute bundle directory */
	char *raw;                      /* the text it was parsed from */
	size_t raw_len;
};

/* Parse the JSON text of a config.json.  FILE names it in errors. */
int oci_spec_parse(const char *file, const char *buf, size_t len, struct oci_spec **out, kerr *e);
/* Read BUNDLE/config.json, parse it and make root.path absolute. */
int oci_spec_load(const char *bundle, struct oci_spec **out, kerr *e);
void oci_spec_free(struct oci_spec *s);
/* Parse (*s)->root again after it was changed in place (the policy's
 * harden action), keeping the bundle; replaces *s. */
int oci_spec_reparse(struct oci_spec **s, kerr *e);

/* A process object alone (`exec --process FILE`); FILE names it in errors. */
int oci_process_parse(const char *file, json_object *o, struct oci_process *p, kerr *e);
void oci_process_free(struct oci_process *p);

/* Lookup an annotation, NULL if absent. */
const char *oci_spec_annotation(const struct oci_spec *s, const char *key);
/* The namespace entry of TYPE or NULL. */
const struct oci_ns *oci_spec_ns(const struct oci_spec *s, int type);

#endif
