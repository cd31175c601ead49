/* The transfer display of pull and push: on a terminal one line per blob,
 * redrawn in place as `docker pull` does (status, a bar, bytes and rate);
 * otherwise one line per blob when it is done (or retried). */
#include "kapsel.h"

#include "common/units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const struct kapsel_progress_words kapsel_pull_words = {
	.exists = "Already exists",
	.moving = "Downloading",
	.done = "Pull complete",
};
const struct kapsel_progress_words kapsel_push_words = {
	.exists = "Layer already exists",
	.moving = "Pushing",
	.done = "Pushed",
};

struct kapsel_progress_row {
	char id[13];
	const char *status;
	int64_t done, total;
	double t0;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct kapsel_progress_row *row_of(struct kapsel_progress *p, const char *digest)
{
	const char *hex = strncmp(digest, "sha256:", 7) ? digest : digest + 7;
	for (size_t i = 0; i < p->n; i++)
		if (!strncmp(p->rows[i].id, hex, 12))
			return &p->rows[i];
	struct kapsel_progress_row *nr = realloc(p->rows, (p->n + 1) * sizeof(*nr));
	if (!nr)
		return NULL;
	p->rows = nr;
	struct kapsel_progress_row *r = &p->rows[p->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%.12s", hex);
	return r;
}

/* where the display goes: stdout, or the run's stderr */
static FILE *out_of(const struct kapsel_progress *p)
{
	return p->out ? p->out : stdout;
}

static void draw(struct kapsel_progress *p)
{
	static const char bar[] = "========================================";
	if (p->drawn)
		fprintf(out_of(p), "\033[%zuA", p->drawn);
	for (size_t i = 0; i < p->n; i++) {
		struct kapsel_progress_row *r = &p->rows[i];
		fprintf(out_of(p), "\r\033[K%s: %s", r->id, r->status);
		if (r->status == p->words->moving && r->total > 0) {
			char done[32], total[32], rate[40] = "";
			double dt = now_s() - r->t0;
			kunits_human_size(r->done, done, sizeof(done));
			kunits_human_size(r->total, total, sizeof(total));
			if (dt > 0.05) {
				kunits_human_size((int64_t)(r->done / dt), rate, sizeof(rate) - 2);
				strcat(rate, "/s");
			}
			int w = (int)(40 * r->done / r->total);
			fprintf(out_of(p), "  [%.*s>%*s]  %s/%s  %s", w, bar, 40 - w, "", done, total, rate);
		}
		fputc('\n', out_of(p));
	}
	p->drawn = p->n;
	fflush(out_of(p));
}

void kapsel_progress_event(void *ud, enum kreg_event ev, const char *digest, int64_t done, int64_t total)
{
	struct kapsel_progress *p = ud;
	const char *status = ev == KREG_EV_EXISTS      ? p->words->exists
			     : ev == KREG_EV_WAITING   ? "Waiting"
			     : ev == KREG_EV_PROGRESS  ? p->words->moving
			     : ev == KREG_EV_RETRY     ? "Retrying"
			     : ev == KREG_EV_VERIFYING ? "Verifying"
			     : ev == KREG_EV_DONE      ? p->words->done
			     : ev == KREG_EV_MOUNTED   ? "Mounted from another repository"
						       : NULL;
	struct kapsel_progress_row *r;
	if (p->quiet || !status || !(r = row_of(p, digest)))
		return;
	if (ev == KREG_EV_PROGRESS && !r->t0)
		r->t0 = now_s();
	r->status = status;
	r->done = done;
	r->total = total;
	if (!p->tty) {
		if (ev == KREG_EV_EXISTS || ev == KREG_EV_DONE || ev == KREG_EV_RETRY || ev == KREG_EV_MOUNTED)
			fprintf(out_of(p), "%s: %s\n", r->id, status);
		return;
	}
	double t = now_s();
	if (ev != KREG_EV_PROGRESS || t - p->last > 0.1) {
		p->last = t;
		draw(p);
	}
}

void kapsel_progress_end(struct kapsel_progress *p)
{
	if (p->tty && !p->quiet && p->n)
		draw(p);
}

void kapsel_progress_done(struct kapsel_progress *p)
{
	free(p->rows);
	p->rows = NULL;
	p->n = p->drawn = 0;
}
