/* src/lib/monitor: the daemon's store (rates, the history ring, gone
 * containers, restarts), the /api JSON writers (checked by parsing them
 * back, hostile strings included) and the alert rules (config, pending ->
 * firing -> resolved, the Alertmanager payload, the syslog line). */
#include "common/json.h"
#include "common/strv.h"
#include "monitor/alerts.h"
#include "monitor/api.h"
#include "monitor/store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#define EVIL "\"</td><img src=x onerror=alert(1)>\n\\\xff"

static void add_c(struct kmon_list *l, const char *id, const char *name, int running, double started)
{
	l->c = reallocarray(l->c, l->n + 1, sizeof(*l->c));
	struct kmon_container *c = &l->c[l->n++];
	memset(c, 0, sizeof(*c));
	c->id = strdup(id);
	c->name = strdup(name);
	c->image = strdup("busybox:" EVIL);
	c->cgroup = strdup("/x");
	c->engine = KMON_DOCKER;
	c->running = running;
	c->pid = running ? 1 : 0;
	c->started = started;
	c->restarts = c->log_dropped = -1;
	c->labels = NULL;
	kstrv_add(&c->labels, "app");
	kstrv_add(&c->labels, EVIL);
}

static struct kmon_reading rd(double t, double cpu_s, uint64_t mem, uint64_t limit, uint64_t rx)
{
	return (struct kmon_reading){ .mono_ns = (uint64_t)(t * 1e9),
				      .cpu_ns = (uint64_t)(cpu_s * 1e9),
				      .mem = mem,
				      .mem_limit = limit,
				      .pids = 3,
				      .pids_limit = 10,
				      .rx = rx,
				      .tx = rx / 2,
				      .blk_read = rx * 4,
				      .blk_write = 0,
				      .have = KMON_RD_CPU | KMON_RD_MEM | KMON_RD_PIDS | KMON_RD_NET | KMON_RD_BLK };
}

/* one round: containers (id, name) all running, one reading each */
static void round1(struct kmon_store *st, double t, const struct kmon_reading *r, size_t n, const char *const *ids)
{
	struct kmon_list l = { 0 };
	for (size_t i = 0; i < n; i++)
		add_c(&l, ids[2 * i], ids[2 * i + 1], 1, 1000);
	kerr e = { 0 };
	assert_int_equal(kmon_store_update(st, &l, r, t, &e), 0);
	kmon_list_done(&l);
}

static json_object *parse(char *s)
{
	assert_non_null(s);
	kerr e = { 0 };
	json_object *o = kj_parse("api", s, strlen(s), &e);
	if (!o)
		fail_msg("not JSON: %s: %s", e.msg, s);
	free(s);
	return o;
}

static const char *const IDS[] = { "aaaa1111", "web", "aaaa2222", "db" };

