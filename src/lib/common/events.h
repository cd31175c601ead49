/* kevent: the event journal, ROOT/events.log (docs/supervise.md "Events").
 *
 * One JSON line per event in Docker's shape:
 *   {"status":"die","id":ID,"from":IMAGE,"Type":"container","Action":"die",
 *    "Actor":{"ID":ID,"Attributes":{"exitCode":"1","image":..,"name":..}},
 *    "scope":"local","time":S,"timeNano":NS}
 * appended by every writer (each supervisor, the kapsel commands) with one
 * write() of at most PIPE_BUF bytes on an O_APPEND fd, so lines of
 * concurrent writers never interleave.  Writers hold a shared flock on
 * ROOT/events.log.lock while they open and write; the writer that finds the
 * file at its size bound takes it exclusive and renames events.log to
 * events.log.1 (the one before is dropped).  A reader follows by inotify on
 * ROOT: IN_MODIFY of events.log, and IN_MOVED_FROM when it was rotated
 * (what is left of the old file is read first).
 *
 * The filters are `docker events --filter`'s: different keys must all
 * match, values of one key are alternatives. */
#ifndef KAPSEL_EVENTS_H
#define KAPSEL_EVENTS_H

#include "err.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define KEVENT_LOG "events.log"
#define KEVENT_LOG_OLD "events.log.1"
#define KEVENT_LOCK "events.log.lock"
#define KEVENT_LOG_MAX (4 * 1024 * 1024) /* bytes before events.log is rotated */
#define KEVENT_LINE_MAX 4096             /* PIPE_BUF: one atomic append */

struct kevent_attr {
	const char *key, *value;
	bool droppable; /* a label: left out when the line would not fit */
};

struct kevent {
	const char *type;   /* "container", "image", "network" */
	const char *action; /* "die", "health_status: healthy", ... */
	const char *id;     /* the full ID (an image's: its reference or ID) */
	const char *from;   /* a container's image; NULL: no "from" */
	const struct kevent_attr *attrs;
	size_t nattrs;
	struct timespec time; /* 0: now */
};

/* The journal line of EV (with its '\n') into BUF (KEVENT_LINE_MAX bytes);
 * attributes sorted by key.  Returns its length, or < 0 (E2BIG) when it
 * does not fit even without the droppable attributes. */
int kevent_line(const struct kevent *ev, char *buf, kerr *e);

/* Append EV to ROOT/events.log, rotating at MAX bytes (0: KEVENT_LOG_MAX). */
int kevent_append(const char *root, const struct kevent *ev, off_t max, kerr *e);
/* A container event's attributes into A (MAX entries, MAX >= 3): its
 * LABELS (an object, may be NULL; none named image, name or KEY), then
 * image, name and KEY=VALUE (KEY may be NULL).  Returns how many. */
size_t kevent_container_attrs(json_object *labels, const char *image, const char *name, const char *key,
			      const char *value, struct kevent_attr *a, size_t max);

/* --filter KEY=VALUE, KEY one of container, event, type, image, label. */
struct kevent_filter {
	char **container, **event, **type, **image, **label;
};
int kevent_filter_add(struct kevent_filter *f, const char *expr, kerr *e);
/* Whether EV (a parsed journal line) passes F. */
bool kevent_match(const struct kevent_filter *f, json_object *ev);
void kevent_filter_done(struct kevent_filter *f);

/* EV as Docker's `events` prints it:
 *   2026-12-03T06:40:00.123456789Z container die ID (exitCode=1, image=busybox, name=web)
 * into a new string. */
char *kevent_text(json_object *ev);

/* A --since/--until value: RFC 3339, Unix seconds with an optional
 * fraction ("1733200000.5"), or a Go duration before NOW_NS ("10m").
 * Nanoseconds since the epoch; WHAT names the flag in errors. */
int kevent_parse_time(const char *what, const char *s, int64_t now_ns, int64_t *out, kerr *e);

/* A reader of the journal: every complete line (without its '\n') goes to
 * FN, first those already there when FROM_START (events.log.1, then
 * events.log), then each new one as it is appended, through inotify on
 * ROOT on loop L, across rotations.  FN returns 0 to go on, < 0 to stop
 * the loop with E.  The reader's sources live on L until kevent_reader_free. */
struct kloop;
struct kevent_reader;
typedef int (*kevent_line_fn)(const char *line, size_t len, void *data, kerr *e);
int kevent_reader_open(struct kevent_reader **out, const char *root, struct kloop *l, bool from_start,
		       kevent_line_fn fn, void *data, kerr *e);
struct kevent_reader *kevent_reader_free(struct kevent_reader *r);

#endif
