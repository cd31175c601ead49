/* Unit tests for common/fs.c: resolution inside a container root against a
 * fake root full of hostile symlinks, with openat2(RESOLVE_IN_ROOT) and with
 * the fallback walk; directory and file creation inside the root; the whole
 * file read and write helpers.
 *
 * Every resolution is checked by identity (st_dev, st_ino) against the file
 * that must be reached inside the fake root; every creation is checked on the
 * host side too, under a name unique to this run. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* paths are built in PATH_MAX buffers from short parts */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static char tmp[] = "/tmp/kapsel-test-fs-XXXXXX";
static char root[PATH_MAX];
static char uniq[64];     /* a name that exists nowhere yet */
static int rootfd = -1;

/* ---- helpers ---- */

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

static void mk(const char *rel)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (mkdir(p, 0755) < 0)
		fail_msg("mkdir %s: %m", p);
}

static void put(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	if (!f)
		fail_msg("create %s: %m", path);
	fputs(content, f);
	fclose(f);
}

static void file(const char *rel, const char *content)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	put(p, content);
}

static void ln(const char *target, const char *rel)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (symlink(target, p) < 0)
		fail_msg("symlink %s -> %s: %m", p, target);
}

static int exists_host(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0;
}

static int exists_in_root(const char *rel)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return exists_host(p);
}

static int setup(void **state)
{
	(void)state;
	char p[PATH_MAX + 64];

	if (!mkdtemp(tmp))
		return -1;
	umask(022);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	snprintf(uniq, sizeof(uniq), "kapsel-test-%d-%ld", (int)getpid(), (long)random());
	snprintf(root, sizeof(root), "%s/root", tmp);
	if (mkdir(root, 0755) < 0)
		return -1;

	/* the files a resolution may reach */
	mk("etc");
	file("etc/passwd", "inside-passwd\n");
	mk("a");
	mk("a/b");
	file("a/b/file", "inside-ab-file\n");
	mk("d");
	/* a file outside the root, next to it */
	snprintf(p, sizeof(p), "%s/hostsecret", tmp);
	put(p, "HOST-SECRET\n");

	/* hostile links */
	ln("/etc", "abs");                              /* absolute, to a host dir */
	ln("../../../../etc", "a/b/rel");               /* relative, climbing out */
	ln("/", "toroot");                              /* the root itself */
	ln("c2", "c1");                                 /* a chain: c1 -> c2 -> /c3 -> ... */
	ln("/c3", "c2");
	ln("a/b/../../etc/passwd", "c3");
	ln("loop2", "loop1");                           /* a loop */
	ln("/loop1", "loop2");
	ln("self", "self");
	ln("/a/b", "d/mid");                            /* a directory link mid-path */
	ln("../../../..", "a/up");
	ln("/etc/passwd", "passwdlink");                /* last component */
	ln("..", "etc/dotdot");
	snprintf(p, sizeof(p), "%s/hostsecret", tmp);
	ln(p, "secret");                                /* absolute host path */
	ln("../../hostsecret", "a/secret2");            /* relative to the host file */
	ln(tmp, "tohost");                              /* absolute host directory */

	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return rootfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	kfs_force_fallback(0);
	close(rootfd);
	return nftw(tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void same_file(int fd, const char *rel)
{
	char p[PATH_MAX];
	struct stat a, b;
	snprintf(p, sizeof(p), "%s%s%s", root, *rel ? "/" : "", rel);
	assert_int_equal(fstat(fd, &a), 0);
	if (stat(p, &b) < 0)
		fail_msg("stat %s: %m", p);
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		fail_msg("resolved to inode %lu, expected %s (inode %lu)", (unsigned long)a.st_ino, p,
			 (unsigned long)b.st_ino);
}

static void read_fd_expect(int fd, const char *content)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, content);
}

/* ---- resolution ---- */

struct res {
	const char *path;
	const char *expect;   /* relative to the fake root; NULL: an error */
	int err;              /* the errno then */
};

