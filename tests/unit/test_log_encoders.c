/* Unit tests for the remote log drivers' encoders (logs/syslog.c,
 * journald.c, fluentd.c) byte for byte, the journal's memfd path for an
 * entry too big for one datagram, tag templates, addresses, and the option
 * errors naming the field. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/json.h"
#include "logs/logs.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct klogs_msg msg(const char *line, size_t len, enum klogs_stream s, int partial)
{
	/* 2026-12-03T07:08:09.000123400Z */
	struct klogs_msg m = { .stream = s,
			       .line = line,
			       .len = len,
			       .partial = partial,
			       .ts = { 1796281689, 123400 },
			       .id = ID,
			       .name = "web",
			       .image = "busybox:latest",
			       .tag = "0123456789ab",
			       .hostname = "host1",
			       .pid = 42 };
	return m;
}

static struct klogs_config cfg(enum klogs_driver d)
{
	struct klogs_config c;
	kerr e;
	assert_int_equal(klogs_config_defaults(&c, NULL, &e), 0);
	c.driver = d;
	return c;
}

static void bytes_are(const char *got, size_t n, const char *want, size_t wn)
{
	if (n != wn || memcmp(got, want, n)) {
		char g[512], w[512];
		snprintf(g, sizeof(g), "%.*s", (int)n, got);
		snprintf(w, sizeof(w), "%.*s", (int)wn, want);
		fail_msg("got [%s] (%zu), want [%s] (%zu)", g, n, w, wn);
	}
}
#define BYTES_ARE(got, n, lit) bytes_are(got, n, lit, sizeof(lit) - 1)

static char out[KLOGS_MSG_MAX];

static void test_syslog(void **st)
{
	(void)st;
	struct klogs_config c = cfg(KLOGS_SYSLOG);
	struct klogs_msg m = msg("hi\0\r\xff", 5, KLOGS_STDOUT, 0);
	size_t n = klogs_syslog_encode(out, sizeof(out), &c, &m);
	/* daemon.info = 30; APP-NAME and MSGID the tag; the bytes as they came */
	BYTES_ARE(out, n, "<30>1 2026-12-03T07:08:09Z host1 0123456789ab 42 0123456789ab - hi\0\r\xff\n");
	c.format = KLOGS_RFC5424MICRO;
	c.facility = 16; /* local0 */
	m.stream = KLOGS_STDERR;
	n = klogs_syslog_encode(out, sizeof(out), &c, &m);
	BYTES_ARE(out, n, "<131>1 2026-12-03T07:08:09.000123Z host1 0123456789ab 42 0123456789ab - hi\0\r\xff\n");
	/* over tcp+tls: octet counting, the count including the "\n" */
	kerr e;
	klogs_addr_parse(&c.addr, KLOGS_SYSLOG, "tcp+tls://127.0.0.1:6514", &e);
	n = klogs_syslog_encode(out, sizeof(out), &c, &m);
	BYTES_ARE(out, n, "78 <131>1 2026-12-03T07:08:09.000123Z host1 0123456789ab 42 0123456789ab - hi\0\r\xff\n");
	c.format = KLOGS_RFC3164; /* never counted: newline framing */
	n = klogs_syslog_encode(out, sizeof(out), &c, &m);
	BYTES_ARE(out, n, "<131>Dec  3 07:08:09 host1 0123456789ab[42]: hi\0\r\xff\n");
	/* a tag RFC 5424 cannot carry: spaces made "_", cut at 48 (APP-NAME) and 32 (MSGID) */
	c.format = KLOGS_RFC5424;
	klogs_addr_parse(&c.addr, KLOGS_SYSLOG, "udp://h", &e);
	m.tag = "a b\tc 567890123456789012345678901234567890123456789012345";
	n = klogs_syslog_encode(out, sizeof(out), &c, &m);
	BYTES_ARE(out, n,
		  "<131>1 2026-12-03T07:08:09Z host1 a_b_c_567890123456789012345678901234567890123456 42 "
		  "a_b_c_56789012345678901234567890 - hi\0\r\xff\n");
	m.tag = "";
	n = klogs_syslog_encode(out, sizeof(out), &c, &m);
	BYTES_ARE(out, n, "<131>1 2026-12-03T07:08:09Z host1 - 42 - - hi\0\r\xff\n");
}