static void test_store_and_api(void **state)
{
	(void)state;
	struct kmon_store st;
	kmon_store_init(&st, 3, 60, 1);
	struct kmon_reading r[2] = { rd(10, 1.0, 102400, 1024000, 0), rd(10, 0, 5, 0, 0) };
	round1(&st, 100, r, 2, IDS);
	for (int k = 1; k <= 4; k++) { /* 0.5 s of CPU a second, 1000 bytes/s in */
		r[0] = rd(10 + k, 1.0 + 0.5 * k, 102400 * (k + 1), 1024000, 1000 * (uint64_t)k);
		r[1] = rd(10 + k, 0, 5, 0, 0);
		round1(&st, 100 + k, r, 2, IDS);
	}
	assert_int_equal(st.n, 2);
	json_object *o = parse(kmon_api_containers(&st));
	json_object *cs = kj_get(o, "containers");
	assert_int_equal(json_object_array_length(cs), 2);
	json_object *web = json_object_array_get_idx(cs, 0);
	assert_string_equal(kj_get_str(web, "name"), "web");
	assert_string_equal(kj_get_str(web, "id"), "aaaa1111");
	assert_string_equal(kj_get_str(web, "state"), "running");
	assert_true(json_object_get_double(kj_get(web, "cpu_percent")) > 49.9);
	assert_true(json_object_get_double(kj_get(web, "cpu_percent")) < 50.1);
	assert_int_equal(kj_get_i64(web, "memory_usage", 0), 512000);
	assert_int_equal(kj_get_i64(web, "memory_limit", 0), 1024000);
	assert_true(json_object_get_double(kj_get(web, "memory_percent")) == 50.0);
	assert_int_equal(kj_get_i64(web, "pids", 0), 3);
	assert_int_equal(kj_get_i64(web, "pids_limit", 0), 10);
	assert_true(json_object_get_double(kj_get(web, "net_rx_rate")) == 1000.0);
	assert_true(json_object_get_double(kj_get(web, "net_tx_rate")) == 500.0);
	assert_true(json_object_get_double(kj_get(web, "blk_read_rate")) == 4000.0);
	assert_true(json_object_get_double(kj_get(web, "blk_write_rate")) == 0.0);
	assert_true(json_object_get_double(kj_get(o, "time")) == 104.0);
	/* hostile strings come back as the same text (valid UTF-8: \xff replaced) */
	const char *img = kj_get_str(web, "image");
	assert_non_null(strstr(img, "\"</td><img src=x onerror=alert(1)>\n\\"));
	assert_non_null(strstr(kj_get_str(kj_get(web, "labels"), "app"), "<img src=x"));
	assert_null(kj_get(web, "history"));
	/* no limit: null, not 0 */
	json_object *db = json_object_array_get_idx(cs, 1);
	assert_true(json_object_is_type(kj_get(db, "memory_limit"), json_type_null));
	json_object_put(o);

	/* the history ring: the last 3 of 5, oldest first; the first had no CPU % */
	kerr e = { 0 };
	const struct kmon_entry *en = kmon_store_find(&st, "web", &e);
	assert_non_null(en);
	o = parse(kmon_api_container(&st, en));
	json_object *h = kj_get(o, "history");
	assert_int_equal(json_object_array_length(h), 3);
	assert_true(json_object_get_double(kj_get(json_object_array_get_idx(h, 0), "t")) == 102.0);
	assert_true(json_object_get_double(kj_get(json_object_array_get_idx(h, 2), "t")) == 104.0);
	assert_int_equal(kj_get_i64(json_object_array_get_idx(h, 2), "memory_usage", 0), 512000);
	assert_true(json_object_get_double(kj_get(json_object_array_get_idx(h, 2), "cpu_percent")) == 50.0);
	assert_true(json_object_get_double(kj_get(json_object_array_get_idx(h, 2), "net_rx_rate")) == 1000.0);
	json_object_put(o);
	o = parse(kmon_api_containers_history(&st));
	assert_int_equal(
		json_object_array_length(kj_get(json_object_array_get_idx(kj_get(o, "containers"), 1), "history")), 3);
	json_object_put(o);

	/* lookup: id, name, unique prefix; ambiguous and unknown are errors */
	assert_ptr_equal(kmon_store_find(&st, "aaaa2222", &e), &st.e[1]);
	assert_ptr_equal(kmon_store_find(&st, "aaaa1", &e), &st.e[0]);
	assert_null(kmon_store_find(&st, "aaaa", &e));
	assert_int_equal(e.errnum, EINVAL);
	assert_null(kmon_store_find(&st, "nope", &e));
	assert_int_equal(e.errnum, ENOENT);

	/* db goes away: gone, kept keep_gone seconds, then dropped */
	round1(&st, 105, r, 1, IDS);
	assert_int_equal(st.n, 2);
	assert_string_equal(st.e[1].state, "gone");
	o = parse(kmon_api_containers(&st));
	db = json_object_array_get_idx(kj_get(o, "containers"), 1);
	assert_string_equal(kj_get_str(db, "state"), "gone");
	assert_true(json_object_is_type(kj_get(db, "cpu_percent"), json_type_null));
	json_object_put(o);
	round1(&st, 166, r, 1, IDS);
	assert_int_equal(st.n, 1);
	kmon_store_done(&st);
}

static void test_store_restarts(void **state)
{
	(void)state;
	struct kmon_store st;
	kmon_store_init(&st, 4, 60, 1);
	struct kmon_reading r = rd(1, 1, 1, 0, 0);
	for (int k = 0; k < 4; k++) { /* a new start time each round: 3 restarts */
		struct kmon_list l = { 0 };
		add_c(&l, "cafe", "loop", 1, 1000 + 10 * k);
		kerr e = { 0 };
		assert_int_equal(kmon_store_update(&st, &l, &r, 100 + k, &e), 0);
		kmon_list_done(&l);
	}
	assert_int_equal(st.e[0].restarts, 3);
	assert_int_equal(kmon_entry_restarts_since(&st.e[0], 103, 10), 3);
	assert_int_equal(kmon_entry_restarts_since(&st.e[0], 103, 0.5), 1);
	/* the engine's own count wins */
	struct kmon_list l = { 0 };
	add_c(&l, "cafe", "loop", 1, 1030);
	l.c[0].restarts = 7;
	kerr e = { 0 };
	assert_int_equal(kmon_store_update(&st, &l, &r, 104, &e), 0);
	kmon_list_done(&l);
	assert_int_equal(st.e[0].restarts, 7);
	kmon_store_done(&st);
}