static const struct res resolutions[] = {
	{ "/etc/passwd", "etc/passwd", 0 },
	{ "etc/passwd", "etc/passwd", 0 },
	{ "/abs/passwd", "etc/passwd", 0 },
	{ "abs/passwd", "etc/passwd", 0 },
	{ "/abs", "etc", 0 },
	{ "/abs/", "etc", 0 },
	{ "/a/b/rel/passwd", "etc/passwd", 0 },
	{ "/a/b/rel", "etc", 0 },
	{ "/a/b/rel/../a/b/file", "a/b/file", 0 },
	{ "/toroot/etc/passwd", "etc/passwd", 0 },
	{ "/toroot/toroot/toroot/a/b/file", "a/b/file", 0 },
	{ "/toroot", "", 0 },
	{ "/c1", "etc/passwd", 0 },
	{ "/c2", "etc/passwd", 0 },
	{ "/d/mid/file", "a/b/file", 0 },
	{ "/d/mid/rel/passwd", "etc/passwd", 0 },
	{ "/d/mid", "a/b", 0 },
	{ "/a/up/etc/passwd", "etc/passwd", 0 },
	{ "/a/up/a/up/a/b/file", "a/b/file", 0 },
	{ "/a/up", "", 0 },
	{ "/../../../etc/passwd", "etc/passwd", 0 },
	{ "../etc/passwd", "etc/passwd", 0 },
	{ "/a/../../../a/b/file", "a/b/file", 0 },
	{ "/passwdlink", "etc/passwd", 0 },
	{ "/etc/dotdot/etc/passwd", "etc/passwd", 0 },
	{ "/etc/dotdot/../../etc/dotdot/etc/passwd", "etc/passwd", 0 },
	{ "//etc///passwd", "etc/passwd", 0 },
	{ "/./etc/./passwd", "etc/passwd", 0 },
	{ "/etc/", "etc", 0 },
	{ "/etc/.", "etc", 0 },
	{ "/etc/..", "", 0 },
	{ "/..", "", 0 },
	{ "/", "", 0 },
	{ "", "", 0 },
	{ "/secret", NULL, ENOENT },
	{ "/a/secret2", NULL, ENOENT },
	{ "/tohost/hostsecret", NULL, ENOENT },
	{ "/loop1", NULL, ELOOP },
	{ "/loop1/x", NULL, ELOOP },
	{ "/loop2", NULL, ELOOP },
	{ "/self", NULL, ELOOP },
	{ "/a/self/../b", NULL, ENOENT },
	{ "/nonexistent", NULL, ENOENT },
	{ "/etc/passwd/x", NULL, ENOTDIR },
};

static void check_resolutions(void)
{
	for (size_t i = 0; i < sizeof(resolutions) / sizeof(resolutions[0]); i++) {
		const struct res *r = &resolutions[i];
		errno = 0;
		int fd = kfs_open_in_root(rootfd, r->path, O_PATH, 0);
		if (!r->expect) {
			if (fd >= 0) {
				char lnk[64], to[PATH_MAX] = "";
				snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d", fd);
				(void)!readlink(lnk, to, sizeof(to) - 1);
				close(fd);
				fail_msg("\"%s\" resolved to %s, expected errno %d", r->path, to, r->err);
			}
			if (errno != r->err)
				fail_msg("\"%s\": errno %d (%s), expected %d", r->path, errno, strerror(errno), r->err);
			continue;
		}
		if (fd < 0)
			fail_msg("\"%s\": %s", r->path, strerror(errno));
		/* O_CLOEXEC is always added */
		assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		same_file(fd, r->expect);
		close(fd);

		/* opened for real, regular files show the inside content */
		struct stat sb;
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", root, r->expect);
		assert_int_equal(stat(p, &sb), 0);
		fd = kfs_open_in_root(rootfd, r->path, S_ISDIR(sb.st_mode) ? O_RDONLY | O_DIRECTORY : O_RDONLY, 0);
		if (fd < 0)
			fail_msg("\"%s\" O_RDONLY: %s", r->path, strerror(errno));
		same_file(fd, r->expect);
		assert_false(fcntl(fd, F_GETFL) & O_PATH);
		if (!strcmp(r->expect, "etc/passwd"))
			read_fd_expect(fd, "inside-passwd\n");
		else if (!strcmp(r->expect, "a/b/file"))
			read_fd_expect(fd, "inside-ab-file\n");
		close(fd);
	}
}

static void test_resolve_openat2(void **state)
{
	(void)state;
	if (!kfs_have_openat2())
		skip();
	kfs_force_fallback(0);
	check_resolutions();
}

static void test_resolve_fallback(void **state)
{
	(void)state;
	kfs_force_fallback(1);
	check_resolutions();
	kfs_force_fallback(0);
}

