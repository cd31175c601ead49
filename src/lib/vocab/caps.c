#include "caps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* the kernel's numbering; one list gives both spellings */
#define KCAP_LIST(X)                                                                                           \
	X(CHOWN) X(DAC_OVERRIDE) X(DAC_READ_SEARCH) X(FOWNER) X(FSETID) X(KILL) X(SETGID) X(SETUID)            \
	X(SETPCAP) X(LINUX_IMMUTABLE) X(NET_BIND_SERVICE) X(NET_BROADCAST) X(NET_ADMIN) X(NET_RAW)            \
	X(IPC_LOCK) X(IPC_OWNER) X(SYS_MODULE) X(SYS_RAWIO) X(SYS_CHROOT) X(SYS_PTRACE) X(SYS_PACCT)          \
	X(SYS_ADMIN) X(SYS_BOOT) X(SYS_NICE) X(SYS_RESOURCE) X(SYS_TIME) X(SYS_TTY_CONFIG) X(MKNOD)           \
	X(LEASE) X(AUDIT_WRITE) X(AUDIT_CONTROL) X(SETFCAP) X(MAC_OVERRIDE) X(MAC_ADMIN) X(SYSLOG)            \
	X(WAKE_ALARM) X(BLOCK_SUSPEND) X(AUDIT_READ) X(PERFMON) X(BPF) X(CHECKPOINT_RESTORE)
#define SHORT_NAME(n) #n,
#define LONG_NAME(n) "CAP_" #n,
static const char *const cap_names[KCAP_NAMES] = { KCAP_LIST(SHORT_NAME) };
static const char *const long_names[KCAP_NAMES] = { KCAP_LIST(LONG_NAME) };
_Static_assert(sizeof((const char *[]){ KCAP_LIST(SHORT_NAME) }) / sizeof(char *) == KCAP_NAMES,
	       "KCAP_NAMES matches the list");

static int short_lookup(const char *name)
{
	for (int i = 0; i < KCAP_NAMES; i++)
		if (!strcasecmp(name, cap_names[i]))
			return i;
	return -1;
}

int kcap_from_name(const char *name)
{
	if (!name || strncasecmp(name, "CAP_", 4))
		return -1;
	return short_lookup(name + 4);
}

int kcap_parse(const char *name)
{
	if (!name)
		return -1;
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	if (!strcasecmp(name, "ALL"))
		return KCAP_ALL;
	return short_lookup(name);
}

const char *kcap_name(int cap)
{
	if (cap < 0 || cap >= KCAP_NAMES)
		return NULL;
	return long_names[cap];
}

const char *kcap_short_name(int cap)
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
