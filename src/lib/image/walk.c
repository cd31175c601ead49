/* kimage_walk: stream an image's layers through a visitor (image.h).
 * Each layer is one libarchive reader over its member; an entry's data is
 * read through it while the visitor runs, so nothing is buffered. */
#include "image/image.h"

#include "common/cleanup.h"
#include "image/source.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct kimage_walker {
	struct archive *a;
	struct archive_entry *ent;
};

char *kimage_norm_path(const char *path, const char *what, kerr *e)
{
	const char *p = path;
	if (*p == '/') {
		kerr_msg(e, EINVAL, "%s %.200s: absolute path", what, path);
		return NULL;
	}
	char *out = malloc(strlen(p) + 1);
	if (!out) {
		kerr_set(e, ENOMEM, "%s", what);
		return NULL;
	}
	size_t n = 0;
	while (*p) {
		size_t l = strcspn(p, "/");
		if (l == 2 && p[0] == '.' && p[1] == '.') {
			kerr_msg(e, EINVAL, "%s %.200s: a \"..\" component leads out of the image", what, path);
			free(out);
			return NULL;
		}
		if (l && !(l == 1 && *p == '.')) {
			if (n)
				out[n++] = '/';
			memcpy(out + n, p, l);
			n += l;
		}
		p += l;
		while (*p == '/')
			p++;
	}
	out[n] = '\0';
	return out;
}

/* A whiteout entry: 0 if PATH is not one, 1 with *target set (opaque:
 * the directory), -1 on a malformed one. */
static int whiteout_of(const char *path, char **target, int *opaque, kerr *e)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	if (strncmp(b, ".wh.", 4))
		return 0;
	size_t dl = b > path ? (size_t)(b - path - 1) : 0;
	*opaque = !strcmp(b, ".wh..wh..opq");
	if (!*opaque && !strncmp(b, ".wh..wh.", 8)) {
		*target = NULL;   /* aufs metadata (.wh..wh.plnk ...): no meaning here */
		return 1;
	}
	const char *name = b + 4;
	if (!*opaque && (!*name || !strcmp(name, ".") || !strcmp(name, "..")))
		return kerr_msg(e, EINVAL, "whiteout %.200s: names no file", path);
	if (*opaque)
		*target = strndup(path, dl);
	else if (asprintf(target, "%.*s%s%s", (int)dl, path, dl ? "/" : "", name) < 0)
		*target = NULL;
	return *target ? 1 : kerr_set(e, ENOMEM, "%s", path);
}

static int visit_entry(const struct kimage_visitor *v, void *ud, const struct kimage_layer *l,
		       struct kimage_walker *w, kerr *e)
{
	struct archive_entry *ent = w->ent;
	const char *raw = archive_entry_pathname(ent);
	_cleanup_free_ char *path = kimage_norm_path(raw ? raw : "", "entry", e);
	if (!path)
		return -1;
	char *target = NULL;
	int opaque = 0, wh = whiteout_of(path, &target, &opaque, e);
	if (wh < 0)
		return -1;
	if (wh) {
		int rc = 0;
		if (target && opaque && v->opaque)
			rc = v->opaque(ud, l, target, e);
		else if (target && !opaque && v->whiteout)
			rc = v->whiteout(ud, l, target, e);
		free(target);
		return rc;
	}
	_cleanup_free_ char *hard = NULL;
	const char *h = archive_entry_hardlink(ent);
	if (h && !(hard = kimage_norm_path(h, "hard link target", e)))
		return kerr_wrap(e, "entry %.200s", path);
	if (!v->entry)
		return 0;
	struct kimage_entry ke = {
		.layer = l,
		.path = path,
		.mode = archive_entry_mode(ent),
		.uid = (uid_t)archive_entry_uid(ent),
		.gid = (gid_t)archive_entry_gid(ent),
		.size = archive_entry_size(ent),
		.mtime = archive_entry_mtime(ent),
		.rdev = archive_entry_rdev(ent),
		.symlink = archive_entry_symlink(ent),
		.hardlink = hard,
		.w = w,
	};
	if (hard) {
		ke.mode = (ke.mode & 07777) | S_IFREG;
		ke.size = 0;
		ke.symlink = NULL;
	}
	if (ke.size < 0)
		ke.size = 0;
	return v->entry(ud, &ke, e);
}

