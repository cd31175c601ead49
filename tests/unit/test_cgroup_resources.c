/* linux.resources -> cgroup writes: the v1 and v2 plans, validation, the
 * resolution against a host (fake hierarchies in a temp dir: a knob that
 * "exists" is an empty file), stats, and one real run as root. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cgroup/driver.h"
#include "cgroup/resources.h"
#include "cgroup/stats.h"
#include "common/cleanup.h"
#include "common/fs.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CG "/kapsel/web"

static json_object *J(const char *s)
{
	json_object *o = json_tokener_parse(s);
	if (!o)
		fail_msg("bad test JSON: %s", s);
	return o;
}

/* A write's value on one line: the device program's rules joined by ';'. */
static void put_value(FILE *f, const struct kcg_write *w)
{
	if (!(w->flags & KCG_W_DEVPROG)) {
		fputs(w->value, f);
		return;
	}
	size_t l = strlen(w->value);
	assert_true(l > 0 && w->value[l - 1] == '\n');
	for (size_t i = 0; i + 1 < l; i++)
		fputc(w->value[i] == '\n' ? ';' : w->value[i], f);
}

/* "file=value\n" for every write */
static char *listing(const struct kcg_write *w, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s=", w[i].file);
		put_value(f, &w[i]);
		fputc('\n', f);
	}
	fclose(f);
	return buf;
}

static void assert_plan(int v2, const char *json, const char *expect)
{
	json_object *o = json ? J(json) : NULL;
	struct kcg_write *w;
	size_t n;
	kerr e = { 0 };
	if (kcg_plan_resources(v2, o, &w, &n, &e) < 0)
		fail_msg("plan v%d failed: %s", v2 ? 2 : 1, e.msg);
	_cleanup_free_ char *got = listing(w, n);
	if (strcmp(got, expect))
		fail_msg("v%d plan for %s:\n--- got\n%s--- want\n%s", v2 ? 2 : 1, json, got, expect);
	kcg_writes_free(w, n);
	json_object_put(o);
}

static void assert_plan_error(int v2, const char *json, const char *expect)
{
	json_object *o = J(json);
	struct kcg_write *w = NULL;
	size_t n = 0;
	kerr e = { 0 };
	if (kcg_plan_resources(v2, o, &w, &n, &e) == 0)
		fail_msg("v%d plan for %s succeeded, expected \"%s\"", v2 ? 2 : 1, json, expect);
	if (!strstr(e.msg, expect))
		fail_msg("v%d plan for %s:\n got: %s\nwant: %s", v2 ? 2 : 1, json, e.msg, expect);
	assert_null(w);
	json_object_put(o);
}

#define DEFAULT_DEVICES                                                                                       \
	"devices.allow=c 1:3 rwm\ndevices.allow=c 1:5 rwm\ndevices.allow=c 1:7 rwm\ndevices.allow=c 1:8 rwm\n" \
	"devices.allow=c 1:9 rwm\ndevices.allow=c 5:0 rwm\ndevices.allow=c 5:2 rwm\ndevices.allow=c 136:* rwm\n"

/* The v2 driver's device program entry: RULES (each ending in ';'), then the defaults. */
#define DEFAULT_DEVPROG_RULES                                                                           \
	"allow c 1:3 rwm;allow c 1:5 rwm;allow c 1:7 rwm;allow c 1:8 rwm;allow c 1:9 rwm;allow c 5:0 rwm;" \
	"allow c 5:2 rwm;allow c 136:* rwm"
#define DEVPROG(rules) "BPF_CGROUP_DEVICE=" rules DEFAULT_DEVPROG_RULES "\n"

/* ------------------------------------------------------------- plans */

static const char *full_v1 =
	"{\"memory\":{\"limit\":268435456,\"reservation\":134217728,\"swap\":536870912,\"kernel\":67108864,"
	"\"kernelTCP\":16777216,\"swappiness\":10,\"disableOOMKiller\":true,\"useHierarchy\":true},"
	"\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"burst\":10000,\"idle\":0,"
	"\"realtimeRuntime\":950000,\"realtimePeriod\":1000000,\"cpus\":\"0-1\",\"mems\":\"0\"},"
	"\"pids\":{\"limit\":100},"
	"\"blockIO\":{\"weight\":500,\"leafWeight\":300,"
	"\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":200,\"leafWeight\":100}],"
	"\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}],"
	"\"throttleWriteBpsDevice\":[{\"major\":8,\"minor\":16,\"rate\":2097152}],"
	"\"throttleReadIOPSDevice\":[{\"major\":8,\"minor\":0,\"rate\":100}],"
	"\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":0,\"rate\":0}]},"
	"\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":1073741824}],"
	"\"network\":{\"classID\":1048577,\"priorities\":[{\"name\":\"eth0\",\"priority\":5}]},"
	"\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
	"{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":229,\"access\":\"rw\"},"
	"{\"allow\":false,\"type\":\"b\",\"major\":8,\"access\":\"m\"}],"
	"\"rdma\":{\"mlx5_0\":{\"hcaHandles\":3,\"hcaObjects\":1000}}}";

static void test_plan_v1_full(void **state)
{
	(void)state;
	assert_plan(0, full_v1,
		    "memory.limit_in_bytes=268435456\n"
		    "memory.memsw.limit_in_bytes=536870912\n"
		    "memory.soft_limit_in_bytes=134217728\n"
		    "memory.kmem.limit_in_bytes=67108864\n"
		    "memory.kmem.tcp.limit_in_bytes=16777216\n"
		    "memory.swappiness=10\n"
		    "memory.oom_control=1\n"
		    "memory.use_hierarchy=1\n"
		    "cpu.shares=512\n"
		    "cpu.cfs_period_us=100000\n"
		    "cpu.cfs_quota_us=50000\n"
		    "cpu.cfs_burst_us=10000\n"
		    "cpu.idle=0\n"
		    "cpu.rt_period_us=1000000\n"
		    "cpu.rt_runtime_us=950000\n"
		    "cpuset.cpus=0-1\n"
		    "cpuset.mems=0\n"
		    "pids.max=100\n"
		    "blkio.weight=500\n"
		    "blkio.leaf_weight=300\n"
		    "blkio.weight_device=8:0 200\n"
		    "blkio.leaf_weight_device=8:0 100\n"
		    "blkio.throttle.read_bps_device=8:0 1048576\n"
		    "blkio.throttle.write_bps_device=8:16 2097152\n"
		    "blkio.throttle.read_iops_device=8:0 100\n"
		    "blkio.throttle.write_iops_device=8:0 0\n"
		    "hugetlb.2MB.limit_in_bytes=1073741824\n"
		    "hugetlb.2MB.rsvd.limit_in_bytes=1073741824\n"
		    "net_cls.classid=1048577\n"
		    "net_prio.ifpriomap=eth0 5\n"
		    "devices.deny=a *:* rwm\n"
		    "devices.allow=c 10:229 rw\n"
		    "devices.deny=b 8:* m\n" DEFAULT_DEVICES
		    "rdma.max=mlx5_0 hca_handle=3 hca_object=1000\n");
}

static void test_plan_v1_metadata(void **state)
{
	(void)state;
	json_object *o = J(full_v1);
	struct kcg_write *w;
	size_t n;
	kerr e;
	assert_int_equal(kcg_plan_resources(0, o, &w, &n, &e), 0);
	/* controller, field and flags travel with each write */
	assert_string_equal(w[0].ctl, "memory");
	assert_string_equal(w[0].field, "linux.resources.memory.limit");
	assert_true(w[0].flags & KCG_W_MEMSW);
	assert_string_equal(w[1].field, "linux.resources.memory.swap");
	assert_true(w[1].flags & KCG_W_MEMSW);
	for (size_t i = 0; i < n; i++) {
		assert_null(w[i].path);
		if (!strcmp(w[i].file, "blkio.weight")) {
			assert_string_equal(w[i].ctl, "blkio");
			assert_string_equal(w[i].alt, "blkio.bfq.weight");
		}
		if (!strcmp(w[i].file, "blkio.throttle.write_bps_device"))
			assert_string_equal(w[i].field, "linux.resources.blockIO.throttleWriteBpsDevice[0]");
		if (!strcmp(w[i].file, "hugetlb.2MB.rsvd.limit_in_bytes"))
			assert_true(w[i].flags & KCG_W_OPTIONAL);
		if (!strcmp(w[i].value, "c 10:229 rw"))
			assert_string_equal(w[i].field, "linux.resources.devices[1]");
		if (!strcmp(w[i].value, "c 136:* rwm"))
			assert_true(w[i].flags & KCG_W_IMPLICIT);
		if (!strcmp(w[i].value, "a *:* rwm"))
			assert_false(w[i].flags & KCG_W_IMPLICIT); /* devices were given */
	}
	kcg_writes_free(w, n);
	json_object_put(o);
}

