/* LSM handling: detection from a fake /sys, the refusal where the host has
 * no LSM, and the writes to /proc/thread-self/attr where it has one: only
 * through a verified procfs (a fake /proc tree is refused). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/apparmor.h"
#include "linux/lsm.h"
#include "linux/procfs.h"
#include "oci/spec.h"

static char root[PATH_MAX];

static void mkfile(const char *rel, const char *content)
{
	char p[PATH_MAX * 2], cmd[PATH_MAX * 3];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static char *slurp(const char *rel)
{
	static char buf[1024];
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/kapsel-lsm-XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void test_detect(void **state)
{
	(void)state;
	struct klsm_host h;
	klsm_detect(root, &h);
	assert_int_equal(h.apparmor, 0);
	assert_int_equal(h.selinux, 0);
	mkfile("sys/module/apparmor/parameters/enabled", "N\n");
	klsm_detect(root, &h);
	assert_int_equal(h.apparmor, 0);
	mkfile("sys/module/apparmor/parameters/enabled", "Y\n");
	mkfile("sys/fs/selinux/enforce", "1");
	klsm_detect(root, &h);
	assert_int_equal(h.apparmor, 1);
	assert_int_equal(h.selinux, 1);
}

static void test_refused_without_lsm(void **state)
{
	(void)state;
	struct klsm_host none = { 0 };
	struct oci_process p = { 0 };
	kerr e = { 0 };
	p.apparmor_profile = "docker-default";
	assert_int_equal(klsm_check_process(&none, &p, "config.json: process", &e), -1);
	assert_string_equal(e.msg, "config.json: process.apparmorProfile: \"docker-default\" cannot be applied: "
				   "this host has no AppArmor (only \"unconfined\" is accepted)");
	p.apparmor_profile = "unconfined";
	assert_int_equal(klsm_check_process(&none, &p, "config.json: process", &e), 0);
	p.apparmor_profile = "";
	assert_int_equal(klsm_check_process(&none, &p, "config.json: process", &e), 0);
	p.apparmor_profile = NULL;
	p.selinux_label = "system_u:system_r:container_t:s0";
	assert_int_equal(klsm_check_process(&none, &p, "exec", &e), -1);
	assert_non_null(strstr(e.msg, "exec.selinuxLabel"));
	struct oci_spec s = { 0 };
	s.mount_label = "system_u:object_r:container_file_t:s0";
	assert_int_equal(klsm_check_spec(&none, &s, &e), -1);
	assert_non_null(strstr(e.msg, "linux.mountLabel"));
	struct klsm_host both = { 1, 1 };
	assert_int_equal(klsm_check_spec(&both, &s, &e), 0);
	assert_int_equal(klsm_check_process(&both, &p, "exec", &e), 0);
}

/* The kernel trims the value written to attr/exec and splits it at a
 * space: " unconfined" or "unconfined\n" would run the container unconfined
 * past a policy that refuses "unconfined".  Such names are refused. */
static void test_profile_name_with_odd_bytes(void **state)
{
	(void)state;
	static const char *const bad[] = { " unconfined", "unconfined\n", "unconfined ", "\tunconfined",
					   "kapsel-default x", "a\x01b", NULL };
	struct klsm_host both = { 1, 1 };
	struct oci_process p = { 0 };
	kerr e = { 0 };
	for (const char *const *b = bad; *b; b++) {
		p.apparmor_profile = (char *)*b;
		assert_int_equal(klsm_check_process(&both, &p, "config.json: process", &e), -1);
		assert_int_equal(e.errnum, EINVAL);
		assert_non_null(strstr(e.msg, "config.json: process.apparmorProfile: "));
		assert_non_null(strstr(e.msg, "space or control character"));
	}
	p.apparmor_profile = "kapsel-default";
	assert_int_equal(klsm_check_process(&both, &p, "config.json: process", &e), 0);
	p.apparmor_profile = "parent//child";
	assert_int_equal(klsm_check_process(&both, &p, "config.json: process", &e), 0);
}

