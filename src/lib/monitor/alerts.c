/* Alert rules evaluated in the monitor daemon (alerts.h). */
#include "monitor/alerts.h"

#include "common/cleanup.h"
#include "common/conf.h"
#include "common/jsonw.h"
#include "common/str.h"
#include "common/strv.h"
#include "common/time.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

struct rule_def {
	const char *section, *alertname, *severity;
	struct kmon_rule_conf def;
	const char *const *keys; /* besides enabled */
};

static const char *const k_tf[] = { "threshold", "for", NULL };
static const char *const k_f[] = { "for", NULL };
static const char *const k_w[] = { "window", NULL };
static const char *const k_tw[] = { "threshold", "window", NULL };
static const char *const k_disk[] = { "threshold", "for", "paths", NULL };

static const struct rule_def rules[KMON_R_N] = {
	[KMON_R_MEMORY] = { "memory", "ContainerMemoryNearLimit", "warning", { true, 90, 120, 0 }, k_tf },
	[KMON_R_OOM] = { "oom", "ContainerOOMKilled", "critical", { true, 0, 0, 300 }, k_w },
	[KMON_R_RESTARTS] = { "restarts", "ContainerRestarting", "warning", { true, 3, 0, 900 }, k_tw },
	[KMON_R_UNHEALTHY] = { "unhealthy", "ContainerUnhealthy", "warning", { true, 0, 300, 0 }, k_f },
	[KMON_R_CPU_THROTTLED] = { "cpu_throttled", "ContainerCPUThrottled", "info", { true, 25, 900, 0 }, k_tf },
	[KMON_R_PIDS] = { "pids", "ContainerPidsNearLimit", "warning", { true, 90, 60, 0 }, k_tf },
	[KMON_R_DOWN] = { "down", "ContainerDown", "warning", { true, 0, 60, 0 }, k_f },
	[KMON_R_LOG_DISK] = { "log_disk", "KapselLogDiskFull", "warning", { true, 80, 60, 0 }, k_disk },
	[KMON_R_LOG_DROPPED] = { "log_dropped", "ContainerLogLinesDropped", "warning", { true, 0, 0, 300 }, k_w },
};

const char *kmon_rule_alertname(enum kmon_rule r)
{
	return r < KMON_R_N ? rules[r].alertname : "?";
}

const char *kmon_alert_state_name(enum kmon_alert_state s)
{
	static const char *const n[] = { "inactive", "pending", "firing", "resolved" };
	return s <= KMON_A_RESOLVED ? n[s] : "?";
}

/* ------------------------------------------------------------- config */

int kmon_alerts_conf_defaults(struct kmon_alerts_conf *c, kerr *e)
{
	memset(c, 0, sizeof(*c));
	for (int r = 0; r < KMON_R_N; r++)
		c->r[r] = rules[r].def;
	c->resend = 60;
	c->syslog = true;
	c->log_paths = kstrv_split("/var/lib/kapsel", " ");
	c->syslog_socket = kstr_dup("/dev/log");
	return c->log_paths && c->syslog_socket ? 0 : kerr_set(e, ENOMEM, "alert rules");
}

void kmon_alerts_conf_done(struct kmon_alerts_conf *c)
{
	free(c->alertmanager);
	free(c->syslog_socket);
	kstrv_free(c->log_paths);
	memset(c, 0, sizeof(*c));
}

/* A number of seconds ("30", "0.5") or a Go duration ("2m"). */
static int get_seconds(const struct kconf *k, const char *sec, const char *key, double *out, kerr *e)
{
	const char *v = kconf_get(k, sec, key);
	if (!v)
		return 0;
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (*v && !*end && !errno && d >= 0 && isfinite(d)) {
		*out = d;
		return 0;
	}
	int64_t ns;
	if (kconf_get_duration(k, sec, key, &ns, e) < 0)
		return -1;
	if (ns < 0)
		return kerr_msg(e, EINVAL, "%s: [%s] %s: a duration may not be negative", kconf_path(k), sec, key);
	*out = (double)ns / 1e9;
	return 0;
}

static int get_number(const struct kconf *k, const char *sec, const char *key, double *out, kerr *e)
{
	const char *v = kconf_get(k, sec, key);
	if (!v)
		return 0;
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (*end == '%')
		end++;
	if (!*v || *end || errno || !isfinite(d) || d < 0)
		return kerr_msg(e, EINVAL, "%s: [%s] %s: \"%s\" is not a number >= 0", kconf_path(k), sec, key, v);
	*out = d;
	return 0;
}

