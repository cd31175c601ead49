/* Unit tests for the image store (image/store.h): blobs verified before
 * they are renamed in, the lock, reference resolution, rmi's sweep of
 * blobs nothing names, and the removal of stale temp files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common/sha256.h"
#include "common/strv.h"
#include "image/store.h"
#include "tarbuild.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/kapsel-test-store-XXXXXX";
static char root[256];
static int nth;

static void hex_of(const char *data, size_t len, char out[KSHA256_HEX])
{
	uint8_t sum[KSHA256_LEN];
	ksha256(data, len, sum);
	ksha256_hex(sum, out);
}

/* A legacy docker save of the layers L (file contents of one file each)
 * tagged TAG; TAMPER flips a byte of the first layer after the config
 * was made.  Returns the archive's path and the image ID in ID. */
static char *save(const char *tag, const char *const *files, size_t nl, int tamper, char id[KSHA256_DIGEST])
{
	char *layer[8];
	size_t len[8];
	char hex[8][KSHA256_HEX], chex[KSHA256_HEX];
	char cfg[2048], man[2048], names[8][128], *p;
	int off = snprintf(cfg, sizeof(cfg),
			   "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-05-01T10:00:00Z\","
			   "\"config\":{\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
	for (size_t i = 0; i < nl; i++) {
		struct tent t = { .path = "f", .mode = S_IFREG | 0644, .data = files[i] };
		layer[i] = tar_build(&t, 1, 0, &len[i]);
		hex_of(layer[i], len[i], hex[i]);
		off += snprintf(cfg + off, sizeof(cfg) - (size_t)off, "%s\"sha256:%s\"", i ? "," : "", hex[i]);
		snprintf(names[i], sizeof(names[i]), "%.64s/layer.tar", hex[i]);
	}
	snprintf(cfg + off, sizeof(cfg) - (size_t)off, "]}}");
	hex_of(cfg, strlen(cfg), chex);
	snprintf(id, KSHA256_DIGEST, "sha256:%s", chex);
	if (tamper)
		layer[0][600] ^= 1;
	char cname[80];
	snprintf(cname, sizeof(cname), "%s.json", chex);
	off = snprintf(man, sizeof(man), "[{\"Config\":\"%s\",\"RepoTags\":[\"%s\"],\"Layers\":[", cname, tag);
	for (size_t i = 0; i < nl; i++)
		off += snprintf(man + off, sizeof(man) - (size_t)off, "%s\"%s\"", i ? "," : "", names[i]);
	snprintf(man + off, sizeof(man) - (size_t)off, "]}]");
	struct tent m[10];
	size_t n = 0;
	m[n++] = (struct tent){ .path = cname, .mode = S_IFREG | 0644, .data = cfg };
	for (size_t i = 0; i < nl; i++)
		m[n++] = (struct tent){ .path = names[i], .mode = S_IFREG | 0644, .data = layer[i], .len = len[i] };
	m[n++] = (struct tent){ .path = "manifest.json", .mode = S_IFREG | 0644, .data = man };
	size_t alen;
	char *a = tar_build(m, n, 0, &alen);
	if (asprintf(&p, "%s/save%d.tar", dir, nth++) < 0)
		abort();
	tar_write_file(p, a, alen);
	free(a);
	for (size_t i = 0; i < nl; i++)
		free(layer[i]);
	return p;
}

static int count(const char *sub)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", root, sub);
	DIR *d = opendir(p);
	int n = 0;
	if (!d)
		return -1;
	for (struct dirent *de; (de = readdir(d));)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static int has_blob(const char *digest)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/blobs/sha256/%s", root, digest + 7);
	return access(p, F_OK) == 0;
}

static int setup(void **state)
{
	(void)state;
	static int k;
	snprintf(root, sizeof(root), "%s/store%d", dir, k++);
	return 0;
}

