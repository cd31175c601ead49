/* The store's unpacked layers and holds (store.h), and kstore_add, the one
 * path by which images enter the store (store_int.h):
 *
 *   ROOT/layers/<chain-hex>/diff          the layer in overlayfs's format
 *   ROOT/layers/<chain-hex>/report.json   what the applier removed
 *   ROOT/holds/<holder>                   "sha256:<id>\n"
 *
 * A layer directory is built in tmp/layer-* and renamed whole into
 * layers/ once its blob and diff_id are verified, so a directory in
 * layers/ is always complete; gc renames an unused one back into tmp/
 * before removing it, so a crash mid-removal leaves nothing half-deleted
 * in layers/ either (tmp/ is emptied by the next command). */
#include "image/apply.h"
#include "image/store.h"
#include "image/store_add.h"
#include "image/store_int.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/strv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPORT "report.json"

void kstore_chain_ids(const struct kstore_image *img, char (*out)[KSHA256_DIGEST])
{
	for (size_t i = 0; i < img->nlayers; i++) {
		if (i == 0) {
			snprintf(out[0], KSHA256_DIGEST, "%s", img->layers[0].diff_id);
			continue;
		}
		char buf[2 * KSHA256_DIGEST];
		uint8_t sum[KSHA256_LEN];
		int n = snprintf(buf, sizeof(buf), "%s %s", out[i - 1], img->layers[i].diff_id);
		ksha256(buf, (size_t)n, sum);
		ksha256_digest(sum, out[i]);
	}
}

static int have_layer(const struct kstore *s, const char *chain)
{
	return faccessat(s->layerfd, chain + 7, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* A layer directory of this batch, still in tmp/. */
struct built {
	char chain[KSHA256_DIGEST];
	char tmp[64];
};

struct batch {
	struct built *v;
	size_t n;
};

static const struct built *batch_find(const struct batch *b, const char *chain)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->v[i].chain, chain))
			return &b->v[i];
	return NULL;
}

static void batch_undo(struct kstore *s, struct batch *b)
{
	kerr ig;
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].tmp[0])
			kfs_remove_at(s->tmpfd, b->v[i].tmp, &ig);
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

/* The diff/ of layer CHAIN, from layers/ or from the batch in tmp/. */
static int open_diff(struct kstore *s, const struct batch *b, const char *chain, kerr *e)
{
	char p[128];
	const struct built *t = b ? batch_find(b, chain) : NULL;
	snprintf(p, sizeof(p), "%s/diff", t ? t->tmp : chain + 7);
	int fd = openat(t ? s->tmpfd : s->layerfd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd >= 0 ? fd : kerr_errno(e, "open %s/%s/%s", s->root, t ? "tmp" : "layers", p);
}

static json_object *report_json(const char *chain, const struct kstore_layer *l, const struct kapply_report *r,
				unsigned keep)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "setuid_kept", json_object_new_boolean(!!(keep & KSTORE_KEEP_SETUID)));
	json_object_object_add(o, "file_caps_kept", json_object_new_boolean(!!(keep & KSTORE_KEEP_FILE_CAPS)));
	json_object_object_add(o, "chain_id", json_object_new_string(chain));
	json_object_object_add(o, "diff_id", json_object_new_string(l->diff_id));
	json_object_object_add(o, "digest", json_object_new_string(l->digest));
	json_object_object_add(o, "entries", json_object_new_int64((int64_t)r->entries));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)r->bytes));
	json_object_object_add(o, "setuid", kj_new_strv((const char *const *)r->setuid));
	json_object_object_add(o, "file_caps", kj_new_strv((const char *const *)r->file_caps));
	json_object_object_add(o, "setuid_count", json_object_new_int64((int64_t)r->nsetuid));
	json_object_object_add(o, "file_caps_count", json_object_new_int64((int64_t)r->nfile_caps));
	json_object_object_add(o, "xattrs_dropped", json_object_new_int64((int64_t)r->xattrs_dropped));
	return o;
}