/* O_CREAT through a link to a host directory creates inside the root. */
static void check_create_through_links(const char *tag)
{
	char rel[PATH_MAX], host[PATH_MAX], name[128];
	snprintf(name, sizeof(name), "%s-%s", uniq, tag);

	const char *via[] = { "/abs/%s", "/a/b/rel/%s", "/toroot/etc/%s", "/d/mid/rel/%s" };
	for (size_t i = 0; i < sizeof(via) / sizeof(via[0]); i++) {
		char path[PATH_MAX], n2[160];
		snprintf(n2, sizeof(n2), "%s-%zu", name, i);
		snprintf(path, sizeof(path), via[i], n2);
		int fd = kfs_open_in_root(rootfd, path, O_CREAT | O_WRONLY | O_EXCL, 0640);
		if (fd < 0)
			fail_msg("create %s: %m", path);
		assert_int_equal(write(fd, "x", 1), 1);
		close(fd);
		snprintf(rel, sizeof(rel), "etc/%s", n2);
		assert_true(exists_in_root(rel));
		snprintf(host, sizeof(host), "/etc/%s", n2);
		assert_false(exists_host(host));
		struct stat sb;
		snprintf(host, sizeof(host), "%s/%s", root, rel);
		assert_int_equal(stat(host, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0640);
		assert_int_equal(sb.st_size, 1);
		/* O_EXCL on what now exists */
		fd = kfs_open_in_root(rootfd, path, O_CREAT | O_WRONLY | O_EXCL, 0640);
		assert_int_equal(fd, -1);
		assert_int_equal(errno, EEXIST);
	}

	/* a dangling last-component link to a host path: never created on the host */
	char target[PATH_MAX], lnk[128];
	snprintf(target, sizeof(target), "/etc/%s-dangle", name);
	snprintf(lnk, sizeof(lnk), "dangle-%s", tag);
	ln(target, lnk);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "/%s", lnk);
	int fd = kfs_open_in_root(rootfd, path, O_CREAT | O_WRONLY, 0600);
	if (fd >= 0)
		close(fd);
	assert_false(exists_host(target));
	snprintf(host, sizeof(host), "%s/%s-dangle", tmp, name);
	assert_false(exists_host(host));
	/* the only acceptable result is the file inside the root, or no file */
	snprintf(rel, sizeof(rel), "etc/%s-dangle", name);
	if (fd >= 0)
		assert_true(exists_in_root(rel));
	else
		assert_false(exists_in_root(rel));
}

static void test_create_openat2(void **state)
{
	(void)state;
	if (!kfs_have_openat2())
		skip();
	kfs_force_fallback(0);
	check_create_through_links("o2");
}

static void test_create_fallback(void **state)
{
	(void)state;
	kfs_force_fallback(1);
	check_create_through_links("fb");
	kfs_force_fallback(0);
}

static void test_long_path(void **state)
{
	(void)state;
	char *p = malloc(PATH_MAX + 10);
	memset(p, 'a', PATH_MAX + 9);
	p[PATH_MAX + 9] = '\0';
	for (int fb = 0; fb <= 1; fb++) {
		kfs_force_fallback(fb);
		errno = 0;
		assert_int_equal(kfs_open_in_root(rootfd, p, O_PATH, 0), -1);
		assert_int_equal(errno, ENAMETOOLONG);
		assert_int_equal(kfs_mkdir_in_root(rootfd, p, 0755), -1);
		assert_int_equal(errno, ENAMETOOLONG);
	}
	kfs_force_fallback(0);
	free(p);
}

/* ---- mkdir / mkpath in root ---- */

