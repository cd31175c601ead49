/* kapsel image sign --key KEY IMAGE and kapsel image verify [--key PUB]
 * IMAGE: cosign-compatible key signatures kept in the store (sign.h,
 * store_sig.h), checked against a key or the trust policy (trust.h). */
#include "kapsel.h"

#include "common/cleanup.h"
#include "image/sign.h"
#include "image/store.h"
#include "image/store_sig.h"
#include "image/trust.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sign_args {
	const char *key;
	const char *trust_policy;
};

/* The repository the signature names, fully qualified: the one REF
 * matched by name, else the image's only repository. */
static char *identity(const struct kstore_image *img, const char *how, kerr *e)
{
	const char *pick = how ? how : img->names ? img->names[0] : NULL;
	if (!pick)
		return kerr_msg(e, EINVAL, "image %s has no name: tag it first (the signature names its repository)",
				img->id),
		       NULL;
	for (char **n = img->names; !how && *n; n++)
		if (kstore_repo_len(*n) != kstore_repo_len(pick) || strncmp(*n, pick, kstore_repo_len(pick)))
			return kerr_msg(e, EINVAL, "image %s is in several repositories: sign it by NAME[:TAG]",
					img->id),
			       NULL;
	_cleanup_free_ char *repo = strndup(pick, kstore_repo_len(pick));
	char *full = repo ? ktrust_full_name(repo) : NULL;
	if (!full)
		kerr_set(e, ENOMEM, "sign");
	return full;
}

static int no_manifest(const struct cli_call *c, const struct kstore_image *img)
{
	return cli_error(c, CLI_EXIT_FAILURE,
			 "image %s has no manifest digest to sign (it came from a legacy docker save archive, which "
			 "has none): `kapsel save` it and `kapsel load` that archive to give it an OCI manifest",
			 img->id);
}

static int sign_run(const struct cli_call *c)
{
	struct sign_args *a = c->opts;
	kerr e = { 0 };
	if (!a->key)
		return cli_usage_error(c, "--key KEY is required");
	ksign_key *key = ksign_private_key_file(a->key, &e);
	if (!key)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	struct kstore *s;
	int rc = kapsel_store(c, KSTORE_EXCLUSIVE, &s);
	if (rc) {
		ksign_key_free(key);
		return rc;
	}
	const struct kstore_image *img;
	const char *how;
	_cleanup_free_ char *ref = NULL, *payload = NULL, *sig = NULL;
	if (kstore_resolve(s, c->argv[0], &img, &how, &e) < 0)
		rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	else if (!img->manifest)
		rc = no_manifest(c, img);
	else if (!(ref = identity(img, how, &e)) || !(payload = ksign_payload(ref, img->manifest, &e)) ||
		 !(sig = ksign_sign(key, payload, strlen(payload), &e)) ||
		 kstore_sig_add(s, img->manifest, payload, strlen(payload), sig, &e) < 0)
		rc = cli_error(c, CLI_EXIT_FAILURE, "sign %s: %s", c->argv[0], e.msg);
	else
		printf("Signed %s (manifest %s) as %s\n", c->argv[0], img->manifest, ref);
	kstore_close(s);
	ksign_key_free(key);
	return rc ? rc : fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

/* With --key: every kept signature the key verifies over the image's
 * manifest digest is printed; none is an error with the last reason. */
static int verify_key(const struct cli_call *c, const struct kstore *s, const struct kstore_image *img, ksign_key *key)
{
	struct kstore_sig *sigs;
	size_t n, good = 0;
	kerr e = { 0 };
	char why[KERR_MSG_MAX] = "not signed";
	if (kstore_sigs(s, img->manifest, &sigs, &n, &e) < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	for (size_t i = 0; i < n; i++) {
		struct ksign_claim cl;
		kerr ve = { 0 };
		if (ksign_verify(key, sigs[i].payload, sigs[i].payload_len, sigs[i].signature, &ve) < 0 ||
		    ksign_payload_parse(sigs[i].payload, sigs[i].payload_len, "payload", &cl, &ve) < 0) {
			snprintf(why, sizeof(why), "%s", ve.msg);
			continue;
		}
		if (strcmp(cl.digest, img->manifest))
			snprintf(why, sizeof(why), "a signature signs manifest %s, the image's is %s", cl.digest,
				 img->manifest);
		else {
			printf("Verified %s: manifest %s signed as %s\n", c->argv[0], img->manifest, cl.reference);
			good++;
		}
		ksign_claim_clear(&cl);
	}
	kstore_sigs_free(sigs, n);
	if (!good)
		return cli_error(c, CLI_EXIT_FAILURE, "verify %s: no signature of %zu verifies: %s", c->argv[0], n, why);
	return CLI_EXIT_OK;
}

static int verify_run(const struct cli_call *c)
{
	struct sign_args *a = c->opts;
	kerr e = { 0 };
	ksign_key *key = NULL;
	struct ktrust_policy *pol = NULL;
	if (a->key && a->trust_policy)
		return cli_usage_error(c, "--key and --trust-policy exclude each other");
	if (a->key ? !(key = ksign_public_key_file(a->key, &e)) : ktrust_load(a->trust_policy, &pol, &e) < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	struct kstore *s;
	int rc = kapsel_store(c, KSTORE_SHARED, &s);
	const struct kstore_image *img;
	const char *how;
	if (rc)
		goto out;
	if (kstore_resolve(s, c->argv[0], &img, &how, &e) < 0)
		rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	else if (key)
		rc = img->manifest ? verify_key(c, s, img, key) : no_manifest(c, img);
	else {
		/* the name asked for, or every name the image has (none: default) */
		const char *one[] = { how, NULL };
		char *const *names = how ? (char *const *)one : img->names;
		char why[512];
		for (size_t i = 0; rc == 0 && (i == 0 || names[i]); i++) {
			if (ktrust_check_stored(pol, s, names[i], img->manifest, why, sizeof(why), &e) < 0)
				rc = cli_error(c, CLI_EXIT_FAILURE, "verify %s: %s", c->argv[0], e.msg);
			else
				printf("Accepted %s: %s\n", names[i] ? names[i] : img->id, why);
			if (!names[i])
				break;
		}
	}
	kstore_close(s);
out:
	ksign_key_free(key);
	ktrust_free(pol);
	return rc ? rc : fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static const struct cli_option sign_options[] = {
	CLI_OPT_STRING(0, "key", struct sign_args, key, "KEY",
		       "the EC P-256 private key (PEM: PKCS#8 or SEC1, unencrypted)"),
	CLI_OPT_END,
};

static const struct cli_option verify_options[] = {
	CLI_OPT_STRING(0, "key", struct sign_args, key, "PUB", "verify against this public key (PEM)"),
	CLI_OPT_STRING(0, "trust-policy", struct sign_args, trust_policy, "FILE",
		       "without --key: the trust policy (default " KTRUST_POLICY ")"),
	CLI_OPT_END,
};

const struct cli_command cmd_image_sign = {
	.name = "sign",
	.run = sign_run,
	.min_args = 1,
	.max_args = 1,
	.args = "IMAGE",
	.summary = "sign an image's manifest digest with a key (cosign's format)",
	CLI_CMD_OPTIONS(struct sign_args, sign_options),
};

const struct cli_command cmd_image_verify = {
	.name = "verify",
	.run = verify_run,
	.min_args = 1,
	.max_args = 1,
	.args = "IMAGE",
	.summary = "check an image's signatures against a key or the trust policy",
	CLI_CMD_OPTIONS(struct sign_args, verify_options),
};
