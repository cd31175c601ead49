/* cosign's signature manifests (cosign.h). */
#include "image/cosign.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "image/sign.h"
#include "image/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kcosign_layers_free(struct kcosign_layer *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].signature);
	free(v);
}

int kcosign_parse(const char *buf, size_t len, const char *what, struct kcosign_layer **out, size_t *n, kerr *e)
{
	*out = NULL;
	*n = 0;
	_cleanup_json_ json_object *j = kj_parse(what, buf, len, e);
	if (!j)
		return -1;
	json_object *layers = kj_get(j, "layers");
	if (!json_object_is_type(layers, json_type_array))
		return kerr_msg(e, EINVAL, "%s: layers: expected an array", what);
	size_t nl = json_object_array_length(layers);
	if (nl > KCOSIGN_MAX_LAYERS)
		return kerr_msg(e, E2BIG, "%s: %zu layers (at most %d signatures are read)", what, nl,
				KCOSIGN_MAX_LAYERS);
	struct kcosign_layer *v = nl ? calloc(nl, sizeof(*v)) : NULL;
	if (nl && !v)
		return kerr_set(e, ENOMEM, "%s", what);
	size_t k = 0;
	for (size_t i = 0; i < nl; i++) {
		json_object *l = json_object_array_get_idx(layers, i), *sz = kj_get(l, "size");
		const char *mt = kj_get_str(l, "mediaType"), *d = kj_get_str(l, "digest");
		const char *sig = kj_get_str(kj_get(l, "annotations"), KCOSIGN_ANNOTATION);
		if (!mt || strcmp(mt, KCOSIGN_LAYER))
			continue;
		char where[256];
		snprintf(where, sizeof(where), "%s: layers[%zu]", what, i);
		if (!d || ksha256_parse(d, NULL, where, e) < 0 || !json_object_is_type(sz, json_type_int) ||
		    json_object_get_int64(sz) < 0 || json_object_get_int64(sz) > KCOSIGN_MAX_PAYLOAD || !sig) {
			kcosign_layers_free(v, k);
			return kerr_msg(
				e, EINVAL,
				"%s: expected a sha256 digest, a size of at most %d bytes and the annotation " KCOSIGN_ANNOTATION,
				where, KCOSIGN_MAX_PAYLOAD);
		}
		snprintf(v[k].digest, sizeof(v[k].digest), "%s", d);
		v[k].size = json_object_get_int64(sz);
		if (!(v[k++].signature = strdup(sig))) {
			kcosign_layers_free(v, k);
			return kerr_set(e, ENOMEM, "%s", what);
		}
	}
	*out = v;
	*n = k;
	return 0;
}

void kcosign_tag(const char *manifest, char out[80])
{
	snprintf(out, 80, "sha256-%.64s.sig", manifest + 7);
}

static json_object *descriptor(const char *mt, const void *buf, size_t len)
{
	uint8_t sum[KSHA256_LEN];
	char d[KSHA256_DIGEST];
	ksha256(buf, len, sum);
	ksha256_digest(sum, d);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "mediaType", json_object_new_string(mt));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)len));
	json_object_object_add(o, "digest", json_object_new_string(d));
	return o;
}