static const char *full_v2 =
	"{\"memory\":{\"limit\":268435456,\"reservation\":134217728,\"swap\":536870912,\"useHierarchy\":true,"
	"\"disableOOMKiller\":false},"
	"\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"burst\":10000,\"idle\":1,"
	"\"cpus\":\"0-1\",\"mems\":\"0\"},"
	"\"pids\":{\"limit\":-1},"
	"\"blockIO\":{\"weight\":500,\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":200}],"
	"\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}],"
	"\"throttleWriteBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":2097152},{\"major\":8,\"minor\":16,\"rate\":0}],"
	"\"throttleReadIOPSDevice\":[{\"major\":8,\"minor\":0,\"rate\":100}],"
	"\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":16,\"rate\":50}]},"
	"\"hugepageLimits\":[{\"pageSize\":\"1GB\",\"limit\":0}],"
	"\"rdma\":{\"mlx5_0\":{\"hcaObjects\":1000}},"
	"\"unified\":{\"memory.high\":\"200000000\",\"memory.oom.group\":\"1\"}}";

static void test_plan_v2_full(void **state)
{
	(void)state;
	assert_plan(1, full_v2,
		    "memory.max=268435456\n"
		    "memory.swap.max=268435456\n"
		    "memory.low=134217728\n"
		    "cpu.weight=39\n"
		    "cpu.max=50000 100000\n"
		    "cpu.max.burst=10000\n"
		    "cpu.idle=1\n"
		    "cpuset.cpus=0-1\n"
		    "cpuset.mems=0\n"
		    "pids.max=max\n"
		    "io.weight=4950\n"
		    "io.bfq.weight=8:0 200\n"
		    "io.max=8:0 rbps=1048576 wbps=2097152 riops=100\n"
		    "io.max=8:16 wbps=max wiops=50\n"
		    "hugetlb.1GB.max=0\n"
		    "hugetlb.1GB.rsvd.max=0\n" DEVPROG("")
		    "rdma.max=mlx5_0 hca_object=1000\n"
		    "memory.high=200000000\n"
		    "memory.oom.group=1\n");
	json_object *o = J(full_v2);
	struct kcg_write *w;
	size_t n;
	kerr e;
	assert_int_equal(kcg_plan_resources(1, o, &w, &n, &e), 0);
	assert_string_equal(w[10].file, "io.weight");
	assert_string_equal(w[10].ctl, "io");
	assert_string_equal(w[10].alt, "io.bfq.weight");
	assert_string_equal(w[10].alt_value, "500"); /* BFQ's own 1..1000 scale */
	/* no devices given: the defaults only, as the v1 driver does */
	assert_string_equal(w[16].ctl, "devices");
	assert_string_equal(w[16].field, "linux.resources.devices");
	assert_int_equal(w[16].flags, KCG_W_DEVPROG | KCG_W_IMPLICIT);
	assert_string_equal(w[18].ctl, "memory");
	assert_string_equal(w[18].field, "linux.resources.unified.memory.high");
	assert_true(w[18].flags & KCG_W_UNIFIED);
	kcg_writes_free(w, n);
	json_object_put(o);
}

static void test_plan_empty(void **state)
{
	(void)state;
	/* no resources: v1 still starts from deny-all devices (like runc), v2 writes nothing */
	assert_plan(0, NULL, "devices.deny=a *:* rwm\n" DEFAULT_DEVICES);
	assert_plan(0, "{}", "devices.deny=a *:* rwm\n" DEFAULT_DEVICES);
	assert_plan(1, NULL, DEVPROG(""));
	assert_plan(1, "{\"devices\":[]}", DEVPROG(""));
	assert_plan(0, "{\"cpu\":{\"cpus\":\"\",\"quota\":0}}", "devices.deny=a *:* rwm\n" DEFAULT_DEVICES);
	assert_plan(1, "{\"cpu\":{\"cpus\":\"\",\"quota\":0}}", DEVPROG(""));
	/* swappiness -1: the old clients' "kernel default" */
	assert_plan(1, "{\"memory\":{\"swappiness\":-1}}", DEVPROG(""));
}

static void test_shares_to_weight(void **state)
{
	(void)state;
	assert_int_equal(kcg_shares_to_weight(2), 1);
	assert_int_equal(kcg_shares_to_weight(3), 1);
	assert_int_equal(kcg_shares_to_weight(28), 1);
	assert_int_equal(kcg_shares_to_weight(29), 2);
	assert_int_equal(kcg_shares_to_weight(1024), 39);
	assert_int_equal(kcg_shares_to_weight(262143), 9999);
	assert_int_equal(kcg_shares_to_weight(262144), 10000);
	assert_int_equal(kcg_shares_to_weight(0), 0);
	assert_plan(1, "{\"cpu\":{\"shares\":2}}", "cpu.weight=1\n" DEVPROG(""));
	assert_plan(1, "{\"cpu\":{\"shares\":262144}}", "cpu.weight=10000\n" DEVPROG(""));
	assert_plan(1, "{\"cpu\":{\"shares\":100}}", "cpu.weight=4\n" DEVPROG(""));
	assert_plan_error(1, "{\"cpu\":{\"shares\":1}}", "linux.resources.cpu.shares: 1 is out of range (2..262144)");
	assert_plan_error(1, "{\"cpu\":{\"shares\":262145}}", "linux.resources.cpu.shares: 262145 is out of range");
	/* 0 is "not set" (runc, Docker): nothing written */
	assert_plan(1, "{\"cpu\":{\"shares\":0}}", DEVPROG(""));
}

static void test_cpu_max(void **state)
{
	(void)state;
	assert_plan(1, "{\"cpu\":{\"quota\":-1,\"period\":100000}}", "cpu.max=max 100000\n" DEVPROG(""));
	assert_plan(1, "{\"cpu\":{\"period\":250000}}", "cpu.max=max 250000\n" DEVPROG(""));
	assert_plan(1, "{\"cpu\":{\"quota\":20000}}", "cpu.max=20000\n" DEVPROG(""));
	assert_plan(1, "{\"cpu\":{\"quota\":-1}}", "cpu.max=max\n" DEVPROG(""));
	assert_plan(1, "{\"cpu\":{\"quota\":0,\"period\":100000}}", "cpu.max=max 100000\n" DEVPROG(""));
	assert_plan(0, "{\"cpu\":{\"quota\":-1},\"devices\":[]}", "cpu.cfs_quota_us=-1\ndevices.deny=a *:* rwm\n" DEFAULT_DEVICES);
}

static void test_swap_semantics(void **state)
{
	(void)state;
	const char *dev = "\"devices\":[]";
	char j[256];
	/* swap == limit: v1 memsw = limit (no swap); v2 swap.max = 0 */
	snprintf(j, sizeof(j), "{\"memory\":{\"limit\":1048576,\"swap\":1048576},%s}", dev);
	assert_plan(0, j, "memory.limit_in_bytes=1048576\nmemory.memsw.limit_in_bytes=1048576\ndevices.deny=a *:* rwm\n" DEFAULT_DEVICES);
	assert_plan(1, j, "memory.max=1048576\nmemory.swap.max=0\n" DEVPROG(""));
	/* swap > limit: v2 gets the difference */
	snprintf(j, sizeof(j), "{\"memory\":{\"limit\":1048576,\"swap\":3145728},%s}", dev);
	assert_plan(1, j, "memory.max=1048576\nmemory.swap.max=2097152\n" DEVPROG(""));
	/* swap -1: unlimited */
	snprintf(j, sizeof(j), "{\"memory\":{\"limit\":1048576,\"swap\":-1},%s}", dev);
	assert_plan(0, j, "memory.limit_in_bytes=1048576\nmemory.memsw.limit_in_bytes=-1\ndevices.deny=a *:* rwm\n" DEFAULT_DEVICES);
	assert_plan(1, j, "memory.max=1048576\nmemory.swap.max=max\n" DEVPROG(""));
	/* limit -1 without swap: swap unlimited too (where swap is accounted) */
	snprintf(j, sizeof(j), "{\"memory\":{\"limit\":-1},%s}", dev);
	assert_plan(0, j, "memory.limit_in_bytes=-1\nmemory.memsw.limit_in_bytes=-1\ndevices.deny=a *:* rwm\n" DEFAULT_DEVICES);
	assert_plan(1, j, "memory.max=max\nmemory.swap.max=max\n" DEVPROG(""));
	json_object *o = J(j);
	struct kcg_write *w;
	size_t n;
	kerr e;
	assert_int_equal(kcg_plan_resources(1, o, &w, &n, &e), 0);
	assert_true(w[1].flags & KCG_W_OPTIONAL);
	kcg_writes_free(w, n);
	json_object_put(o);
	/* swap alone: v1 can (memsw), v2 cannot (swap is apart from memory) */
	snprintf(j, sizeof(j), "{\"memory\":{\"swap\":1048576},%s}", dev);
	assert_plan(0, j, "memory.memsw.limit_in_bytes=1048576\ndevices.deny=a *:* rwm\n" DEFAULT_DEVICES);
	assert_plan_error(1, j, "config.json: linux.resources.memory.swap: a memory+swap limit needs memory.limit");
	/* bad swap values */
	assert_plan_error(0, "{\"memory\":{\"limit\":2097152,\"swap\":1048576}}",
			  "config.json: linux.resources.memory.swap: 1048576 is below memory.limit 2097152");
	assert_plan_error(1, "{\"memory\":{\"limit\":2097152,\"swap\":1048576}}", "linux.resources.memory.swap");
	assert_plan(1, "{\"memory\":{\"swap\":0}}", DEVPROG(""));
	assert_plan(1, "{\"memory\":{\"limit\":0,\"swap\":0,\"reservation\":0}}", DEVPROG(""));
	assert_plan_error(1, "{\"memory\":{\"swap\":-2}}", "linux.resources.memory.swap: -2 is out of range");
	/* reservation -1 on v2 */
	assert_plan(1, "{\"memory\":{\"reservation\":-1}}", "memory.low=max\n" DEVPROG(""));
}

static void test_pids(void **state)
{
	(void)state;
	assert_plan(1, "{\"pids\":{\"limit\":0}}", DEVPROG(""));
	assert_plan(1, "{\"pids\":{\"limit\":-1}}", "pids.max=max\n" DEVPROG(""));
	assert_plan(1, "{\"pids\":{\"limit\":-1}}", "pids.max=max\n" DEVPROG(""));
	assert_plan(1, "{\"pids\":{\"limit\":1}}", "pids.max=1\n" DEVPROG(""));
	assert_plan(1, "{\"pids\":{}}", DEVPROG(""));
	assert_plan(0, "{\"pids\":{\"limit\":-5},\"devices\":[]}", "pids.max=max\ndevices.deny=a *:* rwm\n" DEFAULT_DEVICES);
}

static const char *const mixed_rules =
	"{\"devices\":[{\"allow\":false,\"type\":\"a\",\"access\":\"rwm\"},"
	"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"r\"},"
	"{\"allow\":true,\"type\":\"b\",\"major\":-1,\"minor\":-1,\"access\":\"mw\"},"
	"{\"allow\":true,\"type\":\"c\",\"major\":4},"
	"{\"allow\":false,\"type\":\"a\",\"major\":4,\"minor\":5,\"access\":\"w\"},"
	"{\"allow\":true}]}";

static void test_devices(void **state)
{
	(void)state;
	/* a leading deny-all is not written twice; '*' for -1 or absent numbers; 'a' ignores numbers */
	assert_plan(0, mixed_rules,
		    "devices.deny=a *:* rwm\n"
		    "devices.allow=c 1:3 r\n"
		    "devices.allow=b *:* mw\n"
		    "devices.allow=c 4:* rwm\n"
		    "devices.deny=a *:* w\n"
		    "devices.allow=a *:* rwm\n" DEFAULT_DEVICES);
	/* a first rule that is not deny-all is kept after the initial deny-all */
	assert_plan(0, "{\"devices\":[{\"allow\":false,\"access\":\"rw\"}]}",
		    "devices.deny=a *:* rwm\ndevices.deny=a *:* rw\n" DEFAULT_DEVICES);
	assert_plan_error(0, "{\"devices\":[{\"allow\":true,\"type\":\"p\"}]}",
			  "config.json: linux.resources.devices[0].type: \"p\" is not a device type (a, c or b)");
	assert_plan_error(0, "{\"devices\":[{\"allow\":true},{\"allow\":true,\"type\":\"cc\"}]}",
			  "linux.resources.devices[1].type");
	assert_plan_error(0, "{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}",
			  "linux.resources.devices[0].access: \"rwx\": 'x' is not one of r, w, m");
	assert_plan_error(0, "{\"devices\":[{\"allow\":true,\"access\":\"rr\"}]}",
			  "linux.resources.devices[0].access: \"rr\": 'r' is given twice");
	assert_plan_error(0, "{\"devices\":[{\"allow\":true,\"access\":\"\"}]}", "linux.resources.devices[0].access: empty");
	assert_plan_error(0, "{\"devices\":[{\"type\":\"c\"}]}", "linux.resources.devices[0].allow: missing");
	assert_plan_error(0, "{\"devices\":[{\"allow\":\"yes\"}]}", "linux.resources.devices[0].allow: expected true or false");
	assert_plan_error(0, "{\"devices\":[{\"allow\":true,\"major\":-2}]}", "linux.resources.devices[0].major: -2 is out of range");
	assert_plan_error(0, "{\"devices\":[{\"allow\":true,\"minor\":1.5}]}", "linux.resources.devices[0].minor: expected an integer");
	assert_plan_error(0, "{\"devices\":[\"c 1:3 rwm\"]}", "linux.resources.devices[0]: expected an object");
	assert_plan_error(0, "{\"devices\":[null]}", "linux.resources.devices[0]: expected an object");
	assert_plan_error(0, "{\"devices\":{}}", "linux.resources.devices: expected an array");
	/* v2: one program entry with the rules as given (its default is deny),
	 * then the defaults; the same rules as the v1 writes above */
	assert_plan(1, mixed_rules,
		    DEVPROG("deny a *:* rwm;allow c 1:3 r;allow b *:* mw;allow c 4:* rwm;deny a *:* w;allow a *:* rwm;"));
	json_object *o = J("{\"devices\":[{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":200}]}");
	struct kcg_write *w;
	size_t n;
	kerr e;
	assert_int_equal(kcg_plan_resources(1, o, &w, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(w[0].flags, KCG_W_DEVPROG); /* given: not implicit */
	kcg_writes_free(w, n);
	json_object_put(o);
}

/* A model of a v1 devices cgroup whose default is deny: "c 1:3" -> bits. */
struct v1model {
	char key[32][24];
	unsigned bits[32];
	int n;
};

static unsigned bits_of(const char *acc)
{
	return (strchr(acc, 'r') ? 1u : 0) | (strchr(acc, 'w') ? 2u : 0) | (strchr(acc, 'm') ? 4u : 0);
}

static void model_write(struct v1model *m, const char *file, const char *value)
{
	const char *sp = strrchr(value, ' ');
	char key[24];
	snprintf(key, sizeof(key), "%.*s", (int)(sp - value), value);
	assert_true(key[0] != 'a'); /* a transition never resets */
	int i = 0;
	while (i < m->n && strcmp(m->key[i], key))
		i++;
	if (i == m->n) {
		assert_true(m->n < 32);
		snprintf(m->key[m->n], sizeof(m->key[0]), "%s", key);
		m->bits[m->n++] = 0;
	}
	if (!strcmp(file, "devices.allow"))
		m->bits[i] |= bits_of(sp + 1);
	else
		m->bits[i] &= ~bits_of(sp + 1);
}

static unsigned model_get(const struct v1model *m, const char *key)
{
	for (int i = 0; i < m->n; i++)
		if (!strcmp(m->key[i], key))
			return m->bits[i];
	return 0;
}

/* update: the v1 rules move to the new set without passing through a
 * state that refuses what the old and the new rules both allow */
static void test_v1_devices_transition(void **state)
{
	(void)state;
	static const char *const old_list[] = { "c 1:3 rwm", "c 1:5 rwm", "c 10:229 rw", "c 4:1 rw", "c 136:* rwm" };
	/* after: fuse with mknod, a disk read-only, tty 4:1 gone; null keeps
	 * rwm (the default rules come after the deny, as at create) */
	static const struct { const char *key, *acc; } want[] = {
		{ "c 1:3", "rwm" }, { "c 1:5", "rwm" }, { "c 10:229", "rwm" }, { "b 8:0", "r" }, { "c 136:*", "rwm" },
		{ "c 4:1", "" },
	};
	json_object *o = J("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
			   "{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":229,\"access\":\"rwm\"},"
			   "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"w\"},"
			   "{\"allow\":true,\"type\":\"b\",\"major\":8,\"minor\":0,\"access\":\"r\"}]}");
	struct kcg_write *w;
	size_t n;
	kerr e = { 0 };
	assert_int_equal(kcg_plan_resources(0, o, &w, &n, &e), 0);
	json_object_put(o);
	char list[256] = "";
	struct v1model m = { .n = 0 };
	for (size_t i = 0; i < ARRAY_SIZE(old_list); i++) {
		strcat(list, old_list[i]);
		strcat(list, "\n");
		model_write(&m, "devices.allow", old_list[i]);
	}
	struct kcg_plan t = { .e = &e };
	assert_int_equal(kcg_v1_devices_transition(w, n, list, &t), 0);
	_cleanup_free_ char *got = listing(t.w, t.n);
	assert_string_equal(got, "devices.allow=c 10:229 rwm\ndevices.allow=b 8:0 r\ndevices.allow=c 1:7 rwm\n"
				 "devices.allow=c 1:8 rwm\ndevices.allow=c 1:9 rwm\ndevices.allow=c 5:0 rwm\n"
				 "devices.allow=c 5:2 rwm\ndevices.deny=c 4:1 rw\n");
	for (size_t i = 0; i < t.n; i++) {
		model_write(&m, t.w[i].file, t.w[i].value);
		/* what both allow, at every step */
		assert_int_equal(model_get(&m, "c 1:3") & 7, 7);
		assert_int_equal(model_get(&m, "c 1:5") & 7, 7);
		assert_int_equal(model_get(&m, "c 10:229") & 3, 3);
		assert_int_equal(model_get(&m, "c 136:*") & 7, 7);
	}
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_int_equal(model_get(&m, want[i].key), bits_of(want[i].acc));
	kcg_writes_free(t.w, t.n);

	/* from allow-all (or to it): the writes in order */
	struct kcg_plan t2 = { .e = &e };
	assert_int_equal(kcg_v1_devices_transition(w, n, "a *:* rwm\n", &t2), 0);
	assert_int_equal(t2.n, n);
	assert_string_equal(t2.w[0].file, "devices.deny");
	assert_string_equal(t2.w[0].value, "a *:* rwm");
	kcg_writes_free(t2.w, t2.n);
	/* a listing it cannot read: an error, nothing planned */
	struct kcg_plan t3 = { .e = &e };
	assert_int_equal(kcg_v1_devices_transition(w, n, "garbage\n", &t3), -1);
	assert_string_equal(e.msg, "devices.list: unexpected line \"garbage\"");
	kcg_writes_free(t3.w, t3.n);
	kcg_writes_free(w, n);
}

/* Every bad value, with the field named, for both drivers. */
static void test_bad_input(void **state)
{
	(void)state;
	static const struct {
		const char *json, *err;
	} cases[] = {
		{ "[]", "config.json: linux.resources: expected an object" },
		{ "{\"cpu\":{\"quota\":\"x\"}}", "config.json: linux.resources.cpu.quota: expected an integer" },
		{ "{\"cpu\":{\"quota\":-2}}", "linux.resources.cpu.quota: -2 is out of range (the least allowed is -1)" },
		{ "{\"cpu\":{\"period\":-100}}", "linux.resources.cpu.period: expected an unsigned integer" },
		{ "{\"cpu\":{\"shares\":-5}}", "linux.resources.cpu.shares: expected an unsigned integer" },
		{ "{\"cpu\":{\"shares\":1.5}}", "linux.resources.cpu.shares: expected an unsigned integer" },
		{ "{\"cpu\":{\"burst\":-1}}", "linux.resources.cpu.burst: expected an unsigned integer" },
		{ "{\"cpu\":{\"realtimeRuntime\":-7}}", "linux.resources.cpu.realtimeRuntime: -7 is out of range" },
		{ "{\"cpu\":{\"idle\":2}}", "linux.resources.cpu.idle: 2 is out of range (0 or 1)" },
		{ "{\"cpu\":{\"cpus\":\"0-3\\nx\"}}", "linux.resources.cpu.cpus: expected a list like \"0-3,6\", found byte 0x0a" },
		{ "{\"cpu\":{\"cpus\":\"0;1\"}}", "linux.resources.cpu.cpus: expected a list like \"0-3,6\", found ';'" },
		{ "{\"cpu\":{\"mems\":5}}", "linux.resources.cpu.mems: expected a string" },
		{ "{\"cpu\":7}", "linux.resources.cpu: expected an object" },
		{ "{\"memory\":{\"limit\":-2}}", "linux.resources.memory.limit: -2 is out of range" },
		{ "{\"memory\":{\"limit\":\"1G\"}}", "linux.resources.memory.limit: expected an integer" },
		{ "{\"memory\":{\"reservation\":-3}}", "linux.resources.memory.reservation: -3 is out of range" },
		{ "{\"memory\":{\"kernel\":-3}}", "linux.resources.memory.kernel: -3 is out of range" },
		{ "{\"memory\":{\"kernelTCP\":true}}", "linux.resources.memory.kernelTCP: expected an integer" },
		{ "{\"memory\":{\"swappiness\":101}}", "linux.resources.memory.swappiness: 101 is out of range (0..100)" },
		{ "{\"memory\":{\"swappiness\":-2}}", "linux.resources.memory.swappiness: expected an unsigned integer" },
		{ "{\"memory\":{\"disableOOMKiller\":1}}", "linux.resources.memory.disableOOMKiller: expected true or false" },
		{ "{\"memory\":{\"checkBeforeUpdate\":\"no\"}}", "linux.resources.memory.checkBeforeUpdate: expected true or false" },
		{ "{\"pids\":{\"limit\":\"10\"}}", "linux.resources.pids.limit: expected an integer" },
		{ "{\"pids\":5}", "linux.resources.pids: expected an object" },
		{ "{\"blockIO\":{\"weight\":5}}", "linux.resources.blockIO.weight: 5 is out of range (10..1000)" },
		{ "{\"blockIO\":{\"weight\":1001}}", "linux.resources.blockIO.weight: 1001 is out of range (10..1000)" },
		{ "{\"blockIO\":{\"leafWeight\":9}}", "linux.resources.blockIO.leafWeight: 9 is out of range" },
		{ "{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0}]}}",
		  "linux.resources.blockIO.weightDevice[0]: neither weight nor leafWeight is given" },
		{ "{\"blockIO\":{\"weightDevice\":[{\"minor\":0,\"weight\":100}]}}",
		  "linux.resources.blockIO.weightDevice[0].major: missing" },
		{ "{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":2000}]}}",
		  "linux.resources.blockIO.weightDevice[0].weight: 2000 is out of range (10..1000)" },
		{ "{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":-1,\"minor\":0,\"rate\":1}]}}",
		  "linux.resources.blockIO.throttleReadBpsDevice[0].major: -1 is not a device number" },
		{ "{\"blockIO\":{\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":0,\"rate\":1},{\"major\":8,\"minor\":0}]}}",
		  "linux.resources.blockIO.throttleWriteIOPSDevice[1].rate: missing" },
		{ "{\"blockIO\":{\"throttleWriteBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":-1}]}}",
		  "linux.resources.blockIO.throttleWriteBpsDevice[0].rate: expected an unsigned integer" },
		{ "{\"blockIO\":{\"throttleReadIOPSDevice\":{}}}", "linux.resources.blockIO.throttleReadIOPSDevice: expected an array" },
		{ "{\"hugepageLimits\":[{\"pageSize\":\"2XB\",\"limit\":1}]}",
		  "linux.resources.hugepageLimits[0].pageSize: \"2XB\" is not a page size" },
		{ "{\"hugepageLimits\":[{\"pageSize\":\"../2MB\",\"limit\":1}]}", "linux.resources.hugepageLimits[0].pageSize" },
		{ "{\"hugepageLimits\":[{\"pageSize\":\"2MB\"}]}", "linux.resources.hugepageLimits[0].limit: missing" },
		{ "{\"hugepageLimits\":[{\"limit\":1}]}", "linux.resources.hugepageLimits[0].pageSize: missing" },
		{ "{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":-1}]}",
		  "linux.resources.hugepageLimits[0].limit: expected an unsigned integer" },
		{ "{\"network\":{\"classID\":-1}}", "linux.resources.network.classID: expected an unsigned integer" },
		{ "{\"network\":{\"classID\":4294967296}}", "linux.resources.network.classID: value 4294967296 is out of range" },
		{ "{\"network\":{\"priorities\":[{\"name\":\"eth 0\",\"priority\":1}]}}",
		  "linux.resources.network.priorities[0].name: \"eth 0\" is not an interface name" },
		{ "{\"network\":{\"priorities\":[{\"name\":\"eth0\"}]}}", "linux.resources.network.priorities[0].priority: missing" },
		{ "{\"rdma\":{\"mlx5_0\":{}}}", "linux.resources.rdma.mlx5_0: neither hcaHandles nor hcaObjects is given" },
		{ "{\"rdma\":{\"mlx5_0\":{\"hcaHandles\":-1}}}", "linux.resources.rdma.mlx5_0.hcaHandles: expected an unsigned integer" },
		{ "{\"rdma\":{\"a b\":{\"hcaHandles\":1}}}", "linux.resources.rdma.a b: \"a b\" is not an RDMA device name" },
		{ "{\"unified\":{\"../memory.max\":\"1\"}}", "linux.resources.unified.../memory.max: \"../memory.max\" is not a cgroup file name" },
		{ "{\"unified\":{\"memory/x.max\":\"1\"}}", "is not a cgroup file name" },
		{ "{\"unified\":{\"memory..max\":\"1\"}}", "is not a cgroup file name" },
		{ "{\"unified\":{\"nodot\":\"1\"}}", "linux.resources.unified.nodot: \"nodot\" is not a cgroup file name" },
		{ "{\"unified\":{\"memory.high\":5}}", "linux.resources.unified.memory.high: expected a string" },
		{ "{\"unified\":{\"cgroup.procs\":\"1\"}}", "linux.resources.unified.cgroup.procs: moving processes is not a resource setting" },
		{ "{\"unified\":[]}", "linux.resources.unified: expected an object" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_plan_error(0, cases[i].json, cases[i].err);
		assert_plan_error(1, cases[i].json, cases[i].err);
	}
}

