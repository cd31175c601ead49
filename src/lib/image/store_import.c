/* kstore_import: a root filesystem tarball (plain or compressed) as a
 * one-layer image, as `docker import` makes one (store.h).  The layer is
 * stored uncompressed, so its digest is its diff_id; the config names the
 * host's architecture, "linux", the time of the import and a history entry.
 * The image enters the store through kstore_add, which unpacks the layer
 * (and refuses a hostile one) like any other. */
#include "image/store.h"
#include "image/store_add.h"
#include "image/store_int.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/strv.h"
#include "common/time.h"
#include "image/apply.h"
#include "image/source.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define CHUNK 65536

/* Go's GOARCH for the machine uname(2) names (the image spec's values). */
static const char *go_arch(void)
{
	static const struct {
		const char *uname, *go;
	} map[] = {
		{ "x86_64", "amd64" },    { "aarch64", "arm64" }, { "armv7l", "arm" },
		{ "armv6l", "arm" },      { "i686", "386" },      { "i386", "386" },
		{ "ppc64le", "ppc64le" }, { "s390x", "s390x" },   { "riscv64", "riscv64" },
	};
	struct utsname u;
	if (uname(&u) == 0)
		for (size_t i = 0; i < ARRAY_SIZE(map); i++)
			if (!strcmp(u.machine, map[i].uname))
				return map[i].go;
	return "unknown";
}

struct src {
	int fd;
	char buf[CHUNK];
};

static la_ssize_t src_read(struct archive *a, void *ud, const void **buf)
{
	(void)a;
	struct src *s = ud;
	*buf = s->buf;
	ssize_t n;
	do
		n = read(s->fd, s->buf, sizeof(s->buf));
	while (n < 0 && errno == EINTR);
	return n;
}

/* The decompressed FD into a temp blob: its digest and size. */
static int stage_layer(struct kstore *s, int fd, struct kstore_staged *st, int64_t *size, kerr *e)
{
	struct archive *a = archive_read_new();
	_cleanup_free_ struct src *in = malloc(sizeof(*in));
	_cleanup_free_ char *out = malloc(CHUNK);
	struct ksha256 h;
	struct archive_entry *ent;
	if (!a || !in || !out) {
		archive_read_free(a);
		return kerr_set(e, ENOMEM, "import");
	}
	in->fd = fd;
	if (ksrc_filters(a, 0, "import", e) < 0) {
		archive_read_free(a);
		return -1;
	}
	archive_read_support_format_raw(a);
	int blob = kstore_tmpfile(s, "import", st->tmp, e), rc = -1;
	if (blob < 0) {
		archive_read_free(a);
		return -1;
	}
	if (ksha256_init_bulk(&h, e) < 0)
		goto out_file;
	*size = 0;
	if (archive_read_open(a, in, NULL, src_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ent) != ARCHIVE_OK) {
		kerr_msg(e, EINVAL, "not a tar archive (%s)",
			 archive_error_string(a) ? archive_error_string(a) : "empty");
		goto out_hash;
	}
	la_ssize_t n;
	while ((n = archive_read_data(a, out, CHUNK)) > 0) {
		ksha256_update(&h, out, (size_t)n);
		if ((uint64_t)(*size += n) > KAPPLY_MAX_BYTES) {
			kerr_msg(e, EFBIG, "larger than %llu bytes uncompressed (the limit of one layer)",
				 (unsigned long long)KAPPLY_MAX_BYTES);
			goto out_hash;
		}
		if (kstore_write(s, blob, st->tmp, out, (size_t)n, e) < 0)
			goto out_hash;
	}
	if (n < 0) {
		kerr_msg(e, EINVAL, "%s", archive_error_string(a) ? archive_error_string(a) : "read error");
		goto out_hash;
	}
	uint8_t sum[KSHA256_LEN];
	ksha256_final(&h, sum);
	ksha256_digest(sum, st->digest);
	if (fsync(blob) < 0) {
		kerr_errno(e, "fsync %s/tmp/%s", s->root, st->tmp);
		goto out_file;
	}
	rc = 0;
	goto out_file;
out_hash:
	ksha256_release(&h);
out_file:
	if (close(blob) < 0 && rc == 0)
		rc = kerr_errno(e, "write %s/tmp/%s", s->root, st->tmp);
	archive_read_free(a);
	return rc;
}

