/* libFuzzer target: the request-head parser of `kapsel monitor`'s HTTP
 * server (common/httpd.c), with the query lookup. */
#include "common/httpd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t touch(const char *s)
{
	return s ? strlen(s) : 0; /* in bounds and terminated, or ASan says so */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > KHTTPD_HEAD_MAX)
		return 0;
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	struct khttp_req rq;
	struct khttp_head h;
	khttp_parse(buf, size, &rq, &h);
	if (h.status) {
		if (!h.why || h.status < 400)
			abort();
	} else {
		if (!rq.path || rq.path[0] != '/' || !rq.query || !rq.method)
			abort();
		touch(rq.accept);
		touch(rq.accept_encoding);
		touch(rq.authorization);
		char v[64];
		if (khttp_query_get(rq.query, "history", v, sizeof(v)) && strlen(v) >= sizeof(v))
			abort();
	}
	free(buf);
	return 0;
}