/* What cgroup v2 cannot express is an error there, and fine on v1. */
static void test_v2_unsupported(void **state)
{
	(void)state;
	static const struct {
		const char *json, *err;
	} cases[] = {
		{ "{\"memory\":{\"swappiness\":10}}", "linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness" },
		{ "{\"memory\":{\"kernel\":1048576}}", "linux.resources.memory.kernel: cgroup v2 has no separate kernel memory limit" },
		{ "{\"memory\":{\"kernelTCP\":1048576}}", "linux.resources.memory.kernelTCP:" },
		{ "{\"memory\":{\"disableOOMKiller\":true}}", "linux.resources.memory.disableOOMKiller: cgroup v2 cannot disable the OOM killer" },
		{ "{\"memory\":{\"useHierarchy\":false}}", "linux.resources.memory.useHierarchy" },
		{ "{\"cpu\":{\"realtimeRuntime\":1000}}", "linux.resources.cpu.realtimeRuntime: cgroup v2 has no realtime" },
		{ "{\"cpu\":{\"realtimePeriod\":1000}}", "linux.resources.cpu.realtimePeriod" },
		{ "{\"blockIO\":{\"leafWeight\":100}}", "linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weights" },
		{ "{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0,\"leafWeight\":100}]}}",
		  "linux.resources.blockIO.weightDevice[0].leafWeight" },
		{ "{\"network\":{\"classID\":1}}", "linux.resources.network.classID: cgroup v2 has no net_cls controller" },
		{ "{\"network\":{\"priorities\":[{\"name\":\"lo\",\"priority\":1}]}}", "linux.resources.network.priorities: cgroup v2 has no net_prio" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_plan_error(1, cases[i].json, cases[i].err);
		json_object *o = J(cases[i].json);
		struct kcg_write *w;
		size_t n;
		kerr e;
		if (kcg_plan_resources(0, o, &w, &n, &e) < 0)
			fail_msg("v1 plan for %s: %s", cases[i].json, e.msg);
		kcg_writes_free(w, n);
		json_object_put(o);
	}
	/* and unified is an error on v1 */
	assert_plan_error(0, "{\"unified\":{\"memory.high\":\"1\"}}",
			  "config.json: linux.resources.unified: this host has only cgroup v1 hierarchies");
}

/* ------------------------------------------------------ fake hierarchies */

struct fake {
	char root[64];
	struct kcg_host h;
};

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static struct fake *current_fake; /* removed by the teardown when a test fails */

static void fake_init(struct fake *f, enum kcg_layout layout)
{
	memset(f, 0, sizeof(*f));
	current_fake = f;
	snprintf(f->root, sizeof(f->root), "/tmp/kcg-test-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->h.layout = layout;
	f->h.unified = -1;
}

static void fake_done(struct fake *f)
{
	nftw(f->root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	current_fake = NULL;
}

static int teardown(void **state)
{
	(void)state;
	if (current_fake)
		fake_done(current_fake);
	return 0;
}

static void mkdirs(const char *p)
{
	kerr e;
	if (kfs_mkdir_p(p, 0755, &e) < 0)
		fail_msg("%s", e.msg);
}

/* A hierarchy NAME (controllers CTLS, "" for cgroup2) with the container's dir. */
static void fake_hier(struct fake *f, const char *name, const char *ctls, int v2)
{
	struct kcg_hier *hh = &f->h.hier[f->h.n];
	char root[sizeof(f->root)];
	memcpy(root, f->root, sizeof(root));
	snprintf(hh->mount, sizeof(hh->mount), "%s/%s", root, name);
	snprintf(hh->controllers, sizeof(hh->controllers), "%s", ctls);
	hh->v2 = v2;
	if (v2)
		f->h.unified = f->h.n;
	f->h.n++;
	char d[PATH_MAX];
	snprintf(d, sizeof(d), "%s%s", hh->mount, CG);
	mkdirs(d);
}

/* Make knob FILE in hierarchy NAME's container dir (REL: another dir). */
static void knob_in(struct fake *f, const char *name, const char *rel, const char *file, const char *content)
{
	char p[PATH_MAX];
	kerr e;
	snprintf(p, sizeof(p), "%s/%s%s/%s", f->root, name, rel, file);
	if (kfs_write_file(p, content, strlen(content), 0644, 0, &e) < 0)
		fail_msg("%s", e.msg);
}

static void knob(struct fake *f, const char *name, const char *file, const char *content)
{
	knob_in(f, name, CG, file, content);
}

static void knobs(struct fake *f, const char *name, const char *const *files)
{
	for (; *files; files++)
		knob(f, name, *files, "");
}

static char *read_knob(struct fake *f, const char *name, const char *file)
{
	char p[PATH_MAX];
	char *buf = NULL;
	kerr e;
	snprintf(p, sizeof(p), "%s/%s%s/%s", f->root, name, CG, file);
	if (kfs_read_file(p, &buf, NULL, &e) < 0)
		fail_msg("%s", e.msg);
	return buf;
}

/* The resolved writes as "hier/file=value" (paths relative to the fake root). */
static char *resolved(struct fake *f, const char *json, kerr *e)
{
	json_object *o = json ? J(json) : NULL;
	struct kcg_write *w;
	size_t n;
	int r = kcg_resolve_resources(&f->h, CG, o, &w, &n, e);
	json_object_put(o);
	if (r < 0)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	size_t rl = strlen(f->root);
	for (size_t i = 0; i < n; i++) {
		assert_memory_equal(w[i].path, f->root, rl);
		char hier[64];
		snprintf(hier, sizeof(hier), "%s", w[i].path + rl + 1);
		*strchr(hier, '/') = '\0';
		fprintf(fp, "%s/%s=", hier, w[i].file);
		put_value(fp, &w[i]);
		fputc('\n', fp);
	}
	fclose(fp);
	kcg_writes_free(w, n);
	return buf;
}

static void assert_resolved(struct fake *f, const char *json, const char *expect)
{
	kerr e = { 0 };
	_cleanup_free_ char *got = resolved(f, json, &e);
	if (!got)
		fail_msg("resolve %s: %s", json, e.msg);
	if (strcmp(got, expect))
		fail_msg("resolve %s:\n--- got\n%s--- want\n%s", json, got, expect);
}

static void assert_resolve_error(struct fake *f, const char *json, const char *expect)
{
	kerr e = { 0 };
	char *got = resolved(f, json, &e);
	if (got) {
		free(got);
		fail_msg("resolve %s succeeded, expected \"%s\"", json, expect);
	}
	if (!strstr(e.msg, expect))
		fail_msg("resolve %s:\n got: %s\nwant: %s", json, e.msg, expect);
}

static const char *const mem_knobs[] = {
	"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.swappiness",
	"memory.oom_control", "memory.usage_in_bytes", NULL,
};
static const char *const cpu_knobs[] = {
	"cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.rt_runtime_us", "cpu.rt_period_us", "cpu.idle", NULL,
};
static const char *const dev_knobs[] = { "devices.allow", "devices.deny", NULL };

/* The layout of the test machine: v1 controllers, cpu and cpuacct apart,
 * no hugetlb/net_cls/net_prio, cgroup2 with no controllers. */
static void fake_hybrid(struct fake *f)
{
	fake_init(f, KCG_HYBRID);
	fake_hier(f, "cpu", "cpu", 0);
	fake_hier(f, "cpuacct", "cpuacct", 0);
	fake_hier(f, "cpuset", "cpuset", 0);
	fake_hier(f, "memory", "memory", 0);
	fake_hier(f, "devices", "devices", 0);
	fake_hier(f, "blkio", "blkio", 0);
	fake_hier(f, "pids", "pids", 0);
	fake_hier(f, "systemd", "name=systemd", 0);
	fake_hier(f, "unified", "", 1);
	knobs(f, "memory", mem_knobs);
	knobs(f, "cpu", cpu_knobs);
	knobs(f, "devices", dev_knobs);
	knob(f, "pids", "pids.max", "");
	knob(f, "cpuset", "cpuset.cpus", "");
	knob(f, "cpuset", "cpuset.mems", "");
	knob(f, "blkio", "blkio.throttle.read_bps_device", "");
	knob(f, "blkio", "blkio.bfq.weight", ""); /* no CFQ: BFQ's weight only */
	knob(f, "unified", "cgroup.controllers", "\n");
	knob(f, "unified", "memory.pressure", "");
}

static void test_resolve_hybrid(void **state)
{
	(void)state;
	struct fake f;
	fake_hybrid(&f);
	assert_resolved(&f,
			"{\"memory\":{\"limit\":67108864,\"swap\":134217728},\"cpu\":{\"shares\":512,\"quota\":50000,"
			"\"period\":100000,\"cpus\":\"0\"},\"pids\":{\"limit\":20},\"blockIO\":{\"weight\":300,"
			"\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1000}]},"
			"\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],\"unified\":{\"memory.pressure\":\"x\"}}",
			"memory/memory.limit_in_bytes=67108864\n"
			"memory/memory.memsw.limit_in_bytes=134217728\n"
			"cpu/cpu.shares=512\n"
			"cpu/cpu.cfs_period_us=100000\n"
			"cpu/cpu.cfs_quota_us=50000\n"
			"cpuset/cpuset.cpus=0\n"
			"pids/pids.max=20\n"
			"blkio/blkio.bfq.weight=300\n"
			"blkio/blkio.throttle.read_bps_device=8:0 1000\n"
			"devices/devices.deny=a *:* rwm\n"
			"devices/devices.allow=c 1:3 rwm\ndevices/devices.allow=c 1:5 rwm\ndevices/devices.allow=c 1:7 rwm\n"
			"devices/devices.allow=c 1:8 rwm\ndevices/devices.allow=c 1:9 rwm\ndevices/devices.allow=c 5:0 rwm\n"
			"devices/devices.allow=c 5:2 rwm\ndevices/devices.allow=c 136:* rwm\n"
			/* the device program too, where the container's process is in the cgroup2 tree */
			"unified/" DEVPROG("deny a *:* rwm;")
			"unified/memory.pressure=x\n");
	/* what this host lacks is an error naming the field */
	assert_resolve_error(&f, "{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":1}]}",
			     "config.json: linux.resources.hugepageLimits[0]: no hugetlb controller on this host (no cgroup v1 "
			     "hierarchy under /sys/fs/cgroup has it, and it is not enabled in the cgroup2 tree at");
	assert_resolve_error(&f, "{\"network\":{\"classID\":1}}", "config.json: linux.resources.network.classID: no net_cls controller");
	assert_resolve_error(&f, "{\"network\":{\"priorities\":[{\"name\":\"lo\",\"priority\":1}]}}",
			     "linux.resources.network.priorities[0]: no net_prio controller");
	assert_resolve_error(&f, "{\"rdma\":{\"mlx5_0\":{\"hcaHandles\":1}}}", "linux.resources.rdma.mlx5_0: no rdma controller");
	assert_resolve_error(&f, "{\"cpu\":{\"burst\":1000}}",
			     "config.json: linux.resources.cpu.burst: this host cannot set it (cpu.cfs_burst_us missing in");
	assert_resolve_error(&f, "{\"memory\":{\"kernel\":1000}}", "linux.resources.memory.kernel: this host cannot set it (memory.kmem.limit_in_bytes missing");
	assert_resolve_error(&f, "{\"blockIO\":{\"leafWeight\":100}}", "linux.resources.blockIO.leafWeight: this host cannot set it (blkio.leaf_weight missing");
	/* unified: a v1 controller, or one not enabled in the cgroup2 tree */
	assert_resolve_error(&f, "{\"unified\":{\"memory.high\":\"1\"}}",
			     "config.json: linux.resources.unified.memory.high: memory is a cgroup v1 controller on this host");
	assert_resolve_error(&f, "{\"unified\":{\"hugetlb.2MB.max\":\"1\"}}",
			     "config.json: linux.resources.unified.hugetlb.2MB.max: the hugetlb controller is not enabled in "
			     "the cgroup2 tree");
	assert_resolve_error(&f, "{\"unified\":{\"cgroup.max.depth\":\"1\"}}",
			     "linux.resources.unified.cgroup.max.depth: this host cannot set it (cgroup.max.depth missing");
	/* nothing asked: the default device rules only */
	kerr e;
	_cleanup_free_ char *r = resolved(&f, NULL, &e);
	assert_non_null(r);
	assert_non_null(strstr(r, "devices/devices.deny=a *:* rwm\n"));
	fake_done(&f);
}

