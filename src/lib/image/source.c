/* An image's members from a tar file or a directory (source.h).
 *
 * A tar is scanned once at open: the name, size and position of every
 * regular member, and the content of the small ones (up to 1 MiB, 256 MiB
 * in all: the JSON documents and small layers).  A larger member is read
 * by opening the archive again and skipping to it (libarchive seeks over
 * the members before it when the file is not compressed), so no large
 * layer is ever held in memory.  A directory is read with openat2
 * RESOLVE_IN_ROOT under it: a symlink in the layout cannot lead out. */
#include "image/source.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/sha256.h"
#include "image/image.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SMALL_MEMBER (1u << 20)
#define SMALL_TOTAL (256u << 20)
#define MAX_MEMBERS 100000

struct member {
	char *name;
	size_t ordinal; /* header number in the archive */
	int64_t size;
	char *data; /* small members */
};

struct ksrc {
	unsigned refs;
	char *path;
	int dirfd; /* a directory layout, else -1 */
	struct member *m;
	size_t n;
};

int ksrc_filters(struct archive *a, int flags, const char *what, kerr *e)
{
	static const struct {
		const char *name;
		int (*add)(struct archive *);
		int layer;
	} f[] = {
		{ "gzip", archive_read_support_filter_gzip, 1 },
		{ "zstd", archive_read_support_filter_zstd, 1 },
		{ "xz", archive_read_support_filter_xz, 0 },
		{ "bzip2", archive_read_support_filter_bzip2, 0 },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if ((f[i].layer || !(flags & KSRC_LAYER_ONLY)) && f[i].add(a) != ARCHIVE_OK)
			return kerr_msg(e, ENOTSUP, "%s: this libarchive reads %s only through an external program",
					what, f[i].name);
	return 0;
}

static struct archive *reader(void)
{
	struct archive *a = archive_read_new();
	kerr ig = { 0 };
	if (a && ksrc_filters(a, 0, "archive", &ig) < 0) {
		archive_read_free(a);
		return NULL; /* Debian's libarchive has all four in-process */
	}
	if (a) {
		archive_read_support_format_tar(a);
		archive_read_support_format_gnutar(a);
	}
	return a;
}

static const char *aerr(struct archive *a, const char *def)
{
	const char *s = archive_error_string(a);
	return s ? s : def;
}

static struct member *find(const struct ksrc *s, const char *name)
{
	for (size_t i = s->n; i-- > 0;) /* the last of duplicate names wins, as when extracting */
		if (!strcmp(s->m[i].name, name))
			return &s->m[i];
	return NULL;
}

static int scan_tar(struct ksrc *s, kerr *e)
{
	struct archive *a = reader();
	if (!a)
		return kerr_set(e, ENOMEM, "read");
	if (archive_read_open_filename(a, s->path, 65536) != ARCHIVE_OK) {
		kerr_msg(e, EINVAL, "%s", aerr(a, "cannot open"));
		archive_read_free(a);
		return -1;
	}
	struct archive_entry *ent;
	size_t ordinal = 0, total = 0;
	int r, rc = 0;
	for (; (r = archive_read_next_header(a, &ent)) == ARCHIVE_OK || r == ARCHIVE_WARN; ordinal++) {
		if (!S_ISREG(archive_entry_mode(ent)))
			continue;
		const char *raw = archive_entry_pathname(ent);
		kerr ne;
		_cleanup_free_ char *name = kimage_norm_path(raw ? raw : "", "member", &ne);
		if (!name) /* a member nothing can name: never used */
			continue;
		if (s->n == MAX_MEMBERS) {
			rc = kerr_msg(e, EFBIG, "more than %d members", MAX_MEMBERS);
			break;
		}
		struct member *nm = realloc(s->m, (s->n + 1) * sizeof(*nm));
		if (!nm) {
			rc = kerr_set(e, ENOMEM, "read");
			break;
		}
		s->m = nm;
		struct member *m = &s->m[s->n];
		*m = (struct member){ .name = steal_ptr(name), .ordinal = ordinal, .size = archive_entry_size(ent) };
		s->n++;
		if (m->size < 0 || (uint64_t)m->size > SMALL_MEMBER || total + (size_t)m->size > SMALL_TOTAL)
			continue;
		m->data = malloc((size_t)m->size + 1);
		if (!m->data) {
			rc = kerr_set(e, ENOMEM, "%s", m->name);
			break;
		}
		la_ssize_t got = archive_read_data(a, m->data, (size_t)m->size);
		if (got < 0) {
			rc = kerr_msg(e, EINVAL, "%s: %s", m->name, aerr(a, "read error"));
			break;
		}
		m->data[got] = '\0';
		m->size = got;
		total += (size_t)got;
	}
	if (!rc && r != ARCHIVE_EOF)
		rc = kerr_msg(e, EINVAL, "%s", aerr(a, "not a tar archive"));
	archive_read_free(a);
	return rc;
}

int ksrc_open(const char *path, struct ksrc **out, kerr *e)
{
	struct ksrc *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return kerr_set(e, ENOMEM, "%s", path);
	}
	s->dirfd = -1;
	s->refs = 1;
	struct stat st;
	if (stat(path, &st) < 0) {
		kerr_errno(e, "stat");
		ksrc_free(s);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		s->dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (s->dirfd < 0) {
			kerr_errno(e, "open");
			ksrc_free(s);
			return -1;
		}
	} else if (scan_tar(s, e) < 0) {
		ksrc_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

struct ksrc *ksrc_ref(struct ksrc *s)
{
	s->refs++;
	return s;
}

void ksrc_free(struct ksrc *s)
{
	if (!s || --s->refs > 0)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->m[i].name);
		free(s->m[i].data);
	}
	free(s->m);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->path);
	free(s);
}

