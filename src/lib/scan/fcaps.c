/* security.capability (struct vfs_cap_data, linux/capability.h): a
 * little-endian magic word whose high byte is the revision (1: 32-bit
 * sets, 2 and 3: 64-bit, 3 with a namespace root uid) and whose bit 0 is
 * "effective", then permitted and inheritable words.  Formatted the way
 * getcap(8) prints it: "cap_net_admin,cap_net_raw=ep". */
#include "scan/fcaps.h"

#include "common/str.h"
#include "vocab/caps.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void add_set(char *out, size_t n, uint64_t set)
{
	for (int c = 0; c < 64; c++) {
		if (!(set >> c & 1))
			continue;
		const char *name = kcap_name(c);
		char tmp[48];
		if (name)
			snprintf(tmp, sizeof(tmp), "%s", name);
		else
			snprintf(tmp, sizeof(tmp), "cap_%d", c);
		for (char *t = tmp; *t; t++)
			*t = (char)tolower((unsigned char)*t);
		if (*out)
			strncat(out, ",", n - strlen(out) - 1);
		strncat(out, tmp, n - strlen(out) - 1);
	}
}

char *kscan_fcaps_text(const void *v, size_t len)
{
	const unsigned char *b = v;
	if (len < 12)
		return strdup("(malformed security.capability)");
	uint32_t magic = le32(b), rev = magic & 0xff000000u;
	uint64_t perm = le32(b + 4), inh = le32(b + 8);
	if (rev == 0x02000000u || rev == 0x03000000u) {
		if (len < 20)
			return strdup("(malformed security.capability)");
		perm |= (uint64_t)le32(b + 12) << 32;
		inh |= (uint64_t)le32(b + 16) << 32;
	} else if (rev != 0x01000000u) {
		return kstr_printf("(security.capability revision 0x%08x)", rev);
	}
	char out[2048] = "";
	if (perm) {
		add_set(out, sizeof(out), perm);
		strncat(out, magic & 1 ? "=ep" : "=p", sizeof(out) - strlen(out) - 1);
	}
	if (inh) {
		if (*out)
			strncat(out, " ", sizeof(out) - strlen(out) - 1);
		add_set(out + strlen(out), sizeof(out) - strlen(out), inh);
		strncat(out, "+i", sizeof(out) - strlen(out) - 1);
	}
	if (rev == 0x03000000u && len >= 24)
		return kstr_printf("%s [rootid=%u]", *out ? out : "=", le32(b + 20));
	return strdup(*out ? out : "=");
}
