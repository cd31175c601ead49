/* kapsel stats [CONTAINER...]: live usage of every container on the host,
 * whoever started it, with `docker stats`' columns and CPU % formula.
 * --no-stream prints one table (two samples STATS_WINDOW apart, for the
 * CPU %); --format json prints the Engine API's stats object per
 * container, one a line; any other --format is a Go-style template over
 * Docker's placeholders ({{.Name}}, {{.CPUPerc}}, ...; "table " first
 * prints the header). */
#include "kapsel.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/loop.h"
#include "common/str.h"
#include "common/strv.h"
#include "monitor/monitor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --no-stream: between the two samples.  One CFS period (100 ms, the
 * kernel's default cpu.cfs_period_us): a shorter window can fall wholly in
 * the throttled part of a quota-limited container's period and show 0 %;
 * unaligned with the periods, this one can show up to twice the quota. */
#define STATS_WINDOW (100 * KLOOP_NSEC_PER_MSEC)
#define STATS_PERIOD KLOOP_NSEC_PER_SEC /* live refresh */

struct stats_args {
	struct kmon_src_args src; /* first: see KMON_SRC_OPTIONS */
	int no_stream, all, no_trunc;
	const char *format;
};

static const struct cli_option stats_options[] = {
	CLI_OPT_FLAG('a', "all", struct stats_args, all, "show all containers (default shows just running)"),
	CLI_OPT_FLAG(0, "no-stream", struct stats_args, no_stream, "print one table and exit"),
	CLI_OPT_FLAG(0, "no-trunc", struct stats_args, no_trunc, "do not truncate container ids"),
	CLI_OPT_STRING(0, "format", struct stats_args, format, "FORMAT", "table (default), json, or a template"),
	KMON_SRC_OPTIONS(struct stats_args, src),
	CLI_OPT_END,
};

/* ---------------------------------------------------------- templates */

enum field { F_CONTAINER, F_NAME, F_ID, F_CPU, F_MEMUSAGE, F_MEMPERC, F_NET, F_BLOCK, F_PIDS, F_N };
static const char *const field_names[F_N] = { "Container", "Name",  "ID",      "CPUPerc", "MemUsage",
					      "MemPerc",   "NetIO", "BlockIO", "PIDs" };
static const char *const field_heads[F_N] = { "CONTAINER", "NAME",    "CONTAINER ID", "CPU %", "MEM USAGE / LIMIT",
					      "MEM %",     "NET I/O", "BLOCK I/O",    "PIDS" };
#define TABLE_DEFAULT \
	"table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t" \
	"{{.PIDs}}"

/* A template as pieces: literal text or a field. */
struct piece {
	int field; /* -1: literal */
	char *text;
};

struct tmpl {
	int table;
	struct piece *p;
	size_t n;
};

static void tmpl_done(struct tmpl *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->p[i].text);
	free(t->p);
}

static int tmpl_add(struct tmpl *t, int field, const char *s, size_t len)
{
	struct piece *np = reallocarray(t->p, t->n + 1, sizeof(*np));
	if (!np)
		return -1;
	t->p = np;
	t->p[t->n].field = field;
	t->p[t->n].text = field < 0 ? strndup(s, len) : NULL;
	if (field < 0 && !t->p[t->n].text)
		return -1;
	t->n++;
	return 0;
}

/* "table {{.Name}}\t{{.CPUPerc}}": \t and \n as Go's templates see them
 * from a shell ("\t" written as two characters works too). */