/* ------------------------------------------------------------- alerts */

struct seen {
	char lines[16][512];
	int n;
};

static void on_tr(const struct kmon_alert *a, void *data)
{
	struct seen *s = data;
	if (s->n < 16)
		kmon_alert_line(a, s->lines[s->n++], sizeof(s->lines[0]));
}

/* An hour at 20 s: the last 10 minutes (31 samples) as they are, older
 * ones folded three to a point (mean CPU %, peak memory); the oldest
 * coarse points dropped once the hour is full. */
static void test_store_history_coarse(void **state)
{
	(void)state;
	struct kmon_store st;
	kmon_store_init(&st, 3600 / 20 + 1, 600, 20);
	assert_int_equal(st.fine, 31);
	assert_int_equal(st.per_coarse, 3);
	assert_int_equal(st.coarse, 50);
	const char *const ids[] = { "bbbb1111", "hist" };
	struct kmon_reading r[1];
	double cpu = 0;
	for (int k = 0; k < 41; k++) { /* CPU % k (of 20 s), memory 100 KiB * (k % 3) */
		cpu += 20.0 * k / 100.0;
		r[0] = rd(20.0 * k, cpu, 102400 * (uint64_t)(k % 3), 0, 0);
		round1(&st, 1000 + 20 * k, r, 1, ids);
	}
	const struct kmon_entry *en = &st.e[0];
	/* 41 samples: 31 fine, 10 folded: three coarse points and one partial */
	assert_int_equal(kmon_entry_npoints(en), 3 + 1 + 31);
	const struct kmon_hpoint *q = kmon_entry_point(en, 0);
	/* samples 0, 1, 2: CPU unknown, 1, 2 (mean 1.5); memory 0, 100, 200 KiB */
	assert_true(q->cpu_pct > 1.49 && q->cpu_pct < 1.51);
	assert_int_equal(q->mem_kib, 200);
	assert_true(kmon_hpoint_t(&st, q) == 1040);
	q = kmon_entry_point(en, 3); /* the partial one: sample 9 */
	assert_true(q->cpu_pct > 8.99 && q->cpu_pct < 9.01 && kmon_hpoint_t(&st, q) == 1180);
	q = kmon_entry_point(en, 4); /* the oldest fine point: sample 10 */
	assert_true(q->cpu_pct > 9.99 && q->cpu_pct < 10.01 && kmon_hpoint_t(&st, q) == 1200);
	assert_true(kmon_hpoint_t(&st, kmon_entry_point(en, 34)) == 1800);
	assert_null(kmon_entry_point(en, 35));
	for (int k = 41; k < 400; k++) {
		cpu += 20.0 * k / 100.0;
		r[0] = rd(20.0 * k, cpu, 0, 0, 0);
		round1(&st, 1000 + 20 * k, r, 1, ids);
	}
	en = &st.e[0];
	assert_true(kmon_entry_npoints(en) <= 50 + 1 + 31);
	assert_true(kmon_entry_npoints(en) >= 50 + 31);
	/* the span: about an hour */
	double span = kmon_hpoint_t(&st, kmon_entry_point(en, kmon_entry_npoints(en) - 1)) -
		      kmon_hpoint_t(&st, kmon_entry_point(en, 0));
	assert_true(span >= 3600 - 60 && span <= 3600);
	kmon_store_done(&st);
}

/* History times to the centisecond at a sub-second interval, and still
 * right once the store's time base moves on (497 days in). */
