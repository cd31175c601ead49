/* kapply_layer: one layer into a directory in overlayfs's format
 * (apply.h).  The blob is read through two libarchive readers: the outer
 * one (raw format, any filter) decompresses, the inner one reads the tar
 * from what the outer one gives; the bytes are hashed on both sides, so
 * the blob's digest and the diff_id are checked in the same pass that
 * writes the files.  Entries come from kimage_walk_archive (the reader's
 * normalisation and whiteout events). */
#include "image/apply.h"
#include "image/source.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/sha256.h"
#include "common/strv.h"
#include "image/image.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define CHUNK 65536
#define OPAQUE_XATTR "trusted.overlay.opaque"

struct dirtime {
	char *path;
	int64_t mtime;
};

struct apply {
	const struct kapply_in *in;
	struct kapply_limits lim;
	struct kapply_report *rep;
	struct archive *outer;
	struct ksha256 raw, diff;
	int raw_on, diff_on; /* the hashes are running */
	int outer_open;      /* the outer reader's one raw entry was read */
	int failed;          /* a stream callback failed: CAUSE says why (libarchive's message echoes it) */
	kerr cause, *e;      /* E: &cause */
	uint64_t written;
	struct dirtime *dirs;
	size_t ndirs, capdirs;
	char rbuf[CHUNK], dbuf[CHUNK], fbuf[CHUNK];
};

/* ---- the stream ---- */

static ssize_t raw_next(struct apply *a, void *buf, size_t n)
{
	ssize_t got;
	do
		got = read(a->in->fd, buf, n);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		a->failed = 1;
		return kerr_errno(a->e, "read the layer blob");
	}
	if (a->raw_on)
		ksha256_update(&a->raw, buf, (size_t)got);
	return got;
}

static la_ssize_t outer_read(struct archive *ar, void *ud, const void **buf)
{
	(void)ar;
	struct apply *a = ud;
	*buf = a->rbuf;
	return raw_next(a, a->rbuf, sizeof(a->rbuf));
}

/* The decompressed tar, for the inner reader (and the drain at the end). */
static la_ssize_t inner_read(struct archive *ar, void *ud, const void **buf)
{
	(void)ar;
	struct apply *a = ud;
	struct archive_entry *ent;
	*buf = a->dbuf;
	if (!a->outer_open) {
		int r = archive_read_next_header(a->outer, &ent);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			goto broken;
		a->outer_open = 1;
	}
	la_ssize_t n = archive_read_data(a->outer, a->dbuf, sizeof(a->dbuf));
	if (n < 0)
		goto broken;
	if (a->diff_on)
		ksha256_update(&a->diff, a->dbuf, (size_t)n);
	a->rep->bytes += (uint64_t)n;
	if (a->rep->bytes > a->lim.max_bytes) {
		a->failed = 1;
		return kerr_msg(a->e, EFBIG,
				"the uncompressed layer is larger than %llu bytes (the limit of one layer)",
				(unsigned long long)a->lim.max_bytes);
	}
	return n;
broken:
	if (!a->failed) {
		a->failed = 1;
		const char *m = archive_error_string(a->outer);
		kerr_msg(a->e, EINVAL, "decompress: %s", m ? m : "broken stream");
	}
	return -1;
}

/* ---- paths inside the directory ---- */

static int root_fd(struct apply *a)
{
	return a->in->dirfd;
}

static int add_report(char ***v, uint64_t *n, const char *path, kerr *e)
{
	char buf[KAPPLY_MAX_PATH + 2];
	if ((*n)++ >= KAPPLY_REPORT_MAX)
		return 0;
	snprintf(buf, sizeof(buf), "/%s", path);
	return kstrv_add(v, buf) < 0 ? kerr_set(e, ENOMEM, "report") : 0;
}

