/* Unit tests for oci/spec.c: a complete config.json parsed field by field,
 * unknown fields ignored at every level, and a table of broken configs, each
 * refused with one message that names the file, the field and the reason.
 *
 * Test JSON is written with single quotes (no apostrophes inside) and turned
 * into real JSON by q(), so the documents stay readable. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "oci/spec.h"

#include "vocab/caps.h"
#include "vocab/ns.h"

#include <errno.h>
#include <ftw.h>
#include <linux/mount.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ---- helpers ---- */

/* 'x' -> "x": the returned buffer is the caller's. */
static char *q(const char *s)
{
	char *d = strdup(s);
	assert_non_null(d);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static struct oci_spec *parse_ok(const char *single_quoted)
{
	char *txt = q(single_quoted);
	struct oci_spec *s = NULL;
	kerr e = { 0 };
	if (oci_spec_parse("config.json", txt, strlen(txt), &s, &e) < 0)
		fail_msg("parse failed: %s\n--- input\n%s", e.msg, txt);
	free(txt);
	assert_non_null(s);
	return s;
}

/* Parse TXT (real JSON), expect failure with EXPECT in the message. */
static void expect_fail_raw(const char *txt, const char *expect)
{
	struct oci_spec *s = (struct oci_spec *)0x1;
	kerr e = { 0 };
	int r = oci_spec_parse("config.json", txt, strlen(txt), &s, &e);
	if (r == 0) {
		oci_spec_free(s);
		fail_msg("parse succeeded, expected \"%s\"\n--- input\n%s", expect, txt);
	}
	assert_int_equal(r, -1);
	/* *out is not touched on failure */
	assert_ptr_equal(s, (struct oci_spec *)0x1);
	assert_int_equal(e.errnum, EINVAL);
	if (!strstr(e.msg, expect))
		fail_msg("error message\n  \"%s\"\ndoes not contain\n  \"%s\"\n--- input\n%s", e.msg, expect, txt);
}

#define MINIMAL \
	"{'ociVersion':'1.0.2','root':{'path':'rootfs'}," \
	"'process':{'user':{'uid':0,'gid':0},'args':['sh'],'cwd':'/'}}"

/* Set (or, with VALUE NULL, delete) the dotted PATH in DOC. Intermediate
 * objects are created. VALUE is single-quoted JSON. */
static void patch(json_object *doc, const char *path, const char *value)
{
	char *p = strdup(path), *save = NULL;
	json_object *cur = doc;
	char *tok = strtok_r(p, ".", &save);
	for (;;) {
		char *next = strtok_r(NULL, ".", &save);
		if (!next) {
			if (!value) {
				json_object_object_del(cur, tok);
			} else {
				char *v = q(value);
				enum json_tokener_error jerr;
				json_object *o = json_tokener_parse_verbose(v, &jerr); /* "null" is NULL */
				if (jerr != json_tokener_success)
					fail_msg("bad test value %s", v);
				free(v);
				json_object_object_add(cur, tok, o);
			}
			break;
		}
		json_object *child = NULL;
		if (!json_object_object_get_ex(cur, tok, &child) || !json_object_is_type(child, json_type_object)) {
			child = json_object_new_object();
			json_object_object_add(cur, tok, child);
		}
		cur = child;
		tok = next;
	}
	free(p);
}

struct bad {
	/* up to three patches on the minimal config */
	const char *path[3];
	const char *value[3];  /* NULL: delete */
	const char *expect;
};

#define DEL NULL

static void run_bad(const struct bad *b)
{
	char *base = q(MINIMAL);
	json_object *doc = json_tokener_parse(base);
	free(base);
	assert_non_null(doc);
	for (int i = 0; i < 3 && b->path[i]; i++)
		patch(doc, b->path[i], b->value[i]);
	const char *txt = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	expect_fail_raw(txt, b->expect);
	json_object_put(doc);
}

/* ---- a complete config ---- */

static const char full_config[] =
	"{\n"
	" 'ociVersion': '1.2.0',\n"
	" 'root': {'path': 'rootfs', 'readonly': true},\n"
	" 'hostname': 'web',\n"
	" 'domainname': 'example.org',\n"
	" 'process': {\n"
	"  'terminal': true,\n"
	"  'consoleSize': {'height': 24, 'width': 80},\n"
	"  'user': {'uid': 1000, 'gid': 1001, 'umask': 18, 'additionalGids': [5, 4294967295]},\n"
	"  'args': ['/bin/sh', '-c', 'echo hi'],\n"
	"  'env': ['PATH=/usr/bin:/bin', 'EMPTY=', 'A=b=c'],\n"
	"  'cwd': '/srv',\n"
	"  'rlimits': [\n"
	"   {'type': 'RLIMIT_NOFILE', 'soft': 1024, 'hard': 4096},\n"
	"   {'type': 'RLIMIT_NPROC', 'soft': 100, 'hard': 100},\n"
	"   {'type': 'RLIMIT_CORE', 'soft': 0, 'hard': 18446744073709551615}\n"
	"  ],\n"
	"  'noNewPrivileges': true,\n"
	"  'oomScoreAdj': -500,\n"
	"  'capabilities': {\n"
	"   'bounding': ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_ADMIN'],\n"
	"   'effective': ['CAP_NET_BIND_SERVICE'],\n"
	"   'permitted': ['CAP_NET_BIND_SERVICE', 'CAP_KILL'],\n"
	"   'ambient': []\n"
	"  },\n"
	"  'apparmorProfile': 'kapsel-default',\n"
	"  'selinuxLabel': 'system_u:system_r:container_t:s0',\n"
	"  'scheduler': {'policy': 'SCHED_OTHER'},\n"
	"  'ioPriority': {'class': 'IOPRIO_CLASS_BE', 'priority': 4}\n"
	" },\n"
	" 'mounts': [\n"
	"  {'destination': '/proc', 'type': 'proc', 'source': 'proc'},\n"
	"  {'destination': '/tmp', 'type': 'tmpfs', 'source': 'tmpfs',\n"
	"   'options': ['nosuid', 'nodev', 'noexec', 'size=64k', 'mode=1777']},\n"
	"  {'destination': '/data', 'type': 'bind', 'source': '/srv/data',\n"
	"   'options': ['rbind', 'ro', 'rprivate', 'rnosuid']},\n"
	"  {'destination': '/opt', 'source': '/host/opt',\n"
	"   'options': ['bind', 'rslave', 'rro', 'rdev']},\n"
	"  {'destination': '/mnt', 'type': 'ext4', 'source': '/dev/sdb1',\n"
	"   'options': ['ro', 'rw', 'noatime', 'atime', 'errors=remount-ro', 'shared', 'private']}\n"
	" ],\n"
	" 'hooks': {\n"
	"  'prestart': [{'path': '/usr/bin/net-setup', 'args': ['net-setup', 'up'], 'env': ['X=1'], 'timeout': 5}],\n"
	"  'createRuntime': [{'path': '/bin/a'}, {'path': '/bin/b', 'timeout': 30}],\n"
	"  'createContainer': [{'path': '/bin/c'}],\n"
	"  'startContainer': [{'path': '/bin/d'}],\n"
	"  'poststart': [{'path': '/bin/e'}],\n"
	"  'poststop': [{'path': '/bin/f', 'args': ['f'], 'timeout': 1}]\n"
	" },\n"
	" 'annotations': {'org.example.key': 'value', 'empty': ''},\n"
	" 'linux': {\n"
	"  'namespaces': [\n"
	"   {'type': 'pid'}, {'type': 'network', 'path': '/proc/1/ns/net'}, {'type': 'mount'},\n"
	"   {'type': 'ipc', 'path': ''}, {'type': 'uts'}, {'type': 'user'}, {'type': 'cgroup'},\n"
	"   {'type': 'time'}\n"
	"  ],\n"
	"  'uidMappings': [{'containerID': 0, 'hostID': 100000, 'size': 65536},\n"
	"                  {'containerID': 65536, 'hostID': 4294967295, 'size': 1}],\n"
	"  'gidMappings': [{'containerID': 0, 'hostID': 200000, 'size': 1000}],\n"
	"  'devices': [\n"
	"   {'path': '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229, 'fileMode': 438, 'uid': 0, 'gid': 5},\n"
	"   {'path': '/dev/sda', 'type': 'b', 'major': 8, 'minor': 0},\n"
	"   {'path': '/dev/null2', 'type': 'u', 'major': 1, 'minor': 3},\n"
	"   {'path': '/dev/fifo', 'type': 'p'},\n"
	"   {'path': '/dev/max', 'type': 'c', 'major': 4095, 'minor': 1048575}\n"
	"  ],\n"
	"  'sysctl': {'net.ipv4.ip_forward': '1', 'kernel.shm_rmid_forced': '1'},\n"
	"  'cgroupsPath': '/kapsel/web',\n"
	"  'resources': {'memory': {'limit': 1048576}},\n"
	"  'seccomp': {'defaultAction': 'SCMP_ACT_ERRNO'},\n"
	"  'intelRdt': {'closID': 'x'},\n"
	"  'rootfsPropagation': 'rshared',\n"
	"  'maskedPaths': ['/proc/kcore', '/proc/keys'],\n"
	"  'readonlyPaths': ['/proc/sys'],\n"
	"  'mountLabel': 'system_u:object_r:container_file_t:s0',\n"
	"  'timeOffsets': {'monotonic': {'secs': -86400, 'nanosecs': 5}, 'boottime': {'secs': 3600}},\n"
	"  'personality': {'domain': 'LINUX32', 'flags': []}\n"
	" }\n"
	"}\n";

#define BIT(c) (1ULL << (c))

static void check_full(struct oci_spec *s)
{
	assert_string_equal(s->oci_version, "1.2.0");
	assert_string_equal(s->root_path, "rootfs");
	assert_true(s->root_readonly);
	assert_string_equal(s->hostname, "web");
	assert_string_equal(s->domainname, "example.org");
	assert_null(s->bundle);

	/* process */
	const struct oci_process *p = &s->process;
	assert_true(s->has_process);
	assert_true(p->terminal);
	assert_true(p->has_console_size);
	assert_int_equal(p->console_height, 24);
	assert_int_equal(p->console_width, 80);
	assert_int_equal(p->uid, 1000);
	assert_int_equal(p->gid, 1001);
	assert_true(p->has_umask);
	assert_int_equal(p->umask, 022);
	assert_int_equal(p->n_additional_gids, 2);
	assert_int_equal(p->additional_gids[0], 5);
	assert_int_equal(p->additional_gids[1], 4294967295u);
	assert_int_equal(p->n_args, 3);
	assert_string_equal(p->args[0], "/bin/sh");
	assert_string_equal(p->args[1], "-c");
	assert_string_equal(p->args[2], "echo hi");
	assert_null(p->args[3]);
	assert_string_equal(p->env[0], "PATH=/usr/bin:/bin");
	assert_string_equal(p->env[1], "EMPTY=");
	assert_string_equal(p->env[2], "A=b=c");
	assert_null(p->env[3]);
	assert_string_equal(p->cwd, "/srv");
	assert_int_equal(p->n_rlimits, 3);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_int_equal(p->rlimits[0].hard, 4096);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_NPROC);
	assert_int_equal(p->rlimits[1].soft, 100);
	assert_int_equal(p->rlimits[1].hard, 100);
	assert_int_equal(p->rlimits[2].resource, RLIMIT_CORE);
	assert_int_equal(p->rlimits[2].soft, 0);
	assert_true(p->rlimits[2].hard == UINT64_MAX);
	assert_true(p->no_new_privileges);
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);
	assert_true(p->has_caps);
	assert_true(p->caps[CAPS_BOUNDING] == (BIT(0) | BIT(10) | BIT(21)));
	assert_true(p->caps[CAPS_EFFECTIVE] == BIT(10));
	assert_true(p->caps[CAPS_PERMITTED] == (BIT(10) | BIT(5)));
	assert_true(p->caps[CAPS_INHERITABLE] == 0);
	assert_true(p->caps[CAPS_AMBIENT] == 0);
	assert_string_equal(p->apparmor_profile, "kapsel-default");
	assert_string_equal(p->selinux_label, "system_u:system_r:container_t:s0");
	assert_non_null(p->scheduler);
	assert_string_equal(json_object_get_string(json_object_object_get(p->scheduler, "policy")), "SCHED_OTHER");
	assert_non_null(p->io_priority);
	assert_int_equal(json_object_get_int(json_object_object_get(p->io_priority, "priority")), 4);

	/* mounts */
	assert_int_equal(s->n_mounts, 5);
	const struct oci_mount *m = &s->mounts[0];
	assert_string_equal(m->destination, "/proc");
	assert_string_equal(m->type, "proc");
	assert_string_equal(m->source, "proc");
	assert_null(m->options);
	assert_int_equal(m->flags, 0);
	assert_int_equal(m->propagation, 0);
	assert_true(m->attr_set == 0 && m->attr_clr == 0);
	assert_null(m->data);
	assert_false(m->is_bind);

	m = &s->mounts[1];
	assert_string_equal(m->destination, "/tmp");
	assert_string_equal(m->type, "tmpfs");
	assert_int_equal(m->flags, MS_NOSUID | MS_NODEV | MS_NOEXEC);
	assert_string_equal(m->data, "size=64k,mode=1777");
	assert_string_equal(m->options[3], "size=64k"); /* options kept as written */
	assert_null(m->options[5]);
	assert_false(m->is_bind);
	assert_int_equal(m->propagation, 0);

	m = &s->mounts[2];
	assert_string_equal(m->destination, "/data");
	assert_string_equal(m->source, "/srv/data");
	assert_true(m->is_bind);
	assert_int_equal(m->flags, MS_BIND | MS_REC | MS_RDONLY);
	assert_int_equal(m->propagation, MS_PRIVATE | MS_REC);
	assert_true(m->attr_set == MOUNT_ATTR_NOSUID);
	assert_true(m->attr_clr == 0);
	assert_null(m->data);

	m = &s->mounts[3];
	assert_string_equal(m->destination, "/opt");
	assert_null(m->type);
	assert_true(m->is_bind); /* the "bind" option makes it one without a type */
	assert_int_equal(m->flags, MS_BIND);
	assert_int_equal(m->propagation, MS_SLAVE | MS_REC);
	assert_true(m->attr_set == MOUNT_ATTR_RDONLY);
	assert_true(m->attr_clr == MOUNT_ATTR_NODEV);

	m = &s->mounts[4];
	assert_false(m->is_bind);
	/* ro then rw: not read-only; noatime then atime: no noatime */
	assert_int_equal(m->flags, 0);
	assert_string_equal(m->data, "errors=remount-ro");
	/* the last propagation word wins */
	assert_int_equal(m->propagation, MS_PRIVATE);

	/* hooks */
	assert_int_equal(s->n_hooks[OCI_HOOK_PRESTART], 1);
	const struct oci_hook *h = &s->hooks[OCI_HOOK_PRESTART][0];
	assert_string_equal(h->path, "/usr/bin/net-setup");
	assert_string_equal(h->args[0], "net-setup");
	assert_string_equal(h->args[1], "up");
	assert_null(h->args[2]);
	assert_string_equal(h->env[0], "X=1");
	assert_null(h->env[1]);
	assert_int_equal(h->timeout, 5);
	assert_int_equal(s->n_hooks[OCI_HOOK_CREATE_RUNTIME], 2);
	assert_string_equal(s->hooks[OCI_HOOK_CREATE_RUNTIME][0].path, "/bin/a");
	assert_int_equal(s->hooks[OCI_HOOK_CREATE_RUNTIME][0].timeout, 0);
	assert_null(s->hooks[OCI_HOOK_CREATE_RUNTIME][0].args);
	assert_null(s->hooks[OCI_HOOK_CREATE_RUNTIME][0].env);
	assert_string_equal(s->hooks[OCI_HOOK_CREATE_RUNTIME][1].path, "/bin/b");
	assert_int_equal(s->hooks[OCI_HOOK_CREATE_RUNTIME][1].timeout, 30);
	assert_int_equal(s->n_hooks[OCI_HOOK_CREATE_CONTAINER], 1);
	assert_string_equal(s->hooks[OCI_HOOK_CREATE_CONTAINER][0].path, "/bin/c");
	assert_int_equal(s->n_hooks[OCI_HOOK_START_CONTAINER], 1);
	assert_string_equal(s->hooks[OCI_HOOK_START_CONTAINER][0].path, "/bin/d");
	assert_int_equal(s->n_hooks[OCI_HOOK_POSTSTART], 1);
	assert_string_equal(s->hooks[OCI_HOOK_POSTSTART][0].path, "/bin/e");
	assert_int_equal(s->n_hooks[OCI_HOOK_POSTSTOP], 1);
	assert_string_equal(s->hooks[OCI_HOOK_POSTSTOP][0].path, "/bin/f");
	assert_int_equal(s->hooks[OCI_HOOK_POSTSTOP][0].timeout, 1);

	/* annotations */
	assert_int_equal(s->n_annotations, 2);
	assert_string_equal(oci_spec_annotation(s, "org.example.key"), "value");
	assert_string_equal(oci_spec_annotation(s, "empty"), "");
	assert_null(oci_spec_annotation(s, "org.example"));

	/* namespaces */
	assert_int_equal(s->n_namespaces, 8);
	assert_int_equal(s->ns_new_flags, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
					   CLONE_NEWUSER | CLONE_NEWCGROUP | CLONE_NEWTIME);
	assert_int_equal(s->ns_join_flags, CLONE_NEWNET);
	const struct oci_ns *ns = oci_spec_ns(s, CLONE_NEWNET);
	assert_non_null(ns);
	assert_string_equal(ns->path, "/proc/1/ns/net");
	ns = oci_spec_ns(s, CLONE_NEWIPC);
	assert_non_null(ns);
	assert_null(ns->path); /* "" means create a new one */
	ns = oci_spec_ns(s, CLONE_NEWPID);
	assert_non_null(ns);
	assert_null(ns->path);
	assert_ptr_equal(ns, &s->namespaces[0]);
	assert_ptr_equal(oci_spec_ns(s, CLONE_NEWTIME), &s->namespaces[7]);

	/* id mappings */
	assert_int_equal(s->n_uid_mappings, 2);
	assert_int_equal(s->uid_mappings[0].container_id, 0);
	assert_int_equal(s->uid_mappings[0].host_id, 100000);
	assert_int_equal(s->uid_mappings[0].size, 65536);
	assert_int_equal(s->uid_mappings[1].container_id, 65536);
	assert_int_equal(s->uid_mappings[1].host_id, 4294967295u);
	assert_int_equal(s->uid_mappings[1].size, 1);
	assert_int_equal(s->n_gid_mappings, 1);
	assert_int_equal(s->gid_mappings[0].container_id, 0);
	assert_int_equal(s->gid_mappings[0].host_id, 200000);
	assert_int_equal(s->gid_mappings[0].size, 1000);

	/* devices */
	assert_int_equal(s->n_devices, 5);
	const struct oci_device *d = &s->devices[0];
	assert_string_equal(d->path, "/dev/fuse");
	assert_int_equal(d->type, 'c');
	assert_int_equal(d->major, 10);
	assert_int_equal(d->minor, 229);
	assert_true(d->has_file_mode);
	assert_int_equal(d->file_mode, 0666);
	assert_true(d->has_uid);
	assert_int_equal(d->uid, 0);
	assert_true(d->has_gid);
	assert_int_equal(d->gid, 5);
	d = &s->devices[1];
	assert_int_equal(d->type, 'b');
	assert_int_equal(d->major, 8);
	assert_int_equal(d->minor, 0);
	assert_false(d->has_file_mode);
	assert_false(d->has_uid);
	assert_false(d->has_gid);
	d = &s->devices[2];
	assert_string_equal(d->path, "/dev/null2");
	assert_int_equal(d->type, 'c'); /* 'u' is a character device */
	assert_int_equal(d->major, 1);
	assert_int_equal(d->minor, 3);
	d = &s->devices[3];
	assert_int_equal(d->type, 'p');
	assert_int_equal(d->major, 0);
	assert_int_equal(d->minor, 0);
	d = &s->devices[4];
	assert_int_equal(d->major, 4095);
	assert_int_equal(d->minor, 1048575);

	/* the rest of linux */
	assert_int_equal(s->n_sysctl, 2);
	int seen = 0;
	for (size_t i = 0; i < s->n_sysctl; i++) {
		if (!strcmp(s->sysctl[i].key, "net.ipv4.ip_forward") && !strcmp(s->sysctl[i].value, "1"))
			seen |= 1;
		if (!strcmp(s->sysctl[i].key, "kernel.shm_rmid_forced") && !strcmp(s->sysctl[i].value, "1"))
			seen |= 2;
	}
	assert_int_equal(seen, 3);
	assert_string_equal(s->cgroups_path, "/kapsel/web");
	assert_int_equal(s->rootfs_propagation, MS_SHARED | MS_REC);
	assert_int_equal(s->n_masked_paths, 2);
	assert_string_equal(s->masked_paths[0], "/proc/kcore");
	assert_string_equal(s->masked_paths[1], "/proc/keys");
	assert_null(s->masked_paths[2]);
	assert_int_equal(s->n_readonly_paths, 1);
	assert_string_equal(s->readonly_paths[0], "/proc/sys");
	assert_string_equal(s->mount_label, "system_u:object_r:container_file_t:s0");
	assert_true(s->has_time_offsets);
	assert_true(s->time_offset_mono_secs == -86400);
	assert_int_equal(s->time_offset_mono_nsecs, 5);
	assert_true(s->time_offset_boot_secs == 3600);
	assert_int_equal(s->time_offset_boot_nsecs, 0);
	assert_string_equal(s->personality_domain, "LINUX32");
	assert_non_null(s->resources);
	assert_true(json_object_is_type(s->resources, json_type_object));
	assert_non_null(json_object_object_get(s->resources, "memory"));
	assert_non_null(s->seccomp);
	assert_string_equal(json_object_get_string(json_object_object_get(s->seccomp, "defaultAction")),
			    "SCMP_ACT_ERRNO");
	assert_non_null(s->intel_rdt);
	assert_non_null(s->root);
}