static struct kstore *open_store(int mode)
{
	struct kstore *s;
	kerr e = { 0 };
	if (kstore_open(root, mode, &s, &e) < 0)
		fail_msg("open: %s", e.msg);
	return s;
}

static void load_ok(const char *path)
{
	struct kstore *s = open_store(KSTORE_EXCLUSIVE);
	kerr e = { 0 };
	if (kstore_load(s, path, NULL, NULL, &e) < 0)
		fail_msg("load %s: %s", path, e.msg);
	kstore_close(s);
}

static void test_load_verifies_and_renames(void **state)
{
	(void)state;
	char id[KSHA256_DIGEST], bad[KSHA256_DIGEST];
	const char *files[] = { "base layer\n", "second layer\n" }, *evil[] = { "evil base\n", "second layer\n" };
	char *good = save("web:1", files, 2, 0, id);
	char *tampered = save("evil:1", evil, 2, 1, bad);
	load_ok(good);
	assert_int_equal(count("blobs/sha256"), 3); /* config and two layers */
	assert_int_equal(count("tmp"), 0);
	assert_true(has_blob(id));

	struct kstore *s = open_store(KSTORE_EXCLUSIVE);
	kerr e = { 0 };
	assert_int_equal(kstore_load(s, tampered, NULL, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "rootfs.diff_ids"));
	assert_non_null(strstr(e.msg, "layer.tar"));
	size_t n;
	kstore_images(s, &n);
	assert_int_equal(n, 1);
	kstore_close(s);
	assert_int_equal(count("blobs/sha256"), 3); /* nothing of the tampered image */
	assert_int_equal(count("tmp"), 0);
	assert_false(has_blob(bad));

	/* twice is once */
	load_ok(good);
	s = open_store(KSTORE_SHARED);
	const struct kstore_image *img = kstore_images(s, &n);
	assert_int_equal(n, 1);
	assert_string_equal(img[0].id, id);
	assert_int_equal(kstrv_len(img[0].names), 1);
	assert_string_equal(img[0].names[0], "web:1");
	assert_int_equal(img[0].nlayers, 2);
	json_object *cfg;
	assert_int_equal(kstore_config(s, &img[0], &cfg, &e), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(cfg, "os")), "linux");
	json_object_put(cfg);
	kstore_close(s);
	free(good);
	free(tampered);
}

/* A lock held by this process keeps another one out (flock is per open
 * file, so a child's own open of ROOT/lock competes with ours). */
static int child_can_lock(int op)
{
	pid_t pid = fork();
	if (pid == 0) {
		char p[512];
		snprintf(p, sizeof(p), "%s/lock", root);
		int fd = open(p, O_RDWR | O_CLOEXEC);
		_exit(fd >= 0 && flock(fd, op | LOCK_NB) == 0 ? 0 : errno == EWOULDBLOCK ? 1 : 2);
	}
	int st;
	waitpid(pid, &st, 0);
	return WEXITSTATUS(st);
}

static void test_lock(void **state)
{
	(void)state;
	struct kstore *s = open_store(KSTORE_SHARED);
	assert_int_equal(child_can_lock(LOCK_SH), 0);
	assert_int_equal(child_can_lock(LOCK_EX), 1);
	kstore_close(s);
	s = open_store(KSTORE_EXCLUSIVE);
	assert_int_equal(child_can_lock(LOCK_SH), 1);
	kerr e = { 0 };
	kstore_close(s);
	assert_int_equal(child_can_lock(LOCK_EX), 0);
	/* a write needs the exclusive lock */
	s = open_store(KSTORE_SHARED);
	assert_int_equal(kstore_load(s, "/nonexistent", NULL, NULL, &e), -1);
	assert_int_equal(e.errnum, EPERM);
	kstore_close(s);
}

static void test_stale_temp_files(void **state)
{
	(void)state;
	kstore_close(open_store(KSTORE_SHARED));
	char p[512];
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/tmp/blob-999-%d", root, i);
		tar_write_file(p, "half", 4);
	}
	assert_int_equal(count("tmp"), 3);
	kstore_close(open_store(KSTORE_SHARED)); /* a read cleans up too */
	assert_int_equal(count("tmp"), 0);
}

