/* src/lib/monitor: /proc/net/dev parsing, Docker's figures and sizes, the
 * Prometheus emitter (escaping, families, OpenMetrics), Accept
 * negotiation, and discovery on fake engine state dirs whose "init
 * process" is this test itself (a live pid with a real /proc/PID/cgroup). */
#include "cgroup/usage.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "monitor/monitor.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char NETDEV[] =
	"Inter-|   Receive                                                |  Transmit\n"
	" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
	"carrier compressed\n"
	"    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       "
	"0          0\n"
	"  eth0:    1520      12    1    2    0     0          0         0      892       9    3    4    0     0       "
	"0          0\n"
	"  net1: 5 1 0 0 0 0 0 0 6 1 0 0 0 0 0 0\n";

static void test_net_parse(void **state)
{
	(void)state;
	struct kmon_netif *v;
	kerr e = { 0 };
	int n = kmon_net_parse(NETDEV, &v, &e);
	assert_int_equal(n, 2); /* lo left out */
	assert_string_equal(v[0].name, "eth0");
	assert_int_equal(v[0].rx_bytes, 1520);
	assert_int_equal(v[0].rx_packets, 12);
	assert_int_equal(v[0].rx_errors, 1);
	assert_int_equal(v[0].rx_dropped, 2);
	assert_int_equal(v[0].tx_bytes, 892);
	assert_int_equal(v[0].tx_packets, 9);
	assert_int_equal(v[0].tx_errors, 3);
	assert_int_equal(v[0].tx_dropped, 4);
	assert_string_equal(v[1].name, "net1");
	assert_int_equal(v[1].tx_bytes, 6);
	free(v);

	assert_int_equal(kmon_net_parse("hello\n", &v, &e), -1);
	assert_non_null(strstr(e.msg, "header"));
	char bad[sizeof(NETDEV) + 64];
	snprintf(bad, sizeof(bad), "%s  eth9: 1 2 3\n", NETDEV);
	assert_int_equal(kmon_net_parse(bad, &v, &e), -1);
	assert_non_null(strstr(e.msg, "line 6 (eth9) does not have 16 counters"));
	assert_null(v);

	/* this process's own namespace: at least a readable table */
	n = kmon_net_read("/proc", getpid(), &v, &e);
	assert_true(n >= 0);
	free(v);
	assert_int_equal(kmon_net_read("/proc", 0x7ffffff0, &v, &e), -1);
}

static void test_sizes(void **state)
{
	(void)state;
	char b[32];
	kmon_size_binary(0, b, sizeof(b));
	assert_string_equal(b, "0B");
	kmon_size_binary(380 * 1024, b, sizeof(b));
	assert_string_equal(b, "380KiB");
	kmon_size_binary(64ull << 20, b, sizeof(b));
	assert_string_equal(b, "64MiB");
	kmon_size_binary(25275928576ull, b, sizeof(b));
	assert_string_equal(b, "23.54GiB");
	kmon_size_decimal(1520, b, sizeof(b));
	assert_string_equal(b, "1.52kB");
	kmon_size_decimal(892, b, sizeof(b));
	assert_string_equal(b, "892B");
	kmon_size_decimal(12345678, b, sizeof(b));
	assert_string_equal(b, "12.3MB");
}

static void sample_fill(struct kmon_sample *s, uint64_t cpu_ns, uint64_t mono_ns)
{
	memset(s, 0, sizeof(*s));
	s->cg.have = KCG_HAVE_CPU | KCG_HAVE_MEMORY | KCG_HAVE_MEMSTAT | KCG_HAVE_PIDS | KCG_HAVE_BLKIO;
	s->cg.cpu.total = cpu_ns;
	s->mono_ns = mono_ns;
	s->online_cpus = 2;
	s->cg.mem.usage.usage = 10000;
	s->cg.mem.usage.limit = 40000;
	s->cg.mem.usage.have = KCG_MC_USAGE | KCG_MC_LIMIT;
	s->cg.mem.n_raw = 1;
	snprintf(s->cg.mem.raw[0].key, sizeof(s->cg.mem.raw[0].key), "total_inactive_file");
	s->cg.mem.raw[0].v = 2000;
	s->cg.pids.current = 3;
	s->cg.pids.limit = UINT64_MAX;
	struct kcg_blkdev *d = &s->cg.dev[s->cg.n_dev++];
	d->major = 8;
	d->bytes[KCG_IO_READ] = 100;
	d->bytes[KCG_IO_WRITE] = 7;
	d->bytes[KCG_IO_TOTAL] = 107;
	d->have_bytes = 1u << KCG_IO_READ | 1u << KCG_IO_WRITE | 1u << KCG_IO_TOTAL;
	s->n_net = -1;
}

