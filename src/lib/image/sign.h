/* Image signatures in cosign's key format, with OpenSSL.
 *
 * A signature is ECDSA P-256 over SHA-256 of a payload, kept as the
 * base64 of its DER encoding.  The payload is the "simple signing" claim
 * cosign writes, byte for byte:
 *
 *   {"critical":{"identity":{"docker-reference":"REPO"},
 *    "image":{"docker-manifest-digest":"sha256:HEX"},
 *    "type":"cosign container image signature"},"optional":null}
 *
 * (on one line).  REPO is the repository the signer named, without tag, as
 * cosign writes it.  Keys are PEM: a public key as SubjectPublicKeyInfo
 * ("PUBLIC KEY", what cosign.pub holds), a private key as PKCS#8 or SEC1
 * ("PRIVATE KEY", "EC PRIVATE KEY", as `openssl ecparam -genkey` makes).
 * cosign's own encrypted private keys ("ENCRYPTED SIGSTORE PRIVATE KEY",
 * scrypt + NaCl secretbox) are refused with that said: OpenSSL has no
 * secretbox. */
#ifndef KAPSEL_IMAGE_SIGN_H
#define KAPSEL_IMAGE_SIGN_H

#include "common/err.h"

#include <stddef.h>

#define KSIGN_TYPE "cosign container image signature"

typedef struct evp_pkey_st ksign_key; /* OpenSSL's EVP_PKEY */

/* What a payload claims. */
struct ksign_claim {
	char *reference; /* critical.identity.docker-reference */
	char *digest;    /* critical.image.docker-manifest-digest, sha256:<hex> */
};
void ksign_claim_clear(struct ksign_claim *c);

/* The payload naming REFERENCE and DIGEST (malloc'ed, NUL-terminated). */
char *ksign_payload(const char *reference, const char *digest, kerr *e);
/* Parse a payload (any whitespace and key order): its type must be cosign's,
 * its digest a sha256 digest.  WHAT names it in errors. */
int ksign_payload_parse(const char *buf, size_t len, const char *what, struct ksign_claim *out, kerr *e);

/* Keys from PEM text (WHAT names it in errors): an EC P-256 key or an error
 * saying what the text is instead.  Free with ksign_key_free. */
ksign_key *ksign_private_key(const char *pem, size_t len, const char *what, kerr *e);
ksign_key *ksign_public_key(const char *pem, size_t len, const char *what, kerr *e);
/* The same from a file. */
ksign_key *ksign_private_key_file(const char *path, kerr *e);
ksign_key *ksign_public_key_file(const char *path, kerr *e);
void ksign_key_free(ksign_key *k);

/* Sign BUF: the base64 of the DER signature (malloc'ed). */
char *ksign_sign(ksign_key *key, const void *buf, size_t len, kerr *e);
/* 0 if SIG_B64 is KEY's signature of BUF; -1 with EPERM ("signature does
 * not verify") or EINVAL (not base64, not a DER signature) otherwise. */
int ksign_verify(ksign_key *key, const void *buf, size_t len, const char *sig_b64, kerr *e);

/* Base64 back to bytes (kstr_base64 the other way; NUL-terminated,
 * whitespace ignored; -1 with EINVAL for anything else). */
int ksign_unb64(const char *text, unsigned char **out, size_t *len, kerr *e);

#endif