static const char *resolve(struct kstore *s, const char *ref, kerr *e)
{
	const struct kstore_image *img;
	return kstore_resolve(s, ref, &img, NULL, e) < 0 ? NULL : img->id;
}

static void test_resolve(void **state)
{
	(void)state;
	char id[KSHA256_DIGEST], id2[KSHA256_DIGEST];
	const char *f1[] = { "one\n" }, *f2[] = { "two\n" };
	char *a = save("docker.io/library/busybox", f1, 1, 0, id),
	     *b = save("localhost:5000/team/app:v2", f2, 1, 0, id2);
	load_ok(a);
	load_ok(b);
	struct kstore *s = open_store(KSTORE_SHARED);
	kerr e = { 0 };
	char ref[128];
	assert_string_equal(resolve(s, "busybox", &e), id);
	assert_string_equal(resolve(s, "busybox:latest", &e), id);
	assert_string_equal(resolve(s, "docker.io/library/busybox:latest", &e), id);
	assert_string_equal(resolve(s, "localhost:5000/team/app:v2", &e), id2);
	assert_string_equal(resolve(s, id, &e), id);
	snprintf(ref, sizeof(ref), "%.11s", id + 7);
	assert_string_equal(resolve(s, ref, &e), id);
	snprintf(ref, sizeof(ref), "%.4s", id2 + 7);
	assert_string_equal(resolve(s, ref, &e), id2);
	snprintf(ref, sizeof(ref), "busybox@%s", id);
	assert_string_equal(resolve(s, ref, &e), id);
	snprintf(ref, sizeof(ref), "other@%s", id);
	assert_null(resolve(s, ref, &e));
	assert_int_equal(e.errnum, ENOENT);
	assert_null(resolve(s, "localhost:5000/team/app", &e)); /* no tag latest */
	assert_string_equal(e.msg, "No such image: localhost:5000/team/app");
	snprintf(ref, sizeof(ref), "%.3s", id + 7);
	assert_null(resolve(s, ref, &e)); /* too short to be an ID */
	assert_null(resolve(s, "Bad/Name", &e));
	assert_int_equal(e.errnum, EINVAL);
	assert_non_null(strstr(e.msg, "invalid reference format"));
	kstore_close(s);
	free(a);
	free(b);
}

static void test_ambiguous_prefix(void **state)
{
	(void)state;
	/* two IDs that share 6 hex digits: an index written by hand */
	kstore_close(open_store(KSTORE_SHARED));
	char p[512];
	snprintf(p, sizeof(p), "%s/index.json", root);
	const char *idx =
		"{\"version\":1,\"images\":["
		"{\"id\":\"sha256:abcdef1111111111111111111111111111111111111111111111111111111111\",\"names\":[],\"layers\":[]},"
		"{\"id\":\"sha256:abcdef2222222222222222222222222222222222222222222222222222222222\",\"names\":[],\"layers\":[]}]}";
	tar_write_file(p, idx, strlen(idx));
	struct kstore *s = open_store(KSTORE_SHARED);
	kerr e = { 0 };
	assert_null(resolve(s, "abcdef", &e));
	assert_int_equal(e.errnum, EINVAL);
	assert_non_null(strstr(e.msg, "ambiguous"));
	assert_non_null(strstr(e.msg, "abcdef111111"));
	assert_non_null(strstr(e.msg, "abcdef222222"));
	assert_non_null(resolve(s, "abcdef2", &e));
	kstore_close(s);
}