static void test_full_config(void **state)
{
	(void)state;
	struct oci_spec *s = parse_ok(full_config);
	check_full(s);
	oci_spec_free(s);
}

/* The minimal config: everything optional is absent and zero. */
static void test_minimal_config(void **state)
{
	(void)state;
	struct oci_spec *s = parse_ok(MINIMAL);
	assert_string_equal(s->oci_version, "1.0.2");
	assert_string_equal(s->root_path, "rootfs");
	assert_false(s->root_readonly);
	assert_null(s->hostname);
	assert_true(s->has_process);
	assert_false(s->process.terminal);
	assert_false(s->process.has_console_size);
	assert_false(s->process.has_umask);
	assert_false(s->process.has_oom_score_adj);
	assert_false(s->process.has_caps);
	assert_null(s->process.env);
	assert_int_equal(s->process.n_rlimits, 0);
	assert_int_equal(s->n_mounts, 0);
	assert_int_equal(s->n_namespaces, 0);
	assert_int_equal(s->ns_new_flags, 0);
	assert_int_equal(s->ns_join_flags, 0);
	for (int k = 0; k < OCI_HOOK_KINDS; k++)
		assert_int_equal(s->n_hooks[k], 0);
	assert_int_equal(s->rootfs_propagation, 0);
	assert_false(s->has_time_offsets);
	assert_null(s->personality_domain);
	assert_null(s->resources);
	assert_null(s->seccomp);
	assert_null(oci_spec_ns(s, CLONE_NEWPID));
	assert_null(oci_spec_annotation(s, "x"));
	oci_spec_free(s);

	/* no process at all is valid (create without a process is refused later) */
	s = parse_ok("{'ociVersion':'1.1.0','root':{'path':'/abs/rootfs'}}");
	assert_false(s->has_process);
	assert_string_equal(s->root_path, "/abs/rootfs");
	oci_spec_free(s);

	/* explicit nulls count as absent */
	s = parse_ok("{'ociVersion':'1.0.0','root':{'path':'r','readonly':null},'hostname':null,"
		     "'process':{'user':{'uid':0,'gid':0,'umask':null},'args':['sh'],'cwd':'/','env':null,"
		     "'capabilities':null,'rlimits':null},'mounts':null,'linux':null,'hooks':null}");
	assert_false(s->process.has_umask);
	assert_false(s->process.has_caps);
	assert_null(s->process.env);
	oci_spec_free(s);
}

