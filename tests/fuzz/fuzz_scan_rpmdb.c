/* libFuzzer target: rpm's BerkeleyDB hash Packages and NDB Packages.db
 * parsers (scan/rpmdb.c) with the file lists of every header they reach,
 * and the file-list reader on the input as one header blob. */
#include "scan/inventory.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kscan_pkgs ps = { 0 };
	struct kscan_buf files = { 0 };
	kerr e;
	kscan_rpm_bdb(data, size, "Packages", &ps, &files, &e);
	kscan_rpm_ndb(data, size, "Packages.db", &ps, &files, &e);
	kscan_rpm_files(data, size, "owner", &files, &e);
	kscan_pkgs_done(&ps);
	free(files.s);
	return 0;
}
