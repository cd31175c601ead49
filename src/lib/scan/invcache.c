/* The inventory cache (invcache.h). */
#include "scan/invcache.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/str.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_VERSION 1

static char *cache_path(const char *dir, const char *digest)
{
	if (!kstr_starts(digest, "sha256:") || strlen(digest) != 71 || strspn(digest + 7, "0123456789abcdef") != 64)
		return NULL;
	return kstr_printf("%s/cache/%s.json", dir, digest + 7);
}

static json_object *s_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *files_json(const struct kscan_file *f, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(f[i].path));
		json_object_object_add(o, "mode", json_object_new_int64(f[i].mode));
		json_object_object_add(o, "uid", json_object_new_int64(f[i].uid));
		json_object_object_add(o, "gid", json_object_new_int64(f[i].gid));
		json_object_object_add(o, "caps", s_or_null(f[i].caps));
		json_object_object_add(o, "layer",
				       json_object_new_int64(f[i].layer == KSCAN_NO_LAYER ? -1 : (int64_t)f[i].layer));
		json_object_array_add(a, o);
	}
	return a;
}

int kscan_invcache_store(const char *dir, const char *digest, const struct kscan_inventory *inv, kerr *e)
{
	_cleanup_free_ char *path = cache_path(dir, digest);
	_cleanup_free_ char *cdir = kstr_printf("%s/cache", dir);
	if (!path || !cdir)
		return kerr_msg(e, EINVAL, "inventory cache: \"%s\" is not a sha256 digest", digest);
	if (kfs_mkdir_p(cdir, 0755, e) < 0)
		return -1;
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *os = json_object_new_object(), *layers = json_object_new_array(), *pkgs = json_object_new_array();
	json_object_object_add(o, "version", json_object_new_int(CACHE_VERSION));
	json_object_object_add(os, "id", s_or_null(inv->os_id));
	json_object_object_add(os, "version_id", s_or_null(inv->os_version_id));
	json_object_object_add(os, "codename", s_or_null(inv->os_codename));
	json_object_object_add(os, "pretty", s_or_null(inv->os_pretty));
	json_object_object_add(o, "os", os);
	json_object_object_add(o, "eco", json_object_new_string(kscan_eco_to_name(inv->eco)));
	json_object_object_add(o, "db", s_or_null(inv->db));
	for (size_t i = 0; i < inv->nlayers; i++) {
		json_object *l = json_object_new_object();
		json_object_object_add(l, "diff_id", s_or_null(inv->layers[i].diff_id));
		json_object_object_add(l, "created_by", s_or_null(inv->layers[i].created_by));
		json_object_array_add(layers, l);
	}
	json_object_object_add(o, "layers", layers);
	for (size_t i = 0; i < inv->npkgs; i++) {
		const struct kscan_pkg *p = &inv->pkgs[i];
		json_object *x = json_object_new_object();
		json_object_object_add(x, "eco", json_object_new_string(kscan_eco_to_name(p->eco)));
		json_object_object_add(x, "name", json_object_new_string(p->name));
		json_object_object_add(x, "version", json_object_new_string(p->version));
		json_object_object_add(x, "source", json_object_new_string(p->source));
		json_object_object_add(x, "source_version", json_object_new_string(p->source_version));
		json_object_object_add(x, "arch", json_object_new_string(p->arch));
		json_object_object_add(x, "layer",
				       json_object_new_int64(p->layer == KSCAN_NO_LAYER ? -1 : (int64_t)p->layer));
		json_object_object_add(x, "files", files_json(p->files, p->nfiles));
		json_object_array_add(pkgs, x);
	}
	json_object_object_add(o, "packages", pkgs);
	json_object_object_add(o, "unowned", files_json(inv->unowned, inv->nunowned));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	return kfs_write_file(path, text, strlen(text), 0644, 1, e);
}

static char *dup_str(json_object *o, const char *key, int *bad)
{
	json_object *v = kj_get(o, key);
	if (!v)
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		*bad = 1;
		return NULL;
	}
	char *s = strdup(json_object_get_string(v));
	*bad |= !s;
	return s;
}

static char *need_str(json_object *o, const char *key, int *bad)
{
	char *s = dup_str(o, key, bad);
	*bad |= !s;
	return s;
}