static int apply(const struct kconf *k, struct kmon_alerts_conf *c, kerr *e)
{
	const char *sections[KMON_R_N + 3];
	size_t ns = 0;
	for (int r = 0; r < KMON_R_N; r++)
		sections[ns++] = rules[r].section;
	sections[ns++] = "alertmanager";
	sections[ns++] = "syslog";
	sections[ns] = NULL;
	if (kconf_check_sections(k, sections, e) < 0)
		return -1;
	for (int r = 0; r < KMON_R_N; r++) {
		const char *sec = rules[r].section;
		const char *known[6] = { "enabled" };
		size_t nk = 1;
		for (const char *const *p = rules[r].keys; *p; p++)
			known[nk++] = *p;
		known[nk] = NULL;
		struct kmon_rule_conf *rc = &c->r[r];
		if (kconf_check(k, sec, known, e) < 0 || kconf_get_bool(k, sec, "enabled", &rc->enabled, e) < 0 ||
		    get_number(k, sec, "threshold", &rc->threshold, e) < 0 ||
		    get_seconds(k, sec, "for", &rc->for_s, e) < 0 || get_seconds(k, sec, "window", &rc->window, e) < 0)
			return -1;
	}
	if (kconf_get(k, "log_disk", "paths")) {
		char **l = NULL;
		if (kconf_get_list(k, "log_disk", "paths", &l, e) < 0)
			return -1;
		kstrv_free(c->log_paths);
		c->log_paths = l;
		if (kstrv_len(l) > KMON_ALERTS_MAX_PATHS)
			return kerr_msg(e, EINVAL, "%s: [log_disk] paths: at most %d", kconf_path(k),
					KMON_ALERTS_MAX_PATHS);
	}
	static const char *const am_keys[] = { "url", "resend", NULL };
	static const char *const sl_keys[] = { "enabled", "socket", NULL };
	if (kconf_check(k, "alertmanager", am_keys, e) < 0 || kconf_check(k, "syslog", sl_keys, e) < 0 ||
	    get_seconds(k, "alertmanager", "resend", &c->resend, e) < 0 ||
	    kconf_get_bool(k, "syslog", "enabled", &c->syslog, e) < 0)
		return -1;
	const char *url = kconf_get(k, "alertmanager", "url");
	if (url && *url) {
		if (!kstr_starts(url, "http://") && !kstr_starts(url, "https://"))
			return kerr_msg(e, EINVAL, "%s: [alertmanager] url: \"%s\" is not an http:// or https:// URL",
					kconf_path(k), url);
		/* /api/v2/alerts goes after it */
		if (strpbrk(url, "?# \t\r\n"))
			return kerr_msg(e, EINVAL,
					"%s: [alertmanager] url: the Alertmanager's base URL, without a query (?), "
					"a fragment (#) or blanks",
					kconf_path(k));
		free(c->alertmanager);
		if (!(c->alertmanager = kstr_dup(url)))
			return kerr_set(e, ENOMEM, "alert rules");
	}
	const char *sock = kconf_get(k, "syslog", "socket");
	if (sock) {
		if (*sock != '/')
			return kerr_msg(e, EINVAL, "%s: [syslog] socket: \"%s\" is not an absolute path", kconf_path(k),
					sock);
		free(c->syslog_socket);
		if (!(c->syslog_socket = kstr_dup(sock)))
			return kerr_set(e, ENOMEM, "alert rules");
	}
	if (c->resend <= 0)
		return kerr_msg(e, EINVAL, "%s: [alertmanager] resend must be more than 0", kconf_path(k));
	return 0;
}

static int load(struct kconf *k, struct kmon_alerts_conf *c, kerr *e)
{
	if (!k)
		return -1;
	int r = kmon_alerts_conf_defaults(c, e);
	if (r == 0)
		r = apply(k, c, e);
	kconf_free(k);
	if (r < 0)
		kmon_alerts_conf_done(c);
	return r;
}

int kmon_alerts_conf_load(const char *path, bool missing_ok, struct kmon_alerts_conf *c, kerr *e)
{
	struct kconf *k = NULL;
	memset(c, 0, sizeof(*c));
	if (kconf_load(path, missing_ok, &k, e) < 0)
		return -1;
	return load(k, c, e);
}

