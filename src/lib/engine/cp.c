/* `kapsel cp`: files between a container's root filesystem and the host,
 * with Docker's rules for what lands where (docker-cp(1)):
 *   SRC a file:  DEST missing -> a file DEST; DEST a file -> replaced;
 *                DEST a directory -> DEST/basename(SRC); DEST ending in
 *                '/' and missing -> an error.
 *   SRC a directory: DEST missing -> DEST with SRC's content; DEST a
 *                directory -> DEST/basename(SRC), or with SRC ending in
 *                "/." its content into DEST; DEST a file -> an error.
 *   "-": a tar stream on stdout (from the container) or stdin (into an
 *   existing directory of it).
 *
 * The container's side is the attacker's: its paths are resolved with
 * openat2 RESOLVE_IN_ROOT (a symlink there means what it means inside the
 * container, never a host path), and below the directory found every name
 * is opened in its parent's fd with O_NOFOLLOW (kfs_copy_at), so a
 * container swapping a directory for a symlink while we copy reaches
 * nothing outside its root.  What comes out is the host user's: owned by
 * who runs kapsel, setuid and setgid bits dropped, no device node made
 * (unless -a: then the container's owners, shifted back from its user
 * namespace, and modes as they are).  What goes in is owned by the
 * container's root (its user namespace's root, when it has one), or with
 * -a by the source's owners moved into its range.  A tar read from stdin
 * is first unpacked by libarchive with its secure flags into a private
 * directory under ROOT/tmp, then copied in the same way. */
#include "internal.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/str.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One side of the copy: ROOT the container's root fd, or -1 for the host. */
struct side {
	int root;
};

/* PATH split into its directory and last name.  A trailing '/' is noted
 * in *SLASH, a trailing "/." in *CONTENT; "/" (or "") is the root's
 * content. */
static int split(const char *path, char dir[PATH_MAX], char name[NAME_MAX + 1], bool *slash, bool *content, kerr *e)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return kerr_msg(e, ENAMETOOLONG, "%.64s...: too long", path);
	size_t n = strlen(p);
	*slash = n > 0 && p[n - 1] == '/';
	*content = (n >= 2 && !strcmp(p + n - 2, "/.")) || !strcmp(p, ".");
	while (n > 0 && (p[n - 1] == '/' || (n >= 2 && p[n - 1] == '.' && p[n - 2] == '/')))
		p[--n] = 0;
	if (!strcmp(p, "."))
		p[n = 0] = 0;
	char *last = strrchr(p, '/');
	const char *base = last ? last + 1 : p;
	if (!*base || !strcmp(base, "..")) {
		/* the root, ".", or a path ending in "..": the directory itself
		 * (a relative "." is the current directory, never "/") */
		snprintf(dir, PATH_MAX, "%s", *p ? p : *path == '/' ? "/" : ".");
		snprintf(name, NAME_MAX + 1, ".");
		*content = true;
		return 0;
	}
	if (strlen(base) > NAME_MAX)
		return kerr_msg(e, ENAMETOOLONG, "%s: a name too long", path);
	snprintf(name, NAME_MAX + 1, "%s", base);
	if (!last)
		snprintf(dir, PATH_MAX, "%s", *path == '/' ? "/" : ".");
	else if (last == p)
		snprintf(dir, PATH_MAX, "/");
	else
		snprintf(dir, PATH_MAX, "%.*s", (int)(last - p), p);
	return 0;
}

/* Open directory DIR of side S for reading and creating. */
static int open_dir(const struct side *s, const char *dir)
{
	if (s->root < 0)
		return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return kfs_open_in_root(s->root, dir, O_RDONLY | O_DIRECTORY, 0);
}