/* Every object in the document may carry fields kapsel does not know. */
static void test_unknown_fields_ignored(void **state)
{
	(void)state;
	static const char *where[] = {
		"",                             /* top level */
		"root",
		"process",
		"process.user",
		"process.consoleSize",
		"process.capabilities",
		"hooks",
		"linux",
		"linux.timeOffsets",
		"linux.timeOffsets.monotonic",
		"linux.personality",
		"linux.resources",
		"linux.seccomp",
	};
	static const char *arrays[] = {
		"process.rlimits", "mounts", "hooks.prestart", "hooks.poststop",
		"linux.namespaces", "linux.uidMappings", "linux.gidMappings", "linux.devices",
	};
	char *txt = q(full_config);
	json_object *doc = json_tokener_parse(txt);
	free(txt);
	assert_non_null(doc);

	/* add one unknown field at every level at once */
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		json_object *cur = doc;
		char *p = strdup(where[i]), *save = NULL;
		for (char *t = strtok_r(p, ".", &save); t; t = strtok_r(NULL, ".", &save))
			assert_true(json_object_object_get_ex(cur, t, &cur));
		free(p);
		json_object_object_add(cur, "xKapselUnknown",
				       json_tokener_parse("{\"nested\": [1, \"two\", {\"three\": null}]}"));
		json_object_object_add(cur, "org.example/vendor", json_object_new_string("v"));
	}
	for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
		json_object *cur = doc;
		char *p = strdup(arrays[i]), *save = NULL;
		for (char *t = strtok_r(p, ".", &save); t; t = strtok_r(NULL, ".", &save))
			assert_true(json_object_object_get_ex(cur, t, &cur));
		free(p);
		for (size_t j = 0; j < json_object_array_length(cur); j++)
			json_object_object_add(json_object_array_get_idx(cur, j), "xKapselUnknown",
					       json_object_new_int(42));
	}
	const char *out = json_object_to_json_string(doc);
	struct oci_spec *s = NULL;
	kerr e = { 0 };
	if (oci_spec_parse("config.json", out, strlen(out), &s, &e) < 0)
		fail_msg("unknown fields were refused: %s", e.msg);
	/* and the known fields around them are unchanged; the top-level unknown
	 * field is not an annotation */
	check_full(s);
	oci_spec_free(s);
	json_object_put(doc);
}

