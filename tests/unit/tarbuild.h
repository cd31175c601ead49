/* Test helper: tar archives built in memory with libarchive, for the image
 * reader's tests (test_image.c, test_audit_inputs.c, test_image_apply.c).
 * Header-only. */
#ifndef KAPSEL_TEST_TARBUILD_H
#define KAPSEL_TEST_TARBUILD_H

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct tent {
	const char *path;
	unsigned mode;          /* with the type bits */
	const char *data;       /* file content, or a symlink's target */
	size_t len;             /* 0: strlen(data) */
	const char *hardlink;   /* a hard link to this path */
	const char *xattr;      /* one extended attribute: name ... */
	const char *xval;       /* ... and value */
	unsigned uid, gid;      /* owner */
	long long mtime;        /* 0: none */
};

#define TAR_GZIP 1
#define TAR_ZSTD 2

/* A tar of ENTS (compressed with TAR_GZIP / TAR_ZSTD), malloc'ed. */
static inline char *tar_build(const struct tent *ents, size_t n, int filter, size_t *len)
{
	size_t cap = 64 << 20;
	char *buf = malloc(cap);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (filter == TAR_GZIP)
		archive_write_add_filter_gzip(a);
	else if (filter == TAR_ZSTD)
		archive_write_add_filter_zstd(a);
	if (!buf || archive_write_open_memory(a, buf, cap, len) != ARCHIVE_OK)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		const struct tent *t = &ents[i];
		size_t dl = t->len ? t->len : t->data ? strlen(t->data) : 0;
		archive_entry_set_pathname(e, t->path);
		archive_entry_set_mode(e, t->mode);
		archive_entry_set_uid(e, t->uid);
		archive_entry_set_gid(e, t->gid);
		if (t->mtime)
			archive_entry_set_mtime(e, t->mtime, 0);
		archive_entry_set_size(e, S_ISREG(t->mode) && !t->hardlink ? (la_int64_t)dl : 0);
		if (S_ISLNK(t->mode))
			archive_entry_set_symlink(e, t->data);
		if (t->hardlink)
			archive_entry_set_hardlink(e, t->hardlink);
		if (t->xattr)
			archive_entry_xattr_add_entry(e, t->xattr, t->xval, strlen(t->xval));
		if (archive_write_header(a, e) != ARCHIVE_OK)
			abort();
		if (S_ISREG(t->mode) && !t->hardlink && dl && archive_write_data(a, t->data, dl) != (la_ssize_t)dl)
			abort();
		archive_entry_free(e);
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		abort();
	archive_write_free(a);
	return buf;
}

static inline void tar_write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

#endif
