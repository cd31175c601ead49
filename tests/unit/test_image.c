/* image/: the reader of docker save archives and OCI layouts, through a
 * visitor that writes down every event it gets.  Archives are built here
 * with libarchive: a legacy docker save whose layers come in the archive in
 * the reverse of their order (one of them larger than what is kept in
 * memory), Docker >= 25's layout, an OCI layout as a tar and as a
 * directory with gzip and zstd layers; then hostile ones (path traversal,
 * absolute paths, bad JSON, wrong digests, a symlink out of a layout
 * directory) that must fail with an error naming the archive and member. */
#include "common/sha256.h"
#include "image/image.h"

#include "tarbuild.h"

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

static char dir[] = "/tmp/kapsel-test-image-XXXXXX";

/* ---- a visitor that records what it sees ---- */

struct rec {
	char *log;
	size_t len;
	FILE *f;
	int stop_at_entry;      /* return -1 at this entry (1-based), 0: never */
	int entries;
};

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->f = open_memstream(&r->log, &r->len);
	assert_non_null(r->f);
}

static char *rec_done(struct rec *r)
{
	fclose(r->f);
	return r->log;
}

static int on_begin(void *ud, const struct kimage_layer *l, kerr *e)
{
	(void)e;
	struct rec *r = ud;
	fprintf(r->f, "begin %zu %s by=%s\n", l->index, l->diff_id ? l->diff_id + 7 : "-",
		l->created_by ? l->created_by : "-");
	return 0;
}

static int on_end(void *ud, const struct kimage_layer *l, kerr *e)
{
	(void)e;
	fprintf(((struct rec *)ud)->f, "end %zu\n", l->index);
	return 0;
}

static int on_whiteout(void *ud, const struct kimage_layer *l, const char *path, kerr *e)
{
	(void)l, (void)e;
	fprintf(((struct rec *)ud)->f, "whiteout %s\n", path);
	return 0;
}

static int on_opaque(void *ud, const struct kimage_layer *l, const char *d, kerr *e)
{
	(void)l, (void)e;
	fprintf(((struct rec *)ud)->f, "opaque '%s'\n", d);
	return 0;
}

static int on_entry(void *ud, struct kimage_entry *ent, kerr *e)
{
	struct rec *r = ud;
	if (++r->entries == r->stop_at_entry)
		return kerr_msg(e, EPERM, "visitor refuses %s", ent->path);
	fprintf(r->f, "entry '%s' %06o %u:%u", ent->path, ent->mode, (unsigned)ent->uid, (unsigned)ent->gid);
	if (ent->symlink)
		fprintf(r->f, " -> %s", ent->symlink);
	if (ent->hardlink)
		fprintf(r->f, " => %s", ent->hardlink);
	size_t xl;
	const char *cap = kimage_xattr(ent, "security.capability", &xl);
	if (cap)
		fprintf(r->f, " cap=%.*s", (int)xl, cap);
	if (S_ISREG(ent->mode) && ent->size > 64) {
		/* a large file: streamed in small reads, hashed */
		struct ksha256 s;
		uint8_t sum[KSHA256_LEN];
		char hex[KSHA256_HEX], buf[1000];
		ssize_t n;
		int64_t total = 0;
		ksha256_init(&s);
		while ((n = kimage_read(ent, buf, sizeof(buf), e)) > 0) {
			ksha256_update(&s, buf, (size_t)n);
			total += n;
		}
		assert_int_equal(n, 0);
		ksha256_final(&s, sum);
		ksha256_hex(sum, hex);
		fprintf(r->f, " %lld bytes sha256 %.12s", (long long)total, hex);
	} else if (S_ISREG(ent->mode) && ent->size > 0) {
		char *d;
		size_t n;
		assert_int_equal(kimage_read_all(ent, 64, &d, &n, e), 0);
		fprintf(r->f, " '%s'", d);
		free(d);
	}
	fputc('\n', r->f);
	return 0;
}

static const struct kimage_visitor visitor = {
	.layer_begin = on_begin, .entry = on_entry, .whiteout = on_whiteout, .opaque = on_opaque, .layer_end = on_end,
};