/* ---- broken configs ---- */

static void test_invalid_json(void **state)
{
	(void)state;
	/* syntax error on line 4 */
	expect_fail_raw("{\n \"ociVersion\": \"1.0.0\",\n \"root\": {\"path\": \"r\"},\n \"hostname\": ,\n}\n",
			"config.json: line 4: invalid JSON");
	expect_fail_raw("{\"ociVersion\": \"1.0.0\" \"root\": {}}", "config.json: line 1: invalid JSON");
	/* line counting goes past the first lines */
	expect_fail_raw("{\n\n\n\n\n\n \"a\": tru\n}", "config.json: line 7: invalid JSON");
	expect_fail_raw("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}} {}",
			"config.json: invalid JSON: trailing data after the document");
	expect_fail_raw("[\"ociVersion\"]", "config.json: the document is not a JSON object");
	expect_fail_raw("\"1.0.0\"", "config.json: the document is not a JSON object");
	/* trailing whitespace after the document is fine */
	char *ok = q("{'ociVersion':'1.0.0','root':{'path':'r'}}\n \t\r\n");
	struct oci_spec *s = NULL;
	kerr e = { 0 };
	assert_int_equal(oci_spec_parse("config.json", ok, strlen(ok), &s, &e), 0);
	oci_spec_free(s);
	free(ok);
}

/* A document cut short (empty file, truncated write). */
static void test_truncated_json(void **state)
{
	(void)state;
	/* Regression (found by this test, fixed): src/lib/common/json.c kj_parse(): a truncated document makes
	 * json_tokener_parse_ex() return NULL with json_tokener_continue, and the
	 * message becomes "config.json: line 1: invalid JSON: continue" (the
	 * "unexpected end of input" branch is only taken when o != NULL, which
	 * never happens with an error). Expected: "... unexpected end of input". */
	kerr e = { 0 };
	struct oci_spec *s = NULL;
	const char *txt = "{\"ociVersion\": \"1.0.0\",\n \"root\": {\"path\": \"r\"";
	assert_int_equal(oci_spec_parse("config.json", txt, strlen(txt), &s, &e), -1);
	assert_non_null(strstr(e.msg, "config.json: line 2: invalid JSON"));
	if (!strstr(e.msg, "unexpected end of input")) {
		print_message("got: %s\n", e.msg);
		fail();
	}
	assert_int_equal(oci_spec_parse("config.json", "", 0, &s, &e), -1);
	assert_non_null(strstr(e.msg, "unexpected end of input"));
}

