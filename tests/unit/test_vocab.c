/* Unit tests for the vocabulary layer (src/lib/vocab) and the enum-name
 * macro (common/names.h).  Expected numbers come from the kernel's uapi
 * headers and the runtime-spec, not from the tables under test. */
#include "common/names.h"
#include "vocab/caps.h"
#include "vocab/mountopt.h"
#include "vocab/ns.h"
#include "vocab/rlimits.h"

#include <linux/capability.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static void test_caps_both_spellings(void **state)
{
	(void)state;
	static const struct { const char *name; int nr; } t[] = {
		{ "CAP_CHOWN", CAP_CHOWN }, { "CAP_SYS_ADMIN", CAP_SYS_ADMIN }, { "CAP_NET_RAW", CAP_NET_RAW },
		{ "CAP_MKNOD", CAP_MKNOD }, { "CAP_BPF", 39 }, { "CAP_CHECKPOINT_RESTORE", 40 },
		{ "CAP_AUDIT_READ", CAP_AUDIT_READ }, { "CAP_NET_BIND_SERVICE", CAP_NET_BIND_SERVICE },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(kcap_from_name(t[i].name), t[i].nr);
		assert_int_equal(kcap_parse(t[i].name), t[i].nr);
		assert_int_equal(kcap_parse(t[i].name + 4), t[i].nr);   /* Docker's SYS_ADMIN */
		assert_string_equal(kcap_name(t[i].nr), t[i].name);
		assert_string_equal(kcap_short_name(t[i].nr), t[i].name + 4);
	}
	/* the runtime-spec form is strict about the prefix, case-insensitive as runc */
	assert_int_equal(kcap_from_name("SYS_ADMIN"), -1);
	assert_int_equal(kcap_from_name("cap_sys_admin"), CAP_SYS_ADMIN);
	assert_int_equal(kcap_parse("sys_admin"), CAP_SYS_ADMIN);
	assert_int_equal(kcap_parse("ALL"), KCAP_ALL);
	assert_int_equal(kcap_parse("CAP_ALL"), KCAP_ALL);
	assert_int_equal(kcap_from_name("CAP_ALL"), -1);
	assert_int_equal(kcap_parse("CAP_SYS_ADMINX"), -1);
	assert_int_equal(kcap_parse(""), -1);
	assert_int_equal(kcap_parse(NULL), -1);
	assert_null(kcap_name(KCAP_NAMES));
	assert_null(kcap_name(-1));
	assert_null(kcap_short_name(KCAP_NAMES));
	/* every entry round-trips and the table has no holes */
	for (int c = 0; c < KCAP_NAMES; c++) {
		assert_non_null(kcap_name(c));
		assert_int_equal(kcap_from_name(kcap_name(c)), c);
		assert_int_equal(kcap_parse(kcap_short_name(c)), c);
	}
	assert_true(kcap_last_cap() >= CAP_AUDIT_READ);
}

static void test_ns_names(void **state)
{
	(void)state;
	static const struct { const char *name, *proc; int type; } t[] = {
		{ "cgroup", "cgroup", CLONE_NEWCGROUP }, { "ipc", "ipc", CLONE_NEWIPC }, { "mount", "mnt", CLONE_NEWNS },
		{ "network", "net", CLONE_NEWNET },       { "pid", "pid", CLONE_NEWPID }, { "time", "time", CLONE_NEWTIME },
		{ "user", "user", CLONE_NEWUSER },        { "uts", "uts", CLONE_NEWUTS },
	};
	const char *const *names = kns_type_names();
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(kns_type_from_name(t[i].name), t[i].type);
		assert_string_equal(kns_type_name(t[i].type), t[i].name);
		assert_string_equal(kns_proc_name(t[i].type), t[i].proc);
		assert_non_null(names[i]);
		assert_string_equal(names[i], t[i].name);
		char path[64];
		struct stat st;
		snprintf(path, sizeof(path), "/proc/self/ns/%s", t[i].proc);
		if (t[i].type != CLONE_NEWTIME || access("/proc/self/ns/time", F_OK) == 0)
			assert_int_equal(lstat(path, &st), 0);
	}
	assert_null(names[sizeof(t) / sizeof(t[0])]);
	assert_int_equal(kns_type_from_name("net"), 0);   /* the proc name is not a type name */
	assert_int_equal(kns_type_from_name("PID"), 0);
	assert_int_equal(kns_type_from_name(NULL), 0);
	assert_string_equal(kns_type_name(CLONE_NEWNS | CLONE_NEWPID), "?");
	assert_null(kns_proc_name(0));
}

