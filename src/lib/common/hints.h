/* Hints for the traps of kapsel's defaults: a container that exits
 * non-zero after an error one of the defaults causes (EROFS from the
 * read-only root, EACCES from the non-root user or the noexec /tmp, EPERM
 * from the dropped capabilities) gets one line naming the flag that lifts
 * that default.  Read from the last bytes the container wrote (its stderr,
 * else its stdout), by the supervisor at exit (status.json "hint", its
 * supervise.log) and by a foreground `kapsel run` (printed, and in
 * status.json); `kapsel inspect` shows it as State.Hint. */
#ifndef KAPSEL_HINTS_H
#define KAPSEL_HINTS_H
#include <stddef.h>

#define KHINT_TAIL 4096 /* how many of the last bytes are read */

/* What the hints need of the container beyond its output. */
struct khint_ctx {
	int exit_code;
	unsigned uid;      /* the process's uid inside the container */
	int read_only;     /* root filesystem read-only */
	int network_host;  /* --network host (low ports need a capability) */
};

/* The hint for output TAIL (N bytes, the last ones the container wrote,
 * not NUL-terminated), or NULL when there is none: exit code 0, or no
 * line that names a trap.  The latest matching line decides.  The text
 * is static. */
const char *khint(const char *tail, size_t n, const struct khint_ctx *c);

/* A ring of the last KHINT_TAIL bytes of a stream. */
struct khint_tail {
	char buf[KHINT_TAIL];
	size_t len;  /* bytes held, <= KHINT_TAIL */
	size_t head; /* where the next byte goes */
};
void khint_tail_add(struct khint_tail *t, const char *p, size_t n);
/* The bytes held, oldest first, into OUT (KHINT_TAIL bytes); returns
 * how many. */
size_t khint_tail_get(const struct khint_tail *t, char *out);
#endif