/* Walk PATH; the transcript, or NULL with *e filled. */
static char *walk(const char *path, kerr *e, struct kimage **keep)
{
	struct kimage *img;
	if (kimage_open(path, &img, e) < 0)
		return NULL;
	struct rec r;
	rec_init(&r);
	int rc = kimage_walk(img, &visitor, &r, e);
	char *log = rec_done(&r);
	if (keep && rc == 0)
		*keep = img;
	else
		kimage_close(img);
	if (rc < 0) {
		free(log);
		return NULL;
	}
	return log;
}

/* ---- archives ---- */

struct member {
	const char *name;
	const char *data;
	size_t len;
};

static void write_outer(const char *path, const struct member *m, size_t n)
{
	struct tent t[16];
	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++)
		t[i] = (struct tent){ .path = m[i].name, .mode = S_IFREG | 0644, .data = m[i].data, .len = m[i].len };
	size_t len;
	char *tar = tar_build(t, n, 0, &len);
	tar_write_file(path, tar, len);
	free(tar);
}

static void digest_of(const char *data, size_t len, char out[KSHA256_DIGEST])
{
	uint8_t sum[KSHA256_LEN];
	ksha256(data, len, sum);
	ksha256_digest(sum, out);
}

#define BIG (3u << 20)   /* larger than what the reader keeps in memory */

static char *big_file(void)
{
	char *b = malloc(BIG);
	assert_non_null(b);
	for (size_t i = 0; i < BIG; i++)
		b[i] = (char)(i * 7 + i / 4096);
	return b;
}

static char *layer1(size_t *len, int filter, char *big)
{
	const struct tent l1[] = {
		{ "./", S_IFDIR | 0755, NULL, 0, NULL, NULL, NULL },
		{ "./etc//", S_IFDIR | 0755, NULL, 0, NULL, NULL, NULL },
		{ "etc/passwd", S_IFREG | 0644, "root:x:0:0::/root:/bin/sh\n", 0, NULL, NULL, NULL },
		{ "bin/ping", S_IFREG | 0755, "ping", 0, NULL, "security.capability", "cap_net_raw" },
		{ "bin/sh", S_IFLNK | 0777, "/bin/busybox", 0, NULL, NULL, NULL },
		{ "bin/busybox", S_IFREG | 0755, "bb", 0, "./bin/ping", NULL, NULL },
		{ "usr/bin/newgrp", S_IFREG | 02755, "ng", 0, NULL, NULL, NULL },
		{ "etc/ssl/private/key.pem", S_IFREG | 0600, "KEY", 0, NULL, NULL, NULL },
		{ "opt/big", S_IFREG | 0644, big, BIG, NULL, NULL, NULL },
	};
	return tar_build(l1, sizeof(l1) / sizeof(*l1), filter, len);
}

static char *layer2(size_t *len, int filter)
{
	static const struct tent l2[] = {
		{ "usr/bin/.wh.newgrp", S_IFREG | 0644, "", 0, NULL, NULL, NULL },
		{ "etc/ssl/private/.wh..wh..opq", S_IFREG | 0644, "", 0, NULL, NULL, NULL },
		{ ".wh..wh.plnk", S_IFREG | 0644, "", 0, NULL, NULL, NULL },
		{ "etc/ssl/private/README", S_IFREG | 0644, "mounted", 0, NULL, NULL, NULL },
	};
	return tar_build(l2, sizeof(l2) / sizeof(*l2), filter, len);
}

static const char *config_json(const char *d1, const char *d2)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf),
		 "{\"architecture\":\"amd64\",\"config\":{\"Env\":[\"A=1\"]},\"rootfs\":{\"type\":\"layers\","
		 "\"diff_ids\":[\"%s\",\"%s\"]},\"history\":[{\"created_by\":\"ADD base\"},"
		 "{\"created_by\":\"ENV A=1\",\"empty_layer\":true},{\"created_by\":\"RUN rm\"}]}",
		 d1, d2);
	return buf;
}

static char *bigsum(const char *big)
{
	uint8_t sum[KSHA256_LEN];
	static char hex[KSHA256_HEX];
	ksha256(big, BIG, sum);
	ksha256_hex(sum, hex);
	return hex;
}

