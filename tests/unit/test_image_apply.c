/* Unit tests for the layer applier (image/apply.h): overlayfs whiteouts
 * and opaque directories, hard links into lower layers copied (and not
 * found through a whiteout or an opaque directory), parents the layer
 * omits taking the lower layer's owner, owners, modes and mtimes kept, the
 * bounds (entries, bytes, path length) and the digest checks.  The attacks
 * themselves run through `kapsel load` in
 * tests/integration/test_image_layers.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/sha256.h"
#include "common/strv.h"
#include "image/apply.h"
#include "tarbuild.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static char dir[] = "/tmp/kapsel-test-apply-XXXXXX";
static int nth;

struct result {
	int rc;
	int fd; /* the unpacked directory */
	kerr e;
	struct kapply_report rep;
};

/* Unpack the tar of ENTS onto the LOWER directories (nearest first). */
static struct result apply(const struct tent *ents, size_t n, const int *lower, size_t nlower,
			   const struct kapply_limits *lim, const char *digest, const char *diff_id)
{
	struct result r = { 0 };
	size_t len;
	char *tar = tar_build(ents, n, TAR_GZIP, &len), p[512];
	snprintf(p, sizeof(p), "%s/blob%d", dir, nth);
	tar_write_file(p, tar, len);
	free(tar);
	int blob = open(p, O_RDONLY | O_CLOEXEC);
	snprintf(p, sizeof(p), "%s/layer%d", dir, nth++);
	assert_int_equal(mkdir(p, 0755), 0);
	r.fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(blob >= 0 && r.fd >= 0);
	struct kapply_in in = { .fd = blob,
				.digest = digest,
				.diff_id = diff_id,
				.dirfd = r.fd,
				.lower = lower,
				.nlower = nlower,
				.limits = lim };
	r.rc = kapply_layer(&in, &r.rep, &r.e);
	close(blob);
	return r;
}

static struct result apply_ok(const struct tent *ents, size_t n, const int *lower, size_t nlower)
{
	struct result r = apply(ents, n, lower, nlower, NULL, NULL, NULL);
	if (r.rc < 0)
		fail_msg("apply: %s", r.e.msg);
	return r;
}

static void done(struct result *r)
{
	kapply_report_clear(&r->rep);
	close(r->fd);
}

