/* scan: the database parsers (dpkg status, apk installed, rpm headers,
 * os-release), file capabilities, CVSS scores, release keys and the
 * vulnerability index built and read back, each from the attacker's side
 * too (truncated, repeated, out-of-range input gives an error naming the
 * place, never a crash). */
#include "scan/fcaps.h"
#include "scan/inventory.h"
#include "scan/match.h"
#include "scan/vulndb.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static const char status[] =
	"Package: bsdutils\n"
	"Status: install ok installed\n"
	"Priority: required\n"
	"Architecture: amd64\n"
	"Source: util-linux (2.38.1-5+deb12u3)\n"
	"Version: 1:2.38.1-5+deb12u3\n"
	"Description: basic utilities from 4.4BSD-Lite\n"
	" This package contains the bare minimum of BSD utilities.\n"
	"\n"
	"Package: removed-but-configs\n"
	"Status: deinstall ok config-files\n"
	"Version: 1.0-1\n"
	"\n"
	"Package: half\n"
	"Status: install reinstreq half-installed\n"
	"Version: 1.0-1\n"
	"\n"
	"package: lowercase-fields\n"
	"status: install ok triggers-pending\n"
	"version: 2.0-1+b3\n"
	"architecture: all\n"
	"\n"
	"Package: binnmu-only\n"
	"Status: install ok installed\n"
	"Source: orig\n"
	"Version: 3.1-2+b1\n";

static void test_dpkg(void **state)
{
	(void)state;
	struct kscan_pkgs ps = { 0 };
	kerr e = { 0 };
	assert_int_equal(kscan_dpkg_parse(status, strlen(status), "status", 0, &ps, &e), 0);
	assert_int_equal(ps.n, 3);
	assert_string_equal(ps.v[0].name, "bsdutils");
	assert_string_equal(ps.v[0].source, "util-linux");
	assert_string_equal(ps.v[0].source_version, "2.38.1-5+deb12u3");
	assert_string_equal(ps.v[0].version, "1:2.38.1-5+deb12u3");
	assert_string_equal(ps.v[1].name, "lowercase-fields");
	assert_string_equal(ps.v[1].source, "lowercase-fields");
	assert_string_equal(ps.v[1].source_version, "2.0-1");
	assert_string_equal(ps.v[2].source, "orig");
	assert_string_equal(ps.v[2].source_version, "3.1-2");
	assert_string_equal(ps.v[2].arch, "");
	kscan_pkgs_done(&ps);
}

static void test_dpkg_bad(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} bad[] = {
		{ "Status: install ok installed\nVersion: 1\n", "line 1: stanza without a Package field" },
		{ "Package: a\nVersion: 1\n", "line 1: package without a Status field" },
		{ "Package: a\nStatus: install ok installed\n", "installed package without a Version field" },
		{ "Package: a\nPackage: b\n", "line 2: field Package repeated" },
		{ " leading continuation\n", "line 1: continuation line outside a stanza" },
		{ "Package: a\nno colon here\n", "line 2: not a \"Field: value\" line" },
		{ "Package: a\nStatus: install ok installed\nVersion: 1\nSource: x (1\n", "Source \"x (1\"" },
		{ "Package: a\nStatus: install ok installed\nVersion: 1\nSource: two words\n",
		  "is not a package name" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct kscan_pkgs ps = { 0 };
		kerr e = { 0 };
		assert_int_equal(kscan_dpkg_parse(bad[i].in, strlen(bad[i].in), "status", 0, &ps, &e), -1);
		if (!strstr(e.msg, bad[i].want))
			fail_msg("\"%s\": got \"%s\"", bad[i].in, e.msg);
		assert_int_equal(ps.n, 0);
		kscan_pkgs_done(&ps);
	}
	/* a NUL inside */
	struct kscan_pkgs ps = { 0 };
	kerr e = { 0 };
	assert_int_equal(kscan_dpkg_parse("Package: a\0b\n", 13, "status", 1, &ps, &e), -1);
	assert_non_null(strstr(e.msg, "NUL"));
	/* distroless status.d: no Status field is fine */
	assert_int_equal(kscan_dpkg_parse("Package: a\nVersion: 1\n", 22, "status.d/a", 1, &ps, &e), 0);
	assert_int_equal(ps.n, 1);
	kscan_pkgs_done(&ps);
}