static void test_rlimit_names(void **state)
{
	(void)state;
	assert_int_equal(krlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
	assert_int_equal(krlimit_from_name("RLIMIT_NPROC"), RLIMIT_NPROC);
	assert_int_equal(krlimit_from_name("RLIMIT_RTTIME"), RLIMIT_RTTIME);
	assert_int_equal(krlimit_from_name("NOFILE"), -1);
	assert_int_equal(krlimit_from_name("rlimit_nofile"), -1);
	assert_string_equal(krlimit_name(RLIMIT_CORE), "RLIMIT_CORE");
	assert_null(krlimit_name(RLIMIT_NLIMITS));
	assert_null(krlimit_name(-1));
	size_t n = 0;
	for (const char *const *p = krlimit_names(); *p; p++, n++)
		assert_int_equal(krlimit_from_name(*p), (int)n);
	assert_int_equal(n, RLIMIT_NLIMITS);
}

static json_object *opts(const char *csv)
{
	json_object *a = json_object_new_array();
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", csv);
	char *save = NULL;
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
		json_object_array_add(a, json_object_new_string(w));
	return a;
}

static void test_mountopt_in_effect(void **state)
{
	(void)state;
	static const struct { const char *options, *word; int want; } t[] = {
		{ "ro", "ro", 1 },                 { "ro,rw", "ro", 0 },        { "rw,ro", "ro", 1 },
		{ "nosuid,suid", "nosuid", 0 },    { "suid,nosuid", "nosuid", 1 }, { "", "nosuid", 0 },
		{ "rbind", "bind", 1 },            { "bind", "rbind", 0 },      { "rbind,ro", "rbind", 1 },
		{ "rprivate,rslave", "rslave", 1 }, { "rslave,rprivate", "rslave", 0 }, { "shared", "rshared", 0 },
		{ "rro", "rro", 1 },               { "rro,rrw", "rro", 0 },     { "rro", "ro", 0 },
		{ "mode=755,size=1m", "size=1m", 1 }, { "mode=755", "size=1m", 0 },
		{ "nodev,noexec,nosuid", "noexec", 1 }, { "noexec,exec", "noexec", 0 },
		{ "rw", "rw", 1 },                 { "ro", "rw", 0 },           { "defaults", "defaults", 0 },
		{ "tmpcopyup", "tmpcopyup", 1 },   { "tmpcopyup,notmpcopyup", "tmpcopyup", 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_object *a = opts(t[i].options);
		if (kmountopt_in_effect(a, t[i].word) != t[i].want)
			fail_msg("%s in [%s]: want %d", t[i].word, t[i].options, t[i].want);
		json_object_put(a);
	}
	/* not an array, and non-string members: ignored, never a crash */
	json_object *s = json_object_new_string("ro");
	assert_int_equal(kmountopt_in_effect(s, "ro"), 0);
	assert_int_equal(kmountopt_in_effect(NULL, "ro"), 0);
	json_object_put(s);
	json_object *mixed = opts("ro");
	json_object_array_add(mixed, json_object_new_int(7));
	json_object_array_add(mixed, NULL);
	assert_int_equal(kmountopt_in_effect(mixed, "ro"), 1);
	json_object_put(mixed);
}

enum fruit { FRUIT_APPLE, FRUIT_PEAR, FRUIT_PLUM };
static const char *const fruit_table[] = { [FRUIT_APPLE] = "apple", [FRUIT_PLUM] = "plum" };
KAPSEL_DEFINE_NAME_TABLE(fruit, enum fruit, fruit_table);

static void test_name_table(void **state)
{
	(void)state;
	assert_string_equal(fruit_to_name(FRUIT_APPLE), "apple");
	assert_null(fruit_to_name(FRUIT_PEAR));   /* a hole */
	assert_string_equal(fruit_to_name(FRUIT_PLUM), "plum");
	assert_null(fruit_to_name((enum fruit)3));
	assert_null(fruit_to_name((enum fruit)-1));
	assert_int_equal(fruit_from_name("plum"), FRUIT_PLUM);
	assert_int_equal(fruit_from_name("pear"), -1);
	assert_int_equal(fruit_from_name("Plum"), -1);
	assert_int_equal(fruit_from_name(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps_both_spellings), cmocka_unit_test(test_ns_names),
		cmocka_unit_test(test_rlimit_names), cmocka_unit_test(test_mountopt_in_effect),
		cmocka_unit_test(test_name_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
