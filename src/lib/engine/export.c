/* `kapsel export` (and `kapsel cp CONTAINER:PATH -`): the container's root
 * filesystem (or a path of it) as it sees it (the
 * overlay of the image's layers and its own upper layer) as one tar.
 *
 * The tree is walked by kapsel with O_NOFOLLOW directory fds from the
 * mounted root (never a path the container could redirect with a
 * symlink: each name is opened in its parent's fd, a symlink is stored as
 * a symlink), and written with libarchive (pax).  Owners are the
 * container's own: a root-in-a-user-namespace container's files, which the
 * host sees shifted into its range, are written shifted back.  Hard links
 * inside the tree stay hard links; extended attributes are not kept
 * (Docker's export keeps none either). */
#include "internal.h"

#include "common/cleanup.h"
#include "common/str.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct link {
	dev_t dev;
	ino_t ino;
	char *path; /* NULL: a free slot */
};

struct exp {
	struct archive *a;
	dev_t dev;
	int64_t map_host, map_size; /* the user namespace's range, size 0: none */
	struct link *links;         /* open addressing by (dev, ino): hard links */
	size_t nlinks, caplinks;
};

static int64_t unshift(const struct exp *x, int64_t id)
{
	return x->map_size && id >= x->map_host && id < x->map_host + x->map_size ? id - x->map_host : id;
}

static int ar_fail(const struct exp *x, const char *path, kerr *e)
{
	return kerr_msg(e, EIO, "export /%s: %s", path, archive_error_string(x->a));
}

static size_t link_slot(const struct exp *x, dev_t dev, ino_t ino)
{
	uint64_t h = ((uint64_t)dev * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)ino * 0xc2b2ae3d27d4eb4fULL);
	size_t i = (size_t)(h & (x->caplinks - 1));
	while (x->links[i].path && (x->links[i].dev != dev || x->links[i].ino != ino))
		i = (i + 1) & (x->caplinks - 1);
	return i;
}

/* The path an earlier entry of the same inode was written as, or NULL
 * (and this one remembered); (const char *)-1 when out of memory.  A hash
 * table: a tree of 10^5 hard links stays linear. */
static const char *hardlink_of(struct exp *x, const struct stat *st, const char *path, kerr *e)
{
	if (x->caplinks && x->links[link_slot(x, st->st_dev, st->st_ino)].path)
		return x->links[link_slot(x, st->st_dev, st->st_ino)].path;
	if (2 * (x->nlinks + 1) > x->caplinks) {
		size_t cap = x->caplinks ? 2 * x->caplinks : 256;
		struct link *old = x->links, *nv = calloc(cap, sizeof(*nv));
		if (!nv) {
			kerr_errno(e, "export");
			return (const char *)-1;
		}
		size_t oldcap = x->caplinks;
		x->links = nv;
		x->caplinks = cap;
		for (size_t k = 0; k < oldcap; k++)
			if (old[k].path)
				x->links[link_slot(x, old[k].dev, old[k].ino)] = old[k];
		free(old);
	}
	char *p = strdup(path);
	if (!p) {
		kerr_errno(e, "export");
		return (const char *)-1;
	}
	x->links[link_slot(x, st->st_dev, st->st_ino)] = (struct link){ st->st_dev, st->st_ino, p };
	x->nlinks++;
	return NULL;
}

