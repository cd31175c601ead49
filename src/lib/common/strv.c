#include "strv.h"

#include "cleanup.h"

#include <stdlib.h>
#include <string.h>

size_t kstrv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

int kstrv_add(char ***v, const char *s)
{
	size_t n = kstrv_len(*v);
	char *copy = strdup(s ? s : "");
	if (!copy)
		return -1;
	char **nv = realloc(*v, (n + 2) * sizeof(char *));
	if (!nv) {
		free(copy);
		return -1;
	}
	nv[n] = copy;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

char **kstrv_copy(char *const *v)
{
	char **out = calloc(1, sizeof(char *));
	for (; out && v && *v; v++)
		if (kstrv_add(&out, *v) < 0) {
			cleanup_strvp(&out);
			return NULL;
		}
	return out;
}

void kstrv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int kstrv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

char **kstrv_split(const char *s, const char *seps)
{
	char **v = calloc(1, sizeof(char *));
	if (!v || !s)
		return v;
	char *copy = strdup(s), *save = NULL;
	if (!copy)
		return v;
	for (char *t = strtok_r(copy, seps, &save); t; t = strtok_r(NULL, seps, &save))
		kstrv_add(&v, t);
	free(copy);
	return v;
}
