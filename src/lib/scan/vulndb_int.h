/* The on-disk layout of the vulnerability index (little-endian, as
 * written by the host; the magic's version changes with the layout). */
#ifndef KAPSEL_SCAN_VULNDB_INT_H
#define KAPSEL_SCAN_VULNDB_INT_H

#include <stdint.h>

#define KVULN_MAGIC "KSCANIX1"
#define KVULN_VERSION 1

enum {
	KVULN_S_RELEASE,
	KVULN_S_PACKAGE,
	KVULN_S_ID,
	KVULN_S_INTRODUCED,
	KVULN_S_FIXED,
	KVULN_S_URGENCY,
	KVULN_S_SEVERITY,
	KVULN_S_NOTE,
	KVULN_NSTR
};

struct kvuln_disk_hdr {
	char magic[8];
	uint32_t version;
	uint32_t nsources, nrecords;
	uint32_t sources_off, records_off, pool_off, pool_len;
	uint32_t pad;
	int64_t built;
};

struct kvuln_disk_src {
	uint32_t kind, origin, digest, records;
	int64_t date;
};

struct kvuln_disk_rec {
	uint32_t str[KVULN_NSTR]; /* pool offsets */
	uint32_t source;
	uint8_t state;
	uint8_t pad[3];
};

#endif