static void test_docker_figures(void **state)
{
	(void)state;
	static struct kmon_sample a, b;
	sample_fill(&a, 1000000, 1000000000);
	sample_fill(&b, 1000000 + 50000000, 1100000000); /* 50 ms of CPU in 100 ms */
	struct kmon_dfig f;
	kmon_docker_figures(&a, &b, 30000, &f);
	assert_true(f.have_cpu);
	assert_true(f.cpu_pct > 49.99 && f.cpu_pct < 50.01);
	assert_int_equal(f.mem_usage, 8000);  /* usage - total_inactive_file */
	assert_int_equal(f.mem_limit, 30000); /* capped at the host's memory */
	assert_true(f.mem_pct > 26.66 && f.mem_pct < 26.67);
	assert_int_equal(f.blk_read, 100); /* Read and Write only, not Total */
	assert_int_equal(f.blk_write, 7);
	assert_int_equal(f.pids, 3);
	assert_false(f.have_net);
	/* inactive_file larger than usage: usage as it is, as Docker does */
	b.cg.mem.raw[0].v = 20000;
	kmon_docker_figures(NULL, &b, 0, &f);
	assert_false(f.have_cpu);
	assert_int_equal(f.mem_usage, 10000);
	assert_int_equal(f.mem_limit, 40000);

	struct kmon_container c = { .id = "abc", .name = "web", .image = "", .cgroup = "/x", .running = 1 };
	_cleanup_json_ json_object *o = kmon_docker_json(&c, &a, &b);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "name")), "/web");
	json_object *cpu = json_object_object_get(o, "cpu_stats"), *pre = json_object_object_get(o, "precpu_stats");
	assert_int_equal(
		json_object_get_uint64(json_object_object_get(json_object_object_get(cpu, "cpu_usage"), "total_usage")),
		51000000);
	assert_int_equal(
		json_object_get_uint64(json_object_object_get(json_object_object_get(pre, "cpu_usage"), "total_usage")),
		1000000);
	json_object *m = json_object_object_get(o, "memory_stats");
	assert_int_equal(json_object_get_uint64(json_object_object_get(m, "usage")), 10000);
	assert_non_null(json_object_object_get(json_object_object_get(m, "stats"), "total_inactive_file"));
	json_object *bio =
		json_object_object_get(json_object_object_get(o, "blkio_stats"), "io_service_bytes_recursive");
	assert_int_equal(json_object_array_length(bio), 3);
	assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(bio, 1), "op")),
			    "Write");
	assert_null(json_object_object_get(json_object_object_get(o, "pids_stats"), "limit")); /* "max" */
	assert_null(json_object_object_get(o, "networks"));
}

static void test_prom_escape(void **state)
{
	(void)state;
	struct kmon_buf b = { 0 };
	kmon_prom_escape(&b, "a\\b\"c\nd");
	assert_string_equal(b.p, "a\\\\b\\\"c\\nd");
	b.len = 0;
	kmon_prom_escape(&b, "bad\xff utf8");
	assert_null(strchr(b.p, '\xff'));
	free(b.p);
}