static void test_store_history_times(void **state)
{
	(void)state;
	struct kmon_store st;
	kmon_store_init(&st, 6, 60, 0.2);
	const char *const ids[] = { "cccc1111", "t" };
	struct kmon_reading r[1];
	double t = 1.7e9 + 0.37;
	for (int k = 0; k < 3; k++) {
		r[0] = rd(0.2 * k, 0, 4096, 0, 0);
		round1(&st, t + 0.2 * k, r, 1, ids);
	}
	const struct kmon_entry *en = &st.e[0];
	assert_int_equal(kmon_entry_npoints(en), 3);
	for (size_t i = 0; i < 3; i++)
		assert_true(fabs(kmon_hpoint_t(&st, kmon_entry_point(en, i)) - (t + 0.2 * (double)i)) < 0.006);
	double t0 = st.t0;
	t += 500 * 86400.0; /* 4.32e9 cs after the base */
	for (int k = 0; k < 6; k++) {
		r[0] = rd(0.2 * k, 0, 4096, 0, 0);
		round1(&st, t + 0.2 * k, r, 1, ids);
	}
	assert_true(st.t0 > t0 + 490 * 86400.0 && st.t0 < t);
	en = &st.e[0];
	assert_int_equal(kmon_entry_npoints(en), 6);
	for (size_t i = 0; i < 6; i++)
		assert_true(fabs(kmon_hpoint_t(&st, kmon_entry_point(en, i)) - (t + 0.2 * (double)i)) < 0.006);
	/* the clock stepped back 10 days: the base follows, new points are right */
	t -= 10 * 86400.0;
	for (int k = 0; k < 6; k++) {
		r[0] = rd(0.2 * k, 0, 4096, 0, 0);
		round1(&st, t + 0.2 * k, r, 1, ids);
	}
	assert_true(st.t0 < t);
	en = &st.e[0];
	for (size_t i = 0; i < 6; i++)
		assert_true(fabs(kmon_hpoint_t(&st, kmon_entry_point(en, i)) - (t + 0.2 * (double)i)) < 0.006);
	/* and forward 600 days (past 2^32 cs in one step) */
	t += 600 * 86400.0;
	for (int k = 0; k < 6; k++) {
		r[0] = rd(0.2 * k, 0, 4096, 0, 0);
		round1(&st, t + 0.2 * k, r, 1, ids);
	}
	en = &st.e[0];
	for (size_t i = 0; i < 6; i++)
		assert_true(fabs(kmon_hpoint_t(&st, kmon_entry_point(en, i)) - (t + 0.2 * (double)i)) < 0.006);
	kmon_store_done(&st);
}

static void test_alerts_conf(void **state)
{
	(void)state;
	struct kmon_alerts_conf c;
	kerr e = { 0 };
	assert_int_equal(kmon_alerts_conf_defaults(&c, &e), 0);
	assert_true(c.r[KMON_R_MEMORY].threshold == 90 && c.r[KMON_R_MEMORY].for_s == 120);
	assert_true(c.r[KMON_R_RESTARTS].threshold == 3 && c.r[KMON_R_RESTARTS].window == 900);
	assert_null(c.alertmanager);
	kmon_alerts_conf_done(&c);

	assert_int_equal(
		kmon_alerts_conf_parse("a.conf",
				       "[memory]\nthreshold = 80%\nfor = 1.5\n[unhealthy]\nfor = 2m\n"
				       "[oom]\nenabled = false\n[alertmanager]\nurl = http://127.0.0.1:9093\n"
				       "resend = 10s\n[syslog]\nsocket = /tmp/x.sock\n[log_disk]\npaths = /a /b\n",
				       &c, &e),
		0);
	assert_true(c.r[KMON_R_MEMORY].threshold == 80 && c.r[KMON_R_MEMORY].for_s == 1.5);
	assert_true(c.r[KMON_R_UNHEALTHY].for_s == 120);
	assert_false(c.r[KMON_R_OOM].enabled);
	assert_string_equal(c.alertmanager, "http://127.0.0.1:9093");
	assert_true(c.resend == 10);
	assert_string_equal(c.syslog_socket, "/tmp/x.sock");
	assert_int_equal(kstrv_len(c.log_paths), 2);
	kmon_alerts_conf_done(&c);

	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "[memory]\nthreshhold = 3\n", "threshhold" },
		{ "[memroy]\n", "memroy" },
		{ "[memory]\nthreshold = lots\n", "[memory] threshold: \"lots\" is not a number" },
		{ "[memory]\nfor = -3\n", "for" },
		{ "[down]\nthreshold = 3\n", "threshold" },
		{ "[alertmanager]\nurl = file:///etc/passwd\n", "not an http:// or https:// URL" },
		{ "[syslog]\nsocket = dev/log\n", "not an absolute path" },
		{ "[log_disk]\npaths = 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n", "at most 16" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		e = (kerr){ 0 };
		assert_int_equal(kmon_alerts_conf_parse("b.conf", bad[i].text, &c, &e), -1);
		if (!strstr(e.msg, bad[i].msg) || !strstr(e.msg, "b.conf"))
			fail_msg("%s: %s", bad[i].text, e.msg);
	}
}

