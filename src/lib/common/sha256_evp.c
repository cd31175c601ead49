/* The libcrypto engine of common/sha256 (OpenSSL EVP), for bulk data: see
 * sha256.h for when each engine is used.  A file of its own so that a
 * program that never asks for it (kapsel-runtime) does not link libcrypto. */
#include "common/sha256.h"

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>

static void evp_update(struct ksha256 *s, const void *data, size_t len)
{
	EVP_DigestUpdate(s->ctx, data, len);
}

static void evp_final(struct ksha256 *s, uint8_t out[KSHA256_LEN])
{
	unsigned n = 0;
	if (EVP_DigestFinal_ex(s->ctx, out, &n) != 1 || n != KSHA256_LEN)
		memset(out, 0, KSHA256_LEN);   /* matches no digest: verification fails closed */
}

static void evp_release(struct ksha256 *s)
{
	EVP_MD_CTX_free(s->ctx);
}

static const struct ksha256_ops evp_ops = { evp_update, evp_final, evp_release };

int ksha256_init_bulk(struct ksha256 *s, kerr *e)
{
	ksha256_init(s);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return kerr_msg(e, ENOSYS, "libcrypto: SHA-256 is not available");
	}
	s->ctx = c;
	s->ops = &evp_ops;
	return 0;
}
