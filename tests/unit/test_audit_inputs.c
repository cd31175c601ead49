/* The audit's readers of untrusted input: image tarballs (layers applied
 * with whiteouts and opaque directories), Dockerfiles and OCI config.json.
 * A well-formed tarball is checked entry by entry; then hundreds of
 * deterministic mutations (flipped bytes, truncations) of each input must
 * give an error or a result, never a crash, a leak or undefined behaviour
 * (this test also runs under ASan/UBSan). */
#include "audit/internal.h"

#include "tarbuild.h"

#include <archive.h>
#include <archive_entry.h>
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

static char dir[] = "/tmp/kapsel-test-audit-inputs-XXXXXX";

static char *image_tar(size_t *len)
{
	static const struct tent l1[] = {
		{ "etc", S_IFDIR | 0755, NULL },
		{ "etc/shadow", S_IFREG | 0640, "root::1:0:::::\n" },
		{ "etc/keys", S_IFDIR | 0700, NULL },
		{ "etc/keys/a.pem", S_IFREG | 0600, "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----\n" },
		{ "bin/su", S_IFREG | 04755, "su" },
		{ "bin/gone", S_IFREG | 04755, "x" },
		{ "bin/sh", S_IFLNK | 0777, "busybox" },
		{ "opt/dir/sub/file", S_IFREG | 0666, "x" },
	};
	static const struct tent l2[] = {
		{ "bin/.wh.gone", S_IFREG | 0644, "" },
		{ "etc/keys/.wh..wh..opq", S_IFREG | 0644, "" },
		{ "etc/keys/b.txt", S_IFREG | 0644, "public" },
		{ "opt/.wh.dir", S_IFREG | 0644, "" },
		{ "bin/su", S_IFREG | 0755, "su-fixed" },
	};
	size_t n1, n2;
	char *t1 = tar_build(l1, sizeof(l1) / sizeof(*l1), 0, &n1);
	char *t2 = tar_build(l2, sizeof(l2) / sizeof(*l2), TAR_GZIP, &n2);
	char *manifest = "[{\"Config\":\"c.json\",\"RepoTags\":[\"t/img:1\"],\"Layers\":[\"l1/layer.tar\",\"l2/layer.tar\"]}]";
	char *config = "{\"config\":{\"Env\":[\"A=1\"]}}";
	const struct tent files[] = {
		{ "manifest.json", S_IFREG | 0644, manifest, 0, NULL, NULL, NULL },
		{ "c.json", S_IFREG | 0644, config, 0, NULL, NULL, NULL },
		{ "l1/layer.tar", S_IFREG | 0644, t1, n1, NULL, NULL, NULL },
		{ "l2/layer.tar", S_IFREG | 0644, t2, n2, NULL, NULL, NULL },
	};
	char *buf = tar_build(files, 4, 0, len);
	free(t1);
	free(t2);
	return buf;
}

static void test_layers_and_whiteouts(void **state)
{
	(void)state;
	size_t len;
	char *tar = image_tar(&len);
	char path[256];
	snprintf(path, sizeof(path), "%s/img.tar", dir);
	tar_write_file(path, tar, len);
	free(tar);
	struct kimagefs fs;
	kerr e;
	assert_int_equal(kimagefs_load(&fs, path, &e), 0);
	assert_string_equal(fs.name, "t/img:1");
	assert_non_null(fs.config);
	const struct kfile *f = kimagefs_find(&fs, "/bin/su");
	assert_non_null(f);
	assert_int_equal(f->mode & 07777, 0755);         /* the upper layer's copy */
	assert_null(kimagefs_find(&fs, "bin/gone"));      /* .wh.gone */
	assert_null(kimagefs_find(&fs, "etc/keys/a.pem"));/* opaque directory */
	assert_non_null(kimagefs_find(&fs, "etc/keys/b.txt"));
	assert_non_null(kimagefs_find(&fs, "etc/keys"));  /* the opaque dir itself stays */
	assert_null(kimagefs_find(&fs, "opt/dir"));       /* a whited-out directory ... */
	assert_null(kimagefs_find(&fs, "opt/dir/sub/file")); /* ... and all below it */
	f = kimagefs_find(&fs, "etc/shadow");
	assert_non_null(f);
	assert_non_null(f->data);                         /* kept for K2.4 */
	f = kimagefs_find(&fs, "bin/sh");
	assert_true(S_ISLNK(f->mode));
	assert_string_equal(f->link, "busybox");
	kimagefs_free(&fs);
	unlink(path);
}