static const struct bad bad_cases[] = {
	/* top level and root */
	{ { "ociVersion" }, { DEL }, "config.json: ociVersion: missing" },
	{ { "ociVersion" }, { "'2.0.0'" }, "config.json: ociVersion: version \"2.0.0\" is not supported" },
	{ { "ociVersion" }, { "'1'" }, "config.json: ociVersion: version \"1\" is not supported" },
	{ { "ociVersion" }, { "1.0" }, "config.json: ociVersion: expected a string" },
	{ { "root" }, { DEL }, "config.json: root: missing" },
	{ { "root" }, { "'rootfs'" }, "config.json: root: expected an object" },
	{ { "root.path" }, { DEL }, "config.json: root.path: missing" },
	{ { "root.path" }, { "''" }, "config.json: root.path: missing" },
	{ { "root.readonly" }, { "'yes'" }, "config.json: root.readonly: expected true or false" },
	{ { "hostname" }, { "'web'" }, "config.json: hostname: setting a hostname needs a uts namespace" },
	{ { "hostname" }, { "7" }, "config.json: hostname: expected a string" },
	{ { "process" }, { "[]" }, "config.json: process: expected an object" },

	/* process */
	{ { "process.args" }, { "[]" }, "config.json: process.args: must name the program to run" },
	{ { "process.args" }, { DEL }, "config.json: process.args: must name the program to run" },
	{ { "process.args" }, { "''" }, "config.json: process.args: expected an array" },
	{ { "process.args" }, { "['']" }, "config.json: process.args[0]: is empty" },
	{ { "process.args" }, { "['sh', 5]" }, "config.json: process.args[1]: expected a string" },
	{ { "process.cwd" }, { "'tmp'" }, "config.json: process.cwd: \"tmp\" is not an absolute path" },
	{ { "process.cwd" }, { "''" }, "config.json: process.cwd: \"\" is not an absolute path" },
	{ { "process.cwd" }, { DEL }, "config.json: process.cwd: missing" },
	{ { "process.env" }, { "['A=1', 'FOO']" }, "config.json: process.env[1]: \"FOO\" is not of the form KEY=value" },
	{ { "process.env" }, { "['=x']" }, "config.json: process.env[0]: \"=x\" is not of the form KEY=value" },
	{ { "process.env" }, { "{}" }, "config.json: process.env: expected an array" },
	{ { "process.user" }, { DEL }, "config.json: process.user: missing" },
	{ { "process.user.uid" }, { DEL }, "config.json: process.user.uid: missing" },
	{ { "process.user.gid" }, { DEL }, "config.json: process.user.gid: missing" },
	{ { "process.user.uid" }, { "'0'" }, "config.json: process.user.uid: expected an unsigned integer" },
	{ { "process.user.uid" }, { "-1" }, "config.json: process.user.uid: expected an unsigned integer, got -1" },
	{ { "process.user.uid" }, { "4294967296" },
	  "config.json: process.user.uid: value 4294967296 is out of range (max 4294967295)" },
	{ { "process.user.gid" }, { "8589934593" },
	  "config.json: process.user.gid: value 8589934593 is out of range (max 4294967295)" },
	{ { "process.user.uid" }, { "18446744073709551615" },
	  "config.json: process.user.uid: value 18446744073709551615 is out of range (max 4294967295)" },
	{ { "process.user.uid" }, { "null" }, "config.json: process.user.uid: missing" },
	{ { "process.user.gid" }, { "1.5" }, "config.json: process.user.gid: expected an unsigned integer, got 1.5" },
	{ { "process.user.gid" }, { "true" }, "config.json: process.user.gid: expected an unsigned integer" },
	{ { "process.user.umask" }, { "512" }, "config.json: process.user.umask: 512 is not a valid umask" },
	{ { "process.user.additionalGids" }, { "[1, 'wheel']" },
	  "config.json: process.user.additionalGids[1]: expected an unsigned integer" },
	{ { "process.user.additionalGids" }, { "[1, -2]" },
	  "config.json: process.user.additionalGids[1]: expected an unsigned integer, got -2" },
	{ { "process.terminal" }, { "'yes'" }, "config.json: process.terminal: expected true or false" },
	{ { "process.terminal" }, { "1" }, "config.json: process.terminal: expected true or false" },
	{ { "process.noNewPrivileges" }, { "'true'" }, "config.json: process.noNewPrivileges: expected true or false" },
	{ { "process.consoleSize" }, { "{'height': -1, 'width': 80}" },
	  "config.json: process.consoleSize.height: expected an unsigned integer, got -1" },
	{ { "process.oomScoreAdj" }, { "1001" }, "config.json: process.oomScoreAdj: 1001 is outside -1000..1000" },
	{ { "process.oomScoreAdj" }, { "-1001" }, "config.json: process.oomScoreAdj: -1001 is outside -1000..1000" },
	{ { "process.oomScoreAdj" }, { "'5'" }, "config.json: process.oomScoreAdj: expected an integer" },
	{ { "process.oomScoreAdj" }, { "0.5" }, "config.json: process.oomScoreAdj: expected an integer, got 0.5" },
	{ { "process.oomScoreAdj" }, { "4294967296" }, "config.json: process.oomScoreAdj: value 4294967296 is out of range" },
	{ { "process.apparmorProfile" }, { "[]" }, "config.json: process.apparmorProfile: expected a string" },

	/* capabilities */
	{ { "process.capabilities" }, { "{'bounding': ['CAP_CHOWN', 'CAP_KILL', 'CAP_FOO']}" },
	  "config.json: process.capabilities.bounding[2]: unknown capability \"CAP_FOO\"" },
	{ { "process.capabilities" }, { "{'ambient': ['CHOWN']}" },
	  "config.json: process.capabilities.ambient[0]: unknown capability \"CHOWN\"" },
	{ { "process.capabilities" }, { "{'effective': [21]}" },
	  "config.json: process.capabilities.effective[0]: expected a capability name" },
	{ { "process.capabilities" }, { "{'permitted': 'CAP_KILL'}" },
	  "config.json: process.capabilities.permitted: expected an array" },
	{ { "process.capabilities" }, { "['CAP_KILL']" }, "config.json: process.capabilities: expected an object" },

	/* rlimits */
	{ { "process.rlimits" }, { "[{'type':'RLIMIT_NOFILE','soft':1,'hard':2},{'type':'RLIMIT_NOFILE','soft':1,'hard':2}]" },
	  "config.json: process.rlimits[1].type: rlimit \"RLIMIT_NOFILE\" is given twice" },
	{ { "process.rlimits" }, { "[{'type':'RLIMIT_NOFILE','soft':10,'hard':5}]" },
	  "config.json: process.rlimits[0]: soft limit 10 is above the hard limit 5" },
	{ { "process.rlimits" }, { "[{'type':'RLIMIT_FOO','soft':1,'hard':1}]" },
	  "config.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"" },
	{ { "process.rlimits" }, { "[{'type':'nofile','soft':1,'hard':1}]" },
	  "config.json: process.rlimits[0].type: unknown rlimit \"nofile\"" },
	{ { "process.rlimits" }, { "[{'soft':1,'hard':1}]" }, "config.json: process.rlimits[0].type: missing" },
	{ { "process.rlimits" }, { "[{'type':'RLIMIT_CPU','hard':1}]" }, "config.json: process.rlimits[0].soft: missing" },
	{ { "process.rlimits" }, { "[{'type':'RLIMIT_CPU','soft':1}]" }, "config.json: process.rlimits[0].hard: missing" },
	{ { "process.rlimits" }, { "[{'type':'RLIMIT_CPU','soft':-1,'hard':1}]" },
	  "config.json: process.rlimits[0].soft: expected an unsigned integer, got -1" },
	{ { "process.rlimits" }, { "[{'type':'RLIMIT_CPU','soft':'1','hard':1}]" },
	  "config.json: process.rlimits[0].soft: expected an unsigned integer" },
	{ { "process.rlimits" }, { "['RLIMIT_CPU']" }, "config.json: process.rlimits[0]: expected an object" },
	{ { "process.rlimits" }, { "{}" }, "config.json: process.rlimits: expected an array" },

	/* mounts */
	{ { "mounts" }, { "{}" }, "config.json: mounts: expected an array" },
	{ { "mounts" }, { "['/proc']" }, "config.json: mounts[0]: expected an object" },
	{ { "mounts" }, { "[{'type':'proc','source':'proc'}]" }, "config.json: mounts[0].destination: missing" },
	{ { "mounts" }, { "[{'destination':'/proc','type':'proc'},{'destination':'proc','type':'proc','source':'proc'}]" },
	  "config.json: mounts[1].destination: \"proc\" is not an absolute path" },
	{ { "mounts" }, { "[{'destination':'/data','type':'bind'}]" }, "config.json: mounts[0].source: missing for a bind mount" },
	{ { "mounts" }, { "[{'destination':'/data','options':['rbind','ro']}]" },
	  "config.json: mounts[0].source: missing for a bind mount" },
	{ { "mounts" }, { "[{'destination':'/proc','source':'proc'}]" },
	  "config.json: mounts[0].type: missing (required unless the mount is a bind mount)" },
	/* "idmap", "ridmap" and mappings: see test_idmap_mounts */
	{ { "mounts" }, { "[{'destination':'/t','type':'tmpfs','options':['ro', 7]}]" },
	  "config.json: mounts[0].options[1]: expected a string" },
	{ { "mounts" }, { "[{'destination':'/t','type':['tmpfs']}]" }, "config.json: mounts[0].type: expected a string" },

	/* hooks */
	{ { "hooks" }, { "[]" }, "config.json: hooks: expected an object" },
	{ { "hooks.prestart" }, { "{}" }, "config.json: hooks.prestart: expected an array" },
	{ { "hooks.prestart" }, { "[{'path':'hook'}]" }, "config.json: hooks.prestart[0].path: \"hook\" is not an absolute path" },
	{ { "hooks.createRuntime" }, { "[{'args':['x']}]" }, "config.json: hooks.createRuntime[0].path: missing" },
	{ { "hooks.poststart" }, { "[{'path':'/bin/a'},{'path':'/bin/b','timeout':0}]" },
	  "config.json: hooks.poststart[1].timeout: must be greater than zero" },
	{ { "hooks.poststop" }, { "[{'path':'/bin/a','timeout':-5}]" },
	  "config.json: hooks.poststop[0].timeout: must be greater than zero" },
	{ { "hooks.startContainer" }, { "[{'path':'/bin/a','timeout':'5'}]" },
	  "config.json: hooks.startContainer[0].timeout: expected an integer" },
	{ { "hooks.createContainer" }, { "[{'path':'/bin/a','env':['X=1', 2]}]" },
	  "config.json: hooks.createContainer[0].env[1]: expected a string" },

	/* annotations */
	{ { "annotations" }, { "{'a':'b','n':1}" }, "config.json: annotations.n: expected a string" },
	{ { "annotations" }, { "['a']" }, "config.json: annotations: expected an object" },

	/* namespaces */
	{ { "linux.namespaces" }, { "[{'type':'pid'},{'type':'foo'}]" },
	  "config.json: linux.namespaces[1].type: unknown namespace type \"foo\"" },
	{ { "linux.namespaces" }, { "[{'type':'pid'},{'type':'network'},{'type':'pid','path':'/proc/1/ns/pid'}]" },
	  "config.json: linux.namespaces[2].type: namespace \"pid\" is listed twice" },
	{ { "linux.namespaces" }, { "[{'path':'/proc/1/ns/pid'}]" }, "config.json: linux.namespaces[0].type: missing" },
	{ { "linux.namespaces" }, { "[{'type':'network','path':'proc/1/ns/net'}]" },
	  "config.json: linux.namespaces[0].path: \"proc/1/ns/net\" is not an absolute path" },
	{ { "linux.namespaces" }, { "['pid']" }, "config.json: linux.namespaces[0]: expected an object" },

	/* id mappings */
	{ { "linux.uidMappings", "linux.gidMappings" },
	  { "[{'containerID':0,'hostID':1000,'size':1}]", "[{'containerID':0,'hostID':1000,'size':1}]" },
	  "config.json: linux.uidMappings: id mappings need a new user namespace in linux.namespaces" },
	{ { "linux.uidMappings", "linux.namespaces" },
	  { "[{'containerID':0,'hostID':1000,'size':1}]", "[{'type':'user','path':'/proc/1/ns/user'}]" },
	  "config.json: linux.uidMappings: id mappings need a new user namespace" },
	{ { "linux.namespaces" }, { "[{'type':'user'}]" },
	  "config.json: linux.uidMappings: a new user namespace needs both uidMappings and gidMappings" },
	{ { "linux.namespaces", "linux.uidMappings" }, { "[{'type':'user'}]", "[{'containerID':0,'hostID':1000,'size':1}]" },
	  "config.json: linux.uidMappings: a new user namespace needs both uidMappings and gidMappings" },
	{ { "linux.namespaces", "linux.uidMappings", "linux.gidMappings" },
	  { "[{'type':'user'}]", "[{'containerID':0,'hostID':1000,'size':0}]", "[{'containerID':0,'hostID':1000,'size':1}]" },
	  "config.json: linux.uidMappings[0].size: must be greater than zero" },
	{ { "linux.namespaces", "linux.uidMappings", "linux.gidMappings" },
	  { "[{'type':'user'}]", "[{'containerID':0,'hostID':1000,'size':1}]", "[{'containerID':0,'size':1}]" },
	  "config.json: linux.gidMappings[0].hostID: missing" },
	{ { "linux.namespaces", "linux.uidMappings", "linux.gidMappings" },
	  { "[{'type':'user'}]", "[{'containerID':0,'hostID':-1,'size':1}]", "[{'containerID':0,'hostID':1,'size':1}]" },
	  "config.json: linux.uidMappings[0].hostID: expected an unsigned integer, got -1" },
	{ { "linux.namespaces", "linux.uidMappings", "linux.gidMappings" },
	  { "[{'type':'user'}]", "[{'containerID':0,'hostID':1,'size':4294967296}]", "[{'containerID':0,'hostID':1,'size':1}]" },
	  "config.json: linux.uidMappings[0].size: value 4294967296 is out of range" },

	/* devices */
	{ { "linux.devices" }, { "[{'path':'/dev/x','type':'x','major':1,'minor':1}]" },
	  "config.json: linux.devices[0].type: \"x\" is not a device type (c, b, u or p)" },
	{ { "linux.devices" }, { "[{'path':'/dev/x','type':'cb','major':1,'minor':1}]" },
	  "config.json: linux.devices[0].type: \"cb\" is not a device type" },
	{ { "linux.devices" }, { "[{'path':'/dev/x','major':1,'minor':1}]" }, "config.json: linux.devices[0].type: missing" },
	{ { "linux.devices" }, { "[{'path':'/dev/a','type':'c','major':1,'minor':1},{'path':'/dev/x','type':'c','major':4096,'minor':1}]" },
	  "config.json: linux.devices[1]: device number 4096:1 is out of range" },
	{ { "linux.devices" }, { "[{'path':'/dev/x','type':'b','major':1,'minor':1048576}]" },
	  "config.json: linux.devices[0]: device number 1:1048576 is out of range" },
	{ { "linux.devices" }, { "[{'path':'/dev/x','type':'c','major':-1,'minor':3}]" },
	  "config.json: linux.devices[0]: device number -1:3 is out of range" },
	{ { "linux.devices" }, { "[{'path':'/dev/x','type':'c','minor':3}]" }, "config.json: linux.devices[0].major: missing" },
	{ { "linux.devices" }, { "[{'path':'/dev/x','type':'c','major':1}]" }, "config.json: linux.devices[0].minor: missing" },
	{ { "linux.devices" }, { "[{'path':'dev/x','type':'c','major':1,'minor':3}]" },
	  "config.json: linux.devices[0].path: \"dev/x\" is not an absolute path" },
	{ { "linux.devices" }, { "[{'type':'c','major':1,'minor':3}]" }, "config.json: linux.devices[0].path: missing" },
	{ { "linux.devices" }, { "[{'path':'/dev/x','type':'c','major':1,'minor':3,'fileMode':4096}]" },
	  "config.json: linux.devices[0].fileMode: 010000 has file type bits that contradict type \"c\"" },
	{ { "linux.devices" }, { "[{'path':'/dev/x','type':'c','major':1,'minor':3,'fileMode':65535}]" },
	  "config.json: linux.devices[0].fileMode: 0177777 has file type bits that contradict type \"c\"" },
	{ { "linux.devices" }, { "[{'path':'/dev/x','type':'c','major':1,'minor':3,'uid':-1}]" },
	  "config.json: linux.devices[0].uid: expected an unsigned integer, got -1" },
	{ { "linux.devices" }, { "[{'path':'/dev/x','type':'c','major':'1','minor':3}]" },
	  "config.json: linux.devices[0].major: expected an integer" },

	/* the rest of linux */
	{ { "linux" }, { "[]" }, "config.json: linux: expected an object" },
	{ { "linux.rootfsPropagation" }, { "'bogus'" }, "config.json: linux.rootfsPropagation: \"bogus\" is not a propagation mode" },
	{ { "linux.rootfsPropagation" }, { "'nosuid'" }, "config.json: linux.rootfsPropagation: \"nosuid\" is not a propagation mode" },
	{ { "linux.sysctl" }, { "{'net.ipv4.ip_forward': 1}" }, "config.json: linux.sysctl.net.ipv4.ip_forward: expected a string" },
	{ { "linux.maskedPaths" }, { "'/proc/kcore'" }, "config.json: linux.maskedPaths: expected an array" },
	{ { "linux.readonlyPaths" }, { "['/proc/sys', null]" }, "config.json: linux.readonlyPaths[1]: expected a string" },
	{ { "linux.cgroupsPath" }, { "5" }, "config.json: linux.cgroupsPath: expected a string" },
	{ { "linux.timeOffsets" }, { "{'monotonic': {'secs': 1}}" },
	  "config.json: linux.timeOffsets: time offsets need a new time namespace" },
	{ { "linux.namespaces", "linux.timeOffsets" }, { "[{'type':'time'}]", "{'boottime': {'secs': 'x'}}" },
	  "config.json: linux.timeOffsets.boottime.secs: expected an integer" },
	{ { "linux.namespaces", "linux.timeOffsets" }, { "[{'type':'time'}]", "{'monotonic': {'nanosecs': -1}}" },
	  "config.json: linux.timeOffsets.monotonic.nanosecs: expected an unsigned integer, got -1" },
	{ { "linux.personality" }, { "{'domain': 'LINUX64'}" }, "config.json: linux.personality.domain: must be \"LINUX\" or \"LINUX32\"" },
	{ { "linux.personality" }, { "{}" }, "config.json: linux.personality.domain: must be \"LINUX\" or \"LINUX32\"" },
	{ { "linux.resources" }, { "[]" }, "config.json: linux.resources: expected an object" },
	{ { "linux.seccomp" }, { "'default'" }, "config.json: linux.seccomp: expected an object" },
};

static void test_bad_configs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		run_bad(&bad_cases[i]);
}