static void test_apply_only_through_procfs(void **state)
{
	(void)state;
	struct klsm_host h = { 1, 1 };
	struct oci_process p = { 0 };
	kerr e = { 0 };
	char proc[PATH_MAX + 8], link[PATH_MAX + 32];
	/* a tree that looks like /proc is refused before anything is written */
	mkfile("proc/1/task/1/attr/apparmor/exec", "");
	mkfile("proc/1/task/1/attr/exec", "");
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(link, sizeof(link), "%s/thread-self", proc);
	assert_int_equal(symlink("1/task/1", link), 0);
	int fake = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fake >= 0);
	p.apparmor_profile = "kapsel-default";
	p.selinux_label = "system_u:system_r:container_t:s0:c1,c2";
	assert_int_equal(klsm_apply_exec(&h, &p, fake, &e), -1);
	assert_non_null(strstr(e.msg, "apply AppArmor profile kapsel-default"));
	assert_non_null(strstr(e.msg, "/proc/thread-self/attr/apparmor/exec: not on procfs, refused"));
	assert_string_equal(slurp("proc/1/task/1/attr/apparmor/exec"), "");
	struct klsm_host selinux = { 0, 1 };
	assert_int_equal(klsm_apply_exec(&selinux, &p, fake, &e), -1);
	assert_non_null(strstr(e.msg, "apply SELinux label"));
	assert_string_equal(slurp("proc/1/task/1/attr/exec"), "");
	/* the session keyring's label: through the handle too */
	mkfile("proc/1/task/1/attr/keycreate", "");
	assert_int_equal(klsm_apply_keycreate(&selinux, &p, fake, &e), -1);
	assert_non_null(strstr(e.msg, "apply SELinux key label system_u:system_r:container_t:s0:c1,c2"));
	assert_non_null(strstr(e.msg, "/proc/thread-self/attr/keycreate: not on procfs, refused"));
	assert_string_equal(slurp("proc/1/task/1/attr/keycreate"), "");
	assert_int_equal(klsm_apply_keycreate(&h, &(struct oci_process){ 0 }, fake, &e), 0);
	/* without the host LSM nothing is opened at all */
	struct klsm_host none = { 0 };
	assert_int_equal(klsm_apply_exec(&none, &p, fake, &e), 0);
	assert_int_equal(klsm_apply_exec(&none, &p, -1, &e), 0);
	assert_int_equal(klsm_apply_keycreate(&none, &p, -1, &e), 0);
	close(fake);
	/* the real procfs: a profile the kernel does not have (no AppArmor, or
	 * no such profile) is an error naming it */
	int pfd = kprocfs_open(&e);
	assert_true(pfd >= 0);
	struct klsm_host aa = { 1, 0 };
	p.apparmor_profile = "kapsel-no-such-profile";
	assert_int_equal(klsm_apply_exec(&aa, &p, pfd, &e), -1);
	assert_non_null(strstr(e.msg, "apply AppArmor profile kapsel-no-such-profile"));
	close(pfd);
	char buf[64];
	struct oci_spec s = { 0 };
	s.mount_label = "lbl";
	assert_string_equal(klsm_mount_context(&h, &s, buf, sizeof(buf)), "context=\"lbl\"");
	assert_null(klsm_mount_context(&none, &s, buf, sizeof(buf)));
}

/* securityfs as the kernel shows it, faked: kapsel-default found by its
 * name file, whatever the directory's suffix */