static void test_alerts_memory(void **state)
{
	(void)state;
	struct kmon_alerts_conf c;
	kerr e = { 0 };
	assert_int_equal(kmon_alerts_conf_parse("t", "[memory]\nfor = 2\n[log_disk]\nenabled = false\n", &c, &e), 0);
	struct kmon_store st;
	kmon_store_init(&st, 4, 60, 1);
	struct kmon_alerts al = { 0 };
	struct seen s = { 0 };
	/* 95 % of the limit at t = 0, 1, 2: pending, pending, firing; 50 % at 3: resolved */
	uint64_t mem[] = { 950, 960, 970, 500 };
	for (int k = 0; k < 4; k++) {
		struct kmon_reading r = rd(k, 0, mem[k], 1000, 0);
		round1(&st, 100 + k, &r, 1, IDS);
		assert_int_equal(kmon_alerts_eval(&al, &c, &st, NULL, 0, 100 + k, on_tr, &s, &e), 0);
		if (k == 2) {
			assert_int_equal(kmon_alerts_firing(&al, KMON_R_MEMORY), 1);
			json_object *o = parse(kmon_alerts_alertmanager_json(&al, 102, 60, "http://x/"));
			json_object *a = json_object_array_get_idx(o, 0);
			assert_string_equal(kj_get_str(kj_get(a, "labels"), "alertname"), "ContainerMemoryNearLimit");
			assert_string_equal(kj_get_str(kj_get(a, "labels"), "name"), "web");
			assert_string_equal(kj_get_str(kj_get(a, "labels"), "id"), "aaaa1111");
			assert_non_null(strstr(kj_get_str(kj_get(a, "annotations"), "summary"), "97.0%"));
			assert_string_equal(kj_get_str(a, "generatorURL"), "http://x/");
			/* startsAt when it fired, endsAt 4 resend periods ahead */
			assert_non_null(strstr(kj_get_str(a, "startsAt"), ":01:42"));
			assert_non_null(strstr(kj_get_str(a, "endsAt"), ":05:42"));
			json_object_put(o);
			o = parse(kmon_api_alerts(&al));
			assert_string_equal(kj_get_str(json_object_array_get_idx(kj_get(o, "alerts"), 0), "state"),
					    "firing");
			json_object_put(o);
		}
		if (k < 2)
			assert_int_equal(kmon_alerts_firing(&al, KMON_R_MEMORY), 0);
	}
	assert_int_equal(s.n, 3);
	assert_non_null(strstr(s.lines[0], "ContainerMemoryNearLimit pending: web uses 95.0% of its memory limit"));
	assert_non_null(strstr(s.lines[1], "ContainerMemoryNearLimit firing"));
	assert_non_null(strstr(s.lines[2], "ContainerMemoryNearLimit resolved"));
	/* the line has no newline of the hostile image */
	assert_null(strchr(s.lines[0], '\n'));
	assert_non_null(strstr(s.lines[0], "image=busybox:\"</td><img src=x onerror=alert(1)>?\\"));
	/* resolved: in the payload once, then forgotten */
	json_object *o = parse(kmon_alerts_alertmanager_json(&al, 103, 60, NULL));
	assert_non_null(strstr(kj_get_str(json_object_array_get_idx(o, 0), "endsAt"), ":01:43"));
	json_object_put(o);
	o = parse(kmon_api_alerts(&al));
	assert_int_equal(json_object_array_length(kj_get(o, "alerts")), 0);
	json_object_put(o);
	kmon_alerts_gc(&al, &c, 104);
	assert_int_equal(al.n, 0);
	assert_null(kmon_alerts_alertmanager_json(&al, 104, 60, NULL));

	/* pending that clears before `for`: inactive, never firing */
	s.n = 0;
	al.dirty = 0;
	struct kmon_reading r = rd(5, 0, 990, 1000, 0);
	round1(&st, 105, &r, 1, IDS);
	assert_int_equal(kmon_alerts_eval(&al, &c, &st, NULL, 0, 105, on_tr, &s, &e), 0);
	r = rd(6, 0, 10, 1000, 0);
	round1(&st, 106, &r, 1, IDS);
	assert_int_equal(kmon_alerts_eval(&al, &c, &st, NULL, 0, 106, on_tr, &s, &e), 0);
	assert_int_equal(s.n, 2);
	assert_non_null(strstr(s.lines[1], "inactive"));
	assert_int_equal(al.dirty, 0);
	kmon_alerts_done(&al);
	kmon_store_done(&st);
	kmon_alerts_conf_done(&c);
}