/* Idmapped binds: mappings of their own, "idmap"/"ridmap", the
 * container's user namespace mappings; what is refused names the field. */
static void test_idmap_mounts(void **state)
{
	(void)state;
	struct oci_spec *s = parse_ok(
		"{'ociVersion':'1.0.0','root':{'path':'r'},'mounts':["
		"{'destination':'/a','type':'bind','source':'/x','uidMappings':[{'containerID':0,'hostID':1000,'size':1}],"
		"'gidMappings':[{'containerID':0,'hostID':1000,'size':1},{'containerID':5,'hostID':2000,'size':3}]},"
		"{'destination':'/b','source':'/x','options':['rbind','ridmap'],"
		"'uidMappings':[{'containerID':0,'hostID':1000,'size':1}],'gidMappings':[{'containerID':0,'hostID':1000,'size':1}]},"
		"{'destination':'/c','source':'/x','options':['bind','idmap']},"
		"{'destination':'/d','source':'/x','options':['bind']}],"
		"'linux':{'namespaces':[{'type':'user'},{'type':'mount'}],"
		"'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
		"'gidMappings':[{'containerID':0,'hostID':100000,'size':65536}]}}");
	assert_int_equal(s->n_mounts, 4);
	assert_int_equal(s->mounts[0].idmap, 1); /* mappings alone: as idmap */
	assert_int_equal(s->mounts[0].n_uid_mappings, 1);
	assert_int_equal(s->mounts[0].n_gid_mappings, 2);
	assert_int_equal(s->mounts[0].gid_mappings[1].host_id, 2000);
	assert_int_equal(s->mounts[1].idmap, 2);
	assert_int_equal(s->mounts[2].idmap, 1);
	assert_int_equal(s->mounts[2].n_uid_mappings, 0);
	assert_int_equal(s->mounts[3].idmap, 0);
	/* "idmap" is never filesystem data */
	assert_null(s->mounts[2].data);
	oci_spec_free(s);

	static const char *const bad[][2] = {
		{ "{'ociVersion':'1.0.0','root':{'path':'r'},'mounts':[{'destination':'/t','type':'tmpfs',"
		  "'uidMappings':[{'containerID':0,'hostID':1,'size':1}],'gidMappings':[{'containerID':0,'hostID':1,'size':1}]}]}",
		  "config.json: mounts[0].uidMappings: an idmapped mount must be a bind mount" },
		{ "{'ociVersion':'1.0.0','root':{'path':'r'},'mounts':[{'destination':'/t','type':'tmpfs','options':['idmap']}]}",
		  "config.json: mounts[0].options: an idmapped mount must be a bind mount" },
		{ "{'ociVersion':'1.0.0','root':{'path':'r'},'mounts':[{'destination':'/p','type':'proc'},{'destination':'/t',"
		  "'type':'bind','source':'/x','uidMappings':[{'containerID':0,'hostID':1,'size':1}]}]}",
		  "config.json: mounts[1].gidMappings: missing: uidMappings and gidMappings go together" },
		{ "{'ociVersion':'1.0.0','root':{'path':'r'},'mounts':[{'destination':'/t','type':'bind','source':'/x',"
		  "'gidMappings':[{'containerID':0,'hostID':1,'size':1}]}]}",
		  "config.json: mounts[0].uidMappings: missing" },
		{ "{'ociVersion':'1.0.0','root':{'path':'r'},'mounts':[{'destination':'/t','type':'bind','source':'/x',"
		  "'uidMappings':[{'containerID':0,'hostID':1,'size':4},{'containerID':9,'hostID':3,'size':1}],"
		  "'gidMappings':[{'containerID':0,'hostID':1,'size':1}]}]}",
		  "config.json: mounts[0].uidMappings[1].hostID: overlaps the range of mounts[0].uidMappings[0]" },
		{ "{'ociVersion':'1.0.0','root':{'path':'r'},'mounts':[{'destination':'/t','type':'bind','source':'/x',"
		  "'uidMappings':[{'containerID':0,'hostID':1,'size':1}],'gidMappings':[{'containerID':0,'hostID':1}]}]}",
		  "config.json: mounts[0].gidMappings[0].size: missing" },
		{ "{'ociVersion':'1.0.0','root':{'path':'r'},'mounts':[{'destination':'/t','type':'bind','source':'/x',"
		  "'options':['rbind','ridmap']}]}",
		  "config.json: mounts[0].options: \"ridmap\" without uidMappings and gidMappings takes the container's user "
		  "namespace mappings, and linux.namespaces has no new user namespace" },
		{ "{'ociVersion':'1.0.0','root':{'path':'r'},'linux':{'uidMappings':[{'containerID':4294967295,'hostID':0,"
		  "'size':2}]}}",
		  "config.json: linux.uidMappings[0]: the range 4294967295+2" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *txt = q(bad[i][0]);
		expect_fail_raw(txt, bad[i][1]);
		free(txt);
	}
}

/* A hostname is fine with a new or a joined uts namespace. */
static void test_hostname_uts(void **state)
{
	(void)state;
	struct oci_spec *s = parse_ok("{'ociVersion':'1.0.0','root':{'path':'r'},'hostname':'h',"
				      "'linux':{'namespaces':[{'type':'uts'}]}}");
	assert_string_equal(s->hostname, "h");
	assert_int_equal(s->ns_new_flags, CLONE_NEWUTS);
	oci_spec_free(s);
	s = parse_ok("{'ociVersion':'1.0.0','root':{'path':'r'},'hostname':'h',"
		     "'linux':{'namespaces':[{'type':'uts','path':'/proc/1/ns/uts'}]}}");
	assert_int_equal(s->ns_join_flags, CLONE_NEWUTS);
	assert_int_equal(s->ns_new_flags, 0);
	oci_spec_free(s);
	/* an empty hostname needs nothing */
	s = parse_ok("{'ociVersion':'1.0.0','root':{'path':'r'},'hostname':''}");
	assert_string_equal(s->hostname, "");
	oci_spec_free(s);
}

/* Limits at the exact edges are accepted. */
static void test_edges_accepted(void **state)
{
	(void)state;
	struct oci_spec *s = parse_ok(
		"{'ociVersion':'1.0.0','root':{'path':'r'},"
		"'process':{'user':{'uid':4294967295,'gid':0,'umask':511},'args':['sh'],'cwd':'/',"
		"'oomScoreAdj':1000,'rlimits':[{'type':'RLIMIT_NOFILE','soft':5,'hard':5}]},"
		"'hooks':{'prestart':[{'path':'/h','timeout':2147483647}]},"
		"'linux':{'rootfsPropagation':'','devices':[{'path':'/dev/z','type':'c','major':0,'minor':0,'fileMode':4095}]}}");
	assert_int_equal(s->process.uid, 4294967295u);
	assert_int_equal(s->process.umask, 0777);
	assert_int_equal(s->process.oom_score_adj, 1000);
	assert_int_equal(s->hooks[OCI_HOOK_PRESTART][0].timeout, 2147483647);
	assert_int_equal(s->rootfs_propagation, 0);
	assert_int_equal(s->devices[0].file_mode, 07777);
	oci_spec_free(s);

	s = parse_ok("{'ociVersion':'1.0.0','root':{'path':'r'},"
		     "'process':{'user':{'uid':0,'gid':0},'args':['sh'],'cwd':'/','oomScoreAdj':-1000,"
		     "'capabilities':{'bounding':['cap_chown']}},"
		     "'linux':{'personality':{'domain':'LINUX'},'rootfsPropagation':'private'}}");
	assert_int_equal(s->process.oom_score_adj, -1000);
	/* capability names are matched without regard to case */
	assert_true(s->process.caps[CAPS_BOUNDING] == 1);
	assert_string_equal(s->personality_domain, "LINUX");
	assert_int_equal(s->rootfs_propagation, MS_PRIVATE);
	oci_spec_free(s);

	/* rc versions of 1.x are 1.x */
	s = parse_ok("{'ociVersion':'1.0.0-rc5','root':{'path':'r'}}");
	oci_spec_free(s);
}

/* Every known capability parses to its bit in every set. */
static void test_all_capabilities(void **state)
{
	(void)state;
	int last = kcap_last_cap();
	if (last > KCAP_NAMES - 1)
		last = KCAP_NAMES - 1;
	for (int c = 0; c <= last; c++) {
		char buf[512];
		const char *n = kcap_name(c);
		assert_non_null(n);
		snprintf(buf, sizeof(buf),
			 "{'ociVersion':'1.0.0','root':{'path':'r'},'process':{'user':{'uid':0,'gid':0},"
			 "'args':['sh'],'cwd':'/','capabilities':{'bounding':['%s'],'effective':['%s'],"
			 "'inheritable':['%s'],'permitted':['%s'],'ambient':['%s']}}}",
			 n, n, n, n, n);
		struct oci_spec *s = parse_ok(buf);
		for (int set = 0; set < CAPS_SETS; set++)
			assert_true(s->process.caps[set] == BIT(c));
		oci_spec_free(s);
	}
}

/* Namespace name table. */
static void test_ns_names(void **state)
{
	(void)state;
	static const struct { const char *name; int type; } t[] = {
		{ "pid", CLONE_NEWPID }, { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
		{ "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "user", CLONE_NEWUSER },
		{ "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(kns_type_from_name(t[i].name), t[i].type);
		assert_string_equal(kns_type_name(t[i].type), t[i].name);
	}
	assert_int_equal(kns_type_from_name("net"), 0);
	assert_int_equal(kns_type_from_name("PID"), 0);
	assert_int_equal(kns_type_from_name(""), 0);
	assert_string_equal(kns_type_name(0), "?");
	assert_string_equal(kns_type_name(CLONE_NEWNS | CLONE_NEWPID), "?");
	assert_string_equal(oci_hook_names[OCI_HOOK_CREATE_RUNTIME], "createRuntime");
	assert_string_equal(oci_capset_names[CAPS_AMBIENT], "ambient");
}

/* Integers too large for any C type must be refused, not clamped. */
static void test_huge_integers(void **state)
{
	(void)state;
	/* Regression (found by this test, fixed): json-c saturates integer literals outside int64/uint64 (it parses
	 * 18446744073709551616 as UINT64_MAX, and json_object_get_int64() of
	 * 9223372036854775808 returns INT64_MAX) without setting errno, so
	 * kj_uint64()/kj_int64() in src/lib/common/json.c accept them: an rlimit
	 * "hard": 18446744073709551616 becomes RLIM_INFINITY and
	 * "timeOffsets.monotonic.secs": 9223372036854775808 becomes INT64_MAX.
	 * Expected: "integer out of range". */
	static const struct {
		const char *doc, *expect;
	} huge[] = {
		{ "{'ociVersion':'1.0.0','root':{'path':'r'},'process':{'user':{'uid':0,'gid':0},"
		  "'args':['sh'],'cwd':'/','rlimits':[{'type':'RLIMIT_NOFILE','soft':1,"
		  "'hard':18446744073709551616}]}}",
		  "config.json: process.rlimits[0].hard: integer " },
		{ "{'ociVersion':'1.0.0','root':{'path':'r'},'linux':{'namespaces':[{'type':'time'}],"
		  "'timeOffsets':{'monotonic':{'secs':9223372036854775808}}}}",
		  "config.json: linux.timeOffsets.monotonic.secs: integer " },
		{ "{'ociVersion':'1.0.0','root':{'path':'r'},'linux':{'namespaces':[{'type':'time'}],"
		  "'timeOffsets':{'boottime':{'secs':-9223372036854775809}}}}",
		  "config.json: linux.timeOffsets.boottime.secs: integer " },
	};
	int bugs = 0;
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		char *txt = q(huge[i].doc);
		struct oci_spec *s = NULL;
		kerr e = { 0 };
		if (oci_spec_parse("config.json", txt, strlen(txt), &s, &e) == 0) {
			print_message("accepted: %s\n", txt);
			oci_spec_free(s);
			bugs++;
		} else if (!strstr(e.msg, huge[i].expect)) {
			fail_msg("\"%s\" does not contain \"%s\"", e.msg, huge[i].expect);
		}
		free(txt);
	}
	if (bugs)
		skip();
}

/* ---- oci_spec_load ---- */

static char tmproot[] = "/tmp/kapsel-test-spec-XXXXXX";

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

static int setup_tmp(void **state)
{
	(void)state;
	return mkdtemp(tmproot) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	(void)state;
	return nftw(tmproot, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_config(const char *bundle, const char *single_quoted)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/config.json", bundle);
	char *txt = q(single_quoted);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(txt, f);
	fclose(f);
	free(txt);
}

static void test_load(void **state)
{
	(void)state;
	char bundle[4096], rootfs[4200], rel[8300], canon[4096];
	struct oci_spec *s = NULL;
	kerr e = { 0 };

	snprintf(bundle, sizeof(bundle), "%s/bundle", tmproot);
	assert_int_equal(mkdir(bundle, 0755), 0);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
	assert_int_equal(mkdir(rootfs, 0755), 0);
	assert_non_null(realpath(bundle, canon));

	/* relative root.path is made absolute against the bundle */
	write_config(bundle, "{'ociVersion':'1.0.0','root':{'path':'rootfs'}}");
	/* a bundle given with a relative, non-canonical path */
	assert_int_equal(chdir(tmproot), 0);
	assert_int_equal(oci_spec_load("./bundle/", &s, &e), 0);
	assert_string_equal(s->bundle, canon);
	snprintf(rel, sizeof(rel), "%s/rootfs", canon);
	assert_string_equal(s->root_path, rel);
	oci_spec_free(s);
	s = NULL;

	/* absolute root.path is kept */
	char cfg[8400];
	snprintf(cfg, sizeof(cfg), "{'ociVersion':'1.0.0','root':{'path':'%s'}}", rootfs);
	write_config(bundle, cfg);
	assert_int_equal(oci_spec_load(bundle, &s, &e), 0);
	assert_string_equal(s->root_path, rootfs);
	oci_spec_free(s);
	s = NULL;

	/* a parse error names config.json */
	write_config(bundle, "{'ociVersion':'1.0.0'}");
	assert_int_equal(oci_spec_load(bundle, &s, &e), -1);
	assert_non_null(strstr(e.msg, "config.json: root: missing"));

	/* root.path is a file */
	char file[4300];
	snprintf(file, sizeof(file), "%s/afile", bundle);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	write_config(bundle, "{'ociVersion':'1.0.0','root':{'path':'afile'}}");
	s = (struct oci_spec *)0x1;
	assert_int_equal(oci_spec_load(bundle, &s, &e), -1);
	assert_null(s);
	assert_int_equal(e.errnum, ENOTDIR);
	assert_non_null(strstr(e.msg, "config.json: root.path: "));
	assert_non_null(strstr(e.msg, "/afile"));

	/* no bundle */
	snprintf(rel, sizeof(rel), "%s/nobundle", tmproot);
	assert_int_equal(oci_spec_load(rel, &s, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_non_null(strstr(e.msg, "nobundle"));

	/* bundle without config.json */
	snprintf(rel, sizeof(rel), "%s/empty", tmproot);
	assert_int_equal(mkdir(rel, 0755), 0);
	assert_int_equal(oci_spec_load(rel, &s, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_non_null(strstr(e.msg, "config.json"));
}

/* root.path that does not exist: ENOENT, not ENOTDIR. */
static void test_load_missing_rootfs(void **state)
{
	(void)state;
	char bundle[4096];
	struct oci_spec *s = NULL;
	kerr e = { 0 };

	snprintf(bundle, sizeof(bundle), "%s/bundle-norootfs", tmproot);
	assert_int_equal(mkdir(bundle, 0755), 0);
	write_config(bundle, "{'ociVersion':'1.0.0','root':{'path':'rootfs'}}");
	assert_int_equal(oci_spec_load(bundle, &s, &e), -1);
	assert_null(s);
	assert_non_null(strstr(e.msg, "config.json: root.path: "));
	assert_non_null(strstr(e.msg, "/bundle-norootfs/rootfs"));
	/* Regression (found by this test, fixed): src/lib/oci/spec.c oci_spec_load(): when stat() fails, `st` is
	 * uninitialised but S_ISDIR(st.st_mode) still picks the errno, so the
	 * error is ENOTDIR or ENOENT depending on stack garbage. Expected ENOENT
	 * ("No such file or directory"). */
	if (e.errnum != ENOENT) {
		print_message("errnum %d: %s\n", e.errnum, e.msg);
		fail();
	}
	assert_non_null(strstr(e.msg, "No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_minimal_config),
		cmocka_unit_test(test_unknown_fields_ignored),
		cmocka_unit_test(test_invalid_json),
		cmocka_unit_test(test_truncated_json),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_idmap_mounts),
		cmocka_unit_test(test_hostname_uts),
		cmocka_unit_test(test_edges_accepted),
		cmocka_unit_test(test_all_capabilities),
		cmocka_unit_test(test_ns_names),
		cmocka_unit_test(test_huge_integers),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_missing_rootfs),
	};
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
