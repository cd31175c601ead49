/* The monitor daemon's memory of the containers it has seen (store.h). */
#include "monitor/store.h"

#include "common/str.h"
#include "common/strv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void kmon_store_init(struct kmon_store *st, size_t hist, double keep_gone, double interval)
{
	memset(st, 0, sizeof(*st));
	st->hist = hist ? hist : 1;
	size_t fine = interval > 0 ? (size_t)(KMON_FINE_S / interval) + 1 : st->hist;
	st->fine = fine < st->hist ? fine : st->hist;
	double per = interval > 0 ? KMON_COARSE_S / interval : 1;
	st->per_coarse = per >= 1 ? (size_t)(per + 0.5) : 1;
	st->coarse = (st->hist - st->fine + st->per_coarse - 1) / st->per_coarse;
	st->keep_gone = keep_gone;
	st->interval = interval;
	st->memtotal = kmon_memtotal("/proc");
}

static void entry_done(struct kmon_entry *e)
{
	kmon_container_clear(&e->c);
	free(e->cgroup_seen);
	free(e->ring);
	free(e->cring);
}

void kmon_store_done(struct kmon_store *st)
{
	for (size_t i = 0; i < st->n; i++)
		entry_done(&st->e[i]);
	free(st->e);
	memset(st, 0, sizeof(*st));
}

/* The accumulator as a point (the mean of each rate's known values). */
static void acc_point(const struct kmon_hacc *a, struct kmon_hpoint *out)
{
	float *f[5];
	*out = a->p;
	f[0] = &out->cpu_pct, f[1] = &out->rx_rate, f[2] = &out->tx_rate, f[3] = &out->blk_read_rate,
	f[4] = &out->blk_write_rate;
	for (int k = 0; k < 5; k++)
		*f[k] = a->known[k] ? (float)(a->sum[k] / a->known[k]) : -1;
}

size_t kmon_entry_npoints(const struct kmon_entry *e)
{
	return e->cn + (e->acc.count > 0) + e->n;
}

const struct kmon_hpoint *kmon_entry_point(const struct kmon_entry *e, size_t i)
{
	static __thread struct kmon_hpoint partial;
	if (i < e->cn)
		return &e->cring[(e->chead + i) % e->ccap];
	i -= e->cn;
	if (e->acc.count > 0 && i == 0) {
		acc_point(&e->acc, &partial);
		return &partial;
	}
	i -= e->acc.count > 0;
	return i < e->n ? &e->ring[(e->head + i) % e->cap] : NULL;
}

/* Q, just out of the fine ring, into the coarse point being filled; a full
 * one into the coarse ring (the oldest dropped). */
static void fold(struct kmon_entry *e, const struct kmon_hpoint *q, size_t per)
{
	struct kmon_hacc *a = &e->acc;
	if (!e->ccap)
		return;
	const float v[5] = { q->cpu_pct, q->rx_rate, q->tx_rate, q->blk_read_rate, q->blk_write_rate };
	for (int k = 0; k < 5; k++)
		if (v[k] >= 0) {
			a->sum[k] += v[k];
			a->known[k]++;
		}
	a->p.t_cs = q->t_cs;
	a->p.have |= q->have;
	if (q->mem_kib > a->p.mem_kib)
		a->p.mem_kib = q->mem_kib;
	if (q->pids > a->p.pids)
		a->p.pids = q->pids;
	if (++a->count < per)
		return;
	struct kmon_hpoint c;
	acc_point(a, &c);
	if (e->cn < e->ccap) {
		e->cring[(e->chead + e->cn) % e->ccap] = c;
		e->cn++;
	} else {
		e->cring[e->chead] = c;
		e->chead = (e->chead + 1) % e->ccap;
	}
	memset(a, 0, sizeof(*a));
}

const struct kmon_point *kmon_entry_last(const struct kmon_entry *e)
{
	return e->have_last ? &e->last : NULL;
}

size_t kmon_entry_restarts_since(const struct kmon_entry *e, double now, double window)
{
	size_t k = 0;
	size_t n = e->n_restart_t < KMON_RESTARTS_KEPT ? e->n_restart_t : KMON_RESTARTS_KEPT;
	for (size_t i = 0; i < n; i++)
		if (e->restart_t[i] > now - window)
			k++;
	return k;
}

