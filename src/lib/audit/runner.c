/* The runner: sets up the context, prefetches the data every check reads
 * (daemon, containers, images, host facts, tarballs, Dockerfiles) while
 * running the selected checks on a pool of threads, applies the ignore
 * file and returns the report. */
#include "internal.h"

#include "common/cleanup.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void audit_lazy_run(struct lazy *l, struct audit_ctx *ctx, void (*fn)(struct audit_ctx *))
{
	pthread_mutex_lock(&l->m);
	if (!l->done) {
		fn(ctx);
		l->done = 1;
	}
	pthread_mutex_unlock(&l->m);
}

void audit_ctx_notice(struct audit_ctx *ctx, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return;
	pthread_mutex_lock(&ctx->notice_m);
	if (!kstrv_contains(ctx->notices, s)) {
		char **n = realloc(ctx->notices, (ctx->nnotices + 2) * sizeof(char *));
		if (n) {
			ctx->notices = n;
			n[ctx->nnotices++] = s;
			n[ctx->nnotices] = NULL;
			s = NULL;
		}
	}
	pthread_mutex_unlock(&ctx->notice_m);
	free(s);
}

struct par {
	atomic_size_t next;
	size_t n;
	void (*fn)(void *, size_t);
	void *arg;
};

static void *par_worker(void *p)
{
	struct par *w = p;
	for (size_t i; (i = atomic_fetch_add(&w->next, 1)) < w->n;)
		w->fn(w->arg, i);
	return NULL;
}

void audit_ctx_parallel(struct audit_ctx *ctx, size_t n, void (*fn)(void *arg, size_t i), void *arg)
{
	struct par w = { .n = n, .fn = fn, .arg = arg };
	atomic_init(&w.next, 0);
	size_t nt = (size_t)(ctx->threads > 0 ? ctx->threads : 4);
	if (nt > n)
		nt = n;
	pthread_t th[64];
	if (nt > ARRAY_SIZE(th))
		nt = ARRAY_SIZE(th);
	size_t started = 0;
	for (size_t i = 1; i < nt; i++)
		if (pthread_create(&th[started], NULL, par_worker, &w) == 0)
			started++;
	par_worker(&w);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
}

/* ---- data loaders that live here ---- */

static void load_info(struct audit_ctx *ctx)
{
	kerr e;
	if (!ctx->api_ok)
		return;
	int st = kdocker_get(ctx->api, "/info", &ctx->info, &e);
	if (st != 200) {
		audit_ctx_notice(ctx, "GET /info: %s", st < 0 ? e.msg : "unexpected answer");
		json_object_put(ctx->info);
		ctx->info = NULL;
	}
}

void audit_ctx_info(struct audit_ctx *ctx)
{
	audit_lazy_run(&ctx->info_lazy, ctx, load_info);
}

static void load_daemon(struct audit_ctx *ctx)
{
	audit_ctx_info(ctx);
	audit_daemon_cfg_load(&ctx->daemon, ctx->api ? kdocker_socket(ctx->api) : NULL, ctx->o->daemon_json, ctx->info);
	if (ctx->daemon.json_error)
		audit_ctx_notice(ctx, "daemon.json: %s", ctx->daemon.json_error);
}

void audit_ctx_daemon(struct audit_ctx *ctx)
{
	audit_lazy_run(&ctx->daemon_lazy, ctx, load_daemon);
}

static void load_host(struct audit_ctx *ctx)
{
	audit_ctx_containers(ctx);
	pid_t *pids = calloc(ctx->nconts + 1, sizeof(pid_t));
	size_t n = 0;
	for (size_t i = 0; pids && i < ctx->ndocker; i++)
		if (ctx->conts[i].running && ctx->conts[i].pid > 0)
			pids[n++] = ctx->conts[i].pid;
	audit_host_facts_load(&ctx->host, ctx->o->audit_rules, pids, n);
	free(pids);
}

void audit_ctx_host(struct audit_ctx *ctx)
{
	audit_lazy_run(&ctx->host_lazy, ctx, load_host);
}

static void fs_one(void *arg, size_t i)
{
	struct audit_ctx *ctx = arg;
	kerr e;
	if (kimagefs_load(&ctx->fs[i], ctx->o->image_tars[i], &e) < 0) {
		ctx->fs[i].error = strdup(e.msg);
		audit_ctx_notice(ctx, "%s", e.msg);
	}
}

