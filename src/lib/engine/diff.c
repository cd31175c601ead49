/* `kapsel diff`: what a container changed in its root filesystem, read from
 * its overlay's upper layer against the image's layers (never the merged
 * mount, so a stopped container or one whose root is not mounted after a
 * reboot answers the same).  Docker's kinds: A added, C changed (a file
 * replaced or modified, a directory something changed in, an opaque
 * directory), D deleted (a whiteout).  Nothing is followed: the upper
 * layer is walked with O_NOFOLLOW directory fds, the image's layers are
 * looked up by kapply_lookup, which refuses a symlink anywhere on a path. */
#include "internal.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/str.h"
#include "common/strv.h"
#include "image/apply.h"
#include "image/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

KAPSEL_DEFINE_CLEANUP(struct kstore *, kstore_close)

struct diff {
	int *lower;
	size_t nlower;
	char **lines; /* "C /etc" ... */
	char **mounts; /* the bundle's mount destinations, without the '/' */
};

/* 2: P is a mount destination (made by create, hidden by its mount), 1: P
 * is a directory above one, 0: neither. */
static int mount_point(const struct diff *d, const char *p)
{
	size_t n = strlen(p);
	int r = 0;
	for (char **m = d->mounts; m && *m; m++) {
		if (!strcmp(*m, p))
			return 2;
		if (!strncmp(*m, p, n) && (*m)[n] == '/')
			r = 1;
	}
	return r;
}

static bool opaque(int fd)
{
	char v;
	return (fgetxattr(fd, "trusted.overlay.opaque", &v, 1) == 1 && v == 'y') ||
	       (fgetxattr(fd, "user.overlay.opaque", &v, 1) == 1 && v == 'y');
}

static int add(struct diff *d, char kind, const char *path, kerr *e)
{
	_cleanup_free_ char *l = kstr_printf("%c /%s", kind, path);
	return l && kstrv_add(&d->lines, l) == 0 ? 0 : kerr_errno(e, "diff");
}

/* The upper directory FD at PATH ("" for the root); HIDDEN: the image's
 * layers are not visible below (an opaque directory above). */
static int walk(struct diff *d, int fd, const char *path, bool hidden, int depth, kerr *e)
{
	if (depth > 1024)
		return kerr_msg(e, ELOOP, "diff: /%s: more than 1024 directories deep", path);
	_cleanup_closedir_ DIR *dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return kerr_errno(e, "diff: /%s", path);
	}
	struct dirent *de;
	while ((errno = 0, de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		_cleanup_free_ char *p = *path ? kstr_printf("%s/%s", path, de->d_name) : strdup(de->d_name);
		struct stat st, lst;
		if (!p)
			return kerr_errno(e, "diff");
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return kerr_errno(e, "diff: /%s", p);
		int in_lower = 0;
		if (!hidden && (in_lower = kapply_lookup(d->lower, d->nlower, p, &lst, NULL, e)) < 0)
			return -1;
		if (S_ISCHR(st.st_mode) && st.st_rdev == 0) {
			/* a whiteout of something the image has */
			if (in_lower && add(d, 'D', p, e) < 0)
				return -1;
			continue;
		}
		int mp = !in_lower ? mount_point(d, p) : 0;
		if (mp == 2)
			continue; /* what create made for a mount, not the container */
		size_t at = kstrv_len(d->lines);
		if (add(d, in_lower ? 'C' : 'A', p, e) < 0)
			return -1;
		if (!S_ISDIR(st.st_mode))
			continue;
		int sub = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return kerr_errno(e, "diff: /%s", p);
		bool h = hidden || !in_lower || !S_ISDIR(lst.st_mode) || opaque(sub);
		if (walk(d, sub, p, h, depth + 1, e) < 0)
			return -1;
		if (mp == 1 && kstrv_len(d->lines) == at + 1) {
			/* made only to hold a mount point: not the container's change */
			free(d->lines[at]);
			d->lines[at] = NULL;
		}
	}
	return errno ? kerr_errno(e, "diff: /%s", path) : 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a + 2, *(char *const *)b + 2);
}

int keng_diff(const struct keng *g, const char *id, char ***lines, kerr *e)
{
	_cleanup_json_ json_object *rec = NULL, *spec = NULL;
	_cleanup_free_ char *upper = keng_path(g, id, "upper"), *cfg = keng_path(g, id, "bundle/config.json");
	_cleanup_strv_ char **mounts = calloc(1, sizeof(char *));
	if (!upper || !cfg || !mounts)
		return kerr_errno(e, "diff");
	if (keng_record(g, id, &rec, e) < 0 || keng_read_json(cfg, &spec, false, e) < 0)
		return -1;
	json_object *ms = kj_get(spec, "mounts");
	for (size_t i = 0; json_object_is_type(ms, json_type_array) && i < json_object_array_length(ms); i++) {
		const char *dst = kj_get_str(json_object_array_get_idx(ms, i), "destination") ?: "";
		while (*dst == '/')
			dst++;
		if (*dst && kstrv_add(&mounts, dst) < 0)
			return kerr_errno(e, "diff");
	}
	_cleanup_(kstore_closep) struct kstore *s = NULL;
	const struct kstore_image *img;
	_cleanup_strv_ char **layers = NULL;
	if (kstore_open(g->root, KSTORE_SHARED, &s, e) < 0 ||
	    kstore_resolve(s, kj_get_str(rec, "Image") ?: "", &img, NULL, e) < 0 ||
	    kstore_layer_dirs(s, img, &layers, e) < 0)
		return kerr_wrap(e, "diff %.12s", id);
	struct diff d = { .nlower = kstrv_len(layers), .mounts = mounts };
	int rc = 0;
	if (!(d.lower = calloc(d.nlower + 1, sizeof(int))) || !(d.lines = calloc(1, sizeof(char *))))
		rc = kerr_errno(e, "diff");
	for (size_t i = 0; d.lower && i < d.nlower; i++)
		d.lower[i] = -1;
	/* kstore_layer_dirs is base first; the lookup wants the nearest first */
	for (size_t i = 0; rc == 0 && i < d.nlower; i++)
		if ((d.lower[i] = open(layers[d.nlower - 1 - i], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			rc = kerr_errno(e, "open %s", layers[d.nlower - 1 - i]);
	int ufd = rc == 0 ? open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (rc == 0 && ufd < 0)
		rc = kerr_errno(e, "open %s", upper);
	if (rc == 0)
		rc = walk(&d, ufd, "", false, 0, e);
	for (size_t i = 0; d.lower && i < d.nlower; i++)
		if (d.lower[i] >= 0)
			close(d.lower[i]);
	free(d.lower);
	if (rc < 0) {
		kstrv_free(d.lines);
		return -1;
	}
	qsort(d.lines, kstrv_len(d.lines), sizeof(char *), by_path);
	*lines = d.lines;
	return 0;
}
