/* Reading a container's json-file or k8s-file log back, for `kapsel logs`.
 *
 * The log is DIR/<id>-json.log (or -k8s.log) and its rotated files .1
 * (newest) ... .N (oldest), each possibly compressed (.N.gz, read through
 * zlib).  Entries come oldest first: the rotated files, then the live file.
 *
 * Each line is parsed into a piece (time, stream, text, partial); the
 * pieces of one line are put back together (json-file: a "log" without its
 * trailing "\n" is a 16 KiB piece of a longer line; k8s-file: a P record)
 * and handed out as one entry with the first piece's time.  A line that
 * does not parse (a corrupt or cut write) is skipped and counted, never an
 * error.
 *
 *   since/until  entries before since or after until are left out; a
 *                rotated file whose last entry is before since, or whose
 *                first is after until, is not read at all
 *   tail N       the last N entries (those inside since/until): the files
 *                are read from their end backwards, block by block, so the
 *                cost is that of the entries shown, not of the log's size
 *   follow       after the end, the live file is followed (inotify on DIR)
 *                through its rotations until the process FOLLOW_PID exits
 *                (the container's supervisor: it exits once the container
 *                is done for good and every line is written); then what is
 *                left is read and the call returns. */
#ifndef KAPSEL_LOGS_READ_H
#define KAPSEL_LOGS_READ_H

#include "common/err.h"
#include "logs/logs.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define KLOGS_ENTRY_MAX (1024 * 1024) /* a longer line is handed out in pieces of this size (partial) */

struct klogs_entry {
	struct timespec time;
	enum klogs_stream stream;
	const char *text; /* the line without its '\n' */
	size_t len;
	bool partial; /* no '\n' ended it (the stream ended mid-line, or it was longer than KLOGS_ENTRY_MAX) */
	/* json-file "attrs" as `docker logs --details` shows them: key=value
	 * pairs sorted by key, query-escaped, joined by ','; "" without */
	const char *attrs;
};

/* Return 0 to go on, < 0 with E filled to stop the read with that error. */
typedef int (*klogs_entry_fn)(const struct klogs_entry *en, void *data, kerr *e);
/* Called when a follow has caught up and waits (flush the output). */
typedef int (*klogs_idle_fn)(void *data, kerr *e);

struct klogs_read_opts {
	enum klogs_driver driver;     /* KLOGS_JSON_FILE or KLOGS_K8S_FILE */
	const struct timespec *since; /* NULL: from the start */
	const struct timespec *until; /* NULL: to the end */
	int64_t tail;                 /* < 0: every entry */
	pid_t follow_pid;             /* > 0: follow until it exits */
	klogs_entry_fn fn;
	klogs_idle_fn idle; /* may be NULL */
	void *data;
};

struct klogs_read_counts {
	uint64_t entries; /* handed out */
	uint64_t corrupt; /* lines skipped: not a log line of the driver's format */
	unsigned files;   /* files of the log found (0: there is no log) */
};

/* Read the log of ID in DIR.  A log that does not exist (yet) is empty;
 * with a follow, it is waited for. */
int klogs_read(const char *dir, const char *id, const struct klogs_read_opts *o, struct klogs_read_counts *n, kerr *e);

/* A --since/--until value as Docker reads it, against NOW: an RFC 3339
 * time (2026-12-02T13:04:05.5Z, with an offset; without one, or a date
 * alone, local time), unix seconds with an optional fraction
 * (1764680645.123456789), or a Go duration before NOW (10m, 1h30m; "-5m"
 * is after NOW).  Errors name WHAT. */
int klogs_time_arg(const char *what, const char *s, const struct timespec *now, struct timespec *out, kerr *e);

#endif