static void test_prom_write(void **state)
{
	(void)state;
	static struct kmon_sample s[2];
	sample_fill(&s[0], 1500000000, 1);
	sample_fill(&s[1], 2, 1);
	s[0].cg.have |= KCG_HAVE_OOM;
	s[0].cg.mem.oom_kills = 4;
	s[0].cg.mem.working_set = 8000;
	s[0].cg.mem.usage.have |= KCG_MC_FAILCNT;
	static struct kmon_netif nif = { .name = "eth0", .rx_bytes = 77 };
	s[0].net = &nif;
	s[0].n_net = 1;
	char *labels[] = { "com.example.role", "evil \"x\"\\\n", "Com.Example.Role", "dup", NULL };
	char *none[] = { NULL };
	struct kmon_container c[2] = {
		{ .id = "a1",
		  .name = "we\"ird\\na\nme",
		  .image = "img:1",
		  .cgroup = "/docker/a1",
		  .labels = labels,
		  .running = 1,
		  .engine = KMON_DOCKER },
		{ .id = "b2",
		  .name = "p",
		  .image = "",
		  .cgroup = "/k/b2",
		  .labels = none,
		  .running = 1,
		  .engine = KMON_KUBERNETES,
		  .pod = "web-0",
		  .pod_namespace = "prod",
		  .k8s_container = "app" },
	};
	char *out;
	size_t len;
	kerr e = { 0 };
	assert_int_equal(kmon_prom_write(c, s, 2, KMON_PROM_TEXT, &out, &len, &e), 0);
	assert_int_equal(strlen(out), len);
	assert_non_null(strstr(out,
			       "# TYPE container_cpu_usage_seconds_total counter\n"
			       "container_cpu_usage_seconds_total{cpu=\"total\",id=\"/docker/a1\",image=\"img:1\","
			       "name=\"we\\\"ird\\\\na\\nme\"} 1.500000000\n"));
	assert_non_null(strstr(out,
			       "container_oom_events_total{id=\"/docker/a1\",image=\"img:1\","
			       "name=\"we\\\"ird\\\\na\\nme\"} 4\n"));
	assert_non_null(strstr(out, "container_memory_working_set_bytes{"));
	assert_non_null(strstr(out, "# TYPE container_memory_failcnt untyped\n"));
	assert_non_null(strstr(out, "container_network_receive_bytes_total{interface=\"eth0\","));
	/* kubernetes pods carry container, namespace, pod */
	assert_non_null(strstr(out,
			       "id=\"/k/b2\",image=\"\",name=\"p\",container=\"app\",namespace=\"prod\","
			       "pod=\"web-0\"}"));
	/* labels only in the info series, the first of two colliding names wins */
	assert_non_null(strstr(out, "engine=\"docker\",label_com_example_role=\"evil \\\"x\\\"\\\\\\n\"} 1\n"));
	assert_null(strstr(out, "dup"));
	assert_int_equal(strstr(out, "label_") - out, strstr(out, "kapsel_container_info{id=\"/docker/a1\"") - out +
							      strlen("kapsel_container_info{id=\"/docker/a1\",image="
								     "\"img:1\",name=\"we\\\"ird\\\\na\\nme\","
								     "engine=\"docker\","));
	/* one HELP per family, families contiguous */
	const char *first = strstr(out, "# HELP container_cpu_usage_seconds_total");
	assert_non_null(first);
	assert_null(strstr(first + 1, "# HELP container_cpu_usage_seconds_total"));
	/* no swap figures: no swap family at all */
	assert_null(strstr(out, "container_memory_swap"));
	assert_null(strstr(out, "# EOF"));
	free(out);

	assert_int_equal(kmon_prom_write(c, s, 2, KMON_PROM_OPENMETRICS, &out, &len, &e), 0);
	assert_non_null(strstr(out,
			       "# TYPE container_cpu_usage_seconds counter\n# UNIT container_cpu_usage_seconds "
			       "seconds\ncontainer_cpu_usage_seconds_total{"));
	assert_non_null(strstr(out, "# TYPE container_memory_failcnt unknown\n"));
	assert_non_null(
		strstr(out, "# TYPE container_memory_rss gauge\ncontainer_memory_rss{")); /* no _bytes: no UNIT */
	assert_true(len > 6 && !strcmp(out + len - 6, "# EOF\n"));
	free(out);

	/* a stopped container: only its info series */
	c[1].running = 0;
	assert_int_equal(kmon_prom_write(c + 1, s + 1, 1, KMON_PROM_TEXT, &out, &len, &e), 0);
	assert_null(strstr(out, "container_cpu"));
	assert_non_null(strstr(out, "kapsel_container_info{id=\"/k/b2\""));
	free(out);
}

/* the percpu group: off by default; on, cAdvisor's cpu="cpu00".. beside
 * cpu="total", CPUs at 0 left out as cAdvisor does */
