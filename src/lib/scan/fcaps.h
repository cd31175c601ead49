/* File capabilities as getcap(8) prints them. */
#ifndef KAPSEL_SCAN_FCAPS_H
#define KAPSEL_SCAN_FCAPS_H

#include <stddef.h>

/* The security.capability value V (LEN bytes) as text, "cap_net_raw=ep"
 * (malloc'ed; NULL on ENOMEM).  A malformed value says so in the text. */
char *kscan_fcaps_text(const void *v, size_t len);

#endif
