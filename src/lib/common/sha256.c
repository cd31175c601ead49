/* SHA-256 (FIPS 180-4): the built-in engine, the dispatch to another one,
 * and OCI digest strings.  Why there is a built-in engine: see sha256.h. */
#include "common/sha256.h"

#include <errno.h>
#include <string.h>

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(struct ksha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
		uint32_t t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

void ksha256_init(struct ksha256 *s)
{
	s->ops = NULL;
	s->ctx = NULL;
	static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	memcpy(s->h, h0, sizeof(h0));
	s->bytes = 0;
	s->n = 0;
}

void ksha256_update(struct ksha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (s->ops) {
		s->ops->update(s, data, len);
		return;
	}
	s->bytes += len;
	if (s->n) {
		size_t take = 64 - s->n < len ? 64 - s->n : len;
		memcpy(s->buf + s->n, p, take);
		s->n += take, p += take, len -= take;
		if (s->n < 64)
			return;
		sha256_block(s, s->buf);
		s->n = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		sha256_block(s, p);
	if (len)
		memcpy(s->buf, p, len);
	s->n = len;
}

void ksha256_release(struct ksha256 *s)
{
	if (s->ops)
		s->ops->release(s);
	s->ops = NULL;
	s->ctx = NULL;
}

void ksha256_final(struct ksha256 *s, uint8_t out[KSHA256_LEN])
{
	uint64_t bits = s->bytes * 8;

	if (s->ops) {
		s->ops->final(s, out);
		ksha256_release(s);
		return;
	}
	s->buf[s->n++] = 0x80;
	if (s->n > 56) {
		memset(s->buf + s->n, 0, 64 - s->n);
		sha256_block(s, s->buf);
		s->n = 0;
	}
	memset(s->buf + s->n, 0, 56 - s->n);
	for (int i = 0; i < 8; i++)
		s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_block(s, s->buf);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

void ksha256(const void *data, size_t len, uint8_t out[KSHA256_LEN])
{
	struct ksha256 s;
	ksha256_init(&s);
	ksha256_update(&s, data, len);
	ksha256_final(&s, out);
}

void ksha256_hex(const uint8_t sum[KSHA256_LEN], char out[KSHA256_HEX])
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < KSHA256_LEN; i++) {
		out[2 * i] = hex[sum[i] >> 4];
		out[2 * i + 1] = hex[sum[i] & 15];
	}
	out[2 * KSHA256_LEN] = '\0';
}

void ksha256_digest(const uint8_t sum[KSHA256_LEN], char out[KSHA256_DIGEST])
{
	memcpy(out, "sha256:", 7);
	ksha256_hex(sum, out + 7);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int ksha256_parse(const char *digest, uint8_t out[KSHA256_LEN], const char *what, kerr *e)
{
	if (!digest || strncmp(digest, "sha256:", 7))
		return kerr_msg(e, EINVAL, "%s: digest %.80s: expected sha256:<64 hex digits>", what,
				digest ? digest : "(none)");
	const char *h = digest + 7;
	for (size_t i = 0; i < KSHA256_LEN; i++) {
		int hi = hexval(h[2 * i]), lo = hi < 0 ? -1 : hexval(h[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return kerr_msg(e, EINVAL, "%s: digest %.80s: expected 64 lower-case hex digits after sha256:",
					what, digest);
		if (out)
			out[i] = (uint8_t)(hi << 4 | lo);
	}
	if (h[2 * KSHA256_LEN])
		return kerr_msg(e, EINVAL, "%s: digest %.80s: longer than 64 hex digits", what, digest);
	return 0;
}

int ksha256_verify(const char *digest, const uint8_t sum[KSHA256_LEN], const char *what, kerr *e)
{
	uint8_t want[KSHA256_LEN];
	if (ksha256_parse(digest, want, what, e) < 0)
		return -1;
	if (memcmp(want, sum, KSHA256_LEN)) {
		char got[KSHA256_DIGEST];
		ksha256_digest(sum, got);
		return kerr_msg(e, EINVAL, "%s: digest mismatch: expected %s, content is %s", what, digest, got);
	}
	return 0;
}