int kmon_alerts_conf_parse(const char *name, const char *text, struct kmon_alerts_conf *c, kerr *e)
{
	struct kconf *k = NULL;
	memset(c, 0, sizeof(*c));
	if (kconf_parse(name, text, &k, e) < 0)
		return -1;
	return load(k, c, e);
}

/* ------------------------------------------------------------- disks */

int kmon_disk_usage(const char *path, double *pct, kerr *e)
{
	struct statvfs s;
	if (statvfs(path, &s) < 0)
		return kerr_set(e, errno, "statvfs %s", path);
	/* df: used / (used + available to users) */
	double used = (double)(s.f_blocks - s.f_bfree), avail = (double)s.f_bavail;
	*pct = used + avail > 0 ? used / (used + avail) * 100.0 : 0;
	return 0;
}

/* -------------------------------------------------------- evaluation */

static void alert_free(struct kmon_alert *a)
{
	free(a->key);
	kstrv_free(a->labels);
	free(a->summary);
}

void kmon_alerts_done(struct kmon_alerts *al)
{
	for (size_t i = 0; i < al->n; i++)
		alert_free(&al->a[i]);
	free(al->a);
	memset(al, 0, sizeof(*al));
}

void kmon_alerts_gc(struct kmon_alerts *al, const struct kmon_alerts_conf *c, double now)
{
	size_t k = 0;
	for (size_t i = 0; i < al->n; i++) {
		const struct kmon_alert *a = &al->a[i];
		int done = a->state == KMON_A_INACTIVE ||
			   (a->state == KMON_A_RESOLVED &&
			    (!c->alertmanager || (a->resolved_seq && al->delivered >= a->resolved_seq) ||
			     now - a->resolved_at > 4 * c->resend));
		if (done)
			alert_free(&al->a[i]);
		else
			al->a[k++] = al->a[i];
	}
	al->n = k;
}

size_t kmon_alerts_undelivered(const struct kmon_alerts *al)
{
	size_t k = 0;
	for (size_t i = 0; i < al->n; i++)
		k += al->a[i].state == KMON_A_RESOLVED &&
		     (!al->a[i].resolved_seq || al->delivered < al->a[i].resolved_seq);
	return k;
}

void kmon_alerts_delivered(struct kmon_alerts *al, uint64_t seq)
{
	if (seq > al->delivered)
		al->delivered = seq;
}

size_t kmon_alerts_firing(const struct kmon_alerts *al, enum kmon_rule r)
{
	size_t k = 0;
	for (size_t i = 0; i < al->n; i++)
		k += al->a[i].rule == r && al->a[i].state == KMON_A_FIRING;
	return k;
}

static struct kmon_alert *get_alert(struct kmon_alerts *al, enum kmon_rule r, const char *key, kerr *e)
{
	for (size_t i = 0; i < al->n; i++)
		if (al->a[i].rule == r && !strcmp(al->a[i].key, key) && al->a[i].state != KMON_A_RESOLVED &&
		    al->a[i].state != KMON_A_INACTIVE)
			return &al->a[i];
	if (al->n == al->cap) {
		size_t cap = al->cap ? al->cap * 2 : 8;
		struct kmon_alert *na = reallocarray(al->a, cap, sizeof(*na));
		if (!na) {
			kerr_set(e, ENOMEM, "alerts");
			return NULL;
		}
		al->a = na;
		al->cap = cap;
	}
	struct kmon_alert *a = &al->a[al->n];
	memset(a, 0, sizeof(*a));
	a->rule = r;
	a->key = kstr_dup(key);
	a->labels = calloc(1, sizeof(char *));
	if (!a->key || !a->labels) {
		alert_free(a);
		kerr_set(e, ENOMEM, "alerts");
		return NULL;
	}
	al->n++;
	return a;
}

struct eval {
	struct kmon_alerts *al;
	const struct kmon_alerts_conf *c;
	double now;
	kmon_alert_fn fn;
	void *data;
	kerr *e;
};