/* xorshift: the same mutations on every run */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void mutate(char *buf, size_t *len)
{
	int kind = (int)(rnd() % 3);
	if (kind == 0 && *len > 1) {
		*len = 1 + rnd() % (*len - 1);              /* truncate */
	} else {
		int flips = 1 + (int)(rnd() % 8);
		for (int i = 0; i < flips && *len; i++)
			buf[rnd() % *len] = (char)rnd();     /* flip bytes */
	}
}

static void test_mutated_tarballs(void **state)
{
	(void)state;
	size_t len;
	char *tar = image_tar(&len);
	char path[256];
	snprintf(path, sizeof(path), "%s/m.tar", dir);
	char *copy = malloc(len);
	int ok = 0, err = 0;
	for (int i = 0; i < 400; i++) {
		size_t n = len;
		memcpy(copy, tar, len);
		mutate(copy, &n);
		tar_write_file(path, copy, n);
		struct kimagefs fs;
		kerr e;
		if (kimagefs_load(&fs, path, &e) == 0)
			ok++;
		else {
			err++;
			assert_true(strlen(e.msg) > 0);
		}
		kimagefs_free(&fs);
	}
	assert_int_equal(ok + err, 400);
	free(copy);
	free(tar);
	unlink(path);
}

static void test_mutated_dockerfiles(void **state)
{
	(void)state;
	const char *base =
		"# escape=`\nFROM a:1 AS b\nRUN x `\n  # c\n  y\nRUN <<EOF\nbody\nEOF\n"
		"# kapsel-audit ignore=K3.4,K3.5 ignore-file=K3.8\nENV A=1 B=2\nUSER root\nADD http://x /y\nEXPOSE 22\n"
		"RUN curl x | sh\nFROM scratch\nCMD a\nCMD b\n";
	size_t len = strlen(base);
	char *buf = malloc(len + 1);
	for (int i = 0; i < 1000; i++) {
		size_t n = len;
		memcpy(buf, base, len);
		mutate(buf, &n);
		buf[n] = '\0';
		struct kdockerfile df;
		kerr e;
		assert_int_equal(kdockerfile_parse(&df, "Dockerfile", buf, &e), 0);
		for (size_t k = 0; k < df.nins; k++)
			assert_non_null(df.ins[k].cmd);
		kdockerfile_free(&df);
	}
	/* edge cases: an escape at the end, a heredoc never closed, only comments */
	const char *edges[] = { "RUN a \\", "RUN <<EOF\nno end", "# only\n# comments\n", "", "\\\n\\\n", "FROM", "USER" };
	for (size_t i = 0; i < sizeof(edges) / sizeof(*edges); i++) {
		struct kdockerfile df;
		kerr e;
		assert_int_equal(kdockerfile_parse(&df, "Dockerfile", edges[i], &e), 0);
		kdockerfile_free(&df);
	}
	free(buf);
}

static void test_mutated_oci_configs(void **state)
{
	(void)state;
	const char *base =
		"{\"ociVersion\":\"1.0.2\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\",1],"
		"\"capabilities\":{\"bounding\":[\"CAP_SYS_ADMIN\",7]},\"rlimits\":[{}],\"noNewPrivileges\":\"yes\"},"
		"\"root\":{\"path\":\"rootfs\",\"readonly\":1},\"annotations\":{\"kapsel.audit.ignore\":\"5.11\"},"
		"\"mounts\":[{\"destination\":\"/x\",\"type\":\"bind\",\"source\":\"/etc\",\"options\":[\"rbind\",5,\"rshared\"]},7],"
		"\"linux\":{\"namespaces\":[{\"type\":\"pid\"},3],\"resources\":{\"memory\":{\"limit\":-1}},"
		"\"devices\":[{\"path\":\"/dev/x\"}],\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}}";
	size_t len = strlen(base);
	char path[256];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	char *buf = malloc(len);
	for (int i = 0; i < 500; i++) {
		size_t n = len;
		memcpy(buf, base, len);
		if (i)
			mutate(buf, &n);
		tar_write_file(path, buf, n);
		struct kcont c;
		kerr e;
		int rc = kcont_from_oci(&c, path, &e);
		if (i == 0) {
			assert_int_equal(rc, 0);
			assert_true(c.seccomp_unconfined);
			assert_true(kstrv_contains(c.ignore, "5.11"));
		}
		kcont_free(&c);
	}
	free(buf);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layers_and_whiteouts),
		cmocka_unit_test(test_mutated_tarballs),
		cmocka_unit_test(test_mutated_dockerfiles),
		cmocka_unit_test(test_mutated_oci_configs),
	};
	if (!mkdtemp(dir))
		return 1;
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return rc;
}