static int stage_doc(struct kstore *s, const char *text, struct kstore_staged *st, kerr *e)
{
	uint8_t sum[KSHA256_LEN];
	ksha256(text, strlen(text), sum);
	ksha256_digest(sum, st->digest);
	int fd = kstore_tmpfile(s, "config", st->tmp, e);
	if (fd < 0)
		return -1;
	if (kstore_write(s, fd, st->tmp, text, strlen(text), e) < 0) {
		close(fd);
		return -1;
	}
	if (fsync(fd) < 0) {
		kerr_errno(e, "fsync %s/tmp/%s", s->root, st->tmp);
		close(fd);
		return -1;
	}
	return close(fd) < 0 ? kerr_errno(e, "write %s/tmp/%s", s->root, st->tmp) : 0;
}

static char *config_text(const char *diff_id, const char *what, const char *now)
{
	_cleanup_json_ json_object *c = json_object_new_object();
	json_object *rootfs = json_object_new_object(), *ids = json_object_new_array(), *hist = json_object_new_array(),
		    *h = json_object_new_object();
	json_object_object_add(c, "architecture", json_object_new_string(go_arch()));
	json_object_object_add(c, "os", json_object_new_string("linux"));
	json_object_object_add(c, "created", json_object_new_string(now));
	json_object_object_add(c, "config", json_object_new_object());
	json_object_array_add(ids, json_object_new_string(diff_id));
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	json_object_object_add(rootfs, "diff_ids", ids);
	json_object_object_add(c, "rootfs", rootfs);
	json_object_object_add(h, "created", json_object_new_string(now));
	char comment[512];
	snprintf(comment, sizeof(comment), "Imported from %s", what);
	json_object_object_add(h, "comment", json_object_new_string(comment));
	json_object_array_add(hist, h);
	json_object_object_add(c, "history", hist);
	return strdup(json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

int kstore_import(struct kstore *s, int fd, const char *what, const char *name, kstore_loaded_fn fn, void *ud, kerr *e)
{
	if (s->mode != KSTORE_EXCLUSIVE)
		return kerr_msg(e, EPERM, "import %s: the store is not locked for writing", what);
	struct kstore_pending *p = calloc(1, sizeof(*p));
	struct kstore_staged layer = { 0 }, cfg = { 0 };
	_cleanup_free_ char *norm = NULL, *text = NULL;
	int64_t size = 0;
	int rc = -1;
	if (!p) {
		kerr_set(e, ENOMEM, "import %s", what);
		goto out;
	}
	if (name && !(norm = kstore_norm_name(name, e)))
		goto out;
	if (stage_layer(s, fd, &layer, &size, e) < 0) {
		if (layer.tmp[0])
			unlinkat(s->tmpfd, layer.tmp, 0);
		goto out;
	}
	if (kstore_add_staged(p, &layer, e) < 0) {
		unlinkat(s->tmpfd, layer.tmp, 0);
		goto out;
	}
	char now[KTIME_BUFSZ];
	if (ktime_now(now, sizeof(now), KTIME_NANO_TRIM) < 0 || !(text = config_text(layer.digest, what, now))) {
		kerr_set(e, ENOMEM, "import %s", what);
		goto out;
	}
	if (stage_doc(s, text, &cfg, e) < 0 || kstore_add_staged(p, &cfg, e) < 0) {
		if (cfg.tmp[0])
			unlinkat(s->tmpfd, cfg.tmp, 0);
		goto out;
	}
	struct kstore_image *r = &p->rec;
	r->id = strdup(cfg.digest);
	r->created = strdup(now);
	r->layers = calloc(1, sizeof(*r->layers));
	r->names = calloc(1, sizeof(char *));
	p->names = calloc(1, sizeof(char *));
	if (!r->id || !r->created || !r->layers || !r->names || !p->names || (norm && kstrv_add(&p->names, norm) < 0)) {
		kerr_set(e, ENOMEM, "import %s", what);
		goto out;
	}
	r->nlayers = 1;
	r->size = size;
	r->layers[0].digest = strdup(layer.digest);
	r->layers[0].diff_id = strdup(layer.digest);
	r->layers[0].media_type = strdup("application/vnd.oci.image.layer.v1.tar");
	r->layers[0].size = size;
	if (!r->layers[0].digest || !r->layers[0].diff_id || !r->layers[0].media_type) {
		kerr_set(e, ENOMEM, "import %s", what);
		goto out;
	}
	rc = kstore_add(s, p, 1, fn, ud, e);
out:
	if (p)
		kstore_pending_free(s, p, 1);
	if (rc < 0 && p)
		return kerr_wrap(e, "%s", what);
	return rc;
}