static int tmpl_parse(const char *s, struct tmpl *t, kerr *e)
{
	memset(t, 0, sizeof(*t));
	if (kstr_starts(s, "table")) {
		t->table = 1;
		s += 5;
		while (*s == ' ')
			s++;
	}
	while (*s) {
		const char *open = strstr(s, "{{");
		size_t lit = open ? (size_t)(open - s) : strlen(s);
		for (size_t i = 0; i < lit; i++) {
			if (s[i] == '\\' && (s[i + 1] == 't' || s[i + 1] == 'n')) {
				if (tmpl_add(t, -1, s[i + 1] == 't' ? "\t" : "\n", 1) < 0)
					goto oom;
				i++;
			} else if (tmpl_add(t, -1, s + i, 1) < 0) {
				goto oom;
			}
		}
		if (!open)
			break;
		const char *close = strstr(open, "}}");
		if (!close)
			return kerr_msg(e, EINVAL, "--format: unclosed \"{{\" at \"%s\"", open);
		const char *f = open + 2;
		while (*f == ' ')
			f++;
		size_t fl = (size_t)(close - f);
		while (fl && f[fl - 1] == ' ')
			fl--;
		int k = -1;
		for (int i = 0; i < F_N && f[0] == '.'; i++)
			if (strlen(field_names[i]) == fl - 1 && !strncmp(f + 1, field_names[i], fl - 1))
				k = i;
		if (k < 0)
			return kerr_msg(e, EINVAL,
					"--format: unknown placeholder \"%.*s\" (known: .Container .Name .ID "
					".CPUPerc .MemUsage .MemPerc .NetIO .BlockIO .PIDs)",
					(int)fl, f);
		if (tmpl_add(t, k, "", 0) < 0)
			goto oom;
		s = close + 2;
	}
	return 0;
oom:
	return kerr_set(e, ENOMEM, "--format");
}

/* ------------------------------------------------------------- output */

/* Rows of cells; columns end at a tab.  Docker's tabwriter: a cell is as
 * wide as the column's widest plus 3, at least 10; the last not padded. */
struct grid {
	char **cells; /* NULL marks the end of a row */
	size_t n;
};

static void grid_add(struct grid *g, const char *s)
{
	char **nc = reallocarray(g->cells, g->n + 1, sizeof(*nc));
	if (!nc)
		return;
	g->cells = nc;
	g->cells[g->n++] = s ? kstr_dup(s) : NULL;
}

static void grid_print(struct grid *g, FILE *out)
{
	size_t w[64] = { 0 };
	for (size_t i = 0, col = 0; i < g->n; i++, col++) {
		if (!g->cells[i]) {
			col = (size_t)-1;
			continue;
		}
		size_t l = strlen(g->cells[i]);
		if (col < 64 && l > w[col])
			w[col] = l;
	}
	for (size_t i = 0, col = 0; i < g->n; i++, col++) {
		if (!g->cells[i]) {
			fputc('\n', out);
			col = (size_t)-1;
			continue;
		}
		int last = !g->cells[i + 1];
		size_t width = col < 64 ? w[col] + 3 : 0;
		if (width < 10)
			width = 10;
		fprintf(out, "%-*s", last ? 0 : (int)width, g->cells[i]);
	}
	for (size_t i = 0; i < g->n; i++)
		free(g->cells[i]);
	free(g->cells);
	g->cells = NULL;
	g->n = 0;
}

/* One container's row: its field texts. */
static void row_fields(const struct kmon_container *c, const struct kmon_dfig *f, int no_trunc, char out[F_N][96])
{
	char a[32], b[32];
	snprintf(out[F_CONTAINER], 96, "%.*s", no_trunc ? 95 : 12, c->id);
	snprintf(out[F_ID], 96, "%.*s", no_trunc ? 95 : 12, c->id);
	snprintf(out[F_NAME], 96, "%s", c->name);
	snprintf(out[F_CPU], 96, "%.2f%%", f->cpu_pct);
	kmon_size_binary(f->mem_usage, a, sizeof(a));
	kmon_size_binary(f->mem_limit, b, sizeof(b));
	snprintf(out[F_MEMUSAGE], 96, "%s / %s", a, b);
	snprintf(out[F_MEMPERC], 96, "%.2f%%", f->mem_pct);
	kmon_size_decimal(f->net_rx, a, sizeof(a));
	kmon_size_decimal(f->net_tx, b, sizeof(b));
	snprintf(out[F_NET], 96, "%s / %s", a, b);
	kmon_size_decimal(f->blk_read, a, sizeof(a));
	kmon_size_decimal(f->blk_write, b, sizeof(b));
	snprintf(out[F_BLOCK], 96, "%s / %s", a, b);
	snprintf(out[F_PIDS], 96, "%llu", (unsigned long long)f->pids);
}