int kapply_lookup(const int *lower, size_t nlower, const char *path, struct stat *st, int *fd, kerr *e)
{
	for (size_t k = 0; k < nlower; k++) {
		_cleanup_close_ int dfd = fcntl(lower[k], F_DUPFD_CLOEXEC, 3);
		if (dfd < 0)
			return kerr_errno(e, "lower layer %zu", k);
		int opaque = 0;
		const char *p = path;
		for (;;) {
			size_t l = strcspn(p, "/");
			char comp[NAME_MAX + 1];
			if (l > NAME_MAX)
				return 0;
			memcpy(comp, p, l);
			comp[l] = '\0';
			if (!p[l]) {
				if (fstatat(dfd, comp, st, AT_SYMLINK_NOFOLLOW) < 0) {
					if (errno != ENOENT)
						return kerr_errno(e, "lower layer %zu: %s", k, path);
					break;
				}
				if (S_ISCHR(st->st_mode) && st->st_rdev == 0)
					return 0; /* a whiteout */
				if (fd && S_ISREG(st->st_mode) &&
				    (*fd = openat(dfd, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
					return kerr_errno(e, "lower layer %zu: open %s", k, path);
				return 1;
			}
			int nfd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (nfd < 0 && errno == ENOENT)
				break;
			if (nfd < 0)
				return errno == ENOTDIR || errno == ELOOP
					       ? 0
					       : kerr_errno(e, "lower layer %zu: %s", k, path);
			close(dfd);
			dfd = nfd;
			char v;
			if (fgetxattr(dfd, OPAQUE_XATTR, &v, 1) == 1 && v == 'y')
				opaque = 1;
			p += l + 1;
		}
		if (opaque)
			return 0;
	}
	return 0;
}

static int lookup_lower(struct apply *a, const char *path, struct stat *st, int *fd, kerr *e)
{
	return kapply_lookup(a->in->lower, a->in->nlower, path, st, fd, e);
}

static int remember_dir(struct apply *a, const char *path, int64_t mtime, kerr *e)
{
	if (a->ndirs == a->capdirs) {
		size_t cap = a->capdirs ? 2 * a->capdirs : 64;
		struct dirtime *n = realloc(a->dirs, cap * sizeof(*n));
		if (!n)
			return kerr_set(e, ENOMEM, "%s", path);
		a->dirs = n;
		a->capdirs = cap;
	}
	if (!(a->dirs[a->ndirs].path = strdup(path)))
		return kerr_set(e, ENOMEM, "%s", path);
	a->dirs[a->ndirs++].mtime = mtime;
	return 0;
}

/* The directory DIR ("" for the top), created with its parents when the
 * layer does not have it: an O_PATH fd. */
static int open_dir(struct apply *a, const char *dir, kerr *e)
{
	int fd = kfs_open_in_root(root_fd(a), dir, O_PATH | O_DIRECTORY, 0);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return kerr_errno(e, "entry %.200s: resolve its directory", dir);
	const char *slash = strrchr(dir, '/');
	_cleanup_free_ char *up = slash ? strndup(dir, (size_t)(slash - dir)) : strdup("");
	const char *name = slash ? slash + 1 : dir;
	if (!up)
		return kerr_set(e, ENOMEM, "%s", dir);
	_cleanup_close_ int pfd = open_dir(a, up, e);
	if (pfd < 0)
		return -1;
	struct stat st = { .st_mode = S_IFDIR | 0755 };
	int r = lookup_lower(a, dir, &st, NULL, e);
	if (r < 0)
		return -1;
	if (r == 0 || !S_ISDIR(st.st_mode))
		st = (struct stat){ .st_mode = S_IFDIR | 0755 };
	if (mkdirat(pfd, name, 0700) < 0) {
		char target[256];
		ssize_t n = errno == EEXIST ? readlinkat(pfd, name, target, sizeof(target) - 1) : -1;
		if (n >= 0)
			return kerr_msg(
				e, ENOENT,
				"directory %.200s: a symlink to %.*s, which the layer does not have (symlinks are "
				"resolved inside the layer)",
				dir, (int)n, target);
		return kerr_errno(e, "directory %.200s: create it", dir);
	}
	if (fchownat(pfd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(pfd, name, st.st_mode & 07777, 0) < 0)
		return kerr_errno(e, "directory %.200s: set its owner and mode", dir);
	if (r == 1 && remember_dir(a, dir, st.st_mtim.tv_sec, e) < 0)
		return -1;
	fd = openat(pfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd >= 0 ? fd : kerr_errno(e, "directory %.200s", dir);
}

/* Split PATH into its directory (malloc'ed) and its last component. */
static char *split(const char *path, const char **name, kerr *e)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path)) : strdup("");
	*name = slash ? slash + 1 : path;
	if (!dir)
		kerr_set(e, ENOMEM, "%s", path);
	return dir;
}

/* ---- entries ---- */

static int count_entry(struct apply *a, const char *path, kerr *e)
{
	if (++a->rep->entries > a->lim.max_entries)
		return kerr_msg(e, EFBIG, "entry %.200s: more than %llu entries (the limit of one layer)", path,
				(unsigned long long)a->lim.max_entries);
	if (strlen(path) > a->lim.max_path)
		return kerr_msg(e, ENAMETOOLONG, "entry %.200s...: a path of %zu bytes (the limit is %zu)", path,
				strlen(path), a->lim.max_path);
	return 0;
}

/* user.* except overlay's own (user.overlay.*: a mount with userxattr
 * reads whiteouts, opaque dirs and redirects from them), and ACLs. */
static int is_kept_xattr(const char *name)
{
	return (!strncmp(name, "user.", 5) && strncmp(name, "user.overlay.", 13)) ||
	       !strcmp(name, "system.posix_acl_access") || !strcmp(name, "system.posix_acl_default");
}

/* The entry's xattrs on FD (-1: a symlink or FIFO, which get none). */
static int set_xattrs(struct apply *a, struct kimage_entry *ent, int fd, kerr *e)
{
	size_t i = 0, len;
	const char *name;
	const void *val;
	int caps = 0;
	while (kimage_xattr_next(ent, &i, &name, &val, &len)) {
		if (!strcmp(name, "security.capability")) {
			caps = 1;
			/* kept on request, on what can carry it (not a symlink or FIFO) */
			if (fd >= 0 && (a->in->keep & KAPPLY_KEEP_FILE_CAPS) && fsetxattr(fd, name, val, len, 0) < 0)
				return kerr_errno(e, "entry %.200s: set xattr %.100s", ent->path, name);
		} else if (fd < 0 || !is_kept_xattr(name)) {
			a->rep->xattrs_dropped++;
		} else if (fsetxattr(fd, name, val, len, 0) < 0) {
			return kerr_errno(e, "entry %.200s: set xattr %.100s", ent->path, name);
		}
	}
	return caps ? add_report(&a->rep->file_caps, &a->rep->nfile_caps, ent->path, e) : 0;
}

/* The permission bits to set: setuid/setgid removed (and reported) from
 * anything but a directory. */
static int perm_of(struct apply *a, const struct kimage_entry *ent, mode_t *out, kerr *e)
{
	mode_t m = ent->mode & 07777;
	if (!S_ISDIR(ent->mode) && (m & (S_ISUID | S_ISGID))) {
		if (!(a->in->keep & KAPPLY_KEEP_SETUID))
			m &= ~(mode_t)(S_ISUID | S_ISGID);
		if (add_report(&a->rep->setuid, &a->rep->nsetuid, ent->path, e) < 0)
			return -1;
	}
	*out = m;
	return 0;
}

static int set_meta_fd(struct apply *a, struct kimage_entry *ent, int fd, kerr *e)
{
	mode_t m;
	if (perm_of(a, ent, &m, e) < 0)
		return -1;
	if (fchown(fd, ent->uid, ent->gid) < 0 || fchmod(fd, m) < 0)
		return kerr_errno(e, "entry %.200s: set its owner and mode", ent->path);
	if (set_xattrs(a, ent, fd, e) < 0)
		return -1;
	if (S_ISDIR(ent->mode))
		return remember_dir(a, ent->path, ent->mtime, e);
	struct timespec ts[2] = { { .tv_sec = ent->mtime }, { .tv_sec = ent->mtime } };
	if (futimens(fd, ts) < 0)
		return kerr_errno(e, "entry %.200s: set its mtime", ent->path);
	return 0;
}

/* A symlink or FIFO NAME in PFD: owner, mode and mtime without following it. */
static int set_meta_at(struct apply *a, struct kimage_entry *ent, int pfd, const char *name, kerr *e)
{
	mode_t m;
	if (perm_of(a, ent, &m, e) < 0 || set_xattrs(a, ent, -1, e) < 0)
		return -1;
	if (fchownat(pfd, name, ent->uid, ent->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_errno(e, "entry %.200s: set its owner", ent->path);
	if (!S_ISLNK(ent->mode) && fchmodat(pfd, name, m, 0) < 0)
		return kerr_errno(e, "entry %.200s: set its mode", ent->path);
	struct timespec ts[2] = { { .tv_sec = ent->mtime }, { .tv_sec = ent->mtime } };
	if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_errno(e, "entry %.200s: set its mtime", ent->path);
	return 0;
}

static int write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static int count_written(struct apply *a, const char *path, size_t n, kerr *e)
{
	a->written += n;
	if (a->written > a->lim.max_bytes)
		return kerr_msg(e, EFBIG, "entry %.200s: the layer's files hold more than %llu bytes (the limit)", path,
				(unsigned long long)a->lim.max_bytes);
	return 0;
}

static int make_file(struct apply *a, struct kimage_entry *ent, int pfd, const char *name, kerr *e)
{
	if ((uint64_t)ent->size > a->lim.max_bytes - a->written) /* before a byte of a bomb is written */
		return kerr_msg(e, EFBIG, "entry %.200s: %lld bytes, more than the layer may hold (the limit is %llu)",
				ent->path, (long long)ent->size, (unsigned long long)a->lim.max_bytes);
	_cleanup_close_ int fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return kerr_errno(e, "entry %.200s: create", ent->path);
	ssize_t n;
	while ((n = kimage_read(ent, a->fbuf, sizeof(a->fbuf), e)) > 0) {
		if (count_written(a, ent->path, (size_t)n, e) < 0)
			return -1;
		if (write_all(fd, a->fbuf, (size_t)n) < 0)
			return kerr_errno(e, "entry %.200s: write", ent->path);
	}
	if (n < 0)
		return -1;
	return set_meta_fd(a, ent, fd, e);
}

/* A copy of a lower layer's file FROM (its stat ST) as NAME. */
static int copy_lower(struct apply *a, struct kimage_entry *ent, int from, const struct stat *st, int pfd,
		      const char *name, kerr *e)
{
	_cleanup_close_ int fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return kerr_errno(e, "entry %.200s: create", ent->path);
	ssize_t n;
	while ((n = read(from, a->fbuf, sizeof(a->fbuf))) > 0) {
		if (count_written(a, ent->path, (size_t)n, e) < 0)
			return -1;
		if (write_all(fd, a->fbuf, (size_t)n) < 0)
			return kerr_errno(e, "entry %.200s: write", ent->path);
	}
	if (n < 0)
		return kerr_errno(e, "entry %.200s: read the lower layer's %.200s", ent->path, ent->hardlink);
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0 || futimens(fd, ts) < 0)
		return kerr_errno(e, "entry %.200s: set its owner, mode and mtime", ent->path);
	return 0;
}

static const char *type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFCHR: return "character device (a whiteout)";
	case S_IFBLK: return "block device";
	case S_IFIFO: return "FIFO";
	case S_IFSOCK: return "socket";
	default: return "special file";
	}
}

static int make_hardlink(struct apply *a, struct kimage_entry *ent, int pfd, const char *name, kerr *e)
{
	const char *tname;
	_cleanup_free_ char *tdir = split(ent->hardlink, &tname, e);
	if (!tdir)
		return -1;
	if (!*ent->hardlink)
		return kerr_msg(e, EINVAL, "entry %.200s: a hard link to the layer's top directory: refused",
				ent->path);
	_cleanup_close_ int tp = kfs_open_in_root(root_fd(a), tdir, O_PATH | O_DIRECTORY, 0);
	struct stat st;
	if (tp >= 0 && fstatat(tp, tname, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(st.st_mode))
			return kerr_msg(
				e, EPERM,
				"entry %.200s: a hard link to %.200s, a %s: refused (only regular files are linked)",
				ent->path, ent->hardlink, type_name(st.st_mode));
		if (linkat(tp, tname, pfd, name, 0) < 0)
			return kerr_errno(e, "entry %.200s: link to %.200s", ent->path, ent->hardlink);
		return 0;
	}
	if (errno != ENOENT && errno != ENOTDIR)
		return kerr_errno(e, "entry %.200s: hard link target %.200s", ent->path, ent->hardlink);
	_cleanup_close_ int from = -1;
	int r = lookup_lower(a, ent->hardlink, &st, &from, e);
	if (r < 0)
		return -1;
	if (r == 0)
		return kerr_msg(e, ENOENT,
				"entry %.200s: a hard link to %.200s, which is neither in the layer nor in a lower one",
				ent->path, ent->hardlink);
	if (!S_ISREG(st.st_mode))
		return kerr_msg(e, EPERM,
				"entry %.200s: a hard link to %.200s, a %s: refused (only regular files are linked)",
				ent->path, ent->hardlink, type_name(st.st_mode));
	return copy_lower(a, ent, from, &st, pfd, name, e);
}

static int set_opaque(int fd, const char *path, kerr *e)
{
	if (fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
		return kerr_errno(e, "directory %.200s: set " OPAQUE_XATTR, *path ? path : "/");
	return 0;
}

static int make_dir(struct apply *a, struct kimage_entry *ent, int pfd, const char *name, const struct stat *old,
		    kerr *e)
{
	int whiteout = old && S_ISCHR(old->st_mode) && old->st_rdev == 0;
	if (old && !S_ISDIR(old->st_mode) && kfs_remove_at(pfd, name, e) < 0)
		return kerr_wrap(e, "entry %.200s", ent->path);
	if ((!old || !S_ISDIR(old->st_mode)) && mkdirat(pfd, name, 0700) < 0)
		return kerr_errno(e, "entry %.200s: create", ent->path);
	_cleanup_close_ int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(e, "entry %.200s: open", ent->path);
	/* the lower layers' NAME was deleted by this layer, then made again */
	if (whiteout && set_opaque(fd, ent->path, e) < 0)
		return -1;
	return set_meta_fd(a, ent, fd, e);
}

static int on_entry(void *ud, struct kimage_entry *ent, kerr *e)
{
	struct apply *a = ud;
	mode_t type = ent->mode & S_IFMT;
	if (count_entry(a, ent->path, e) < 0)
		return -1;
	if (type == S_IFCHR || type == S_IFBLK)
		return kerr_msg(
			e, EPERM,
			"entry %.200s: a %s device node (%u:%u): refused (kapsel makes no device nodes from an image)",
			ent->path, type == S_IFCHR ? "character" : "block", major(ent->rdev), minor(ent->rdev));
	if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK && type != S_IFIFO)
		return kerr_msg(e, EPERM, "entry %.200s: a %s: refused (not a file, directory, symlink or FIFO)",
				ent->path, type_name(ent->mode));
	if (!*ent->path) { /* the top directory itself */
		if (type != S_IFDIR)
			return kerr_msg(e, EINVAL, "entry \"/\": a %s, not a directory", type_name(ent->mode));
		_cleanup_close_ int fd = openat(root_fd(a), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		return fd < 0 ? kerr_errno(e, "entry \"/\"") : set_meta_fd(a, ent, fd, e);
	}
	const char *name;
	_cleanup_free_ char *dir = split(ent->path, &name, e);
	if (!dir)
		return -1;
	_cleanup_close_ int pfd = open_dir(a, dir, e);
	if (pfd < 0)
		return kerr_wrap(e, "entry %.200s", ent->path);
	struct stat old;
	int exists = fstatat(pfd, name, &old, AT_SYMLINK_NOFOLLOW) == 0;
	if (!exists && errno != ENOENT)
		return kerr_errno(e, "entry %.200s", ent->path);
	if (type == S_IFDIR)
		return make_dir(a, ent, pfd, name, exists ? &old : NULL, e);
	if (exists && kfs_remove_at(pfd, name, e) < 0) /* a later entry replaces an earlier one */
		return kerr_wrap(e, "entry %.200s", ent->path);
	if (ent->hardlink)
		return make_hardlink(a, ent, pfd, name, e);
	if (type == S_IFREG)
		return make_file(a, ent, pfd, name, e);
	if (type == S_IFLNK) {
		if (!ent->symlink || !*ent->symlink || strlen(ent->symlink) > a->lim.max_path)
			return kerr_msg(e, EINVAL,
					"entry %.200s: a symlink without a target or with one over %zu bytes",
					ent->path, a->lim.max_path);
		if (symlinkat(ent->symlink, pfd, name) < 0)
			return kerr_errno(e, "entry %.200s: create the symlink", ent->path);
	} else if (mknodat(pfd, name, S_IFIFO | 0600, 0) < 0) {
		return kerr_errno(e, "entry %.200s: create the FIFO", ent->path);
	}
	return set_meta_at(a, ent, pfd, name, e);
}

static int on_whiteout(void *ud, const struct kimage_layer *l, const char *path, kerr *e)
{
	(void)l;
	struct apply *a = ud;
	if (count_entry(a, path, e) < 0)
		return -1;
	const char *name;
	_cleanup_free_ char *dir = split(path, &name, e);
	if (!dir)
		return -1;
	_cleanup_close_ int pfd = open_dir(a, dir, e);
	if (pfd < 0)
		return kerr_wrap(e, "whiteout of %.200s", path);
	struct stat st;
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0; /* the layer's own NAME: a whiteout hides the lower layers only */
	if (errno != ENOENT)
		return kerr_errno(e, "whiteout of %.200s", path);
	if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)) < 0)
		return kerr_errno(e, "whiteout of %.200s: create the 0:0 device", path);
	return 0;
}

