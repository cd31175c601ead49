/* OOM kills in the container's memory cgroup: the kernel's "oom_kill"
 * counter (cgroup v2 memory.events, v1 memory.oom_control), watched on the
 * loop (v2: inotify IN_MODIFY of memory.events, which the kernel raises on
 * every change of its counters; v1: an eventfd registered for
 * memory.oom_control through cgroup.event_control), and read once more when
 * the init exited, before the runtime's delete removes the cgroup.  A rise
 * is an "oom" event and status.json's oom_killed. */
#include "supervise/internal.h"

#include "common/cleanup.h"
#include "common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

/* The mount point of the cgroup hierarchy: cgroup2 (V2), else the v1 one
 * whose super options have "memory". */
static int cg_mount(int v2, char *out, size_t n)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");
		if (!dash)
			continue;
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... - FSTYPE SOURCE OPTS (no
		 * sscanf: its machinery alone is pages of RSS in this program) */
		line[strcspn(line, "\n")] = 0;
		*dash = 0;
		char *fld[5] = { 0 }, *save = NULL;
		int nf = 0;
		for (char *t = strtok_r(line, " ", &save); t && nf < 5; t = strtok_r(NULL, " ", &save))
			fld[nf++] = t;
		char *fstype = strtok_r(dash + 3, " ", &save), *src = fstype ? strtok_r(NULL, " ", &save) : NULL;
		char *opts = src ? strtok_r(NULL, " ", &save) : NULL;
		if (nf < 5 || !fstype)
			continue;
		const char *mp = fld[4];
		int ok = v2 ? !strcmp(fstype, "cgroup2") : !strcmp(fstype, "cgroup");
		if (ok && !v2 && !opts)
			ok = 0;
		if (ok && !v2) {
			ok = 0;
			for (char *t = strtok(opts, ","); t && !ok; t = strtok(NULL, ","))
				ok = !strcmp(t, "memory");
		}
		if (ok) {
			snprintf(out, n, "%s", mp);
			return 0;
		}
	}
	return -1;
}

/* DIR of PID's memory cgroup and whether it is v2; -1 when there is none. */
static int cg_dir(pid_t pid, char *out, size_t n, int *v2)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char line[4096], v1path[PATH_MAX] = "", unified[PATH_MAX] = "";
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = 0;
		if (!strcmp(line, "0") && c1[1] == 0) {
			snprintf(unified, sizeof(unified), "%s", c2 + 1);
			continue;
		}
		for (char *t = strtok(c1 + 1, ","); t; t = strtok(NULL, ","))
			if (!strcmp(t, "memory"))
				snprintf(v1path, sizeof(v1path), "%s", c2 + 1);
	}
	char mp[PATH_MAX];
	if (*v1path && cg_mount(0, mp, sizeof(mp)) == 0) {
		*v2 = 0;
		snprintf(out, n, "%s%s", mp, v1path);
		return 0;
	}
	if (*unified && cg_mount(1, mp, sizeof(mp)) == 0) {
		*v2 = 1;
		if (snprintf(out, n, "%s%s/memory.events", mp, unified) >= (int)n || access(out, R_OK) < 0)
			return -1; /* no memory controller there */
		snprintf(out, n, "%s%s", mp, unified);
		return 0;
	}
	return -1;
}

static int read_count(struct ksup *s, uint64_t *out)
{
	_cleanup_free_ char *buf = NULL;
	kerr ig;
	if (!s->oom_file[0] || kfs_read_file(s->oom_file, &buf, NULL, &ig) < 0)
		return -1;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
		if (!strncmp(l, "oom_kill ", 9)) {
			*out = strtoull(l + 9, NULL, 10);
			return 0;
		}
	return -1;
}

void ksup_oom_check(struct ksup *s)
{
	uint64_t n;
	if (read_count(s, &n) < 0 || n <= s->oom_seen)
		return;
	s->oom_seen = n;
	if (!s->st.oom_killed) {
		s->st.oom_killed = true;
		ksup_save(s);
	}
	ksup_event(s, "oom", NULL, NULL);
}

static int on_oom(struct kloop_source *src, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)src, (void)revents, (void)e;
	char buf[4096];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	ksup_oom_check(data);
	return 0;
}

void ksup_oom_stop(struct ksup *s)
{
	kloop_remove(s->oom_src);
	s->oom_src = NULL;
	if (s->oom_fd >= 0)
		close(s->oom_fd);
	s->oom_fd = -1;
}

void ksup_oom_watch(struct ksup *s, pid_t pid)
{
	ksup_oom_stop(s);
	s->oom_file[0] = 0;
	s->oom_seen = 0;
	char dir[PATH_MAX];
	int v2;
	if (cg_dir(pid, dir, sizeof(dir), &v2) < 0) {
		fprintf(stderr, "kapsel-supervise: no memory cgroup for pid %d: OOM kills are not detected\n",
			(int)pid);
		return;
	}
	if (snprintf(s->oom_file, sizeof(s->oom_file), "%s/%s", dir, v2 ? "memory.events" : "memory.oom_control") >=
	    (int)sizeof(s->oom_file)) {
		s->oom_file[0] = 0;
		return;
	}
	uint64_t base;
	if (read_count(s, &base) < 0) {
		fprintf(stderr, "kapsel-supervise: %s: no oom_kill counter: OOM kills are not detected\n", s->oom_file);
		s->oom_file[0] = 0;
		return;
	}
	s->oom_seen = base; /* a cgroup reused by a restart keeps its count */
	kerr e;
	if (v2) {
		s->oom_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (s->oom_fd < 0 || inotify_add_watch(s->oom_fd, s->oom_file, IN_MODIFY) < 0)
			goto fail;
	} else {
		char ctl[PATH_MAX + 32];
		snprintf(ctl, sizeof(ctl), "%s/cgroup.event_control", dir);
		_cleanup_close_ int ofd = open(s->oom_file, O_RDONLY | O_CLOEXEC);
		s->oom_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		char req[64];
		snprintf(req, sizeof(req), "%d %d", s->oom_fd, ofd);
		if (ofd < 0 || s->oom_fd < 0 || kfs_write_str(ctl, req, &e) < 0)
			goto fail;
	}
	if (!(s->oom_src = kloop_add_io(s->loop, s->oom_fd, EPOLLIN, on_oom, s, &e)))
		goto fail;
	return;
fail:
	/* still read at the exit */
	fprintf(stderr, "kapsel-supervise: %s: cannot watch it (%s); OOM kills are seen at the exit only\n",
		s->oom_file, strerror(errno));
	ksup_oom_stop(s);
}
