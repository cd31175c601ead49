/* Small readers of cgroup files, for the stats drivers and the resolver. */
#include "cgroup/read.h"

#include "common/cleanup.h"
#include "common/fs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kcg_exists(const char *dir, const char *file)
{
	char p[PATH_MAX];
	struct stat st;
	if (snprintf(p, sizeof(p), "%s/%s", dir, file) >= (int)sizeof(p))
		return 0;
	return stat(p, &st) == 0;
}

/* Inside kcg_read_scope(1) .. (0) (one stats read) the directory of the
 * last read stays open and a file is opened relative to it: one lookup
 * instead of the walk down /sys/fs/cgroup/<ctl>/<path>, which is most of
 * what a scrape costs.  Per thread; closed at the scope's end, before a
 * later read could meet a directory removed and made again under the same
 * name.  Outside a scope every read opens the full path. */
static __thread struct {
	char dir[PATH_MAX];
	int fd;
	int open, scoped;
} last;

void kcg_read_scope(int on)
{
	if (last.open)
		close(last.fd);
	last.open = 0;
	last.scoped = on;
}

static int dir_fd(const char *dir)
{
	if (last.open && !strcmp(last.dir, dir))
		return last.fd;
	kcg_read_scope(last.scoped);
	if (strlen(dir) >= sizeof(last.dir))
		return -1;
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	strcpy(last.dir, dir);
	last.fd = fd;
	last.open = 1;
	return fd;
}

int kcg_read_text(const char *dir, const char *file, char **out)
{
	kerr e;
	if (!last.scoped) {
		char p[PATH_MAX];
		if (snprintf(p, sizeof(p), "%s/%s", dir, file) >= (int)sizeof(p))
			return -1;
		return kfs_read_file(p, out, NULL, &e);
	}
	int dfd = dir_fd(dir);
	if (dfd < 0 || strchr(file, '/'))
		return -1;
	_cleanup_close_ int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -1 : kfs_read_fd(fd, out, NULL, &e);
}

static int read_small(const char *dir, const char *file, char **out)
{
	return kcg_read_text(dir, file, out);
}

int kcg_read_u64(const char *dir, const char *file, uint64_t *out)
{
	_cleanup_free_ char *buf = NULL;
	if (read_small(dir, file, &buf) < 0)
		return -1;
	char *s = buf;
	while (isspace((unsigned char)*s))
		s++;
	if (!strncmp(s, "max", 3)) {
		*out = UINT64_MAX;
		return 0;
	}
	if (*s == '-') /* -1: unlimited */
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno)
		return -1;
	*out = v;
	return 0;
}

int kcg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out)
{
	_cleanup_free_ char *buf = NULL;
	if (read_small(dir, file, &buf) < 0)
		return -1;
	size_t kl = strlen(key);
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(line, key, kl) && line[kl] == ' ') {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(line + kl + 1, &end, 10);
			if (end == line + kl + 1 || errno)
				return -1;
			*out = v;
			return 0;
		}
		line = nl ? nl + 1 : NULL;
	}
	return -1;
}

int kcg_read_keys(const char *dir, const char *file, const char *const *keys, uint64_t *vals, unsigned n)
{
	_cleanup_free_ char *buf = NULL;
	if (read_small(dir, file, &buf) < 0)
		return -1;
	int found = 0;
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *sp = strchr(line, ' ');
		for (unsigned i = 0; sp && i < n; i++) {
			if ((size_t)(sp - line) != strlen(keys[i]) || strncmp(line, keys[i], (size_t)(sp - line)))
				continue;
			char *end;
			errno = 0;
			unsigned long long v = strtoull(sp + 1, &end, 10);
			if (end != sp + 1 && !errno) {
				vals[i] = v;
				found |= 1 << i;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return found;
}
