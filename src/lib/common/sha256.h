/* SHA-256 (FIPS 180-4): a streaming digest and the "sha256:<hex>" digest
 * strings of the OCI image spec.
 *
 * Two engines behind one small API, because the two users pull in opposite
 * directions (measured on the test machine, x86-64 with SHA-NI):
 *
 *   ksha256_init        the code in sha256.c: ~25 us for a first 4 KiB
 *                       digest in a fresh process, 70-95 MB/s.  For small
 *                       inputs on the container-start path (the seccomp
 *                       cache key): the runtime links no libcrypto.
 *   ksha256_init_bulk   OpenSSL's libcrypto EVP (DESIGN's crypto library,
 *                       sha256_evp.c): 1.6-1.8 ms once per process
 *                       (provider and configuration loading), then ~850
 *                       MB/s.  For blobs: image layers, the image store.
 *
 * (numbers: /tmp benchmarks of a fresh process hashing 4 KiB, and 256 MiB
 * in 64 KiB updates; see the commit that introduced sha256_evp.c.)
 * tests/unit/test_sha256.c checks both against the FIPS 180-2 vectors.
 *
 *   struct ksha256 s;
 *   ksha256_init(&s);                    or ksha256_init_bulk(&s, &e)
 *   ksha256_update(&s, buf, n);          ...as often as needed
 *   ksha256_final(&s, sum);              or ksha256_release(&s) to drop it
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

struct ksha256_ops;

struct ksha256 {
	const struct ksha256_ops *ops;  /* NULL: the built-in code */
	void *ctx;                      /* the engine's state */
	uint32_t h[8];
	uint64_t bytes;
	uint8_t buf[64];
	size_t n;
};

void ksha256_init(struct ksha256 *s);
/* The libcrypto engine; -1 (e filled) if libcrypto cannot give SHA-256. */
int ksha256_init_bulk(struct ksha256 *s, kerr *e);
void ksha256_update(struct ksha256 *s, const void *data, size_t len);
/* Write the digest and release S; it must be initialised again before reuse. */
void ksha256_final(struct ksha256 *s, uint8_t out[KSHA256_LEN]);
/* Release S without a digest (an abandoned stream); safe after final. */
void ksha256_release(struct ksha256 *s);

/* Inside common/: an engine other than the built-in one. */
struct ksha256_ops {
	void (*update)(struct ksha256 *s, const void *data, size_t len);
	void (*final)(struct ksha256 *s, uint8_t out[KSHA256_LEN]);
	void (*release)(struct ksha256 *s);
};
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
