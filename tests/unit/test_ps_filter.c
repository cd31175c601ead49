/* Unit tests for kps_filter (container/control.c): `ps` output reduced to
 * its header and the lines of the container's pids, whichever column the
 * PID is in, and clear errors for output it cannot read. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "container/container.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char ps_ef[] =
	"UID          PID    PPID  C STIME TTY          TIME CMD\n"
	"root           1       0  0 10:00 ?        00:00:01 /sbin/init\n"
	"root          12       1  0 10:00 ?        00:00:00 sh -c sleep 123\n"
	"root         123      12  0 10:00 ?        00:00:00 sleep 123\n"
	"nobody      1234       1  0 10:01 pts/0    00:00:00 top -p 12\n";

static char *filter(const char *ps, const pid_t *pids, int n)
{
	char *out = (char *)1;
	kerr e = { 0 };
	if (kps_filter(ps, pids, n, &out, &e) != 0)
		fail_msg("kps_filter: %s", e.msg);
	return out;
}

static void test_pid_in_second_column(void **state)
{
	(void)state;
	pid_t pids[] = { 123, 12 };
	char *out = filter(ps_ef, pids, 2);
	/* 12 does not match 123 or 1234, nor the 12 in PPID or in CMD */
	assert_string_equal(out,
			    "UID          PID    PPID  C STIME TTY          TIME CMD\n"
			    "root          12       1  0 10:00 ?        00:00:00 sh -c sleep 123\n"
			    "root         123      12  0 10:00 ?        00:00:00 sleep 123\n");
	free(out);
	/* none of ours: the header alone */
	out = filter(ps_ef, NULL, 0);
	assert_string_equal(out, "UID          PID    PPID  C STIME TTY          TIME CMD\n");
	free(out);
}

static void test_pid_first_and_ppid_before(void **state)
{
	(void)state;
	pid_t pids[] = { 7 };
	char *out =
		filter("  PID TTY          TIME CMD\n"
		       "    7 ?        00:00:00 sh\n"
		       "   77 ?        00:00:00 ps", /* no final newline */
		       pids, 1);
	assert_string_equal(out, "  PID TTY          TIME CMD\n    7 ?        00:00:00 sh\n");
	free(out);
	pid_t last[] = { 77 };
	out = filter("  PID TTY          TIME CMD\n    7 ?        00:00:00 sh\n   77 ?        00:00:00 ps", last, 1);
	assert_string_equal(out, "  PID TTY          TIME CMD\n   77 ?        00:00:00 ps\n");
	free(out);
	/* PPID is not PID; tabs separate too; short lines are skipped */
	pid_t p[] = { 5 };
	out = filter("PPID\tPID\tCMD\n5\t9\tx\n9\t5\ty\n5\n", p, 1);
	assert_string_equal(out, "PPID\tPID\tCMD\n9\t5\ty\n");
	free(out);
	/* only a header */
	out = filter("PID CMD", p, 1);
	assert_string_equal(out, "PID CMD\n");
	free(out);
}

static void test_errors(void **state)
{
	(void)state;
	pid_t p[] = { 1 };
	char *out = (char *)1;
	kerr e = { 0 };
	assert_int_equal(kps_filter("USER COMMAND\nroot init\n", p, 1, &out, &e), -1);
	assert_null(out);
	assert_int_equal(e.errnum, EINVAL);
	assert_string_equal(e.msg, "ps: the output has no PID column (header: \"USER COMMAND\")");

	out = (char *)1;
	assert_int_equal(kps_filter("PID CMD\n1 init\nabc sh\n", p, 1, &out, &e), -1);
	assert_null(out);
	assert_int_equal(e.errnum, EINVAL);
	assert_string_equal(e.msg, "ps: cannot read a pid in \"abc sh\"");

	assert_int_equal(kps_filter("USER PID\nroot 12x\n", p, 1, &out, &e), -1);
	assert_string_equal(e.msg, "ps: cannot read a pid in \"root 12x\"");
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid_in_second_column),
		cmocka_unit_test(test_pid_first_and_ppid_before),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