/* What the recorder must write for layer1 + layer2 (D1, D2: diff ids). */
static char *expected(const char *d1, const char *d2, const char *big)
{
	char *s;
	assert_true(asprintf(&s,
			     "begin 0 %s by=ADD base\n"
			     "entry '' 040755 0:0\n"
			     "entry 'etc' 040755 0:0\n"
			     "entry 'etc/passwd' 100644 0:0 'root:x:0:0::/root:/bin/sh\n'\n"
			     "entry 'bin/ping' 100755 0:0 cap=cap_net_raw 'ping'\n"
			     "entry 'bin/sh' 120777 0:0 -> /bin/busybox\n"
			     "entry 'bin/busybox' 100755 0:0 => bin/ping\n"
			     "entry 'usr/bin/newgrp' 102755 0:0 'ng'\n"
			     "entry 'etc/ssl/private/key.pem' 100600 0:0 'KEY'\n"
			     "entry 'opt/big' 100644 0:0 %u bytes sha256 %.12s\n"
			     "end 0\n"
			     "begin 1 %s by=RUN rm\n"
			     "whiteout usr/bin/newgrp\n"
			     "opaque 'etc/ssl/private'\n"
			     "entry 'etc/ssl/private/README' 100644 0:0 'mounted'\n"
			     "end 1\n",
			     d1 + 7, BIG, bigsum(big), d2 + 7) > 0);
	return s;
}

static void test_docker_save_legacy(void **state)
{
	(void)state;
	char *big = big_file();
	size_t n1, n2;
	char *t1 = layer1(&n1, 0, big), *t2 = layer2(&n2, 0);
	char d1[KSHA256_DIGEST], d2[KSHA256_DIGEST], cd[KSHA256_DIGEST], cfgname[80];
	digest_of(t1, n1, d1);
	digest_of(t2, n2, d2);
	const char *cfg = config_json(d1, d2);
	digest_of(cfg, strlen(cfg), cd);
	snprintf(cfgname, sizeof(cfgname), "%s.json", cd + 7);
	char man[512];
	snprintf(man, sizeof(man), "[{\"Config\":\"%s\",\"RepoTags\":[\"t/app:1\"],\"Layers\":[\"l1/layer.tar\",\"./l2//layer.tar\"]}]",
		 cfgname);
	/* layer 2 first in the archive: the walk still goes in manifest order */
	const struct member m[] = {
		{ "l2/layer.tar", t2, n2 }, { "manifest.json", man, strlen(man) },
		{ cfgname, cfg, strlen(cfg) }, { "l1/layer.tar", t1, n1 },
	};
	char path[256];
	snprintf(path, sizeof(path), "%s/save.tar", dir);
	write_outer(path, m, 4);

	kerr e;
	struct kimage *img = NULL;
	char *log = walk(path, &e, &img);
	if (!log)
		fail_msg("%s", e.msg);
	char *want = expected(d1, d2, big);
	assert_string_equal(log, want);
	assert_string_equal(img->format, "docker-save");
	assert_string_equal(img->name, "t/app:1");
	assert_string_equal(img->config_digest, cd);
	assert_int_equal(img->nlayers, 2);
	assert_string_equal(img->layers[1].member, "l2/layer.tar");
	assert_null(img->layers[0].digest);   /* a legacy layer is named by id, not digest */
	kimage_close(img);
	free(log);
	free(want);

	/* the config no longer matches the digest its name carries */
	char *bad = strdup(cfg);
	bad[strlen(bad) - 3] = 'X';
	const struct member m2[] = { m[0], m[1], { cfgname, bad, strlen(bad) }, m[3] };
	write_outer(path, m2, 4);
	assert_int_equal(kimage_open(path, &img, &e), -1);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, cfgname));
	assert_non_null(strstr(e.msg, "digest mismatch"));
	free(bad);
	free(t1);
	free(t2);
	free(big);
	unlink(path);
}

