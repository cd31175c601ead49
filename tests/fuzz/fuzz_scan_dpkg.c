/* libFuzzer target: dpkg's status parser (both modes) and os-release. */
#include "scan/inventory.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kscan_pkgs ps = { 0 };
	kerr e;
	kscan_dpkg_parse((const char *)data, size, "status", size & 1, &ps, &e);
	kscan_pkgs_done(&ps);
	struct kscan_inventory inv;
	memset(&inv, 0, sizeof(inv));
	kscan_osrelease_parse((const char *)data, size, &inv, &e);
	kscan_inventory_done(&inv);
	return 0;
}
