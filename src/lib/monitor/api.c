/* /api/containers JSON (api.h). */
#include "monitor/api.h"

#include "common/jsonw.h"
#include "common/str.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* S as valid UTF-8 */
static void str(struct jsonw *w, const char *key, const char *s)
{
	char *copy = kstr_dup(s ? s : "");
	if (!copy) {
		w->oom = 1;
		return;
	}
	kstr_utf8_sanitize(copy);
	jsonw_key_str(w, key, copy);
	free(copy);
}

static void num_fmt(struct jsonw *w, const char *key, const char *fmt, double v, int known)
{
	char buf[64];
	jsonw_key(w, key);
	if (!known || !isfinite(v)) {
		jsonw_null(w);
		return;
	}
	snprintf(buf, sizeof(buf), fmt, v);
	jsonw_raw(w, buf);
	w->need_comma = 1;
}

static void num(struct jsonw *w, const char *key, double v, int known)
{
	num_fmt(w, key, "%.15g", v, known);
}

/* a float of the history: its 6 digits */
static void numf(struct jsonw *w, const char *key, float v)
{
	num_fmt(w, key, "%.6g", v, v >= 0);
}

static void u64(struct jsonw *w, const char *key, uint64_t v, int known)
{
	char buf[32];
	jsonw_key(w, key);
	if (!known) {
		jsonw_null(w);
		return;
	}
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	jsonw_raw(w, buf);
	w->need_comma = 1;
}

static void container(struct jsonw *w, const struct kmon_store *st, const struct kmon_entry *en, int history)
{
	const struct kmon_container *c = &en->c;
	const struct kmon_point *p = kmon_entry_last(en);
	int live = c->running && p;
	jsonw_obj_open(w);
	str(w, "id", c->id);
	str(w, "name", c->name ? c->name : c->id);
	str(w, "image", c->image);
	str(w, "engine", kmon_engine_to_name(c->engine));
	str(w, "state", en->state);
	str(w, "health", c->health);
	jsonw_key(w, "restarts");
	if (c->restarts >= 0 || en->seen_running)
		jsonw_int(w, en->restarts);
	else
		jsonw_null(w);
	num(w, "started", c->started, c->started > 0);
	num(w, "cpu_percent", live ? p->cpu_pct : 0, live && p->cpu_pct >= 0);
	int mem = live && (p->have & KMON_P_MEM);
	u64(w, "memory_usage", mem ? p->mem : 0, mem);
	u64(w, "memory_limit", mem ? p->mem_limit : 0, mem && p->mem_limit);
	num(w, "memory_percent", mem && p->mem_limit ? (double)p->mem / (double)p->mem_limit * 100.0 : 0,
	    mem && p->mem_limit);
	int pids = live && (p->have & KMON_P_PIDS);
	u64(w, "pids", pids ? p->pids : 0, pids);
	u64(w, "pids_limit", pids ? p->pids_limit : 0, pids && p->pids_limit);
	num(w, "net_rx_rate", live ? p->rx_rate : 0, live && p->rx_rate >= 0);
	num(w, "net_tx_rate", live ? p->tx_rate : 0, live && p->tx_rate >= 0);
	num(w, "blk_read_rate", live ? p->blk_read_rate : 0, live && p->blk_read_rate >= 0);
	num(w, "blk_write_rate", live ? p->blk_write_rate : 0, live && p->blk_write_rate >= 0);
	int oom = live && (p->have & KMON_P_OOM);
	u64(w, "oom_kills", oom ? p->oom_kills : 0, oom);
	jsonw_key(w, "labels");
	jsonw_obj_open(w);
	for (size_t i = 0; c->labels && c->labels[i] && c->labels[i + 1]; i += 2) {
		char *k = kstr_dup(c->labels[i]);
		if (!k) {
			w->oom = 1;
			break;
		}
		kstr_utf8_sanitize(k);
		str(w, k, c->labels[i + 1]);
		free(k);
	}
	jsonw_obj_close(w);
	if (history) {
		jsonw_key(w, "history");
		jsonw_arr_open(w);
		for (size_t i = 0, np = kmon_entry_npoints(en); i < np; i++) {
			const struct kmon_hpoint *q = kmon_entry_point(en, i);
			jsonw_obj_open(w);
			num(w, "t", kmon_hpoint_t(st, q), 1);
			numf(w, "cpu_percent", q->cpu_pct);
			u64(w, "memory_usage", (uint64_t)q->mem_kib << 10, q->have & KMON_P_MEM);
			u64(w, "pids", q->pids, q->have & KMON_P_PIDS);
			numf(w, "net_rx_rate", q->rx_rate);
			numf(w, "net_tx_rate", q->tx_rate);
			numf(w, "blk_read_rate", q->blk_read_rate);
			numf(w, "blk_write_rate", q->blk_write_rate);
			jsonw_obj_close(w);
		}
		jsonw_arr_close(w);
	}
	jsonw_obj_close(w);
}

static char *done(struct jsonw *w)
{
	if (w->oom) {
		jsonw_free(w);
		return NULL;
	}
	return w->buf;
}

static char *containers(const struct kmon_store *st, int history)
{
	struct jsonw w;
	jsonw_init(&w);
	jsonw_obj_open(&w);
	num(&w, "time", st->updated, 1);
	num(&w, "interval", st->interval, 1);
	jsonw_key(&w, "containers");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < st->n; i++)
		container(&w, st, &st->e[i], history);
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	return done(&w);
}

char *kmon_api_containers(const struct kmon_store *st)
{
	return containers(st, 0);
}

char *kmon_api_containers_history(const struct kmon_store *st)
{
	return containers(st, 1);
}

char *kmon_api_container(const struct kmon_store *st, const struct kmon_entry *en)
{
	(void)st;
	struct jsonw w;
	jsonw_init(&w);
	container(&w, st, en, 1);
	return done(&w);
}
