/* k8s-file: the CRI log format kubelet reads (and Podman's conmon writes):
 *   <RFC3339Nano UTC> <stdout|stderr> <F|P> <text>\n
 * F marks the end of a line (its '\n' is the record's), P a piece of a
 * longer one.  The text is written as it came, unescaped. */
#include "logs/internal.h"

#include "common/time.h"

#include <string.h>

void klogs_k8s_file_write(struct klogs *l, enum klogs_stream s, const struct timespec *ts, const char *p, size_t n,
			  int partial)
{
	char *o = l->scratch;
	int tl = ktime_format(o, KTIME_BUFSZ, ts, KTIME_NANO_TRIM);
	if (tl > 0)
		o += tl;
	o += sprintf(o, " %s %c ", klogs_stream_to_name(s), partial ? 'P' : 'F');
	memcpy(o, p, n);
	o += n;
	*o++ = '\n';
	klogs_emit(l, l->scratch, (size_t)(o - l->scratch), n);
}
