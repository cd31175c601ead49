/* Unit tests for common/cleanup.h's typed cleanups: KAPSEL_DEFINE_CLEANUP
 * for a library type, _cleanup_json_ and _cleanup_pid_ (a forked helper is
 * killed and reaped when its scope ends, and left alone once stolen). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/cleanup.h"
#include "common/json.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "children.h"

struct thing {
	int *freed;
};

static int frees;

static void thing_free(struct thing *t)
{
	(*t->freed)++;
	frees++;
	free(t);
}
KAPSEL_DEFINE_CLEANUP(struct thing *, thing_free)

static struct thing *thing_new(int *freed)
{
	struct thing *t = malloc(sizeof(*t));
	assert_non_null(t);
	t->freed = freed;
	return t;
}

static struct thing *keep(int *freed)
{
	_cleanup_(thing_freep) struct thing *t = thing_new(freed);
	return steal_ptr(t);
}

static void test_define_cleanup(void **state)
{
	(void)state;
	int freed = 0;
	frees = 0;
	{
		_cleanup_(thing_freep) struct thing *t = thing_new(&freed);
		_cleanup_(thing_freep) struct thing *none = NULL; /* NULL: not called */
		(void)t;
		(void)none;
	}
	assert_int_equal(freed, 1);
	assert_int_equal(frees, 1);
	struct thing *t = keep(&freed); /* stolen: not freed at scope end */
	assert_int_equal(freed, 1);
	thing_free(t);
	assert_int_equal(freed, 2);
}

static void test_cleanup_json(void **state)
{
	(void)state;
	json_object *held = json_object_new_object();
	assert_non_null(held);
	{
		_cleanup_json_ json_object *ref = json_object_get(held);
		_cleanup_json_ json_object *none = NULL;
		(void)ref;
		(void)none;
	}
	/* the scope's reference is gone, ours is the last: put frees it */
	assert_int_equal(json_object_put(held), 1);
}

static pid_t scoped_helper(void)
{
	_cleanup_pid_ pid_t pid = fork_pause();
	return pid; /* the value, not the ownership: killed and reaped here */
}

static void test_cleanup_pid(void **state)
{
	(void)state;
	pid_t gone = scoped_helper();
	/* reaped: no zombie left, and nothing to wait for */
	assert_int_equal(waitpid(gone, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(kill(gone, 0), -1);

	pid_t kept;
	{
		_cleanup_pid_ pid_t pid = fork_pause();
		kept = steal_pid(pid);
		assert_int_equal(pid, 0);
	}
	assert_int_equal(kill(kept, 0), 0); /* still running */
	kill(kept, SIGKILL);
	int status;
	assert_int_equal(waitpid(kept, &status, 0), kept);
	assert_true(WIFSIGNALED(status));

	/* pid <= 0 does nothing (and keeps errno) */
	errno = EAGAIN;
	{
		_cleanup_pid_ pid_t none = 0;
		_cleanup_pid_ pid_t failed = -1;
		(void)none;
		(void)failed;
	}
	assert_int_equal(errno, EAGAIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_define_cleanup),
		cmocka_unit_test(test_cleanup_json),
		cmocka_unit_test(test_cleanup_pid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
