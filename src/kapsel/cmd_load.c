/* kapsel load: images from a `docker save` archive (either generation),
 * an OCI layout (tar or directory) or stdin into the store, printed as
 * Docker prints them. */
#include "kapsel.h"

#include "common/cleanup.h"
#include "image/cosign.h"
#include "image/image.h"
#include "image/store.h"
#include "image/trust.h"

#include <fcntl.h>
#include <errno.h>

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

struct load_args {
	const char *input;
	const char *trust_policy;
	int quiet;
	int keep_setuid, keep_file_caps;
};

static const struct cli_option load_options[] = {
	CLI_OPT_STRING('i', "input", struct load_args, input, "FILE",
		       "read from FILE (a tar archive or an OCI layout directory) instead of stdin; - is stdin"),
	CLI_OPT_FLAG('q', "quiet", struct load_args, quiet, "print nothing"),
	CLI_OPT_STRING(0, "trust-policy", struct load_args, trust_policy, "FILE",
		       "the trust policy every image must satisfy (default " KTRUST_POLICY ")"),
	KAPSEL_KEEP_OPTIONS(struct load_args),
	CLI_OPT_END,
};

static void loaded(void *ud, const struct kstore_image *img, char *const *names)
{
	const struct cli_call *c = ud;
	const struct load_args *a = c->opts;
	kapsel_image_event(c, "load", img->id, names && names[0] ? names[0] : NULL);
	if (a->quiet)
		return;
	if (!names || !names[0])
		printf("Loaded image ID: %s\n", img->id);
	for (char *const *n = names; n && *n; n++)
		printf("Loaded image: %s\n", *n);
}

/* The signatures of IMG: those the store keeps for its manifest digest
 * and those the archive brings (kstore_save, cosign save). */
static int signatures(const struct kstore *s, struct kimage *img, struct kstore_sig **out, size_t *n, kerr *e)
{
	struct kstore_sig *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	*out = NULL;
	*n = 0;
	if (!img->manifest_digest)
		return 0;
	if (kstore_sigs(s, img->manifest_digest, &a, &na, e) < 0 || kcosign_archive_sigs(img, &b, &nb, e) < 0) {
		kstore_sigs_free(a, na);
		return -1;
	}
	struct kstore_sig *all = realloc(a, (na + nb ? na + nb : 1) * sizeof(*all));
	if (!all) {
		kstore_sigs_free(a, na);
		kstore_sigs_free(b, nb);
		return kerr_set(e, ENOMEM, "signatures");
	}
	if (nb)
		memcpy(all + na, b, nb * sizeof(*b));
	free(b);
	*out = all;
	*n = na + nb;
	return 0;
}

/* Every image of PATH, under each name it brings (or none), must satisfy
 * the policy before anything is loaded, with its signatures. */
static int check_trust(const struct ktrust_policy *pol, const struct kstore *s, const char *path, kerr *e)
{
	struct kimage **imgs;
	size_t n;
	if (kimage_open_all(path, &imgs, &n, e) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct kstore_sig *sigs;
		size_t ns;
		if (signatures(s, imgs[i], &sigs, &ns, e) < 0) {
			rc = n > 1 ? kerr_wrap(e, "image %zu", i + 1) : -1;
			break;
		}
		char **t = imgs[i]->tags;
		size_t k = 0;
		do {
			/* an OCI ref.name that is only a tag names nothing (as the store reads it) */
			const char *tag = t && t[k] && !(!strcmp(imgs[i]->format, "oci") && !strchr(t[k], '/') &&
							 !strchr(t[k], ':'))
						  ? t[k]
						  : NULL;
			_cleanup_free_ char *name = tag ? kstore_norm_name(tag, e) : NULL;
			if (tag && !name) {
				rc = -1;
				break;
			}
			if (ktrust_check(pol, name, imgs[i]->manifest_digest, sigs, ns, NULL, 0, e) < 0)
				rc = n > 1 ? kerr_wrap(e, "image %zu", i + 1) : -1;
		} while (rc == 0 && t && t[k] && t[++k]);
		kstore_sigs_free(sigs, ns);
	}
	kimage_close_all(imgs, n);
	return rc;
}

/* stdin copied to an unlinked temp file, named by /proc/self/fd: the
 * archive is read twice (the policy check, the load). */
static int spool_stdin(char path[64], kerr *e)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return kerr_errno(e, "load: temp file in %s", dir);
	char buf[65536];
	ssize_t n;
	while ((n = read(0, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(fd, buf, (size_t)n) != n) {
			kerr_errno(e, "load: copy stdin to %s", dir);
			close(fd);
			return -1;
		}
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

static int load_run(const struct cli_call *c)
{
	struct load_args *a = c->opts;
	int from_stdin = !a->input || !strcmp(a->input, "-");
	if (from_stdin && isatty(0))
		return cli_usage_error(c, "requested load from stdin, but stdin is a terminal: use -i FILE or a pipe");
	struct kstore *s;
	int rc = kapsel_store(c, KSTORE_EXCLUSIVE, &s);
	if (rc)
		return rc;
	kstore_set_keep(s, KAPSEL_KEEP(a));
	kerr e = { 0 };
	struct ktrust_policy *pol = NULL;
	char spooled[64];
	_cleanup_close_ int spool = -1;
	const char *path = a->input;
	if (ktrust_load(a->trust_policy, &pol, &e) < 0 || (from_stdin && (spool = spool_stdin(spooled, &e)) < 0)) {
		ktrust_free(pol);
		kstore_close(s);
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	}
	if (from_stdin)
		path = spooled;
	rc = check_trust(pol, s, path, &e);
	if (rc < 0)
		kerr_wrap(&e, "load %s", from_stdin ? "stdin" : path);
	else
		rc = kstore_load(s, path, loaded, (void *)c, &e);
	ktrust_free(pol);
	kstore_close(s);
	if (rc < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_load = {
	.name = "load",
	.run = load_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "load images from a docker save archive or an OCI layout",
	.description =
		"Loads every image of a `docker save` archive (Docker <= 24 and podman's docker-archive,\n"
		"or Docker >= 25's OCI layout), or of an OCI image layout as a tar or a directory.\n"
		"Every blob is checked against its digest and every layer against the config's\n"
		"rootfs.diff_ids before anything enters the store (docs/images.md).\n",
	CLI_CMD_OPTIONS(struct load_args, load_options),
};