/* A controller missing from v1 but enabled in the cgroup2 tree goes there. */
static void test_resolve_hybrid_v2_controller(void **state)
{
	(void)state;
	struct fake f;
	fake_hybrid(&f);
	knob(&f, "unified", "cgroup.controllers", "hugetlb rdma\n");
	knob(&f, "unified", "hugetlb.2MB.max", "");
	knob(&f, "unified", "hugetlb.2MB.high", "");
	assert_resolved(&f,
			"{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],\"devices\":[],"
			"\"unified\":{\"hugetlb.2MB.high\":\"100\"}}",
			/* v1 hierarchies first, then the cgroup2 tree, then unified */
			"devices/devices.deny=a *:* rwm\n"
			"devices/devices.allow=c 1:3 rwm\ndevices/devices.allow=c 1:5 rwm\ndevices/devices.allow=c 1:7 rwm\n"
			"devices/devices.allow=c 1:8 rwm\ndevices/devices.allow=c 1:9 rwm\ndevices/devices.allow=c 5:0 rwm\n"
			"devices/devices.allow=c 5:2 rwm\ndevices/devices.allow=c 136:* rwm\n"
			"unified/hugetlb.2MB.max=4194304\n"
			"unified/" DEVPROG("")
			"unified/hugetlb.2MB.high=100\n");
	assert_resolve_error(&f, "{\"hugepageLimits\":[{\"pageSize\":\"1GB\",\"limit\":1}]}",
			     "config.json: linux.resources.hugepageLimits[0]: this host has no such huge page size "
			     "(hugetlb.1GB.max missing");
	/* v2 rules apply to a field the v2 driver cannot do */
	assert_resolve_error(&f, "{\"rdma\":{\"x\":{\"hcaHandles\":1}}}", "linux.resources.rdma.x: this host cannot set it (rdma.max missing");
	fake_done(&f);
}