/* An OCI layout: blobs by digest; ANNOT the index's annotation. */
static int oci_members(struct member *m, char **keep, const char *l1, size_t n1, const char *l2, size_t n2,
		       const char *media, int docker25)
{
	char d1[KSHA256_DIGEST], d2[KSHA256_DIGEST], cd[KSHA256_DIGEST], md[KSHA256_DIGEST];
	digest_of(l1, n1, d1);
	digest_of(l2, n2, d2);
	/* diff ids: of the uncompressed tars, which the test does not need exactly */
	const char *cfg = config_json(d1, d2);
	digest_of(cfg, strlen(cfg), cd);
	char *manifest, *index;
	assert_true(asprintf(&manifest,
			     "{\"schemaVersion\":2,\"config\":{\"digest\":\"%s\"},\"layers\":["
			     "{\"mediaType\":\"%s\",\"digest\":\"%s\"},{\"mediaType\":\"%s\",\"digest\":\"%s\"}]}",
			     cd, media, d1, media, d2) > 0);
	digest_of(manifest, strlen(manifest), md);
	assert_true(asprintf(&index,
			     "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"%s\",\"annotations\":"
			     "{\"org.opencontainers.image.ref.name\":\"oci/app:2\"}}]}",
			     md) > 0);
	static char names[4][80];
	snprintf(names[0], 80, "blobs/sha256/%s", cd + 7);
	snprintf(names[1], 80, "blobs/sha256/%s", md + 7);
	snprintf(names[2], 80, "blobs/sha256/%s", d1 + 7);
	snprintf(names[3], 80, "blobs/sha256/%s", d2 + 7);
	int n = 0;
	m[n++] = (struct member){ "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30 };
	m[n++] = (struct member){ "index.json", index, strlen(index) };
	m[n++] = (struct member){ names[0], strdup(cfg), strlen(cfg) };
	m[n++] = (struct member){ names[1], manifest, strlen(manifest) };
	m[n++] = (struct member){ names[3], l2, n2 };
	m[n++] = (struct member){ names[2], l1, n1 };
	keep[0] = index;
	keep[1] = manifest;
	keep[2] = (char *)m[2].data;
	if (docker25) {
		char *man;
		assert_true(asprintf(&man, "[{\"Config\":\"%s\",\"RepoTags\":[\"d25/app:3\"],\"Layers\":[\"%s\",\"%s\"]}]",
				     names[0], names[2], names[3]) > 0);
		m[n++] = (struct member){ "manifest.json", man, strlen(man) };
		keep[3] = man;
	}
	return n;
}

static void check_oci(const char *path, const char *l1, size_t n1, const char *l2, size_t n2, const char *format,
		      const char *name, const char *big)
{
	kerr e;
	struct kimage *img = NULL;
	char *log = walk(path, &e, &img);
	if (!log)
		fail_msg("%s", e.msg);
	char d1[KSHA256_DIGEST], d2[KSHA256_DIGEST];
	digest_of(l1, n1, d1);
	digest_of(l2, n2, d2);
	char *want = expected(d1, d2, big);
	assert_string_equal(log, want);
	assert_string_equal(img->format, format);
	assert_string_equal(img->name, name);
	assert_string_equal(img->layers[0].digest, d1);
	assert_string_equal(img->layers[1].digest, d2);
	assert_non_null(json_object_object_get(img->config, "rootfs"));
	/* the OCI manifest (beside manifest.json for Docker >= 25) */
	assert_non_null(img->manifest_digest);
	assert_string_equal(img->manifest_member + 13, img->manifest_digest + 7);
	kimage_close(img);
	free(want);
	free(log);
}

static void test_oci_tar_and_docker25(void **state)
{
	(void)state;
	char *big = big_file();
	size_t n1, n2;
	char *t1 = layer1(&n1, TAR_GZIP, big), *t2 = layer2(&n2, TAR_ZSTD);
	struct member m[8];
	char *keep[4] = { 0 };
	char path[256];
	snprintf(path, sizeof(path), "%s/oci.tar", dir);
	int n = oci_members(m, keep, t1, n1, t2, n2, "application/vnd.oci.image.layer.v1.tar+gzip", 0);
	write_outer(path, m, (size_t)n);
	check_oci(path, t1, n1, t2, n2, "oci", "oci/app:2", big);
	for (int i = 0; i < 4; i++)
		free(keep[i]);

	/* docker save of Docker >= 25: the same layout plus manifest.json */
	memset(keep, 0, sizeof(keep));
	n = oci_members(m, keep, t1, n1, t2, n2, "application/vnd.oci.image.layer.v1.tar", 1);
	write_outer(path, m, (size_t)n);
	check_oci(path, t1, n1, t2, n2, "docker-save", "d25/app:3", big);
	for (int i = 0; i < 4; i++)
		free(keep[i]);
	free(t1);
	free(t2);
	free(big);
	unlink(path);
}

static void rm_rf(const char *p)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	assert_int_equal(system(cmd), 0);
}

