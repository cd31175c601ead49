/* libFuzzer target: the policy file parser, and the policy deciding on a
 * fuzzed config.json (the rules read every field a client controls).
 * The input is split at the first NUL: policy text, then config. */
#include "oci/spec.h"
#include "policy/policy.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, '\0', size);
	size_t plen = nul ? (size_t)(nul - (const char *)data) : size;
	char *ptext = malloc(plen + 1);
	if (!ptext)
		return 0;
	memcpy(ptext, data, plen);
	ptext[plen] = '\0';
	struct kpolicy p;
	kerr e;
	if (kpolicy_parse("policy.conf", ptext, &p, &e) == 0) {
		struct oci_spec *s = NULL;
		if (nul && oci_spec_parse("config.json", nul + 1, size - plen - 1, &s, &e) == 0) {
			struct kpol_decision d;
			char msg[4096];
			p.action = KPOL_HARDEN; /* exercise the fixes too */
			if (kpolicy_decide(&p, "fuzz", s->root, &d, &e) == 0)
				kpolicy_refusal(&p, &d, msg, sizeof(msg));
			oci_spec_free(s);
		}
		kpolicy_free(&p);
	}
	free(ptext);
	return 0;
}