static int write_report(struct kstore *s, int dirfd, const char *dir, const char *json, kerr *e)
{
	_cleanup_close_ int fd = openat(dirfd, REPORT, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return kerr_errno(e, "create %s/tmp/%s/" REPORT, s->root, dir);
	return kstore_write(s, fd, dir, json, strlen(json), e);
}

/* Unpack layer L (chain CHAIN) of IMG from its blob (in tmp/ when staged,
 * else in blobs/) into a new tmp/layer-* directory: T->tmp. */
static int unpack(struct kstore *s, const struct kstore_image *img, size_t li, const char (*chains)[KSHA256_DIGEST],
		  const char *staged, const struct batch *b, struct built *t, kerr *e)
{
	const struct kstore_layer *l = &img->layers[li];
	int lower[li ? li : 1];
	size_t nlower = 0;
	int rc = -1, dirfd = -1, diff = -1;
	struct kapply_report rep = { 0 };
	_cleanup_json_ json_object *j = NULL;
	snprintf(t->chain, sizeof(t->chain), "%s", chains[li]);
	snprintf(t->tmp, sizeof(t->tmp), "layer-%d-%u", (int)getpid(), s->seq++);
	_cleanup_close_ int blob = staged ? openat(s->tmpfd, staged, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
					  : openat(s->blobfd, l->digest + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (blob < 0) {
		t->tmp[0] = '\0';
		return kerr_errno(e, "open the blob %s", l->digest);
	}
	for (size_t k = li; k-- > 0; nlower++)
		if ((lower[nlower] = open_diff(s, b, chains[k], e)) < 0)
			goto out;
	if (mkdirat(s->tmpfd, t->tmp, 0700) < 0) {
		kerr_errno(e, "create %s/tmp/%s", s->root, t->tmp);
		t->tmp[0] = '\0';
		goto out;
	}
	if ((dirfd = openat(s->tmpfd, t->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    mkdirat(dirfd, "diff", 0755) < 0 ||
	    (diff = openat(dirfd, "diff", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		kerr_errno(e, "create %s/tmp/%s/diff", s->root, t->tmp);
		goto out;
	}
	/* a staged blob was verified as it was staged (store_add.h); one of
	 * the store is verified again as it is unpacked */
	struct kapply_in in = {
		.fd = blob,
		.digest = staged ? NULL : l->digest,
		.diff_id = staged ? NULL : l->diff_id,
		.dirfd = diff,
		.lower = lower,
		.nlower = nlower,
		.keep = (s->keep & KSTORE_KEEP_SETUID ? KAPPLY_KEEP_SETUID : 0) |
			(s->keep & KSTORE_KEEP_FILE_CAPS ? KAPPLY_KEEP_FILE_CAPS : 0),
	};
	if (kapply_layer(&in, &rep, e) < 0)
		goto out;
	j = report_json(chains[li], l, &rep, s->keep);
	rc = write_report(s, dirfd, t->tmp,
			  json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE),
			  e);
out:
	kapply_report_clear(&rep);
	for (size_t k = 0; k < nlower; k++)
		close(lower[k]);
	if (diff >= 0)
		close(diff);
	if (dirfd >= 0)
		close(dirfd);
	if (rc < 0) {
		kerr ig;
		if (t->tmp[0])
			kfs_remove_at(s->tmpfd, t->tmp, &ig);
		t->tmp[0] = '\0';
		return kerr_wrap(e, "layer %zu (%s)", li + 1, l->digest);
	}
	return 0;
}

static int batch_add(struct batch *b, const struct built *t, kerr *e)
{
	struct built *n = realloc(b->v, (b->n + 1) * sizeof(*n));
	if (!n)
		return kerr_set(e, ENOMEM, "layers");
	b->v = n;
	b->v[b->n++] = *t;
	return 0;
}

/* The temp file P stages DIGEST in, or NULL when the store has it. */
static const char *staged_file(const struct kstore_pending *p, const char *digest)
{
	for (size_t i = 0; i < p->nblobs; i++)
		if (p->blobs[i].tmp[0] && !strcmp(p->blobs[i].digest, digest))
			return p->blobs[i].tmp;
	return NULL;
}

void kstore_set_keep(struct kstore *s, unsigned keep)
{
	s->keep = keep;
}

/* The report.json of the layer directory CHAIN into *OUT (NULL when it
 * has none). */
static int read_report(const struct kstore *s, const char *chain, json_object **out, kerr *e)
{
	char p[128];
	_cleanup_free_ char *buf = NULL;
	*out = NULL;
	snprintf(p, sizeof(p), "%s/" REPORT, chain + 7);
	_cleanup_close_ int fd = openat(s->layerfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : kerr_errno(e, "open %s/layers/%s", s->root, p);
	if (kfs_read_fd(fd, &buf, NULL, e) < 0)
		return -1;
	return (*out = kj_parse(p, buf, strlen(buf), e)) ? 0 : -1;
}

/* One kind of file (setuid, file caps) of layer I against the wanted mode. */
static int check_kind(const struct kstore_image *img, size_t i, json_object *r, const char *key, int want,
		      const char *what, const char *flag, kerr *e)
{
	char kept_key[64], count_key[64];
	snprintf(kept_key, sizeof(kept_key), "%s_kept", key);
	snprintf(count_key, sizeof(count_key), "%s_count", key);
	int kept = kj_get_bool(r, kept_key);
	int64_t n = kj_get_i64(r, count_key, 0);
	if (kept == want || n == 0)
		return 0;
	json_object *list = kj_get(r, key);
	const char *first = json_object_is_type(list, json_type_array) && json_object_array_length(list)
				    ? json_object_get_string(json_object_array_get_idx(list, 0))
				    : "?";
	return kerr_msg(e, EEXIST,
			"layer %zu (%s) is unpacked in the store already with its %s %s (%lld file%s, %s among "
			"them), and a layer is unpacked once for every image that has it: %s %s, or remove the "
			"images that use that layer first",
			i + 1, img->layers[i].digest, what, kept ? "kept" : "removed", (long long)n, n == 1 ? "" : "s",
			first, want ? "drop" : "add", flag);
}

int kstore_layers_check(struct kstore *s, const struct kstore_image *img, kerr *e)
{
	char(*chains)[KSHA256_DIGEST] = calloc(img->nlayers ? img->nlayers : 1, sizeof(*chains));
	if (!chains)
		return kerr_set(e, ENOMEM, "layers");
	kstore_chain_ids(img, chains);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < img->nlayers; i++) {
		if (!have_layer(s, chains[i]))
			continue;
		json_object *r;
		if (read_report(s, chains[i], &r, e) < 0) {
			rc = -1;
			break;
		}
		if (r && (check_kind(img, i, r, "setuid", !!(s->keep & KSTORE_KEEP_SETUID), "setuid/setgid bits",
				     "--keep-setuid", e) < 0 ||
			  check_kind(img, i, r, "file_caps", !!(s->keep & KSTORE_KEEP_FILE_CAPS), "file capabilities",
				     "--keep-file-caps", e) < 0))
			rc = -1;
		json_object_put(r);
	}
	free(chains);
	return rc;
}

/* Every layer of IMG the store has no directory for, into B. */
static int unpack_missing(struct kstore *s, const struct kstore_image *img, const struct kstore_pending *p,
			  struct batch *b, kerr *e)
{
	char(*chains)[KSHA256_DIGEST] = calloc(img->nlayers ? img->nlayers : 1, sizeof(*chains));
	if (!chains)
		return kerr_set(e, ENOMEM, "layers");
	kstore_chain_ids(img, chains);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < img->nlayers; i++) {
		if (have_layer(s, chains[i]) || batch_find(b, chains[i]))
			continue;
		struct built t;
		rc = unpack(s, img, i, chains, p ? staged_file(p, img->layers[i].digest) : NULL, b, &t, e);
		if (rc == 0 && (rc = batch_add(b, &t, e)) < 0)
			kfs_remove_at(s->tmpfd, t.tmp, &(kerr){ 0 });
	}
	free(chains);
	return rc;
}

/* Rename B's directories into layers/.  Their files are not fsync'ed (nor
 * are Docker's or Podman's): a kill -9 cannot leave a half-unpacked layer
 * visible, the page cache holds what was written; a power loss may (the
 * blobs and index.json are fsync'ed, so removing layers/<chain> makes the
 * next kstore_layer_dirs unpack it again from its verified blob).  A
 * syncfs here would wait for every dirty page of the file system, other
 * programs' too. */
static int batch_publish(struct kstore *s, struct batch *b, kerr *e)
{
	if (!b->n)
		return 0;
	for (size_t i = 0; i < b->n; i++) {
		if (renameat(s->tmpfd, b->v[i].tmp, s->layerfd, b->v[i].chain + 7) < 0)
			return kerr_errno(e, "rename %s/tmp/%s to layers/%s", s->root, b->v[i].tmp, b->v[i].chain + 7);
		b->v[i].tmp[0] = '\0';
	}
	if (fsync(s->layerfd) < 0)
		return kerr_errno(e, "fsync %s/layers", s->root);
	return 0;
}

int kstore_add_staged(struct kstore_pending *p, const struct kstore_staged *st, kerr *e)
{
	struct kstore_staged *nb = realloc(p->blobs, (p->nblobs + 1) * sizeof(*nb));
	if (!nb)
		return kerr_set(e, ENOMEM, "stage");
	p->blobs = nb;
	p->blobs[p->nblobs++] = *st;
	return 0;
}

static int same_layers(const struct kstore_image *a, const struct kstore_image *b)
{
	if (a->nlayers != b->nlayers)
		return 0;
	for (size_t i = 0; i < a->nlayers; i++)
		if (strcmp(a->layers[i].digest, b->layers[i].digest))
			return 0;
	return 1;
}

/* Add P's record to the index, or give the image it has P's names: an
 * image loaded again (from another archive, with other compressed blobs)
 * keeps the blobs it has, which the sweep then keeps alone. */
static struct kstore_image *merge(struct kstore *s, struct kstore_pending *p, kerr *e)
{
	size_t i;
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->img[i].id, p->rec.id))
			break;
	if (i == s->n) {
		struct kstore_image *ni = realloc(s->img, (s->n + 1) * sizeof(*ni));
		if (!ni) {
			kerr_set(e, ENOMEM, "index");
			return NULL;
		}
		s->img = ni;
		s->img[s->n++] = p->rec;
		memset(&p->rec, 0, sizeof(p->rec));
		if (!s->img[i].names && !(s->img[i].names = calloc(1, sizeof(char *)))) {
			kerr_set(e, ENOMEM, "index");
			return NULL;
		}
	} else if (!s->img[i].manifest && p->rec.manifest && same_layers(&s->img[i], &p->rec)) {
		/* the manifest names exactly the blobs the store keeps */
		s->img[i].manifest = steal_ptr(p->rec.manifest);
	}
	for (char **n = p->names; n && *n; n++)
		if (kstore_add_name(s, &s->img[i], *n, e) < 0)
			return NULL;
	return &s->img[i];
}

static int rename_blobs(struct kstore *s, struct kstore_pending *p, size_t np, kerr *e)
{
	for (size_t i = 0; i < np; i++)
		for (size_t k = 0; k < p[i].nblobs; k++) {
			struct kstore_staged *st = &p[i].blobs[k];
			if (!st->tmp[0])
				continue;
			if (renameat(s->tmpfd, st->tmp, s->blobfd, st->digest + 7) < 0)
				return kerr_errno(e, "rename %s/tmp/%s to blobs/sha256/%s", s->root, st->tmp,
						  st->digest + 7);
			st->tmp[0] = '\0';
		}
	if (fsync(s->blobfd) < 0)
		return kerr_errno(e, "fsync %s/blobs/sha256", s->root);
	return 0;
}

int kstore_add(struct kstore *s, struct kstore_pending *p, size_t np, kstore_loaded_fn fn, void *ud, kerr *e)
{
	if (s->mode != KSTORE_EXCLUSIVE)
		return kerr_msg(e, EPERM, "store %s: adding an image needs the exclusive lock", s->root);
	struct batch b = { 0 };
	for (size_t i = 0; i < np; i++)
		if (kstore_layers_check(s, &p[i].rec, e) < 0 || unpack_missing(s, &p[i].rec, &p[i], &b, e) < 0) {
			batch_undo(s, &b);
			return np > 1 ? kerr_wrap(e, "image %zu", i + 1) : -1;
		}
	if (rename_blobs(s, p, np, e) < 0 || batch_publish(s, &b, e) < 0) {
		batch_undo(s, &b);
		return -1;
	}
	free(b.v);
	/* indexes, not pointers: a later merge may move s->img (realloc) */
	size_t *done = calloc(np ? np : 1, sizeof(*done));
	if (!done)
		return kerr_set(e, ENOMEM, "index");
	for (size_t i = 0; i < np; i++) {
		struct kstore_image *img = merge(s, &p[i], e);
		if (!img) {
			free(done);
			return -1;
		}
		done[i] = (size_t)(img - s->img);
	}
	if (kstore_commit(s, e) < 0 || kstore_gc(s, e) < 0) {
		free(done);
		return -1;
	}
	for (size_t i = 0; fn && i < np; i++)
		fn(ud, &s->img[done[i]], p[i].names);
	free(done);
	return 0;
}

void kstore_pending_free(struct kstore *s, struct kstore_pending *p, size_t np)
{
	for (size_t i = 0; p && i < np; i++) {
		for (size_t k = 0; k < p[i].nblobs; k++)
			if (p[i].blobs[k].tmp[0])
				unlinkat(s->tmpfd, p[i].blobs[k].tmp, 0);
		free(p[i].blobs);
		kstrv_free(p[i].names);
		kstore_image_clear(&p[i].rec);
	}
	free(p);
}

/* ---- the public side ---- */

int kstore_layer_dirs(struct kstore *s, const struct kstore_image *img, char ***dirs, kerr *e)
{
	*dirs = NULL;
	char(*chains)[KSHA256_DIGEST] = calloc(img->nlayers ? img->nlayers : 1, sizeof(*chains));
	_cleanup_free_ char *abs = realpath(s->root, NULL);
	if (!chains || !abs) {
		free(chains);
		return kerr_errno(e, "image %s: layers of %s", img->id, s->root);
	}
	kstore_chain_ids(img, chains);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < img->nlayers; i++)
		if (!have_layer(s, chains[i]) && s->mode != KSTORE_EXCLUSIVE)
			rc = kerr_msg(e, EAGAIN,
				      "layer %zu (%s) is not unpacked yet: that needs the store's exclusive lock",
				      i + 1, img->layers[i].digest);
	struct batch b = { 0 };
	if (rc == 0 && (unpack_missing(s, img, NULL, &b, e) < 0 || batch_publish(s, &b, e) < 0))
		rc = -1;
	batch_undo(s, &b);
	char **v = rc == 0 ? calloc(img->nlayers + 1, sizeof(char *)) : NULL;
	if (rc == 0 && !v)
		rc = kerr_set(e, ENOMEM, "layers");
	for (size_t i = 0; rc == 0 && i < img->nlayers; i++)
		if (asprintf(&v[i], "%s/layers/%s/diff", abs, chains[i] + 7) < 0) {
			v[i] = NULL;
			rc = kerr_set(e, ENOMEM, "layers");
		}
	free(chains);
	if (rc < 0) {
		kstrv_free(v);
		return kerr_wrap(e, "image %s", img->id);
	}
	*dirs = v;
	return 0;
}

int kstore_layer_report(const struct kstore *s, const struct kstore_image *img, json_object **out, kerr *e)
{
	char(*chains)[KSHA256_DIGEST] = calloc(img->nlayers ? img->nlayers : 1, sizeof(*chains));
	if (!chains)
		return kerr_set(e, ENOMEM, "image %s", img->id);
	kstore_chain_ids(img, chains);
	json_object *arr = json_object_new_array();
	int rc = 0;
	for (size_t i = 0; i < img->nlayers; i++) {
		char p[128];
		_cleanup_free_ char *buf = NULL;
		snprintf(p, sizeof(p), "%s/" REPORT, chains[i] + 7);
		_cleanup_close_ int fd = openat(s->layerfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		json_object *o = json_object_new_object(), *r = NULL;
		json_object_object_add(o, "ChainID", json_object_new_string(chains[i]));
		json_object_object_add(o, "Unpacked", json_object_new_boolean(fd >= 0));
		if (fd >= 0 && (kfs_read_fd(fd, &buf, NULL, e) < 0 || !(r = kj_parse(REPORT, buf, strlen(buf), e)))) {
			json_object_put(o);
			rc = kerr_wrap(e, "%s/layers/%s", s->root, p);
			break;
		}
		if (r) {
			/* the paths under Removed or Kept, as the layer was unpacked */
			int sk = kj_get_bool(r, "setuid_kept"), fk = kj_get_bool(r, "file_caps_kept");
			json_object *none = json_object_new_array(), *none2 = json_object_new_array();
			json_object *su = json_object_get(kj_get(r, "setuid")),
				    *fc = json_object_get(kj_get(r, "file_caps"));
			int64_t nsu = kj_get_i64(r, "setuid_count", 0), nfc = kj_get_i64(r, "file_caps_count", 0);
			json_object_object_add(o, "SetuidRemoved", sk ? none : su);
			json_object_object_add(o, "SetuidKept", sk ? su : none);
			json_object_object_add(o, "FileCapsRemoved", fk ? none2 : fc);
			json_object_object_add(o, "FileCapsKept", fk ? fc : none2);
			json_object_object_add(o, "SetuidRemovedCount", json_object_new_int64(sk ? 0 : nsu));
			json_object_object_add(o, "SetuidKeptCount", json_object_new_int64(sk ? nsu : 0));
			json_object_object_add(o, "FileCapsRemovedCount", json_object_new_int64(fk ? 0 : nfc));
			json_object_object_add(o, "FileCapsKeptCount", json_object_new_int64(fk ? nfc : 0));
			json_object_object_add(o, "XattrsDropped",
					       json_object_new_int64(kj_get_i64(r, "xattrs_dropped", 0)));
			json_object_put(r);
		}
		json_object_array_add(arr, o);
	}
	free(chains);
	if (rc < 0) {
		json_object_put(arr);
		return kerr_wrap(e, "image %s", img->id);
	}
	*out = arr;
	return 0;
}

/* ---- gc of layer directories ---- */

int kstore_image_uses_chain(const struct kstore_image *img, const char *hex)
{
	char(*chains)[KSHA256_DIGEST] = calloc(img->nlayers ? img->nlayers : 1, sizeof(*chains));
	if (!chains)
		return 1; /* keep it: never remove on a doubt */
	kstore_chain_ids(img, chains);
	int used = 0;
	for (size_t k = 0; k < img->nlayers && !used; k++)
		used = !strcmp(chains[k] + 7, hex);
	free(chains);
	return used;
}

static int used_chain(const struct kstore *s, const char *hex)
{
	for (size_t i = 0; i < s->n; i++)
		if (kstore_image_uses_chain(&s->img[i], hex))
			return 1;
	return 0;
}

int kstore_gc_layers(struct kstore *s, kerr *e)
{
	int fd = openat(s->layerfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return kerr_errno(e, "read %s/layers", s->root);
	}
	struct dirent *de;
	int removed = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || used_chain(s, de->d_name))
			continue;
		char tmp[64];
		snprintf(tmp, sizeof(tmp), "gc-%d-%u", (int)getpid(), s->seq++);
		if (renameat(s->layerfd, de->d_name, s->tmpfd, tmp) < 0)
			return kerr_errno(e, "move %s/layers/%s to tmp/", s->root, de->d_name);
		removed++;
		if (kfs_remove_at(s->tmpfd, tmp, e) < 0)
			return kerr_wrap(e, "%s/tmp", s->root);
	}
	if (removed && fsync(s->layerfd) < 0)
		return kerr_errno(e, "fsync %s/layers", s->root);
	return 0;
}

/* ---- holds ---- */

static int check_holder(const char *h, kerr *e)
{
	size_t n = strlen(h);
	if (!n || n > 128 || h[0] == '.' ||
	    strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
		return kerr_msg(
			e, EINVAL,
			"holder \"%.200s\": expected 1 to 128 letters, digits, \"_.-\", not starting with \".\"", h);
	return 0;
}

int kstore_hold(struct kstore *s, const struct kstore_image *img, const char *holder, kerr *e)
{
	char name[64], line[KSHA256_DIGEST + 1];
	if (check_holder(holder, e) < 0)
		return -1;
	if (s->mode != KSTORE_EXCLUSIVE)
		return kerr_msg(e, EPERM, "hold %s: the store is not locked for writing", img->id);
	int fd = kstore_tmpfile(s, "hold", name, e);
	if (fd < 0)
		return kerr_wrap(e, "hold %s", img->id);
	int n = snprintf(line, sizeof(line), "%s\n", img->id);
	if (kstore_write(s, fd, name, line, (size_t)n, e) < 0) {
		close(fd);
		unlinkat(s->tmpfd, name, 0);
		return kerr_wrap(e, "hold %s", img->id);
	}
	if (kstore_publish(s, fd, name, s->holdfd, holder, e) < 0) {
		unlinkat(s->tmpfd, name, 0);
		return kerr_wrap(e, "hold %s", img->id);
	}
	if (fsync(s->holdfd) < 0)
		return kerr_errno(e, "fsync %s/holds", s->root);
	return 0;
}

int kstore_release(struct kstore *s, const char *holder, kerr *e)
{
	if (check_holder(holder, e) < 0)
		return -1;
	if (s->mode != KSTORE_EXCLUSIVE)
		return kerr_msg(e, EPERM, "release %s: the store is not locked for writing", holder);
	if (unlinkat(s->holdfd, holder, 0) < 0)
		return errno == ENOENT ? 0 : kerr_errno(e, "remove %s/holds/%s", s->root, holder);
	if (fsync(s->holdfd) < 0)
		return kerr_errno(e, "fsync %s/holds", s->root);
	return 0;
}

char **kstore_holders(const struct kstore *s, const char *id, kerr *e)
{
	char **out = calloc(1, sizeof(char *));
	int fd = openat(s->holdfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d || !out) {
		if (!d && fd >= 0)
			close(fd);
		free(out);
		kerr_errno(e, "read %s/holds", s->root);
		return NULL;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char buf[KSHA256_DIGEST + 2] = { 0 };
		_cleanup_close_ int h = openat(s->holdfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		ssize_t n = h >= 0 ? read(h, buf, sizeof(buf) - 1) : -1;
		if (n < 0) {
			kerr_errno(e, "read %s/holds/%s", s->root, de->d_name);
			kstrv_free(out);
			return NULL;
		}
		buf[strcspn(buf, "\n")] = '\0';
		if ((!id || !strcmp(buf, id)) && kstrv_add(&out, de->d_name) < 0) {
			kerr_set(e, ENOMEM, "holds");
			kstrv_free(out);
			return NULL;
		}
	}
	return out;
}
