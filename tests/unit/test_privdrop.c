/* src/lib/linux/privdrop.c: "USER[:GROUP]" against the host's passwd and
 * group databases, and the switch itself in a forked child (as root):
 * the ids, groups and capabilities it promises, and its refusals (a
 * second thread, no root to start with). */
#include "linux/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEEP (1ull << CAP_DAC_READ_SEARCH | 1ull << CAP_SYS_PTRACE)

static void test_lookup(void **state)
{
	(void)state;
	struct kpriv_user u;
	kerr e = { 0 };
	struct passwd *nb = getpwnam("nobody");
	if (!nb)
		skip();
	assert_int_equal(kpriv_lookup("nobody", &u, &e), 0);
	assert_int_equal(u.uid, nb->pw_uid);
	assert_int_equal(u.gid, nb->pw_gid);
	assert_string_equal(u.name, "nobody");
	assert_true(u.n_groups >= 1);
	/* a number with a passwd entry is that user; a group by number */
	assert_int_equal(kpriv_lookup("65534:4242", &u, &e), 0);
	assert_int_equal(u.uid, 65534);
	assert_int_equal(u.gid, 4242);
	assert_string_equal(u.name, nb->pw_name);

	static const struct {
		const char *spec, *msg;
		int err;
	} bad[] = {
		{ "no-such-user-here", "no such user \"no-such-user-here\"", ENOENT },
		{ "nobody:no-such-group-here", "no such group \"no-such-group-here\"", ENOENT },
		{ "root", "uid 0", EINVAL },
		{ "0:65534", "uid 0", EINVAL },
		{ "nobody:0", "gid 0", EINVAL },
		{ "nobody:root", "gid 0", EINVAL },
		{ "4242424", "has no passwd entry: name its group too", EINVAL },
		{ "", "expected USER or USER:GROUP", EINVAL },
		{ ":x", "expected USER or USER:GROUP", EINVAL },
		{ "nobody:", "expected USER or USER:GROUP", EINVAL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		e = (kerr){ 0 };
		assert_int_equal(kpriv_lookup(bad[i].spec, &u, &e), -1);
		if (!strstr(e.msg, bad[i].msg) || e.errnum != bad[i].err)
			fail_msg("%s: %s (errno %d)", bad[i].spec, e.msg, e.errnum);
	}
	assert_int_equal(kpriv_lookup("4242424:4242", &u, &e), 0);
	assert_int_equal(u.n_groups, 1);
	assert_int_equal(u.groups[0], 4242);
}

static void *idle(void *p)
{
	pause();
	return p;
}

/* run the switch in a child: its exit status, its message on FD */
static int child(const char *spec, int with_thread, char *msg, size_t n)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		struct kpriv_user u;
		kerr e = { 0 };
		pthread_t t;
		if (with_thread)
			pthread_create(&t, NULL, idle, NULL);
		int r = kpriv_lookup(spec, &u, &e) < 0 ? -1 : kpriv_become(&u, KEEP, &e);
		if (r < 0 && write(p[1], e.msg, strlen(e.msg)) < 0)
			_exit(3);
		_exit(r < 0                                                                                    ? 1
		      : getuid() == u.uid && geteuid() == u.uid && prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0
													       : 2);
	}
	close(p[1]);
	ssize_t k = read(p[0], msg, n - 1);
	msg[k > 0 ? k : 0] = '\0';
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

static void test_become(void **state)
{
	(void)state;
	char msg[512];
	if (geteuid() != 0 || !getpwnam("nobody"))
		skip();
	assert_int_equal(child("nobody", 0, msg, sizeof(msg)), 0);
	assert_int_equal(child("nobody", 1, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "switch to user nobody"));
	assert_non_null(strstr(msg, "2 threads run"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_become),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
