/* SHA-256 (FIPS 180-4): a streaming digest and the "sha256:<hex>" digest
 * strings of the OCI image spec.
 *
 * The image reader and the image store verify blobs with it, the seccomp
 * cache keys its programs with it.  It is written here rather than taken
 * from OpenSSL's libcrypto (DESIGN's preferred library for crypto) because
 * it sits on the hot path of container start: OpenSSL 3's first EVP digest
 * costs 1.5-2 ms on the test machine (provider and configuration loading),
 * the whole seccomp cache key here ~30 us, and the runtime links no
 * libcrypto otherwise.  tests/unit/test_sha256.c checks it against the
 * FIPS 180-2 example vectors.
 *
 *   struct ksha256 s;
 *   ksha256_init(&s);
 *   ksha256_update(&s, buf, n);          ...as often as needed
 *   ksha256_final(&s, sum);
 *   if (ksha256_verify("sha256:ab12...", sum, "blob", &e) < 0) ...
 */
#ifndef KAPSEL_SHA256_H
#define KAPSEL_SHA256_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>

#define KSHA256_LEN 32
#define KSHA256_HEX (2 * KSHA256_LEN + 1)          /* hex digits and the NUL */
#define KSHA256_DIGEST (7 + 2 * KSHA256_LEN + 1)   /* "sha256:" + hex + NUL */

struct ksha256 {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t buf[64];
	size_t n;
};

void ksha256_init(struct ksha256 *s);
void ksha256_update(struct ksha256 *s, const void *data, size_t len);
/* Write the digest; S must be initialised again before reuse. */
void ksha256_final(struct ksha256 *s, uint8_t out[KSHA256_LEN]);
/* One-shot digest of a buffer. */
void ksha256(const void *data, size_t len, uint8_t out[KSHA256_LEN]);

/* Lower-case hex of SUM, NUL-terminated. */
void ksha256_hex(const uint8_t sum[KSHA256_LEN], char out[KSHA256_HEX]);
/* "sha256:" + hex of SUM, NUL-terminated. */
void ksha256_digest(const uint8_t sum[KSHA256_LEN], char out[KSHA256_DIGEST]);

/* Parse DIGEST ("sha256:" and exactly 64 lower-case hex digits) into OUT
 * (may be NULL to only check the syntax).  -1 with e naming WHAT and the
 * digest on anything else. */
int ksha256_parse(const char *digest, uint8_t out[KSHA256_LEN], const char *what, kerr *e);
/* 0 if DIGEST is well formed and names SUM; -1 (EINVAL, e names WHAT and
 * both digests) otherwise. */
int ksha256_verify(const char *digest, const uint8_t sum[KSHA256_LEN], const char *what, kerr *e);

#endif
