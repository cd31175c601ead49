/* kapsel images: the store's images in Docker's columns (REPOSITORY TAG
 * IMAGE ID CREATED SIZE), newest first, one row per name; or one JSON
 * object per line with --format json, as `docker images --format json`;
 * or each row through a Go template (--format '{{.Repository}}:{{.Tag}}',
 * the subset of engine/template.h that ps and inspect take), with
 * Docker's fields .ID .Repository .Tag .Digest .CreatedSince .CreatedAt
 * .Size (.VirtualSize in bytes); "table TEMPLATE" adds a header row and
 * aligns the tab-separated columns, as Docker's tabwriter does.  The
 * image library knows no templates (it may not include engine): the
 * formatting is this file's. */
#include "kapsel.h"

#include "common/jsonw.h"
#include "common/time.h"
#include "common/units.h"
#include "common/cleanup.h"
#include "common/json.h"
#include "engine/template.h"
#include "image/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct images_args {
	int digests, no_trunc, quiet;
	const char *format;
};

#define A struct images_args
static const struct cli_option images_options[] = {
	CLI_OPT_FLAG(0, "digests", A, digests, "show the manifest digests"),
	CLI_OPT_FLAG(0, "no-trunc", A, no_trunc, "show the full image IDs"),
	CLI_OPT_FLAG('q', "quiet", A, quiet, "only the image IDs"),
	CLI_OPT_STRING(0, "format", A, format, "table|json|TEMPLATE|table TEMPLATE",
		       "output format (default table); TEMPLATE: a Go template over .ID .Repository .Tag .Digest "
		       ".CreatedSince .CreatedAt .Size"),
	CLI_OPT_END,
};
#undef A

#define NCOL 6

struct row {
	const struct kstore_image *img;
	time_t created;
	char *col[NCOL]; /* repository, tag, digest, id, created, size */
};

static time_t created_of(const struct kstore_image *img)
{
	struct timespec ts;
	return img->created && ktime_parse(img->created, &ts) == 0 ? ts.tv_sec : 0;
}

static int newest_first(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->created != y->created)
		return x->created < y->created ? 1 : -1;
	int c = strcmp(x->col[0], y->col[0]);
	return c ? c : strcmp(x->col[1], y->col[1]);
}

static int add_row(struct row **rows, size_t *n, const struct kstore_image *img, const char *name,
		   const struct images_args *a)
{
	struct row *nr = realloc(*rows, (*n + 1) * sizeof(*nr));
	if (!nr)
		return -1;
	*rows = nr;
	struct row *r = &nr[(*n)++];
	char size[32], age[64];
	r->img = img;
	r->created = created_of(img);
	size_t rl = name ? kstore_repo_len(name) : 0;
	kunits_human_size(img->size, size, sizeof(size));
	if (r->created) {
		kunits_human_duration((int64_t)(time(NULL) - r->created), age, sizeof(age));
		strcat(age, " ago");
	} else {
		strcpy(age, "N/A");
	}
	r->col[0] = name ? strndup(name, rl) : strdup("<none>");
	r->col[1] = strdup(name && name[rl] ? name + rl + 1 : "<none>");
	r->col[2] = strdup(img->manifest ? img->manifest : "<none>");
	r->col[3] = a->no_trunc ? strdup(img->id) : strndup(img->id + 7, 12);
	r->col[4] = strdup(age);
	r->col[5] = strdup(size);
	for (int i = 0; i < NCOL; i++)
		if (!r->col[i])
			return -1;
	return 0;
}