/* The members as an OCI layout directory ROOT. */
static void write_layout(const char *root, const struct member *m, int n)
{
	char p[600];
	snprintf(p, sizeof(p), "mkdir -p '%s/blobs/sha256'", root);
	assert_int_equal(system(p), 0);
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, m[i].name);
		tar_write_file(p, m[i].data, m[i].len);
	}
}

static void test_oci_directory(void **state)
{
	(void)state;
	char *big = big_file();
	size_t n1, n2;
	char *t1 = layer1(&n1, TAR_GZIP, big), *t2 = layer2(&n2, 0);
	struct member m[8];
	char *keep[4] = { 0 };
	char root[256], p[512];
	snprintf(root, sizeof(root), "%s/layout", dir);
	int n = oci_members(m, keep, t1, n1, t2, n2, "application/vnd.oci.image.layer.v1.tar+gzip", 0);
	write_layout(root, m, n);
	check_oci(root, t1, n1, t2, n2, "oci", "oci/app:2", big);

	/* a blob that is a symlink out of the layout is not followed */
	snprintf(p, sizeof(p), "%s/%s", root, m[5].name);   /* layer 1 */
	unlink(p);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	kerr e;
	struct kimage *img;
	assert_int_equal(kimage_open(root, &img, &e), -1);
	assert_non_null(strstr(e.msg, root));
	assert_non_null(strstr(e.msg, "layer 1"));
	assert_non_null(strstr(e.msg, m[5].name));
	for (int i = 0; i < 4; i++)
		free(keep[i]);
	rm_rf(root);
	free(t1);
	free(t2);
	free(big);
}

/* Layers named by digest are verified: held in memory (before any entry),
 * streamed from a tar or from a directory (after the last entry). */
static void test_layer_digests(void **state)
{
	(void)state;
	char *big = big_file();
	size_t n1, n2, nx;
	char *t1 = layer1(&n1, 0, big), *t2 = layer2(&n2, 0);
	static const struct tent other[] = { { "evil", S_IFREG | 0644, "planted", 0, NULL, NULL, NULL } };
	char *tx = tar_build(other, 1, 0, &nx);
	struct member m[8];
	char *keep[4] = { 0 };
	char path[256];
	kerr e;
	snprintf(path, sizeof(path), "%s/digest.tar", dir);

	/* layer 2 (small, in memory) replaced by another tar under its name */
	int n = oci_members(m, keep, t1, n1, t2, n2, "application/vnd.oci.image.layer.v1.tar", 0);
	m[4].data = tx;
	m[4].len = nx;
	write_outer(path, m, (size_t)n);
	assert_null(walk(path, &e, NULL));
	assert_non_null(strstr(e.msg, "layer 2 (blobs/sha256/"));
	assert_non_null(strstr(e.msg, "blob: digest mismatch"));
	struct kimage *img;
	struct rec r;
	assert_int_equal(kimage_open(path, &img, &e), 0);
	rec_init(&r);
	assert_int_equal(kimage_walk(img, &visitor, &r, &e), -1);
	char *log = rec_done(&r);
	assert_null(strstr(log, "evil"));     /* refused before its first entry */
	assert_non_null(strstr(log, "end 0\n"));
	free(log);
	kimage_close(img);

	/* layer 1 (3 MiB, streamed from the tar): one byte of a file changed */
	char *t1x = malloc(n1);
	memcpy(t1x, t1, n1);
	char *at = memmem(t1x, n1, big + 1000, 64);
	assert_non_null(at);
	at[10] ^= 1;
	m[4].data = t2;
	m[4].len = n2;
	m[5].data = t1x;
	write_outer(path, m, (size_t)n);
	assert_null(walk(path, &e, NULL));
	assert_non_null(strstr(e.msg, "layer 1 (blobs/sha256/"));
	assert_non_null(strstr(e.msg, "blob: digest mismatch"));
	unlink(path);

	/* the same from a layout directory (every blob streamed from its fd) */
	char root[256];
	snprintf(root, sizeof(root), "%s/dlayout", dir);
	m[5].data = t1;
	m[4].data = tx;
	m[4].len = nx;
	write_layout(root, m, n);
	assert_int_equal(kimage_open(root, &img, &e), 0);
	rec_init(&r);
	assert_int_equal(kimage_walk(img, &visitor, &r, &e), -1);
	log = rec_done(&r);
	assert_non_null(strstr(log, "entry 'evil'"));   /* streamed: found at the end of the layer */
	assert_null(strstr(log, "end 1"));
	assert_non_null(strstr(e.msg, "layer 2"));
	assert_non_null(strstr(e.msg, "blob: digest mismatch"));
	free(log);
	kimage_close(img);
	rm_rf(root);
	for (int i = 0; i < 4; i++)
		free(keep[i]);
	free(t1x);
	free(t1);
	free(t2);
	free(tx);
	free(big);
}

