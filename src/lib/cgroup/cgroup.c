#include "cgroup.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Field N (0-based) of a space-separated mountinfo line, in place. */
static char *field(char *line, int n)
{
	char *p = line;
	for (int i = 0; i < n && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p;
}

int kcg_host_detect(struct kcg_host *h, kerr *e)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int v1 = 0;

	memset(h, 0, sizeof(*h));
	h->unified = -1;
	if (!f)
		return kerr_errno(e, "open /proc/self/mountinfo");
	while (fgets(line, sizeof(line), f)) {
		char *mnt = field(line, 4);
		char *sep = strstr(line, " - ");
		if (!mnt || !sep)
			continue;
		char *fstype = sep + 3;
		char *src = strchr(fstype, ' ');
		if (!src)
			continue;
		*src++ = '\0';
		int is_v2 = !strcmp(fstype, "cgroup2");
		if (!is_v2 && strcmp(fstype, "cgroup"))
			continue;
		char *end = strchr(mnt, ' ');
		if (end)
			*end = '\0';
		if (h->n >= KCG_MAX_HIER)
			break;
		/* skip second mounts of the same hierarchy elsewhere (e.g. /tmp/cg-hugetlb) */
		if (strncmp(mnt, "/sys/fs/cgroup", 14))
			continue;
		struct kcg_hier *hh = &h->hier[h->n];
		snprintf(hh->mount, sizeof(hh->mount), "%s", mnt);
		hh->v2 = is_v2;
		if (!is_v2) {
			/* super options: "rw,memory" or "rw,name=systemd" */
			char *opts = strchr(src, ' ');
			opts = opts ? opts + 1 : src;
			char *nl = strchr(opts, '\n');
			if (nl)
				*nl = '\0';
			char out[128] = "";
			char *save = NULL;
			for (char *t = strtok_r(opts, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				if (!strcmp(t, "rw") || !strcmp(t, "ro") || !strncmp(t, "release_agent", 13) ||
				    !strcmp(t, "noprefix") || !strcmp(t, "clone_children") || !strcmp(t, "xattr") ||
				    !strcmp(t, "cpuset_v2_mode"))
					continue;
				size_t l = strlen(out);
				snprintf(out + l, sizeof(out) - l, "%s%s", l ? "," : "", t);
			}
			snprintf(hh->controllers, sizeof(hh->controllers), "%s", out);
			v1++;
		} else {
			h->unified = h->n;
		}
		h->n++;
	}
	if (h->n == 0)
		return kerr_set(e, ENOENT, "no cgroup filesystem is mounted under /sys/fs/cgroup");
	h->layout = v1 == 0 ? KCG_V2 : h->unified >= 0 ? KCG_HYBRID : KCG_V1;
	return 0;
}

int kcg_find(const struct kcg_host *h, const char *controller)
{
	size_t n = strlen(controller);
	for (int i = 0; i < h->n; i++) {
		const char *c = h->hier[i].controllers;
		while (c && *c) {
			if (!strncmp(c, controller, n) && (c[n] == ',' || c[n] == '\0'))
				return i;
			c = strchr(c, ',');
			if (c)
				c++;
		}
	}
	return -1;
}

int kcg_resolve_path(const char *cp, const char *id, char *out, size_t n, kerr *e)
{
	int r;
	if (!cp || !*cp) {
		r = snprintf(out, n, "/kapsel/%s", id);
	} else if (cp[0] == '/') {
		r = snprintf(out, n, "%s", cp);
	} else if (strchr(cp, ':')) {
		/* systemd notation slice:prefix:name, as Docker/Podman/K8s pass it */
		char buf[PATH_MAX];
		snprintf(buf, sizeof(buf), "%s", cp);
		char *prefix = strchr(buf, ':');
		*prefix++ = '\0';
		char *name = strchr(prefix, ':');
		if (!name)
			return kerr_msg(e, EINVAL, "cgroupsPath \"%s\": expected slice:prefix:name", cp);
		*name++ = '\0';
		const char *slice = *buf ? buf : "system.slice";
		/* nested slices: a-b.slice lives in a.slice/a-b.slice */
		char sl[PATH_MAX] = "";
		if (strcmp(slice, "-.slice")) {
			size_t len = strlen(slice), off = 0;
			if (len < 7 || strcmp(slice + len - 6, ".slice"))
				return kerr_msg(e, EINVAL, "cgroupsPath \"%s\": \"%s\" is not a slice", cp, slice);
			for (size_t i = 0; i < len - 6; i++) {
				if (slice[i] == '-') {
					off += snprintf(sl + off, sizeof(sl) - off, "/%.*s.slice", (int)i, slice);
				}
			}
			snprintf(sl + off, sizeof(sl) - off, "/%s", slice);
		}
		if (strstr(name, ".slice"))
			r = snprintf(out, n, "%s/%s", sl, name);
		else
			r = snprintf(out, n, "%s/%s%s%s.scope", sl, prefix, *prefix ? "-" : "", name);
	} else {
		r = snprintf(out, n, "/kapsel/%s", cp);
	}
	if (r < 0 || (size_t)r >= n)
		return kerr_set(e, ENAMETOOLONG, "cgroupsPath");
	if (strstr(out, "/../") || (strlen(out) >= 3 && !strcmp(out + strlen(out) - 3, "/..")))
		return kerr_msg(e, EINVAL, "cgroupsPath \"%s\" must not contain \"..\"", cp);
	return 0;
}

/* v1 cpuset: a new cgroup starts with empty cpus/mems; copy the parent's. */
static int cpuset_inherit(const char *mount, const char *path, kerr *e)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s%s", mount, path);
	for (char *p = dir + strlen(mount) + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = '\0';
			static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
			for (int i = 0; i < 2; i++) {
				char f[PATH_MAX + 16], pf[PATH_MAX + 32], v[4096];
				snprintf(f, sizeof(f), "%s/%s", dir, files[i]);
				_cleanup_close_ int fd = open(f, O_RDWR | O_CLOEXEC);
				if (fd < 0)
					continue;
				ssize_t r = read(fd, v, sizeof(v) - 1);
				if (r > 1)
					continue; /* already set */
				char *slash = strrchr(dir, '/');
				snprintf(pf, sizeof(pf), "%.*s/%s", (int)(slash - dir), dir, files[i]);
				_cleanup_close_ int pfd = open(pf, O_RDONLY | O_CLOEXEC);
				if (pfd < 0)
					continue;
				r = read(pfd, v, sizeof(v) - 1);
				if (r <= 0)
					continue;
				v[r] = '\0';
				if (pwrite(fd, v, r, 0) < 0)
					return kerr_errno(e, "write %s", f);
			}
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

int kcg_create(const struct kcg_host *h, const char *path, kerr *e)
{
	char dir[PATH_MAX];
	for (int i = 0; i < h->n; i++) {
		snprintf(dir, sizeof(dir), "%s%s", h->hier[i].mount, path);
		if (kfs_mkdir_p(dir, 0755, e) < 0)
			return kerr_wrap(e, "create cgroup");
		if (!h->hier[i].v2 && kcg_find(h, "cpuset") == i && cpuset_inherit(h->hier[i].mount, path, e) < 0)
			return -1;
	}
	return 0;
}

int kcg_pids(const struct kcg_host *h, const char *path, pid_t **out, kerr *e)
{
	int idx = kcg_find(h, "pids");
	if (idx < 0)
		idx = kcg_find(h, "freezer");
	if (idx < 0)
		idx = h->unified >= 0 ? h->unified : 0;
	char file[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	snprintf(file, sizeof(file), "%s%s/cgroup.procs", h->hier[idx].mount, path);
	if (kfs_read_file(file, &buf, NULL, e) < 0)
		return -1;
	int n = 0, cap = 16;
	pid_t *v = malloc(cap * sizeof(pid_t));
	if (!v)
		return kerr_set(e, ENOMEM, "pids");
	for (char *p = buf; *p;) {
		char *end;
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (n == cap) {
			pid_t *nv = realloc(v, (cap *= 2) * sizeof(pid_t));
			if (!nv) {
				free(v);
				return kerr_set(e, ENOMEM, "pids");
			}
			v = nv;
		}
		v[n++] = pid;
		p = end;
		while (*p == '\n')
			p++;
	}
	*out = v;
	return n;
}

int kcg_destroy(const struct kcg_host *h, const char *path, kerr *e)
{
	char dir[PATH_MAX];
	for (int i = 0; i < h->n; i++) {
		snprintf(dir, sizeof(dir), "%s%s", h->hier[i].mount, path);
		/* a just-killed task may linger a moment: retry on EBUSY */
		for (int tries = 0; rmdir(dir) < 0; tries++) {
			if (errno == ENOENT)
				break;
			if (errno != EBUSY || tries >= 200)
				return kerr_errno(e, "remove cgroup %s", dir);
			struct timespec ts = { 0, 5 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

int kcg_freeze(const struct kcg_host *h, const char *path, int on, kerr *e)
{
	char file[PATH_MAX];
	int idx = kcg_find(h, "freezer");
	if (idx >= 0) {
		snprintf(file, sizeof(file), "%s%s/freezer.state", h->hier[idx].mount, path);
		if (kfs_write_str(file, on ? "FROZEN" : "THAWED", e) < 0)
			return -1;
		/* v1 freezing is asynchronous: wait until the state says FROZEN */
		for (int i = 0; on && i < 2000; i++) {
			_cleanup_free_ char *buf = NULL;
			if (kfs_read_file(file, &buf, NULL, e) < 0)
				return -1;
			if (!strncmp(buf, "FROZEN", 6))
				return 0;
			if (kfs_write_str(file, "FROZEN", e) < 0)
				return -1;
			struct timespec ts = { 0, 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		return on ? kerr_msg(e, EBUSY, "freeze %s: the cgroup did not freeze", path) : 0;
	}
	if (h->unified >= 0 && h->layout == KCG_V2) {
		snprintf(file, sizeof(file), "%s%s", h->hier[h->unified].mount, path);
		return kcg_v2_freeze(file, on, e);
	}
	return kerr_set(e, ENOTSUP, "no freezer cgroup on this host");
}

/* cgroup.events changes raise POLLPRI on an open fd: wait for "frozen N"
 * there instead of polling the file on a timer. */
int kcg_v2_freeze(const char *dir, int on, kerr *e)
{
	char file[PATH_MAX + 32], want[16];
	snprintf(file, sizeof(file), "%s/cgroup.freeze", dir);
	if (kfs_write_str(file, on ? "1" : "0", e) < 0)
		return -1;
	snprintf(file, sizeof(file), "%s/cgroup.events", dir);
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(e, "open %s", file);
	snprintf(want, sizeof(want), "frozen %d", on);
	_cleanup_(kloop_freep) struct kloop *l = NULL;
	struct kloop_source *timer = NULL;
	int timed_out = 0;
	for (int rounds = 0; rounds < 1000; rounds++) {
		char buf[512];
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			return kerr_errno(e, "read %s", file);
		buf[n] = '\0';
		char *f = strstr(buf, "frozen ");
		if (!f || !strncmp(f, want, strlen(want)))
			return 0; /* no "frozen" key: an old kernel, nothing to wait for */
		if (timer)
			kloop_timer_set(timer, 0, 10 * KLOOP_NSEC_PER_SEC, 0);
		else if (kloop_new(&l, e) < 0 || !kloop_add_io(l, fd, EPOLLPRI, kloop_stop_io, NULL, e) ||
			 !(timer = kloop_add_timer(l, 0, 10 * KLOOP_NSEC_PER_SEC, 0, kloop_stop_timer, &timed_out, e)))
			return -1;
		if (kloop_run(l, e) < 0)
			return -1;
		if (timed_out)
			return kerr_msg(e, ETIMEDOUT, "%s: the cgroup did not %s within 10 s", dir,
					on ? "freeze" : "thaw");
	}
	return kerr_msg(e, EBUSY, "%s: the cgroup did not settle", dir);
}

/* Every process of the cgroup (and below) killed at once; 1 when the
 * kernel has cgroup.kill, 0 when it does not (the caller signals each). */
int kcg_v2_kill(const char *dir, kerr *e)
{
	char file[PATH_MAX + 32];
	snprintf(file, sizeof(file), "%s/cgroup.kill", dir);
	_cleanup_close_ int fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : kerr_errno(e, "open %s", file);
	if (write(fd, "1", 1) != 1)
		return kerr_errno(e, "write %s", file);
	return 1;
}

int kcg_is_frozen(const struct kcg_host *h, const char *path)
{
	char file[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	kerr e;
	int idx = kcg_find(h, "freezer");
	if (idx >= 0) {
		snprintf(file, sizeof(file), "%s%s/freezer.state", h->hier[idx].mount, path);
		if (kfs_read_file(file, &buf, NULL, &e) < 0)
			return -1;
		return !strncmp(buf, "FROZEN", 6) || !strncmp(buf, "FREEZING", 8);
	}
	if (h->layout == KCG_V2) {
		snprintf(file, sizeof(file), "%s%s/cgroup.freeze", h->hier[h->unified].mount, path);
		if (kfs_read_file(file, &buf, NULL, &e) < 0)
			return -1;
		return buf[0] == '1';
	}
	return -1;
}

int kcg_join_open(const struct kcg_host *h, const char *path, struct kcg_join *j, kerr *e)
{
	char file[PATH_MAX + 32];
	memset(j, 0, sizeof(*j));
	j->v2_dir = j->v2_procs = -1;
	for (int i = 0; i < h->n; i++) {
		if (h->hier[i].v2) {
			snprintf(file, sizeof(file), "%s%s", h->hier[i].mount, path);
			j->v2_dir = open(file, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
			snprintf(file, sizeof(file), "%s%s/cgroup.procs", h->hier[i].mount, path);
			j->v2_procs = open(file, O_WRONLY | O_CLOEXEC);
			if (j->v2_dir < 0 || j->v2_procs < 0) {
				kerr_errno(e, "open %s", file);
				kcg_join_close(j);
				return -1;
			}
			continue;
		}
		snprintf(file, sizeof(file), "%s%s/tasks", h->hier[i].mount, path);
		int fd = open(file, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			kerr_errno(e, "open %s", file);
			kcg_join_close(j);
			return -1;
		}
		j->tasks[j->n++] = fd;
	}
	return 0;
}

int kcg_join_self(struct kcg_join *j, int born_in_v2, kerr *e)
{
	for (int i = 0; i < j->n; i++)
		if (write(j->tasks[i], "0", 1) != 1)
			return kerr_errno(e, "join cgroup (tasks)");
	if (!born_in_v2 && j->v2_procs >= 0 && write(j->v2_procs, "0", 1) != 1)
		return kerr_errno(e, "join cgroup (cgroup.procs)");
	return 0;
}

void kcg_join_close(struct kcg_join *j)
{
	for (int i = 0; i < j->n; i++)
		if (j->tasks[i] >= 0)
			close(j->tasks[i]);
	j->n = 0;
	if (j->v2_dir >= 0)
		close(j->v2_dir);
	if (j->v2_procs >= 0)
		close(j->v2_procs);
	j->v2_dir = j->v2_procs = -1;
}