static void transition(struct eval *v, struct kmon_alert *a, enum kmon_alert_state s)
{
	a->state = s;
	if (s == KMON_A_FIRING)
		a->fired_at = v->now;
	if (s == KMON_A_RESOLVED)
		a->resolved_at = v->now;
	if (s == KMON_A_FIRING || s == KMON_A_RESOLVED)
		v->al->dirty = 1;
	if (v->fn)
		v->fn(a, v->data);
}

/* The condition of rule R holds for KEY with VALUE: pending, then firing
 * after the rule's `for`.  LABELS (key, value, ..., NULL) and SUMMARY are
 * set when the alert is new (and refreshed). */
static int holds(struct eval *v, enum kmon_rule r, const char *key, const char *const *labels, double value,
		 const char *summary)
{
	struct kmon_alert *a = get_alert(v->al, r, key, v->e);
	if (!a)
		return -1;
	a->seen = 1;
	a->value = value;
	char **nl = NULL;
	if (kstrv_add(&nl, "alertname") < 0 || kstrv_add(&nl, rules[r].alertname) < 0 ||
	    kstrv_add(&nl, "severity") < 0 || kstrv_add(&nl, rules[r].severity) < 0) {
		kstrv_free(nl);
		return kerr_set(v->e, ENOMEM, "alerts");
	}
	for (size_t i = 0; labels[i] && labels[i + 1]; i += 2)
		if (*labels[i + 1] && (kstrv_add(&nl, labels[i]) < 0 || kstrv_add(&nl, labels[i + 1]) < 0)) {
			kstrv_free(nl);
			return kerr_set(v->e, ENOMEM, "alerts");
		}
	kstrv_free(a->labels);
	a->labels = nl;
	free(a->summary);
	a->summary = kstr_dup(summary);
	if (a->state == KMON_A_INACTIVE) {
		a->active_since = v->now;
		if (v->c->r[r].for_s > 0) {
			transition(v, a, KMON_A_PENDING);
			return 0;
		}
	}
	if (a->state != KMON_A_FIRING && v->now - a->active_since >= v->c->r[r].for_s)
		transition(v, a, KMON_A_FIRING);
	return 0;
}

static int eval_container(struct eval *v, const struct kmon_entry *en)
{
	const struct kmon_container *c = &en->c;
	const struct kmon_rule_conf *R = v->c->r;
	const struct kmon_point *p = kmon_entry_last(en);
	int running = !strcmp(en->state, "running");
	const char *name = c->name ? c->name : c->id;
	const char *labels[] = { "name", name, "id", c->id, "image", c->image ? c->image : "", NULL };
	char sum[512];
	int r = 0;
	if (running && p && p->t == v->now) { /* a point of this round */
		if (R[KMON_R_MEMORY].enabled && (p->have & KMON_P_MEM) && p->mem_limit) {
			double pct = (double)p->mem / (double)p->mem_limit * 100.0;
			snprintf(sum, sizeof(sum), "%s uses %.1f%% of its memory limit", name, pct);
			if (pct > R[KMON_R_MEMORY].threshold)
				r |= holds(v, KMON_R_MEMORY, c->id, labels, pct, sum);
		}
		if (R[KMON_R_CPU_THROTTLED].enabled && p->throttled_pct > R[KMON_R_CPU_THROTTLED].threshold) {
			snprintf(sum, sizeof(sum), "%s was throttled in %.1f%% of its CPU periods", name,
				 p->throttled_pct);
			r |= holds(v, KMON_R_CPU_THROTTLED, c->id, labels, p->throttled_pct, sum);
		}
		if (R[KMON_R_PIDS].enabled && (p->have & KMON_P_PIDS) && p->pids_limit) {
			double pct = (double)p->pids / (double)p->pids_limit * 100.0;
			snprintf(sum, sizeof(sum), "%s runs %llu of at most %llu processes", name,
				 (unsigned long long)p->pids, (unsigned long long)p->pids_limit);
			if (pct > R[KMON_R_PIDS].threshold)
				r |= holds(v, KMON_R_PIDS, c->id, labels, pct, sum);
		}
	}
	if (R[KMON_R_OOM].enabled && en->last_oom_t && v->now - en->last_oom_t < R[KMON_R_OOM].window) {
		snprintf(sum, sizeof(sum), "a process of %s was killed for running out of memory", name);
		r |= holds(v, KMON_R_OOM, c->id, labels, p ? (double)p->oom_kills : 1, sum);
	}
	size_t nr = kmon_entry_restarts_since(en, v->now, R[KMON_R_RESTARTS].window);
	if (R[KMON_R_RESTARTS].enabled && (double)nr > R[KMON_R_RESTARTS].threshold) {
		snprintf(sum, sizeof(sum), "%s restarted %zu times in %.0fs", name, nr, R[KMON_R_RESTARTS].window);
		r |= holds(v, KMON_R_RESTARTS, c->id, labels, (double)nr, sum);
	}
	if (R[KMON_R_UNHEALTHY].enabled && running && !strcmp(c->health, "unhealthy")) {
		snprintf(sum, sizeof(sum), "%s fails its health check", name);
		r |= holds(v, KMON_R_UNHEALTHY, c->id, labels, 1, sum);
	}
	if (R[KMON_R_DOWN].enabled && !running && en->seen_running) {
		snprintf(sum, sizeof(sum), "%s is %s", name, en->state);
		r |= holds(v, KMON_R_DOWN, c->id, labels, 0, sum);
	}
	if (R[KMON_R_LOG_DROPPED].enabled && en->last_drop_t &&
	    v->now - en->last_drop_t < R[KMON_R_LOG_DROPPED].window) {
		snprintf(sum, sizeof(sum), "the log of %s dropped lines (%lld in all)", name,
			 (long long)c->log_dropped);
		r |= holds(v, KMON_R_LOG_DROPPED, c->id, labels, (double)c->log_dropped, sum);
	}
	return r;
}

