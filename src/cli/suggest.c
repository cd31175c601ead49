/* "did you mean": the candidates closest to a mistyped word. */
#include "cli.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

size_t cli_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	/* three rows of the dynamic-programming table are enough for the
	 * adjacent-transposition case */
	size_t *prev2 = calloc(lb + 1, sizeof(size_t)), *prev = calloc(lb + 1, sizeof(size_t)),
	       *cur = calloc(lb + 1, sizeof(size_t));
	size_t d = la > lb ? la : lb;
	if (!prev2 || !prev || !cur)
		goto out;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = prev[j] + 1;                /* deletion */
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;             /* insertion */
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;         /* substitution */
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;           /* transposition */
			cur[j] = v;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	d = prev[lb];
out:
	free(prev2);
	free(prev);
	free(cur);
	return d;
}

int cli_suggest(const char *word, const char *const *candidates, size_t n, const char *fmt, char *out, size_t outlen)
{
	size_t len = strlen(word), best = (size_t)-1;
	/* a typo, not another word: at most one edit in three letters */
	size_t limit = len < 3 ? 1 : len / 3 + 1;
	size_t *dist = calloc(n ? n : 1, sizeof(size_t));
	if (!dist || !outlen)
		goto none;
	for (size_t i = 0; i < n; i++) {
		dist[i] = cli_distance(word, candidates[i]);
		/* "upd" for "update": a prefix is as good as one edit */
		if (len >= 2 && dist[i] > 1 && !strncmp(word, candidates[i], len))
			dist[i] = 1;
		if (dist[i] < best)
			best = dist[i];
	}
	if (best > limit || best == 0)
		goto none;
	int found = 0;
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (dist[i] != best)
			continue;
		char one[256];
		snprintf(one, sizeof(one), fmt, candidates[i]);
		int w = snprintf(out + o, outlen - o, "%s%s", found ? " or " : "", one);
		if (w < 0 || (size_t)w >= outlen - o)
			break;
		o += (size_t)w;
		found++;
	}
	free(dist);
	return found;
none:
	free(dist);
	if (outlen)
		out[0] = '\0';
	return 0;
}
