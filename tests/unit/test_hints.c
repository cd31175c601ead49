/* Unit tests for common/hints: each trap of the defaults gets the hint
 * naming its flag, from the messages real tools print; the latest line
 * decides; no hint for a clean exit or unrelated output; the tail ring
 * keeps the last bytes in order. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/hints.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static const struct khint_ctx nobody = { .exit_code = 1, .uid = 65534, .read_only = 1 };

static const char *hint(const char *out, const struct khint_ctx *c)
{
	return khint(out, strlen(out), c);
}

static void assert_hint(const char *out, const struct khint_ctx *c, const char *flag)
{
	const char *h = hint(out, c);
	if (!h || !strstr(h, flag))
		fail_msg("output %s: hint %s, wanted one naming %s", out, h ? h : "(none)", flag);
}

static void test_each_trap(void **st)
{
	(void)st;
	assert_hint("touch: cannot touch '/var/log/x': Read-only file system\n", &nobody, "--read-only=false");
	assert_hint("sh: /tmp/run.sh: Permission denied\n", &nobody, "--tmpfs /tmp:exec");
	assert_hint("chown: changing ownership of '/data': Operation not permitted\n", &nobody,
		    "--cap-add CHOWN");
	assert_hint("chmod: changing permissions of '/x': Operation not permitted\n", &nobody,
		    "--cap-add FOWNER");
	assert_hint("su: cannot set groups: setgroups: Operation not permitted\n", &nobody,
		    "--cap-add SETUID");
	assert_hint("mkdir: can't create directory '/app/cache': Permission denied\n", &nobody, "--user 0");
	assert_hint("mount: permission denied (are you root?)\nmount: /mnt: Operation not permitted\n", &nobody,
		    "seccomp=unconfined");
	struct khint_ctx host = nobody;
	host.network_host = 1;
	assert_hint("nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)\n", &host,
		    "NET_BIND_SERVICE");
	/* in its own network namespace ports from 0 are allowed: an EACCES
	 * on bind is the user's, not the port's */
	assert_hint("nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)\n", &nobody, "--user 0");
}

static void test_no_hint(void **st)
{
	(void)st;
	struct khint_ctx ok = nobody;
	ok.exit_code = 0;
	assert_null(hint("touch: /x: Read-only file system\n", &ok));
	assert_null(hint("segmentation fault\nexit\n", &nobody));
	assert_null(hint("", &nobody));
	assert_null(khint(NULL, 0, &nobody));
	/* root, writable root: those two hints do not apply */
	struct khint_ctx root = { .exit_code = 1, .uid = 0, .read_only = 0 };
	assert_null(hint("touch: /x: Read-only file system\n", &root));
	assert_null(hint("open /srv/x: Permission denied\n", &root));
}

static void test_latest_line_decides(void **st)
{
	(void)st;
	assert_hint("chown: changing ownership of 'a': Operation not permitted\n"
		    "touch: cannot touch '/b': Read-only file system",
		    &nobody, "--read-only=false");
	assert_hint("touch: cannot touch '/b': Read-only file system\r\n"
		    "chown: changing ownership of 'a': Operation not permitted\r\n\r\n",
		    &nobody, "--cap-add CHOWN");
	/* binary bytes and NULs around the line do not stop the search */
	const char bin[] = "\x00\xff\xfe sh: /run/x: permission DENIED\n\x00\x01";
	const char *h = khint(bin, sizeof(bin) - 1, &nobody);
	assert_non_null(h);
	assert_non_null(strstr(h, "--tmpfs /tmp:exec"));
}

static void test_tail_ring(void **st)
{
	(void)st;
	static struct khint_tail t;
	static char out[KHINT_TAIL], big[KHINT_TAIL * 3];
	assert_int_equal(khint_tail_get(&t, out), 0);
	khint_tail_add(&t, "abc", 3);
	khint_tail_add(&t, "def", 3);
	assert_int_equal(khint_tail_get(&t, out), 6);
	assert_memory_equal(out, "abcdef", 6);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	/* many small writes that wrap, then one bigger than the ring */
	for (size_t i = 0; i < sizeof(big); i += 7)
		khint_tail_add(&t, big + i, i + 7 <= sizeof(big) ? 7 : sizeof(big) - i);
	assert_int_equal(khint_tail_get(&t, out), KHINT_TAIL);
	assert_memory_equal(out, big + sizeof(big) - KHINT_TAIL, KHINT_TAIL);
	khint_tail_add(&t, "xyz", 3);
	khint_tail_add(&t, big, sizeof(big));
	assert_int_equal(khint_tail_get(&t, out), KHINT_TAIL);
	assert_memory_equal(out, big + sizeof(big) - KHINT_TAIL, KHINT_TAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_trap),
		cmocka_unit_test(test_no_hint),
		cmocka_unit_test(test_latest_line_decides),
		cmocka_unit_test(test_tail_ring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