static void load_imagefs(struct audit_ctx *ctx)
{
	size_t n = kstrv_len(ctx->o->image_tars);
	ctx->fs = calloc(n + 1, sizeof(*ctx->fs));
	if (!ctx->fs)
		return;
	ctx->nfs = n;
	audit_ctx_parallel(ctx, n, fs_one, ctx);
}

void audit_ctx_imagefs(struct audit_ctx *ctx)
{
	audit_lazy_run(&ctx->fs_lazy, ctx, load_imagefs);
}

static void load_dockerfiles(struct audit_ctx *ctx)
{
	size_t n = kstrv_len(ctx->o->dockerfiles);
	ctx->dfs = calloc(n + 1, sizeof(*ctx->dfs));
	if (!ctx->dfs)
		return;
	for (size_t i = 0; i < n; i++) {
		kerr e;
		if (kdockerfile_load(&ctx->dfs[ctx->ndfs], ctx->o->dockerfiles[i], &e) < 0) {
			audit_ctx_notice(ctx, "%s", e.msg);
			kdockerfile_free(&ctx->dfs[ctx->ndfs]);
			continue;
		}
		ctx->ndfs++;
	}
}

void audit_ctx_dockerfiles(struct audit_ctx *ctx)
{
	audit_lazy_run(&ctx->df_lazy, ctx, load_dockerfiles);
}

const char *audit_ctx_swarm_state(struct audit_ctx *ctx)
{
	audit_ctx_info(ctx);
	return kj_get_str(kj_get(ctx->info, "Swarm"), "LocalNodeState");
}

static void load_swarm(struct audit_ctx *ctx)
{
	kerr e;
	const char *st = audit_ctx_swarm_state(ctx);
	if (!ctx->api_ok || !st || strcmp(st, "active"))
		return;
	if (kdocker_get(ctx->api, "/networks", &ctx->networks, &e) != 200) {
		json_object_put(ctx->networks);
		ctx->networks = NULL;
	}
	if (kdocker_get(ctx->api, "/swarm", &ctx->swarm, &e) != 200) {
		json_object_put(ctx->swarm);
		ctx->swarm = NULL;
	}
	const char *node = kj_get_str(kj_get(ctx->info, "Swarm"), "NodeID");
	char path[256];
	snprintf(path, sizeof(path), "/nodes/%s", node ? node : "");
	if (node && kdocker_get(ctx->api, path, &ctx->node, &e) != 200) {
		json_object_put(ctx->node);
		ctx->node = NULL;
	}
}

void audit_ctx_swarm(struct audit_ctx *ctx)
{
	audit_lazy_run(&ctx->net_lazy, ctx, load_swarm);
}

/* ---- the ignore file ---- */

struct ignore_rule {
	char *id, *glob, *where;
};

static int read_ignore(const char *path, struct ignore_rule **out, size_t *nout, kerr *e)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return kerr_set(e, errno, "ignore file %s", path);
	char line[1024];
	int lineno = 0;
	size_t n = 0;
	struct ignore_rule *r = NULL;
	size_t nchecks;
	const struct audit_check *t = audit_checks(&nchecks);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *save = NULL, *id = strtok_r(line, " \t\r\n", &save);
		if (!id)
			continue;
		char *glob = strtok_r(NULL, " \t\r\n", &save);
		int known = 0;
		for (size_t k = 0; k < nchecks && !known; k++)
			known = audit_id_matches(id, t[k].id);
		if (!known) {
			for (size_t i = 0; i < n; i++) {
				free(r[i].id);
				free(r[i].glob);
				free(r[i].where);
			}
			free(r);
			return kerr_msg(e, EINVAL, "ignore file %s: line %d: no check or section \"%s\"", path, lineno, id);
		}
		struct ignore_rule *nr = realloc(r, (n + 1) * sizeof(*nr));
		if (!nr)
			break;
		r = nr;
		r[n].id = strdup(id);
		r[n].glob = glob ? strdup(glob) : NULL;
		r[n].where = kstr_printf("%s:%d", path, lineno);
		n++;
	}
	*out = r;
	*nout = n;
	return 0;
}

