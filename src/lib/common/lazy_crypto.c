/* libcrypto, loaded at its first use (lazy.h): the functions kapsel calls
 * (SHA-256 of bulk data, image signatures, registry auth).  Its ~4200
 * symbol relocations cost every command ~1 ms to bind at start. */
#include "common/lazy.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

static struct klazy_lib crypto = { .soname = "libcrypto.so.3", .package = "libssl3" };

KLAZY_FN(crypto, BIO *, BIO_new_mem_buf, (const void *buf, int len), (buf, len))
KLAZY_FN(crypto, int, BIO_free, (BIO *b), (b))
KLAZY_FREE(crypto, ECDSA_SIG_free, ECDSA_SIG)
KLAZY_FN(crypto, ECDSA_SIG *, d2i_ECDSA_SIG, (ECDSA_SIG **a, const unsigned char **in, long len), (a, in, len))
KLAZY_FN(crypto, int, EVP_DecodeBlock, (unsigned char *t, const unsigned char *f, int n), (t, f, n))
KLAZY_FN(crypto, EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
KLAZY_FREE(crypto, EVP_MD_CTX_free, EVP_MD_CTX)
KLAZY_FN(crypto, const EVP_MD *, EVP_sha256, (void), ())
KLAZY_FN(crypto, int, EVP_DigestInit_ex, (EVP_MD_CTX *c, const EVP_MD *t, ENGINE *en), (c, t, en))
KLAZY_FN(crypto, int, EVP_DigestUpdate, (EVP_MD_CTX *c, const void *d, size_t n), (c, d, n))
KLAZY_FN(crypto, int, EVP_DigestFinal_ex, (EVP_MD_CTX *c, unsigned char *md, unsigned int *s), (c, md, s))
KLAZY_FN(crypto, int, EVP_DigestSignInit,
	 (EVP_MD_CTX *c, EVP_PKEY_CTX **pc, const EVP_MD *t, ENGINE *en, EVP_PKEY *k), (c, pc, t, en, k))
KLAZY_FN(crypto, int, EVP_DigestSign,
	 (EVP_MD_CTX *c, unsigned char *sig, size_t *siglen, const unsigned char *tbs, size_t tbslen),
	 (c, sig, siglen, tbs, tbslen))
KLAZY_FN(crypto, int, EVP_DigestVerifyInit,
	 (EVP_MD_CTX *c, EVP_PKEY_CTX **pc, const EVP_MD *t, ENGINE *en, EVP_PKEY *k), (c, pc, t, en, k))
KLAZY_FN(crypto, int, EVP_DigestVerify,
	 (EVP_MD_CTX *c, const unsigned char *sig, size_t siglen, const unsigned char *tbs, size_t tbslen),
	 (c, sig, siglen, tbs, tbslen))
KLAZY_FREE(crypto, EVP_PKEY_free, EVP_PKEY)
KLAZY_FN(crypto, const char *, EVP_PKEY_get0_type_name, (const EVP_PKEY *k), (k))
KLAZY_FN(crypto, int, EVP_PKEY_get_base_id, (const EVP_PKEY *k), (k))
KLAZY_FN(crypto, int, EVP_PKEY_get_utf8_string_param,
	 (const EVP_PKEY *k, const char *name, char *str, size_t max, size_t *out), (k, name, str, max, out))
KLAZY_FN(crypto, EVP_PKEY *, PEM_read_bio_PUBKEY, (BIO *b, EVP_PKEY **x, pem_password_cb *cb, void *u),
	 (b, x, cb, u))
KLAZY_FN(crypto, EVP_PKEY *, PEM_read_bio_PrivateKey, (BIO *b, EVP_PKEY **x, pem_password_cb *cb, void *u),
	 (b, x, cb, u))
KLAZY_FN(crypto, unsigned long, ERR_get_error, (void), ())
KLAZY_VOID(crypto, ERR_clear_error, (void), ())
KLAZY_VOID(crypto, ERR_error_string_n, (unsigned long err, char *buf, size_t len), (err, buf, len))
