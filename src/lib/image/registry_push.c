/* kreg_push (registry.h): the blobs of a stored image the registry lacks
 * (HEAD first; POST an upload, PUT it whole with ?digest=), then the
 * manifest: the very bytes the store keeps, so the registry's digest is
 * the store's, or for an image loaded from a legacy `docker save` (which
 * has none) an OCI manifest written here. */
#include "image/cosign.h"
#include "image/registry.h"
#include "image/registry_int.h"
#include "image/store.h"
#include "image/store_pull.h"
#include "image/store_sig.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/str.h"
#include "common/sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"

/* Upload the blob DIGEST unless the repository has it: the store's, or
 * BUF (BLEN bytes) when BUF is not NULL; FROM (may be NULL) is a
 * repository of the same registry that may have it to mount. */
static int push_blob(struct kreg *r, const struct kstore *s, const char *digest, const char *from, const char *buf,
		     size_t blen, const struct kreg_opts *o, kerr *e)
{
	struct kreg_resp p = { 0 };
	_cleanup_free_ char *head = kreg_url(r, "/v2/%s/blobs/%s", r->repo, digest);
	_cleanup_free_ char *post = from ? kreg_url(r, "/v2/%s/blobs/uploads/?mount=%s&from=%s", r->repo, digest, from)
					 : kreg_url(r, "/v2/%s/blobs/uploads/", r->repo);
	_cleanup_free_ char *put = NULL;
	int64_t size;
	if (!head || !post)
		return kerr_set(e, ENOMEM, "push");
	if (kreg_request(r, "HEAD", head, NULL, NULL, -1, 0, &p, e) < 0)
		return -1;
	if (p.status == 200) {
		if (o->progress)
			o->progress(o->ud, KREG_EV_EXISTS, digest, 0, 0);
		return 0;
	}
	if (p.status != 404)
		return kreg_status_error(&p, "HEAD blob", e);
	_cleanup_close_ int fd = -1;
	size = (int64_t)blen;
	if (!buf && (fd = kstore_blob_fd(s, digest, &size, e)) < 0)
		return -1;
	if (o->progress)
		o->progress(o->ud, KREG_EV_WAITING, digest, 0, size);
	if (kreg_request(r, "POST", post, NULL, "", -1, 0, &p, e) < 0)
		return -1;
	if (from && p.status == 201) { /* mounted: no bytes moved (else 202: an upload as usual) */
		kreg_resp_clear(&p);
		if (o->progress)
			o->progress(o->ud, KREG_EV_MOUNTED, digest, size, size);
		return 0;
	}
	if (p.status != 202 || !p.location[0]) {
		int rc = p.status != 202 ? kreg_status_error(&p, "start an upload", e)
					 : kerr_msg(e, EPROTO, "start an upload: no Location");
		kreg_resp_clear(&p);
		return rc;
	}
	/* Location is absolute or a path on the registry, maybe with a query */
	put = kstr_printf("%s%s%sdigest=%s", p.location[0] == '/' ? r->base : "", p.location,
			  strchr(p.location, '?') ? "&" : "?", digest);
	if (!put)
		return kerr_set(e, ENOMEM, "push");
	/* the registry's own origin: its base URL, then a path or a query (not
	 * "https://HOST:PORT@elsewhere/" or "https://HOST:PORT0/", which start
	 * alike but are other hosts, where the Authorization must not go) */
	size_t bl = strlen(r->base);
	if (strncmp(put, r->base, bl) || (put[bl] != '/' && put[bl] != '?'))
		return kerr_msg(e, EPROTO, "start an upload: Location %s is not on %s", p.location, r->base);
	static const char *const octet[] = { "Content-Type: application/octet-stream", NULL };
	r->xfer = digest;
	int sent = kreg_request(r, "PUT", put, octet, buf, fd, (size_t)size, &p, e);
	r->xfer = NULL;
	if (sent < 0)
		return -1;
	if (p.status != 201) {
		char what[128];
		snprintf(what, sizeof(what), "upload blob %s", digest);
		int rc = kreg_status_error(&p, what, e);
		kreg_resp_clear(&p);
		return rc;
	}
	if (p.digest[0] && strcmp(p.digest, digest)) {
		kerr_msg(e, EPROTO, "upload blob %s: the registry stored it as %s", digest, p.digest);
		kreg_resp_clear(&p);
		return -1;
	}
	kreg_resp_clear(&p);
	if (o->progress)
		o->progress(o->ud, KREG_EV_DONE, digest, size, size);
	return 0;
}

