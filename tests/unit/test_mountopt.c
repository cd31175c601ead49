/* Unit tests for linux/mountopt.c: every mount(8) option word, checked
 * against a table written here from mount(8) and runc's list, not read back
 * from the implementation. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "vocab/mountopt.h"

#include <linux/mount.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include <cmocka.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

struct want {
	const char *word;
	enum kmountopt_kind kind;
	unsigned long set, clear;   /* FLAG */
	unsigned long prop;         /* PROPAGATION */
	uint64_t aset, aclr;        /* RECURSIVE */
	int bind;
};

#define F(w, s, c) { w, KMOPT_FLAG, s, c, 0, 0, 0, 0 }
#define P(w, p) { w, KMOPT_PROPAGATION, 0, 0, p, 0, 0, 0 }
#define R(w, s, c) { w, KMOPT_RECURSIVE, 0, 0, 0, s, c, 0 }

static const struct want table[] = {
	F("async", 0, MS_SYNCHRONOUS),
	F("atime", 0, MS_NOATIME),
	{ "bind", KMOPT_FLAG, MS_BIND, 0, 0, 0, 0, 1 },
	F("defaults", 0, 0),
	F("dev", 0, MS_NODEV),
	F("diratime", 0, MS_NODIRATIME),
	F("dirsync", MS_DIRSYNC, 0),
	F("exec", 0, MS_NOEXEC),
	F("iversion", MS_I_VERSION, 0),
	F("lazytime", MS_LAZYTIME, 0),
	F("loud", 0, MS_SILENT),
	F("mand", MS_MANDLOCK, 0),
	F("noatime", MS_NOATIME, 0),
	F("nodev", MS_NODEV, 0),
	F("nodiratime", MS_NODIRATIME, 0),
	F("noexec", MS_NOEXEC, 0),
	F("noiversion", 0, MS_I_VERSION),
	F("nolazytime", 0, MS_LAZYTIME),
	F("nomand", 0, MS_MANDLOCK),
	F("norelatime", 0, MS_RELATIME),
	F("nostrictatime", 0, MS_STRICTATIME),
	F("nosuid", MS_NOSUID, 0),
	F("nosymfollow", MS_NOSYMFOLLOW, 0),
	{ "rbind", KMOPT_FLAG, MS_BIND | MS_REC, 0, 0, 0, 0, 1 },
	F("relatime", MS_RELATIME, 0),
	F("remount", MS_REMOUNT, 0),
	F("ro", MS_RDONLY, 0),
	F("rw", 0, MS_RDONLY),
	F("silent", MS_SILENT, 0),
	F("strictatime", MS_STRICTATIME, 0),
	F("suid", 0, MS_NOSUID),
	F("sync", MS_SYNCHRONOUS, 0),
	F("symfollow", 0, MS_NOSYMFOLLOW),

	P("private", MS_PRIVATE),
	P("rprivate", MS_PRIVATE | MS_REC),
	P("shared", MS_SHARED),
	P("rshared", MS_SHARED | MS_REC),
	P("slave", MS_SLAVE),
	P("rslave", MS_SLAVE | MS_REC),
	P("unbindable", MS_UNBINDABLE),
	P("runbindable", MS_UNBINDABLE | MS_REC),

	R("rro", MOUNT_ATTR_RDONLY, 0),
	R("rrw", 0, MOUNT_ATTR_RDONLY),
	R("rnosuid", MOUNT_ATTR_NOSUID, 0),
	R("rsuid", 0, MOUNT_ATTR_NOSUID),
	R("rnodev", MOUNT_ATTR_NODEV, 0),
	R("rdev", 0, MOUNT_ATTR_NODEV),
	R("rnoexec", MOUNT_ATTR_NOEXEC, 0),
	R("rexec", 0, MOUNT_ATTR_NOEXEC),
	R("rnodiratime", MOUNT_ATTR_NODIRATIME, 0),
	R("rdiratime", 0, MOUNT_ATTR_NODIRATIME),
	/* the atime modes are one field: the mode is set and the whole
	 * MOUNT_ATTR__ATIME mask cleared, as mount_setattr(2) requires */
	R("rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME),
	R("rnorelatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME),
	R("rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME),
	R("ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME),
	R("rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME),
	R("rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME),
	R("rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0),
	R("rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW),
};

#define N_TABLE (sizeof(table) / sizeof(table[0]))

static void test_every_option_from_zero(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_TABLE; i++) {
		const struct want *w = &table[i];
		struct kmount_flags f = { 0 };
		enum kmountopt_kind k = kmountopt_apply(w->word, &f);
		if (k != w->kind)
			fail_msg("\"%s\": kind %d, expected %d", w->word, k, w->kind);
		if (f.set != w->set || f.clear != w->clear)
			fail_msg("\"%s\": set %#lx clear %#lx, expected set %#lx clear %#lx", w->word, f.set,
				 f.clear, w->set, w->clear);
		if (f.propagation != w->prop)
			fail_msg("\"%s\": propagation %#lx, expected %#lx", w->word, f.propagation, w->prop);
		if (f.attr_set != w->aset || f.attr_clr != w->aclr)
			fail_msg("\"%s\": attr set %#llx clr %#llx, expected %#llx %#llx", w->word,
				 (unsigned long long)f.attr_set, (unsigned long long)f.attr_clr,
				 (unsigned long long)w->aset, (unsigned long long)w->aclr);
		if (f.bind != w->bind)
			fail_msg("\"%s\": bind %d, expected %d", w->word, f.bind, w->bind);
	}
}

/* An option that clears removes an earlier set, and the other way round;
 * nothing else is touched. */
static void test_every_option_over_state(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_TABLE; i++) {
		const struct want *w = &table[i];
		/* everything set */
		struct kmount_flags f = { .set = ~0UL, .clear = 0, .propagation = MS_SLAVE,
					  .attr_set = ~0ULL, .attr_clr = 0, .bind = 0 };
		kmountopt_apply(w->word, &f);
		if (w->aclr == MOUNT_ATTR__ATIME) {
			/* an atime mode replaces the atime bits, whatever was there */
			assert_true((f.attr_set & MOUNT_ATTR__ATIME) == w->aset);
			assert_true(f.attr_clr & MOUNT_ATTR__ATIME);
			continue;
		}
		if (w->kind == KMOPT_FLAG) {
			assert_true(f.set == (~0UL & ~w->clear));
			assert_true(f.clear == w->clear);
		} else {
			assert_true(f.set == ~0UL);
			assert_true(f.clear == 0);
		}
		if (w->kind == KMOPT_RECURSIVE) {
			assert_true(f.attr_set == (~0ULL & ~w->aclr));
			assert_true(f.attr_clr == w->aclr);
		} else {
			assert_true(f.attr_set == ~0ULL);
			assert_true(f.attr_clr == 0);
		}
		assert_true(f.propagation == (w->kind == KMOPT_PROPAGATION ? w->prop : (unsigned long)MS_SLAVE));

		/* everything cleared */
		struct kmount_flags g = { .set = 0, .clear = ~0UL, .attr_set = 0, .attr_clr = ~0ULL };
		kmountopt_apply(w->word, &g);
		if (w->kind == KMOPT_FLAG) {
			assert_true(g.set == w->set);
			assert_true(g.clear == (~0UL & ~w->set));
		} else {
			assert_true(g.set == 0);
			assert_true(g.clear == ~0UL);
		}
		if (w->kind == KMOPT_RECURSIVE) {
			assert_true(g.attr_set == w->aset);
			assert_true(g.attr_clr == (~0ULL & ~w->aset));
		} else {
			assert_true(g.attr_set == 0);
			assert_true(g.attr_clr == ~0ULL);
		}
	}
}

static void test_sequences(void **state)
{
	(void)state;
	struct kmount_flags f = { 0 };
	/* the last word wins */
	kmountopt_apply("ro", &f);
	kmountopt_apply("rw", &f);
	assert_int_equal(f.set, 0);
	assert_int_equal(f.clear, MS_RDONLY);
	kmountopt_apply("ro", &f);
	assert_int_equal(f.set, MS_RDONLY);
	assert_int_equal(f.clear, 0);

	/* a typical tmpfs line */
	struct kmount_flags t = { 0 };
	const char *tmpfs[] = { "nosuid", "nodev", "noexec", "relatime", "size=65536k", "mode=755", NULL };
	for (int i = 0; tmpfs[i]; i++)
		kmountopt_apply(tmpfs[i], &t);
	assert_int_equal(t.set, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
	assert_false(t.bind);

	/* a bind line */
	struct kmount_flags b = { 0 };
	const char *bind[] = { "rbind", "rprivate", "ro", "rro", "rnosuid", "rsuid", "shared", NULL };
	for (int i = 0; bind[i]; i++)
		kmountopt_apply(bind[i], &b);
	assert_true(b.bind);
	assert_int_equal(b.set, MS_BIND | MS_REC | MS_RDONLY);
	assert_int_equal(b.propagation, MS_SHARED); /* the last propagation word */
	assert_true(b.attr_set == MOUNT_ATTR_RDONLY);
	assert_true(b.attr_clr == MOUNT_ATTR_NOSUID);

	/* propagation words do not touch MS_ flags, flags do not touch propagation */
	struct kmount_flags p = { 0 };
	kmountopt_apply("rslave", &p);
	kmountopt_apply("nodev", &p);
	assert_int_equal(p.propagation, MS_SLAVE | MS_REC);
	assert_int_equal(p.set, MS_NODEV);
}

static void test_propagation_words(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_TABLE; i++) {
		unsigned long v = kmountopt_propagation(table[i].word);
		if (table[i].kind == KMOPT_PROPAGATION)
			assert_int_equal(v, table[i].prop);
		else if (v != 0)
			fail_msg("\"%s\" is not a propagation word but gave %#lx", table[i].word, v);
	}
	assert_int_equal(kmountopt_propagation("bogus"), 0);
	assert_int_equal(kmountopt_propagation(""), 0);
	assert_int_equal(kmountopt_propagation("RSLAVE"), 0);
	assert_int_equal(kmountopt_propagation("rslave "), 0);
	assert_int_equal(kmountopt_propagation("idmap"), 0);
}

static void test_data_words(void **state)
{
	(void)state;
	static const char *data[] = {
		"size=64k", "mode=1777", "uid=0", "gid=5", "lowerdir=/a:/b,upperdir=/u", "",
		"RO", "Nosuid", "nosuid ", " nosuid", "ro=1", "context=\"system_u:object_r:tmp_t:s0\"",
		"newinstance", "ptmxmode=0666", "idmapped", "idmap=1", "rbind,ro", "x-systemd.automount",
	};
	for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++) {
		struct kmount_flags f = { .set = MS_NODEV, .clear = MS_RDONLY, .propagation = MS_PRIVATE,
					  .attr_set = MOUNT_ATTR_NOEXEC, .attr_clr = MOUNT_ATTR_NODEV };
		if (kmountopt_apply(data[i], &f) != KMOPT_DATA)
			fail_msg("\"%s\" is not data", data[i]);
		/* untouched */
		assert_int_equal(f.set, MS_NODEV);
		assert_int_equal(f.clear, MS_RDONLY);
		assert_int_equal(f.propagation, MS_PRIVATE);
		assert_true(f.attr_set == MOUNT_ATTR_NOEXEC);
		assert_true(f.attr_clr == MOUNT_ATTR_NODEV);
		assert_false(f.bind);
	}
}

static void test_idmap(void **state)
{
	(void)state;
	const char *w[] = { "idmap", "ridmap" };
	for (int i = 0; i < 2; i++) {
		struct kmount_flags f = { 0 };
		assert_int_equal(kmountopt_apply(w[i], &f), KMOPT_IDMAP);
		assert_int_equal(f.idmap, i + 1);
		/* nothing for mount(2): not a flag, not data, not a bind by itself */
		assert_int_equal(f.set, 0);
		assert_int_equal(f.clear, 0);
		assert_int_equal(f.propagation, 0);
		assert_true(f.attr_set == 0 && f.attr_clr == 0);
		assert_false(f.bind);
	}
	/* the last one wins */
	struct kmount_flags f = { 0 };
	kmountopt_apply("ridmap", &f);
	kmountopt_apply("idmap", &f);
	assert_int_equal(f.idmap, 1);
}

static void test_tmpcopyup(void **state)
{
	(void)state;
	struct kmount_flags f = { 0 };
	assert_int_equal(kmountopt_apply("tmpcopyup", &f), KMOPT_EXTENSION);
	assert_int_equal(f.tmpcopyup, 1);
	assert_int_equal(f.set | f.clear | f.propagation, 0);
	assert_int_equal(kmountopt_apply("notmpcopyup", &f), KMOPT_EXTENSION);
	assert_int_equal(f.tmpcopyup, 0);
}

static void test_names(void **state)
{
	(void)state;
	const char *const *names = kmountopt_names();
	assert_non_null(names);
	size_t n = 0, n_ext = 0;
	for (; names[n]; n++) {
		assert_true(n < 1000);
		/* every listed word is understood, none is refused */
		struct kmount_flags f = { 0 };
		enum kmountopt_kind k = kmountopt_apply(names[n], &f);
		if (k == KMOPT_UNSUPPORTED || k == KMOPT_DATA)
			fail_msg("kmountopt_names() lists \"%s\" of kind %d", names[n], k);
		/* no duplicates */
		for (size_t j = 0; j < n; j++)
			assert_string_not_equal(names[j], names[n]);
		/* crun's extensions are checked in test_tmpcopyup, idmap and
		 * ridmap in test_idmap */
		if (k == KMOPT_EXTENSION || k == KMOPT_IDMAP) {
			n_ext++;
			continue;
		}
		/* and it is in our table */
		size_t i;
		for (i = 0; i < N_TABLE; i++)
			if (!strcmp(table[i].word, names[n]))
				break;
		if (i == N_TABLE)
			fail_msg("kmountopt_names() lists \"%s\", which the test table lacks", names[n]);
	}
	/* every supported word of the table is listed, and the two extensions
	 * and the two idmap words */
	assert_int_equal(n - n_ext, N_TABLE);
	assert_int_equal(n_ext, 4);
	/* stable across calls */
	const char *const *again = kmountopt_names();
	assert_ptr_equal(again, names);
	for (size_t i = 0; i <= n; i++)
		assert_ptr_equal(again[i], names[i]);
	assert_null(again[n]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_option_from_zero),
		cmocka_unit_test(test_every_option_over_state),
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_propagation_words),
		cmocka_unit_test(test_data_words),
		cmocka_unit_test(test_idmap),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_tmpcopyup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