int kimage_walk_archive(struct archive *a, const struct kimage_layer *l, const struct kimage_visitor *v, void *ud,
			kerr *e)
{
	struct kimage_walker w = { .a = a };
	int rc = v->layer_begin ? v->layer_begin(ud, l, e) : 0, r = ARCHIVE_OK;
	size_t n = 0;
	while (rc == 0 && ((r = archive_read_next_header(w.a, &w.ent)) == ARCHIVE_OK || r == ARCHIVE_WARN)) {
		n++;
		rc = visit_entry(v, ud, l, &w, e);
	}
	if (rc == 0 && r != ARCHIVE_EOF) {
		const char *msg = archive_error_string(w.a);
		rc = kerr_msg(e, EINVAL, "%s", n ? (msg ? msg : "broken archive") : "not a layer archive");
	}
	if (rc == 0 && v->layer_end)
		rc = v->layer_end(ud, l, e);
	return rc;
}

static int walk_layer(struct kimage *img, const struct kimage_layer *l, const struct kimage_visitor *v, void *ud,
		      kerr *e)
{
	struct klayer *kl = ksrc_layer_open(img->src, l->member, l->digest, e);
	if (!kl)
		return -1;
	struct kimage_visitor inner = *v;
	inner.layer_end = NULL; /* after the digest check below */
	int rc = kimage_walk_archive(ksrc_layer_archive(kl), l, &inner, ud, e);
	if (rc == 0)
		rc = ksrc_layer_end(kl, e);
	ksrc_layer_close(kl);
	if (rc == 0 && v->layer_end)
		rc = v->layer_end(ud, l, e);
	return rc;
}

int kimage_walk(struct kimage *img, const struct kimage_visitor *v, void *ud, kerr *e)
{
	for (size_t i = 0; i < img->nlayers; i++)
		if (walk_layer(img, &img->layers[i], v, ud, e) < 0)
			return kerr_wrap(e, "image %s: layer %zu (%s)", img->path, i + 1, img->layers[i].member);
	return 0;
}

ssize_t kimage_read(struct kimage_entry *ent, void *buf, size_t n, kerr *e)
{
	la_ssize_t got = archive_read_data(ent->w->a, buf, n);
	if (got < 0) {
		const char *msg = archive_error_string(ent->w->a);
		return kerr_msg(e, EINVAL, "entry %.200s: %s", ent->path, msg ? msg : "read error");
	}
	return got;
}

int kimage_read_all(struct kimage_entry *ent, size_t max, char **out, size_t *len, kerr *e)
{
	*out = NULL;
	if (ent->size < 0 || (uint64_t)ent->size > max)
		return kerr_msg(e, EFBIG, "entry %.200s: larger than %zu bytes", ent->path, max);
	char *d = malloc((size_t)ent->size + 1);
	if (!d)
		return kerr_set(e, ENOMEM, "entry %.200s", ent->path);
	size_t n = 0;
	for (;;) {
		ssize_t got = kimage_read(ent, d + n, (size_t)ent->size - n, e);
		if (got < 0) {
			free(d);
			return -1;
		}
		if (got == 0 || (n += (size_t)got) == (size_t)ent->size)
			break;
	}
	d[n] = '\0';
	*out = d;
	if (len)
		*len = n;
	return 0;
}

const void *kimage_xattr(const struct kimage_entry *ent, const char *name, size_t *len)
{
	struct archive_entry *ae = ent->w->ent;
	const char *k;
	const void *val;
	size_t size;
	archive_entry_xattr_reset(ae);
	while (archive_entry_xattr_next(ae, &k, &val, &size) == ARCHIVE_OK)
		if (!strcmp(k, name)) {
			if (len)
				*len = size;
			return val;
		}
	return NULL;
}

int kimage_xattr_next(const struct kimage_entry *ent, size_t *i, const char **name, const void **val, size_t *len)
{
	struct archive_entry *ae = ent->w->ent;
	archive_entry_xattr_reset(ae);
	for (size_t k = 0; archive_entry_xattr_next(ae, name, val, len) == ARCHIVE_OK; k++)
		if (k == *i) {
			(*i)++;
			return 1;
		}
	return 0;
}