static int put(struct exp *x, int dfd, const char *name, const char *path, const struct stat *st, kerr *e)
{
	struct archive_entry *ent = archive_entry_new();
	if (!ent)
		return kerr_errno(e, "export");
	int rc = 0, fd = -1;
	archive_entry_copy_stat(ent, st);
	archive_entry_set_uid(ent, unshift(x, st->st_uid));
	archive_entry_set_gid(ent, unshift(x, st->st_gid));
	_cleanup_free_ char *tp = S_ISDIR(st->st_mode) ? kstr_printf("%s/", path) : strdup(path);
	if (!tp) {
		archive_entry_free(ent);
		return kerr_errno(e, "export");
	}
	archive_entry_set_pathname(ent, tp);
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
		if (n < 0)
			rc = kerr_errno(e, "export: readlink /%s", path);
		else {
			target[n] = 0;
			archive_entry_set_symlink(ent, target);
		}
	} else if (S_ISREG(st->st_mode) && st->st_nlink > 1) {
		const char *first = hardlink_of(x, st, path, e);
		if (first == (const char *)-1)
			rc = -1;
		else if (first) {
			archive_entry_set_hardlink(ent, first);
			archive_entry_set_size(ent, 0);
		}
	}
	if (rc == 0 && S_ISREG(st->st_mode) && archive_entry_size(ent) > 0) {
		/* O_NONBLOCK, and the same file stat saw: one the container swaps
		 * for a fifo meanwhile blocks nothing */
		struct stat now;
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			rc = kerr_errno(e, "export: open /%s", path);
		else if (fstat(fd, &now) < 0 || !S_ISREG(now.st_mode) || now.st_ino != st->st_ino)
			rc = kerr_msg(e, ESTALE, "export: /%s changed while being read", path);
	}
	if (rc == 0 && archive_write_header(x->a, ent) != ARCHIVE_OK)
		rc = ar_fail(x, path, e);
	int64_t left = archive_entry_size(ent);
	static char buf[1 << 16];
	while (rc == 0 && fd >= 0 && left > 0) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = kerr_errno(e, "export: read /%s", path);
		else if (n == 0)
			rc = kerr_msg(e, EIO, "export: /%s shrank while being read", path);
		else if (archive_write_data(x->a, buf, (size_t)(n > left ? left : n)) < 0)
			rc = ar_fail(x, path, e);
		else
			left -= n;
	}
	if (fd >= 0)
		close(fd);
	archive_entry_free(ent);
	return rc;
}

static int walk(struct exp *x, int fd, const char *path, int depth, kerr *e)
{
	if (depth > 1024)
		return kerr_msg(e, ELOOP, "export: /%s: more than 1024 directories deep", path);
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return kerr_errno(e, "export: /%s", path);
	}
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		_cleanup_free_ char *p = *path ? kstr_printf("%s/%s", path, de->d_name) : strdup(de->d_name);
		struct stat st;
		if (!p)
			return kerr_errno(e, "export");
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return kerr_errno(e, "export: /%s", p);
		if (st.st_dev != x->dev || S_ISSOCK(st.st_mode))
			continue; /* something mounted on the root from outside; a socket (as tar) */
		if (put(x, dirfd(d), de->d_name, p, &st, e) < 0)
			return -1;
		if (!S_ISDIR(st.st_mode))
			continue;
		int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return kerr_errno(e, "export: /%s", p);
		if (walk(x, sub, p, depth + 1, e) < 0)
			return -1;
	}
	return errno ? kerr_errno(e, "export: /%s", path) : 0;
}

static int tar_open(struct exp *x, int out, kerr *e)
{
	if (!(x->a = archive_write_new()))
		return kerr_errno(e, "tar");
	archive_write_set_format_pax_restricted(x->a);
	archive_write_set_bytes_in_last_block(x->a, 1);
	return archive_write_open_fd(x->a, out) == ARCHIVE_OK ? 0 : ar_fail(x, "", e);
}

static int tar_close(struct exp *x, int rc, kerr *e)
{
	if (rc == 0 && archive_write_close(x->a) != ARCHIVE_OK)
		rc = ar_fail(x, "", e);
	if (x->a)
		archive_write_free(x->a);
	for (size_t i = 0; i < x->caplinks; i++)
		free(x->links[i].path);
	free(x->links);
	return rc;
}

int keng_tar_at(int dfd, const char *name, int out, int64_t map_host, int64_t map_size, kerr *e)
{
	struct exp x = { .map_host = map_host, .map_size = map_size };
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_errno(e, "%s", name);
	x.dev = st.st_dev;
	int rc = tar_open(&x, out, e);
	/* the root itself ("."): its content, as the tar of a directory's */
	bool top = !strcmp(name, ".");
	if (rc == 0 && !top)
		rc = put(&x, dfd, name, name, &st, e);
	if (rc == 0 && S_ISDIR(st.st_mode)) {
		int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		rc = sub < 0 ? kerr_errno(e, "%s", name) : walk(&x, sub, top ? "" : name, 0, e);
	}
	return tar_close(&x, rc, e);
}

int keng_export(struct keng *g, const char *id, int out, kerr *e)
{
	_cleanup_free_ char *rootfs = keng_path(g, id, "bundle/rootfs");
	int64_t host, size;
	if (!rootfs)
		return kerr_errno(e, "export");
	if (keng_mounts_ensure(g, id, e) < 0 || keng_userns_range(g, id, &host, &size, e) < 0)
		return kerr_wrap(e, "export %.12s", id);
	_cleanup_close_ int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(e, "open %s", rootfs);
	return keng_tar_at(fd, ".", out, host, size, e) < 0 ? kerr_wrap(e, "export %.12s", id) : 0;
}