static void check_mkdir(const char *tag)
{
	char path[PATH_MAX], rel[PATH_MAX], host[PATH_MAX];
	struct stat sb;
	int fd;

	/* plain nested */
	snprintf(path, sizeof(path), "/%s-%s/x/y/z", uniq, tag);
	fd = kfs_mkdir_in_root(rootfd, path, 0700);
	if (fd < 0)
		fail_msg("mkdir %s: %m", path);
	snprintf(rel, sizeof(rel), "%s-%s/x/y/z", uniq, tag);
	same_file(fd, rel);
	assert_true(fcntl(fd, F_GETFL) & O_PATH);
	close(fd);
	snprintf(host, sizeof(host), "%s/%s", root, rel);
	assert_int_equal(stat(host, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	/* again: it exists, same directory back */
	fd = kfs_mkdir_in_root(rootfd, path, 0700);
	assert_true(fd >= 0);
	same_file(fd, rel);
	close(fd);
	/* relative, with a trailing slash and doubled slashes */
	snprintf(path, sizeof(path), "%s-%s-rel//p/q/", uniq, tag);
	fd = kfs_mkdir_in_root(rootfd, path, 0755);
	if (fd < 0)
		fail_msg("mkdir %s: %m", path);
	snprintf(rel, sizeof(rel), "%s-%s-rel/p/q", uniq, tag);
	same_file(fd, rel);
	close(fd);

	/* through a link to "/" */
	snprintf(path, sizeof(path), "/toroot/%s-%s-viaroot/sub/deeper", uniq, tag);
	fd = kfs_mkdir_in_root(rootfd, path, 0755);
	if (fd < 0)
		fail_msg("mkdir %s: %m", path);
	snprintf(rel, sizeof(rel), "%s-%s-viaroot/sub/deeper", uniq, tag);
	same_file(fd, rel);
	close(fd);
	snprintf(host, sizeof(host), "/%s-%s-viaroot", uniq, tag);
	assert_false(exists_host(host));

	/* through an absolute link to /etc and a relative one climbing out */
	const char *via[] = { "/abs", "/a/b/rel", "/a/up/etc", "/d/mid/rel", "/../../abs" };
	for (size_t i = 0; i < sizeof(via) / sizeof(via[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s-%s-md%zu/deeper", via[i], uniq, tag, i);
		fd = kfs_mkdir_in_root(rootfd, path, 0755);
		if (fd < 0)
			fail_msg("mkdir %s: %m", path);
		snprintf(rel, sizeof(rel), "etc/%s-%s-md%zu/deeper", uniq, tag, i);
		same_file(fd, rel);
		close(fd);
		snprintf(host, sizeof(host), "/etc/%s-%s-md%zu", uniq, tag, i);
		assert_false(exists_host(host));
	}

	/* ".." above the root */
	snprintf(path, sizeof(path), "/../../%s-%s-up/../%s-%s-up2", uniq, tag, uniq, tag);
	fd = kfs_mkdir_in_root(rootfd, path, 0755);
	if (fd < 0)
		fail_msg("mkdir %s: %m", path);
	snprintf(rel, sizeof(rel), "%s-%s-up2", uniq, tag);
	same_file(fd, rel);
	close(fd);
	snprintf(host, sizeof(host), "%s/%s-%s-up2", tmp, uniq, tag);
	assert_false(exists_host(host));
	snprintf(host, sizeof(host), "/%s-%s-up2", uniq, tag);
	assert_false(exists_host(host));

	/* a link to a host directory: never created in the host directory */
	snprintf(path, sizeof(path), "/tohost/%s-%s-th", uniq, tag);
	fd = kfs_mkdir_in_root(rootfd, path, 0755);
	if (fd >= 0)
		close(fd);
	snprintf(host, sizeof(host), "%s/%s-%s-th", tmp, uniq, tag);
	assert_false(exists_host(host));

	/* a loop and a file in the way are errors */
	snprintf(path, sizeof(path), "/loop1/%s", uniq);
	assert_int_equal(kfs_mkdir_in_root(rootfd, path, 0755), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(kfs_mkdir_in_root(rootfd, "/etc/passwd/sub", 0755), -1);
	assert_true(errno == ENOTDIR || errno == EEXIST);
	assert_int_equal(kfs_mkdir_in_root(rootfd, "/etc/passwd", 0755), -1);
	assert_true(errno == ENOTDIR || errno == EEXIST);
}

static void test_mkdir_openat2(void **state)
{
	(void)state;
	if (!kfs_have_openat2())
		skip();
	kfs_force_fallback(0);
	check_mkdir("o2");
}

static void test_mkdir_fallback(void **state)
{
	(void)state;
	kfs_force_fallback(1);
	check_mkdir("fb");
	kfs_force_fallback(0);
}

/* A mount destination that is a dangling link inside the image (/var/run ->
 * /run with no /run yet) must be created at the link's target, inside. */
static void test_mkdir_dangling_link(void **state)
{
	(void)state;
	char target[PATH_MAX], path[PATH_MAX], rel[PATH_MAX];
	int bugs = 0;
	for (int fb = 0; fb <= 1; fb++) {
		kfs_force_fallback(fb);
		snprintf(target, sizeof(target), "/%s-run%d", uniq, fb);
		snprintf(rel, sizeof(rel), "varrun%d", fb);
		ln(target, rel);
		snprintf(path, sizeof(path), "/varrun%d/sub", fb);
		errno = 0;
		int fd = kfs_mkdir_in_root(rootfd, path, 0755);
		/* never on the host */
		snprintf(rel, sizeof(rel), "/%s-run%d", uniq, fb);
		assert_false(exists_host(rel));
		if (fd < 0) {
			print_message("%s mode: kfs_mkdir_in_root(\"%s\"): %s\n", fb ? "fallback" : "openat2",
				      path, strerror(errno));
			bugs++;
			continue;
		}
		snprintf(rel, sizeof(rel), "%s-run%d/sub", uniq, fb);
		same_file(fd, rel);
		close(fd);
	}
	kfs_force_fallback(0);
	/* Regression (found by this test, fixed): src/lib/common/fs.c kfs_mkdir_in_root(): a path component that is
	 * a dangling symlink (e.g. /var/run -> /run while /run is missing) is
	 * "created" with mkdirat(), which fails with EEXIST on the link and is
	 * ignored; resolving the next component then fails with ENOENT. The
	 * whole call fails with ENOENT instead of creating the link target inside
	 * the root (runc and crun create it). */
	if (bugs)
		fail();
}

static void check_mkpath(const char *tag)
{
	char path[PATH_MAX], rel[PATH_MAX], host[PATH_MAX];
	struct stat sb;
	int fd;

	/* a file with missing parents */
	snprintf(path, sizeof(path), "/%s-%s-mp/m/n/file.conf", uniq, tag);
	fd = kfs_mkpath_in_root(rootfd, path, 0, 0644);
	if (fd < 0)
		fail_msg("mkpath %s: %m", path);
	snprintf(rel, sizeof(rel), "%s-%s-mp/m/n/file.conf", uniq, tag);
	same_file(fd, rel);
	assert_true(fcntl(fd, F_GETFL) & O_PATH);
	close(fd);
	snprintf(host, sizeof(host), "%s/%s", root, rel);
	assert_int_equal(stat(host, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_size, 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	snprintf(host, sizeof(host), "%s/%s-%s-mp/m", root, uniq, tag);
	assert_int_equal(stat(host, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));

	/* existing: kept, content untouched */
	fd = kfs_mkpath_in_root(rootfd, "/etc/passwd", 0, 0600);
	assert_true(fd >= 0);
	same_file(fd, "etc/passwd");
	close(fd);
	snprintf(host, sizeof(host), "%s/etc/passwd", root);
	assert_int_equal(stat(host, &sb), 0);
	assert_int_equal(sb.st_size, strlen("inside-passwd\n"));

	/* a file at the top */
	snprintf(path, sizeof(path), "/%s-%s-top", uniq, tag);
	fd = kfs_mkpath_in_root(rootfd, path, 0, 0600);
	assert_true(fd >= 0);
	snprintf(rel, sizeof(rel), "%s-%s-top", uniq, tag);
	same_file(fd, rel);
	close(fd);
	snprintf(path, sizeof(path), "%s-%s-top2", uniq, tag);
	fd = kfs_mkpath_in_root(rootfd, path, 0, 0600);
	assert_true(fd >= 0);
	same_file(fd, path);
	close(fd);

	/* through hostile links */
	snprintf(path, sizeof(path), "/abs/%s-%s.conf", uniq, tag);
	fd = kfs_mkpath_in_root(rootfd, path, 0, 0644);
	if (fd < 0)
		fail_msg("mkpath %s: %m", path);
	snprintf(rel, sizeof(rel), "etc/%s-%s.conf", uniq, tag);
	same_file(fd, rel);
	close(fd);
	snprintf(host, sizeof(host), "/etc/%s-%s.conf", uniq, tag);
	assert_false(exists_host(host));

	snprintf(path, sizeof(path), "/a/b/rel/%s-%s-new/x.conf", uniq, tag);
	fd = kfs_mkpath_in_root(rootfd, path, 0, 0644);
	if (fd < 0)
		fail_msg("mkpath %s: %m", path);
	snprintf(rel, sizeof(rel), "etc/%s-%s-new/x.conf", uniq, tag);
	same_file(fd, rel);
	close(fd);
	snprintf(host, sizeof(host), "/etc/%s-%s-new", uniq, tag);
	assert_false(exists_host(host));

	/* a dangling last-component link to a host file: nothing on the host */
	char target[PATH_MAX], lnk[PATH_MAX];
	snprintf(target, sizeof(target), "/etc/%s-%s-dl", uniq, tag);
	snprintf(lnk, sizeof(lnk), "mpdangle-%s", tag);
	ln(target, lnk);
	snprintf(path, sizeof(path), "/%s", lnk);
	fd = kfs_mkpath_in_root(rootfd, path, 0, 0644);
	if (fd >= 0)
		close(fd);
	assert_false(exists_host(target));

	/* is_dir */
	snprintf(path, sizeof(path), "/abs/%s-%s-dir/a/b", uniq, tag);
	fd = kfs_mkpath_in_root(rootfd, path, 1, 0755);
	if (fd < 0)
		fail_msg("mkpath dir %s: %m", path);
	snprintf(rel, sizeof(rel), "etc/%s-%s-dir/a/b", uniq, tag);
	same_file(fd, rel);
	close(fd);
	snprintf(host, sizeof(host), "%s/%s", root, rel);
	assert_int_equal(stat(host, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));

	/* a file in the way of a parent */
	assert_int_equal(kfs_mkpath_in_root(rootfd, "/etc/passwd/x.conf", 0, 0644), -1);
	assert_true(errno == ENOTDIR || errno == EEXIST);
}

static void test_mkpath_openat2(void **state)
{
	(void)state;
	if (!kfs_have_openat2())
		skip();
	kfs_force_fallback(0);
	check_mkpath("o2");
}

static void test_mkpath_fallback(void **state)
{
	(void)state;
	kfs_force_fallback(1);
	check_mkpath("fb");
	kfs_force_fallback(0);
}

/* ---- whole-file helpers ---- */

static void count_tmp(const char *dir, int *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	assert_non_null(d);
	*n = 0;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".tmp"))
			(*n)++;
	closedir(d);
}

static void test_read_write(void **state)
{
	(void)state;
	char dir[PATH_MAX], p[PATH_MAX + 32];
	kerr e = { 0 };
	char *buf = NULL;
	size_t len = 0;

	snprintf(dir, sizeof(dir), "%s/rw", tmp);
	assert_int_equal(mkdir(dir, 0755), 0);

	/* small text */
	snprintf(p, sizeof(p), "%s/small", dir);
	assert_int_equal(kfs_write_file(p, "hello\n", 6, 0640, 0, &e), 0);
	struct stat sb;
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	assert_int_equal(kfs_read_file(p, &buf, &len, &e), 0);
	assert_int_equal(len, 6);
	assert_string_equal(buf, "hello\n");
	free(buf);
	/* len may be NULL */
	assert_int_equal(kfs_read_file(p, &buf, NULL, &e), 0);
	assert_string_equal(buf, "hello\n");
	free(buf);
	/* overwrite shorter: truncated */
	assert_int_equal(kfs_write_file(p, "hi", 2, 0640, 0, &e), 0);
	assert_int_equal(kfs_read_file(p, &buf, &len, &e), 0);
	assert_int_equal(len, 2);
	assert_string_equal(buf, "hi");
	free(buf);

	/* empty */
	snprintf(p, sizeof(p), "%s/empty", dir);
	assert_int_equal(kfs_write_file(p, "", 0, 0600, 0, &e), 0);
	assert_int_equal(kfs_read_file(p, &buf, &len, &e), 0);
	assert_int_equal(len, 0);
	assert_int_equal(buf[0], '\0');
	free(buf);

	/* large, binary, with NULs, across the 4096 growth steps */
	size_t big = 300000 + 7;
	char *data = malloc(big);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)(i * 131 + (i >> 9));
	data[0] = '\0';
	data[4095] = '\0';
	snprintf(p, sizeof(p), "%s/big", dir);
	assert_int_equal(kfs_write_file(p, data, big, 0600, 0, &e), 0);
	assert_int_equal(kfs_read_file(p, &buf, &len, &e), 0);
	assert_int_equal(len, big);
	assert_memory_equal(buf, data, big);
	assert_int_equal(buf[big], '\0');
	free(buf);

	/* exactly 4095 and 4096 bytes (the buffer growth edge) */
	for (size_t n = 4094; n <= 4097; n++) {
		snprintf(p, sizeof(p), "%s/edge%zu", dir, n);
		assert_int_equal(kfs_write_file(p, data, n, 0600, 0, &e), 0);
		assert_int_equal(kfs_read_file(p, &buf, &len, &e), 0);
		assert_int_equal(len, n);
		assert_memory_equal(buf, data, n);
		assert_int_equal(buf[n], '\0');
		free(buf);
	}

	/* from a pipe */
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(write(pfd[1], "piped", 5), 5);
	close(pfd[1]);
	assert_int_equal(kfs_read_fd(pfd[0], &buf, &len, &e), 0);
	assert_int_equal(len, 5);
	assert_string_equal(buf, "piped");
	free(buf);
	close(pfd[0]);

	/* procfs files report size 0 but have content */
	assert_int_equal(kfs_read_file("/proc/self/status", &buf, &len, &e), 0);
	assert_true(len > 0);
	assert_non_null(strstr(buf, "Pid:"));
	free(buf);

	/* errors name the file and the cause */
	snprintf(p, sizeof(p), "%s/missing", dir);
	kerr_clear(&e);
	buf = (char *)0x1;
	assert_int_equal(kfs_read_file(p, &buf, &len, &e), -1);
	assert_ptr_equal(buf, (char *)0x1);
	assert_int_equal(e.errnum, ENOENT);
	assert_non_null(strstr(e.msg, p));
	assert_non_null(strstr(e.msg, "No such file or directory"));
	kerr_clear(&e);
	assert_int_equal(kfs_read_file(dir, &buf, &len, &e), -1); /* a directory */
	assert_int_equal(e.errnum, EISDIR);
	assert_non_null(strstr(e.msg, dir));
	snprintf(p, sizeof(p), "%s/nodir/file", dir);
	kerr_clear(&e);
	assert_int_equal(kfs_write_file(p, "x", 1, 0600, 0, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_non_null(strstr(e.msg, p));
	kerr_clear(&e);
	assert_int_equal(kfs_write_file(p, "x", 1, 0600, 1, &e), -1);
	assert_int_equal(e.errnum, ENOENT);

	/* write_str: only to an existing file, no O_CREAT */
	snprintf(p, sizeof(p), "%s/str", dir);
	kerr_clear(&e);
	assert_int_equal(kfs_write_str(p, "1", &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_false(exists_host(p));
	put(p, "old-content");
	assert_int_equal(kfs_write_str(p, "new", &e), 0);
	assert_int_equal(kfs_read_file(p, &buf, &len, &e), 0);
	assert_int_equal(len, strlen("old-content"));
	assert_memory_equal(buf, "new", 3); /* no truncation: sysfs semantics */
	free(buf);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(kfs_write_str_at(dfd, "str", "NEW", &e), 0);
	assert_int_equal(kfs_read_file(p, &buf, &len, &e), 0);
	assert_memory_equal(buf, "NEW", 3);
	free(buf);
	kerr_clear(&e);
	assert_int_equal(kfs_write_str_at(dfd, "nope", "x", &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_non_null(strstr(e.msg, "nope"));
	close(dfd);

	free(data);
	int n;
	count_tmp(dir, &n);
	assert_int_equal(n, 0);
}

static void test_write_atomic(void **state)
{
	(void)state;
	char dir[PATH_MAX], p[PATH_MAX + 32], t[PATH_MAX + 40];
	kerr e = { 0 };
	char *buf;
	size_t len;
	struct stat a, b;

	snprintf(dir, sizeof(dir), "%s/atomic", tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(p, sizeof(p), "%s/state.json", dir);
	snprintf(t, sizeof(t), "%s.tmp", p);

	assert_int_equal(kfs_write_file(p, "{\"v\":1}", 7, 0600, 1, &e), 0);
	assert_int_equal(kfs_read_file(p, &buf, &len, &e), 0);
	assert_string_equal(buf, "{\"v\":1}");
	free(buf);
	assert_int_equal(stat(p, &a), 0);
	assert_int_equal(a.st_mode & 0777, 0600);
	assert_false(exists_host(t));

	/* a reader holding the old file keeps seeing the old content */
	int old = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(old >= 0);
	assert_int_equal(kfs_write_file(p, "{\"v\":22}", 8, 0600, 1, &e), 0);
	assert_int_equal(stat(p, &b), 0);
	assert_true(a.st_ino != b.st_ino); /* replaced, not rewritten in place */
	read_fd_expect(old, "{\"v\":1}");
	close(old);
	assert_int_equal(kfs_read_file(p, &buf, &len, &e), 0);
	assert_int_equal(len, 8);
	assert_string_equal(buf, "{\"v\":22}");
	free(buf);
	assert_false(exists_host(t));
	int n;
	count_tmp(dir, &n);
	assert_int_equal(n, 0);
}

/* A failed atomic write leaves the old file and no temporary behind. */
static void test_write_atomic_failure(void **state)
{
	(void)state;
	char dir[PATH_MAX], p[PATH_MAX + 32], t[PATH_MAX + 40];
	snprintf(dir, sizeof(dir), "%s/atomic-fail", tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(p, sizeof(p), "%s/state.json", dir);
	snprintf(t, sizeof(t), "%s.tmp", p);
	put(p, "old");

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* writes beyond 16 bytes fail with EFBIG */
		struct rlimit rl = { 16, 16 };
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(2);
		char big[4096];
		memset(big, 'x', sizeof(big));
		kerr e = { 0 };
		int r = kfs_write_file(p, big, sizeof(big), 0600, 1, &e);
		_exit(r == -1 && e.errnum == EFBIG ? 0 : 1);
	}
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
	char *buf;
	kerr e = { 0 };
	assert_int_equal(kfs_read_file(p, &buf, NULL, &e), 0);
	assert_string_equal(buf, "old");
	free(buf);
	/* Regression (found by this test, fixed): src/lib/common/fs.c kfs_write_file(): when write() (or rename())
	 * fails in atomic mode, the "<path>.tmp" file is left behind (it is never
	 * unlinked on the error paths). Expected: no .tmp after a failure. */
	if (exists_host(t)) {
		print_message("%s left behind\n", t);
		unlink(t);
		fail();
	}
}

static void test_mkdir_p_and_fdpath(void **state)
{
	(void)state;
	char p[PATH_MAX];
	kerr e = { 0 };
	struct stat sb;

	snprintf(p, sizeof(p), "%s/mkp/a/b/c", tmp);
	assert_int_equal(kfs_mkdir_p(p, 0750, &e), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0750);
	/* again, and with a trailing slash */
	assert_int_equal(kfs_mkdir_p(p, 0750, &e), 0);
	strcat(p, "/");
	assert_int_equal(kfs_mkdir_p(p, 0750, &e), 0);
	/* a file in the way */
	snprintf(p, sizeof(p), "%s/mkp/file", tmp);
	put(p, "x");
	strcat(p, "/sub");
	kerr_clear(&e);
	assert_int_equal(kfs_mkdir_p(p, 0755, &e), -1);
	assert_int_equal(e.errnum, ENOTDIR);
	assert_non_null(strstr(e.msg, "mkdir "));

	char buf[KFS_FDPATH_MAX];
	assert_string_equal(kfs_fdpath(7, buf), "/proc/self/fd/7");
	assert_ptr_equal(kfs_fdpath(2147483647, buf), buf);
	assert_string_equal(buf, "/proc/self/fd/2147483647");
}

/* kfs_remove_at: a tree far deeper than the fds the process may open
 * (a hostile layer can make one) goes, and a symlink in it is not followed. */
static void test_remove_deep_tree(void **state)
{
	(void)state;
	char top[] = "/tmp/kapsel-test-rm-XXXXXX", outside[] = "/tmp/kapsel-test-rm-out-XXXXXX";
	assert_non_null(mkdtemp(top));
	assert_non_null(mkdtemp(outside));
	int tfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
	assert_true(tfd >= 0);
	assert_int_equal(mkdirat(tfd, "t", 0755), 0);
	fd = openat(tfd, "t", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < 3000; i++) {
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		int nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (i % 100 == 0) {
			close(openat(fd, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
			assert_int_equal(symlinkat(outside, fd, "out"), 0);
		}
		close(fd);
		fd = nfd;
	}
	close(fd);
	char keep[300];
	snprintf(keep, sizeof(keep), "%s/keep", outside);
	close(open(keep, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	struct rlimit old, low = { 64, 64 };
	getrlimit(RLIMIT_NOFILE, &old);
	low.rlim_max = old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	kerr e = { 0 };
	int rc = kfs_remove_at(tfd, "t", &e);
	setrlimit(RLIMIT_NOFILE, &old);
	if (rc < 0)
		fail_msg("remove: %s", e.msg);
	assert_int_equal(faccessat(tfd, "t", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	DIR *d = fdopendir(tfd);
	int n = 0;
	for (struct dirent *de; (de = readdir(d));)
		n += de->d_name[0] != '.' || strncmp(de->d_name, ".kapsel-rm-", 11) == 0;
	closedir(d);
	assert_int_equal(n, 0); /* nothing moved up was left behind */
	assert_int_equal(access(keep, F_OK), 0);
	assert_int_equal(kfs_remove_at(AT_FDCWD, top, &e), 0);
	unlink(keep);
	rmdir(outside);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_openat2),
		cmocka_unit_test(test_resolve_fallback),
		cmocka_unit_test(test_create_openat2),
		cmocka_unit_test(test_create_fallback),
		cmocka_unit_test(test_long_path),
		cmocka_unit_test(test_mkdir_openat2),
		cmocka_unit_test(test_mkdir_fallback),
		cmocka_unit_test(test_mkdir_dangling_link),
		cmocka_unit_test(test_mkpath_openat2),
		cmocka_unit_test(test_mkpath_fallback),
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_write_atomic_failure),
		cmocka_unit_test(test_mkdir_p_and_fdpath),
		cmocka_unit_test(test_remove_deep_tree),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
