/* libFuzzer target: the vulnerability data readers (tracker JSON, OSV
 * record or zip, Alpine secdb) and the three version comparators on the
 * input split at its first newline. */
#include "scan/version.h"
#include "scan/vulndb.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvuln_builder *b;
	kerr e;
	if (kvuln_builder_new(&b, &e) == 0) {
		kvuln_builder_add_buffer(b, (const char *)data, size, "fuzz", 1, &e);
		kvuln_builder_free(b);
	}
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	char *nl = strchr(s, '\n');
	const char *a = s, *bv = "";
	if (nl) {
		*nl = 0;
		bv = nl + 1;
	}
	int d = kver_deb_cmp(a, bv), r = kver_rpm_cmp(a, bv), k = kver_apk_cmp(a, bv);
	/* antisymmetry: each comparator is a total order */
	if (d != -kver_deb_cmp(bv, a) || r != -kver_rpm_cmp(bv, a) || k != -kver_apk_cmp(bv, a))
		abort();
	kver_deb_valid(a);
	kver_apk_valid(a);
	free(s);
	return 0;
}
