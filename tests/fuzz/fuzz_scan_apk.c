/* libFuzzer target: apk's installed-database parser and rpm header blobs. */
#include "scan/inventory.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kscan_pkgs ps = { 0 };
	char *files = NULL;
	size_t nf = 0;
	kerr e;
	kscan_apk_parse((const char *)data, size, "installed", &ps, &files, &nf, &e);
	kscan_pkgs_done(&ps);
	free(files);
	struct kscan_pkg p;
	if (kscan_rpm_header(data, size, &p, &e) == 0)
		kscan_pkg_done(&p);
	return 0;
}
