/* What the drivers of klogs share (not for use outside src/lib/logs). */
#ifndef KAPSEL_LOGS_INTERNAL_H
#define KAPSEL_LOGS_INTERNAL_H

#include "common/loop.h"
#include "common/time.h"
#include "logs/logs.h"

#include <limits.h>
#include <sys/types.h>
#include <time.h>

/* the write buffer: entries are gathered while one read is fed, and
 * written out when it is full (an entry may span two writes) */
#define KLOGS_OUT_MAX (16 * 1024)

struct klogs_pending {
	size_t len;
	char buf[KLOGS_LINE_MAX];
};

/* The queue of a remote driver: records [u32 length][u32 line bytes][data]
 * in one buffer grown as needed, consumed from HEAD. */
struct klogs_queue {
	char *buf;
	size_t head, len, cap; /* live records in buf[head .. head+len) */
	size_t off;            /* bytes of the first record's data sent (streams) */
	size_t nrec;
};

enum klogs_conn { KLOGS_DOWN, KLOGS_CONNECTING, KLOGS_UP };

struct klogs_remote {
	struct kloop *loop;
	struct kloop_source *io, *timer;
	klogs_event_fn fn;
	void *data;
	int fd;
	int relay; /* a pidfd of the kapsel-log-tls relay of tcp+tls, or -1 */
	enum klogs_conn conn;
	uint64_t backoff;
	int64_t failures; /* connection attempts failed in a row */
	bool full;        /* klogs_full said so: KLOGS_EV_ROOM owed */
	bool dropped;     /* counters changed since the last event */
	char last_error[256];
	struct klogs_queue q;
	/* fluentd-request-ack: the head event went out, its ack is awaited
	 * (the answer gathered in ack); chunk ids are seed, then seq */
	bool awaiting;
	unsigned char ack[64];
	size_t acklen;
	uint64_t chunk_seed, chunk_seq;
	uint64_t connect_cap; /* klogs_drain: a connect takes at most this (ns; 0: the usual) */
	char *scratch; /* KLOGS_MSG_MAX */
	char tag[KLOGS_TAG_MAX];
	char hostname[256];
	char id[65];
	int pid; /* syslog's PROCID: the supervisor's */
};

struct klogs {
	struct klogs_config cfg;
	char path[PATH_MAX];
	int fd;
	int64_t size;
	uint64_t dropped_lines, dropped_bytes;
	uint64_t cache_dropped_lines, cache_dropped_bytes; /* a remote driver's local copy's */
	/* entries waiting for one write(2) at the end of a feed */
	char *out;
	size_t outlen;
	size_t outlines, outpayload; /* what they hold, counted as dropped if the write fails */
	/* the time of the read being fed, formatted once for all its lines */
	struct timespec now;
	char now_text[KTIME_BUFSZ];
	int now_len;
	struct klogs_pending pending[_KLOGS_STREAM_MAX];
	struct klogs_remote *r; /* syslog, journald, fluentd */
	/* compress=true: the child gzipping the newest rotated file (one at a
	 * time), watched from the caller's loop; a rotation due meanwhile waits
	 * (the live file grows past max-size, mode=blocking pauses the reads) */
	struct kloop *loop;
	klogs_event_fn fn;
	void *data;
	struct kloop_source *gz_src;
	pid_t gz_pid;
	bool rotate_due;
	/* the disk is full: until room_fn says it is back, mode=blocking stops
	 * the reads (klogs_file_full; retried from a timer), non-blocking drops */
	bool held, held_drop; /* held_drop: the stream ended, drop meanwhile */
	uint64_t held_try_ns;
	klogs_room_fn room_fn;
	void *room_data;
	struct kloop_source *held_timer;
	/* the entry being written: where it starts in the file; skip: a failed
	 * write cut its start off, the rest of it is dropped too.  whole: the
	 * end of the last entry that is all on disk, where a failed write
	 * cuts the file back to */
	int64_t entry_start, whole;
	bool in_entry, skip;
};

static inline bool klogs_is_remote(enum klogs_driver d)
{
	return d == KLOGS_SYSLOG || d == KLOGS_JOURNALD || d == KLOGS_FLUENTD;
}
/* file.c: a rotation waits for the compression (mode=blocking) */
bool klogs_file_full(const struct klogs *l);
/* remote.c */
int klogs_remote_open(struct klogs *l, const char *id, kerr *e);
void klogs_remote_write(struct klogs *l, enum klogs_stream s, const char *p, size_t n, int partial);
void klogs_remote_close(struct klogs *l);
/* An option of a remote driver (or mode / max-buffer-size of any): 1 when
 * K was one, 0 when it is unknown, -1 on a bad value (E names WHAT). */
int klogs_remote_option(struct klogs_config *c, const char *k, const char *v, const char *what, kerr *e);

/* Writing one entry: klogs_begin (rotates a full file first), then
 * klogs_room(N) for a pointer with at least N (<= KLOGS_OUT_MAX) bytes of
 * room, klogs_room_left for how many there are, klogs_wrote for the bytes
 * put there, klogs_end with the piece's size for the counters. */
void klogs_begin(struct klogs *l);
char *klogs_room(struct klogs *l, size_t need);
static inline size_t klogs_room_left(const struct klogs *l)
{
	return KLOGS_OUT_MAX - l->outlen;
}
void klogs_wrote(struct klogs *l, size_t n);
void klogs_end(struct klogs *l, size_t payload);
size_t klogs_json_escape(char *out, size_t cap, const unsigned char *s, size_t n, size_t *used);
void klogs_json_file_write(struct klogs *l, enum klogs_stream s, const char *p, size_t n, int partial);
void klogs_k8s_file_write(struct klogs *l, enum klogs_stream s, const char *p, size_t n, int partial);

#endif
