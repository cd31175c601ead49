/* Building struct kcg_stats: memory.stat, the device and page-size tables. */
#include "cgroup/usage.h"

#include "cgroup/read.h"
#include "common/cleanup.h"
#include "common/err.h"
#include "common/fs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const io_op_table[] = {
	[KCG_IO_READ] = "Read",   [KCG_IO_WRITE] = "Write",     [KCG_IO_SYNC] = "Sync",
	[KCG_IO_ASYNC] = "Async", [KCG_IO_DISCARD] = "Discard", [KCG_IO_TOTAL] = "Total",
};
KAPSEL_DEFINE_NAME_TABLE(kcg_io_op, enum kcg_io_op, io_op_table);

int kcg_stats_memstat(const char *dir, struct kcg_stats *s)
{
	_cleanup_free_ char *buf = NULL;
	if (kcg_read_text(dir, "memory.stat", &buf) < 0)
		return -1;
	s->mem.n_raw = 0;
	for (char *line = buf; line && *line && s->mem.n_raw < KCG_STATS_MAX_RAW;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *sp = strchr(line, ' ');
		if (sp && sp > line && (size_t)(sp - line) < sizeof(s->mem.raw[0].key)) {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(sp + 1, &end, 10);
			if (end != sp + 1 && !errno) {
				snprintf(s->mem.raw[s->mem.n_raw].key, sizeof(s->mem.raw[0].key), "%.*s",
					 (int)(sp - line), line);
				s->mem.raw[s->mem.n_raw++].v = v;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	s->have |= KCG_HAVE_MEMSTAT;
	return 0;
}

int kcg_stats_raw(const struct kcg_stats *s, const char *key, uint64_t *v)
{
	for (unsigned i = 0; i < s->mem.n_raw; i++)
		if (!strcmp(s->mem.raw[i].key, key)) {
			*v = s->mem.raw[i].v;
			return 0;
		}
	return -1;
}

struct kcg_blkdev *kcg_stats_dev(struct kcg_stats *s, unsigned maj, unsigned min)
{
	for (unsigned i = 0; i < s->n_dev; i++)
		if (s->dev[i].major == maj && s->dev[i].minor == min)
			return &s->dev[i];
	if (s->n_dev == KCG_STATS_MAX_DEVS)
		return NULL;
	struct kcg_blkdev *d = &s->dev[s->n_dev++];
	memset(d, 0, sizeof(*d));
	d->major = maj;
	d->minor = min;
	return d;
}

struct kcg_hugetlb *kcg_stats_huge(struct kcg_stats *s, const char *name, size_t len)
{
	if (len >= sizeof(s->huge[0].size))
		return NULL;
	for (unsigned i = 0; i < s->n_huge; i++)
		if (strlen(s->huge[i].size) == len && !strncmp(s->huge[i].size, name, len))
			return &s->huge[i];
	if (s->n_huge == KCG_STATS_MAX_HUGE)
		return NULL;
	struct kcg_hugetlb *hp = &s->huge[s->n_huge++];
	memset(hp, 0, sizeof(*hp));
	memcpy(hp->size, name, len);
	hp->size[len] = '\0';
	return hp;
}