static void test_journald(void **st)
{
	(void)st;
	struct klogs_msg m = msg("a\nb", 3, KLOGS_STDERR, 1);
	m.tag = "t";
	size_t n = klogs_journald_encode(out, sizeof(out), &m);
	/* a value with a newline: NAME \n u64le length value \n */
	static const char want[] =
		"MESSAGE\n\x03\0\0\0\0\0\0\0a\nb\n"
		"PRIORITY=3\n"
		"CONTAINER_ID=0123456789ab\n"
		"CONTAINER_ID_FULL=" ID
		"\n"
		"CONTAINER_NAME=web\n"
		"CONTAINER_TAG=t\n"
		"IMAGE_NAME=busybox:latest\n"
		"SYSLOG_IDENTIFIER=t\n"
		"SYSLOG_TIMESTAMP=2026-12-03T07:08:09.0001234Z\n"
		"CONTAINER_PARTIAL_MESSAGE=true\n";
	bytes_are(out, n, want, sizeof(want) - 1);
	/* a NUL takes the binary form too; a plain line the short one */
	m = msg("x\0y", 3, KLOGS_STDOUT, 0);
	n = klogs_journald_encode(out, sizeof(out), &m);
	assert_memory_equal(out, "MESSAGE\n\x03\0\0\0\0\0\0\0x\0y\nPRIORITY=6\n", 30);
	m = msg("plain", 5, KLOGS_STDOUT, 0);
	n = klogs_journald_encode(out, sizeof(out), &m);
	assert_memory_equal(out, "MESSAGE=plain\nPRIORITY=6\n", 25);
	assert_null(memmem(out, n, "PARTIAL", 7));
}

/* An entry bigger than the socket's send buffer goes as a sealed memfd
 * with SCM_RIGHTS; a small one as the datagram itself. */
static void test_journald_memfd(void **st)
{
	(void)st;
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp), 0);
	int small = 4096;
	setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	int big_rcv = 1 << 20;
	setsockopt(sp[1], SOL_SOCKET, SO_RCVBUF, &big_rcv, sizeof(big_rcv));
	static char line[KLOGS_LINE_MAX];
	memset(line, 'q', sizeof(line));
	struct klogs_msg m = msg(line, sizeof(line), KLOGS_STDOUT, 1);
	size_t n = klogs_journald_encode(out, sizeof(out), &m);
	assert_true(n > sizeof(line));
	assert_int_equal(klogs_journald_send(sp[0], out, n), 0);

	char buf[64], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	ssize_t r = recvmsg(sp[1], &mh, MSG_CMSG_CLOEXEC);
	assert_int_equal(r, 0); /* no payload: all of it in the fd */
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	assert_non_null(cm);
	assert_int_equal(cm->cmsg_type, SCM_RIGHTS);
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	/* sealed: journald reads it knowing it cannot change */
	int seals = fcntl(fd, F_GET_SEALS);
	assert_true((seals & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)) ==
		    (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW));
	char *got = malloc(n + 1);
	assert_int_equal(pread(fd, got, n + 1, 0), (ssize_t)n);
	assert_memory_equal(got, out, n);
	free(got);
	close(fd);

	m = msg("small", 5, KLOGS_STDOUT, 0);
	n = klogs_journald_encode(out, sizeof(out), &m);
	assert_int_equal(klogs_journald_send(sp[0], out, n), 0);
	char dg[4096];
	assert_int_equal(recv(sp[1], dg, sizeof(dg), 0), (ssize_t)n);
	assert_memory_equal(dg, out, n);
	close(sp[0]);
	close(sp[1]);
}

