/* cosign's signature manifests (cosign.h). */
#include "image/cosign.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "image/sign.h"

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
			return kerr_msg(e, EINVAL,
					"%s: expected a sha256 digest, a size of at most %d bytes and the annotation "
					KCOSIGN_ANNOTATION,
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
