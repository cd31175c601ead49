/* Unit tests for supervise/: Docker's restart decisions and back-off, and
 * supervise.json's errors naming the field. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "supervise/config.h"
#include "supervise/supervise.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define MS 1000000ULL

static void test_should_restart(void **st)
{
	(void)st;
	struct ksup_config c = { .restart = KSUP_RESTART_NO };
	assert_false(ksup_should_restart(&c, 1, 0, 0));
	c.restart = KSUP_RESTART_ALWAYS;
	assert_true(ksup_should_restart(&c, 0, 100, 0));
	assert_false(ksup_should_restart(&c, 1, 0, 1)); /* stop cancels */
	c.restart = KSUP_RESTART_UNLESS_STOPPED;
	assert_true(ksup_should_restart(&c, 0, 0, 0));
	assert_false(ksup_should_restart(&c, 0, 0, 1));
	c.restart = KSUP_RESTART_ON_FAILURE;
	c.max_retries = 3;
	assert_false(ksup_should_restart(&c, 0, 0, 0)); /* only non-zero exits count */
	assert_true(ksup_should_restart(&c, 137, 0, 0));
	assert_true(ksup_should_restart(&c, 1, 2, 0));
	assert_false(ksup_should_restart(&c, 1, 3, 0));
	c.max_retries = 0; /* no maximum */
	assert_true(ksup_should_restart(&c, 1, 1000, 0));
}

static void test_backoff(void **st)
{
	(void)st;
	uint64_t d = ksup_next_backoff(0, 0);
	assert_int_equal(d, 100 * MS);
	d = ksup_next_backoff(d, 5 * MS);
	assert_int_equal(d, 200 * MS);
	d = ksup_next_backoff(d, 5 * MS);
	assert_int_equal(d, 400 * MS);
	for (int i = 0; i < 20; i++)
		d = ksup_next_backoff(d, 0);
	assert_int_equal(d, 60000 * MS); /* capped at a minute */
	/* ten seconds of running start it over */
	assert_int_equal(ksup_next_backoff(d, 10000 * MS), 100 * MS);
	assert_int_equal(ksup_next_backoff(d, 9999 * MS), 60000 * MS);
}

#define ID "\"id\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""
#define BASE ID ",\"bundle\":\"/b\",\"runtime\":\"/r\",\"runtime_root\":\"/run/k\""

static void parse_fails(const char *rest, const char *says)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "{" BASE "%s}", rest);
	struct ksup_config c;
	kerr e = { 0 };
	if (ksup_config_parse(&c, "supervise.json", buf, strlen(buf), NULL, &e) == 0)
		fail_msg("%s: accepted", buf);
	if (!strstr(e.msg, says))
		fail_msg("%s: \"%s\" does not say \"%s\"", buf, e.msg, says);
	ksup_config_done(&c);
}