static void test_profile_find(void **state)
{
	(void)state;
	char sfs[PATH_MAX + 8];
	struct kaa_profile p;
	kerr e = { 0 };
	snprintf(sfs, sizeof(sfs), "%s/secfs", root);
	assert_int_equal(kaa_profile_find(sfs, KAA_DEFAULT_PROFILE, &p, &e), -1);
	assert_non_null(strstr(e.msg, "is securityfs mounted"));
	mkfile("secfs/policy/profiles/other.1/name", "other\n");
	assert_int_equal(kaa_profile_find(sfs, KAA_DEFAULT_PROFILE, &p, &e), 0);
	assert_int_equal(p.loaded, 0);
	mkfile("secfs/policy/profiles/kapsel-default.4/name", "kapsel-default\n");
	mkfile("secfs/policy/profiles/kapsel-default.4/mode", "complain\n");
	mkfile("secfs/policy/profiles/kapsel-default.4/raw_sha1", "0123456789abcdef0123456789abcdef01234567\n");
	assert_int_equal(kaa_profile_find(sfs, KAA_DEFAULT_PROFILE, &p, &e), 0);
	assert_int_equal(p.loaded, 1);
	assert_string_equal(p.mode, "complain");
	assert_string_equal(p.raw_sha1, "0123456789abcdef0123456789abcdef01234567");
	/* a prefix is not the name */
	assert_int_equal(kaa_profile_find(sfs, "kapsel", &p, &e), 0);
	assert_int_equal(p.loaded, 0);
}

