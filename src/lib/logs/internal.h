/* What the drivers of klogs share (not for use outside src/lib/logs). */
#ifndef KAPSEL_LOGS_INTERNAL_H
#define KAPSEL_LOGS_INTERNAL_H

#include "common/time.h"
#include "logs/logs.h"

#include <limits.h>
#include <time.h>

/* the write buffer: entries are gathered while one read is fed, and
 * written out when it is full (an entry may span two writes) */
#define KLOGS_OUT_MAX (16 * 1024)

struct klogs_pending {
	size_t len;
	char buf[KLOGS_LINE_MAX];
};

struct klogs {
	struct klogs_config cfg;
	char path[PATH_MAX];
	int fd;
	int64_t size;
	uint64_t dropped_lines, dropped_bytes;
	/* entries waiting for one write(2) at the end of a feed */
	char *out;
	size_t outlen;
	size_t outlines, outpayload; /* what they hold, counted as dropped if the write fails */
	/* the time of the read being fed, formatted once for all its lines */
	struct timespec now;
	char now_text[KTIME_BUFSZ];
	int now_len;
	struct klogs_pending pending[_KLOGS_STREAM_MAX];
};

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