static size_t layer_of(json_object *o, size_t nlayers, int *bad)
{
	int64_t l = kj_get_i64(o, "layer", -1);
	if (l < 0)
		return KSCAN_NO_LAYER;
	*bad |= (uint64_t)l >= nlayers;
	return (size_t)l;
}

static int files_of(json_object *a, size_t nlayers, struct kscan_file **out, size_t *n)
{
	int bad = 0;
	*out = NULL;
	*n = 0;
	if (!a || !json_object_is_type(a, json_type_array))
		return -1;
	size_t len = json_object_array_length(a);
	if (!len)
		return 0;
	*out = calloc(len, sizeof(**out));
	if (!*out)
		return -1;
	for (size_t i = 0; i < len; i++) {
		json_object *f = json_object_array_get_idx(a, i);
		struct kscan_file *x = &(*out)[i];
		x->path = need_str(f, "path", &bad);
		x->caps = dup_str(f, "caps", &bad);
		x->mode = (unsigned)kj_get_i64(f, "mode", 0);
		x->uid = (uid_t)kj_get_i64(f, "uid", 0);
		x->gid = (gid_t)kj_get_i64(f, "gid", 0);
		x->layer = layer_of(f, nlayers, &bad);
		(*n)++;
	}
	return bad ? -1 : 0;
}

int kscan_invcache_load(const char *dir, const char *digest, struct kscan_inventory *inv)
{
	memset(inv, 0, sizeof(*inv));
	_cleanup_free_ char *path = cache_path(dir, digest);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	kerr e = { 0 };
	if (!path || kfs_read_file(path, &buf, &len, &e) < 0)
		return 0;
	_cleanup_json_ json_object *o = kj_parse(path, buf, len, &e);
	if (!o || kj_get_i64(o, "version", 0) != CACHE_VERSION)
		return 0;
	int bad = 0;
	json_object *os = kj_get(o, "os"), *layers = kj_get(o, "layers"), *pkgs = kj_get(o, "packages");
	inv->os_id = dup_str(os, "id", &bad);
	inv->os_version_id = dup_str(os, "version_id", &bad);
	inv->os_codename = dup_str(os, "codename", &bad);
	inv->os_pretty = dup_str(os, "pretty", &bad);
	inv->db = need_str(o, "db", &bad);
	int eco = kscan_eco_from_name(kj_get_str(o, "eco"));
	bad |= eco < 0 || !layers || !json_object_is_type(layers, json_type_array) || !pkgs ||
	       !json_object_is_type(pkgs, json_type_array);
	if (!bad) {
		inv->eco = (enum kscan_eco)eco;
		size_t nl = json_object_array_length(layers), np = json_object_array_length(pkgs);
		inv->layers = calloc(nl ? nl : 1, sizeof(*inv->layers));
		inv->pkgs = calloc(np ? np : 1, sizeof(*inv->pkgs));
		bad |= !inv->layers || !inv->pkgs;
		for (size_t i = 0; !bad && i < nl; i++, inv->nlayers++) {
			json_object *l = json_object_array_get_idx(layers, i);
			inv->layers[i].diff_id = dup_str(l, "diff_id", &bad);
			inv->layers[i].created_by = dup_str(l, "created_by", &bad);
		}
		for (size_t i = 0; !bad && i < np; i++, inv->npkgs++) {
			json_object *x = json_object_array_get_idx(pkgs, i);
			struct kscan_pkg *p = &inv->pkgs[i];
			int pe = kscan_eco_from_name(kj_get_str(x, "eco"));
			bad |= pe < 0;
			p->eco = pe < 0 ? KSCAN_DEB : (enum kscan_eco)pe;
			p->name = need_str(x, "name", &bad);
			p->version = need_str(x, "version", &bad);
			p->source = need_str(x, "source", &bad);
			p->source_version = need_str(x, "source_version", &bad);
			p->arch = need_str(x, "arch", &bad);
			p->layer = layer_of(x, nl, &bad);
			bad |= files_of(kj_get(x, "files"), nl, &p->files, &p->nfiles) < 0;
		}
		bad |= bad || files_of(kj_get(o, "unowned"), nl, &inv->unowned, &inv->nunowned) < 0;
	}
	if (bad || !inv->npkgs) {
		kscan_inventory_done(inv);
		return 0;
	}
	return 1;
}
