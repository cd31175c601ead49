/* Forked children for unit tests that wait on processes (include after
 * <cmocka.h>): one that exits at once with CODE, one that waits to be
 * killed. */
#ifndef KAPSEL_TEST_CHILDREN_H
#define KAPSEL_TEST_CHILDREN_H

#include <sys/types.h>
#include <unistd.h>

static inline pid_t fork_exit(int code)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(code);
	return pid;
}

static inline pid_t fork_pause(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

#endif
