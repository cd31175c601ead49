/* kapsel pull: an image from a registry into the store, with Docker's
 * progress display on a terminal (one line per layer: bytes and rate) and
 * one line per finished layer otherwise. */
#include "kapsel.h"

#include "common/units.h"
#include "image/registry.h"
#include "image/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct pull_args {
	struct kapsel_registry_args reg;
	const char *platform;
	int quiet;
	int parallel;
};

static const struct cli_option pull_options[] = {
	CLI_OPT_STRING(0, "platform", struct pull_args, platform, "OS/ARCH[/VARIANT]",
		       "the image of an index to pull (default this host's)"),
	CLI_OPT_FLAG('q', "quiet", struct pull_args, quiet, "print only the image ID"),
	CLI_OPT_INT(0, "parallel", struct pull_args, parallel, "N", 1, 32, "layers fetched at once (default 4)"),
	CLI_OPT_INCLUDE(kapsel_registry_options),
	CLI_OPT_END,
};

struct row {
	char id[13];
	char status[24];
	int64_t done, total;
	double t0;
};

struct show {
	int tty, quiet;
	struct row *rows;
	size_t n, drawn;
	double last;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct row *row_of(struct show *sh, const char *digest)
{
	const char *hex = strncmp(digest, "sha256:", 7) ? digest : digest + 7;
	for (size_t i = 0; i < sh->n; i++)
		if (!strncmp(sh->rows[i].id, hex, 12))
			return &sh->rows[i];
	struct row *nr = realloc(sh->rows, (sh->n + 1) * sizeof(*nr));
	if (!nr)
		return NULL;
	sh->rows = nr;
	struct row *r = &sh->rows[sh->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%.12s", hex);
	return r;
}

static void draw(struct show *sh)
{
	if (sh->drawn)
		printf("\033[%zuA", sh->drawn);
	for (size_t i = 0; i < sh->n; i++) {
		struct row *r = &sh->rows[i];
		char done[32], total[32], rate[32] = "";
		printf("\r\033[K%s: %s", r->id, r->status);
		if (!strcmp(r->status, "Downloading")) {
			double dt = now_s() - r->t0;
			kunits_human_size(r->done, done, sizeof(done));
			kunits_human_size(r->total, total, sizeof(total));
			if (dt > 0.05) {
				kunits_human_size((int64_t)(r->done / dt), rate, sizeof(rate));
				strcat(rate, "/s");
			}
			int bar = r->total ? (int)(40 * r->done / r->total) : 0;
			printf("  [%.*s>%*s]  %s/%s  %s", bar, "========================================", 40 - bar, "",
			       done, total, rate);
		}
		putchar('\n');
	}
	sh->drawn = sh->n;
	fflush(stdout);
}

static void progress(void *ud, enum kreg_event ev, const char *digest, int64_t done, int64_t total)
{
	struct show *sh = ud;
	static const char *const status[] = {
		[KREG_EV_EXISTS] = "Already exists", [KREG_EV_WAITING] = "Waiting",
		[KREG_EV_PROGRESS] = "Downloading",  [KREG_EV_RETRY] = "Retrying",
		[KREG_EV_VERIFYING] = "Verifying",   [KREG_EV_DONE] = "Pull complete",
	};
	if (sh->quiet || ev == KREG_EV_RESOLVED || ev == KREG_EV_MOUNTED)
		return;
	struct row *r = row_of(sh, digest);
	if (!r)
		return;
	if (ev == KREG_EV_PROGRESS && !r->t0)
		r->t0 = now_s();
	snprintf(r->status, sizeof(r->status), "%s", status[ev]);
	r->done = done;
	r->total = total;
	if (!sh->tty) {
		if (ev == KREG_EV_EXISTS || ev == KREG_EV_DONE || ev == KREG_EV_RETRY)
			printf("%s: %s\n", r->id, r->status);
		return;
	}
	double t = now_s();
	if (ev != KREG_EV_PROGRESS || t - sh->last > 0.1) {
		sh->last = t;
		draw(sh);
	}
}

static int pull_run(const struct cli_call *c)
{
	struct pull_args *a = c->opts;
	struct kapsel_registry reg;
	int rc = kapsel_registry_setup(c, &a->reg, &reg);
	if (rc)
		return rc;
	struct show sh = { .tty = isatty(1), .quiet = a->quiet };
	reg.o.platform = a->platform;
	reg.o.parallel = a->parallel;
	reg.o.progress = progress;
	reg.o.ud = &sh;
	struct kstore *s;
	if ((rc = kapsel_store(c, KSTORE_EXCLUSIVE, &s))) {
		kapsel_registry_done(&reg);
		return rc;
	}
	const struct kstore_image *img;
	char digest[72];
	kerr e = { 0 };
	if (!a->quiet)
		printf("Pulling %s\n", c->argv[0]);
	if (kreg_pull(s, c->argv[0], &reg.o, &img, digest, &e) < 0) {
		rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	} else if (a->quiet) {
		printf("%s\n", img->id);
	} else {
		if (sh.tty)
			draw(&sh);
		printf("Digest: %s\nImage: %s\n", digest, img->id);
	}
	kstore_close(s);
	free(sh.rows);
	kapsel_registry_done(&reg);
	return rc ? rc : fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
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
		"HTTPS only, unless kapsel.conf [registries] insecure names the registry.\n",
	CLI_CMD_OPTIONS(struct pull_args, pull_options),
};