static void apply_ignore(struct audit_result *r, const struct ignore_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!audit_id_matches(rules[i].id, r->check->id))
			continue;
		if (!rules[i].glob) {
			audit_res_clear(r);
			audit_res_set(r, AUDIT_SKIP, "ignored (%s)", rules[i].where);
			return;
		}
		size_t k = 0;
		for (size_t j = 0; j < r->nev; j++) {
			struct audit_evidence *ev = &r->ev[j];
			if (ev->level != AUDIT_PASS && !fnmatch(rules[i].glob, ev->object, 0)) {
				free(ev->kind);
				free(ev->object);
				free(ev->message);
				r->suppressed++;
				continue;
			}
			r->ev[k++] = *ev;
		}
		r->nev = k;
	}
}

/* ---- the run ---- */

struct run {
	struct audit_ctx *ctx;
	struct audit_result *res;
	size_t nres;
	struct ignore_rule *ign;
	size_t nign;
	unsigned want_imgs, want_daemon, want_host, want_fs, want_df;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#define NPREFETCH 7

static void run_one(void *arg, size_t i)
{
	struct run *run = arg;
	struct audit_ctx *ctx = run->ctx;
	if (i < NPREFETCH) {
		/* data first: containers take longest, start them at once */
		switch (i) {
		case 0: audit_ctx_containers(ctx); break;
		case 1: if (run->want_daemon) audit_ctx_daemon(ctx); break;
		case 2: if (run->want_imgs) audit_ctx_images(ctx); break;
		case 3: if (run->want_host) audit_ctx_host(ctx); break;
		case 4: if (run->want_fs) audit_ctx_imagefs(ctx); break;
		case 5: if (run->want_df) audit_ctx_dockerfiles(ctx); break;
		case 6: audit_ctx_info(ctx); break;
		}
		return;
	}
	struct audit_result *r = &run->res[i - NPREFETCH];
	const struct audit_check *c = r->check;
	double t0 = now_ms();
	if ((c->needs & AUDIT_NEED_API) && !ctx->api_ok)
		audit_res_skip(r, "needs the Docker daemon: %s", ctx->api_error ? ctx->api_error : "not used (--no-daemon)");
	else if ((c->needs & AUDIT_NEED_IMAGEFS) && !ctx->o->image_tars)
		audit_res_skip(r, "no image tarball given (--image)");
	else if ((c->needs & AUDIT_NEED_DOCKERFILE) && !ctx->o->dockerfiles)
		audit_res_skip(r, "no Dockerfile given (--dockerfile)");
	else
		c->run(ctx, r);
	apply_ignore(r, run->ign, run->nign);
	audit_res_finish(r);
	r->ms = now_ms() - t0;
}

static int selected(const struct audit_opts *o, const char *id)
{
	if (o->select && o->select[0]) {
		int any = 0;
		for (size_t i = 0; o->select[i] && !any; i++)
			any = audit_id_matches(o->select[i], id);
		if (!any)
			return 0;
	}
	for (size_t i = 0; o->exclude && o->exclude[i]; i++)
		if (audit_id_matches(o->exclude[i], id))
			return 0;
	return 1;
}

static void ctx_free(struct audit_ctx *ctx)
{
	kdocker_free(ctx->api);
	free(ctx->api_error);
	json_object_put(ctx->version);
	json_object_put(ctx->info);
	audit_daemon_cfg_free(&ctx->daemon);
	for (size_t i = 0; i < ctx->nconts; i++)
		kcont_free(&ctx->conts[i]);
	free(ctx->conts);
	json_object_put(ctx->exec_info);
	for (size_t i = 0; i < ctx->nimgs; i++) {
		free(ctx->imgs[i].id);
		free(ctx->imgs[i].name);
		json_object_put(ctx->imgs[i].inspect);
		json_object_put(ctx->imgs[i].history);
	}
	free(ctx->imgs);
	audit_host_facts_free(&ctx->host);
	for (size_t i = 0; i < ctx->nfs; i++)
		kimagefs_free(&ctx->fs[i]);
	free(ctx->fs);
	for (size_t i = 0; i < ctx->ndfs; i++)
		kdockerfile_free(&ctx->dfs[i]);
	free(ctx->dfs);
	json_object_put(ctx->networks);
	json_object_put(ctx->swarm);
	json_object_put(ctx->node);
	kstrv_free(ctx->notices);
	pthread_mutex_destroy(&ctx->notice_m);
}

static void connect_daemon(struct audit_ctx *ctx, struct audit_report *rep)
{
	const struct audit_opts *o = ctx->o;
	const char *host = o->docker_host;
	if (!host || !*host)
		host = "unix:///var/run/docker.sock";
	rep->docker_host = strdup(host);
	if (o->no_daemon) {
		ctx->api_error = strdup("not used (--no-daemon)");
		return;
	}
	kerr e;
	ctx->api = kdocker_new(host, "kapsel-audit/" KAPSEL_VERSION, &e);
	if (!ctx->api) {
		ctx->api_error = strdup(e.msg);
		return;
	}
	if (kdocker_version(ctx->api, &ctx->version, &e) < 0) {
		ctx->api_error = strdup(e.msg);
		return;
	}
	/* /info is slow to answer: it is fetched while the containers are */
	ctx->api_ok = 1;
	rep->daemon_reachable = 1;
	rep->daemon_version = kstr_dup(kj_get_str(ctx->version, "Version"));
}

int audit_run(const struct audit_opts *o, struct audit_report **out, kerr *e)
{
	if (audit_validate_opts(o, e) < 0)
		return -1;
	struct run run = { 0 };
	if (o->ignore_file && read_ignore(o->ignore_file, &run.ign, &run.nign, e) < 0)
		return -1;
	struct audit_report *rep = calloc(1, sizeof(*rep));
	struct audit_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!rep || !ctx) {
		free(rep);
		free(ctx);
		return kerr_set(e, ENOMEM, "audit");
	}
	double t0 = now_ms();
	rep->started = time(NULL);
	ctx->o = o;
	struct lazy init = LAZY_INIT;
	ctx->info_lazy = ctx->daemon_lazy = ctx->cont_lazy = ctx->img_lazy = ctx->host_lazy = init;
	ctx->fs_lazy = ctx->df_lazy = ctx->net_lazy = init;
	pthread_mutex_init(&ctx->notice_m, NULL);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	ctx->threads = o->threads > 0 ? o->threads : (int)(ncpu > 0 ? ncpu * 4 : 8);
	if (ctx->threads > 32)
		ctx->threads = 32;

