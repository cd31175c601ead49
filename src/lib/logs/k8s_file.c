/* k8s-file: the CRI log format kubelet reads (and Podman's conmon writes):
 *   <RFC3339Nano UTC> <stdout|stderr> <F|P> <text>\n
 * F marks the end of a line (its '\n' is the record's), P a piece of a
 * longer one.  The text is written as it came, unescaped. */
#include "logs/internal.h"

#include <string.h>

void klogs_k8s_file_write(struct klogs *l, enum klogs_stream s, const char *p, size_t n, int partial)
{
	klogs_begin(l);
	char *o = klogs_room(l, KTIME_BUFSZ + 16), *start = o;
	memcpy(o, l->now_text, (size_t)l->now_len);
	o += l->now_len;
	o += sprintf(o, " %s %c ", klogs_stream_to_name(s), partial ? 'P' : 'F');
	klogs_wrote(l, (size_t)(o - start));
	for (size_t left = n; left;) {
		o = klogs_room(l, 1);
		size_t k = klogs_room_left(l) < left ? klogs_room_left(l) : left;
		memcpy(o, p + (n - left), k);
		klogs_wrote(l, k);
		left -= k;
	}
	memcpy(klogs_room(l, 1), "\n", 1);
	klogs_wrote(l, 1);
	klogs_end(l, n);
}