int kmon_alerts_eval(struct kmon_alerts *al, const struct kmon_alerts_conf *c, const struct kmon_store *st,
		     const struct kmon_disk *disks, size_t nd, double now, kmon_alert_fn fn, void *data, kerr *e)
{
	struct eval v = { .al = al, .c = c, .now = now, .fn = fn, .data = data, .e = e };
	kmon_alerts_gc(al, c, now);
	for (size_t i = 0; i < al->n; i++)
		al->a[i].seen = 0;
	for (size_t i = 0; i < st->n; i++)
		if (eval_container(&v, &st->e[i]) < 0)
			return -1;
	for (size_t i = 0; c->r[KMON_R_LOG_DISK].enabled && i < nd; i++) {
		if (disks[i].used_pct < 0 || disks[i].used_pct <= c->r[KMON_R_LOG_DISK].threshold)
			continue;
		char sum[512];
		const char *labels[] = { "path", disks[i].path, NULL };
		snprintf(sum, sizeof(sum), "the filesystem of %s is %.1f%% full", disks[i].path, disks[i].used_pct);
		if (holds(&v, KMON_R_LOG_DISK, disks[i].path, labels, disks[i].used_pct, sum) < 0)
			return -1;
	}
	for (size_t i = 0; i < al->n; i++) {
		struct kmon_alert *a = &al->a[i];
		if (a->seen || a->state == KMON_A_RESOLVED) /* resolved: kept until delivered */
			continue;
		transition(&v, a, a->state == KMON_A_FIRING ? KMON_A_RESOLVED : KMON_A_INACTIVE);
	}
	return 0;
}

/* ---------------------------------------------------------- payloads */