	connect_daemon(ctx, rep);
	if (ctx->api_error)
		rep->daemon_error = strdup(ctx->api_error);

	size_t n;
	const struct audit_check *t = audit_checks(&n);
	run.ctx = ctx;
	run.res = calloc(n + 1, sizeof(*run.res));
	if (!run.res) {
		ctx_free(ctx);
		free(ctx);
		free(rep);
		return kerr_set(e, ENOMEM, "audit");
	}
	for (size_t i = 0; i < n; i++) {
		if (!selected(o, t[i].id))
			continue;
		run.res[run.nres].check = &t[i];
		run.res[run.nres].level = -1;
		run.nres++;
		char c0 = t[i].id[0];
		run.want_imgs |= c0 == '4' || c0 == '6';
		run.want_daemon |= c0 == '1' || c0 == '2' || c0 == '3' || c0 == '5' || !strncmp(t[i].id, "K1", 2);
		run.want_host |= c0 == '1' || !strcmp(t[i].id, "5.7");
		run.want_fs |= !strncmp(t[i].id, "K2", 2) || !strcmp(t[i].id, "4.6");
		run.want_df |= !strncmp(t[i].id, "K3", 2);
	}
	audit_ctx_parallel(ctx, NPREFETCH + run.nres, run_one, &run);

	rep->results = run.res;
	rep->n = run.nres;
	rep->containers = ctx->nconts;
	rep->images = ctx->nimgs + ctx->nfs;
	rep->notices = ctx->notices;
	rep->nnotices = ctx->nnotices;
	ctx->notices = NULL;
	for (size_t i = 0; i < run.nign; i++) {
		free(run.ign[i].id);
		free(run.ign[i].glob);
		free(run.ign[i].where);
	}
	free(run.ign);
	ctx_free(ctx);
	free(ctx);
	rep->duration_ms = now_ms() - t0;
	*out = rep;
	return 0;
}

void audit_report_free(struct audit_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		audit_res_clear(&r->results[i]);
	free(r->results);
	free(r->docker_host);
	free(r->daemon_error);
	free(r->daemon_version);
	kstrv_free(r->notices);
	free(r);
}
