#include "rlimits.h"

#include "oci/spec.h"
#include "vocab/rlimits.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

int krlimits_apply(const struct oci_rlimit *r, size_t n, kerr *e)
{
	for (size_t i = 0; i < n; i++) {
		struct rlimit rl = { .rlim_cur = r[i].soft, .rlim_max = r[i].hard };
		if (setrlimit(r[i].resource, &rl) < 0) {
			int saved = errno;
			struct rlimit cur;
			if (saved == EPERM && getrlimit(r[i].resource, &cur) == 0 && rl.rlim_max > cur.rlim_max)
				return kerr_set(e, saved, "set %s to %llu:%llu (the hard limit cannot be raised above the runtime's own %llu without CAP_SYS_RESOURCE)",
						krlimit_name(r[i].resource), (unsigned long long)rl.rlim_cur,
						(unsigned long long)rl.rlim_max, (unsigned long long)cur.rlim_max);
			return kerr_set(e, saved, "set %s to %llu:%llu", krlimit_name(r[i].resource),
					(unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
		}
	}
	return 0;
}