/* A regular file of the directory layout, opened under it. */
static int dir_open(const struct ksrc *s, const char *member, kerr *e)
{
	int fd = kfs_open_in_root(s->dirfd, member, O_RDONLY | O_NOFOLLOW, 0);
	if (fd < 0)
		return kerr_errno(e, "%s", member);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return kerr_msg(e, EINVAL, "%s: not a regular file", member);
	}
	return fd;
}

int ksrc_check(const struct ksrc *s, const char *member, kerr *e)
{
	if (s->dirfd < 0)
		return find(s, member) ? 0 : kerr_msg(e, ENOENT, "%s is missing from the archive", member);
	int fd = dir_open(s, member, e);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int ksrc_read(struct ksrc *s, const char *member, size_t max, char **out, size_t *len, kerr *e)
{
	if (s->dirfd >= 0) {
		_cleanup_close_ int fd = dir_open(s, member, e);
		struct stat st;
		if (fd < 0)
			return -1;
		if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > max)
			return kerr_msg(e, EFBIG, "%s: larger than %zu bytes", member, max);
		if (kfs_read_fd(fd, out, len, e) < 0)
			return kerr_wrap(e, "%s", member);
		return 0;
	}
	struct member *m = find(s, member);
	if (!m)
		return kerr_msg(e, ENOENT, "%s is missing from the archive", member);
	if (m->size < 0 || (uint64_t)m->size > max || !m->data)
		return kerr_msg(e, EFBIG, "%s: larger than %zu bytes", member, max);
	*out = malloc((size_t)m->size + 1);
	if (!*out)
		return kerr_set(e, ENOMEM, "%s", member);
	memcpy(*out, m->data, (size_t)m->size + 1);
	if (len)
		*len = (size_t)m->size;
	return 0;
}

/* ---- layer streams ---- */

/* A layer being read: the inner reader and, for a streamed member, where
 * its bytes come from (the outer archive positioned at the member, or its
 * fd in a directory) and their running digest. */
struct klayer {
	struct archive *a;
	char *member;
	char *digest; /* to verify at the end, or NULL */
	int streamed;
	int hashing; /* a streamed member with a digest: sha is running */
	struct archive *outer;
	int fd;
	struct ksha256 sha;
	char buf[65536];
};

static la_ssize_t stream_read(struct archive *a, void *ud, const void **buf)
{
	(void)a;
	struct klayer *l = ud;
	ssize_t n;
	*buf = l->buf;
	if (l->outer) {
		n = archive_read_data(l->outer, l->buf, sizeof(l->buf));
	} else {
		do
			n = read(l->fd, l->buf, sizeof(l->buf));
		while (n < 0 && errno == EINTR);
	}
	if (n > 0 && l->hashing)
		ksha256_update(&l->sha, l->buf, (size_t)n);
	return n;
}

/* the stream belongs to the klayer: ksrc_layer_close releases it */
static int stream_close(struct archive *a, void *ud)
{
	(void)a, (void)ud;
	return ARCHIVE_OK;
}

static int verify(const struct klayer *l, const uint8_t sum[KSHA256_LEN], kerr *e)
{
	return l->digest ? ksha256_verify(l->digest, sum, "blob", e) : 0;
}

/* The outer archive again, positioned at member M's data. */
static struct archive *seek_member(struct ksrc *s, const struct member *m, kerr *e)
{
	struct archive *a = reader();
	struct archive_entry *ent;
	if (!a) {
		kerr_set(e, ENOMEM, "read");
		return NULL;
	}
	if (archive_read_open_filename(a, s->path, 65536) != ARCHIVE_OK) {
		kerr_msg(e, EINVAL, "%s", aerr(a, "cannot open"));
		archive_read_free(a);
		return NULL;
	}
	for (size_t i = 0;; i++) {
		int r = archive_read_next_header(a, &ent);
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			kerr_msg(e, EINVAL, "%s: %s", m->name, aerr(a, "the archive changed since it was opened"));
			archive_read_free(a);
			return NULL;
		}
		if (i == m->ordinal)
			return a;
	}
}

