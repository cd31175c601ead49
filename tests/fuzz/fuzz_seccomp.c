/* libFuzzer target: a linux.seccomp object translated to a BPF program
 * (no cache: every input compiles). */
#include "common/json.h"
#include "linux/kseccomp.h"

#include <stdlib.h>


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kerr e;
	json_object *o = kj_parse("config.json", (const char *)data, size, &e);
	if (!o)
		return 0;
	struct kseccomp *sc = NULL;
	if (kseccomp_compile(o, NULL, &sc, &e) == 0)
		kseccomp_free(sc);
	json_object_put(o);
	return 0;
}
