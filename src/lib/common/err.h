/* kerr: the error object every fallible function in libkapsel fills.
 *
 * A function that can fail returns a negative number and fills a kerr with
 * the errno and a message.  Callers add context as the error travels up with
 * kerr_wrap(), so the final message reads outermost first:
 *   "create web: mount proc on /proc: Operation not permitted".
 * Only main() prints it. */
#ifndef KAPSEL_ERR_H
#define KAPSEL_ERR_H

#include <stddef.h>

#define KERR_MSG_MAX 2048

typedef struct kerr {
	int errnum;                 /* errno of the root cause, 0 if none */
	char msg[KERR_MSG_MAX];     /* full message, without the strerror suffix */
} kerr;

/* Set the error; appends ": strerror(errnum)" when errnum != 0.  Returns -1. */
int kerr_set(kerr *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Set the error with ERRNUM recorded but not spelled out in the message
 * (for messages that already say what happened).  Returns -1. */
int kerr_msg(kerr *e, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Same, taking errno. */
#define kerr_errno(e, ...) kerr_set((e), errno, __VA_ARGS__)

/* Prefix the existing message with context ("ctx: old").  Returns -1. */
int kerr_wrap(kerr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void kerr_clear(kerr *e);

#endif
