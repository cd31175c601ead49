/* A container's cgroup usage read back through the driver of each
 * hierarchy, shaped like runc's `events --stats` data. */
#include "cgroup/stats.h"

#include "cgroup/driver.h"
#include "common/cleanup.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int dir_of(const struct kcg_host *h, int idx, const char *path, char *out, size_t n)
{
	struct stat st;
	if (idx < 0 || snprintf(out, n, "%s%s", h->hier[idx].mount, path) >= (int)n)
		return -1;
	return stat(out, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

/* Directory of v1 controller CTL for PATH, else the cgroup2 directory if
 * FILE exists there. */
static int pick(const struct kcg_host *h, const char *path, const char *ctl, const char *v2file, char *out, size_t n,
		int *v2)
{
	int idx = kcg_find(h, ctl);
	if (idx >= 0 && !h->hier[idx].v2) {
		*v2 = 0;
		return dir_of(h, idx, path, out, n);
	}
	if (h->unified < 0 || dir_of(h, h->unified, path, out, n) < 0 || !kcg_exists(out, v2file))
		return -1;
	*v2 = 1;
	return 0;
}

int kcg_stats(const struct kcg_host *h, const char *path, json_object **out, kerr *e)
{
	char dir[PATH_MAX];
	int v2, found = 0;
	for (int i = 0; i < h->n && !found; i++)
		found = dir_of(h, i, path, dir, sizeof(dir)) == 0;
	if (!found)
		return kerr_set(e, ENOENT, "stats: no cgroup %s in any hierarchy", path);

	json_object *o = json_object_new_object();
	if (!o)
		return kerr_set(e, ENOMEM, "stats");
	json_object_object_add(o, "cpu", json_object_new_object());
	json_object_object_add(o, "memory", json_object_new_object());
	json_object_object_add(o, "pids", json_object_new_object());
	json_object_object_add(o, "blkio", json_object_new_object());
	json_object_object_add(o, "hugetlb", json_object_new_object());

	int have_cpuacct = 0;
	if (pick(h, path, "cpuacct", "cpu.stat", dir, sizeof(dir), &v2) == 0 && !v2) {
		kcg_v1_stats_cpuacct(dir, o);
		have_cpuacct = 1;
	}
	if (pick(h, path, "cpu", "cpu.stat", dir, sizeof(dir), &v2) == 0) {
		if (v2 && !have_cpuacct)
			kcg_v2_stats_cpu(dir, o);
		else if (!v2)
			kcg_v1_stats_cpu(dir, o);
	} else if (!have_cpuacct && h->unified >= 0 && dir_of(h, h->unified, path, dir, sizeof(dir)) == 0) {
		kcg_v2_stats_cpu(dir, o); /* cpu.stat usage is core in v2 */
	}
	if (pick(h, path, "memory", "memory.current", dir, sizeof(dir), &v2) == 0)
		(v2 ? kcg_v2_stats_memory : kcg_v1_stats_memory)(dir, o);
	if (pick(h, path, "pids", "pids.current", dir, sizeof(dir), &v2) == 0)
		(v2 ? kcg_v2_stats_pids : kcg_v1_stats_pids)(dir, o);
	int idx = kcg_find(h, "blkio");
	if (idx >= 0 && dir_of(h, idx, path, dir, sizeof(dir)) == 0)
		kcg_v1_stats_blkio(dir, o);
	else if (pick(h, path, "io", "io.stat", dir, sizeof(dir), &v2) == 0 && v2)
		kcg_v2_stats_io(dir, o);
	idx = kcg_find(h, "hugetlb");
	if (idx >= 0 && dir_of(h, idx, path, dir, sizeof(dir)) == 0)
		kcg_v1_stats_hugetlb(dir, o);
	else if (h->unified >= 0 && dir_of(h, h->unified, path, dir, sizeof(dir)) == 0)
		kcg_v2_stats_hugetlb(dir, o);
	*out = o;
	return 0;
}

int kcg_oom_count(const struct kcg_host *h, const char *path, uint64_t *count, kerr *e)
{
	char dir[PATH_MAX];
	int v2;
	if (pick(h, path, "memory", "memory.events", dir, sizeof(dir), &v2) < 0)
		return kerr_set(e, ENOENT, "oom count of %s: no memory cgroup", path);
	const char *file = v2 ? "memory.events" : "memory.oom_control";
	if (kcg_read_keyed(dir, file, "oom_kill", count) < 0)
		return kerr_msg(e, ENOTSUP, "oom count of %s: no \"oom_kill\" counter in %s/%s", path, dir, file);
	return 0;
}
