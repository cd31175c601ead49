#include "caps.h"

#include "common/cleanup.h"
#include "common/log.h"
#include "vocab/caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int kcaps_drop_bounding(uint64_t keep, kerr *e)
{
	int last = kcap_last_cap();
	for (int c = 0; c <= last && c < 64; c++) {
		if (keep & (1ULL << c) || prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return kerr_errno(e, "drop %s from the bounding set",
					  kcap_name(c) ? kcap_name(c) : "capability");
	}
	return 0;
}

int kcaps_apply(const struct kcaps *c, kerr *e)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	int last = kcap_last_cap();

	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(c->effective >> (32 * i));
		data[i].permitted = (uint32_t)(c->permitted >> (32 * i));
		data[i].inheritable = (uint32_t)(c->inheritable >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return kerr_errno(e, "set capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return kerr_errno(e, "clear the ambient capabilities");
	for (int i = 0; i <= last && i < 64; i++) {
		if (!(c->ambient & (1ULL << i)))
			continue;
		if (!(c->inheritable & c->permitted & (1ULL << i))) {
			/* the kernel cannot hold it (runc's own default spec asks for
			 * this): say so instead of failing or pretending */
			klog_warn("ambient capability %s skipped: it is not in both the permitted and the inheritable set",
				  kcap_name(i));
			continue;
		}
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0)
			return kerr_errno(e, "raise ambient capability %s (it must also be permitted and inheritable)",
					  kcap_name(i));
	}
	return 0;
}
