/* The name index: ROOT/container-names/NAME, a symlink to the container's
 * ID, so resolving a name reads one record instead of every one (`kapsel
 * inspect web` with 100 containers).
 *
 * The index is a cache the records stay the truth for: a link is believed
 * only when the record it points at carries that name.  Writers keep it
 * complete under the store's exclusive lock, in an order a crash cannot
 * break: the link is made before the record that carries the name (a
 * create killed in between leaves a link to nothing, which is no name),
 * and removed after.  A container removed by kapsel-supervise's --rm
 * (which knows nothing of the index) leaves a link to nothing too.  A
 * store made before the index has no directory: the first exclusive
 * command builds it from the records, and until then readers scan. */
#include "internal.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/str.h"
#include "rootfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *index_dir(const struct keng *g)
{
	return kstr_printf("%s/container-names", g->root);
}

/* The name in ID's container.json (without Docker's '/'), or NULL. */
char *keng_record_name(const struct keng *g, const char *id)
{
	kerr ig = { 0 };
	_cleanup_json_ json_object *rec = NULL;
	if (keng_record(g, id, &rec, &ig) < 0)
		return NULL;
	const char *n = kj_get_str(rec, "Name");
	return n ? strdup(*n == '/' ? n + 1 : n) : NULL;
}

static bool id_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]) || isupper((unsigned char)s[n]))
			return false;
	return n == 64;
}

int keng_names_get(const struct keng *g, const char *name, char id[65])
{
	_cleanup_free_ char *dir = index_dir(g);
	_cleanup_close_ int dfd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dfd < 0)
		return -1;
	char buf[80];
	ssize_t n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
	if (n < 0)
		return errno == ENOENT ? 0 : -1;
	buf[n] = 0;
	if (!id_ok(buf))
		return 0;
	_cleanup_free_ char *have = keng_record_name(g, buf);
	if (!have || strcmp(have, name))
		return 0; /* stale: the container is gone or was renamed */
	memcpy(id, buf, 65);
	return 1;
}

int keng_names_set(const struct keng *g, const char *name, const char *id, kerr *e)
{
	_cleanup_free_ char *dir = index_dir(g);
	_cleanup_close_ int dfd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dfd < 0)
		return kerr_errno(e, "open %s", dir ? dir : "the name index");
	char tmp[300];
	snprintf(tmp, sizeof(tmp), ".tmp-%s", name);
	unlinkat(dfd, tmp, 0);
	if (symlinkat(id, dfd, tmp) < 0 || renameat(dfd, tmp, dfd, name) < 0) {
		int err = errno;
		unlinkat(dfd, tmp, 0);
		return kerr_set(e, err, "%s/%s", dir, name);
	}
	return 0;
}

void keng_names_drop(const struct keng *g, const char *name, const char *id)
{
	_cleanup_free_ char *dir = index_dir(g);
	_cleanup_close_ int dfd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	char buf[80];
	ssize_t n = dfd >= 0 ? readlinkat(dfd, name, buf, sizeof(buf) - 1) : -1;
	if (n < 0)
		return;
	buf[n] = 0;
	if (!strcmp(buf, id))
		unlinkat(dfd, name, 0);
}

int keng_names_ensure(const struct keng *g, kerr *e)
{
	_cleanup_free_ char *dir = index_dir(g), *tmp = kstr_printf("%s/container-names.new", g->root);
	if (!dir || !tmp)
		return kerr_errno(e, "the name index");
	struct stat st;
	if (stat(dir, &st) == 0)
		return 0;
	if (errno != ENOENT)
		return kerr_errno(e, "stat %s", dir);
	/* built aside and renamed into place: a half-built index is never
	 * taken for a complete one */
	kerr ig = { 0 };
	keng_rm_tree(tmp, &ig);
	if (mkdir(tmp, 0700) < 0)
		return kerr_errno(e, "mkdir %s", tmp);
	_cleanup_close_ int tfd = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = opendir(g->cdir);
	if (tfd < 0 || !d)
		return kerr_errno(e, "open %s", tfd < 0 ? tmp : g->cdir);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!id_ok(de->d_name))
			continue;
		_cleanup_free_ char *name = keng_record_name(g, de->d_name);
		if (name && !strchr(name, '/') && *name != '.' && symlinkat(de->d_name, tfd, name) < 0 &&
		    errno != EEXIST)
			return kerr_errno(e, "%s/%s", tmp, name);
	}
	if (rename(tmp, dir) < 0)
		return kerr_errno(e, "rename %s", tmp);
	return 0;
}