static void test_alerts_down_unhealthy_disk(void **state)
{
	(void)state;
	struct kmon_alerts_conf c;
	kerr e = { 0 };
	assert_int_equal(
		kmon_alerts_conf_parse("t", "[down]\nfor = 0\n[unhealthy]\nfor = 1\n[log_disk]\nfor = 0\n", &c, &e), 0);
	struct kmon_store st;
	kmon_store_init(&st, 4, 60, 1);
	struct kmon_alerts al = { 0 };
	struct seen s = { 0 };
	struct kmon_reading r[2] = { rd(1, 0, 1, 0, 0), rd(1, 0, 1, 0, 0) };
	struct kmon_list l = { 0 };
	add_c(&l, IDS[0], IDS[1], 1, 1000);
	add_c(&l, IDS[2], IDS[3], 1, 1000);
	strcpy(l.c[1].health, "unhealthy");
	assert_int_equal(kmon_store_update(&st, &l, r, 100, &e), 0);
	kmon_list_done(&l);
	struct kmon_disk d[] = { { "/var/log", 85 }, { "/srv", 20 } };
	assert_int_equal(kmon_alerts_eval(&al, &c, &st, d, 2, 100, on_tr, &s, &e), 0);
	assert_int_equal(kmon_alerts_firing(&al, KMON_R_LOG_DISK), 1);
	assert_int_equal(kmon_alerts_firing(&al, KMON_R_UNHEALTHY), 0); /* pending */
	/* web is gone, db still unhealthy */
	l = (struct kmon_list){ 0 };
	add_c(&l, IDS[2], IDS[3], 1, 1000);
	strcpy(l.c[0].health, "unhealthy");
	assert_int_equal(kmon_store_update(&st, &l, r, 101, &e), 0);
	kmon_list_done(&l);
	assert_int_equal(kmon_alerts_eval(&al, &c, &st, d, 2, 101, on_tr, &s, &e), 0);
	assert_int_equal(kmon_alerts_firing(&al, KMON_R_DOWN), 1);
	assert_int_equal(kmon_alerts_firing(&al, KMON_R_UNHEALTHY), 1);
	json_object *o = parse(kmon_alerts_alertmanager_json(&al, 101, 60, NULL));
	int disk = 0;
	for (size_t i = 0; i < json_object_array_length(o); i++) {
		json_object *lb = kj_get(json_object_array_get_idx(o, i), "labels");
		if (!strcmp(kj_get_str(lb, "alertname"), "KapselLogDiskFull")) {
			assert_string_equal(kj_get_str(lb, "path"), "/var/log");
			disk++;
		}
	}
	assert_int_equal(disk, 1);
	json_object_put(o);
	kmon_alerts_done(&al);
	kmon_store_done(&st);
	kmon_alerts_conf_done(&c);

	double pct = -1;
	assert_int_equal(kmon_disk_usage("/", &pct, &e), 0);
	assert_true(pct >= 0 && pct <= 100);
	assert_int_equal(kmon_disk_usage("/no/such/dir", &pct, &e), -1);
	assert_non_null(strstr(e.msg, "/no/such/dir"));
}

/* One disk alert through payloads that are not delivered: its resolution
 * stays in every payload until one that carried it is delivered (a
 * replaced or failed post loses nothing), a later firing supersedes it,
 * and an undelivered one goes 4 resends after it resolved. */
