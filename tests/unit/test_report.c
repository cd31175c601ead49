/* report/: the SARIF, JUnit and JSON writers, byte for byte.
 *
 * First through audit's adapters: a fixed audit report (audit_sample.h)
 * must give exactly the bytes in tests/fixtures/report/, which the formats
 * wrote before they moved out of audit (so the move changed nothing).
 * Then the neutral model directly, as `kapsel scan` will use it: optional
 * fields left out, escaping, counts, fingerprints. */
#include "audit/audit.h"
#include "report/report.h"

#include "audit_sample.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *slurp(const char *name)
{
	const char *root = getenv("KAPSEL_SOURCE_ROOT");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/fixtures/report/%s", root ? root : ".", name);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int c;
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(f);
	fclose(m);
	return buf;
}

static void test_audit_formats_unchanged(void **state)
{
	(void)state;
	struct audit_report *r = sample_report();
	static const struct {
		enum audit_format fmt;
		const char *file;
	} v[] = { { AUDIT_FMT_JSON, "audit.json" }, { AUDIT_FMT_SARIF, "audit.sarif" }, { AUDIT_FMT_JUNIT, "audit.junit.xml" } };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *got = audit_format(r, v[i].fmt, 0), *want = slurp(v[i].file);
		assert_non_null(got);
		assert_string_equal(got, want);
		free(got);
		free(want);
	}
	audit_report_free(r);
}

static void test_sarif_model(void **state)
{
	(void)state;
	static const char *const tags[] = { "security", "vulnerability", NULL };
	json_object *props = json_object_new_object();
	json_object_object_add(props, "precision", json_object_new_string("high"));
	const struct krep_rule rules[] = {
		{ .id = "CVE-2024-0001", .short_desc = "openssl: a \"bug\"", .help = "upgrade to 3.0.14", .level = KREP_ERROR,
		  .tags = tags, .properties = props },
		{ .id = "R2", .short_desc = "bare rule", .level = KREP_NOTE },
	};
	const struct krep_location pkg = { .name = "openssl 3.0.11", .kind = "package" };
	const struct krep_location file = { .path = "/var/lib/dpkg/status x", .line = 12 };
	const struct krep_result results[] = {
		{ .rule = 0, .level = KREP_ERROR, .message = "openssl 3.0.11 < 3.0.14", .location = &pkg,
		  .fingerprint_key = "kapselScan/v1", .fingerprint = "0011" },
		{ .rule = 0, .level = KREP_WARNING, .message = "in a file/path", .location = &file },
		{ .rule = 1, .level = KREP_NONE, .message = "no location" },
	};
	const struct krep_notice notes[] = { { KREP_NOTE, "database 2 days old" } };
	const struct krep_sarif s = { .tool = "kapsel-scan", .version = "9.9", .rules = rules, .nrules = 2,
				      .results = results, .nresults = 3, .notices = notes, .nnotices = 1 };
	char *got = krep_sarif(&s);
	json_object_put(props);
	assert_non_null(got);
	assert_string_equal(got,
		"{\n"
		"  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
		"  \"version\": \"2.1.0\",\n"
		"  \"runs\": [\n"
		"    {\n"
		"      \"tool\": {\n"
		"        \"driver\": {\n"
		"          \"name\": \"kapsel-scan\",\n"
		"          \"version\": \"9.9\",\n"
		"          \"semanticVersion\": \"9.9\",\n"
		"          \"rules\": [\n"
		"            {\n"
		"              \"id\": \"CVE-2024-0001\",\n"
		"              \"shortDescription\": {\n"
		"                \"text\": \"openssl: a \\\"bug\\\"\"\n"
		"              },\n"
		"              \"help\": {\n"
		"                \"text\": \"upgrade to 3.0.14\"\n"
		"              },\n"
		"              \"defaultConfiguration\": {\n"
		"                \"level\": \"error\"\n"
		"              },\n"
		"              \"properties\": {\n"
		"                \"tags\": [\n"
		"                  \"security\",\n"
		"                  \"vulnerability\"\n"
		"                ],\n"
		"                \"precision\": \"high\"\n"
		"              }\n"
		"            },\n"
		"            {\n"
		"              \"id\": \"R2\",\n"
		"              \"shortDescription\": {\n"
		"                \"text\": \"bare rule\"\n"
		"              },\n"
		"              \"defaultConfiguration\": {\n"
		"                \"level\": \"note\"\n"
		"              }\n"
		"            }\n"
		"          ]\n"
		"        }\n"
		"      },\n"
		"      \"invocations\": [\n"
		"        {\n"
		"          \"executionSuccessful\": true,\n"
		"          \"toolExecutionNotifications\": [\n"
		"            {\n"
		"              \"message\": {\n"
		"                \"text\": \"database 2 days old\"\n"
		"              },\n"
		"              \"level\": \"note\"\n"
		"            }\n"
		"          ]\n"
		"        }\n"
		"      ],\n"
		"      \"results\": [\n"
		"        {\n"
		"          \"ruleId\": \"CVE-2024-0001\",\n"
		"          \"ruleIndex\": 0,\n"
		"          \"level\": \"error\",\n"
		"          \"message\": {\n"
		"            \"text\": \"openssl 3.0.11 < 3.0.14\"\n"
		"          },\n"
		"          \"locations\": [\n"
		"            {\n"
		"              \"logicalLocations\": [\n"
		"                {\n"
		"                  \"name\": \"openssl 3.0.11\",\n"
		"                  \"kind\": \"package\"\n"
		"                }\n"
		"              ]\n"
		"            }\n"
		"          ],\n"
		"          \"partialFingerprints\": {\n"
		"            \"kapselScan/v1\": \"0011\"\n"
		"          }\n"
		"        },\n"
		"        {\n"
		"          \"ruleId\": \"CVE-2024-0001\",\n"
		"          \"ruleIndex\": 0,\n"
		"          \"level\": \"warning\",\n"
		"          \"message\": {\n"
		"            \"text\": \"in a file/path\"\n"
		"          },\n"
		"          \"locations\": [\n"
		"            {\n"
		"              \"physicalLocation\": {\n"
		"                \"artifactLocation\": {\n"
		"                  \"uri\": \"file:///var/lib/dpkg/status%20x\"\n"
		"                },\n"
		"                \"region\": {\n"
		"                  \"startLine\": 12\n"
		"                }\n"
		"              }\n"
		"            }\n"
		"          ]\n"
		"        },\n"
		"        {\n"
		"          \"ruleId\": \"R2\",\n"
		"          \"ruleIndex\": 1,\n"
		"          \"level\": \"none\",\n"
		"          \"message\": {\n"
		"            \"text\": \"no location\"\n"
		"          }\n"
		"        }\n"
		"      ]\n"
		"    }\n"
		"  ]\n"
		"}\n");
	free(got);
}