static void test_binnmu(void **state)
{
	(void)state;
	const char *in[] = { "1.0-1+b1", "1.0-1+b12", "1.0-1", "1.0-1+deb12u1", "1.0+b1x", "+b1", "1.0-1+b" };
	const char *out[] = { "1.0-1", "1.0-1", "1.0-1", "1.0-1+deb12u1", "1.0+b1x", "", "1.0-1+b" };
	for (size_t i = 0; i < sizeof(in) / sizeof(*in); i++) {
		char *s = kscan_deb_strip_binnmu(in[i]);
		assert_string_equal(s, out[i]);
		free(s);
	}
}

static void test_apk(void **state)
{
	(void)state;
	const char db[] =
		"C:Q1=\nP:libcrypto3\nV:3.1.4-r1\nA:x86_64\no:openssl\nF:usr/lib\nR:libcrypto.so.3\n\n"
		"P:musl\nV:1.2.4-r2\nF:lib\nR:ld-musl.so\nR:libc.so\n";
	struct kscan_pkgs ps = { 0 };
	char *files = NULL;
	size_t nf = 0;
	kerr e = { 0 };
	assert_int_equal(kscan_apk_parse(db, strlen(db), "installed", &ps, &files, &nf, &e), 0);
	assert_int_equal(ps.n, 2);
	assert_string_equal(ps.v[0].source, "openssl");
	assert_string_equal(ps.v[1].source, "musl");
	assert_string_equal(ps.v[1].arch, "");
	assert_int_equal(nf, 3);
	assert_string_equal(files, "usr/lib/libcrypto.so.3\tlibcrypto3\nlib/ld-musl.so\tmusl\nlib/libc.so\tmusl\n");
	free(files);
	kscan_pkgs_done(&ps);
	const char *bad[] = { "P:a\n", "V:1\n", "P:a\nP:b\nV:1\n", "junk\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(kscan_apk_parse(bad[i], strlen(bad[i]), "installed", &ps, NULL, NULL, &e), -1);
		assert_non_null(strstr(e.msg, "installed: line"));
		assert_int_equal(ps.n, 0);
	}
	kscan_pkgs_done(&ps);
}

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8),
	p[3] = (unsigned char)v;
}

/* A header blob: NAME VERSION RELEASE ARCH SOURCERPM strings and EPOCH. */
static size_t make_header(unsigned char *b, uint32_t bad_off)
{
	const char *strs[] = { "openssl-libs", "3.0.7", "25.el9_3", "x86_64", "openssl-3.0.7-25.el9_3.src.rpm" };
	uint32_t tags[] = { 1000, 1001, 1002, 1022, 1044 };
	unsigned char data[256];
	size_t dl = 0, il = 6;
	unsigned char *ix = b + 8;
	be32(data, 1); /* epoch first: aligned */
	be32(ix, 1003), be32(ix + 4, 4), be32(ix + 8, 0), be32(ix + 12, 1);
	dl = 4;
	for (size_t i = 0; i < 5; i++) {
		unsigned char *x = ix + 16 * (i + 1);
		be32(x, tags[i]), be32(x + 4, 6), be32(x + 8, i == 0 && bad_off ? bad_off : (uint32_t)dl),
			be32(x + 12, 1);
		memcpy(data + dl, strs[i], strlen(strs[i]) + 1);
		dl += strlen(strs[i]) + 1;
	}
	be32(b, (uint32_t)il);
	be32(b + 4, (uint32_t)dl);
	memcpy(ix + 16 * il, data, dl);
	return 8 + 16 * il + dl;
}