static void test_fluentd(void **st)
{
	(void)st;
	struct klogs_config c = cfg(KLOGS_FLUENTD);
	struct klogs_msg m = msg("ok", 2, KLOGS_STDOUT, 0);
	m.tag = "t";
	size_t n = klogs_fluentd_encode(out, sizeof(out), &c, &m);
	/* [ "t", uint32 time, {container_id, container_name, source, log} ] */
	static const char want[] =
		"\x93\xa1t\xce\x6b\x11\x15\x59\x84"
		"\xac"
		"container_id\xd9\x40" ID
		"\xae"
		"container_name\xa4/web"
		"\xa6source\xa6stdout"
		"\xa3log\xa2ok";
	bytes_are(out, n, want, sizeof(want) - 1);
	/* sub-second: EventTime (ext 0, sec and nsec big-endian); partial */
	c.subsecond = true;
	m.partial = 1;
	m.stream = KLOGS_STDERR;
	n = klogs_fluentd_encode(out, sizeof(out), &c, &m);
	assert_memory_equal(out, "\x93\xa1t\xd7\x00\x6b\x11\x15\x59\x00\x01\xe2\x08\x85", 14);
	assert_non_null(memmem(out, n, "\xa6stderr", 7));
	assert_non_null(memmem(out, n, "\xafpartial_message\xa4true", 21));
	/* a 16 KiB line: str16; 300 bytes: str16 too (str8 to 255) */
	static char line[KLOGS_LINE_MAX];
	memset(line, 'z', sizeof(line));
	m = msg(line, sizeof(line), KLOGS_STDOUT, 0);
	c.subsecond = false;
	n = klogs_fluentd_encode(out, sizeof(out), &c, &m);
	assert_memory_equal(out + n - sizeof(line) - 3, "\xda\x40\x00", 3);
	m = msg(line, 200, KLOGS_STDOUT, 0);
	n = klogs_fluentd_encode(out, sizeof(out), &c, &m);
	assert_memory_equal(out + n - 200 - 2, "\xd9\xc8", 2);
}

static void tag_is(const char *tmpl, const char *want)
{
	char buf[KLOGS_TAG_MAX];
	kerr e = { 0 };
	if (klogs_tag_expand(buf, sizeof(buf), tmpl, ID, "web", "busybox:1", "sha256:feedfacefeedface00", &e) < 0)
		fail_msg("tag %s: %s", tmpl ? tmpl : "(default)", e.msg);
	assert_string_equal(buf, want);
}

static void tag_fails(const char *tmpl, const char *want)
{
	char buf[KLOGS_TAG_MAX];
	kerr e = { 0 };
	assert_int_equal(klogs_tag_expand(buf, sizeof(buf), tmpl, ID, "web", "busybox:1", "", &e), -1);
	if (!strstr(e.msg, want))
		fail_msg("tag %s: got \"%s\", want \"%s\"", tmpl, e.msg, want);
}

static void test_tags(void **st)
{
	(void)st;
	tag_is(NULL, "0123456789ab");
	tag_is("{{.ID}}", "0123456789ab");
	tag_is("{{.FullID}}", ID);
	tag_is("app/{{ .Name }}/{{.ImageName}}", "app/web/busybox:1");
	tag_is("{{.ImageID}} {{.ImageFullID}} {{.DaemonName}}", "feedfacefeed feedfacefeedface00 kapsel");
	tag_is("plain {x}", "plain {x}");
	tag_fails("{{.Nope}}", "unknown field \".Nope\"");
	tag_fails("{{.ID", "without \"}}\"");
	tag_fails("{{ID}}", "unknown field \"ID\"");
	char big[400];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	tag_fails(big, "longer than");
}

