/* seccomp_micro: what the compiled-filter cache saves.  Compiles kapsel's
 * default profile N times with the cache off (an empty cache directory) and
 * N times with it on (a fresh cache dir, so the first round fills it), and
 * prints the mean microseconds per compile for both.
 *
 *   seccomp_micro CACHE_DIR N */
#include "linux/kseccomp.h"
#include "oci/seccomp_default.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double run(const char *cache, int n, int *hits)
{
	struct timespec a, b;
	kerr e = { 0 };
	json_object *prof = kseccomp_default_profile();
	*hits = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		struct kseccomp *sc = NULL;
		if (kseccomp_compile(prof, cache, &sc, &e) < 0) {
			fprintf(stderr, "%s\n", e.msg);
			exit(1);
		}
		*hits += kseccomp_cached(sc);
		kseccomp_free(sc);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	json_object_put(prof);
	return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / n;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: seccomp_micro CACHE_DIR N\n");
		return 2;
	}
	int n = atoi(argv[2]), hits;
	double off = run("", n, &hits);
	double on = run(argv[1], n, &hits);
	printf("default profile, %d compiles: no cache %.1f us, cache %.1f us (%d of %d hits), %.0fx\n", n, off, on,
	       hits, n, off / on);
	return 0;
}
