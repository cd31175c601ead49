/* The inventory of an image kept by its config digest, so that a second
 * scan of the same image reads no layer: DIR/cache/<hex>.json.
 *
 * Contract.  Only for images whose layers were verified against the
 * config's diff_ids (the image store verifies every layer at load), as the
 * config digest then names the layers' content too.  The file is kapsel's
 * own (a version field: another version is a miss), written atomically;
 * a missing, unreadable or malformed file is a miss, never an error, and
 * the caller then walks the layers and stores the new inventory. */
#ifndef KAPSEL_SCAN_INVCACHE_H
#define KAPSEL_SCAN_INVCACHE_H

#include "scan/inventory.h"

/* 1 and *OUT filled on a hit, 0 on a miss. */
int kscan_invcache_load(const char *dir, const char *digest, struct kscan_inventory *out);
int kscan_invcache_store(const char *dir, const char *digest, const struct kscan_inventory *inv, kerr *e);

#endif