static void test_addresses(void **st)
{
	(void)st;
	struct klogs_addr a;
	kerr e = { 0 };
	assert_int_equal(klogs_addr_parse(&a, KLOGS_SYSLOG, "udp://10.0.0.1", &e), 0);
	assert_int_equal(a.t, KLOGS_T_UDP);
	assert_string_equal(a.host, "10.0.0.1");
	assert_string_equal(a.port, "514");
	assert_int_equal(klogs_addr_parse(&a, KLOGS_SYSLOG, "tcp+tls://[::1]:6514", &e), 0);
	assert_int_equal(a.t, KLOGS_T_TLS);
	assert_string_equal(a.host, "::1");
	assert_string_equal(a.port, "6514");
	assert_int_equal(klogs_addr_parse(&a, KLOGS_SYSLOG, "unixgram:///dev/log", &e), 0);
	assert_string_equal(a.path, "/dev/log");
	assert_int_equal(klogs_addr_parse(&a, KLOGS_FLUENTD, "fluent.example:24225", &e), 0);
	assert_int_equal(a.t, KLOGS_T_TCP);
	assert_string_equal(a.port, "24225");
	assert_int_equal(klogs_addr_parse(&a, KLOGS_FLUENTD, "tcp://fluent", &e), 0);
	assert_string_equal(a.port, "24224");
	static const struct {
		enum klogs_driver d;
		const char *addr, *want;
	} bad[] = {
		{ KLOGS_SYSLOG, "ftp://x", "not unix:///path" },
		{ KLOGS_SYSLOG, "udp://h:0", "is not a port" },
		{ KLOGS_SYSLOG, "udp://h:99999", "is not a port" },
		{ KLOGS_SYSLOG, "tcp://:514", "no host" },
		{ KLOGS_SYSLOG, "unix://relative", "must be absolute" },
		{ KLOGS_SYSLOG, "tcp://[::1", "without \"]\"" },
		{ KLOGS_FLUENTD, "udp://h:1", "host:port, tcp://host:port or unix:///path" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		kerr be = { 0 };
		assert_int_equal(klogs_addr_parse(&a, bad[i].d, bad[i].addr, &be), -1);
		if (!strstr(be.msg, bad[i].want))
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].addr, be.msg, bad[i].want);
	}
}

static void parse_fails(const char *json, const char *want)
{
	struct klogs_config c;
	kerr e = { 0 };
	assert_int_equal(klogs_config_defaults(&c, NULL, &e), 0);
	json_object *o = json_tokener_parse(json);
	assert_non_null(o);
	int r = klogs_config_parse(&c, o, "supervise.json", &e);
	json_object_put(o);
	klogs_config_done(&c);
	assert_int_equal(r, -1);
	if (!strstr(e.msg, want))
		fail_msg("%s: got \"%s\", want \"%s\"", json, e.msg, want);
}

