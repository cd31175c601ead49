/* A client of the OCI distribution spec (registries: Docker Hub, a
 * `docker-registry` on localhost, ...) over libcurl: pull into the image
 * store, push from it, and the credentials of `kapsel login`.
 *
 * References.  [HOST[:PORT]/]NAME[:TAG][@sha256:HEX], as Docker reads
 * them: the first component is a host when it has a '.' or ':' or is
 * "localhost"; otherwise the registry is docker.io (spoken to at
 * registry-1.docker.io) and a single name is library/NAME.  The tag is
 * "latest" when neither tag nor digest is given.
 *
 * Transport.  HTTPS verified against the system CAs, or against
 * CERTS_DIR/HOST[:PORT]/ca.crt when that file exists (Docker's certs.d);
 * plain HTTP only for a registry named in INSECURE (kapsel.conf
 * [registries] insecure), never as a fallback.  401 answers are met as
 * their WWW-Authenticate says: Bearer (a token from the realm, with the
 * service and scope asked for, the credentials sent to the realm when we
 * have some) or Basic.  429 and 5xx are retried with back-off (0.25 s
 * doubling, 5 tries); a download cut short is resumed with a Range request
 * from the byte it stopped at.
 *
 * Verification.  A manifest is hashed as it arrives and checked against
 * the digest of a NAME@sha256 reference, the Docker-Content-Digest header
 * and, for a manifest picked from an index, the index's descriptor; every
 * blob is hashed as it streams into the store's tmp/ and checked against
 * its descriptor (digest and size); every layer's uncompressed digest
 * against the config's rootfs.diff_ids.  Only then is anything renamed
 * into the store and the index committed: a tampered blob or manifest
 * leaves the store unchanged.  Errors name what failed: "manifest digest
 * mismatch", "blob digest mismatch", "blob size mismatch". */
#ifndef KAPSEL_IMAGE_REGISTRY_H
#define KAPSEL_IMAGE_REGISTRY_H

#include "common/err.h"

#include <stdint.h>

struct kstore;
struct kstore_image;
struct ktrust_policy;

#define KREG_DOCKER_HUB "docker.io"
#define KREG_DOCKER_HUB_API "registry-1.docker.io"
#define KREG_CERTS_DIR "/etc/kapsel/certs.d"

struct kreg_ref {
	char *registry; /* "docker.io", "127.0.0.1:5000" */
	char *repo;     /* "library/busybox" */
	char *tag;      /* "latest", or NULL with a digest only */
	char *digest;   /* "sha256:...", or NULL */
	char *name;     /* the store's name "repo:tag" (kstore_norm_name), or NULL with a digest only */
};

/* Parse REF; EINVAL naming it on anything the grammar refuses. */
int kreg_ref_parse(const char *ref, struct kreg_ref *out, kerr *e);
void kreg_ref_clear(struct kreg_ref *r);

struct kreg_platform {
	char os[32], arch[32], variant[32]; /* variant "" when none */
};
/* "os/arch[/variant]"; NULL or "" is this host's (linux/amd64, linux/arm64/v8, ...). */
int kreg_platform_parse(const char *s, struct kreg_platform *out, kerr *e);

/* What a pull or push tells its caller as it goes (the library never
 * prints).  DIGEST is the blob's; DONE and TOTAL its bytes. */
enum kreg_event {
	KREG_EV_RESOLVED, /* the manifest is read: DIGEST is its digest */
	KREG_EV_EXISTS,   /* the store (pull) or the registry (push) has the blob */
	KREG_EV_WAITING,  /* queued */
	KREG_EV_PROGRESS, /* bytes moved */
	KREG_EV_RETRY,    /* a retry after a cut or a 429/5xx (DONE: bytes kept) */
	KREG_EV_VERIFYING,
	KREG_EV_DONE,    /* the blob is complete and verified */
	KREG_EV_MOUNTED, /* push: mounted from another repository */
};
typedef void (*kreg_progress_fn)(void *ud, enum kreg_event ev, const char *digest, int64_t done, int64_t total);

struct kreg_opts {
	const char *auth_file; /* credentials (auth.json); NULL: anonymous */
	const char *certs_dir; /* NULL: KREG_CERTS_DIR */
	char *const *insecure; /* registries spoken to over plain HTTP (NULL-terminated, may be NULL) */
	const char *platform;  /* for an index: os/arch[/variant]; NULL: this host's */
	int parallel;          /* blob transfers at once; 0: 4 */
	kreg_progress_fn progress;
	void *ud;
	/* pull: the policy the image must satisfy, with the cosign signatures
	 * the registry has for its manifest (the tag sha256-<hex>.sig), checked
	 * before a layer is fetched; NULL: none.  The signatures are kept in
	 * the store (store_sig.h) either way. */
	const struct ktrust_policy *trust;
};

/* Pull REF into the store S (locked exclusive): *out (may be NULL) is the
 * image in the store's index, valid until the store changes. */
int kreg_pull(struct kstore *s, const char *ref, const struct kreg_opts *o, const struct kstore_image **out,
	      char digest[72], kerr *e);
/* Push the store's image SRC (a reference kstore_resolve takes) to DEST
 * (a registry reference with a tag; NULL: SRC itself).  DIGEST gets the
 * manifest's digest. */
int kreg_push(struct kstore *s, const char *src, const char *dest, const struct kreg_opts *o, char digest[72], kerr *e);

/* Log in: check USER and PASSWORD against REGISTRY (GET /v2/, with
 * whatever auth it asks for), then store them in O->auth_file (created
 * 0600, in Docker's config.json shape: {"auths":{"HOST":{"auth":"..."}}}). */
int kreg_login(const char *registry, const char *user, const char *password, const struct kreg_opts *o, kerr *e);
/* Remove REGISTRY's credentials; ENOENT when there were none. */
int kreg_logout(const char *registry, const char *auth_file, kerr *e);

#endif
