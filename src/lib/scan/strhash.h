/* FNV-1a 64 of a string, for the scan part's two open-addressing tables
 * (the inventory's kept paths, the index builder's string pool). */
#ifndef KAPSEL_SCAN_STRHASH_H
#define KAPSEL_SCAN_STRHASH_H

#include <stdint.h>

static inline uint64_t kscan_strhash(const char *s)
{
	uint64_t h = 14695981039346656037ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

#endif
