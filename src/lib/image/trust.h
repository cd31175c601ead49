/* The trust policy: which images may enter the store, in the shape of
 * containers-policy.json(5) (Podman's /etc/containers/policy.json):
 *
 *   {"default": [REQ...],
 *    "transports": {"docker": {"SCOPE": [REQ...], ...}, ...}}
 *
 * REQ is {"type": "insecureAcceptAnything"}, {"type": "reject"} or
 * {"type": "sigstoreSigned", "keyPath": PEM file | "keyData": base64 of
 * the PEM, "signedIdentity": IDENTITY}; IDENTITY's type is
 * matchRepoDigestOrExact (the default), matchExact, matchRepository,
 * exactReference (dockerReference) or exactRepository (dockerRepository).
 * Every requirement of the list that applies must hold.  A SCOPE is a
 * fully qualified reference (docker.io/library/busybox:latest), a
 * repository, a namespace (registry.example/team), a registry
 * (host[:port]) or a wildcard of subdomains (*.example.com); the most
 * specific scope that matches the image's name applies, else "default".
 * Other transports than "docker" are read and checked but apply to nothing
 * in kapsel (its images are all named as registry references).  What
 * kapsel cannot check offline (signedBy GPG keys, Fulcio, Rekor,
 * remapIdentity) is refused by the parser, naming the field, rather than
 * ignored. */
#ifndef KAPSEL_IMAGE_TRUST_H
#define KAPSEL_IMAGE_TRUST_H

#include "common/err.h"
#include "image/store_sig.h"

#include <stddef.h>

#define KTRUST_POLICY "/etc/kapsel/trust.json"

struct ktrust_policy;

/* Parse the policy text BUF (WHAT names it in errors); keyPath files are
 * read now, relative paths refused. */
int ktrust_parse(const char *what, const char *buf, size_t len, struct ktrust_policy **out, kerr *e);
/* Read the policy file PATH; NULL is KTRUST_POLICY, and when that file
 * does not exist the built-in default applies (the one data/trust.json
 * ships: insecureAcceptAnything, docs/images.md). */
int ktrust_load(const char *path, struct ktrust_policy **out, kerr *e);
void ktrust_free(struct ktrust_policy *p);

/* May the image named NAME (repo:tag as the store keeps it, or NULL for
 * an image without a name), whose manifest digest is MANIFEST (or NULL:
 * a legacy docker save has none), with the signatures SIGS[0..N), be
 * used?  0 if so, HOW (may be NULL, HOWLEN bytes) saying which policy
 * entry allowed it; -1 with EPERM and the reason naming the policy entry
 * ("FILE: transports.docker[\"SCOPE\"][0]: reject") otherwise. */
int ktrust_check(const struct ktrust_policy *p, const char *name, const char *manifest, const struct kstore_sig *sigs,
		 size_t n, char *how, size_t howlen, kerr *e);

/* The same with the signatures the store S keeps for MANIFEST. */
struct kstore;
int ktrust_check_stored(const struct ktrust_policy *p, const struct kstore *s, const char *name, const char *manifest,
			char *how, size_t howlen, kerr *e);

/* NAME fully qualified as policies spell it: "busybox:latest" ->
 * "docker.io/library/busybox:latest", "index.docker.io/x" ->
 * "docker.io/x" (malloc'ed). */
char *ktrust_full_name(const char *name);

#endif