static void test_options(void **st)
{
	(void)st;
	struct klogs_config c;
	kerr e = { 0 };
	assert_int_equal(klogs_config_defaults(&c, NULL, &e), 0);
	json_object *o = json_tokener_parse(
		"{\"driver\":\"syslog\",\"opts\":{\"syslog-address\":\"tcp://log:1514\",\"syslog-facility\":\"local7\","
		"\"syslog-format\":\"rfc3164\",\"tag\":\"{{.Name}}\",\"mode\":\"non-blocking\",\"max-buffer-size\":\"2m\"}}");
	assert_int_equal(klogs_config_parse(&c, o, "s.json", &e), 0);
	json_object_put(o);
	assert_int_equal(c.driver, KLOGS_SYSLOG);
	assert_int_equal(c.addr.t, KLOGS_T_TCP);
	assert_int_equal(c.facility, 23);
	assert_int_equal(c.format, KLOGS_RFC3164);
	assert_string_equal(c.tag, "{{.Name}}");
	assert_true(c.non_blocking);
	assert_int_equal(c.max_buffer_size, 2 * 1024 * 1024);
	klogs_config_done(&c);
	/* defaults: syslog to /dev/log, fluentd to localhost:24224, Docker's retries */
	assert_int_equal(klogs_config_defaults(&c, NULL, &e), 0);
	o = json_tokener_parse("{\"driver\":\"fluentd\",\"opts\":{\"fluentd-async\":\"true\"}}");
	assert_int_equal(klogs_config_parse(&c, o, "s.json", &e), 0);
	json_object_put(o);
	assert_int_equal(c.addr.t, KLOGS_T_TCP);
	assert_string_equal(c.addr.host, "localhost");
	assert_string_equal(c.addr.port, "24224");
	assert_true(c.async);
	assert_int_equal(c.max_retries, INT32_MAX);
	assert_int_equal(c.max_buffer_size, 1024 * 1024);
	klogs_config_done(&c);

	parse_fails("{\"driver\":\"syslog\",\"opts\":{\"syslog-facility\":\"mail2\"}}",
		    "log.opts.syslog-facility: \"mail2\" is not a syslog facility");
	parse_fails("{\"driver\":\"syslog\",\"opts\":{\"syslog-tls-ca-cert\":\"/nonexistent/ca.pem\"}}",
		    "log.opts.syslog-tls-ca-cert: /nonexistent/ca.pem: No such file");
	parse_fails("{\"driver\":\"syslog\",\"opts\":{\"syslog-tls-skip-verify\":\"yes\"}}", "is not a boolean");
	parse_fails("{\"driver\":\"syslog\",\"opts\":{\"max-size\":\"1m\"}}", "unknown option for the syslog driver");
	parse_fails("{\"driver\":\"journald\",\"opts\":{\"journald-socket\":\"rel\"}}", "not an absolute path");
	parse_fails("{\"driver\":\"fluentd\",\"opts\":{\"fluentd-retry-wait\":\"soon\"}}", "fluentd-retry-wait");
	parse_fails("{\"driver\":\"fluentd\",\"opts\":{\"fluentd-max-retries\":\"-1\"}}", "number of retries");
	parse_fails("{\"driver\":\"json-file\",\"opts\":{\"mode\":\"fast\"}}", "\"fast\" is not one of blocking");
	parse_fails("{\"driver\":\"json-file\",\"opts\":{\"max-buffer-size\":\"0\"}}", "a size from 1 byte");
	parse_fails("{\"driver\":\"json-file\",\"opts\":{\"tag\":\"x\"}}", "unknown option for the json-file driver");
	parse_fails("{\"driver\":\"gelf\"}", "unknown driver \"gelf\"");
}

/* labels / env: what they pick, journald's names, the driver's own fields
 * and the journal's trusted ones never made, a variable over a label, the
 * 2 KiB bound; the fields in a journald entry and a fluentd record. */
