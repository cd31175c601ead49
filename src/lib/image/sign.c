/* cosign-compatible key signatures (sign.h): the simple-signing payload,
 * PEM keys and ECDSA P-256/SHA-256, all through OpenSSL's EVP. */
#include "image/sign.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/str.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

void ksign_claim_clear(struct ksign_claim *c)
{
	free(c->reference);
	free(c->digest);
	c->reference = c->digest = NULL;
}

char *ksign_payload(const char *reference, const char *digest, kerr *e)
{
	if (ksha256_parse(digest, NULL, "manifest digest", e) < 0)
		return NULL;
	/* json-c keeps insertion order: the keys come out as cosign writes them */
	_cleanup_json_ json_object *p = json_object_new_object();
	json_object *crit = json_object_new_object(), *id = json_object_new_object(), *im = json_object_new_object();
	json_object_object_add(id, "docker-reference", json_object_new_string(reference));
	json_object_object_add(im, "docker-manifest-digest", json_object_new_string(digest));
	json_object_object_add(crit, "identity", id);
	json_object_object_add(crit, "image", im);
	json_object_object_add(crit, "type", json_object_new_string(KSIGN_TYPE));
	json_object_object_add(p, "critical", crit);
	json_object_object_add(p, "optional", NULL);
	char *s = strdup(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (!s)
		kerr_set(e, ENOMEM, "payload");
	return s;
}

int ksign_payload_parse(const char *buf, size_t len, const char *what, struct ksign_claim *out, kerr *e)
{
	memset(out, 0, sizeof(*out));
	_cleanup_json_ json_object *p = kj_parse(what, buf, len, e);
	if (!p)
		return -1;
	json_object *crit = kj_get(p, "critical");
	json_object *ref = kj_get(kj_get(crit, "identity"), "docker-reference");
	json_object *dig = kj_get(kj_get(crit, "image"), "docker-manifest-digest");
	json_object *type = kj_get(crit, "type");
	if (!json_object_is_type(crit, json_type_object))
		return kerr_msg(e, EINVAL, "%s: critical: expected an object", what);
	if (!json_object_is_type(type, json_type_string) || strcmp(json_object_get_string(type), KSIGN_TYPE))
		return kerr_msg(e, EINVAL, "%s: critical.type: expected \"" KSIGN_TYPE "\"", what);
	if (!json_object_is_type(ref, json_type_string))
		return kerr_msg(e, EINVAL, "%s: critical.identity.docker-reference: expected a string", what);
	if (!json_object_is_type(dig, json_type_string) ||
	    ksha256_parse(json_object_get_string(dig), NULL, "critical.image.docker-manifest-digest", e) < 0)
		return kerr_msg(e, EINVAL, "%s: critical.image.docker-manifest-digest: expected sha256:<64 hex>", what);
	out->reference = strdup(json_object_get_string(ref));
	out->digest = strdup(json_object_get_string(dig));
	if (!out->reference || !out->digest) {
		ksign_claim_clear(out);
		return kerr_set(e, ENOMEM, "%s", what);
	}
	return 0;
}

void ksign_key_free(ksign_key *k)
{
	EVP_PKEY_free(k);
}

/* KEY must be EC on P-256: cosign's default and the only kind it signs
 * container images with by a key pair. */
static ksign_key *p256_only(EVP_PKEY *k, const char *what, kerr *e)
{
	char group[64] = "";
	size_t glen;
	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof(group), &glen) || strcmp(group, "prime256v1")) {
		kerr_msg(e, EINVAL, "%s: expected an EC P-256 key, got %s%s%s", what, EVP_PKEY_get0_type_name(k),
			 group[0] ? " on " : "", group);
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

static ksign_key *read_key(const char *pem, size_t len, const char *what, int private, kerr *e)
{
	if (private && memmem(pem, len, "ENCRYPTED SIGSTORE PRIVATE KEY", 30))
		return kerr_msg(e, ENOTSUP,
				"%s: cosign's encrypted key format (scrypt + NaCl secretbox) is not supported: "
				"use an EC P-256 key in PEM (openssl ecparam -name prime256v1 -genkey -noout)",
				what),
		       NULL;
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	if (!b)
		return kerr_set(e, ENOMEM, "%s", what), NULL;
	EVP_PKEY *k = private ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!k)
		return kerr_msg(e, EINVAL, "%s: not a PEM %s", what,
				private ? "private key (PKCS#8 \"PRIVATE KEY\" or \"EC PRIVATE KEY\", unencrypted)"
					: "public key (\"PUBLIC KEY\", SubjectPublicKeyInfo)"),
		       NULL;
	return p256_only(k, what, e);
}