static void saw_restart(struct kmon_entry *e, double now)
{
	e->restart_t[e->n_restart_t++ % KMON_RESTARTS_KEPT] = now;
}

static struct kmon_entry *find_id(struct kmon_store *st, const char *id, enum kmon_engine engine)
{
	for (size_t i = 0; i < st->n; i++)
		if (!st->e[i].touched && st->e[i].c.engine == engine && !strcmp(st->e[i].c.id, id))
			return &st->e[i];
	return NULL;
}

double kmon_hpoint_t(const struct kmon_store *st, const struct kmon_hpoint *p)
{
	return st->t0 + p->t_cs / 100.0;
}

/* A time base no point is older than: days behind the first sample, moved
 * on once the newest points come near 2^32 cs (497 days) after it, and
 * moved back when the clock is stepped back behind it.  History spans a
 * day at most, so a base 4 days behind NOW keeps every point it needs
 * (older ones saturate at the base, or at 2^32 - 1). */
static void rebase(struct kmon_store *st, double now)
{
	double t0 = floor(now) - 4 * 86400;
	if (!st->t0) {
		st->t0 = t0;
		return;
	}
	double ahead = (now - st->t0) * 100.0;
	if (ahead >= 0 && ahead < 4e9)
		return;
	double dd = (t0 - st->t0) * 100.0; /* > 0: forward, < 0: back */
	uint32_t d = fabs(dd) >= 4294967295.0 ? UINT32_MAX : (uint32_t)fabs(dd);
	for (size_t i = 0; i < st->n; i++) {
		struct kmon_entry *e = &st->e[i];
		for (size_t k = 0; k < e->cap + e->ccap + 1; k++) {
			uint32_t *t = k < e->cap		? &e->ring[k].t_cs
				      : k < e->cap + e->ccap ? &e->cring[k - e->cap].t_cs
							     : &e->acc.p.t_cs;
			if (dd > 0)
				*t = *t > d ? *t - d : 0;
			else
				*t = *t < UINT32_MAX - d ? *t + d : UINT32_MAX;
		}
	}
	st->t0 = t0;
}

static void push_point(struct kmon_entry *e, const struct kmon_point *q, const struct kmon_store *st)
{
	size_t per = st->per_coarse;
	uint64_t kib = q->mem >> 10, pids = q->pids;
	double cs = (q->t - st->t0) * 100.0 + 0.5;
	struct kmon_hpoint hp = { .t_cs = cs <= 0 ? 0 : cs >= 4294967295.0 ? UINT32_MAX : (uint32_t)cs,
				  .cpu_pct = (float)q->cpu_pct,
				  .rx_rate = (float)q->rx_rate,
				  .tx_rate = (float)q->tx_rate,
				  .blk_read_rate = (float)q->blk_read_rate,
				  .blk_write_rate = (float)q->blk_write_rate,
				  .mem_kib = kib > UINT32_MAX ? UINT32_MAX : (uint32_t)kib,
				  .pids = pids >= 1u << 30 ? (1u << 30) - 1 : (uint32_t)pids,
				  .have = (uint8_t)(q->have & (KMON_P_MEM | KMON_P_PIDS)) };
	const struct kmon_hpoint *p = &hp;
	e->last = *q;
	e->have_last = 1;
	if (e->n < e->cap) {
		e->ring[(e->head + e->n) % e->cap] = *p;
		e->n++;
	} else {
		fold(e, &e->ring[e->head], per);
		e->ring[e->head] = *p;
		e->head = (e->head + 1) % e->cap;
	}
}