static void test_rmi_sweeps_unused_blobs(void **state)
{
	(void)state;
	char id1[KSHA256_DIGEST], id2[KSHA256_DIGEST];
	const char *f1[] = { "shared base\n", "only in one\n" }, *f2[] = { "shared base\n", "only in two\n" };
	char *a = save("one:1", f1, 2, 0, id1), *b = save("two:1", f2, 2, 0, id2);
	load_ok(a);
	load_ok(b);
	assert_int_equal(count("blobs/sha256"), 5); /* 2 configs, the shared base, 2 layers */
	struct kstore *s = open_store(KSTORE_EXCLUSIVE);
	kerr e = { 0 };
	assert_int_equal(kstore_tag(s, "one:1", "alias", &e), 0);
	assert_int_equal(kstore_remove(s, id1, 0, NULL, NULL, &e), -1); /* two names: must be forced */
	assert_int_equal(e.errnum, EEXIST);
	assert_int_equal(kstore_remove(s, "one:1", 0, NULL, NULL, &e), 0); /* untag only */
	assert_int_equal(count("blobs/sha256"), 5);
	assert_int_equal(kstore_remove(s, "alias", 0, NULL, NULL, &e), 0); /* the last name: deleted */
	assert_int_equal(count("blobs/sha256"), 3);
	assert_false(has_blob(id1));
	assert_true(has_blob(id2));
	size_t n;
	kstore_images(s, &n);
	assert_int_equal(n, 1);
	assert_int_equal(kstore_remove(s, id2 + 7, 0, NULL, NULL, &e), 0);
	assert_int_equal(count("blobs/sha256"), 0);
	kstore_close(s);
	free(a);
	free(b);
}

/* The layer directories for `kapsel run`, and holds that keep an image in
 * use from being removed. */
static void test_layer_dirs_and_holds(void **state)
{
	(void)state;
	char id[KSHA256_DIGEST];
	const char *files[] = { "base\n", "top\n" };
	char *a = save("web:1", files, 2, 0, id);
	load_ok(a);
	assert_int_equal(count("layers"), 2);
	struct kstore *s = open_store(KSTORE_SHARED);
	const struct kstore_image *img;
	kerr e = { 0 };
	char **dirs;
	assert_int_equal(kstore_resolve(s, "web:1", &img, NULL, &e), 0);
	assert_int_equal(kstore_layer_dirs(s, img, &dirs, &e), 0);
	assert_int_equal(kstrv_len(dirs), 2);
	char p[600];
	snprintf(p, sizeof(p), "%s/f", dirs[1]);
	assert_true(dirs[0][0] == '/' && strstr(dirs[0], "/layers/") && access(p, F_OK) == 0);
	snprintf(p, sizeof(p), "rm -rf %.*s", (int)(strlen(dirs[1]) - 5),
		 dirs[1]); /* as a kapsel that did not unpack */
	assert_int_equal(system(p), 0);
	kstrv_free(dirs);
	assert_int_equal(kstore_layer_dirs(s, img, &dirs, &e), -1);
	assert_int_equal(e.errnum, EAGAIN);
	assert_int_equal(kstore_hold(s, img, "web1", &e), -1); /* a write */
	kstore_close(s);

	s = open_store(KSTORE_EXCLUSIVE);
	assert_int_equal(kstore_resolve(s, "web:1", &img, NULL, &e), 0);
	assert_int_equal(kstore_layer_dirs(s, img, &dirs, &e), 0); /* unpacked again, from the blob */
	snprintf(p, sizeof(p), "%s/f", dirs[1]);
	assert_int_equal(access(p, F_OK), 0);
	kstrv_free(dirs);
	assert_int_equal(kstore_hold(s, img, "../evil", &e), -1);
	assert_int_equal(e.errnum, EINVAL);
	assert_int_equal(kstore_hold(s, img, "web1", &e), 0);
	assert_int_equal(kstore_remove(s, "web:1", 0, NULL, NULL, &e), -1);
	assert_int_equal(e.errnum, EEXIST);
	assert_non_null(strstr(e.msg, "image is being used by container web1"));
	assert_int_equal(kstore_remove(s, id, 0, NULL, NULL, &e), -1);
	kstore_close(s);

	/* the hold is on disk: another command sees it; gc keeps the layers */
	s = open_store(KSTORE_EXCLUSIVE);
	assert_int_equal(kstore_remove(s, "web:1", 1, NULL, NULL, &e), 0); /* forced: untagged, kept */
	size_t n;
	kstore_images(s, &n);
	assert_int_equal(n, 1);
	assert_int_equal(kstore_gc(s, &e), 0);
	assert_int_equal(count("layers"), 2);
	assert_int_equal(kstore_release(s, "web1", &e), 0);
	assert_int_equal(kstore_release(s, "web1", &e), 0); /* nothing held: fine */
	assert_int_equal(kstore_remove(s, id, 0, NULL, NULL, &e), 0);
	kstore_images(s, &n);
	assert_int_equal(n, 0);
	assert_int_equal(count("layers"), 0);
	assert_int_equal(count("blobs/sha256"), 0);
	assert_int_equal(count("holds"), 0);
	kstore_close(s);
	free(a);
}

