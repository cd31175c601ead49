/* libFuzzer target: config.json as a client hands it in (untrusted). */
#include "oci/spec.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_spec *s = NULL;
	kerr e;
	if (oci_spec_parse("config.json", (const char *)data, size, &s, &e) == 0)
		oci_spec_free(s);
	return 0;
}
