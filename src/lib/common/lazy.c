/* The loader of lazy.h: dlopen by soname once per library (RTLD_NOW, so
 * a broken library fails here, at its first use, and not in the middle of
 * a call), dlsym in that library only (never RTLD_DEFAULT, which would
 * find kapsel's own wrapper again). */
#include "common/lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

static _Noreturn void fail(const struct klazy_lib *lib, const char *what, const char *why)
{
	/* what the dynamic loader would have said at start-up, at first use */
	fprintf(stderr, "kapsel: %s%s%s: %s (install Debian's %s package)\n", lib->soname, what ? ": " : "",
		what ? what : "", why ? why : "unknown error", lib->package);
	fflush(stderr);
	_exit(127);
}

void *klazy_sym(struct klazy_lib *lib, const char *name)
{
	void *h = atomic_load_explicit(&lib->handle, memory_order_acquire);
	if (!h) {
		pthread_mutex_lock(&load_lock);
		h = atomic_load_explicit(&lib->handle, memory_order_relaxed);
		if (!h) {
			h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
			if (!h) {
				const char *why = dlerror();
				pthread_mutex_unlock(&load_lock);
				fail(lib, NULL, why);
			}
			atomic_store_explicit(&lib->handle, h, memory_order_release);
		}
		pthread_mutex_unlock(&load_lock);
	}
	dlerror();
	void *f = dlsym(h, name);
	if (!f)
		fail(lib, name, dlerror());
	return f;
}