void kmon_reading_from(const struct kmon_sample *s, uint64_t memtotal, struct kmon_reading *r)
{
	const struct kcg_stats *cg = &s->cg;
	memset(r, 0, sizeof(*r));
	r->mono_ns = s->mono_ns;
	if (cg->have & KCG_HAVE_CPU) {
		r->have |= KMON_RD_CPU;
		r->cpu_ns = cg->cpu.total;
	}
	if (cg->have & KCG_HAVE_THROTTLE) {
		r->have |= KMON_RD_THROTTLE;
		r->periods = cg->cpu.periods;
		r->throttled = cg->cpu.throttled_periods;
	}
	if (cg->have & KCG_HAVE_OOM) {
		r->have |= KMON_RD_OOM;
		r->oom_kills = cg->mem.oom_kills;
	}
	if (s->n_net >= 0) {
		r->have |= KMON_RD_NET;
		for (int i = 0; i < s->n_net; i++) {
			r->rx += s->net[i].rx_bytes;
			r->tx += s->net[i].tx_bytes;
		}
	}
	struct kmon_dfig f;
	kmon_docker_figures(NULL, s, memtotal, &f);
	if (f.have_blk) {
		r->have |= KMON_RD_BLK;
		r->blk_read = f.blk_read;
		r->blk_write = f.blk_write;
	}
	if (f.have_mem) {
		r->have |= KMON_RD_MEM;
		r->mem = f.mem_usage;
		uint64_t lim = cg->mem.usage.limit;
		if ((cg->mem.usage.have & KCG_MC_LIMIT) && lim != UINT64_MAX && (!memtotal || lim < memtotal))
			r->mem_limit = lim;
	}
	if (cg->have & KCG_HAVE_PIDS) {
		r->have |= KMON_RD_PIDS;
		r->pids = cg->pids.current;
		r->pids_limit = cg->pids.limit == UINT64_MAX ? 0 : cg->pids.limit;
	}
}

/* The point of reading R of E (against E's previous one). */
static void take_reading(struct kmon_entry *e, const struct kmon_reading *r, double now, const struct kmon_store *st)
{
	struct kmon_point p = { .t = now,
				.cpu_pct = -1,
				.throttled_pct = -1,
				.rx_rate = -1,
				.tx_rate = -1,
				.blk_read_rate = -1,
				.blk_write_rate = -1 };
	const struct kmon_reading *q = &e->prev;
	unsigned both = e->have_prev ? q->have & r->have : 0;
	double dt = e->have_prev && r->mono_ns > q->mono_ns ? (double)(r->mono_ns - q->mono_ns) / 1e9 : 0;
	if (dt > 0 && (both & KMON_RD_CPU) && r->cpu_ns >= q->cpu_ns)
		p.cpu_pct = (double)(r->cpu_ns - q->cpu_ns) / 1e9 / dt * 100.0;
	if (dt > 0 && (both & KMON_RD_THROTTLE) && r->periods > q->periods && r->throttled >= q->throttled)
		p.throttled_pct = (double)(r->throttled - q->throttled) / (double)(r->periods - q->periods) * 100.0;
	if (dt > 0 && (both & KMON_RD_NET) && r->rx >= q->rx && r->tx >= q->tx) {
		p.rx_rate = (double)(r->rx - q->rx) / dt;
		p.tx_rate = (double)(r->tx - q->tx) / dt;
	}
	if (dt > 0 && (both & KMON_RD_BLK) && r->blk_read >= q->blk_read && r->blk_write >= q->blk_write) {
		p.blk_read_rate = (double)(r->blk_read - q->blk_read) / dt;
		p.blk_write_rate = (double)(r->blk_write - q->blk_write) / dt;
	}
	if (r->have & KMON_RD_MEM) {
		p.have |= KMON_P_MEM;
		p.mem = r->mem;
		p.mem_limit = r->mem_limit;
	}
	if (r->have & KMON_RD_PIDS) {
		p.have |= KMON_P_PIDS;
		p.pids = r->pids;
		p.pids_limit = r->pids_limit;
	}
	if (r->have & KMON_RD_OOM) {
		p.have |= KMON_P_OOM;
		p.oom_kills = r->oom_kills;
		if ((both & KMON_RD_OOM) && r->oom_kills > q->oom_kills)
			e->last_oom_t = now;
	}
	push_point(e, &p, st);
	e->prev = *r;
	e->have_prev = 1;
}

static void set_state(struct kmon_entry *e, const char *state, double now)
{
	if (!e->state || strcmp(e->state, state)) {
		e->state = state;
		e->state_since = now;
	}
}

