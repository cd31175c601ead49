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

static int read_small(const char *dir, const char *file, char **out)
{
	char p[PATH_MAX];
	kerr e;
	if (snprintf(p, sizeof(p), "%s/%s", dir, file) >= (int)sizeof(p))
		return -1;
	return kfs_read_file(p, out, NULL, &e);
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