static void test_resolve_v1_only(void **state)
{
	(void)state;
	struct fake f;
	fake_init(&f, KCG_V1);
	fake_hier(&f, "memory", "memory", 0);
	fake_hier(&f, "cpu,cpuacct", "cpu,cpuacct", 0);
	static const char *const no_memsw[] = { "memory.limit_in_bytes", NULL };
	knobs(&f, "memory", no_memsw);
	knobs(&f, "cpu,cpuacct", cpu_knobs);
	/* no devices hierarchy: the implicit rules are skipped, given ones are an error */
	assert_resolved(&f, "{\"cpu\":{\"shares\":2}}", "cpu,cpuacct/cpu.shares=2\n");
	assert_resolve_error(&f, "{\"devices\":[{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3}]}",
			     "config.json: linux.resources.devices: no devices controller on this host (no cgroup v1 hierarchy has it)");
	kerr e = { 0 };
	char *none = resolved(&f, "{\"memory\":{\"limit\":1048576,\"swap\":2097152}}", &e);
	assert_null(none);
	assert_string_equal(e.msg, "config.json: linux.resources.memory.swap: this host has no swap accounting "
				   "(memory.memsw.limit_in_bytes missing)");
	assert_int_equal(e.errnum, ENOTSUP);
	/* limit -1: the memsw companion is optional */
	assert_resolved(&f, "{\"memory\":{\"limit\":-1}}", "memory/memory.limit_in_bytes=-1\n");
	assert_resolve_error(&f, "{\"unified\":{\"memory.high\":\"1\"}}",
			     "config.json: linux.resources.unified: this host has only cgroup v1 hierarchies");
	assert_resolve_error(&f, "{\"pids\":{\"limit\":5}}", "linux.resources.pids.limit: no pids controller on this host");
	fake_done(&f);
}

