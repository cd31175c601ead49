#include "caps.h"

#include "common/cleanup.h"
#include "common/log.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const cap_names[KCAP_NAMES] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

int kcap_from_name(const char *name)
{
	for (int i = 0; i < KCAP_NAMES; i++)
		if (!strcasecmp(name, cap_names[i]))
			return i;
	return -1;
}

const char *kcap_name(int cap)
{
	return cap >= 0 && cap < KCAP_NAMES ? cap_names[cap] : NULL;
}

int kcap_last_cap(void)
{
	static int last = -1;
	if (last < 0) {
		char buf[16] = "";
		FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = '\0';
			fclose(f);
		}
		last = buf[0] ? atoi(buf) : KCAP_NAMES - 1;
	}
	return last;
}

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