/* Lay the template out: a tab ends a cell, a newline a row. */
static void tmpl_row(const struct tmpl *t, char fields[F_N][96], const int header, struct grid *g)
{
	char cell[1024] = "";
	size_t len = 0;
	for (size_t i = 0; i < t->n; i++) {
		const char *s = t->p[i].field < 0 ? t->p[i].text
				: header          ? field_heads[t->p[i].field]
						  : fields[t->p[i].field];
		if (t->p[i].field < 0 && (!strcmp(s, "\t") || !strcmp(s, "\n"))) {
			grid_add(g, cell);
			if (*s == '\n')
				grid_add(g, NULL);
			cell[0] = '\0';
			len = 0;
			continue;
		}
		len += (size_t)snprintf(cell + len, sizeof(cell) - (len < sizeof(cell) ? len : sizeof(cell)), "%s", s);
		if (len >= sizeof(cell))
			len = sizeof(cell) - 1;
	}
	grid_add(g, cell);
	grid_add(g, NULL);
}

/* -------------------------------------------------------------- state */

struct stats_run {
	const struct stats_args *a;
	const struct cli_call *call;
	struct kmon_sources src;
	struct kcg_host host;
	uint64_t memtotal;
	struct tmpl t;
	int json, tty, rounds;
	/* the samples of the last round, by id */
	char **prev_ids;
	struct kmon_sample *prev;
	size_t n_prev;
	struct kmon_list list;
	const struct kmon_container **show;
	struct kmon_sample *cur;
	size_t n_show;
	int failed;
};

static void round_free(struct stats_run *r)
{
	for (size_t i = 0; i < r->n_prev; i++)
		kmon_sample_done(&r->prev[i]);
	free(r->prev);
	kstrv_free(r->prev_ids);
	r->prev = NULL;
	r->prev_ids = NULL;
	r->n_prev = 0;
}

/* Discover and pick what to show (DISCOVER; else the last round's
 * containers again), then read each. */
static int sample_round(struct stats_run *r, int discover, kerr *e)
{
	if (discover) {
		kmon_list_done(&r->list);
		free(r->show);
		r->show = NULL;
		r->n_show = 0;
		if (kmon_discover(&r->src, &r->list, e) < 0)
			return -1;
		const struct cli_call *c = r->call;
		r->show = calloc(c->argc ? (size_t)c->argc : r->list.n + 1, sizeof(*r->show));
		if (!r->show)
			return kerr_set(e, ENOMEM, "stats");
		for (int i = 0; i < c->argc; i++) {
			const struct kmon_container *k = kmon_find(&r->list, c->argv[i], e);
			if (!k)
				return -1;
			r->show[r->n_show++] = k;
		}
		for (size_t i = 0; !c->argc && i < r->list.n; i++)
			r->show[r->n_show++] = &r->list.c[i];
	}
	struct kmon_sample *cur = calloc(r->n_show + 1, sizeof(*cur));
	if (!cur)
		return kerr_set(e, ENOMEM, "stats");
	for (size_t i = 0; i < r->n_show; i++) {
		kerr se = { 0 };
		if (kmon_sample_read(&r->host, "/proc", r->show[i],
				     KMON_SAMPLE_HOST_CPU | (r->json ? KMON_SAMPLE_PERCPU : 0), &cur[i], &se) < 0) {
			/* gone between discovery and reading: show it without figures */
			memset(&cur[i], 0, sizeof(cur[i]));
			cur[i].n_net = -1;
		}
	}
	r->cur = cur;
	return 0;
}

static const struct kmon_sample *prev_of(struct stats_run *r, const char *id)
{
	for (size_t i = 0; i < r->n_prev; i++)
		if (!strcmp(r->prev_ids[i], id))
			return &r->prev[i];
	return NULL;
}