static void test_resolve_v2(void **state)
{
	(void)state;
	struct fake f;
	fake_init(&f, KCG_V2);
	fake_hier(&f, "", "", 1);
	knob_in(&f, "", "", "cgroup.controllers", "cpu memory pids io\n");
	knob_in(&f, "", "", "cgroup.subtree_control", "");
	knob_in(&f, "", "/kapsel", "cgroup.controllers", "cpu memory pids io\n");
	knob_in(&f, "", "/kapsel", "cgroup.subtree_control", "");
	knob(&f, "", "cgroup.controllers", "cpu memory io\n");
	static const char *const v2_knobs[] = { "memory.max", "memory.low", "cpu.weight", "cpu.max", "io.bfq.weight",
						"memory.high", NULL };
	knobs(&f, "", v2_knobs);
	assert_resolved(&f,
			"{\"memory\":{\"limit\":1048576,\"reservation\":4096},\"cpu\":{\"shares\":1024,\"quota\":1000},"
			"\"blockIO\":{\"weight\":100},\"unified\":{\"memory.high\":\"900000\"}}",
			"/memory.max=1048576\n/memory.low=4096\n/cpu.weight=39\n/cpu.max=1000\n/io.bfq.weight=100\n"
			"/" DEVPROG("")
			"/memory.high=900000\n");
	/* swap not accounted; pids not enabled for the container: enabled from the top */
	assert_resolve_error(&f, "{\"memory\":{\"limit\":1048576,\"swap\":2097152}}",
			     "linux.resources.memory.swap: this host has no swap accounting (memory.swap.max missing)");
	assert_resolve_error(&f, "{\"pids\":{\"limit\":5}}", "config.json: linux.resources.pids.limit: no pids controller on this host (not available in");
	_cleanup_free_ char *sc = NULL;
	kerr e;
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/kapsel/cgroup.subtree_control", f.root);
	assert_int_equal(kfs_read_file(p, &sc, NULL, &e), 0);
	assert_string_equal(sc, "+pids");
	assert_resolve_error(&f, "{\"memory\":{\"swappiness\":1}}", "linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness");
	assert_resolved(&f, "{\"devices\":[{\"allow\":false}]}", "/" DEVPROG("deny a *:* rwm;"));
	fake_done(&f);
}

/* v1 memory.limit_in_bytes <= memory.memsw.limit_in_bytes must hold after each write. */
static void test_memsw_order(void **state)
{
	(void)state;
	struct fake f;
	fake_init(&f, KCG_V1);
	fake_hier(&f, "memory", "memory", 0);
	knobs(&f, "memory", mem_knobs);
	const char *j = "{\"memory\":{\"limit\":268435456,\"swap\":268435456}}";

	/* lowering from 512M: the limit goes first */
	knob(&f, "memory", "memory.limit_in_bytes", "536870912\n");
	knob(&f, "memory", "memory.memsw.limit_in_bytes", "1073741824\n");
	assert_resolved(&f, j, "memory/memory.limit_in_bytes=268435456\nmemory/memory.memsw.limit_in_bytes=268435456\n");
	/* raising from 128M: memsw goes first */
	knob(&f, "memory", "memory.limit_in_bytes", "134217728\n");
	knob(&f, "memory", "memory.memsw.limit_in_bytes", "134217728\n");
	assert_resolved(&f, j, "memory/memory.memsw.limit_in_bytes=268435456\nmemory/memory.limit_in_bytes=268435456\n");
	/* new memsw equal to the current limit: memsw first is safe */
	knob(&f, "memory", "memory.limit_in_bytes", "268435456\n");
	assert_resolved(&f, j, "memory/memory.memsw.limit_in_bytes=268435456\nmemory/memory.limit_in_bytes=268435456\n");
	/* a fresh cgroup (unlimited): the limit first */
	knob(&f, "memory", "memory.limit_in_bytes", "9223372036854771712\n");
	assert_resolved(&f, j, "memory/memory.limit_in_bytes=268435456\nmemory/memory.memsw.limit_in_bytes=268435456\n");
	/* unlimited swap, and unlimited memory: memsw first */
	assert_resolved(&f, "{\"memory\":{\"limit\":268435456,\"swap\":-1}}",
			"memory/memory.memsw.limit_in_bytes=-1\nmemory/memory.limit_in_bytes=268435456\n");
	assert_resolved(&f, "{\"memory\":{\"limit\":-1}}", "memory/memory.memsw.limit_in_bytes=-1\nmemory/memory.limit_in_bytes=-1\n");

	/* and the files get the values */
	knob(&f, "memory", "memory.limit_in_bytes", "134217728\n");
	json_object *o = J("{\"memory\":{\"limit\":268435456,\"swap\":536870912,\"reservation\":1024}}");
	kerr e;
	if (kcg_apply_resources(&f.h, CG, o, &e) < 0)
		fail_msg("%s", e.msg);
	json_object_put(o);
	_cleanup_free_ char *l = read_knob(&f, "memory", "memory.limit_in_bytes");
	_cleanup_free_ char *s = read_knob(&f, "memory", "memory.memsw.limit_in_bytes");
	_cleanup_free_ char *r = read_knob(&f, "memory", "memory.soft_limit_in_bytes");
	assert_string_equal(l, "268435456");
	assert_string_equal(s, "536870912");
	assert_string_equal(r, "1024");
	fake_done(&f);
}