struct klayer *ksrc_layer_open(struct ksrc *s, const char *member, const char *digest, kerr *e)
{
	struct klayer *l = calloc(1, sizeof(*l));
	if (!l || !(l->a = reader()) || !(l->member = strdup(member)) || (digest && !(l->digest = strdup(digest)))) {
		ksrc_layer_close(l);
		kerr_set(e, ENOMEM, "%s", member);
		return NULL;
	}
	l->fd = -1;
	struct member *m = s->dirfd < 0 ? find(s, member) : NULL;
	if (s->dirfd < 0 && !m) {
		kerr_msg(e, ENOENT, "%s is missing from the archive", member);
		goto fail;
	}
	if (m && m->data) {
		/* in memory: verified before a single entry is read */
		if (l->digest) {
			uint8_t sum[KSHA256_LEN];
			if (ksha256_init_bulk(&l->sha, e) < 0)
				goto fail;
			ksha256_update(&l->sha, m->data, (size_t)m->size);
			ksha256_final(&l->sha, sum);
			if (verify(l, sum, e) < 0)
				goto fail;
		}
		if (archive_read_open_memory(l->a, m->data, (size_t)m->size) != ARCHIVE_OK) {
			kerr_msg(e, EINVAL, "%s: %s", member, aerr(l->a, "unreadable"));
			goto fail;
		}
		return l;
	}
	l->streamed = 1;
	if (l->digest) {
		if (ksha256_init_bulk(&l->sha, e) < 0)
			goto fail;
		l->hashing = 1;
	}
	if (m)
		l->outer = seek_member(s, m, e);
	else
		l->fd = dir_open(s, member, e);
	if (!l->outer && l->fd < 0)
		goto fail;
	if (archive_read_open(l->a, l, NULL, stream_read, stream_close) != ARCHIVE_OK) {
		kerr_msg(e, EINVAL, "%s: %s", member, aerr(l->a, "unreadable"));
		goto fail;
	}
	return l;
fail:
	ksrc_layer_close(l);
	return NULL;
}

struct archive *ksrc_layer_archive(struct klayer *l)
{
	return l->a;
}

int ksrc_layer_end(struct klayer *l, kerr *e)
{
	if (!l->hashing)
		return 0;
	/* the bytes after the tar's end (padding) count too */
	la_ssize_t n;
	const void *buf;
	while ((n = stream_read(NULL, l, &buf)) > 0)
		;
	if (n < 0)
		return kerr_msg(e, EINVAL, "%s: %s", l->member, l->outer ? aerr(l->outer, "read error") : "read error");
	uint8_t sum[KSHA256_LEN];
	ksha256_final(&l->sha, sum);
	l->hashing = 0;
	return verify(l, sum, e);
}

void ksrc_layer_close(struct klayer *l)
{
	if (!l)
		return;
	if (l->a)
		archive_read_free(l->a);
	if (l->outer)
		archive_read_free(l->outer);
	if (l->fd >= 0)
		close(l->fd);
	if (l->hashing)
		ksha256_release(&l->sha);
	free(l->member);
	free(l->digest);
	free(l);
}

/* ---- raw members ---- */

struct ksrc_blob {
	char *member;
	const char *data; /* a member held in memory ... */
	size_t len, off;
	struct archive *outer; /* ... or the archive at the member ... */
	int fd;                /* ... or its file in a directory */
};

struct ksrc_blob *ksrc_blob_open(struct ksrc *s, const char *member, kerr *e)
{
	struct ksrc_blob *b = calloc(1, sizeof(*b));
	if (!b || !(b->member = strdup(member))) {
		free(b);
		kerr_set(e, ENOMEM, "%s", member);
		return NULL;
	}
	b->fd = -1;
	if (s->dirfd >= 0) {
		if ((b->fd = dir_open(s, member, e)) >= 0)
			return b;
	} else {
		struct member *m = find(s, member);
		if (!m)
			kerr_msg(e, ENOENT, "%s is missing from the archive", member);
		else if (m->data) {
			b->data = m->data;
			b->len = (size_t)m->size;
			return b;
		} else if ((b->outer = seek_member(s, m, e)))
			return b;
	}
	ksrc_blob_close(b);
	return NULL;
}

ssize_t ksrc_blob_read(struct ksrc_blob *b, void *buf, size_t n, kerr *e)
{
	ssize_t r;
	if (b->data) {
		size_t k = b->len - b->off < n ? b->len - b->off : n;
		memcpy(buf, b->data + b->off, k);
		b->off += k;
		return (ssize_t)k;
	}
	if (b->outer) {
		r = archive_read_data(b->outer, buf, n);
		if (r < 0)
			return kerr_msg(e, EINVAL, "%s: %s", b->member, aerr(b->outer, "read error"));
		return r;
	}
	do
		r = read(b->fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return kerr_set(e, errno, "read %s", b->member);
	return r;
}

void ksrc_blob_close(struct ksrc_blob *b)
{
	if (!b)
		return;
	if (b->outer)
		archive_read_free(b->outer);
	if (b->fd >= 0)
		close(b->fd);
	free(b->member);
	free(b);
}
