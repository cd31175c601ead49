/* Inside image/: the registry client's connection to one registry and
 * repository (registry_http.c), shared by registry_pull.c and
 * registry_push.c; credentials (registry_auth.c). */
#ifndef KAPSEL_IMAGE_REGISTRY_INT_H
#define KAPSEL_IMAGE_REGISTRY_INT_H

#include "common/err.h"
#include "image/registry.h"

#include <curl/curl.h>
#include <stddef.h>

#define KREG_MANIFEST_MAX (4 << 20) /* the spec's recommended limit for a manifest */

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

struct kreg {
	const struct kreg_opts *o;
	char *registry; /* as named ("docker.io") */
	char *repo;
	char *base;                     /* "https://registry-1.docker.io" */
	char *ca_file;                  /* CERTS_DIR/HOST/ca.crt when it exists */
	char *client_cert, *client_key; /* CERTS_DIR/HOST/client.{cert,key} when both exist */
	char *basic;                    /* base64(user:password) from the auth file, or NULL */
	char *authz;                    /* the Authorization header to send, or NULL */
	int push;                       /* ask for pull,push scope */
	const char *xfer;               /* the blob an upload of kreg_request sends (progress events), or NULL */
	CURLSH *share;                  /* connections and TLS sessions across handles */
};

int kreg_open(struct kreg *r, const char *registry, const char *repo, const struct kreg_opts *o, int push, kerr *e);
void kreg_close(struct kreg *r);

/* A response: status, the headers we read, the body when it was kept. */
struct kreg_resp {
	long status;
	char *body;
	size_t len, max; /* max: refuse a longer body (0: discard it) */
	char content_type[128];
	char digest[80]; /* Docker-Content-Digest */
	char location[2048];
	char authenticate[1024]; /* WWW-Authenticate */
	char range[64];
	int too_big;
};
void kreg_resp_clear(struct kreg_resp *p);

/* A curl handle set up for URL on R: TLS, auth, user agent, header capture
 * into P. */
CURL *kreg_easy(struct kreg *r, const char *url, struct kreg_resp *p, char errbuf[CURL_ERROR_SIZE], kerr *e);
/* curl_slist of HEADERS plus R's Authorization (NULL-terminated HEADERS). */
struct curl_slist *kreg_headers(struct kreg *r, const char *const *headers);

/* One request, synchronous: METHOD ("GET", "HEAD", "PUT", "POST",
 * "PATCH") on URL (absolute, or a path on R's base), with BODY (LEN
 * bytes) or the file FD (LEN bytes) when fd >= 0.  401 is answered once
 * (kreg_auth), 429/5xx and transport errors retried with back-off.  The
 * status is the caller's to judge. */
int kreg_request(struct kreg *r, const char *method, const char *url, const char *const *headers, const void *body,
		 int fd, size_t len, struct kreg_resp *p, kerr *e);
/* Answer the challenge in P (WWW-Authenticate): a Bearer token from the
 * realm, or Basic with our credentials.  EACCES when there are none or
 * the realm refuses them. */
int kreg_auth(struct kreg *r, const struct kreg_resp *p, kerr *e);
/* The error of a failed transfer of URL (TLS ones say what to configure). */
int kreg_transport_error(struct kreg *r, const char *url, CURLcode rc, const char *errbuf, kerr *e);
/* The parameter KEY of the challenge CH (after the scheme): key="value"
 * or key=token, into OUT; 0 when it is not there. */
int kreg_challenge_param(const char *ch, const char *key, char *out, size_t n);
/* Back-off before try N (1, 2, ...): 250 ms doubling. */
void kreg_backoff(int n);
/* A registry error body ({"errors":[{"code","message"}]}) as text, or "". */
void kreg_errors(const struct kreg_resp *p, char *out, size_t n);
/* An error for an unexpected status of WHAT. */
int kreg_status_error(const struct kreg_resp *p, const char *what, kerr *e);
/* The URL of PATH ("/v2/...") on R. */
char *kreg_url(const struct kreg *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The documents (registry_manifest.c), without the store or the network. */
#include <json-c/json.h>
/* A descriptor's digest (sha256:<hex>) and size, checked; WHAT names it. */
int kreg_descriptor(json_object *d, const char *what, const char **digest, int64_t *size, kerr *e);
/* The manifest of platform PF in the index IDX (an exact variant first,
 * then one without); ENOENT when there is none. */
int kreg_pick_platform(json_object *idx, const struct kreg_platform *pf, const char **digest, int64_t *size, kerr *e);
struct kreg_desc {
	const char *digest, *media_type; /* into the document */
	int64_t size;
};
struct kreg_manifest {
	struct kreg_desc config;
	struct kreg_desc *layers;
	size_t nlayers;
};
/* The image manifest MAN (digest MDIGEST, for errors): schemaVersion 2, a
 * config, at least one layer, each of a media type kapsel unpacks.  OUT
 * points into MAN; free with kreg_manifest_clear. */
int kreg_manifest_parse(json_object *man, const char *mdigest, struct kreg_manifest *out, kerr *e);
void kreg_manifest_clear(struct kreg_manifest *m);
/* The config CFG against M: as many rootfs.diff_ids as layers, each a
 * sha256 digest (*DIFF_IDS, pointing into CFG, free the array), and the
 * platform PF when not NULL. */
int kreg_config_check(json_object *cfg, const struct kreg_manifest *m, const struct kreg_platform *pf,
		      const char ***diff_ids, kerr *e);

/* The cosign signatures R's repository has for the manifest MDIGEST (the
 * tag sha256-<hex>.sig, cosign.h), each payload checked against its
 * descriptor; none (no such tag) is not an error (registry_pull.c). */
struct kstore_sig;
int kreg_get_signatures(struct kreg *r, const char *mdigest, struct kstore_sig **out, size_t *n, kerr *e);

/* Credentials (registry_auth.c). */
/* base64(user:password) for REGISTRY from FILE, or NULL (none, or no file). */
int kreg_auth_lookup(const char *file, const char *registry, char **out, kerr *e);
int kreg_auth_store(const char *file, const char *registry, const char *user, const char *password, kerr *e);

/* registry_cred.c: Docker's credential helpers.  The helper the auth
 * file's document DOC names for REGISTRY (credHelpers, else credsStore;
 * HUB_KEY: Docker Hub's other key, or NULL), or NULL. */
const char *kreg_cred_helper(json_object *doc, const char *registry, const char *hub_key);
/* get: *BASIC base64(user:secret), NULL when the helper has none for SERVER. */
int kreg_cred_get(const char *helper, const char *server, char **basic, kerr *e);
int kreg_cred_store(const char *helper, const char *server, const char *user, const char *password, kerr *e);
int kreg_cred_erase(const char *helper, const char *server, kerr *e);

#endif