static void test_check_before_update(void **state)
{
	(void)state;
	struct fake f;
	fake_init(&f, KCG_V1);
	fake_hier(&f, "memory", "memory", 0);
	knobs(&f, "memory", mem_knobs);
	knob(&f, "memory", "memory.usage_in_bytes", "2097152\n");
	assert_resolve_error(&f, "{\"memory\":{\"limit\":1048576,\"checkBeforeUpdate\":true}}",
			     "config.json: linux.resources.memory.limit: 1048576 is below the current usage 2097152 (checkBeforeUpdate)");
	assert_resolved(&f, "{\"memory\":{\"limit\":1048576}}", "memory/memory.limit_in_bytes=1048576\n");
	assert_resolved(&f, "{\"memory\":{\"limit\":4194304,\"checkBeforeUpdate\":true}}", "memory/memory.limit_in_bytes=4194304\n");
	fake_done(&f);
}

/* A write the kernel refuses names the field, the value, the file and errno. */
static void test_write_refused(void **state)
{
	(void)state;
	struct fake f;
	fake_init(&f, KCG_V1);
	fake_hier(&f, "cpu", "cpu", 0);
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/cpu%s/cpu.cfs_quota_us", f.root, CG);
	assert_int_equal(symlink("/dev/full", p), 0); /* every write: ENOSPC */
	json_object *o = J("{\"cpu\":{\"quota\":500}}");
	kerr e = { 0 };
	assert_int_equal(kcg_apply_resources(&f.h, CG, o, &e), -1);
	char want[PATH_MAX + 128];
	snprintf(want, sizeof(want), "config.json: linux.resources.cpu.quota: write \"500\" to %s: %s", p, strerror(ENOSPC));
	assert_string_equal(e.msg, want);
	assert_int_equal(e.errnum, ENOSPC);
	json_object_put(o);
	fake_done(&f);
}

/* ---------------------------------------------------------------- stats */

static uint64_t jget(json_object *o, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	char *save = NULL;
	for (char *t = strtok_r(buf, ".", &save); t; t = strtok_r(NULL, ".", &save)) {
		json_object *c = NULL;
		if (!json_object_object_get_ex(o, t, &c))
			fail_msg("stats: no %s (at %s) in %s", path, t, json_object_to_json_string(o));
		o = c;
	}
	return json_object_get_uint64(o);
}

static int jhas(json_object *o, const char *a, const char *b)
{
	json_object *c;
	return json_object_object_get_ex(o, a, &c) && json_object_object_get_ex(c, b, NULL);
}

