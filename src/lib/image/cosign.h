/* cosign's signature manifests: how signatures travel with an image in a
 * registry (the tag sha256-<manifest hex>.sig of the image's repository)
 * and in an OCI layout (an index.json entry annotated kind
 * dev.cosignproject.cosign/sigs, as `cosign save` writes it).
 *
 * The manifest is an OCI image manifest whose config is a minimal image
 * config and whose layers are the simple-signing payloads (sign.h), media
 * type application/vnd.dev.cosign.simplesigning.v1+json, each with its
 * signature (base64 of the DER) in the annotation
 * dev.cosignproject.cosign/signature.  Layers of other types (attestations,
 * bundles) are skipped. */
#ifndef KAPSEL_IMAGE_COSIGN_H
#define KAPSEL_IMAGE_COSIGN_H

#include "common/err.h"
#include "common/sha256.h"
#include "image/image.h"
#include "image/store_sig.h"

#include <stddef.h>
#include <stdint.h>

#define KCOSIGN_LAYER "application/vnd.dev.cosign.simplesigning.v1+json"
#define KCOSIGN_ANNOTATION "dev.cosignproject.cosign/signature"
#define KCOSIGN_KIND_SIGS KIMAGE_KIND_SIGS
#define KCOSIGN_KIND_IMAGE "dev.cosignproject.cosign/image"
#define KCOSIGN_MAX_LAYERS 256 /* signatures read from one manifest */
#define KCOSIGN_MAX_PAYLOAD 65536

/* One signature layer: the payload blob's descriptor and the signature. */
struct kcosign_layer {
	char digest[KSHA256_DIGEST];
	int64_t size;
	char *signature;
};
void kcosign_layers_free(struct kcosign_layer *v, size_t n);

/* The signature layers of the manifest BUF (WHAT names it in errors). */
int kcosign_parse(const char *buf, size_t len, const char *what, struct kcosign_layer **out, size_t *n, kerr *e);

/* The tag of MANIFEST's signatures: "sha256-<hex>.sig" (OUT 80 bytes). */
void kcosign_tag(const char *manifest, char out[80]);

/* The signature manifest of SIGS[0..N): *CONFIG the config blob's text,
 * *MANIFEST the manifest's (malloc'ed); the payloads are the other blobs. */
int kcosign_build(const struct kstore_sig *sigs, size_t n, char **config, char **manifest, kerr *e);

/* The signatures an archive brings for IMG's manifest: the index.json
 * entry annotated kind dev.cosignproject.cosign/sigs and
 * org.opencontainers.image.ref.name sha256-<manifest hex>.sig (what
 * kstore_save and cosign save write), its manifest and payloads each
 * checked against their digests.  None is not an error. */
int kcosign_archive_sigs(struct kimage *img, struct kstore_sig **out, size_t *n, kerr *e);

/* Is SIG (a payload and signature fetched from elsewhere) worth keeping
 * for MANIFEST: a cosign payload whose digest is MANIFEST?  (Whether it
 * verifies is the reader's question: records are checked on every use.) */
int kcosign_claims(const struct kstore_sig *sig, const char *manifest);

#endif
