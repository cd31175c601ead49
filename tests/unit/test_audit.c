/* Unit tests for the audit library: user and id matching, --fail-on, the
 * Dockerfile reader and its pragmas, the container model built from a
 * Docker inspect document and from an OCI config.json, the ignore file,
 * and the report formats on a run without a daemon. */
#include "audit/audit.h"
#include "audit/internal.h"
#include "vocab/caps.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void test_user_is_root(void **state)
{
	(void)state;
	const char *root[] = { "", "root", "0", "0:0", "root:root", "00", "0:1000", "root:staff" };
	const char *not_root[] = { "1000", "nobody", "1000:0", "app:root", "10", "rooty" };
	for (size_t i = 0; i < sizeof(root) / sizeof(*root); i++)
		assert_true(audit_user_is_root(root[i]));
	for (size_t i = 0; i < sizeof(not_root) / sizeof(*not_root); i++)
		assert_false(audit_user_is_root(not_root[i]));
	assert_true(audit_user_is_root(NULL));
}

static void test_id_matches(void **state)
{
	(void)state;
	assert_true(audit_id_matches("5", "5.11"));
	assert_true(audit_id_matches("5.11", "5.11"));
	assert_false(audit_id_matches("5.1", "5.11"));
	assert_true(audit_id_matches("1.1", "1.1.10"));
	assert_false(audit_id_matches("1.1", "1.10"));
	assert_true(audit_id_matches("K", "K2.1"));
	assert_true(audit_id_matches("k2", "K2.1"));
	assert_false(audit_id_matches("K2", "K1.1"));
}

static void test_fail_on(void **state)
{
	(void)state;
	struct audit_fail_on f;
	assert_int_equal(audit_parse_fail_on("warn", &f), 0);
	assert_int_equal(f.level, AUDIT_WARN);
	assert_int_equal(audit_parse_fail_on("none", &f), 0);
	assert_true(f.never);
	assert_int_equal(audit_parse_fail_on("high", &f), 0);
	assert_true(f.by_severity);
	assert_int_equal(f.severity, AUDIT_SEV_HIGH);
	assert_int_equal(audit_parse_fail_on("bogus", &f), -1);

	/* a report with one high WARN and one INFO */
	struct audit_check hi = { .id = "5.5", .severity = AUDIT_SEV_HIGH, .scored = 1 };
	struct audit_check lo = { .id = "5.9", .severity = AUDIT_SEV_LOW };
	struct audit_result res[2] = { { .check = &hi, .level = AUDIT_WARN }, { .check = &lo, .level = AUDIT_INFO } };
	struct audit_report r = { .results = res, .n = 2 };
	audit_parse_fail_on("critical", &f);
	assert_false(audit_failed(&r, &f));
	audit_parse_fail_on("medium", &f);
	assert_true(audit_failed(&r, &f));
	audit_parse_fail_on("none", &f);
	assert_false(audit_failed(&r, &f));
	res[0].level = AUDIT_PASS;
	audit_parse_fail_on("warn", &f);
	assert_false(audit_failed(&r, &f));
	audit_parse_fail_on("info", &f);
	assert_true(audit_failed(&r, &f));
	assert_int_equal(audit_score(&r), 1);
}

static void test_dockerfile_parse(void **state)
{
	(void)state;
	const char *text =
		"# syntax=docker/dockerfile:1\n"
		"FROM debian:12 AS build\n"
		"RUN apt-get update && \\\n"
		"    # a comment inside\n"
		"    apt-get install -y curl\n"
		"\n"
		"FROM build\n"
		"# kapsel-audit ignore=K3.4,K3.5\n"
		"RUN sudo true\n"
		"RUN <<EOF\n"
		"echo one\n"
		"EOF\n"
		"# kapsel-audit: ignore-file=K3.8\n"
		"user app\n";
	struct kdockerfile df;
	kerr e;
	assert_int_equal(kdockerfile_parse(&df, "Dockerfile", text, &e), 0);
	assert_int_equal(df.nins, 6);
	assert_int_equal(df.nstages, 2);
	assert_string_equal(df.ins[0].cmd, "FROM");
	assert_int_equal(df.ins[0].line, 2);
	assert_string_equal(df.ins[1].cmd, "RUN");
	assert_int_equal(df.ins[1].line, 3);
	assert_non_null(strstr(df.ins[1].args, "apt-get install -y curl"));
	assert_null(strstr(df.ins[1].args, "comment"));
	assert_int_equal(df.ins[2].stage, 1);
	assert_true(kdockerfile_ignored(&df, &df.ins[3], "K3.4"));
	assert_true(kdockerfile_ignored(&df, &df.ins[3], "K3.5"));
	assert_false(kdockerfile_ignored(&df, &df.ins[3], "K3.6"));
	assert_false(kdockerfile_ignored(&df, &df.ins[1], "K3.4"));
	assert_true(kdockerfile_ignored(&df, &df.ins[1], "K3.8"));
	assert_non_null(strstr(df.ins[4].args, "echo one"));
	assert_string_equal(df.ins[5].cmd, "USER");
	assert_int_equal(df.ins[5].line, 14);
	kdockerfile_free(&df);
}

