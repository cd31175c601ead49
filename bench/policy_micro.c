/* policy_micro: the time one policy decision takes inside kapsel-runtime
 * (load the policy file, decide on the bundle's config, write the decision
 * log line), averaged over N rounds.  bench/policy.sh compares it with the
 * median wall time of `kapsel-runtime run`.
 *
 *   policy_micro POLICY BUNDLE N */
#include "oci/spec.h"
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: policy_micro POLICY BUNDLE N\n");
		return 2;
	}
	int n = atoi(argv[3]);
	struct timespec a, b;
	double spec_ns = 0, pol_ns = 0;
	kerr e = { 0 };
	for (int i = 0; i < n; i++) {
		struct kpolicy p;
		struct oci_spec *s = NULL;
		struct kpol_decision d;
		/* a fresh tree per round (harden changes it); only the policy's
		 * part is counted as its cost */
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (oci_spec_load(argv[2], &s, &e) < 0) {
			fprintf(stderr, "%s\n", e.msg);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		spec_ns += (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
		a = b;
		if (kpolicy_load(argv[1], &p, &e) < 0 || kpolicy_decide(&p, "bench", s->root, &d, &e) < 0 ||
		    kpolicy_log(&p, &d, "bench", s->bundle, s->root, &e) < 0 ||
		    (d.modified && oci_spec_reparse(&s, &e) < 0)) {
			fprintf(stderr, "%s\n", e.msg);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		pol_ns += (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
		kpolicy_free(&p);
		oci_spec_free(s);
	}
	/* microseconds per container: config parsing, the policy */
	printf("%.1f %.1f\n", spec_ns / 1e3 / n, pol_ns / 1e3 / n);
	return 0;
}