/* The media type a layer blob's first bytes show. */
static const char *sniff_layer(const struct kstore *s, const char *digest)
{
	int64_t size;
	kerr e;
	unsigned char m[4] = { 0 };
	int fd = kstore_blob_fd(s, digest, &size, &e);
	if (fd >= 0) {
		if (read(fd, m, sizeof(m)) < 0)
			m[0] = 0;
		close(fd);
	}
	if (m[0] == 0x1f && m[1] == 0x8b)
		return "application/vnd.oci.image.layer.v1.tar+gzip";
	if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
		return "application/vnd.oci.image.layer.v1.tar+zstd";
	return "application/vnd.oci.image.layer.v1.tar";
}

/* An OCI manifest for IMG (which came without one). */
static char *write_manifest(const struct kstore *s, const struct kstore_image *img, kerr *e)
{
	int64_t csize;
	int fd = kstore_blob_fd(s, img->id, &csize, e);
	if (fd < 0)
		return NULL;
	close(fd);
	_cleanup_json_ json_object *m = json_object_new_object(), *cfg = json_object_new_object();
	json_object *layers = json_object_new_array();
	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	json_object_object_add(m, "mediaType", json_object_new_string(MT_OCI_MANIFEST));
	json_object_object_add(cfg, "mediaType", json_object_new_string(MT_OCI_CONFIG));
	json_object_object_add(cfg, "digest", json_object_new_string(img->id));
	json_object_object_add(cfg, "size", json_object_new_int64(csize));
	json_object_object_add(m, "config", json_object_get(cfg));
	for (size_t i = 0; i < img->nlayers; i++) {
		const struct kstore_layer *l = &img->layers[i];
		json_object *d = json_object_new_object();
		const char *mt =
			l->media_type && strstr(l->media_type, ".layer.") ? l->media_type : sniff_layer(s, l->digest);
		json_object_object_add(d, "mediaType", json_object_new_string(mt));
		json_object_object_add(d, "digest", json_object_new_string(l->digest));
		json_object_object_add(d, "size", json_object_new_int64(l->size));
		json_object_array_add(layers, d);
	}
	json_object_object_add(m, "layers", layers);
	char *out = strdup(json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (!out)
		kerr_set(e, ENOMEM, "manifest");
	return out;
}

/* PUT the manifest MAN (MLEN bytes, media type MT) as REFERENCE; the
 * registry must store it as DIGEST. */
static int put_manifest(struct kreg *r, const char *reference, const char *mt, const char *man, size_t mlen,
			const char *digest, kerr *e)
{
	char ct[160];
	snprintf(ct, sizeof(ct), "Content-Type: %s", mt);
	const char *const hdr[] = { ct, NULL };
	_cleanup_free_ char *url = kreg_url(r, "/v2/%s/manifests/%s", r->repo, reference);
	struct kreg_resp p = { 0 };
	if (!url)
		return kerr_set(e, ENOMEM, "push");
	if (kreg_request(r, "PUT", url, hdr, man, -1, mlen, &p, e) < 0)
		return -1;
	int rc = 0;
	if (p.status != 201)
		rc = kreg_status_error(&p, "put manifest", e);
	else if (p.digest[0] && strcmp(p.digest, digest))
		rc = kerr_msg(e, EPROTO, "put manifest: the registry stored it as %s, not %s", p.digest, digest);
	kreg_resp_clear(&p);
	return rc;
}

static int same_sig(const struct kstore_sig *a, const struct kstore_sig *b)
{
	return a->payload_len == b->payload_len && !memcmp(a->payload, b->payload, a->payload_len) &&
	       !strcmp(a->signature, b->signature);
}

/* The signatures the store keeps for MDIGEST, with those the registry
 * has already (cosign adds to the tag too), as the tag sha256-<hex>.sig:
 * the payloads, the config, the manifest. */
static int push_signatures(struct kstore *s, struct kreg *r, const char *mdigest, const struct kreg_opts *o, kerr *e)
{
	struct kstore_sig *mine = NULL, *have = NULL;
	size_t nm = 0, nh = 0;
	char *cfg = NULL, *man = NULL;
	int rc = -1;
	if (kstore_sigs(s, mdigest, &mine, &nm, e) < 0)
		return kerr_wrap(e, "signatures");
	if (!nm)
		return 0;
	if (kreg_get_signatures(r, mdigest, &have, &nh, e) < 0)
		goto out;
	/* the registry's first, then ours it lacks: the union, in one array */
	struct kstore_sig *all = realloc(have, (nh + nm) * sizeof(*all));
	if (!all) {
		kerr_set(e, ENOMEM, "signatures");
		goto out;
	}
	have = all;
	size_t nall = nh;
	for (size_t i = 0; i < nm; i++) {
		int dup = 0;
		for (size_t k = 0; k < nall && !dup; k++)
			dup = same_sig(&all[k], &mine[i]);
		if (!dup) {
			all[nall++] = mine[i];
			mine[i] = (struct kstore_sig){ 0 };
		}
	}
	if (nall == nh) { /* the registry has them all */
		nh = nall;
		rc = 0;
		goto out;
	}
	nh = nall;
	if (kcosign_build(all, nall, &cfg, &man, e) < 0)
		goto out;
	struct kreg_opts q = *o;
	q.progress = NULL;
	uint8_t sum[KSHA256_LEN];
	char d[KSHA256_DIGEST], tag[80];
	for (size_t i = 0; i < nall; i++) {
		ksha256(all[i].payload, all[i].payload_len, sum);
		ksha256_digest(sum, d);
		if (push_blob(r, s, d, NULL, all[i].payload, all[i].payload_len, &q, e) < 0)
			goto out;
	}
	ksha256(cfg, strlen(cfg), sum);
	ksha256_digest(sum, d);
	if (push_blob(r, s, d, NULL, cfg, strlen(cfg), &q, e) < 0)
		goto out;
	ksha256(man, strlen(man), sum);
	ksha256_digest(sum, d);
	kcosign_tag(mdigest, tag);
	rc = put_manifest(r, tag, MT_OCI_MANIFEST, man, strlen(man), d, e);
out:
	free(cfg);
	free(man);
	kstore_sigs_free(mine, nm);
	kstore_sigs_free(have, nh);
	return rc < 0 ? kerr_wrap(e, "signatures of %s", mdigest) : 0;
}

static int push_image(struct kstore *s, const struct kstore_image *img, struct kreg *r, const char *reference,
		      const struct kreg_opts *o, char digest[KSHA256_DIGEST], kerr *e)
{
	_cleanup_free_ char *man = NULL;
	size_t mlen = 0;
	char mt[128] = MT_OCI_MANIFEST;
	if (img->manifest && kstore_has_blob(s, img->manifest)) {
		if (kstore_blob_read(s, img->manifest, KREG_MANIFEST_MAX, &man, &mlen, e) < 0)
			return -1;
		_cleanup_json_ json_object *j = kj_parse("manifest", man, mlen, e);
		if (!j)
			return kerr_wrap(e, "%s", img->manifest);
		const char *t = kj_get_str(j, "mediaType");
		if (t)
			snprintf(mt, sizeof(mt), "%s", t);
		if (strcmp(mt, MT_OCI_MANIFEST) && strcmp(mt, MT_DOCKER_MANIFEST))
			return kerr_msg(e, EINVAL, "manifest %s: media type %s cannot be pushed", img->manifest, mt);
	} else {
		if (!(man = write_manifest(s, img, e)))
			return -1;
		mlen = strlen(man);
	}
	uint8_t sum[KSHA256_LEN];
	ksha256(man, mlen, sum);
	ksha256_digest(sum, digest);
	/* a repository of the same registry the image came from or went to */
	_cleanup_free_ char *from = NULL;
	for (char **n = img->names; n && *n && !from; n++) {
		struct kreg_ref nr;
		kerr ign;
		if (kreg_ref_parse(*n, &nr, &ign) < 0)
			continue;
		if (!strcmp(nr.registry, r->registry) && strcmp(nr.repo, r->repo))
			from = steal_ptr(nr.repo);
		kreg_ref_clear(&nr);
	}
	if (push_blob(r, s, img->id, from, NULL, 0, o, e) < 0)
		return kerr_wrap(e, "config %s", img->id);
	for (size_t i = 0; i < img->nlayers; i++)
		if (push_blob(r, s, img->layers[i].digest, from, NULL, 0, o, e) < 0)
			return kerr_wrap(e, "layer %zu", i + 1);
	if (put_manifest(r, reference, mt, man, mlen, digest, e) < 0)
		return -1;
	return img->manifest && !strcmp(img->manifest, digest) ? push_signatures(s, r, digest, o, e) : 0;
}

int kreg_push(struct kstore *s, const char *src, const char *dest, const struct kreg_opts *o, char digest[72], kerr *e)
{
	const struct kstore_image *img;
	struct kreg_ref ref;
	struct kreg r;
	char d[KSHA256_DIGEST];
	if (!dest)
		dest = src;
	if (kstore_resolve(s, src, &img, NULL, e) < 0)
		return kerr_wrap(e, "push %s", src);
	if (kreg_ref_parse(dest, &ref, e) < 0)
		return kerr_wrap(e, "push %s", dest);
	if (!ref.tag) {
		kreg_ref_clear(&ref);
		return kerr_msg(e, EINVAL, "push %s: a push needs a tag, not only a digest", dest);
	}
	if (kreg_open(&r, ref.registry, ref.repo, o, 1, e) < 0) {
		kreg_ref_clear(&ref);
		return kerr_wrap(e, "push %s", dest);
	}
	int rc = push_image(s, img, &r, ref.tag, o, d, e);
	kreg_close(&r);
	kreg_ref_clear(&ref);
	if (rc < 0)
		return kerr_wrap(e, "push %s", dest);
	if (digest)
		snprintf(digest, 72, "%s", d);
	return 0;
}
