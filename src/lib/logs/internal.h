/* What the drivers of klogs share (not for use outside src/lib/logs). */
#ifndef KAPSEL_LOGS_INTERNAL_H
#define KAPSEL_LOGS_INTERNAL_H

#include "logs/logs.h"

#include <limits.h>
#include <time.h>

/* one entry at most: a 16 KiB piece escaped (6 bytes a byte) plus the rest */
#define KLOGS_SCRATCH (6 * KLOGS_LINE_MAX + 256)

struct klogs_pending {
	size_t len;
	char buf[KLOGS_LINE_MAX];
};

struct klogs {
	struct klogs_config cfg;
	char path[PATH_MAX];
	int fd;
	int64_t size;
	char *scratch;
	uint64_t dropped_lines, dropped_bytes;
	struct klogs_pending pending[_KLOGS_STREAM_MAX];
};

void klogs_emit(struct klogs *l, const char *entry, size_t len, size_t payload);
void klogs_json_file_write(struct klogs *l, enum klogs_stream s, const struct timespec *ts, const char *p, size_t n,
			   int partial);
void klogs_k8s_file_write(struct klogs *l, enum klogs_stream s, const struct timespec *ts, const char *p, size_t n,
			  int partial);

#endif