void kmon_alert_line(const struct kmon_alert *a, char *buf, size_t n)
{
	size_t len = 0;
	int k = snprintf(buf, n, "%s %s: %s (", rules[a->rule].alertname, kmon_alert_state_name(a->state),
			 a->summary ? a->summary : "");
	len = k < 0 ? 0 : (size_t)k < n ? (size_t)k : n - 1;
	const char *sep = "";
	for (size_t i = 4; a->labels && a->labels[i] && a->labels[i + 1] && len < n; i += 2) {
		k = snprintf(buf + len, n - len, "%s%s=%s", sep, a->labels[i], a->labels[i + 1]);
		len = k < 0 ? len : len + (size_t)k < n ? len + (size_t)k : n - 1;
		sep = " ";
	}
	if (len < n - 1) {
		buf[len++] = ')';
		buf[len] = '\0';
	}
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static void key_time(struct jsonw *w, const char *key, double t)
{
	struct timespec ts = { .tv_sec = (time_t)t, .tv_nsec = (long)((t - floor(t)) * 1e9) };
	char buf[KTIME_BUFSZ];
	if (ktime_format(buf, sizeof(buf), &ts, KTIME_MICRO) < 0)
		snprintf(buf, sizeof(buf), "1970-01-01T00:00:00Z");
	jsonw_key_str(w, key, buf);
}

static void labels_obj(struct jsonw *w, char *const *l)
{
	jsonw_obj_open(w);
	for (size_t i = 0; l && l[i] && l[i + 1]; i += 2)
		jsonw_key_str(w, l[i], l[i + 1]);
	jsonw_obj_close(w);
}

static void key_num(struct jsonw *w, const char *key, double v)
{
	char buf[64];
	jsonw_key(w, key);
	snprintf(buf, sizeof(buf), "%.15g", isfinite(v) ? v : 0);
	jsonw_raw(w, buf);
	w->need_comma = 1;
}

/* A resolution of A's rule and key that need not be sent: the alert
 * fires again, or resolved once more later (Alertmanager knows an alert
 * by its labels: one state per post). */
static int superseded(const struct kmon_alerts *al, const struct kmon_alert *a)
{
	if (a->state != KMON_A_RESOLVED)
		return 0;
	for (size_t i = 0; i < al->n; i++) {
		const struct kmon_alert *b = &al->a[i];
		if (b == a || b->rule != a->rule || strcmp(b->key, a->key))
			continue;
		if (b->state == KMON_A_FIRING || (b->state == KMON_A_RESOLVED && b->resolved_at > a->resolved_at))
			return 1;
	}
	return 0;
}

char *kmon_alerts_payload(struct kmon_alerts *al, double now, double resend, const char *generator, uint64_t *seq)
{
	char *body = kmon_alerts_alertmanager_json(al, now, resend, generator);
	al->dirty = 0;
	al->last_sent = now;
	if (!body)
		return NULL;
	*seq = ++al->seq;
	for (size_t i = 0; i < al->n; i++)
		if (al->a[i].state == KMON_A_RESOLVED && !al->a[i].resolved_seq)
			al->a[i].resolved_seq = *seq;
	return body;
}

char *kmon_alerts_alertmanager_json(const struct kmon_alerts *al, double now, double resend, const char *generator)
{
	struct jsonw w;
	jsonw_init(&w);
	jsonw_arr_open(&w);
	size_t k = 0;
	for (size_t i = 0; i < al->n; i++) {
		const struct kmon_alert *a = &al->a[i];
		if ((a->state != KMON_A_FIRING && a->state != KMON_A_RESOLVED) || superseded(al, a))
			continue;
		k++;
		jsonw_obj_open(&w);
		jsonw_key(&w, "labels");
		labels_obj(&w, a->labels);
		jsonw_key(&w, "annotations");
		jsonw_obj_open(&w);
		jsonw_key_str(&w, "summary", a->summary ? a->summary : "");
		char val[64];
		snprintf(val, sizeof(val), "%.6g", a->value);
		jsonw_key_str(&w, "value", val);
		jsonw_obj_close(&w);
		key_time(&w, "startsAt", a->fired_at);
		key_time(&w, "endsAt", a->state == KMON_A_RESOLVED ? a->resolved_at : now + 4 * resend);
		if (generator)
			jsonw_key_str(&w, "generatorURL", generator);
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
	if (!k || w.oom) {
		jsonw_free(&w);
		return NULL;
	}
	return w.buf;
}

char *kmon_api_alerts(const struct kmon_alerts *al)
{
	struct jsonw w;
	jsonw_init(&w);
	jsonw_obj_open(&w);
	jsonw_key(&w, "alerts");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < al->n; i++) {
		const struct kmon_alert *a = &al->a[i];
		if (a->state != KMON_A_FIRING && a->state != KMON_A_PENDING)
			continue;
		jsonw_obj_open(&w);
		jsonw_key_str(&w, "alertname", rules[a->rule].alertname);
		jsonw_key_str(&w, "state", kmon_alert_state_name(a->state));
		jsonw_key(&w, "labels");
		labels_obj(&w, a->labels);
		jsonw_key_str(&w, "summary", a->summary ? a->summary : "");
		key_num(&w, "value", a->value);
		key_time(&w, "activeSince", a->active_since);
		if (a->state == KMON_A_FIRING)
			key_time(&w, "firedAt", a->fired_at);
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	if (w.oom) {
		jsonw_free(&w);
		return NULL;
	}
	return w.buf;
}
