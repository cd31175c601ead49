/* Unit tests for the registry client's offline parts: references as
 * Docker reads them, platforms, and the auth file (Docker's config.json
 * shape, 0600, other keys kept). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/fs.h"
#include "image/registry.h"
#include "image/registry_int.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define D64 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void references(void **state)
{
	(void)state;
	static const struct {
		const char *in, *registry, *repo, *tag, *digest, *name;
	} ok[] = {
		{ "busybox", "docker.io", "library/busybox", "latest", NULL, "busybox:latest" },
		{ "busybox:1.36", "docker.io", "library/busybox", "1.36", NULL, "busybox:1.36" },
		{ "docker.io/library/busybox:1", "docker.io", "library/busybox", "1", NULL, "busybox:1" },
		{ "index.docker.io/user/app", "docker.io", "user/app", "latest", NULL, "user/app:latest" },
		{ "user/app:v2", "docker.io", "user/app", "v2", NULL, "user/app:v2" },
		{ "localhost/app", "localhost", "app", "latest", NULL, "localhost/app:latest" },
		{ "127.0.0.1:5000/a/b/c:t", "127.0.0.1:5000", "a/b/c", "t", NULL, "127.0.0.1:5000/a/b/c:t" },
		{ "quay.io/x/y@" D64, "quay.io", "x/y", NULL, D64, NULL },
		{ "busybox@" D64, "docker.io", "library/busybox", NULL, D64, NULL },
		{ "reg:5000/x:t@" D64, "reg:5000", "x", "t", D64, "reg:5000/x:t" },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct kreg_ref r;
		kerr e = { 0 };
		assert_int_equal(kreg_ref_parse(ok[i].in, &r, &e), 0);
		assert_string_equal(r.registry, ok[i].registry);
		assert_string_equal(r.repo, ok[i].repo);
		if (ok[i].tag)
			assert_string_equal(r.tag, ok[i].tag);
		else
			assert_null(r.tag);
		if (ok[i].digest)
			assert_string_equal(r.digest, ok[i].digest);
		else
			assert_null(r.digest);
		if (ok[i].name)
			assert_string_equal(r.name, ok[i].name);
		else
			assert_null(r.name);
		kreg_ref_clear(&r);
	}
	static const char *const bad[] = { "",           "Busybox", "a//b",        "x:", "x@sha256:12",
					   "x@md5:0123", "x:-t",    "host:port/x", "/x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kreg_ref r;
		kerr e = { 0 };
		assert_int_equal(kreg_ref_parse(bad[i], &r, &e), -1);
		assert_int_equal(e.errnum, EINVAL);
		assert_non_null(strstr(e.msg, "invalid reference"));
	}
}

static void platforms(void **state)
{
	(void)state;
	struct kreg_platform p;
	kerr e = { 0 };
	assert_int_equal(kreg_platform_parse("linux/amd64", &p, &e), 0);
	assert_string_equal(p.os, "linux");
	assert_string_equal(p.arch, "amd64");
	assert_string_equal(p.variant, "");
	assert_int_equal(kreg_platform_parse("linux/arm/v7", &p, &e), 0);
	assert_string_equal(p.variant, "v7");
	assert_int_equal(kreg_platform_parse("linux/arm64", &p, &e), 0);
	assert_string_equal(p.variant, "v8");
	assert_int_equal(kreg_platform_parse(NULL, &p, &e), 0);
	assert_string_equal(p.os, "linux");
	assert_true(p.arch[0]);
	static const char *const bad[] = { "linux", "linux/", "/amd64", "Linux/amd64", "linux/amd64/", "a/b/c/d" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(kreg_platform_parse(bad[i], &p, &e), -1);
		assert_non_null(strstr(e.msg, "invalid platform"));
	}
}

static void auth_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/kapsel-test-auth-XXXXXX";
	char path[256], *got = NULL, *text = NULL;
	kerr e = { 0 };
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/auth.json", dir);
	assert_int_equal(kreg_auth_lookup(path, "reg:5000", &got, &e), 0); /* no file: none */
	assert_null(got);
	assert_int_equal(kreg_auth_store(path, "reg:5000", "alice", "pa:ss", &e), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(kreg_auth_lookup(path, "reg:5000", &got, &e), 0);
	assert_string_equal(got, "YWxpY2U6cGE6c3M="); /* base64("alice:pa:ss") */
	free(got);
	assert_int_equal(kreg_auth_lookup(path, "other:1", &got, &e), 0);
	assert_null(got);
	/* Docker Hub under Docker's own key, other keys of the file kept */
	assert_int_equal(kfs_write_file(path,
					"{\"psFormat\":\"x\",\"auths\":{\"https://index.docker.io/v1/\":"
					"{\"auth\":\"Ym9iOnB3\"}}}",
					strlen("{\"psFormat\":\"x\",\"auths\":{\"https://index.docker.io/v1/\":"
					       "{\"auth\":\"Ym9iOnB3\"}}}"),
					0600, 1, &e),
			 0);
	assert_int_equal(kreg_auth_lookup(path, "docker.io", &got, &e), 0);
	assert_string_equal(got, "Ym9iOnB3");
	free(got);
	assert_int_equal(kreg_auth_store(path, "reg:5000", "alice", "pw", &e), 0);
	assert_int_equal(kreg_logout("docker.io", path, &e), 0);
	assert_int_equal(kreg_logout("docker.io", path, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_int_equal(kfs_read_file(path, &text, NULL, &e), 0);
	assert_non_null(strstr(text, "psFormat"));
	assert_non_null(strstr(text, "reg:5000"));
	assert_null(strstr(text, "index.docker.io"));
	free(text);
	/* a broken entry is an error naming the file and the key */
	static const char nocolon[] = "{\"auths\":{\"r:1\":{\"auth\":\"bm9jb2xvbg==\"}}}";
	assert_int_equal(kfs_write_file(path, nocolon, strlen(nocolon), 0600, 1, &e), 0);
	assert_int_equal(kreg_auth_lookup(path, "r:1", &got, &e), -1);
	assert_non_null(strstr(e.msg, "auths.r:1.auth"));
	assert_int_equal(kfs_write_file(path, "[]", 2, 0600, 1, &e), 0);
	assert_int_equal(kreg_auth_lookup(path, "r:1", &got, &e), -1);
	assert_non_null(strstr(e.msg, path));
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

static void challenges(void **state)
{
	(void)state;
	const char *ch =
		"realm=\"https://auth.example/token?x=realm=1\",service=\"reg, the one\","
		"scope=\"repository:a/b:pull,push\", error=insufficient_scope";
	char v[128];
	assert_int_equal(kreg_challenge_param(ch, "realm", v, sizeof(v)), 1);
	assert_string_equal(v, "https://auth.example/token?x=realm=1");
	assert_int_equal(kreg_challenge_param(ch, "service", v, sizeof(v)), 1);
	assert_string_equal(v, "reg, the one");
	assert_int_equal(kreg_challenge_param(ch, "scope", v, sizeof(v)), 1);
	assert_string_equal(v, "repository:a/b:pull,push");
	assert_int_equal(kreg_challenge_param(ch, "error", v, sizeof(v)), 1);
	assert_string_equal(v, "insufficient_scope");
	assert_int_equal(kreg_challenge_param(ch, "account", v, sizeof(v)), 0);
	assert_string_equal(v, "");
	/* a key inside another key's name or value is not that key */
	assert_int_equal(kreg_challenge_param("xrealm=\"a\",subscope=\"scope=b\"", "scope", v, sizeof(v)), 0);
	assert_int_equal(kreg_challenge_param("Realm=\"A\"", "realm", v, sizeof(v)), 1);
	assert_string_equal(v, "A");
	/* an unterminated quote is no value; a long one is cut to the buffer */
	assert_int_equal(kreg_challenge_param("realm=\"abc", "realm", v, sizeof(v)), 0);
	char small[4];
	assert_int_equal(kreg_challenge_param("realm=\"abcdef\"", "realm", small, sizeof(small)), 1);
	assert_string_equal(small, "abc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(references),
		cmocka_unit_test(platforms),
		cmocka_unit_test(auth_file),
		cmocka_unit_test(challenges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
