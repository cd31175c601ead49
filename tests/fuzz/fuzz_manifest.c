/* libFuzzer target: the documents a registry sends (registry_int.h): an
 * image manifest, an index resolved to a platform, the config against the
 * manifest; and cosign's signature manifest and simple-signing payload
 * (cosign.h, sign.h), which pull and load read from untrusted sources.
 * The input is split at the first NUL: a manifest, index, signature
 * manifest or payload, then a config. */
#include "common/json.h"
#include "image/cosign.h"
#include "image/registry.h"
#include "image/registry_int.h"
#include "image/sign.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *nul = memchr(buf, '\0', size);
	size_t len = nul ? (size_t)(nul - buf) : size;
	kerr e = { 0 };
	json_object *doc = kj_parse("manifest", buf, len, &e);
	if (doc) {
		static const char *const pfs[] = { "linux/amd64", "linux/arm64", "linux/arm/v7" };
		for (size_t i = 0; i < sizeof(pfs) / sizeof(pfs[0]); i++) {
			struct kreg_platform pf;
			const char *d;
			int64_t sz;
			if (kreg_platform_parse(pfs[i], &pf, &e) == 0)
				(void)kreg_pick_platform(doc, &pf, &d, &sz, &e);
		}
		struct kreg_manifest m;
		if (kreg_manifest_parse(doc, "sha256:fuzz", &m, &e) == 0) {
			json_object *cfg = nul ? kj_parse("config", nul + 1, size - len - 1, &e) : NULL;
			const char **ids;
			struct kreg_platform pf;
			if (cfg && kreg_platform_parse("linux/amd64", &pf, &e) == 0) {
				if (kreg_config_check(cfg, &m, NULL, &ids, &e) == 0)
					free(ids);
				if (kreg_config_check(cfg, &m, &pf, &ids, &e) == 0)
					free(ids);
			}
			json_object_put(cfg);
			kreg_manifest_clear(&m);
		}
		json_object_put(doc);
	}
	struct kcosign_layer *l;
	size_t n;
	if (kcosign_parse(buf, len, "signatures", &l, &n, &e) == 0)
		kcosign_layers_free(l, n);
	struct ksign_claim c;
	if (ksign_payload_parse(buf, len, "payload", &c, &e) == 0)
		ksign_claim_clear(&c);
	return 0;
}