static void test_prom_percpu(void **state)
{
	(void)state;
	static struct kmon_sample s;
	sample_fill(&s, 3000000000ull, 1);
	s.cg.cpu.n_percpu = 12;
	s.cg.cpu.percpu[0] = 1000000000ull;
	s.cg.cpu.percpu[1] = 0;
	s.cg.cpu.percpu[11] = 2000000001ull;
	char *none[] = { NULL };
	struct kmon_container c = { .id = "a1",
				    .name = "n",
				    .image = "i",
				    .cgroup = "/a1",
				    .labels = none,
				    .running = 1,
				    .engine = KMON_KAPSEL };
	char *out;
	size_t len;
	kerr e = { 0 };
	assert_int_equal(kmon_prom_write(&c, &s, 1, KMON_PROM_TEXT, &out, &len, &e), 0);
	assert_null(strstr(out, "cpu=\"cpu"));
	free(out);
	assert_int_equal(kmon_metric_group_from_name("percpu"), KMON_MG_PERCPU);
	assert_int_equal(kmon_metric_group_from_name("sched"), -1);
	for (int f = 0; f < 2; f++) {
		struct kmon_prom *p = kmon_prom_new(f ? KMON_PROM_OPENMETRICS : KMON_PROM_TEXT);
		kmon_prom_enable(p, 1u << KMON_MG_PERCPU);
		kmon_prom_add(p, &c, &s);
		assert_int_equal(kmon_prom_finish(p, &out, &len, &e), 0);
		kmon_prom_free(p);
		assert_non_null(strstr(out,
				       "container_cpu_usage_seconds_total{cpu=\"total\",id=\"/a1\",image=\"i\","
				       "name=\"n\"} 3.000000000\n"
				       "container_cpu_usage_seconds_total{cpu=\"cpu00\",id=\"/a1\",image=\"i\","
				       "name=\"n\"} 1.000000000\n"
				       "container_cpu_usage_seconds_total{cpu=\"cpu11\",id=\"/a1\",image=\"i\","
				       "name=\"n\"} 2.000000001\n"));
		assert_null(strstr(out, "cpu01"));
		free(out);
	}
}

static void test_negotiate(void **state)
{
	(void)state;
	assert_int_equal(kmon_prom_negotiate(NULL), KMON_PROM_TEXT);
	assert_int_equal(kmon_prom_negotiate("text/plain"), KMON_PROM_TEXT);
	/* what Prometheus 2.x sends */
	assert_int_equal(kmon_prom_negotiate("application/openmetrics-text;version=1.0.0,application/"
					     "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/"
					     "*;q=0.1"),
			 KMON_PROM_OPENMETRICS);
	assert_int_equal(kmon_prom_negotiate("application/openmetrics-text; q=0, text/plain"), KMON_PROM_TEXT);
	assert_string_equal(kmon_prom_content_type(KMON_PROM_TEXT), "text/plain; version=0.0.4; charset=utf-8");
}

/* ------------------------------------------------------------ discovery */

static char base[64];

static void put(const char *rel, const char *text)
{
	char p[512], dir[512];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	snprintf(dir, sizeof(dir), "%s", p);
	*strrchr(dir, '/') = '\0';
	kerr e;
	assert_int_equal(kfs_mkdir_p(dir, 0755, &e), 0);
	assert_int_equal(kfs_write_file(p, text, strlen(text), 0644, 0, &e), 0);
}

