/* Shared by the scan part's files, not part of its interface. */
#ifndef KAPSEL_SCAN_INTERNAL_H
#define KAPSEL_SCAN_INTERNAL_H

#include "scan/inventory.h"

int kscan_pkgs_add(struct kscan_pkgs *ps, struct kscan_pkg *p, kerr *e);

/* security.capability as getcap prints it (malloc'ed; NULL on ENOMEM). */
char *kscan_fcaps_text(const void *v, size_t len);

#endif