static const char *inspect_json =
	"{\"Id\":\"abc123\",\"Name\":\"/web\",\"State\":{\"Running\":true,\"Pid\":1},"
	"\"Config\":{\"User\":\"0:0\",\"Image\":\"x\",\"Labels\":{\"kapsel.audit.ignore\":\"5.11,5.29\"},"
	"\"Cmd\":[\"/usr/sbin/sshd\",\"-D\"],\"Healthcheck\":{\"Test\":[\"NONE\"]}},"
	"\"HostConfig\":{\"CapAdd\":[\"NET_ADMIN\",\"CAP_SYS_TIME\"],\"CapDrop\":[\"ALL\"],\"NetworkMode\":\"host\","
	"\"PidMode\":\"host\",\"Memory\":0,\"CpuShares\":1024,\"PidsLimit\":-1,"
	"\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":5},\"SecurityOpt\":[\"seccomp:unconfined\",\"no-new-privileges:true\"],"
	"\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"80\"}],\"443/tcp\":[{\"HostIp\":\"::\",\"HostPort\":\"8443\"}]},"
	"\"Devices\":[{\"PathOnHost\":\"/dev/fuse\",\"PathInContainer\":\"/dev/fuse\",\"CgroupPermissions\":\"rwm\"}]},"
	"\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/etc\",\"Destination\":\"/host-etc\",\"RW\":false,\"Propagation\":\"rshared\"}]}";

static void test_kcont_docker(void **state)
{
	(void)state;
	kerr e;
	json_object *j = json_tokener_parse(inspect_json);
	assert_non_null(j);
	struct kcont c;
	assert_int_equal(kcont_from_docker(&c, j, &e), 0);
	json_object_put(j);
	assert_string_equal(c.name, "web");
	assert_true(audit_user_is_root(c.user));
	/* CapDrop ALL then CapAdd: exactly NET_ADMIN and SYS_TIME */
	assert_true(c.caps == ((1ull << kcap_parse("NET_ADMIN")) | (1ull << kcap_parse("SYS_TIME"))));
	assert_true(c.net_host && c.pid_host && !c.ipc_host);
	assert_false(c.cpu_limited); /* 1024 is the default weight */
	assert_true(c.pids_limit <= 0);
	assert_true(c.seccomp_unconfined);
	assert_true(c.nnp);
	assert_true(c.health_known && !c.has_health);
	assert_int_equal(c.nports, 2);
	assert_int_equal(c.nmounts, 1);
	assert_string_equal(c.mounts[0].propagation, "rshared");
	assert_string_equal(c.devices[0], "/dev/fuse:/dev/fuse:rwm");
	assert_true(kstrv_contains(c.ignore, "5.11"));
	assert_string_equal(c.cmd[0], "/usr/sbin/sshd");

	/* privileged: every capability, whatever CapDrop says */
	j = json_tokener_parse("{\"Id\":\"p\",\"Name\":\"/p\",\"HostConfig\":{\"Privileged\":true,\"CapDrop\":[\"ALL\"]},\"Config\":{}}");
	struct kcont p;
	assert_int_equal(kcont_from_docker(&p, j, &e), 0);
	json_object_put(j);
	assert_true(p.privileged && p.seccomp_unconfined);
	assert_true(p.caps & (1ull << kcap_parse("SYS_ADMIN")));
	kcont_free(&p);
	kcont_free(&c);
}