/* ---- hostile archives ---- */

/* A docker save with one layer of ENTS; the open or walk error, or NULL. */
static char *save_error(const struct tent *ents, size_t n, const char *manifest, const char *config)
{
	size_t tl;
	char *t = tar_build(ents, n, 0, &tl);
	static const char *def_man = "[{\"Config\":\"c.json\",\"Layers\":[\"l/layer.tar\"]}]";
	const char *cfg = config ? config : "{\"rootfs\":{\"diff_ids\":[]}}";
	const struct member m[] = {
		{ "manifest.json", manifest ? manifest : def_man, strlen(manifest ? manifest : def_man) },
		{ "c.json", cfg, strlen(cfg) },
		{ "l/layer.tar", t, tl },
	};
	char path[256];
	snprintf(path, sizeof(path), "%s/hostile.tar", dir);
	write_outer(path, m, 3);
	free(t);
	kerr e;
	char *log = walk(path, &e, NULL);
	unlink(path);
	if (log) {
		free(log);
		return NULL;
	}
	assert_non_null(strstr(e.msg, path));   /* every error names the archive */
	return strdup(e.msg);
}

static void expect_error(const struct tent *ents, size_t n, const char *manifest, const char *config,
			 const char *want1, const char *want2)
{
	char *msg = save_error(ents, n, manifest, config);
	if (!msg)
		fail_msg("no error, expected %s", want1);
	if (!strstr(msg, want1) || (want2 && !strstr(msg, want2)))
		fail_msg("error \"%s\" does not say \"%s\" / \"%s\"", msg, want1, want2 ? want2 : "");
	free(msg);
}

static void test_hostile_entries(void **state)
{
	(void)state;
	const struct tent ok = { "etc/ok", S_IFREG | 0644, "x", 0, NULL, NULL, NULL };
	struct tent t[2] = { ok, ok };

	char *msg = save_error(t, 1, NULL, NULL);
	assert_null(msg);   /* the well-formed base case */

	t[1] = (struct tent){ "etc/../../escape", S_IFREG | 0644, "x", 0, NULL, NULL, NULL };
	expect_error(t, 2, NULL, NULL, "layer 1 (l/layer.tar): entry etc/../../escape", "\"..\"");
	t[1] = (struct tent){ "../escape", S_IFDIR | 0755, NULL, 0, NULL, NULL, NULL };
	expect_error(t, 2, NULL, NULL, "entry ../escape", "leads out of the image");
	t[1] = (struct tent){ "/etc/abs", S_IFREG | 0644, "x", 0, NULL, NULL, NULL };
	expect_error(t, 2, NULL, NULL, "entry /etc/abs: absolute path", NULL);
	t[1] = (struct tent){ "etc/hl", S_IFREG | 0644, NULL, 0, "../../etc/shadow", NULL, NULL };
	expect_error(t, 2, NULL, NULL, "entry etc/hl: hard link target ../../etc/shadow", NULL);
	t[1] = (struct tent){ "etc/.wh...", S_IFREG | 0644, "", 0, NULL, NULL, NULL };
	expect_error(t, 2, NULL, NULL, "whiteout etc/.wh...: names no file", NULL);

	/* manifests */
	expect_error(t, 1, "[{\"Config\":\"c.json\",\"Layers\":[\"../../etc/passwd\"]}]", NULL,
		     "manifest.json[0].Layers[0] ../../etc/passwd", "leads out");
	expect_error(t, 1, "[{\"Config\":\"/etc/passwd\",\"Layers\":[]}]", NULL, "manifest.json[0].Config /etc/passwd",
		     "absolute");
	expect_error(t, 1, "[{\"Config\":\"c.json\",\"Layers\":[\"gone/layer.tar\"]}]", NULL,
		     "layer 1: gone/layer.tar is missing from the archive", NULL);
	expect_error(t, 1, "[{\"Config\":\"none.json\",\"Layers\":[]}]", NULL, "none.json is missing", NULL);
	expect_error(t, 1, "[{\"Config\":\"c.json\",\"Layers\":[1]}]", NULL, "Layers[0]: expected a string", NULL);
	expect_error(t, 1, "{\"Config\":\"c.json\"}", NULL, "manifest.json: expected a JSON array", NULL);
	expect_error(t, 1, "[{\"Config\":\"c.json\",\"Layers\":[\"l/layer.tar\"]", NULL, "manifest.json", NULL);
	expect_error(t, 1, NULL, "{\"rootfs\":", "c.json", NULL);
	expect_error(t, 1, NULL, "[]", "c.json: expected a JSON object", NULL);
	expect_error(t, 1, NULL, "{\"rootfs\":{\"diff_ids\":[\"sha256:../x\"]}}", "config: rootfs.diff_ids[0]", NULL);

	/* a member too large to be a document */
	char *huge = malloc(5u << 20);
	memset(huge, ' ', 5u << 20);
	huge[0] = '{';
	huge[(5u << 20) - 1] = '}';
	char *m = strndup(huge, 5u << 20);
	expect_error(t, 1, NULL, m, "c.json: larger than", NULL);
	free(m);
	free(huge);
}

