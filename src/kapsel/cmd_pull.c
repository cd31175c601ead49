/* kapsel pull: an image from a registry into the store, with Docker's
 * progress display on a terminal (one line per layer: bytes and rate) and
 * one line per finished layer otherwise. */
#include "kapsel.h"

#include "image/registry.h"
#include "image/store.h"
#include "image/trust.h"

#include <stdio.h>
#include <unistd.h>

struct pull_args {
	struct kapsel_registry_args reg;
	const char *platform;
	const char *trust_policy;
	int quiet;
	int parallel;
	int keep_setuid, keep_file_caps;
};

static const struct cli_option pull_options[] = {
	CLI_OPT_STRING(0, "platform", struct pull_args, platform, "OS/ARCH[/VARIANT]",
		       "the image of an index to pull (default this host's)"),
	CLI_OPT_FLAG('q', "quiet", struct pull_args, quiet, "print only the image ID"),
	CLI_OPT_INT(0, "parallel", struct pull_args, parallel, "N", 1, 32, "layers fetched at once (default 4)"),
	CLI_OPT_STRING(0, "trust-policy", struct pull_args, trust_policy, "FILE",
		       "the trust policy the image must satisfy (default " KTRUST_POLICY ")"),
	KAPSEL_KEEP_OPTIONS(struct pull_args),
	CLI_OPT_INCLUDE(kapsel_registry_options),
	CLI_OPT_END,
};

int kapsel_pull_image(const struct cli_call *c, const struct kapsel_pull_how *h, const char *ref)
{
	struct kapsel_registry reg;
	struct kapsel_registry_args none = { 0 };
	FILE *out = h->to_stderr ? stderr : stdout;
	int fail = h->fail_code ? h->fail_code : CLI_EXIT_FAILURE;
	int rc = kapsel_registry_setup(c, h->reg ? h->reg : &none, &reg);
	if (rc)
		return rc;
	struct ktrust_policy *pol = NULL;
	kerr e = { 0 };
	if (ktrust_load(h->trust_policy, &pol, &e) < 0) {
		kapsel_registry_done(&reg);
		return cli_error(c, fail, "%s", e.msg);
	}
	reg.o.trust = pol;
	struct kapsel_progress sh = {
		.tty = isatty(fileno(out)), .quiet = h->quiet, .out = out, .words = &kapsel_pull_words
	};
	reg.o.platform = h->platform;
	reg.o.parallel = h->parallel;
	reg.o.progress = kapsel_progress_event;
	reg.o.ud = &sh;
	struct kstore *s;
	if ((rc = kapsel_store(c, KSTORE_EXCLUSIVE, &s))) {
		ktrust_free(pol);
		kapsel_registry_done(&reg);
		return rc;
	}
	kstore_set_keep(s, h->keep);
	const struct kstore_image *img;
	char digest[72];
	if (!h->quiet)
		fprintf(out, "Pulling %s\n", ref);
	if (kreg_pull(s, ref, &reg.o, &img, digest, &e) < 0) {
		rc = cli_error(c, fail, "%s", e.msg);
	} else if (h->quiet) {
		kapsel_image_event(c, "pull", ref, NULL);
		if (!h->to_stderr)
			printf("%s\n", img->id);
	} else {
		kapsel_image_event(c, "pull", ref, NULL);
		kapsel_progress_end(&sh);
		fprintf(out, "Digest: %s\n%s: %s\n", digest, h->to_stderr ? "Status: Downloaded newer image" : "Image",
			h->to_stderr ? ref : img->id);
	}
	kstore_close(s);
	kapsel_progress_done(&sh);
	kapsel_registry_done(&reg);
	ktrust_free(pol);
	return rc ? rc : fflush(out) == 0 ? CLI_EXIT_OK : fail;
}

static int pull_run(const struct cli_call *c)
{
	struct pull_args *a = c->opts;
	struct kapsel_pull_how h = { .reg = &a->reg,
				     .platform = a->platform,
				     .trust_policy = a->trust_policy,
				     .parallel = a->parallel,
				     .keep = KAPSEL_KEEP(a),
				     .quiet = a->quiet };
	return kapsel_pull_image(c, &h, c->argv[0]);
}

const struct cli_command cmd_pull = {
	.name = "pull",
	.run = pull_run,
	.min_args = 1,
	.max_args = 1,
	.args = "[REGISTRY/]NAME[:TAG|@DIGEST]",
	.summary = "pull an image from a registry",
	.description =
		"Fetches the manifest (from an index, the image of --platform), the config and the layers\n"
		"the store lacks, in parallel; every blob is checked against its digest and every layer\n"
		"against the config's rootfs.diff_ids before anything enters the store (docs/images.md).\n"
		"The trust policy is checked, with the cosign signatures the registry has for the\n"
		"manifest (the tag sha256-<hex>.sig), before a layer is fetched; they are kept in the store.\n"
		"HTTPS only, unless kapsel.conf [registries] insecure names the registry.\n",
	CLI_CMD_OPTIONS(struct pull_args, pull_options),
};