static int on_opaque(void *ud, const struct kimage_layer *l, const char *path, kerr *e)
{
	(void)l;
	struct apply *a = ud;
	if (count_entry(a, path, e) < 0)
		return -1;
	_cleanup_close_ int pfd = open_dir(a, path, e);
	if (pfd < 0)
		return kerr_wrap(e, "opaque directory %.200s", *path ? path : "/");
	_cleanup_close_ int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(e, "opaque directory %.200s", *path ? path : "/");
	return set_opaque(fd, path, e);
}

/* Directory mtimes last: every entry made inside one changed it. */
static int on_layer_end(void *ud, const struct kimage_layer *l, kerr *e)
{
	(void)l;
	struct apply *a = ud;
	for (size_t i = a->ndirs; i-- > 0;) {
		const char *p = *a->dirs[i].path ? a->dirs[i].path : ".";
		_cleanup_close_ int fd = kfs_open_in_root(root_fd(a), p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
		if (fd < 0)
			continue; /* replaced by a later entry */
		struct timespec ts[2] = { { .tv_sec = a->dirs[i].mtime }, { .tv_sec = a->dirs[i].mtime } };
		if (futimens(fd, ts) < 0)
			return kerr_errno(e, "directory %.200s: set its mtime", p);
	}
	return 0;
}

/* Read what the tar reader left of the stream, so both digests cover it all. */
static int drain(struct apply *a, kerr *e)
{
	la_ssize_t n;
	while ((n = inner_read(NULL, a, &(const void *){ NULL })) > 0)
		;
	if (n < 0)
		return -1;
	ssize_t r;
	while ((r = raw_next(a, a->rbuf, sizeof(a->rbuf))) > 0)
		;
	(void)e;
	return r < 0 ? -1 : 0;
}

static int run(struct apply *a, kerr *e)
{
	static const struct kimage_visitor v = {
		.entry = on_entry,
		.whiteout = on_whiteout,
		.opaque = on_opaque,
		.layer_end = on_layer_end,
	};
	struct kimage_layer l = { .member = "layer" };
	struct archive *inner = archive_read_new();
	if (!(a->outer = archive_read_new()) || !inner) {
		archive_read_free(inner);
		return kerr_set(e, ENOMEM, "layer");
	}
	if (ksrc_filters(a->outer, 0, "layer", e) < 0) {
		archive_read_free(inner);
		archive_read_free(a->outer);
		a->outer = NULL;
		return -1;
	}
	archive_read_support_format_raw(a->outer);
	archive_read_support_format_tar(inner);
	int rc = -1;
	if (archive_read_open(a->outer, a, NULL, outer_read, NULL) != ARCHIVE_OK) {
		if (!a->failed)
			kerr_msg(e, EINVAL, "decompress: %s", archive_error_string(a->outer));
		goto out;
	}
	if (archive_read_open(inner, a, NULL, inner_read, NULL) != ARCHIVE_OK) {
		if (!a->failed)
			kerr_msg(e, EINVAL, "not a layer archive: %s", archive_error_string(inner));
		goto out;
	}
	if (kimage_walk_archive(inner, &l, &v, a, e) < 0 || drain(a, e) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && a->failed)
		*e = a->cause;
	archive_read_free(inner);
	archive_read_free(a->outer);
	return rc;
}

int kapply_layer(const struct kapply_in *in, struct kapply_report *out, kerr *e)
{
	memset(out, 0, sizeof(*out));
	struct apply *a = calloc(1, sizeof(*a));
	if (!a)
		return kerr_set(e, ENOMEM, "layer");
	a->in = in;
	a->rep = out;
	a->e = &a->cause;
	a->lim = in->limits ? *in->limits
			    : (struct kapply_limits){ KAPPLY_MAX_ENTRIES, KAPPLY_MAX_BYTES, KAPPLY_MAX_PATH };
	int rc = -1;
	if (in->digest && ksha256_init_bulk(&a->raw, e) < 0)
		goto out;
	a->raw_on = !!in->digest;
	if (in->diff_id && ksha256_init_bulk(&a->diff, e) < 0)
		goto out;
	a->diff_on = !!in->diff_id;
	rc = run(a, e);
	uint8_t sum[KSHA256_LEN];
	if (a->raw_on) {
		ksha256_final(&a->raw, sum);
		a->raw_on = 0;
		if (rc == 0 && ksha256_verify(in->digest, sum, "layer blob", e) < 0)
			rc = -1;
	}
	if (a->diff_on) {
		ksha256_final(&a->diff, sum);
		a->diff_on = 0;
		if (rc == 0 && ksha256_verify(in->diff_id, sum, "uncompressed layer (diff_id)", e) < 0)
			rc = -1;
	}
out:
	if (a->raw_on)
		ksha256_release(&a->raw);
	for (size_t i = 0; i < a->ndirs; i++)
		free(a->dirs[i].path);
	free(a->dirs);
	free(a);
	return rc;
}

void kapply_report_clear(struct kapply_report *r)
{
	kstrv_free(r->setuid);
	kstrv_free(r->file_caps);
	memset(r, 0, sizeof(*r));
}