static void test_visitor_stops_the_walk(void **state)
{
	(void)state;
	static const struct tent t[] = {
		{ "a", S_IFREG | 0644, "1", 0, NULL, NULL, NULL },
		{ "b", S_IFREG | 0644, "2", 0, NULL, NULL, NULL },
		{ "c", S_IFREG | 0644, "3", 0, NULL, NULL, NULL },
	};
	size_t tl;
	char *tar = tar_build(t, 3, 0, &tl);
	const char *man = "[{\"Config\":\"c.json\",\"Layers\":[\"l/layer.tar\"]}]", *cfg = "{}";
	const struct member m[] = {
		{ "manifest.json", man, strlen(man) }, { "c.json", cfg, 2 }, { "l/layer.tar", tar, tl },
	};
	char path[256];
	snprintf(path, sizeof(path), "%s/stop.tar", dir);
	write_outer(path, m, 3);
	struct kimage *img;
	kerr e;
	assert_int_equal(kimage_open(path, &img, &e), 0);
	struct rec r;
	rec_init(&r);
	r.stop_at_entry = 2;
	assert_int_equal(kimage_walk(img, &visitor, &r, &e), -1);
	char *log = rec_done(&r);
	assert_string_equal(log, "begin 0 - by=-\nentry 'a' 100644 0:0 '1'\n");   /* nothing after b */
	assert_int_equal(e.errnum, EPERM);
	assert_non_null(strstr(e.msg, "layer 1 (l/layer.tar): visitor refuses b"));
	free(log);
	kimage_close(img);

	/* not an image at all */
	assert_int_equal(kimage_open(dir, &img, &e), -1);
	assert_non_null(strstr(e.msg, "neither a docker save archive"));
	tar_write_file(path, "garbage", 7);
	assert_int_equal(kimage_open(path, &img, &e), -1);
	assert_non_null(strstr(e.msg, path));
	unlink(path);
	free(tar);
}

static void test_norm_path(void **state)
{
	(void)state;
	static const char *const ok[][2] = {
		{ "a/b", "a/b" }, { "./a//b/", "a/b" }, { ".", "" }, { "./", "" }, { "a/./b", "a/b" }, { "", "" },
		{ "..a/b..", "..a/b.." },
	};
	kerr e;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *p = kimage_norm_path(ok[i][0], "entry", &e);
		assert_non_null(p);
		assert_string_equal(p, ok[i][1]);
		free(p);
	}
	static const char *const bad[] = { "..", "../a", "a/..", "a/../b", "/a", "//a", "./../a" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(kimage_norm_path(bad[i], "entry", &e));
		assert_non_null(strstr(e.msg, bad[i]));
	}
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_norm_path),
		cmocka_unit_test(test_docker_save_legacy),
		cmocka_unit_test(test_oci_tar_and_docker25),
		cmocka_unit_test(test_oci_directory),
		cmocka_unit_test(test_layer_digests),
		cmocka_unit_test(test_hostile_entries),
		cmocka_unit_test(test_visitor_stops_the_walk),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