static void print_round(struct stats_run *r)
{
	FILE *out = stdout;
	if (r->json) {
		for (size_t i = 0; i < r->n_show; i++) {
			_cleanup_json_ json_object *o =
				kmon_docker_json(r->show[i], prev_of(r, r->show[i]->id), &r->cur[i]);
			fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		}
		fflush(out);
		return;
	}
	struct grid g = { 0 };
	char fields[F_N][96];
	if (r->tty && !r->a->no_stream)
		fputs("\033[2J\033[H", out);
	if (r->t.table)
		tmpl_row(&r->t, fields, 1, &g);
	for (size_t i = 0; i < r->n_show; i++) {
		struct kmon_dfig f;
		kmon_docker_figures(prev_of(r, r->show[i]->id), &r->cur[i], r->memtotal, &f);
		row_fields(r->show[i], &f, r->a->no_trunc, fields);
		tmpl_row(&r->t, fields, 0, &g);
	}
	grid_print(&g, out);
	fflush(out);
}

/* This round's samples become the previous ones. */
static void keep_round(struct stats_run *r)
{
	round_free(r);
	r->prev = r->cur;
	r->n_prev = r->n_show;
	r->cur = NULL;
	for (size_t i = 0; i < r->n_show; i++)
		kstrv_add(&r->prev_ids, r->show[i]->id);
}

static int on_tick(struct kloop_source *s, uint64_t n, void *data, kerr *e)
{
	(void)n;
	struct stats_run *r = data;
	/* --no-stream: the second sample is of the same containers */
	if (sample_round(r, !(r->a->no_stream && r->rounds > 0), e) < 0)
		return -1;
	if (!r->a->no_stream || r->rounds > 0)
		print_round(r);
	keep_round(r);
	if (r->a->no_stream && ++r->rounds == 2)
		kloop_exit(kloop_source_loop(s), 0);
	else if (!r->a->no_stream)
		r->rounds++;
	return 0;
}

static int stats_run(const struct cli_call *c)
{
	const struct stats_args *a = c->opts;
	struct stats_run r = { .a = a, .call = c, .tty = isatty(STDOUT_FILENO) };
	kerr e = { 0 };
	int rc = CLI_EXIT_FAILURE;
	_cleanup_(kloop_freep) struct kloop *l = NULL;
	const char *fmt = a->format && *a->format && strcmp(a->format, "table") ? a->format : TABLE_DEFAULT;
	r.json = a->format && !strcmp(a->format, "json");
	if (!r.json && tmpl_parse(fmt, &r.t, &e) < 0)
		return cli_usage_error(c, "%s", e.msg);
	kmon_src_from_args(&a->src, &r.src);
	r.src.all = a->all;
	if (kcg_host_detect(&r.host, &e) < 0)
		goto out;
	r.memtotal = kmon_memtotal("/proc");
	if (kloop_new(&l, &e) < 0 ||
	    !kloop_add_timer(l, 0, 0, a->no_stream ? STATS_WINDOW : STATS_PERIOD, on_tick, &r, &e))
		goto out;
	if (kloop_run(l, &e) == 0)
		rc = CLI_EXIT_OK;
out:
	if (rc != CLI_EXIT_OK)
		cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	round_free(&r);
	if (r.cur) {
		for (size_t i = 0; i < r.n_show; i++)
			kmon_sample_done(&r.cur[i]);
		free(r.cur);
	}
	free(r.show);
	kmon_list_done(&r.list);
	tmpl_done(&r.t);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_stats = {
	.name = "stats",
	.run = stats_run,
	.min_args = 0,
	.max_args = -1,
	.args = "[CONTAINER...]",
	.summary = "live CPU, memory, network, block IO and PIDs of containers (any engine's)",
	.description =
		"Every container on the host is shown: kapsel-runtime's, Docker's, Podman's,\n"
		"containerd's and Kubernetes pods' (docs/monitoring.md). CONTAINER is an id, a unique\n"
		"id prefix or a name. Columns and CPU % are Docker's.\n",
	CLI_CMD_OPTIONS(struct stats_args, stats_options),
};
