/* Signatures kept in the image store beside the images they sign:
 *
 *   ROOT/signatures/<manifest-hex>/<record-hex>
 *
 * one file per signature of the manifest sha256:<manifest-hex>, holding
 * {"payload": base64 of the payload as signed, "signature": base64 of the
 * DER signature} (sign.h), named by the sha256 of its payload and
 * signature so that adding one twice keeps one.  A record is written to
 * tmp/, fsync'ed and renamed into place, then the directory fsync'ed: a
 * crash leaves it there or not, never half.  kstore_gc removes the
 * directory of a manifest no image of the index has.  Records are not
 * trusted because they are in the store: every reader verifies them. */
#ifndef KAPSEL_IMAGE_STORE_SIG_H
#define KAPSEL_IMAGE_STORE_SIG_H

#include "common/err.h"
#include "image/store.h"

#include <stddef.h>

struct kstore_sig {
	char *payload; /* the payload's bytes (NUL-terminated) */
	size_t payload_len;
	char *signature; /* base64 */
};
void kstore_sigs_free(struct kstore_sig *v, size_t n);

/* Keep PAYLOAD and SIG_B64 as a signature of the manifest DIGEST (an image
 * of the store has it); exclusive lock. */
int kstore_sig_add(struct kstore *s, const char *digest, const char *payload, size_t len, const char *sig_b64,
		   kerr *e);
/* The signatures kept for manifest DIGEST (none is not an error), in the
 * order of their file names. */
int kstore_sigs(const struct kstore *s, const char *digest, struct kstore_sig **out, size_t *n, kerr *e);

#endif