static void test_stats_v1(void **state)
{
	(void)state;
	struct fake f;
	fake_init(&f, KCG_HYBRID);
	fake_hier(&f, "cpu", "cpu", 0);
	fake_hier(&f, "cpuacct", "cpuacct", 0);
	fake_hier(&f, "memory", "memory", 0);
	fake_hier(&f, "pids", "pids", 0);
	fake_hier(&f, "blkio", "blkio", 0);
	fake_hier(&f, "unified", "", 1);
	knob(&f, "cpuacct", "cpuacct.usage", "123456789\n");
	knob(&f, "cpuacct", "cpuacct.usage_percpu", "100 200 \n");
	knob(&f, "cpuacct", "cpuacct.stat", "user 10\nsystem 5\n");
	knob(&f, "cpu", "cpu.stat", "nr_periods 7\nnr_throttled 3\nthrottled_time 999\n");
	knob(&f, "memory", "memory.usage_in_bytes", "4096\n");
	knob(&f, "memory", "memory.limit_in_bytes", "9223372036854771712\n");
	knob(&f, "memory", "memory.max_usage_in_bytes", "8192\n");
	knob(&f, "memory", "memory.failcnt", "1\n");
	knob(&f, "memory", "memory.memsw.usage_in_bytes", "5000\n");
	knob(&f, "memory", "memory.memsw.limit_in_bytes", "67108864\n");
	knob(&f, "memory", "memory.stat", "cache 100\nrss 200\ntotal_cache 100\n");
	knob(&f, "memory", "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	knob(&f, "pids", "pids.current", "3\n");
	knob(&f, "pids", "pids.max", "max\n");
	knob(&f, "blkio", "blkio.throttle.io_service_bytes_recursive", "8:0 Read 100\n8:0 Write 200\nTotal 300\n");
	knob(&f, "blkio", "blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 2\nTotal 3\n");
	knob(&f, "blkio", "blkio.io_service_bytes_recursive", "Total 0\n"); /* CFQ's, empty */

	json_object *s;
	kerr e;
	assert_int_equal(kcg_stats(&f.h, CG, &s, &e), 0);
	uint64_t tick = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
	assert_int_equal(jget(s, "cpu.usage.total"), 123456789);
	assert_int_equal(jget(s, "cpu.usage.user"), 10 * tick);
	assert_int_equal(jget(s, "cpu.usage.kernel"), 5 * tick);
	json_object *percpu = json_object_object_get(json_object_object_get(json_object_object_get(s, "cpu"), "usage"), "percpu");
	assert_int_equal(json_object_array_length(percpu), 2);
	assert_int_equal(json_object_get_uint64(json_object_array_get_idx(percpu, 1)), 200);
	assert_int_equal(jget(s, "cpu.throttling.periods"), 7);
	assert_int_equal(jget(s, "cpu.throttling.throttledPeriods"), 3);
	assert_int_equal(jget(s, "cpu.throttling.throttledTime"), 999);
	assert_int_equal(jget(s, "memory.usage.usage"), 4096);
	assert_int_equal(jget(s, "memory.usage.limit"), 9223372036854771712ull);
	assert_int_equal(jget(s, "memory.usage.max"), 8192);
	assert_int_equal(jget(s, "memory.usage.failcnt"), 1);
	assert_int_equal(jget(s, "memory.swap.usage"), 5000);
	assert_int_equal(jget(s, "memory.swap.limit"), 67108864);
	assert_int_equal(jget(s, "memory.raw.rss"), 200);
	assert_int_equal(jget(s, "memory.cache"), 100);
	assert_false(jhas(s, "memory", "kernel"));
	assert_int_equal(jget(s, "pids.current"), 3);
	assert_false(jhas(s, "pids", "limit")); /* "max" */
	json_object *b = json_object_object_get(json_object_object_get(s, "blkio"), "ioServiceBytesRecursive");
	assert_int_equal(json_object_array_length(b), 2);
	json_object *w = json_object_array_get_idx(b, 1);
	assert_int_equal(jget(w, "major"), 8);
	assert_string_equal(json_object_get_string(json_object_object_get(w, "op")), "Write");
	assert_int_equal(jget(w, "value"), 200);
	b = json_object_object_get(json_object_object_get(s, "blkio"), "ioServicedRecursive");
	assert_int_equal(json_object_array_length(b), 2);
	assert_non_null(json_object_object_get(s, "hugetlb"));
	json_object_put(s);

	uint64_t n;
	assert_int_equal(kcg_oom_count(&f.h, CG, &n, &e), 0);
	assert_int_equal(n, 2);

	/* the typed figures behind it */
	static struct kcg_stats t;
	knob(&f, "memory", "memory.stat",
	     "cache 100\nrss 200\nmapped_file 7\ninactive_file 50\ntotal_cache 1100\ntotal_rss 1200\n"
	     "total_mapped_file 70\ntotal_inactive_file 5000\ntotal_pgfault 9\n");
	assert_int_equal(kcg_stats_read(&f.h, CG, &t, &e), 0);
	assert_true(t.have & KCG_HAVE_CPU_SPLIT);
	assert_int_equal(t.cpu.throttled_ns, 999);
	assert_int_equal(t.mem.cache, 1100); /* hierarchical totals */
	assert_int_equal(t.mem.rss, 1200);
	assert_int_equal(t.mem.mapped_file, 70);
	assert_int_equal(t.mem.pgfault, 9);
	assert_int_equal(t.mem.working_set, 0); /* 4096 - 5000 clamped */
	assert_int_equal(t.mem.swap_bytes, 5000 - 4096);
	assert_int_equal(t.mem.swap_limit, UINT64_MAX); /* memory itself unlimited */
	assert_true(t.have & KCG_HAVE_OOM);
	assert_int_equal(t.mem.oom_kills, 2);
	assert_int_equal(t.pids.limit, UINT64_MAX);
	assert_int_equal(t.n_dev, 1);
	assert_int_equal(t.dev[0].bytes[KCG_IO_WRITE], 200);
	assert_int_equal(t.dev[0].ios[KCG_IO_READ], 1);
	assert_false(t.dev[0].have_bytes & (1u << KCG_IO_SYNC));
	knob(&f, "memory", "memory.stat", "total_inactive_file 96\n");
	knob(&f, "memory", "memory.limit_in_bytes", "67108864\n");
	knob(&f, "memory", "memory.memsw.limit_in_bytes", "100663296\n");
	assert_int_equal(kcg_stats_read(&f.h, CG, &t, &e), 0);
	assert_int_equal(t.mem.working_set, 4000);
	assert_int_equal(t.mem.swap_limit, 100663296 - 67108864);
	assert_int_equal(kcg_stats(&f.h, "/kapsel/nope", &s, &e), -1);
	assert_non_null(strstr(e.msg, "no cgroup /kapsel/nope"));
	fake_done(&f);
}

static void test_stats_v2(void **state)
{
	(void)state;
	struct fake f;
	fake_init(&f, KCG_V2);
	fake_hier(&f, "", "", 1);
	knob(&f, "", "cpu.stat", "usage_usec 1000\nuser_usec 600\nsystem_usec 400\nnr_periods 4\nnr_throttled 1\nthrottled_usec 20\n");
	knob(&f, "", "memory.current", "4096\n");
	knob(&f, "", "memory.max", "max\n");
	knob(&f, "", "memory.peak", "9000\n");
	knob(&f, "", "memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 3\n");
	knob(&f, "", "memory.swap.current", "10\n");
	knob(&f, "", "memory.swap.max", "1000\n");
	knob(&f, "", "memory.stat", "anon 6\nfile 5\n");
	knob(&f, "", "pids.current", "2\n");
	knob(&f, "", "pids.max", "20\n");
	knob(&f, "", "io.stat", "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n8:16 rbytes=7 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
	knob(&f, "", "hugetlb.2MB.current", "0\n");
	knob(&f, "", "hugetlb.2MB.events", "max 6\n");
	json_object *s;
	kerr e;
	assert_int_equal(kcg_stats(&f.h, CG, &s, &e), 0);
	assert_int_equal(jget(s, "cpu.usage.total"), 1000000);
	assert_int_equal(jget(s, "cpu.usage.user"), 600000);
	assert_int_equal(jget(s, "cpu.usage.kernel"), 400000);
	assert_int_equal(jget(s, "cpu.throttling.periods"), 4);
	assert_int_equal(jget(s, "cpu.throttling.throttledTime"), 20000);
	assert_int_equal(jget(s, "memory.usage.usage"), 4096);
	assert_int_equal(jget(s, "memory.usage.limit"), UINT64_MAX);
	assert_int_equal(jget(s, "memory.usage.max"), 9000);
	assert_int_equal(jget(s, "memory.usage.failcnt"), 4);
	assert_int_equal(jget(s, "memory.swap.usage"), 4106);     /* memory+swap, as v1 */
	assert_int_equal(jget(s, "memory.swap.limit"), UINT64_MAX); /* memory unlimited */
	assert_int_equal(jget(s, "memory.cache"), 5);
	assert_int_equal(jget(s, "memory.raw.anon"), 6);
	assert_int_equal(jget(s, "pids.current"), 2);
	assert_int_equal(jget(s, "pids.limit"), 20);
	json_object *b = json_object_object_get(json_object_object_get(s, "blkio"), "ioServiceBytesRecursive");
	assert_int_equal(json_object_array_length(b), 6);
	json_object *r = json_object_array_get_idx(b, 3);
	assert_int_equal(jget(r, "minor"), 16);
	assert_string_equal(json_object_get_string(json_object_object_get(r, "op")), "Read");
	assert_int_equal(jget(r, "value"), 7);
	assert_int_equal(jget(s, "hugetlb.2MB.failcnt"), 6);
	assert_int_equal(jget(s, "hugetlb.2MB.usage"), 0);
	json_object_put(s);
	uint64_t n;
	assert_int_equal(kcg_oom_count(&f.h, CG, &n, &e), 0);
	assert_int_equal(n, 3);

	static struct kcg_stats t;
	knob(&f, "", "memory.stat", "anon 6\nfile 5\nfile_mapped 3\ninactive_file 96\npgmajfault 2\n");
	assert_int_equal(kcg_stats_read(&f.h, CG, &t, &e), 0);
	assert_true(t.v2_memory);
	assert_int_equal(t.mem.rss, 6);
	assert_int_equal(t.mem.cache, 5);
	assert_int_equal(t.mem.mapped_file, 3);
	assert_int_equal(t.mem.pgmajfault, 2);
	assert_int_equal(t.mem.working_set, 4000);
	assert_int_equal(t.mem.swap_bytes, 10);
	assert_int_equal(t.mem.swap_limit, 1000);
	assert_int_equal(t.mem.oom_kills, 3); /* oom_kill, not oom */
	assert_int_equal(t.cpu.user, 600000);
	assert_int_equal(t.n_dev, 2);
	assert_int_equal(t.dev[1].bytes[KCG_IO_READ], 7);
	assert_int_equal(t.dev[0].ios[KCG_IO_WRITE], 4);
	assert_int_equal(t.n_huge, 1);
	assert_string_equal(t.huge[0].size, "2MB");
	assert_int_equal(t.huge[0].failcnt, 6);
	fake_done(&f);
}

/* ----------------------------------------------------------------- real */

static void test_real_v1(void **state)
{
	(void)state;
	struct stat st;
	if (geteuid() != 0 || stat("/sys/fs/cgroup/memory", &st) < 0 || stat("/sys/fs/cgroup/pids", &st) < 0 ||
	    stat("/sys/fs/cgroup/cpu", &st) < 0) {
		skip();
		return;
	}
	struct kcg_host all, h;
	kerr e;
	if (kcg_host_detect(&all, &e) < 0)
		fail_msg("%s", e.msg);
	/* just the three hierarchies this test makes its cgroup in */
	memset(&h, 0, sizeof(h));
	h.layout = KCG_V1;
	h.unified = -1;
	static const char *const want[] = { "memory", "pids", "cpu" };
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		int idx = kcg_find(&all, want[i]);
		if (idx < 0 || all.hier[idx].v2) {
			skip();
			return;
		}
		h.hier[h.n++] = all.hier[idx];
	}
	char path[64], dir[PATH_MAX];
	snprintf(path, sizeof(path), "/kapsel-unit-test-%d", (int)getpid());
	for (int i = 0; i < h.n; i++) {
		snprintf(dir, sizeof(dir), "%s%s", h.hier[i].mount, path);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", dir, strerror(errno));
	}
	json_object *o = J("{\"memory\":{\"limit\":67108864},\"pids\":{\"limit\":20},"
			   "\"cpu\":{\"quota\":50000,\"period\":100000}}");
	int r = kcg_apply_resources(&h, path, o, &e);
	json_object_put(o);
	char got[5][64] = { "", "", "", "", "" };
	static const struct {
		const char *ctl, *file;
	} files[] = {
		{ "memory", "memory.limit_in_bytes" },
		{ "pids", "pids.max" },
		{ "cpu", "cpu.cfs_quota_us" },
		{ "cpu", "cpu.cfs_period_us" },
	};
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *buf = NULL;
		kerr re;
		snprintf(dir, sizeof(dir), "%s%s/%s", h.hier[kcg_find(&h, files[i].ctl)].mount, path, files[i].file);
		if (kfs_read_file(dir, &buf, NULL, &re) == 0)
			snprintf(got[i], sizeof(got[i]), "%.*s", (int)strcspn(buf, "\n"), buf);
	}
	/* a quota the kernel refuses: file, value and errno in the message */
	o = J("{\"cpu\":{\"quota\":500}}");
	kerr qe = { 0 };
	int qr = kcg_apply_resources(&h, path, o, &qe);
	json_object_put(o);
	/* stats and the oom counter read from the real files */
	json_object *s = NULL;
	kerr se;
	int sr = kcg_stats(&h, path, &s, &se);
	uint64_t ooms = 99;
	int orc = kcg_oom_count(&h, path, &ooms, &se);

	for (int i = h.n - 1; i >= 0; i--) {
		snprintf(dir, sizeof(dir), "%s%s", h.hier[i].mount, path);
		rmdir(dir);
	}
	if (r < 0)
		fail_msg("apply: %s", e.msg);
	assert_string_equal(got[0], "67108864");
	assert_string_equal(got[1], "20");
	assert_string_equal(got[2], "50000");
	assert_string_equal(got[3], "100000");
	assert_int_equal(qr, -1);
	assert_non_null(strstr(qe.msg, "config.json: linux.resources.cpu.quota: write \"500\" to /sys/fs/cgroup/cpu"));
	assert_non_null(strstr(qe.msg, "/cpu.cfs_quota_us: Invalid argument"));
	assert_int_equal(sr, 0);
	assert_int_equal(jget(s, "memory.usage.limit"), 67108864);
	assert_int_equal(jget(s, "pids.limit"), 20);
	assert_int_equal(jget(s, "pids.current"), 0);
	json_object_put(s);
	assert_int_equal(orc, 0);
	assert_int_equal(ooms, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_plan_v1_full, teardown),
		cmocka_unit_test_teardown(test_plan_v1_metadata, teardown),
		cmocka_unit_test_teardown(test_plan_v2_full, teardown),
		cmocka_unit_test_teardown(test_plan_empty, teardown),
		cmocka_unit_test_teardown(test_shares_to_weight, teardown),
		cmocka_unit_test_teardown(test_cpu_max, teardown),
		cmocka_unit_test_teardown(test_swap_semantics, teardown),
		cmocka_unit_test_teardown(test_pids, teardown),
		cmocka_unit_test_teardown(test_devices, teardown),
		cmocka_unit_test_teardown(test_v1_devices_transition, teardown),
		cmocka_unit_test_teardown(test_bad_input, teardown),
		cmocka_unit_test_teardown(test_v2_unsupported, teardown),
		cmocka_unit_test_teardown(test_resolve_hybrid, teardown),
		cmocka_unit_test_teardown(test_resolve_hybrid_v2_controller, teardown),
		cmocka_unit_test_teardown(test_resolve_v1_only, teardown),
		cmocka_unit_test_teardown(test_resolve_v2, teardown),
		cmocka_unit_test_teardown(test_memsw_order, teardown),
		cmocka_unit_test_teardown(test_check_before_update, teardown),
		cmocka_unit_test_teardown(test_write_refused, teardown),
		cmocka_unit_test_teardown(test_stats_v1, teardown),
		cmocka_unit_test_teardown(test_stats_v2, teardown),
		cmocka_unit_test_teardown(test_real_v1, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