static void test_config(void **st)
{
	(void)st;
	const char *ok = "{" BASE
			 ",\"tty\":true,\"restart\":{\"policy\":\"on-failure\",\"max_retries\":5},"
			 "\"stop_signal\":\"SIGUSR1\",\"stop_timeout\":3,\"healthcheck\":null,\"auto_remove\":true}";
	struct ksup_config c;
	kerr e = { 0 };
	if (ksup_config_parse(&c, "supervise.json", ok, strlen(ok), NULL, &e) < 0)
		fail_msg("%s", e.msg);
	assert_true(c.tty && c.auto_remove && !c.stdin_open);
	assert_int_equal(c.restart, KSUP_RESTART_ON_FAILURE);
	assert_int_equal(c.max_retries, 5);
	assert_int_equal(c.stop_signal, SIGUSR1);
	assert_int_equal(c.stop_timeout, 3);
	assert_int_equal(c.log.driver, KLOGS_JSON_FILE);
	assert_null(c.health.argv);
	ksup_config_done(&c);

	const char *hc = "{" BASE
			 ",\"healthcheck\":{\"test\":[\"CMD-SHELL\",\"test -f /ok\"],\"interval_ns\":5,"
			 "\"retries\":0}}";
	if (ksup_config_parse(&c, "supervise.json", hc, strlen(hc), NULL, &e) < 0)
		fail_msg("%s", e.msg);
	assert_non_null(c.health.argv);
	assert_string_equal(c.health.argv[0], "/bin/sh");
	assert_string_equal(c.health.argv[1], "-c");
	assert_string_equal(c.health.argv[2], "test -f /ok");
	assert_null(c.health.argv[3]);
	assert_int_equal(c.health.interval_ns, 5);
	assert_int_equal(c.health.timeout_ns, KSUP_HEALTH_DEFAULT_TIMEOUT_NS); /* 0 or absent: Docker's */
	assert_int_equal(c.health.retries, KSUP_HEALTH_DEFAULT_RETRIES);
	assert_int_equal(c.health.start_interval_ns, 0); /* absent: the interval */
	assert_int_equal(c.health.on_failure, KSUP_ON_FAILURE_NONE);
	ksup_config_done(&c);
	hc = "{" BASE ",\"healthcheck\":{\"test\":[\"CMD\",\"true\"],\"start_interval_ns\":7,"
	     "\"on_failure\":\"restart\"}}";
	if (ksup_config_parse(&c, "supervise.json", hc, strlen(hc), NULL, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(c.health.start_interval_ns, 7);
	assert_int_equal(c.health.on_failure, KSUP_ON_FAILURE_RESTART);
	ksup_config_done(&c);
	hc = "{" BASE ",\"healthcheck\":{\"test\":[\"NONE\"]}}";
	assert_int_equal(ksup_config_parse(&c, "supervise.json", hc, strlen(hc), NULL, &e), 0);
	assert_null(c.health.argv);
	ksup_config_done(&c);
}

static void test_config_errors(void **st)
{
	(void)st;
	parse_fails(",\"restart\":{\"policy\":\"sometimes\"}", "supervise.json: restart.policy: \"sometimes\"");
	parse_fails(",\"restart\":{\"policy\":\"always\",\"max_retries\":2}",
		    "restart.max_retries: only the on-failure");
	parse_fails(",\"restart\":{\"policy\":\"on-failure\",\"max_retries\":-1}", "restart.max_retries: must not");
	parse_fails(",\"stop_signal\":\"SIGFOO\"", "supervise.json: stop_signal: unknown signal");
	parse_fails(",\"stop_timeout\":\"10\"", "stop_timeout");
	parse_fails(",\"tty\":1", "supervise.json: tty: expected true or false");
	parse_fails(",\"healthcheck\":{\"test\":[\"RUN\",\"true\"]}", "supervise.json: healthcheck.test[0]");
	parse_fails(",\"healthcheck\":{\"test\":[\"CMD\"]}", "healthcheck.test: CMD needs a command");
	parse_fails(",\"healthcheck\":{\"test\":[\"CMD-SHELL\",\"a\",\"b\"]}", "healthcheck.test: CMD-SHELL takes one");
	parse_fails(",\"healthcheck\":{\"test\":[\"CMD\",\"x\"],\"retries\":-2}", "healthcheck.retries");
	parse_fails(",\"healthcheck\":{\"test\":[\"CMD\",\"x\"],\"interval_ns\":\"5s\"}", "healthcheck.interval_ns");
	parse_fails(",\"healthcheck\":{\"interval_ns\":5}", "healthcheck.test: required");
	parse_fails(",\"healthcheck\":{\"test\":[\"CMD\",\"x\"],\"on_failure\":\"explode\"}",
		    "healthcheck.on_failure: \"explode\" is not one of none, kill, restart, stop");
	parse_fails(",\"healthcheck\":{\"test\":[\"CMD\",\"x\"],\"on_failure\":3}", "healthcheck.on_failure");
	parse_fails(",\"healthcheck\":{\"test\":[\"CMD\",\"x\"],\"start_interval_ns\":-1}",
		    "healthcheck.start_interval_ns: must not be negative");
	parse_fails(",\"log\":{\"opts\":{\"max-size\":\"big\"}}", "supervise.json: log.opts.max-size");
	parse_fails(",\"extra\":1", "supervise.json: extra: unknown field");
	char buf[256] = "{\"id\":\"XYZ\",\"bundle\":\"/b\",\"runtime\":\"/r\",\"runtime_root\":\"/x\"}";
	struct ksup_config c;
	kerr e = { 0 };
	assert_int_equal(ksup_config_parse(&c, "supervise.json", buf, strlen(buf), NULL, &e), -1);
	assert_non_null(strstr(e.msg, "supervise.json: id: \"XYZ\" is not 64"));
	ksup_config_done(&c);
	snprintf(buf, sizeof(buf), "{" ID ",\"bundle\":\"b\",\"runtime\":\"/r\",\"runtime_root\":\"/x\"}");
	assert_int_equal(ksup_config_parse(&c, "supervise.json", buf, strlen(buf), NULL, &e), -1);
	assert_non_null(strstr(e.msg, "supervise.json: bundle: must be an absolute path"));
	ksup_config_done(&c);
	snprintf(buf, sizeof(buf), "{" ID ",\"runtime\":\"/r\",\"runtime_root\":\"/x\"}");
	assert_int_equal(ksup_config_parse(&c, "supervise.json", buf, strlen(buf), NULL, &e), -1);
	assert_non_null(strstr(e.msg, "supervise.json: bundle: required"));
	ksup_config_done(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_should_restart),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
