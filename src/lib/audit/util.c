/* Small string, vector and json-c helpers for the audit library. */
#include "internal.h"

#include "vocab/caps.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

















/* The capabilities Docker grants a container by default. */
uint64_t audit_docker_default_caps(void)
{
	static const char *const def[] = { "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW",
					   "SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE",
					   "SYS_CHROOT", "KILL", "AUDIT_WRITE" };
	uint64_t m = 0;
	for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++)
		m |= 1ull << kcap_parse(def[i]);
	return m;
}

void audit_mode_str(unsigned mode, char buf[8])
{
	snprintf(buf, 8, "%04o", mode & 07777);
}