ksign_key *ksign_private_key(const char *pem, size_t len, const char *what, kerr *e)
{
	return read_key(pem, len, what, 1, e);
}

ksign_key *ksign_public_key(const char *pem, size_t len, const char *what, kerr *e)
{
	return read_key(pem, len, what, 0, e);
}

static ksign_key *key_file(const char *path, int private, kerr *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (kfs_read_file(path, &buf, &len, e) < 0)
		return NULL;
	return read_key(buf, len, path, private, e);
}

ksign_key *ksign_private_key_file(const char *path, kerr *e)
{
	return key_file(path, 1, e);
}

ksign_key *ksign_public_key_file(const char *path, kerr *e)
{
	return key_file(path, 0, e);
}

int ksign_unb64(const char *text, unsigned char **out, size_t *len, kerr *e)
{
	/* EVP_DecodeBlock takes no whitespace and keeps the padding's zeros:
	 * strip the one, count the other */
	size_t n = strlen(text), k = 0, pad = 0;
	_cleanup_free_ char *clean = malloc(n + 1);
	*out = NULL;
	if (!clean)
		return kerr_set(e, ENOMEM, "base64");
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\n", text[i]))
			clean[k++] = text[i];
	clean[k] = '\0';
	if (k == 0 || k % 4)
		return kerr_msg(e, EINVAL, "not base64 (%zu characters)", k);
	for (size_t i = 0; i < k; i++)
		if (!(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", clean[i]) ||
		      (clean[i] == '=' && i >= k - 2 && (i == k - 1 || clean[k - 1] == '='))))
			return kerr_msg(e, EINVAL, "not base64 (character %zu)", i + 1);
	pad = (clean[k - 1] == '=') + (clean[k - 2] == '=');
	unsigned char *b = malloc(k / 4 * 3 + 1);
	if (!b)
		return kerr_set(e, ENOMEM, "base64");
	int r = EVP_DecodeBlock(b, (unsigned char *)clean, (int)k);
	if (r < 0) {
		free(b);
		return kerr_msg(e, EINVAL, "not base64");
	}
	*out = b;
	*len = (size_t)r - pad;
	return 0;
}

char *ksign_sign(ksign_key *key, const void *buf, size_t len, kerr *e)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t slen = 0;
	char *out = NULL;
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &slen, buf, len) != 1 || !(sig = malloc(slen)) ||
	    EVP_DigestSign(md, sig, &slen, buf, len) != 1 || !(out = kstr_base64(sig, slen)))
		kerr_msg(e, EIO, "sign: OpenSSL failed");
	free(sig);
	EVP_MD_CTX_free(md);
	return out;
}

int ksign_verify(ksign_key *key, const void *buf, size_t len, const char *sig_b64, kerr *e)
{
	unsigned char *sig;
	size_t slen;
	if (ksign_unb64(sig_b64, &sig, &slen, e) < 0)
		return kerr_wrap(e, "signature");
	const unsigned char *q = sig;
	ECDSA_SIG *der = d2i_ECDSA_SIG(NULL, &q, (long)slen);
	int whole = der && q == sig + slen;
	ECDSA_SIG_free(der);
	if (!whole) {
		free(sig);
		return kerr_msg(e, EINVAL, "signature: not a DER ECDSA signature");
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1
			? EVP_DigestVerify(md, sig, slen, buf, len)
			: -2;
	EVP_MD_CTX_free(md);
	free(sig);
	if (r == 1)
		return 0;
	if (r == -2)
		return kerr_msg(e, EIO, "verify: OpenSSL failed");
	return kerr_msg(e, EPERM, "signature does not verify with the key");
}