static void test_rpm_header(void **state)
{
	(void)state;
	unsigned char b[512];
	size_t n = make_header(b, 0);
	struct kscan_pkg p;
	kerr e = { 0 };
	assert_int_equal(kscan_rpm_header(b, n, &p, &e), 0);
	assert_string_equal(p.name, "openssl-libs");
	assert_string_equal(p.version, "1:3.0.7-25.el9_3");
	assert_string_equal(p.source, "openssl");
	assert_string_equal(p.source_version, "1:3.0.7-25.el9_3");
	assert_string_equal(p.arch, "x86_64");
	kscan_pkg_done(&p);
	/* truncated anywhere: an error, never a read past the blob */
	for (size_t cut = 0; cut < n; cut++) {
		unsigned char *copy = malloc(cut ? cut : 1);
		memcpy(copy, b, cut);
		int r = kscan_rpm_header(copy, cut, &p, &e);
		if (r == 0)
			kscan_pkg_done(&p);
		assert_int_equal(r, -1);
		free(copy);
	}
	n = make_header(b, 4000);
	assert_int_equal(kscan_rpm_header(b, n, &p, &e), -1);
	assert_non_null(strstr(e.msg, "outside the header's data"));
}

static void test_osrelease(void **state)
{
	(void)state;
	const char in[] =
		"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n# c\nVERSION_ID=\"12\"\n"
		"VERSION_CODENAME=bookworm\nID=debian\nBAD LINE\nX='a \\\" b'\n";
	struct kscan_inventory inv = { 0 };
	kerr e = { 0 };
	assert_int_equal(kscan_osrelease_parse(in, strlen(in), &inv, &e), 0);
	assert_string_equal(inv.os_id, "debian");
	assert_string_equal(inv.os_version_id, "12");
	assert_string_equal(inv.os_codename, "bookworm");
	assert_string_equal(inv.os_pretty, "Debian GNU/Linux 12 (bookworm)");
	kscan_inventory_done(&inv);
	const char esc[] = "PRETTY_NAME=\"a \\\"q\\\" \\$x\"\n";
	assert_int_equal(kscan_osrelease_parse(esc, strlen(esc), &inv, &e), 0);
	assert_string_equal(inv.os_pretty, "a \"q\" $x");
	kscan_inventory_done(&inv);
}

static void test_fcaps(void **state)
{
	(void)state;
	/* revision 2, effective, permitted cap_net_raw (13) and cap_net_admin (12) */
	unsigned char v2[20] = { 0x01, 0, 0, 0x02, 0, 0x30, 0, 0 };
	char *s = kscan_fcaps_text(v2, sizeof(v2));
	assert_string_equal(s, "cap_net_admin,cap_net_raw=ep");
	free(s);
	unsigned char v1[12] = { 0, 0, 0, 0x01, 0, 0x20, 0, 0 };
	s = kscan_fcaps_text(v1, sizeof(v1));
	assert_string_equal(s, "cap_net_raw=p");
	free(s);
	s = kscan_fcaps_text(v2, 7);
	assert_string_equal(s, "(malformed security.capability)");
	free(s);
	unsigned char v3[24] = {
		0x01, 0, 0, 0x03, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe8, 0x03, 0, 0
	};
	s = kscan_fcaps_text(v3, sizeof(v3));
	assert_string_equal(s, "cap_net_raw=ep [rootid=1000]");
	free(s);
}

