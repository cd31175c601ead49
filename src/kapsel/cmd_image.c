/* kapsel image inspect REF...: a JSON array shaped like `docker image
 * inspect` (Id, RepoTags, RepoDigests, Created, Architecture, Os, Config,
 * RootFS.Layers, Size ...), plus KapselLayers: per unpacked layer, what
 * the applier removed (setuid bits, file capabilities, xattrs). */
#include "kapsel.h"

#include "common/json.h"
#include "common/strv.h"
#include "image/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *str_or_empty(json_object *cfg, const char *key)
{
	const char *v = kj_get_str(cfg, key);
	return json_object_new_string(v ? v : "");
}

static json_object *copy_of(json_object *v)
{
	json_object *out = NULL;
	if (v && json_object_deep_copy(v, &out, NULL) == 0)
		return out;
	return NULL;
}

static json_object *inspect_one(const struct kstore_image *img, json_object *cfg)
{
	json_object *o = json_object_new_object(), *tags = json_object_new_array(), *digests = json_object_new_array();
	json_object_object_add(o, "Id", json_object_new_string(img->id));
	char **repos = NULL;
	for (char **n = img->names; *n; n++) {
		json_object_array_add(tags, json_object_new_string(*n));
		char *repo = strndup(*n, kstore_repo_len(*n));
		if (img->manifest && repo && !kstrv_contains(repos, repo)) {
			char d[512];
			snprintf(d, sizeof(d), "%s@%s", repo, img->manifest);
			json_object_array_add(digests, json_object_new_string(d));
			kstrv_add(&repos, repo);
		}
		free(repo);
	}
	kstrv_free(repos);
	json_object_object_add(o, "RepoTags", tags);
	json_object_object_add(o, "RepoDigests", digests);
	json_object_object_add(o, "Parent", json_object_new_string(""));
	json_object_object_add(o, "Comment", str_or_empty(cfg, "comment"));
	json_object_object_add(o, "Created", str_or_empty(cfg, "created"));
	json_object_object_add(o, "Author", str_or_empty(cfg, "author"));
	json_object_object_add(o, "Config", copy_of(kj_get(cfg, "config")));
	json_object_object_add(o, "Architecture", str_or_empty(cfg, "architecture"));
	if (kj_get_str(cfg, "variant"))
		json_object_object_add(o, "Variant", str_or_empty(cfg, "variant"));
	json_object_object_add(o, "Os", str_or_empty(cfg, "os"));
	json_object_object_add(o, "Size", json_object_new_int64(img->size));
	json_object *rootfs = json_object_new_object(), *layers = json_object_new_array();
	json_object_object_add(rootfs, "Type", json_object_new_string("layers"));
	for (size_t i = 0; i < img->nlayers; i++)
		json_object_array_add(layers, json_object_new_string(img->layers[i].diff_id));
	json_object_object_add(rootfs, "Layers", layers);
	json_object_object_add(o, "RootFS", rootfs);
	return o;
}

static int inspect_run(const struct cli_call *c)
{
	struct kstore *s;
	int rc = kapsel_store(c, KSTORE_SHARED, &s);
	if (rc)
		return rc;
	json_object *out = json_object_new_array();
	for (int i = 0; i < c->argc; i++) {
		kerr e = { 0 };
		const struct kstore_image *img;
		json_object *cfg;
		if (kstore_resolve(s, c->argv[i], &img, NULL, &e) < 0 || kstore_config(s, img, &cfg, &e) < 0) {
			rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
			continue;
		}
		json_object *o = inspect_one(img, cfg), *layers;
		json_object_put(cfg);
		if (kstore_layer_report(s, img, &layers, &e) < 0) {
			json_object_put(o);
			rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
			continue;
		}
		json_object_object_add(o, "KapselLayers", layers);
		json_object_array_add(out, o);
	}
	kstore_close(s);
	printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(out);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

static const struct cli_command cmd_image_inspect = {
	.name = "inspect",
	.run = inspect_run,
	.min_args = 1,
	.max_args = -1,
	.args = "NAME|ID...",
	.summary = "show images as JSON (docker image inspect's shape)",
};

static const struct cli_command *const image_commands[] = { &cmd_image_inspect, &cmd_image_prune, &cmd_image_sign, &cmd_image_verify, NULL };

const struct cli_command cmd_image = {
	.name = "image",
	.min_args = 0,
	.max_args = -1,
	.summary = "manage images (inspect, prune, sign, verify)",
	.subcommands = image_commands,
};