static int is_whiteout(int fd, const char *path)
{
	struct stat st;
	return fstatat(fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

static int is_opaque(int fd, const char *path)
{
	char p[64], v[4];
	snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", fd, path);
	return getxattr(p, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

#define DIR_(p) \
	{ \
		.path = p, .mode = S_IFDIR | 0755 \
	}
#define FILE_(p, d) \
	{ \
		.path = p, .mode = S_IFREG | 0644, .data = d \
	}

static void test_whiteouts_and_opaque_dirs(void **state)
{
	(void)state;
	const struct tent ents[] = {
		DIR_("d"),
		{ .path = "d/.wh..wh..opq", .mode = S_IFREG | 0644 },
		FILE_("d/new", "n"),
		{ .path = ".wh.x", .mode = S_IFREG | 0644 },
		{ .path = ".wh.y", .mode = S_IFREG | 0644 },
		DIR_("y"), /* deleted, then made again */
		FILE_("z", "own"),
		{ .path = ".wh.z", .mode = S_IFREG | 0644 },            /* the layer's own z stays */
		{ .path = "deep/er/.wh.gone", .mode = S_IFREG | 0644 }, /* parents the layer omits */
	};
	struct result r = apply_ok(ents, ARRAY_SIZE(ents), NULL, 0);
	assert_true(is_opaque(r.fd, "d"));
	assert_true(is_whiteout(r.fd, "x"));
	assert_true(is_opaque(r.fd, "y"));
	assert_false(is_whiteout(r.fd, "y"));
	assert_false(is_whiteout(r.fd, "z"));
	assert_true(is_whiteout(r.fd, "deep/er/gone"));
	assert_false(is_opaque(r.fd, "deep"));
	done(&r);
}

static void test_hardlinks_into_lower_layers(void **state)
{
	(void)state;
	const struct tent low[] = {
		DIR_("bin"),        { .path = "bin/busybox", .mode = S_IFREG | 0755, .data = "BB", .uid = 7, .gid = 8 },
		FILE_("gone", "g"), DIR_("o"),
		FILE_("o/f", "f"),
	};
	struct result base = apply_ok(low, ARRAY_SIZE(low), NULL, 0);
	const struct tent mid[] = {
		{ .path = ".wh.gone", .mode = S_IFREG | 0644 },
		DIR_("o"),
		{ .path = "o/.wh..wh..opq", .mode = S_IFREG | 0644 },
	};
	struct result m = apply_ok(mid, ARRAY_SIZE(mid), &base.fd, 1);
	int lower[] = { m.fd, base.fd };
	const struct tent top[] = { { .path = "bin/sh", .mode = S_IFREG | 0755, .hardlink = "bin/busybox" } };
	struct result r = apply_ok(top, 1, lower, 2);
	struct stat a, b;
	assert_int_equal(fstatat(r.fd, "bin/sh", &a, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(fstatat(base.fd, "bin/busybox", &b, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(a.st_mode) && a.st_ino != b.st_ino && a.st_nlink == 1); /* a copy */
	assert_int_equal(a.st_uid, 7);
	assert_int_equal(a.st_mode & 07777, 0755);
	assert_int_equal(a.st_size, 2);
	done(&r);
	/* a whiteout in between hides the lower file; so does an opaque directory */
	const struct tent via_wh[] = { { .path = "g", .mode = S_IFREG | 0644, .hardlink = "gone" } };
	r = apply(via_wh, 1, lower, 2, NULL, NULL, NULL);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.e.errnum, ENOENT);
	assert_non_null(strstr(r.e.msg, "neither in the layer nor in a lower one"));
	done(&r);
	const struct tent via_opq[] = { { .path = "g", .mode = S_IFREG | 0644, .hardlink = "o/f" } };
	r = apply(via_opq, 1, lower, 2, NULL, NULL, NULL);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.e.errnum, ENOENT);
	done(&r);
	done(&m);
	done(&base);
}

static void test_omitted_parent_takes_the_lower_owner(void **state)
{
	(void)state;
	const struct tent low[] = {
		{ .path = "srv", .mode = S_IFDIR | 0750, .uid = 33, .gid = 34, .mtime = 1500000000 }
	};
	struct result base = apply_ok(low, 1, NULL, 0);
	const struct tent top[] = { FILE_("srv/x", "x"), FILE_("new/y", "y") };
	struct result r = apply_ok(top, 2, &base.fd, 1);
	struct stat st;
	assert_int_equal(fstatat(r.fd, "srv", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(st.st_uid, 33);
	assert_int_equal(st.st_gid, 34);
	assert_int_equal(st.st_mtime, 1500000000);
	assert_int_equal(fstatat(r.fd, "new", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(st.st_uid, 0);
	done(&r);
	done(&base);
}

static void test_owners_modes_mtimes(void **state)
{
	(void)state;
	const struct tent ents[] = {
		{ .path = "d", .mode = S_IFDIR | 0711, .uid = 5, .gid = 6, .mtime = 1600000001 },
		{ .path = "d/f", .mode = S_IFREG | 0640, .data = "x", .uid = 1234, .gid = 5678, .mtime = 1600000002 },
		{ .path = "d/l",
		  .mode = S_IFLNK | 0777,
		  .data = "/nowhere",
		  .uid = 42,
		  .gid = 43,
		  .mtime = 1600000003 },
		{ .path = "d/p", .mode = S_IFIFO | 0620, .uid = 9, .mtime = 1600000004 },
		{ .path = "d/s", .mode = S_IFREG | 06755, .data = "su" },
	};
	struct result r = apply_ok(ents, ARRAY_SIZE(ents), NULL, 0);
	struct stat st;
	assert_int_equal(fstatat(r.fd, "d/f", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(st.st_uid == 1234 && st.st_gid == 5678 && (st.st_mode & 07777) == 0640 &&
		    st.st_mtime == 1600000002);
	assert_int_equal(fstatat(r.fd, "d/l", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode) && st.st_uid == 42 && st.st_gid == 43 && st.st_mtime == 1600000003);
	assert_int_equal(fstatat(r.fd, "d/p", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISFIFO(st.st_mode) && st.st_uid == 9 && (st.st_mode & 07777) == 0620);
	assert_int_equal(fstatat(r.fd, "d/s", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_string_equal(r.rep.setuid[0], "/d/s");
	assert_int_equal(fstatat(r.fd, "d", &st, AT_SYMLINK_NOFOLLOW), 0); /* set after its entries */
	assert_true(st.st_uid == 5 && (st.st_mode & 07777) == 0711 && st.st_mtime == 1600000001);
	assert_int_equal(r.rep.entries, ARRAY_SIZE(ents));
	done(&r);
}

static void test_limits(void **state)
{
	(void)state;
	struct tent many[12];
	char names[12][8];
	for (int i = 0; i < 12; i++) {
		snprintf(names[i], sizeof(names[i]), "f%d", i);
		many[i] = (struct tent)FILE_(names[i], "x");
	}
	struct kapply_limits lim = { .max_entries = 10, .max_bytes = KAPPLY_MAX_BYTES, .max_path = KAPPLY_MAX_PATH };
	struct result r = apply(many, 12, NULL, 0, &lim, NULL, NULL);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.e.errnum, EFBIG);
	assert_non_null(strstr(r.e.msg, "entry f10: more than 10 entries"));
	done(&r);
	/* a file larger than the layer may hold: refused before its data is written */
	static char big[1 << 20];
	memset(big, 'a', sizeof(big));
	const struct tent one[] = { { .path = "big", .mode = S_IFREG | 0644, .data = big, .len = sizeof(big) } };
	lim = (struct kapply_limits){ .max_entries = 10, .max_bytes = 4 << 20, .max_path = KAPPLY_MAX_PATH };
	r = apply(one, 1, NULL, 0, &lim, NULL, NULL);
	assert_int_equal(r.rc, 0);
	done(&r);
	lim.max_bytes = 512 << 10;
	r = apply(one, 1, NULL, 0, &lim, NULL, NULL);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.e.errnum, EFBIG);
	assert_non_null(strstr(r.e.msg, "limit"));
	struct stat st;
	assert_true(fstatat(r.fd, "big", &st, 0) < 0 || st.st_size < (off_t)sizeof(big));
	done(&r);
	lim = (struct kapply_limits){ .max_entries = 10, .max_bytes = KAPPLY_MAX_BYTES, .max_path = 8 };
	const struct tent lng[] = { FILE_("abcdefghij", "x") };
	r = apply(lng, 1, NULL, 0, &lim, NULL, NULL);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.e.errnum, ENAMETOOLONG);
	done(&r);
}

static void test_report_lists_are_bounded(void **state)
{
	(void)state;
	enum { N = KAPPLY_REPORT_MAX + 5 };
	static struct tent ents[N];
	static char names[N][16];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "s%d", i);
		ents[i] = (struct tent){ .path = names[i], .mode = S_IFREG | 04755, .data = "x" };
	}
	struct result r = apply_ok(ents, N, NULL, 0);
	assert_int_equal(r.rep.nsetuid, N);
	assert_int_equal(kstrv_len(r.rep.setuid), KAPPLY_REPORT_MAX);
	done(&r);
}

static void test_digests_are_checked(void **state)
{
	(void)state;
	const struct tent ents[] = { FILE_("a", "a") };
	size_t len;
	char *tar = tar_build(ents, 1, TAR_GZIP, &len), *plain = tar_build(ents, 1, 0, &len), d[KSHA256_DIGEST],
	     p[KSHA256_DIGEST];
	uint8_t sum[KSHA256_LEN];
	ksha256(tar, 0, sum); /* some other digest */
	ksha256_digest(sum, d);
	ksha256(plain, len, sum); /* the right diff_id */
	ksha256_digest(sum, p);
	struct result r = apply(ents, 1, NULL, 0, NULL, NULL, p);
	assert_int_equal(r.rc, 0);
	done(&r);
	r = apply(ents, 1, NULL, 0, NULL, d, NULL);
	assert_int_equal(r.rc, -1);
	assert_non_null(strstr(r.e.msg, "layer blob"));
	done(&r);
	r = apply(ents, 1, NULL, 0, NULL, NULL, d);
	assert_int_equal(r.rc, -1);
	assert_non_null(strstr(r.e.msg, "diff_id"));
	done(&r);
	free(tar);
	free(plain);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whiteouts_and_opaque_dirs),
		cmocka_unit_test(test_hardlinks_into_lower_layers),
		cmocka_unit_test(test_omitted_parent_takes_the_lower_owner),
		cmocka_unit_test(test_owners_modes_mtimes),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_report_lists_are_bounded),
		cmocka_unit_test(test_digests_are_checked),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