static int runs(void)
{
	char p[PATH_MAX + 8];
	snprintf(p, sizeof(p), "%s/runs", root);
	FILE *f = fopen(p, "r");
	int n = 0;
	for (int c; f && (c = fgetc(f)) != EOF;)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

/* kapsel-default kept current: loaded when missing, not again while the
 * file and the kernel's copy are the ones recorded, again when either
 * changed; clear errors without the file or the parser.  The parser is a
 * script that "loads" into the fake securityfs (raw_sha1: the file's sha1). */
static void test_ensure_default(void **state)
{
	(void)state;
	char sfs[PATH_MAX + 8], file[PATH_MAX + 32], st[PATH_MAX + 8], parser[PATH_MAX + 16], body[PATH_MAX * 4];
	kerr e = { 0 };
	int reloaded = -1;
	snprintf(sfs, sizeof(sfs), "%s/sfs", root);
	snprintf(file, sizeof(file), "%s/etc/kapsel-default", root);
	snprintf(st, sizeof(st), "%s/state", root);
	snprintf(parser, sizeof(parser), "%s/parser", root);
	mkfile("sfs/policy/profiles/.keep", "");
	snprintf(body, sizeof(body),
		 "#!/bin/sh\n[ \"$1 $2\" = \"--replace --\" ] || exit 3\necho \"$3\" >>'%s/runs'\n"
		 "grep -q broken \"$3\" && { echo 'AppArmor parser error at line 2: syntax' >&2; exit 1; }\n"
		 "d='%s/policy/profiles/kapsel-default.0'; mkdir -p \"$d\"\necho kapsel-default >\"$d/name\"\n"
		 "echo enforce >\"$d/mode\"\nsha1sum \"$3\" | cut -c1-40 >\"$d/raw_sha1\"\n", root, sfs);
	mkfile("parser", body);
	assert_int_equal(chmod(parser, 0755), 0);
	struct kaa_default d = { .securityfs = sfs, .file = file, .state_dir = st, .parser = parser };

	/* no file, nothing loaded */
	assert_int_equal(kaa_ensure_default(&d, &reloaded, &e), -1);
	assert_non_null(strstr(e.msg, "AppArmor profile kapsel-default is not loaded and"));
	assert_non_null(strstr(e.msg, "meson install"));
	mkfile("etc/kapsel-default", "profile kapsel-default { file, }\n");
	assert_int_equal(kaa_ensure_default(&d, &reloaded, &e), 0);
	assert_int_equal(reloaded, 1);
	assert_int_equal(runs(), 1);
	/* current: the parser is not run again */
	assert_int_equal(kaa_ensure_default(&d, &reloaded, &e), 0);
	assert_int_equal(reloaded, 0);
	assert_int_equal(runs(), 1);
	/* an updated profile is reloaded */
	mkfile("etc/kapsel-default", "profile kapsel-default { file, network, }\n");
	assert_int_equal(kaa_ensure_default(&d, &reloaded, &e), 0);
	assert_int_equal(reloaded, 1);
	assert_int_equal(runs(), 2);
	/* the kernel's copy replaced by someone else: reloaded from the file */
	mkfile("sfs/policy/profiles/kapsel-default.0/raw_sha1", "ffffffffffffffffffffffffffffffffffffffff\n");
	assert_int_equal(kaa_ensure_default(&d, &reloaded, &e), 0);
	assert_int_equal(reloaded, 1);
	assert_int_equal(runs(), 3);
	assert_int_equal(kaa_ensure_default(&d, &reloaded, &e), 0);
	assert_int_equal(runs(), 3);
	/* switched to complain mode (same record): reloaded, enforce again */
	mkfile("sfs/policy/profiles/kapsel-default.0/mode", "complain\n");
	assert_int_equal(kaa_ensure_default(&d, &reloaded, &e), 0);
	assert_int_equal(reloaded, 1);
	assert_int_equal(runs(), 4);
	/* a file that loads in complain mode is refused */
	mkfile("etc/kapsel-default", "profile kapsel-default flags=(complain) { file, }\n");
	snprintf(body, sizeof(body), "#!/bin/sh\necho \"$3\" >>'%s/runs'\nd='%s/policy/profiles/kapsel-default.0'\n"
		 "echo complain >\"$d/mode\"\nsha1sum \"$3\" | cut -c1-40 >\"$d/raw_sha1\"\n", root, sfs);
	mkfile("parser-complain", body);
	char complain[PATH_MAX + 24];
	snprintf(complain, sizeof(complain), "%s/parser-complain", root);
	assert_int_equal(chmod(complain, 0755), 0);
	d.parser = complain;
	assert_int_equal(kaa_ensure_default(&d, &reloaded, &e), -1);
	assert_non_null(strstr(e.msg, "as loaded from its file is in complain mode, not enforce"));
	assert_int_equal(runs(), 5);
	d.parser = parser;
	/* a profile the parser refuses: its message in the error */
	mkfile("etc/kapsel-default", "broken\n");
	assert_int_equal(kaa_ensure_default(&d, &reloaded, &e), -1);
	assert_non_null(strstr(e.msg, "load AppArmor profile kapsel-default: "));
	assert_non_null(strstr(e.msg, "failed (exit status 1): AppArmor parser error at line 2: syntax"));
	/* no parser */
	char gone[PATH_MAX + 16];
	snprintf(gone, sizeof(gone), "%s/no-parser", root);
	d.parser = gone;
	assert_int_equal(kaa_ensure_default(&d, &reloaded, &e), -1);
	assert_non_null(strstr(e.msg, "apparmor package"));
	/* no file, but loaded by other means: that copy is used, in enforce
	 * mode only */
	assert_int_equal(unlink(file), 0);
	assert_int_equal(kaa_ensure_default(&d, &reloaded, &e), -1);
	assert_non_null(strstr(e.msg, "(loaded by other means) is in complain mode"));
	mkfile("sfs/policy/profiles/kapsel-default.0/mode", "enforce\n");
	assert_int_equal(kaa_ensure_default(&d, &reloaded, &e), 0);
	assert_int_equal(reloaded, 0);
}

/* A named profile the kernel does not have is refused before anything is
 * made; without AppArmor, or for "unconfined", nothing is looked at. */
static void test_prepare(void **state)
{
	(void)state;
	struct klsm_host none = { 0 }, aa = { 1, 0 };
	struct oci_process p = { 0 };
	kerr e = { 0 };
	assert_null(klsm_default_apparmor(&none));
	assert_string_equal(klsm_default_apparmor(&aa), "kapsel-default");
	p.apparmor_profile = "kapsel-no-such-profile";
	assert_int_equal(klsm_prepare_process(&none, &p, "config.json: process", &e), 0);
	p.apparmor_profile = "unconfined";
	assert_int_equal(klsm_prepare_process(&aa, &p, "config.json: process", &e), 0);
	p.apparmor_profile = NULL;
	assert_int_equal(klsm_prepare_process(&aa, &p, "config.json: process", &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_refused_without_lsm),
		cmocka_unit_test(test_profile_name_with_odd_bytes),
		cmocka_unit_test(test_apply_only_through_procfs),
		cmocka_unit_test(test_profile_find),
		cmocka_unit_test(test_ensure_default),
		cmocka_unit_test(test_prepare),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
