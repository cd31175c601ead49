/* Fetching vulnerability data over HTTPS for `kapsel scan db update URL`.
 *
 * Contract.  kscan_fetch() downloads URL into DIR/sources/<sha256 of the
 * URL> (streamed to a temporary file, renamed when complete), sending the
 * ETag and Last-Modified of the previous fetch (DIR/http.json) so that an
 * unchanged source costs one 304; on a 304 the copy from before is used.
 * https:// only, with libcurl's certificate and host verification; plain
 * http:// only to a loopback address (127.0.0.0/8, ::1, localhost), for
 * local mirrors and tests.  Redirects are followed (at most 5) with the
 * same rule.  Bodies over 1 GiB, HTTP errors and transfer errors fail with
 * the URL and the status named, and leave the previous copy as it was. */
#ifndef KAPSEL_SCAN_FETCH_H
#define KAPSEL_SCAN_FETCH_H

#include "common/err.h"

#include <stdint.h>

/* *PATH (malloc'ed) is the local copy, *DATE its Last-Modified (0:
 * unknown), *CHANGED 0 when the server answered 304. */
int kscan_fetch(const char *dir, const char *url, char **path, int64_t *date, int *changed, kerr *e);

#endif