static void test_extra(void **st)
{
	(void)st;
	struct klogs_config c;
	kerr e = { 0 };
	assert_int_equal(klogs_config_defaults(&c, NULL, &e), 0);
	json_object *o = json_tokener_parse("{\"driver\":\"journald\",\"opts\":{\"labels\":\"team,_SYSTEMD_UNIT,message,"
					    "dup\",\"labels-regex\":\"^zz\",\"env\":\"DEPLOY,dup\",\"env-regex\":\"^ENV_\"}}");
	assert_int_equal(klogs_config_parse(&c, o, "s.json", &e), 0);
	json_object_put(o);
	json_object *labels = json_tokener_parse("{\"team\":\"web\",\"_SYSTEMD_UNIT\":\"x\",\"message\":\"forged\","
						 "\"zz.a-b\":\"r\",\"other\":\"no\",\"dup\":\"label\"}");
	json_object *env = json_tokener_parse("[\"DEPLOY=blue=green\",\"SECRET=s\",\"ENV_A=1\",\"dup=var\",\"=bad\",\"NOEQ\"]");
	assert_int_equal(klogs_config_extra(&c, labels, env, &e), 0);
	const char *want[] = { "TEAM", "web", "SYSTEMD_UNIT", "x", "ZZ_A_B", "r", "DUP", "var", "DEPLOY", "blue=green",
			       "ENV_A", "1" };
	assert_int_equal(c.nextra, 6);
	for (size_t i = 0; i < 12; i++)
		assert_string_equal(c.extra[i], want[i]);
	struct klogs_msg m = msg("hi", 2, KLOGS_STDOUT, 0);
	m.extra = (const char *const *)c.extra;
	m.nextra = c.nextra;
	size_t n = klogs_journald_encode(out, sizeof(out), &m);
	assert_non_null(memmem(out, n, "\nSYSLOG_TIMESTAMP=", 18));
	static const char fields[] = "\nTEAM=web\nSYSTEMD_UNIT=x\nZZ_A_B=r\nDUP=var\nDEPLOY=blue=green\nENV_A=1\n";
	assert_non_null(memmem(out, n, fields, sizeof(fields) - 1));
	assert_null(memmem(out, n, "forged", 6));
	assert_null(memmem(out, n, "\n_", 2));
	klogs_config_done(&c);
	json_object_put(labels);

	/* fluentd: the names as they are, a map 16 past 15 fields, the chunk last */
	assert_int_equal(klogs_config_defaults(&c, NULL, &e), 0);
	o = json_tokener_parse("{\"driver\":\"fluentd\",\"opts\":{\"env-regex\":\"^V\"}}");
	assert_int_equal(klogs_config_parse(&c, o, "s.json", &e), 0);
	json_object_put(o);
	json_object_put(env);
	env = json_tokener_parse("[\"V1=a\",\"V2=a\",\"V3=a\",\"V4=a\",\"V5=a\",\"V6=a\",\"V7=a\",\"V8=a\",\"V9=a\","
				 "\"V10=a\",\"V11=a\",\"V12=a\",\"log=x\"]");
	assert_int_equal(klogs_config_extra(&c, NULL, env, &e), 0);
	assert_int_equal(c.nextra, 12);
	m = msg("hi", 2, KLOGS_STDOUT, 0);
	m.extra = (const char *const *)c.extra;
	m.nextra = c.nextra;
	m.chunk = "0123456789abcdef0123456789abcdef";
	n = klogs_fluentd_encode(out, sizeof(out), &c, &m);
	assert_int_equal((unsigned char)out[0], 0x94);
	assert_non_null(memmem(out, n, "\xde\x00\x10", 3)); /* 4 + 12 fields */
	BYTES_ARE(out + n - 41, 41, "\x81\xa5" "chunk" "\xd9\x20" "0123456789abcdef0123456789abcdef");
	klogs_config_done(&c);
	json_object_put(env);

	/* more than 2 KiB of fields is an error, as is a regex that is not one */
	assert_int_equal(klogs_config_defaults(&c, NULL, &e), 0);
	o = json_tokener_parse("{\"driver\":\"fluentd\",\"opts\":{\"env\":\"BIG\"}}");
	assert_int_equal(klogs_config_parse(&c, o, "s.json", &e), 0);
	json_object_put(o);
	char big[3000] = "BIG=";
	memset(big + 4, 'x', sizeof(big) - 5);
	env = json_object_new_array();
	json_object_array_add(env, json_object_new_string(big));
	assert_int_equal(klogs_config_extra(&c, NULL, env, &e), -1);
	assert_non_null(strstr(e.msg, "at most 2048"));
	json_object_put(env);
	klogs_config_done(&c);
	parse_fails("{\"driver\":\"journald\",\"opts\":{\"labels-regex\":\"((\"}}", "POSIX extended regex");
	parse_fails("{\"driver\":\"syslog\",\"opts\":{\"env\":\"A\"}}", "has no fields to put them in");
	parse_fails("{\"driver\":\"fluentd\",\"opts\":{\"fluentd-buffer-limit\":\"0\"}}", "number of events from 1");
	parse_fails("{\"driver\":\"fluentd\",\"opts\":{\"fluentd-request-ack\":\"perhaps\"}}", "is not a boolean");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syslog),  cmocka_unit_test(test_journald), cmocka_unit_test(test_journald_memfd),
		cmocka_unit_test(test_fluentd), cmocka_unit_test(test_tags),     cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_options), cmocka_unit_test(test_extra),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