static void test_kcont_oci(void **state)
{
	(void)state;
	char dir[] = "/tmp/kapsel-test-audit-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"ociVersion\":\"1.0.2\",\"process\":{\"user\":{\"uid\":1000,\"gid\":1000},\"args\":[\"sleep\"],"
	      "\"noNewPrivileges\":true,\"capabilities\":{\"bounding\":[\"CAP_NET_BIND_SERVICE\"]}},"
	      "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
	      "\"mounts\":[{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/var/lib/docker\",\"options\":[\"rbind\",\"rw\"]}],"
	      "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"ipc\"},{\"type\":\"uts\"}],"
	      "\"resources\":{\"memory\":{\"limit\":268435456},\"pids\":{\"limit\":100}}}}", f);
	fclose(f);
	struct kcont c;
	kerr e;
	assert_int_equal(kcont_from_oci(&c, dir, &e), 0);
	assert_string_equal(c.kind, "bundle");
	assert_false(audit_user_is_root(c.user));
	assert_true(c.net_host);     /* no network namespace */
	assert_true(c.userns_host);
	assert_false(c.pid_host);
	assert_true(c.readonly_root);
	assert_true(c.seccomp_unconfined); /* no linux.seccomp */
	assert_int_equal(c.memory, 268435456);
	assert_int_equal(c.pids_limit, 100);
	assert_string_equal(c.mounts[0].type, "bind");
	assert_true(c.mounts[0].rw);
	assert_false(c.ports_known);
	kcont_free(&c);
	unlink(path);

	/* a broken config.json names the file */
	f = fopen(path, "w");
	fputs("{\"process\": [", f);
	fclose(f);
	assert_int_equal(kcont_from_oci(&c, path, &e), -1);
	assert_non_null(strstr(e.msg, "config.json"));
	kcont_free(&c);
	unlink(path);
	rmdir(dir);
}

/* A run without a daemon on a selection: formats parse, ignore file works. */
static void test_run_no_daemon(void **state)
{
	(void)state;
	char ign[] = "/tmp/kapsel-test-audit-ignore-XXXXXX";
	int fd = mkstemp(ign);
	assert_true(fd >= 0);
	const char *rules = "# comment\nK1.2   # whole check\nK1.6 fs.protected_*\n";
	assert_int_equal(write(fd, rules, strlen(rules)), (ssize_t)strlen(rules));
	close(fd);
	char *sel[] = { "K1", "5.11", "2.4", NULL };
	struct audit_opts o = { .no_daemon = 1, .select = sel, .ignore_file = ign };
	struct audit_report *r;
	kerr e;
	assert_int_equal(audit_run(&o, &r, &e), 0);
	assert_int_equal(r->n, 13);
	for (size_t i = 0; i < r->n; i++) {
		const struct audit_result *res = &r->results[i];
		if (!strcmp(res->check->id, "5.11"))
			assert_int_equal(res->level, AUDIT_SKIP);
		if (!strcmp(res->check->id, "K1.2"))
			assert_int_equal(res->level, AUDIT_SKIP);
		if (!strcmp(res->check->id, "K1.6")) {
			assert_int_equal(res->level, AUDIT_PASS);
			for (size_t k = 0; k < res->nev; k++)
				assert_int_equal(res->ev[k].level, AUDIT_PASS);
		}
	}
	enum audit_format fmts[] = { AUDIT_FMT_JSON, AUDIT_FMT_SARIF };
	for (size_t i = 0; i < 2; i++) {
		char *s = audit_format(r, fmts[i], 0);
		assert_non_null(s);
		json_object *j = json_tokener_parse(s);
		assert_non_null(j);
		json_object_put(j);
		free(s);
	}
	char *t = audit_format(r, AUDIT_FMT_TEXT, 0);
	assert_non_null(strstr(t, "[SKIP] 5.11 - Ensure that the memory usage for containers is limited"));
	free(t);
	t = audit_format(r, AUDIT_FMT_JUNIT, 0);
	assert_non_null(strstr(t, "<testsuites"));
	free(t);
	audit_report_free(r);

	/* an unknown check in the selection or the ignore file is an error */
	char *bad[] = { "9.9", NULL };
	struct audit_opts o2 = { .no_daemon = 1, .select = bad };
	assert_int_equal(audit_run(&o2, &r, &e), -1);
	assert_non_null(strstr(e.msg, "9.9"));
	unlink(ign);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_is_root),
		cmocka_unit_test(test_id_matches),
		cmocka_unit_test(test_fail_on),
		cmocka_unit_test(test_dockerfile_parse),
		cmocka_unit_test(test_kcont_docker),
		cmocka_unit_test(test_kcont_oci),
		cmocka_unit_test(test_run_no_daemon),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