static void test_junit_model(void **state)
{
	(void)state;
	const struct krep_case a[] = {
		{ .classname = "c.a", .name = "ok <1>", .ms = 1.5, .status = KREP_PASSED },
		{ .classname = "c.a", .name = "bad", .ms = 2.5, .status = KREP_FAILED, .type = "VULN",
		  .message = "it's \"bad\" & worse", .text = "line 1\n\tline\x02 2" },
	};
	const struct krep_case b[] = {
		{ .classname = "c.b", .name = "later", .ms = 0, .status = KREP_SKIPPED, .message = "no db" },
		{ .classname = "c.b", .name = "chatty", .ms = 1000, .status = KREP_PASSED, .text = "said <this>" },
	};
	const struct krep_suite suites[] = { { "A & co", a, 2 }, { "B", b, 2 } };
	const struct krep_junit j = { .name = "kapsel scan", .ms = 12345, .suites = suites, .n = 2 };
	char *got = krep_junit(&j);
	assert_non_null(got);
	assert_string_equal(got,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"kapsel scan\" tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"12.345\">\n"
		"  <testsuite name=\"A &amp; co\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"0.004\">\n"
		"    <testcase classname=\"c.a\" name=\"ok &lt;1&gt;\" time=\"0.002\">\n"
		"    </testcase>\n"
		"    <testcase classname=\"c.a\" name=\"bad\" time=\"0.003\">\n"
		"      <failure type=\"VULN\" message=\"it&apos;s &quot;bad&quot; &amp; worse\">line 1\n\tline? 2</failure>\n"
		"    </testcase>\n"
		"  </testsuite>\n"
		"  <testsuite name=\"B\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"1\" time=\"1.000\">\n"
		"    <testcase classname=\"c.b\" name=\"later\" time=\"0.000\">\n"
		"      <skipped message=\"no db\"/>\n"
		"    </testcase>\n"
		"    <testcase classname=\"c.b\" name=\"chatty\" time=\"1.000\">\n"
		"      <system-out>said &lt;this&gt;</system-out>\n"
		"    </testcase>\n"
		"  </testsuite>\n"
		"</testsuites>\n");
	free(got);
}

static void test_json_and_fingerprint(void **state)
{
	(void)state;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string("/a/b"));
	json_object_object_add(o, "n", json_object_new_array());
	char *got = krep_json(o);
	assert_string_equal(got, "{\n  \"path\": \"/a/b\",\n  \"n\": [\n  ]\n}\n");
	free(got);

	/* values from an independent implementation (Python, same basis) */
	char fp[17];
	krep_fingerprint(NULL, 0, fp);
	assert_string_equal(fp, "14650fb0739d0383");
	const char *const a[] = { "a" }, *const split[] = { "", "a", NULL }, *const two[] = { "K2.3", "web" };
	krep_fingerprint(a, 1, fp);
	assert_string_equal(fp, "44bd8ad473cd9906");
	krep_fingerprint(split, 3, fp);
	assert_string_equal(fp, "44bd8ad473cd9906");
	krep_fingerprint(two, 2, fp);
	assert_string_equal(fp, "a523c563fd911c0d");
	assert_string_equal(krep_level_name(KREP_WARNING), "warning");
	assert_string_equal(krep_level_name((enum krep_level)42), "none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_formats_unchanged),
		cmocka_unit_test(test_sarif_model),
		cmocka_unit_test(test_junit_model),
		cmocka_unit_test(test_json_and_fingerprint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