static void test_discover(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/kapsel-test-monitor-XXXXXX");
	assert_non_null(mkdtemp(base));
	char me[16], dead[16], tasks[128], podroot[128], podrun[128], kroot[128];
	snprintf(me, sizeof(me), "%d", (int)getpid());
	snprintf(dead, sizeof(dead), "%d", 0x7ffffff0);
	/* containerd: a CRI pod container, a sandbox, a plain one, a dead one, Docker's */
	put("tasks/k8s.io/c1/init.pid", me);
	put("tasks/k8s.io/c1/config.json",
	    "{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\",\"io.kubernetes.cri.container-name\":"
	    "\"app\",\"io.kubernetes.cri.sandbox-name\":\"web-0\",\"io.kubernetes.cri.sandbox-namespace\":\"prod\","
	    "\"io.kubernetes.cri.image-name\":\"reg/app:1\"}}");
	put("tasks/k8s.io/s1/init.pid", me);
	put("tasks/k8s.io/s1/config.json",
	    "{\"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\",\"io.kubernetes.cri.sandbox-name\":"
	    "\"web-0\",\"io.kubernetes.cri.sandbox-namespace\":\"prod\"}}");
	put("tasks/default/plain/init.pid", me);
	put("tasks/default/plain/config.json", "{\"annotations\":{\"a\":\"b\"}}");
	put("tasks/default/gone/init.pid", dead);
	put("tasks/default/gone/config.json", "{}");
	put("tasks/default/broken/init.pid", me);
	put("tasks/default/broken/config.json", "{not json");
	put("tasks/moby/d0cker/init.pid", me);
	/* podman */
	put("pod/overlay-containers/containers.json",
	    "[{\"id\":\"p0d\",\"names\":[\"pm-one\"],\"image\":\"8a80\",\"metadata\":\"{\\\"image-name\\\":"
	    "\\\"localhost/box:latest\\\"}\"},{\"id\":\"p1\",\"names\":[\"pm-stopped\"]}]");
	put("podrun/overlay-containers/p0d/userdata/pidfile", me);
	snprintf(tasks, sizeof(tasks), "%s/tasks", base);
	snprintf(podroot, sizeof(podroot), "%s/pod", base);
	snprintf(podrun, sizeof(podrun), "%s/podrun", base);
	snprintf(kroot, sizeof(kroot), "%s/kapsel", base);
	const char *roots[] = { tasks, NULL };
	struct kmon_sources src = { .kapsel_root = kroot,
				    .docker_host = "",
				    .task_roots = roots,
				    .podman_root = podroot,
				    .podman_runroot = podrun };
	struct kmon_list l;
	kerr e = { 0 };
	assert_int_equal(kmon_discover(&src, &l, &e), 0);
	assert_int_equal(l.n, 5);
	/* sorted by engine, then name */
	assert_int_equal(l.c[0].engine, KMON_DOCKER);
	assert_string_equal(l.c[0].name, "d0cker"); /* no API: by id */
	assert_string_equal(l.c[0].ns, "moby");
	assert_int_equal(l.c[1].engine, KMON_PODMAN);
	assert_string_equal(l.c[1].name, "pm-one");
	assert_string_equal(l.c[1].image, "localhost/box:latest");
	assert_int_equal(l.c[2].engine, KMON_CONTAINERD);
	assert_string_equal(l.c[2].id, "plain");
	assert_string_equal(l.c[2].labels[0], "a");
	assert_int_equal(l.c[3].engine, KMON_KUBERNETES);
	assert_string_equal(l.c[3].name, "prod/web-0/POD");
	assert_int_equal(l.c[4].engine, KMON_KUBERNETES);
	assert_string_equal(l.c[4].name, "prod/web-0/app");
	assert_string_equal(l.c[4].image, "reg/app:1");
	assert_string_equal(l.c[4].pod, "web-0");
	assert_string_equal(l.c[4].k8s_container, "app");
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.c[i].pid, getpid());
		assert_true(l.c[i].running);
		assert_true(l.c[i].cgroup[0] == '/');
		assert_true(l.c[i].started > 1e9);
	}
	/* the broken config is named, not fatal */
	assert_non_null(l.warnings);
	assert_non_null(strstr(l.warnings[0], "containerd task default/broken"));
	assert_non_null(kmon_find(&l, "pm-one", &e));
	assert_ptr_equal(kmon_find(&l, "pla", &e), &l.c[2]);
	assert_null(kmon_find(&l, "p", &e)); /* p0d, plain */
	assert_non_null(strstr(e.msg, "ambiguous"));
	assert_null(kmon_find(&l, "nope", &e));
	assert_int_equal(e.errnum, ENOENT);
	kmon_list_done(&l);

	/* removed and stopped: gone from the next call; --all shows the stopped */
	char p[256];
	snprintf(p, sizeof(p), "%s/tasks/k8s.io/c1/init.pid", base);
	unlink(p);
	src.all = 1;
	assert_int_equal(kmon_discover(&src, &l, &e), 0);
	assert_int_equal(l.n, 5); /* c1 gone, pm-stopped listed */
	const struct kmon_container *st = kmon_find(&l, "pm-stopped", &e);
	assert_non_null(st);
	assert_false(st->running);
	assert_int_equal(st->pid, 0);
	assert_null(kmon_find(&l, "prod/web-0/app", &e));
	kmon_list_done(&l);
}

/* the fake tree goes whether the test passed or not */
static int discover_teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	return base[0] && system(cmd) != 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_parse),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_docker_figures),
		cmocka_unit_test(test_prom_escape),
		cmocka_unit_test(test_prom_write),
		cmocka_unit_test(test_prom_percpu),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test_teardown(test_discover, discover_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