static void created_at(const struct row *r, char at[64])
{
	snprintf(at, 64, "N/A");
	if (r->created) {
		struct tm tm;
		gmtime_r(&r->created, &tm);
		strftime(at, 64, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
	}
}

/* The row as the object a template sees (Docker's field names). */
static json_object *row_object(const struct row *r)
{
	char at[64];
	created_at(r, at);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ID", json_object_new_string(r->col[3]));
	json_object_object_add(o, "Repository", json_object_new_string(r->col[0]));
	json_object_object_add(o, "Tag", json_object_new_string(r->col[1]));
	json_object_object_add(o, "Digest", json_object_new_string(r->col[2]));
	json_object_object_add(o, "CreatedSince", json_object_new_string(r->col[4]));
	json_object_object_add(o, "CreatedAt", json_object_new_string(at));
	json_object_object_add(o, "Size", json_object_new_string(r->col[5]));
	json_object_object_add(o, "VirtualSize", json_object_new_int64(r->img->size));
	return o;
}

/* The header row of "table TEMPLATE": each field's column title. */
static json_object *header_object(void)
{
	static const char *const h[][2] = {
		{ "ID", "IMAGE ID" },   { "Repository", "REPOSITORY" },    { "Tag", "TAG" },
		{ "Digest", "DIGEST" }, { "CreatedSince", "CREATED" },     { "CreatedAt", "CREATED AT" },
		{ "Size", "SIZE" },     { "VirtualSize", "VIRTUAL SIZE" },
	};
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		json_object_object_add(o, h[i][0], json_object_new_string(h[i][1]));
	return o;
}

/* The escapes a shell leaves in '...\t...' as Docker reads them. */
static char *unescape(const char *t)
{
	char *out = malloc(strlen(t) + 1), *o = out;
	if (!out)
		return NULL;
	for (; *t; t++) {
		if (t[0] == '\\' && (t[1] == 't' || t[1] == 'n')) {
			*o++ = t[1] == 't' ? '\t' : '\n';
			t++;
		} else {
			*o++ = *t;
		}
	}
	*o = '\0';
	return out;
}

/* Lines whose cells are separated by tabs, aligned: each column as wide as
 * its widest cell, three spaces between (Docker's tabwriter, padding 3). */
static void print_aligned(char **lines, size_t n)
{
	size_t width[64] = { 0 };
	for (size_t k = 0; k < n; k++) {
		size_t c = 0;
		for (const char *p = lines[k]; c < 64; c++) {
			size_t l = strcspn(p, "\t");
			if (!p[l])
				break; /* the last cell is not padded */
			if (l > width[c])
				width[c] = l;
			p += l + 1;
		}
	}
	for (size_t k = 0; k < n; k++) {
		size_t c = 0;
		const char *p = lines[k];
		for (;; c++) {
			size_t l = strcspn(p, "\t");
			if (!p[l] || c >= 64) {
				printf("%s\n", p);
				break;
			}
			printf("%.*s%*s", (int)l, p, (int)(width[c] - l + 3), "");
			p += l + 1;
		}
	}
}

/* --format TEMPLATE or "table TEMPLATE" over ROWS. */
static int print_template(const struct cli_call *c, const char *format, const struct row *rows, size_t n)
{
	int table = !strncmp(format, "table ", 6);
	_cleanup_free_ char *t = unescape(table ? format + 6 : format);
	char **lines = calloc(n + 2, sizeof(char *));
	size_t nl = 0;
	kerr e = { 0 };
	int rc = t && lines ? 0 : cli_error(c, CLI_EXIT_FAILURE, "out of memory");
	if (rc == 0 && table) {
		_cleanup_json_ json_object *h = header_object();
		if (!(lines[nl++] = keng_template_apply(t, h, &e)))
			rc = cli_error(c, CLI_EXIT_FAILURE, "--format: %s", e.msg);
	}
	for (size_t k = 0; rc == 0 && k < n; k++) {
		_cleanup_json_ json_object *o = row_object(&rows[k]);
		if (!(lines[nl++] = keng_template_apply(t, o, &e)))
			rc = cli_error(c, CLI_EXIT_FAILURE, "--format: %s", e.msg);
	}
	if (rc == 0 && table)
		print_aligned(lines, nl);
	for (size_t k = 0; rc == 0 && !table && k < nl; k++)
		printf("%s\n", lines[k]);
	for (size_t k = 0; lines && k < nl; k++)
		free(lines[k]);
	free(lines);
	return rc;
}

static void print_json(const struct row *r)
{
	struct jsonw w;
	jsonw_init(&w);
	jsonw_obj_open(&w);
	char at[64];
	created_at(r, at);
	jsonw_key_str(&w, "CreatedAt", at);
	jsonw_key_str(&w, "CreatedSince", r->col[4]);
	jsonw_key_str(&w, "Digest", r->col[2]);
	jsonw_key_str(&w, "ID", r->col[3]);
	jsonw_key_str(&w, "Repository", r->col[0]);
	jsonw_key_str(&w, "Size", r->col[5]);
	jsonw_key_str(&w, "Tag", r->col[1]);
	jsonw_key_int(&w, "VirtualSize", r->img->size);
	jsonw_obj_close(&w);
	if (w.buf)
		printf("%s\n", w.buf);
	jsonw_free(&w);
}

static void print_table(const struct row *rows, size_t n, int digests)
{
	static const char *const head[NCOL] = { "REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE" };
	size_t width[NCOL];
	for (int i = 0; i < NCOL; i++) {
		width[i] = strlen(head[i]);
		for (size_t k = 0; k < n; k++)
			if (strlen(rows[k].col[i]) > width[i])
				width[i] = strlen(rows[k].col[i]);
	}
	for (size_t k = 0; k <= n; k++) {
		for (int i = 0; i < NCOL; i++) {
			if (i == 2 && !digests)
				continue;
			const char *v = k == 0 ? head[i] : rows[k - 1].col[i];
			if (i == NCOL - 1)
				printf("%s\n", v);
			else
				printf("%-*s   ", (int)width[i], v);
		}
	}
}

static int images_run(const struct cli_call *c)
{
	const struct images_args *a = c->opts;
	const char *fmt = a->format && strcmp(a->format, "table") ? a->format : NULL;
	kerr fe = { 0 };
	if (fmt && strcmp(fmt, "json")) {
		_cleanup_free_ char *t = unescape(!strncmp(fmt, "table ", 6) ? fmt + 6 : fmt);
		if (!t || keng_template_check(t, &fe) < 0)
			return cli_usage_error(c, "--format: %s", t ? fe.msg : "out of memory");
	}
	struct kstore *s;
	int rc = kapsel_store(c, KSTORE_SHARED, &s);
	if (rc)
		return rc;
	size_t n, nrows = 0;
	const struct kstore_image *img = kstore_images(s, &n);
	struct row *rows = NULL;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!img[i].names[0] && add_row(&rows, &nrows, &img[i], NULL, a) < 0)
			rc = -1;
		for (char **nm = img[i].names; rc == 0 && *nm; nm++)
			if (add_row(&rows, &nrows, &img[i], *nm, a) < 0)
				rc = -1;
	}
	if (rc == 0) {
		qsort(rows, nrows, sizeof(*rows), newest_first);
		for (size_t k = 0; a->quiet && k < nrows; k++)
			if (k == 0 || rows[k].img != rows[k - 1].img)
				printf("%s\n", rows[k].col[3]);
		for (size_t k = 0; !a->quiet && fmt && !strcmp(fmt, "json") && k < nrows; k++)
			print_json(&rows[k]);
		if (!a->quiet && !fmt)
			print_table(rows, nrows, a->digests);
	}
	int trc = 0;
	if (rc == 0 && !a->quiet && fmt && strcmp(fmt, "json"))
		trc = print_template(c, fmt, rows, nrows);
	for (size_t k = 0; k < nrows; k++)
		for (int i = 0; i < NCOL; i++)
			free(rows[k].col[i]);
	free(rows);
	kstore_close(s);
	if (rc < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
	if (trc)
		return trc;
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_images = {
	.name = "images",
	.run = images_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "list the images of the store",
	CLI_CMD_OPTIONS(struct images_args, images_options),
};