int kmon_store_update(struct kmon_store *st, struct kmon_list *l, const struct kmon_reading *r, double now, kerr *e)
{
	rebase(st, now);
	for (size_t i = 0; i < st->n; i++)
		st->e[i].touched = 0;
	/* the new order: this discovery's, then the gone ones */
	struct kmon_entry *ne = calloc(l->n + st->n + 1, sizeof(*ne));
	if (!ne)
		return kerr_set(e, ENOMEM, "monitor store");
	size_t nn = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct kmon_container *c = &l->c[i];
		struct kmon_entry *old = find_id(st, c->id, c->engine);
		struct kmon_entry *x = &ne[nn++];
		if (old) { /* moved: its strings are x's now (and freed below) */
			*x = *old;
			old->touched = 1;
			old->ring = NULL;
			old->cring = NULL;
			old->cgroup_seen = NULL;
			/* a new start of the same container: a restart */
			if (c->restarts >= 0 && x->c.restarts >= 0 && c->restarts > x->c.restarts) {
				for (int64_t k = x->c.restarts; k < c->restarts; k++)
					saw_restart(x, now);
			} else if (c->restarts < 0 && c->running && x->c.started && c->started &&
				   (c->started - x->c.started > 1 || x->c.started - c->started > 1)) {
				saw_restart(x, now);
				x->restarts++;
			}
			if (c->log_dropped > x->c.log_dropped && x->c.log_dropped >= 0)
				x->last_drop_t = now;
			if (c->started != x->c.started)
				x->have_prev = 0; /* new counters */
			kmon_container_clear(&x->c);
		} else {
			x->cap = st->fine;
			x->ring = calloc(x->cap, sizeof(*x->ring));
			x->ccap = st->coarse;
			x->cring = x->ccap ? calloc(x->ccap, sizeof(*x->cring)) : NULL;
			if (!x->ring || (x->ccap && !x->cring)) {
				free(x->ring);
				free(x->cring);
				memset(x, 0, sizeof(*x));
				nn--;
				continue;
			}
		}
		x->c = *c;
		memset(c, 0, sizeof(*c));
		if (x->c.restarts >= 0)
			x->restarts = x->c.restarts;
		x->touched = 1;
		set_state(x, x->c.running ? "running" : "stopped", now);
		if (x->c.running && (!x->cgroup_seen || strcmp(x->cgroup_seen, x->c.cgroup))) {
			free(x->cgroup_seen);
			x->cgroup_seen = kstr_dup(x->c.cgroup);
		}
		if (x->c.running) {
			x->seen_running = 1;
			take_reading(x, &r[i], now, st);
		} else {
			x->have_prev = 0;
		}
	}
	for (size_t i = 0; i < st->n; i++) {
		struct kmon_entry *old = &st->e[i];
		if (old->touched)
			continue;
		set_state(old, "gone", now);
		if (now - old->state_since > st->keep_gone) {
			entry_done(old);
			continue;
		}
		old->c.running = 0;
		old->have_prev = 0;
		ne[nn++] = *old;
	}
	free(st->e);
	st->e = ne;
	st->n = nn;
	st->cap = nn;
	st->updated = now;
	l->n = 0; /* its containers are ours now */
	return 0;
}

const struct kmon_entry *kmon_store_find(const struct kmon_store *st, const char *query, kerr *e)
{
	const struct kmon_entry *hit = NULL;
	size_t ql = strlen(query);
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->e[i].c.id, query))
			return &st->e[i];
	for (size_t i = 0; i < st->n; i++)
		if (st->e[i].c.name && !strcmp(st->e[i].c.name, query))
			return &st->e[i];
	for (size_t i = 0; ql && i < st->n; i++) {
		if (strncmp(st->e[i].c.id, query, ql))
			continue;
		if (hit) {
			kerr_msg(e, EINVAL, "container %s: the id prefix is ambiguous", query);
			return NULL;
		}
		hit = &st->e[i];
	}
	if (!hit)
		kerr_msg(e, ENOENT, "no such container: %s", query);
	return hit;
}