static char *text(json_object *o)
{
	return strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

int kcosign_build(const struct kstore_sig *sigs, size_t n, char **config, char **manifest, kerr *e)
{
	*config = *manifest = NULL;
	_cleanup_json_ json_object *cfg = json_object_new_object(), *man = json_object_new_object();
	json_object *ids = json_object_new_array(), *layers = json_object_new_array();
	json_object *rootfs = json_object_new_object(), *hist = json_object_new_array(), *h = json_object_new_object();
	/* the config cosign writes: an empty image whose diff_ids are the payloads' */
	json_object_object_add(cfg, "architecture", json_object_new_string(""));
	json_object_object_add(cfg, "created", json_object_new_string("0001-01-01T00:00:00Z"));
	json_object_object_add(h, "created", json_object_new_string("0001-01-01T00:00:00Z"));
	json_object_array_add(hist, h);
	json_object_object_add(cfg, "history", hist);
	json_object_object_add(cfg, "os", json_object_new_string(""));
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	json_object_object_add(rootfs, "diff_ids", ids);
	json_object_object_add(cfg, "rootfs", rootfs);
	json_object_object_add(cfg, "config", json_object_new_object());
	for (size_t i = 0; i < n; i++) {
		json_object *l = descriptor(KCOSIGN_LAYER, sigs[i].payload, sigs[i].payload_len);
		json_object *ann = json_object_new_object();
		json_object_array_add(ids, json_object_get(kj_get(l, "digest")));
		json_object_object_add(ann, KCOSIGN_ANNOTATION, json_object_new_string(sigs[i].signature));
		json_object_object_add(l, "annotations", ann);
		json_object_array_add(layers, l);
	}
	_cleanup_free_ char *ctext = text(cfg);
	if (!ctext)
		return kerr_set(e, ENOMEM, "signature manifest");
	json_object_object_add(man, "schemaVersion", json_object_new_int(2));
	json_object_object_add(man, "mediaType", json_object_new_string("application/vnd.oci.image.manifest.v1+json"));
	json_object_object_add(man, "config",
			       descriptor("application/vnd.oci.image.config.v1+json", ctext, strlen(ctext)));
	json_object_object_add(man, "layers", layers);
	if (!(*manifest = text(man)))
		return kerr_set(e, ENOMEM, "signature manifest");
	*config = steal_ptr(ctext);
	return 0;
}

int kcosign_claims(const struct kstore_sig *sig, const char *manifest)
{
	struct ksign_claim c;
	kerr e = { 0 };
	if (ksign_payload_parse(sig->payload, sig->payload_len, "payload", &c, &e) < 0)
		return 0;
	int ok = !strcmp(c.digest, manifest);
	ksign_claim_clear(&c);
	return ok;
}

/* MEMBER blobs/sha256/<hex of DIGEST> of IMG's archive, checked against
 * DIGEST (and SIZE unless -1). */
static int read_blob(struct kimage *img, const char *digest, int64_t size, size_t max, char **out, size_t *len, kerr *e)
{
	char member[96];
	uint8_t sum[KSHA256_LEN];
	if (ksha256_parse(digest, NULL, "signature blob", e) < 0)
		return -1;
	snprintf(member, sizeof(member), "blobs/sha256/%s", digest + 7);
	if (ksrc_read(img->src, member, max, out, len, e) < 0)
		return -1;
	ksha256(*out, *len, sum);
	if (ksha256_verify(digest, sum, member, e) < 0 ||
	    (size >= 0 && (int64_t)*len != size &&
	     kerr_msg(e, EINVAL, "%s: %zu bytes, the descriptor says %lld", member, *len, (long long)size))) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int kcosign_archive_sigs(struct kimage *img, struct kstore_sig **out, size_t *n, kerr *e)
{
	*out = NULL;
	*n = 0;
	kerr ig;
	if (!img->manifest_digest || ksrc_check(img->src, "index.json", &ig) < 0)
		return 0;
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (ksrc_read(img->src, "index.json", KSRC_DOC_MAX, &buf, &len, e) < 0)
		return -1;
	_cleanup_json_ json_object *idx = kj_parse("index.json", buf, len, e);
	if (!idx)
		return -1;
	char tag[80];
	kcosign_tag(img->manifest_digest, tag);
	json_object *ms = kj_get(idx, "manifests");
	size_t nm = json_object_is_type(ms, json_type_array) ? json_object_array_length(ms) : 0;
	struct kstore_sig *v = NULL;
	size_t nv = 0;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nm; i++) {
		json_object *d = json_object_array_get_idx(ms, i), *ann = kj_get(d, "annotations");
		const char *kind = kj_get_str(ann, "kind"), *ref = kj_get_str(ann, "org.opencontainers.image.ref.name");
		const char *digest = kj_get_str(d, "digest");
		if (!kind || strcmp(kind, KCOSIGN_KIND_SIGS) || !ref || strcmp(ref, tag) || !digest)
			continue;
		_cleanup_free_ char *man = NULL;
		size_t mlen;
		struct kcosign_layer *l = NULL;
		size_t nl = 0;
		char what[128];
		snprintf(what, sizeof(what), "index.json: manifests[%zu] (%s)", i, tag);
		if (read_blob(img, digest, -1, KSRC_DOC_MAX, &man, &mlen, e) < 0 ||
		    kcosign_parse(man, mlen, what, &l, &nl, e) < 0) {
			rc = kerr_wrap(e, "%s", what);
			break;
		}
		struct kstore_sig *nvv = nl ? realloc(v, (nv + nl) * sizeof(*nvv)) : v;
		if (nl && !nvv)
			rc = kerr_set(e, ENOMEM, "signatures");
		else
			v = nvv;
		for (size_t k = 0; rc == 0 && k < nl; k++) {
			struct kstore_sig *sg = &v[nv];
			*sg = (struct kstore_sig){ 0 };
			if (read_blob(img, l[k].digest, l[k].size, KCOSIGN_MAX_PAYLOAD, &sg->payload, &sg->payload_len,
				      e) < 0) {
				rc = kerr_wrap(e, "%s: layers[%zu]", what, k);
				break;
			}
			nv++;
			if (!(sg->signature = strdup(l[k].signature)))
				rc = kerr_set(e, ENOMEM, "signatures");
		}
		kcosign_layers_free(l, nl);
	}
	if (rc < 0) {
		kstore_sigs_free(v, nv);
		return -1;
	}
	*out = v;
	*n = nv;
	return 0;
}