/* -L: follow PATH's last symlinks (at most 40) on side S, in *OUT. */
static int follow(const struct side *s, const char *path, char out[PATH_MAX], kerr *e)
{
	snprintf(out, PATH_MAX, "%s", path);
	for (int i = 0; i < 40; i++) {
		char dir[PATH_MAX], name[NAME_MAX + 1], target[PATH_MAX];
		bool slash, content;
		if (split(out, dir, name, &slash, &content, e) < 0)
			return -1;
		_cleanup_close_ int dfd = open_dir(s, dir);
		ssize_t n = dfd >= 0 ? readlinkat(dfd, name, target, sizeof(target) - 1) : -1;
		if (n < 0)
			return 0; /* not a symlink (or missing: the copy says so) */
		target[n] = 0;
		char next[PATH_MAX];
		if (*target == '/' || !strcmp(dir, "."))
			snprintf(next, sizeof(next), "%s", target);
		else if (snprintf(next, sizeof(next), "%s/%s", dir, target) >= (int)sizeof(next))
			return kerr_msg(e, ENAMETOOLONG, "%s: its target is too long", path);
		snprintf(out, PATH_MAX, "%s", next);
	}
	return kerr_msg(e, ELOOP, "%s: too many levels of symbolic links", path);
}

/* Copy SRC of side FROM to DEST of side TO by Docker's rules. */
static int copy(const struct side *from, const char *src, const struct side *to, const char *dest, bool follow_src,
		const struct kfs_copy_opts *o, kerr *e)
{
	char sp[PATH_MAX], sdir[PATH_MAX], sname[NAME_MAX + 1], ddir[PATH_MAX], dname[NAME_MAX + 1];
	bool sslash, scontent, dslash, dcontent;
	if (follow_src ? follow(from, src, sp, e) < 0 : snprintf(sp, sizeof(sp), "%s", src) < 0)
		return -1;
	if (split(sp, sdir, sname, &sslash, &scontent, e) < 0 || split(dest, ddir, dname, &dslash, &dcontent, e) < 0)
		return -1;
	_cleanup_close_ int sfd = open_dir(from, sdir);
	if (sfd < 0)
		return kerr_errno(e, "%s", src);
	struct stat st, dst;
	if (fstatat(sfd, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_errno(e, "%s", src);
	if (sslash && !S_ISDIR(st.st_mode))
		return kerr_msg(e, ENOTDIR, "%s: not a directory", src);
	bool sdir_is = S_ISDIR(st.st_mode);
	scontent = scontent && sdir_is;
	/* DEST itself: followed on its side (a symlink to a directory is a
	 * directory there, as for cp(1)); inside the container, in its root */
	_cleanup_close_ int whole = -1;
	if (strcmp(dname, "."))
		whole = to->root < 0 ? open(dest, O_PATH | O_CLOEXEC) : kfs_open_in_root(to->root, dest, O_PATH, 0);
	else
		whole = open_dir(to, ddir);
	if (whole < 0 && errno != ENOENT)
		return kerr_errno(e, "%s", dest);
	if (whole >= 0 && fstat(whole, &dst) < 0)
		return kerr_errno(e, "%s", dest);
	if (whole >= 0 && S_ISDIR(dst.st_mode)) {
		_cleanup_close_ int dfd = open_dir(to, dest);
		if (dfd < 0)
			return kerr_errno(e, "%s", dest);
		if (scontent) {
			_cleanup_close_ int cfd = openat(sfd, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			return cfd < 0 ? kerr_errno(e, "%s", src) : kfs_copy_into(cfd, dfd, o, e);
		}
		/* the copy is named after the source; the root's is its content */
		return kfs_copy_at(sfd, sname, dfd, sname, o, e);
	}
	if (whole >= 0 && sdir_is)
		return kerr_msg(e, ENOTDIR, "cannot copy the directory %s onto the file %s", src, dest);
	if (whole < 0 && dslash)
		return kerr_msg(e, ENOENT, "%s: no such directory (a file is copied into an existing one)", dest);
	_cleanup_close_ int pfd = open_dir(to, ddir);
	if (pfd < 0)
		return kerr_errno(e, "%s: its directory %s", dest, ddir);
	if (whole >= 0 && fstatat(pfd, dname, &dst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(dst.st_mode)) {
		/* a symlink to a file: the file it names is replaced, where it is */
		char real[PATH_MAX];
		if (follow(to, dest, real, e) < 0 || split(real, ddir, dname, &dslash, &dcontent, e) < 0)
			return -1;
		close(pfd);
		if ((pfd = open_dir(to, ddir)) < 0)
			return kerr_errno(e, "%s", dest);
	}
	return kfs_copy_at(sfd, sname, pfd, dname, o, e);
}

static int open_root(struct keng *g, const char *id, kerr *e)
{
	_cleanup_free_ char *rootfs = keng_path(g, id, "bundle/rootfs");
	if (!rootfs)
		return kerr_errno(e, "cp");
	if (keng_mounts_ensure(g, id, e) < 0)
		return -1;
	int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? kerr_errno(e, "open %s", rootfs) : fd;
}

int keng_cp_out(struct keng *g, const char *id, const char *src, const char *dest, int out, const struct keng_cp *c,
		kerr *e)
{
	int64_t host, size;
	if (keng_userns_range(g, id, &host, &size, e) < 0)
		return kerr_wrap(e, "cp %.12s", id);
	_cleanup_close_ int root = open_root(g, id, e);
	if (root < 0)
		return kerr_wrap(e, "cp %.12s", id);
	struct side from = { root }, to = { -1 };
	if (!dest) {
		char sp[PATH_MAX], sdir[PATH_MAX], sname[NAME_MAX + 1];
		bool slash, content;
		if ((c->follow ? follow(&from, src, sp, e) : snprintf(sp, sizeof(sp), "%s", src)) < 0 ||
		    split(sp, sdir, sname, &slash, &content, e) < 0)
			return -1;
		_cleanup_close_ int sfd = open_dir(&from, sdir);
		if (sfd < 0)
			return kerr_errno(e, "%s", src);
		return keng_tar_at(sfd, sname, out, size ? host : 0, size, e);
	}
	struct kfs_copy_opts o = { .uid = c->archive ? -1 : (int64_t)getuid(),
				   .gid = c->archive ? -1 : (int64_t)getgid(),
				   .map_from = host,
				   .map_to = 0,
				   .map_size = c->archive ? size : 0,
				   /* the host's files: never a setuid file or a device
				    * node of the container's making, even with -a */
				   .strip = S_ISUID | S_ISGID,
				   .replace = true,
				   .no_special = true };
	return copy(&from, src, &to, dest, c->follow, &o, e);
}

/* Unpack the tar on IN into the new directory TMP (libarchive's secure
 * extraction: no "..", no absolute path, nothing through a symlink). */
static int untar(int in, const char *tmp, kerr *e)
{
	struct archive *a = archive_read_new(), *w = archive_write_disk_new();
	struct archive_entry *ent;
	int rc = 0;
	if (!a || !w) {
		rc = kerr_errno(e, "cp: libarchive");
		goto out;
	}
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	archive_write_disk_set_options(w, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
						  ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						  ARCHIVE_EXTRACT_UNLINK);
	if (archive_read_open_fd(a, in, 1 << 16) != ARCHIVE_OK) {
		rc = kerr_msg(e, EINVAL, "cp: the tar on stdin: %s", archive_error_string(a));
		goto out;
	}
	int r;
	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(ent);
		while (*p == '/')
			p++;
		_cleanup_free_ char *full = kstr_printf("%s/%s", tmp, p);
		const char *hl = archive_entry_hardlink(ent);
		_cleanup_free_ char *hfull = hl ? kstr_printf("%s/%s", tmp, hl + strspn(hl, "/")) : NULL;
		if (!full || (hl && !hfull)) {
			rc = kerr_errno(e, "cp");
			break;
		}
		archive_entry_set_pathname(ent, full);
		if (hl)
			archive_entry_set_hardlink(ent, hfull);
		if (archive_write_header(w, ent) < ARCHIVE_WARN) {
			rc = kerr_msg(e, EINVAL, "cp: the tar on stdin: %s: %s", p, archive_error_string(w));
			break;
		}
		const void *buf;
		size_t len;
		la_int64_t off;
		bool wfail = false;
		while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
			if (archive_write_data_block(w, buf, len, off) < ARCHIVE_WARN) {
				wfail = true;
				break;
			}
		if (wfail || archive_write_finish_entry(w) < ARCHIVE_WARN) {
			rc = kerr_msg(e, EIO, "cp: the tar on stdin: %s: %s", p, archive_error_string(w) ?: "write failed");
			break;
		}
		if (r != ARCHIVE_EOF) {
			rc = kerr_msg(e, EINVAL, "cp: the tar on stdin: %s: %s", p, archive_error_string(a) ?: "read failed");
			break;
		}
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = kerr_msg(e, EINVAL, "cp: the tar on stdin: %s", archive_error_string(a));
	if (rc == 0 && archive_write_close(w) != ARCHIVE_OK)
		rc = kerr_msg(e, EIO, "cp: %s", archive_error_string(w));
out:
	if (a)
		archive_read_free(a);
	if (w)
		archive_write_free(w);
	return rc;
}

int keng_cp_in(struct keng *g, const char *id, const char *src, int in, const char *dest, const struct keng_cp *c,
	       kerr *e)
{
	int64_t host, size;
	if (keng_userns_range(g, id, &host, &size, e) < 0)
		return kerr_wrap(e, "cp %.12s", id);
	_cleanup_close_ int root = open_root(g, id, e);
	if (root < 0)
		return kerr_wrap(e, "cp %.12s", id);
	struct side to = { root }, from = { -1 };
	struct kfs_copy_opts o = { .uid = c->archive ? -1 : size ? host : 0,
				   .gid = c->archive ? -1 : size ? host : 0,
				   .map_from = 0,
				   .map_to = host,
				   .map_size = c->archive ? size : 0,
				   .replace = true,
				   .no_special = true };
	if (src) {
		int rc = copy(&from, src, &to, dest, c->follow, &o, e);
		if (rc < 0 && e->errnum == EROFS)
			kerr_msg(e, EROFS,
				 "%s: the container's root filesystem is read-only (kapsel's default, as docker "
				 "refuses too): create it with --read-only=false, or copy into one of its volumes",
				 dest);
		return rc;
	}
	/* a tar: into an existing directory of the container */
	_cleanup_close_ int dfd = kfs_open_in_root(root, dest, O_RDONLY | O_DIRECTORY, 0);
	if (dfd < 0)
		return kerr_errno(e, "%s: a tar is unpacked into an existing directory", dest);
	_cleanup_free_ char *tmpl = kstr_printf("%s/tmp/cp-XXXXXX", g->root), *tdir = kstr_printf("%s/tmp", g->root);
	if (!tmpl || !tdir || kfs_mkdir_p(tdir, 0700, e) < 0)
		return tmpl && tdir ? -1 : kerr_errno(e, "cp");
	if (!mkdtemp(tmpl))
		return kerr_errno(e, "mkdtemp %s", tmpl);
	char real[PATH_MAX];
	int rc = realpath(tmpl, real) ? untar(in, real, e) : kerr_errno(e, "realpath %s", tmpl);
	_cleanup_close_ int tfd = rc == 0 ? open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (rc == 0 && tfd < 0)
		rc = kerr_errno(e, "open %s", real);
	if (rc == 0)
		rc = kfs_copy_into(tfd, dfd, &o, e);
	kerr ig = { 0 };
	_cleanup_close_ int tparent = open(tdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tparent >= 0)
		kfs_remove_at(tparent, strrchr(tmpl, '/') + 1, &ig);
	return rc;
}
