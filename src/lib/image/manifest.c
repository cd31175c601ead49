/* kimage_open: which layout the image is, its manifest, its config and the
 * list of layers (image.h).
 *
 *   docker save   manifest.json: [{"Config": member, "RepoTags": [...],
 *                 "Layers": [member, ...]}]; Docker >= 25 names the members
 *                 blobs/sha256/<hex> (an OCI layout beside it), older ones
 *                 <hex>.json and <id>/layer.tar.
 *   OCI layout    index.json -> manifests[0] (an image index in its place:
 *                 its manifests[0]) -> config and layers by digest.
 *
 * manifest.json wins when both are there (it names the tag Docker loads).
 * A blob named by its digest is checked against it. */
#include "image/image.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/strv.h"
#include "image/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The digest a member name carries: blobs/sha256/<hex>, or <hex>.json for
 * the config of a legacy docker save.  NULL when it carries none. */
static char *member_digest(const char *member)
{
	char d[KSHA256_DIGEST + 8];
	const char *hex = NULL;
	size_t n = strlen(member);
	if (!strncmp(member, "blobs/sha256/", 13) && n == 13 + 64)
		hex = member + 13;
	else if (n == 64 + 5 && !strcmp(member + 64, ".json"))
		hex = member;
	if (!hex)
		return NULL;
	snprintf(d, sizeof(d), "sha256:%.64s", hex);
	return ksha256_parse(d, NULL, "member", &(kerr){ 0 }) == 0 ? strdup(d) : NULL;
}

/* The member that holds the blob DIGEST (syntax checked: no path in it). */
static int blob_member(const char *digest, char **out, const char *what, kerr *e)
{
	if (ksha256_parse(digest, NULL, what, e) < 0)
		return -1;
	if (asprintf(out, "blobs/sha256/%s", digest + 7) < 0) {
		*out = NULL;
		return kerr_set(e, ENOMEM, "%s", what);
	}
	return 0;
}