static void test_cvss(void **state)
{
	(void)state;
	/* scores from the CVSS 3.1 calculator's examples */
	assert_true(kscan_cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == 9.8);
	assert_true(kscan_cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N") == 6.1);
	assert_true(kscan_cvss3_score("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N") == 5.5);
	assert_true(kscan_cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H") == 10.0);
	assert_true(kscan_cvss3_score("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N") == 0);
	assert_true(kscan_cvss3_score("CVSS:3.1/AV:N/AC:L") < 0);
	assert_true(kscan_cvss3_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N") < 0);
	assert_true(kscan_cvss3_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") < 0);
	assert_int_equal(kscan_severity_of_score(9.8), KSEV_CRITICAL);
	assert_int_equal(kscan_severity_of_score(4.0), KSEV_MEDIUM);
	assert_int_equal(kscan_severity_of_urgency("low*"), KSEV_LOW);
	assert_int_equal(kscan_severity_of_urgency("unimportant"), KSEV_NEGLIGIBLE);
	assert_int_equal(kscan_severity_of_urgency("not yet assigned"), KSEV_UNKNOWN);
	assert_int_equal(kscan_severity_of_urgency("end-of-life"), KSEV_UNKNOWN);
}

static void test_release_key(void **state)
{
	(void)state;
	const char *cases[][4] = {
		{ "debian", "12", "bookworm", "debian:12" }, { "debian", NULL, "trixie", "debian:13" },
		{ "debian", "11.9", NULL, "debian:11" },     { "alpine", "3.19.1", NULL, "alpine:v3.19" },
		{ "alpine", "3.20", NULL, "alpine:v3.20" },  { "debian", NULL, "sid", "debian:sid" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *k = kvuln_release_key(cases[i][0], cases[i][1], cases[i][2]);
		assert_string_equal(k, cases[i][3]);
		free(k);
	}
	assert_null(kvuln_release_key(NULL, "1", NULL));
}

static void test_index_roundtrip(void **state)
{
	(void)state;
	char dir[] = "/tmp/kscan-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	const char tracker[] =
		"{\"util-linux\": {\"CVE-1\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\", "
		"\"fixed_version\": \"2.38.1-5+deb12u1\", \"urgency\": \"low\"}, \"bullseye\": {\"status\": "
		"\"open\", \"nodsa\": \"Minor\", \"nodsa_reason\": \"postponed\", \"urgency\": \"low\"}}}}}";
	const char osv[] =
		"{\"id\": \"DEBIAN-CVE-2\", \"modified\": \"2026-01-02T03:04:05Z\", \"affected\": [{\"package\": "
		"{\"ecosystem\": \"Debian:12\", \"name\": \"util-linux\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\", "
		"\"events\": [{\"introduced\": \"0\"}, {\"fixed\": \"2.39\"}]}]}], \"severity\": [{\"type\": "
		"\"CVSS_V3\", \"score\": \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}]}";
	struct kvuln_builder *b;
	kerr e = { 0 };
	assert_int_equal(kvuln_builder_new(&b, &e), 0);
	assert_int_equal(kvuln_builder_add_buffer(b, tracker, strlen(tracker), "tracker.json", 1700000000, &e), 0);
	assert_int_equal(kvuln_builder_add_buffer(b, osv, strlen(osv), "osv.json", 1, &e), 0);
	assert_int_equal(kvuln_builder_write(b, dir, &e), 0);
	kvuln_builder_free(b);
	struct kvuln_db *db;
	assert_int_equal(kvuln_db_open(dir, &db, &e), 0);
	assert_int_equal(kvuln_db_nsources(db), 2);
	assert_int_equal(kvuln_db_nrecords(db), 3);
	struct kvuln_source s;
	kvuln_db_source(db, 1, &s);
	assert_int_equal(s.kind, KVULN_SRC_OSV);
	assert_int_equal(s.date, 1767323045); /* the record's "modified" */
	size_t first, n;
	kvuln_db_find(db, "debian:12", "util-linux", &first, &n);
	assert_int_equal(n, 2);
	struct kvuln_rec r;
	kvuln_db_get(db, first, &r);
	assert_string_equal(r.id, "CVE-1");
	assert_int_equal(r.state, KVULN_FIXED);
	kvuln_db_get(db, first + 1, &r);
	assert_string_equal(r.id, "CVE-2"); /* DEBIAN-CVE-2 is CVE-2 */
	assert_string_equal(r.fixed, "2.39");
	kvuln_db_find(db, "debian:11", "util-linux", &first, &n);
	assert_int_equal(n, 1);
	kvuln_db_get(db, first, &r);
	assert_int_equal(r.state, KVULN_POSTPONED);
	assert_string_equal(r.note, "Minor");
	kvuln_db_find(db, "debian:12", "util-linu", &first, &n);
	assert_int_equal(n, 0);
	kvuln_db_close(db);
	/* a truncated index is refused by name */
	char path[64];
	snprintf(path, sizeof(path), "%s/index", dir);
	assert_int_equal(truncate(path, 60), 0);
	assert_int_equal(kvuln_db_open(dir, &db, &e), -1);
	assert_non_null(strstr(e.msg, "index"));
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dpkg),        cmocka_unit_test(test_dpkg_bad),
		cmocka_unit_test(test_binnmu),      cmocka_unit_test(test_apk),
		cmocka_unit_test(test_rpm_header),  cmocka_unit_test(test_osrelease),
		cmocka_unit_test(test_fcaps),       cmocka_unit_test(test_cvss),
		cmocka_unit_test(test_release_key), cmocka_unit_test(test_index_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