static void test_alerts_resolution_until_delivered(void **state)
{
	(void)state;
	struct kmon_alerts_conf c;
	kerr e = { 0 };
	assert_int_equal(kmon_alerts_conf_parse("t", "[log_disk]\nfor = 0\n[alertmanager]\nurl = http://am\nresend = 10\n",
						&c, &e),
			 0);
	struct kmon_store st;
	kmon_store_init(&st, 4, 60, 1);
	struct kmon_alerts al = { 0 };
	struct seen s = { 0 };
	struct kmon_disk full = { "/var/log", 85 }, ok = { "/var/log", 20 };
	uint64_t seq = 0;
	assert_int_equal(kmon_alerts_eval(&al, &c, &st, &full, 1, 100, on_tr, &s, &e), 0);
	assert_true(al.dirty);
	free(kmon_alerts_payload(&al, 100, 10, NULL, &seq));
	assert_int_equal(seq, 1);
	assert_false(al.dirty);
	/* resolved; its payloads (2, 3) are not delivered */
	assert_int_equal(kmon_alerts_eval(&al, &c, &st, &ok, 1, 101, on_tr, &s, &e), 0);
	assert_true(al.dirty);
	free(kmon_alerts_payload(&al, 101, 10, NULL, &seq));
	assert_int_equal(seq, 2);
	kmon_alerts_delivered(&al, 1); /* the firing one only */
	assert_int_equal(kmon_alerts_eval(&al, &c, &st, &ok, 1, 102, on_tr, &s, &e), 0);
	assert_int_equal(s.n, 2); /* firing, resolved: no "inactive" for the kept resolution */
	assert_int_equal(kmon_alerts_undelivered(&al), 1);
	json_object *o = parse(kmon_alerts_payload(&al, 112, 10, NULL, &seq));
	assert_int_equal(seq, 3);
	assert_int_equal(json_object_array_length(o), 1);
	assert_non_null(strstr(kj_get_str(json_object_array_get_idx(o, 0), "endsAt"), ":01:41"));
	json_object_put(o);
	/* payload 3 delivered: forgotten at the next evaluation */
	kmon_alerts_delivered(&al, 3);
	assert_int_equal(kmon_alerts_undelivered(&al), 0);
	assert_int_equal(kmon_alerts_eval(&al, &c, &st, &ok, 1, 113, on_tr, &s, &e), 0);
	assert_int_equal(al.n, 0);
	assert_null(kmon_alerts_payload(&al, 113, 10, NULL, &seq));

	/* fires, resolves undelivered, fires again: only the firing one is sent */
	assert_int_equal(kmon_alerts_eval(&al, &c, &st, &full, 1, 120, on_tr, &s, &e), 0);
	assert_int_equal(kmon_alerts_eval(&al, &c, &st, &ok, 1, 121, on_tr, &s, &e), 0);
	free(kmon_alerts_payload(&al, 121, 10, NULL, &seq));
	assert_int_equal(kmon_alerts_eval(&al, &c, &st, &full, 1, 122, on_tr, &s, &e), 0);
	assert_int_equal(al.n, 2);
	o = parse(kmon_alerts_payload(&al, 122, 10, NULL, &seq));
	assert_int_equal(json_object_array_length(o), 1);
	assert_non_null(strstr(kj_get_str(json_object_array_get_idx(o, 0), "endsAt"), ":02:42")); /* 122 + 40 */
	json_object_put(o);
	/* resolved again, never delivered: kept 4 resends (40 s), then gone */
	assert_int_equal(kmon_alerts_eval(&al, &c, &st, &ok, 1, 123, on_tr, &s, &e), 0);
	assert_int_equal(kmon_alerts_undelivered(&al), 2);
	assert_int_equal(kmon_alerts_eval(&al, &c, &st, &ok, 1, 160, on_tr, &s, &e), 0);
	assert_int_equal(al.n, 2);
	assert_int_equal(kmon_alerts_eval(&al, &c, &st, &ok, 1, 162, on_tr, &s, &e), 0);
	assert_int_equal(al.n, 1); /* the one of 121 */
	assert_int_equal(kmon_alerts_eval(&al, &c, &st, &ok, 1, 164, on_tr, &s, &e), 0);
	assert_int_equal(al.n, 0);
	kmon_alerts_done(&al);
	kmon_store_done(&st);
	kmon_alerts_conf_done(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_and_api),
		cmocka_unit_test(test_store_restarts),
		cmocka_unit_test(test_store_history_coarse),
		cmocka_unit_test(test_store_history_times),
		cmocka_unit_test(test_alerts_conf),
		cmocka_unit_test(test_alerts_memory),
		cmocka_unit_test(test_alerts_down_unhealthy_disk),
		cmocka_unit_test(test_alerts_resolution_until_delivered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