/* Read MEMBER as JSON of type TYPE; DIGEST, when given, must match. */
static json_object *read_doc(struct ksrc *src, const char *member, const char *digest, json_type type, kerr *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (ksrc_read(src, member, KSRC_DOC_MAX, &buf, &len, e) < 0)
		return NULL;
	if (digest) {
		uint8_t sum[KSHA256_LEN];
		ksha256(buf, len, sum);
		if (ksha256_verify(digest, sum, member, e) < 0)
			return NULL;
	}
	json_object *j = kj_parse(member, buf, len, e);
	if (j && !json_object_is_type(j, type)) {
		kerr_msg(e, EINVAL, "%s: expected a JSON %s", member, type == json_type_array ? "array" : "object");
		json_object_put(j);
		return NULL;
	}
	return j;
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v = kj_get(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static json_object *array_of(json_object *o, const char *key)
{
	json_object *v = kj_get(o, key);
	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

static char *xdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int add_layer(struct kimage *img, const char *member, const char *digest, const char *media_type, kerr *e)
{
	struct kimage_layer *nl = realloc(img->layers, (img->nlayers + 1) * sizeof(*nl));
	if (!nl)
		return kerr_set(e, ENOMEM, "layers");
	img->layers = nl;
	struct kimage_layer *l = &nl[img->nlayers];
	*l = (struct kimage_layer){ .index = img->nlayers, .member = strdup(member) };
	img->nlayers++;
	l->digest = digest ? strdup(digest) : member_digest(member);
	l->media_type = xdup(media_type);
	return l->member ? 0 : kerr_set(e, ENOMEM, "layers");
}

/* Docker >= 25 writes an OCI layout beside manifest.json: the manifest in
 * its index.json whose config is this image's gives the manifest digest.
 * Nothing found is no error (a legacy archive has no manifest). */
static int docker25_manifest(struct kimage *img, kerr *e)
{
	kerr ig;
	if (!img->config_digest || ksrc_check(img->src, "index.json", &ig) < 0)
		return 0;
	json_object *idx = read_doc(img->src, "index.json", NULL, json_type_object, e);
	json_object *ms = idx ? array_of(idx, "manifests") : NULL;
	int rc = idx ? 0 : -1;
	for (size_t i = 0; ms && rc == 0 && i < json_object_array_length(ms) && !img->manifest_digest; i++) {
		const char *digest = str_of(json_object_array_get_idx(ms, i), "digest");
		_cleanup_free_ char *member = NULL;
		if (blob_member(digest, &member, "index.json: manifests[]", e) < 0) {
			rc = -1;
			break;
		}
		json_object *man = read_doc(img->src, member, digest, json_type_object, e);
		if (!man) {
			rc = -1;
			break;
		}
		const char *cfg = str_of(kj_get(man, "config"), "digest");
		if (cfg && !strcmp(cfg, img->config_digest) && !array_of(man, "manifests")) {
			img->manifest_member = steal_ptr(member);
			img->manifest_digest = strdup(digest);
		}
		json_object_put(man);
	}
	json_object_put(idx);
	return rc;
}

static int docker_save(struct kimage *img, kerr *e)
{
	json_object *man = read_doc(img->src, "manifest.json", NULL, json_type_array, e);
	if (!man)
		return -1;
	int rc = -1;
	char *cfg_member = NULL;
	json_object *m0 = json_object_array_get_idx(man, img->which);
	const char *cfg = str_of(m0, "Config");
	json_object *layers = array_of(m0, "Layers"), *tags = array_of(m0, "RepoTags");
	img->format = "docker-save";
	if (!m0 || !json_object_is_type(m0, json_type_object)) {
		kerr_msg(e, EINVAL, "manifest.json: expected an array of objects");
		goto out;
	}
	if (!cfg || !layers) {
		kerr_msg(e, EINVAL, "manifest.json[0]: %s: expected a string%s", cfg ? "Layers" : "Config",
			 cfg ? "s array" : "");
		goto out;
	}
	if (!(cfg_member = kimage_norm_path(cfg, "manifest.json[0].Config", e)))
		goto out;
	for (size_t i = 0; tags && i < json_object_array_length(tags); i++) {
		json_object *t = json_object_array_get_idx(tags, i);
		if (json_object_is_type(t, json_type_string) && kstrv_add(&img->tags, json_object_get_string(t)) < 0) {
			kerr_set(e, ENOMEM, "manifest.json");
			goto out;
		}
	}
	if (img->tags && img->tags[0])
		img->name = strdup(img->tags[0]);
	img->config_member = strdup(cfg_member);
	img->config_digest = member_digest(cfg_member);
	if (!(img->config = read_doc(img->src, cfg_member, img->config_digest, json_type_object, e)))
		goto out;
	for (size_t i = 0; i < json_object_array_length(layers); i++) {
		json_object *l = json_object_array_get_idx(layers, i);
		char what[64];
		snprintf(what, sizeof(what), "manifest.json[0].Layers[%zu]", i);
		if (!json_object_is_type(l, json_type_string)) {
			kerr_msg(e, EINVAL, "%s: expected a string", what);
			goto out;
		}
		_cleanup_free_ char *member = kimage_norm_path(json_object_get_string(l), what, e);
		if (!member || add_layer(img, member, NULL, NULL, e) < 0)
			goto out;
	}
	rc = docker25_manifest(img, e);
out:
	free(cfg_member);
	json_object_put(man);
	return rc;
}

/* A signature manifest's entry (not an image). */
static int is_sigs(json_object *d)
{
	const char *k = str_of(kj_get(d, "annotations"), "kind");
	return k && !strcmp(k, KIMAGE_KIND_SIGS);
}

/* The place in index.json's manifests of image WHICH (signature entries
 * skipped). */
static size_t image_entry(json_object *idx, size_t which)
{
	json_object *ms = array_of(idx, "manifests");
	size_t n = ms ? json_object_array_length(ms) : 0;
	for (size_t i = 0; i < n; i++)
		if (!is_sigs(json_object_array_get_idx(ms, i)) && which-- == 0)
			return i;
	return n;
}

/* Descriptor WHICH of an index's manifests, as a member name. */
static int nth_manifest(json_object *idx, size_t which, const char *what, char **member, const char **digest, kerr *e)
{
	json_object *ms = array_of(idx, "manifests");
	json_object *d0 = ms ? json_object_array_get_idx(ms, which) : NULL;
	if (!d0)
		return kerr_msg(e, EINVAL, "%s: manifests: expected a non-empty array", what);
	*digest = str_of(d0, "digest");
	char w[128];
	snprintf(w, sizeof(w), "%s: manifests[%zu]", what, which);
	return blob_member(*digest, member, w, e);
}

static int oci_layout(struct kimage *img, kerr *e)
{
	json_object *idx = read_doc(img->src, "index.json", NULL, json_type_object, e), *man = NULL, *inner = NULL;
	char *member = NULL, *cfg_member = NULL;
	const char *digest = NULL;
	int rc = -1;
	img->format = "oci";
	size_t at = idx ? image_entry(idx, img->which) : 0;
	if (!idx || nth_manifest(idx, at, "index.json", &member, &digest, e) < 0)
		goto out;
	json_object *ann = kj_get(json_object_array_get_idx(array_of(idx, "manifests"), at), "annotations");
	const char *ref = str_of(ann, "io.containerd.image.name");
	if (!ref)
		ref = str_of(ann, "org.opencontainers.image.ref.name");
	img->name = xdup(ref);
	if (ref && kstrv_add(&img->tags, ref) < 0) {
		kerr_set(e, ENOMEM, "index.json");
		goto out;
	}
	if (!(man = read_doc(img->src, member, digest, json_type_object, e)))
		goto out;
	if (array_of(man, "manifests")) {   /* an image index: its first manifest */
		inner = man;
		free(member);
		member = NULL;
		if (nth_manifest(inner, 0, "the image index", &member, &digest, e) < 0 ||
		    !(man = read_doc(img->src, member, digest, json_type_object, e)))
			goto out;
	}
	img->manifest_member = strdup(member);
	img->manifest_digest = strdup(digest);
	if (!img->manifest_member || !img->manifest_digest) {
		kerr_set(e, ENOMEM, "%s", member);
		goto out;
	}
	const char *cfg = str_of(kj_get(man, "config"), "digest");
	json_object *layers = array_of(man, "layers");
	if (blob_member(cfg, &cfg_member, "manifest: config", e) < 0)
		goto out;
	if (!layers) {
		kerr_msg(e, EINVAL, "%s: layers: expected an array", member);
		goto out;
	}
	img->config_digest = strdup(cfg);
	img->config_member = strdup(cfg_member);
	if (!(img->config = read_doc(img->src, cfg_member, cfg, json_type_object, e)))
		goto out;
	for (size_t i = 0; i < json_object_array_length(layers); i++) {
		json_object *l = json_object_array_get_idx(layers, i);
		char what[64];
		_cleanup_free_ char *lm = NULL;
		snprintf(what, sizeof(what), "manifest: layers[%zu]", i);
		if (blob_member(str_of(l, "digest"), &lm, what, e) < 0 ||
		    add_layer(img, lm, str_of(l, "digest"), str_of(l, "mediaType"), e) < 0)
			goto out;
	}
	rc = 0;
out:
	free(member);
	free(cfg_member);
	json_object_put(idx);
	json_object_put(man);
	json_object_put(inner);
	return rc;
}

/* diff_ids and the history lines of the non-empty layers, from the config. */
static int config_layers(struct kimage *img, kerr *e)
{
	json_object *ids = array_of(kj_get(img->config, "rootfs"), "diff_ids");
	json_object *hist = array_of(img->config, "history");
	for (size_t i = 0; ids && i < json_object_array_length(ids) && i < img->nlayers; i++) {
		json_object *d = json_object_array_get_idx(ids, i);
		char what[64];
		snprintf(what, sizeof(what), "config: rootfs.diff_ids[%zu]", i);
		if (!json_object_is_type(d, json_type_string) ||
		    ksha256_parse(json_object_get_string(d), NULL, what, e) < 0)
			return kerr_msg(e, EINVAL, "%s: expected a sha256 digest", what);
		img->layers[i].diff_id = strdup(json_object_get_string(d));
	}
	for (size_t i = 0, k = 0; hist && i < json_object_array_length(hist) && k < img->nlayers; i++) {
		json_object *h = json_object_array_get_idx(hist, i), *empty = kj_get(h, "empty_layer");
		if (empty && json_object_get_boolean(empty))
			continue;
		img->layers[k++].created_by = xdup(str_of(h, "created_by"));
	}
	return 0;
}

/* Image WHICH of the archive SRC (a reference is taken). */
static int open_one(const char *path, struct ksrc *src, size_t which, struct kimage **out, kerr *e)
{
	struct kimage *img = calloc(1, sizeof(*img));
	*out = NULL;
	if (!img || !(img->path = strdup(path))) {
		free(img);
		return kerr_set(e, ENOMEM, "image %s", path);
	}
	img->src = ksrc_ref(src);
	img->which = which;
	kerr ig;
	int rc;
	if (ksrc_check(img->src, "manifest.json", &ig) == 0)
		rc = docker_save(img, e);
	else if (ksrc_check(img->src, "index.json", &ig) == 0)
		rc = oci_layout(img, e);
	else
		rc = kerr_msg(e, EINVAL, "neither a docker save archive (manifest.json) nor an OCI image layout (index.json)");
	if (rc == 0)
		rc = config_layers(img, e);
	for (size_t i = 0; rc == 0 && i < img->nlayers; i++)
		if (ksrc_check(img->src, img->layers[i].member, e) < 0)
			rc = kerr_wrap(e, "layer %zu", i + 1);
	if (rc == 0 && !img->tags && !(img->tags = calloc(1, sizeof(char *))))
		rc = kerr_set(e, ENOMEM, "image");
	if (rc < 0) {
		kimage_close(img);
		return which ? kerr_wrap(e, "image %s (#%zu)", path, which + 1) : kerr_wrap(e, "image %s", path);
	}
	*out = img;
	return 0;
}

int kimage_open(const char *path, struct kimage **out, kerr *e)
{
	struct ksrc *src;
	*out = NULL;
	if (ksrc_open(path, &src, e) < 0)
		return kerr_wrap(e, "image %s", path);
	int rc = open_one(path, src, 0, out, e);
	ksrc_free(src);
	return rc;
}

/* How many images the archive holds: the entries of its top document. */
static int count_images(struct ksrc *src, size_t *n, kerr *e)
{
	kerr ig;
	int docker = ksrc_check(src, "manifest.json", &ig) == 0;
	if (!docker && ksrc_check(src, "index.json", &ig) < 0) {
		*n = 1;   /* neither: open_one says so */
		return 0;
	}
	json_object *top = read_doc(src, docker ? "manifest.json" : "index.json", NULL,
				    docker ? json_type_array : json_type_object, e);
	if (!top)
		return -1;
	json_object *list = docker ? top : array_of(top, "manifests");
	size_t k = 0;
	for (size_t i = 0; list && i < json_object_array_length(list); i++)
		k += docker || !is_sigs(json_object_array_get_idx(list, i));
	*n = k ? k : 1;
	json_object_put(top);
	return 0;
}

int kimage_open_all(const char *path, struct kimage ***out, size_t *n, kerr *e)
{
	struct ksrc *src;
	size_t k = 0;
	*out = NULL;
	*n = 0;
	if (ksrc_open(path, &src, e) < 0)
		return kerr_wrap(e, "image %s", path);
	if (count_images(src, &k, e) < 0) {
		ksrc_free(src);
		return kerr_wrap(e, "image %s", path);
	}
	struct kimage **v = calloc(k, sizeof(*v));
	if (!v) {
		ksrc_free(src);
		return kerr_set(e, ENOMEM, "image %s", path);
	}
	for (size_t i = 0; i < k; i++)
		if (open_one(path, src, i, &v[i], e) < 0) {
			kimage_close_all(v, i);
			ksrc_free(src);
			return -1;
		}
	ksrc_free(src);
	*out = v;
	*n = k;
	return 0;
}

void kimage_close_all(struct kimage **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		kimage_close(v[i]);
	free(v);
}

void kimage_close(struct kimage *img)
{
	if (!img)
		return;
	for (size_t i = 0; i < img->nlayers; i++) {
		struct kimage_layer *l = &img->layers[i];
		free(l->member);
		free(l->digest);
		free(l->media_type);
		free(l->diff_id);
		free(l->created_by);
	}
	free(img->layers);
	json_object_put(img->config);
	free(img->config_digest);
	free(img->config_member);
	free(img->manifest_member);
	free(img->manifest_digest);
	kstrv_free(img->tags);
	free(img->name);
	free(img->path);
	ksrc_free(img->src);
	free(img);
}
