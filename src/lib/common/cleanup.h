/* Scope-bound cleanup helpers: a variable declared with one of these is
 * released when it goes out of scope, so early returns leak nothing.
 *
 * Any library type gets its own with KAPSEL_DEFINE_CLEANUP(type, func), next
 * to FUNC's declaration: it defines FUNCp(type *), which calls FUNC on a
 * non-NULL value, so `_cleanup_(FUNCp) type x = NULL;` releases X. */
#ifndef KAPSEL_CLEANUP_H
#define KAPSEL_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

#define KAPSEL_DEFINE_CLEANUP(type, func) \
	static inline void func##p(type *p) \
	{ \
		if (*p) \
			func(*p); \
	}

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void cleanup_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static inline void cleanup_strvp(char ***v)
{
	if (*v) {
		for (char **p = *v; *p; p++)
			free(*p);
		free(*v);
	}
}

/* A forked helper that must not outlive the scope: SIGKILL and reap it.
 * A pid <= 0 (none yet, the child side of fork(), or handed out with
 * steal_pid) does nothing. */
static inline void cleanup_pidp(pid_t *pid)
{
	if (*pid > 0) {
		int saved = errno;
		kill(*pid, SIGKILL);
		while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = saved;
	}
}

#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(cleanup_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(cleanup_closedirp)))
#define _cleanup_strv_ __attribute__((cleanup(cleanup_strvp)))
#define _cleanup_pid_ __attribute__((cleanup(cleanup_pidp)))

/* Hand ownership out of a cleanup variable. */
#define steal_ptr(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })
#define steal_fd(fd) ({ int _t = (fd); (fd) = -1; _t; })
#define steal_pid(pid) ({ pid_t _t = (pid); (pid) = 0; _t; })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