/* prune removes what no container holds; df counts what a prune gives back. */
static void test_prune_and_df(void **state)
{
	(void)state;
	char id1[KSHA256_DIGEST], id2[KSHA256_DIGEST], id3[KSHA256_DIGEST];
	const char *f1[] = { "one\n" }, *f2[] = { "two\n" }, *f3[] = { "three\n" };
	char *a = save("p/one:1", f1, 1, 0, id1), *b = save("p/two:1", f2, 1, 0, id2),
	     *c = save("p/three:1", f3, 1, 0, id3);
	load_ok(a);
	load_ok(b);
	load_ok(c);
	struct kstore *s = open_store(KSTORE_EXCLUSIVE);
	kerr e = { 0 };
	const struct kstore_image *img;
	assert_int_equal(kstore_resolve(s, "p/two:1", &img, NULL, &e), 0);
	assert_int_equal(kstore_hold(s, img, "c2", &e), 0);
	assert_int_equal(kstore_remove(s, "p/two:1", 1, NULL, NULL, &e), 0); /* unnamed, but held */
	assert_int_equal(kstore_tag(s, id3, "p/three:2", &e), 0);
	assert_int_equal(kstore_remove(s, "p/three:1", 0, NULL, NULL, &e), 0); /* p/three:2 stays */
	struct kstore_df df;
	assert_int_equal(kstore_df(s, &df, &e), 0);
	assert_int_equal(df.images, 3);
	assert_int_equal(df.active, 1);
	assert_true(df.size > 0 && df.reclaimable > 0 && df.reclaimable < df.size);
	int64_t freed;
	assert_int_equal(kstore_prune(s, 0, NULL, NULL, &freed, &e), 0); /* dangling: none but the held one */
	size_t n;
	kstore_images(s, &n);
	assert_int_equal(n, 3);
	assert_int_equal(freed, 0);
	assert_int_equal(kstore_prune(s, 1, NULL, NULL, &freed, &e), 0); /* -a: all but the held one */
	const struct kstore_image *left = kstore_images(s, &n);
	assert_int_equal(n, 1);
	assert_string_equal(left[0].id, id2);
	assert_int_equal(freed, df.reclaimable);
	assert_int_equal(count("layers"), 1);
	kstore_close(s);
	free(a);
	free(b);
	free(c);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_load_verifies_and_renames, setup),
		cmocka_unit_test_setup(test_lock, setup),
		cmocka_unit_test_setup(test_stale_temp_files, setup),
		cmocka_unit_test_setup(test_resolve, setup),
		cmocka_unit_test_setup(test_ambiguous_prefix, setup),
		cmocka_unit_test_setup(test_rmi_sweeps_unused_blobs, setup),
		cmocka_unit_test_setup(test_layer_dirs_and_holds, setup),
		cmocka_unit_test_setup(test_prune_and_df, setup),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
