/* The documents a registry sends, parsed and checked without the store or
 * the network (registry_int.h): an image manifest (OCI or Docker v2 schema
 * 2), an index or manifest list resolved to a platform, and the image
 * config against the manifest.  Split from registry_pull.c so that a
 * libFuzzer target (tests/fuzz/fuzz_manifest.c) reaches every check. */
#include "image/registry.h"
#include "image/registry_int.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const layer_types[] = {
	"application/vnd.oci.image.layer.v1.tar",       "application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",  "application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.diff.tar", NULL,
};

int kreg_descriptor(json_object *d, const char *what, const char **digest, int64_t *size, kerr *e)
{
	json_object *sz = kj_get(d, "size");
	*digest = kj_get_str(d, "digest");
	if (!*digest || ksha256_parse(*digest, NULL, what, e) < 0)
		return kerr_msg(e, EINVAL, "%s: digest: expected sha256:<64 hex digits>", what);
	if (!json_object_is_type(sz, json_type_int) || (*size = json_object_get_int64(sz)) < 0)
		return kerr_msg(e, EINVAL, "%s: size: expected a non-negative integer", what);
	return 0;
}

int kreg_pick_platform(json_object *idx, const struct kreg_platform *pf, const char **digest, int64_t *size, kerr *e)
{
	json_object *ms = kj_get(idx, "manifests");
	if (!json_object_is_type(ms, json_type_array))
		return kerr_msg(e, EINVAL, "index: manifests: expected an array");
	int best = -1, best_score = 0;
	size_t n = json_object_array_length(ms);
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(ms, i), *p = kj_get(m, "platform");
		const char *os = kj_get_str(p, "os"), *arch = kj_get_str(p, "architecture");
		const char *variant = kj_get_str(p, "variant");
		if (!os || !arch || strcmp(os, pf->os) || strcmp(arch, pf->arch))
			continue;
		/* an exact variant first, then an entry without one */
		int score = variant && !strcmp(variant, pf->variant) ? 3 : !variant || !*variant ? 2 : 0;
		if (!*pf->variant && variant && *variant)
			score = 1;
		if (score > best_score) {
			best = (int)i;
			best_score = score;
		}
	}
	if (best < 0)
		return kerr_msg(e, ENOENT, "no image for platform %s/%s%s%s in the index (%zu manifests)", pf->os,
				pf->arch, *pf->variant ? "/" : "", pf->variant, n);
	char what[64];
	snprintf(what, sizeof(what), "index: manifests[%d]", best);
	return kreg_descriptor(json_object_array_get_idx(ms, (size_t)best), what, digest, size, e);
}

void kreg_manifest_clear(struct kreg_manifest *m)
{
	free(m->layers);
	memset(m, 0, sizeof(*m));
}

int kreg_manifest_parse(json_object *man, const char *mdigest, struct kreg_manifest *out, kerr *e)
{
	memset(out, 0, sizeof(*out));
	json_object *layers = kj_get(man, "layers");
	if (kj_get_i64(man, "schemaVersion", 0) != 2)
		return kerr_msg(e, EINVAL,
				"manifest %s: schemaVersion: expected 2 (schema 1 manifests are not supported)",
				mdigest);
	if (kreg_descriptor(kj_get(man, "config"), "manifest: config", &out->config.digest, &out->config.size, e) < 0)
		return kerr_wrap(e, "%s", mdigest);
	size_t nl = json_object_is_type(layers, json_type_array) ? json_object_array_length(layers) : 0;
	if (!nl)
		return kerr_msg(e, EINVAL, "manifest %s: layers: expected at least one layer", mdigest);
	if (!(out->layers = calloc(nl, sizeof(*out->layers))))
		return kerr_set(e, ENOMEM, "manifest");
	for (size_t i = 0; i < nl; i++) {
		json_object *l = json_object_array_get_idx(layers, i);
		struct kreg_desc *d = &out->layers[i];
		char what[64];
		snprintf(what, sizeof(what), "manifest: layers[%zu]", i);
		d->media_type = kj_get_str(l, "mediaType");
		if (kreg_descriptor(l, what, &d->digest, &d->size, e) < 0)
			goto fail;
		int known = 0;
		for (size_t k = 0; d->media_type && layer_types[k]; k++)
			known |= !strcmp(d->media_type, layer_types[k]);
		if (!known) {
			kerr_msg(e, EINVAL, "%s: mediaType \"%.100s\" is not a layer kapsel unpacks", what,
				 d->media_type ? d->media_type : "");
			goto fail;
		}
	}
	out->nlayers = nl;
	return 0;
fail:
	kreg_manifest_clear(out);
	return -1;
}

int kreg_config_check(json_object *cfg, const struct kreg_manifest *m, const struct kreg_platform *pf,
		      const char ***diff_ids, kerr *e)
{
	*diff_ids = NULL;
	json_object *ids = kj_get(kj_get(cfg, "rootfs"), "diff_ids");
	size_t nids = json_object_is_type(ids, json_type_array) ? json_object_array_length(ids) : 0;
	if (nids != m->nlayers)
		return kerr_msg(e, EINVAL, "the manifest names %zu layers, the config's rootfs.diff_ids %zu",
				m->nlayers, nids);
	const char *os = kj_get_str(cfg, "os"), *arch = kj_get_str(cfg, "architecture");
	if (pf && (strcmp(os ? os : "", pf->os) || strcmp(arch ? arch : "", pf->arch)))
		return kerr_msg(e, EINVAL, "the image is %s/%s, not the platform asked for (%s/%s)", os ? os : "?",
				arch ? arch : "?", pf->os, pf->arch);
	const char **v = calloc(nids ? nids : 1, sizeof(*v));
	if (!v)
		return kerr_set(e, ENOMEM, "config");
	for (size_t i = 0; i < nids; i++) {
		char what[64];
		snprintf(what, sizeof(what), "config: rootfs.diff_ids[%zu]", i);
		v[i] = kj_str(json_object_array_get_idx(ids, i));
		if (ksha256_parse(v[i], NULL, what, e) < 0) {
			free(v);
			return -1;
		}
	}
	*diff_ids = v;
	return 0;
}
