/* events: the container's resource usage every interval, and the OOM
 * killer's work as it happens, until the container stops.
 *
 * Everything is an event the loop (common/loop.h) sleeps on: a timer for
 * the interval, the init's pidfd for the end, and for OOM kills the memory
 * cgroup's own notification (v1: an eventfd registered for memory.oom_control
 * through cgroup.event_control; v2: inotify on memory.events).  The kernel
 * notifies v1 listeners before the OOM killer has picked its victim, so after
 * a notification the kill counter is read again a few times until it moved. */
#include "container.h"

#include "cgroup/cgroup.h"
#include "cgroup/resources.h"
#include "cgroup/stats.h"
#include "common/cleanup.h"
#include "common/json.h"
#include "common/log.h"
#include "common/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

/* After an OOM notification: re-read the counter every RECHECK_MS, at most
 * RECHECKS times. */
#define RECHECK_MS 10
#define RECHECKS 200

char *kevent_json(const char *type, const char *id, json_object *data)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "id", json_object_new_string(id));
	if (data)
		json_object_object_add(o, "data", json_object_get(data));
	return strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* The state of ID, which must have a cgroup and not have stopped. */
static int load_live(const char *root, const char *id, struct kstate *st, kerr *e)
{
	enum kstatus status;
	if (kcontainer_state(root, id, st, &status, e) < 0)
		return -1;
	if (status == KSTATUS_CREATING || !st->cgroup_path) {
		kstate_free(st);
		return kerr_msg(e, EBUSY, "container \"%s\" is still being created", id);
	}
	if (status == KSTATUS_STOPPED) {
		kstate_free(st);
		return kerr_msg(e, ESRCH, "container \"%s\" is not running", id);
	}
	return 0;
}

static int stats_container(const char *root, const char *id, json_object **out, kerr *e)
{
	struct kstate st;
	struct kcg_host h;
	*out = NULL;
	if (load_live(root, id, &st, e) < 0)
		return -1;
	int r = kcg_host_detect(&h, e);
	if (r == 0 && (r = kcg_stats(&h, st.cgroup_path, out, e)) < 0)
		kerr_wrap(e, "stats of container \"%s\"", id);
	kstate_free(&st);
	return r;
}

/* the public call: its error says which container */
int kcontainer_stats(const char *root, const char *id, json_object **out, kerr *e)
{
	int r = stats_container(root, id, out, e);
	if (r < 0)
		kerr_wrap(e, "stats of %s", id);
	return r;
}

int kcontainer_oom_kills(const char *root, const char *id, uint64_t *count, kerr *e)
{
	struct kstate st;
	struct kcg_host h;
	if (kstate_read(root, id, &st, e) < 0)
		return -1;
	int r = -1;
	if (!st.cgroup_path)
		kerr_msg(e, EBUSY, "container \"%s\" is still being created", id);
	else if ((r = kcg_host_detect(&h, e)) == 0)
		r = kcg_oom_count(&h, st.cgroup_path, count, e);
	kstate_free(&st);
	return r;
}

/* An fd that becomes readable when the OOM killer acts in the cgroup, or
 * -1 when the host offers no such notification. */
static int oom_watch(const struct kcg_host *h, const char *path)
{
	char dir[PATH_MAX], file[PATH_MAX + 32], buf[64];
	int idx = kcg_find(h, "memory");
	if (idx >= 0 && !h->hier[idx].v2) {
		snprintf(dir, sizeof(dir), "%s%s", h->hier[idx].mount, path);
		snprintf(file, sizeof(file), "%s/memory.oom_control", dir);
		_cleanup_close_ int ctl = open(file, O_RDONLY | O_CLOEXEC);
		snprintf(file, sizeof(file), "%s/cgroup.event_control", dir);
		_cleanup_close_ int ec = open(file, O_WRONLY | O_CLOEXEC);
		if (ctl < 0 || ec < 0)
			return -1;
		int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (efd < 0)
			return -1;
		int n = snprintf(buf, sizeof(buf), "%d %d", efd, ctl);
		if (write(ec, buf, n) != n) {
			close(efd);
			return -1;
		}
		/* the registration holds its own reference to memory.oom_control */
		return efd;
	}
	if (h->unified < 0)
		return -1;
	snprintf(file, sizeof(file), "%s%s/memory.events", h->hier[h->unified].mount, path);
	if (access(file, F_OK) < 0)
		return -1;
	int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd < 0)
		return -1;
	if (inotify_add_watch(ifd, file, IN_MODIFY) < 0) {
		close(ifd);
		return -1;
	}
	return ifd;
}

static int emit_event(const char *type, const char *id, json_object *data, kevent_fn emit, void *ctx, kerr *e)
{
	char *s = kevent_json(type, id, data);
	if (!s)
		return kerr_set(e, ENOMEM, "events");
	int r = emit(ctx, s);
	free(s);
	if (r < 0)
		return kerr_msg(e, EPIPE, "events of container \"%s\": the output is gone", id);
	return 0;
}

/* kcontainer_events' state, shared by its callbacks. */
struct ev {
	const char *id;
	struct kstate st;
	struct kcg_host h;
	kevent_fn emit;
	void *ctx;
	int have_count, have_notify, pending;
	uint64_t last;
	struct kloop_source *recheck;
};

/* Read the OOM kill counter again; an "oom" event when it moved.  While a
 * notification is pending the re-check timer runs, at most RECHECKS times. */
static int oom_check(struct ev *v, kerr *e)
{
	uint64_t now;
	int r = 0;
	if (v->have_count && kcg_oom_count(&v->h, v->st.cgroup_path, &now, e) == 0 && now > v->last) {
		v->last = now;
		v->pending = 0;
		r = emit_event("oom", v->id, NULL, v->emit, v->ctx, e);
	} else if (v->pending > 0) {
		v->pending--;
	}
	if (!v->pending)
		kloop_timer_stop(v->recheck);
	if (r == 0)
		kerr_clear(e);
	return r;
}

static int on_oom_notify(struct kloop_source *s, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)s;
	(void)revents;
	struct ev *v = data;
	char buf[4096];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	v->pending = RECHECKS;
	kloop_timer_set(v->recheck, 0, RECHECK_MS * KLOOP_NSEC_PER_MSEC, RECHECK_MS * KLOOP_NSEC_PER_MSEC);
	return oom_check(v, e);
}

static int on_recheck(struct kloop_source *s, uint64_t n, void *data, kerr *e)
{
	(void)s;
	(void)n;
	return oom_check(data, e);
}

static int on_exited(struct kloop_source *s, const siginfo_t *si, void *data, kerr *e)
{
	(void)si;
	if (oom_check(data, e) < 0)
		return -1;
	kloop_exit(kloop_source_loop(s), 0);
	return 0;
}

static int on_tick(struct kloop_source *s, uint64_t n, void *data, kerr *e)
{
	(void)n;
	struct ev *v = data;
	_cleanup_json_ json_object *stats = NULL;
	if (!v->have_notify && oom_check(v, e) < 0) /* no notification: check every interval */
		return -1;
	if (kcg_stats(&v->h, v->st.cgroup_path, &stats, e) < 0) {
		if (!kstate_alive(&v->st)) {
			kloop_exit(kloop_source_loop(s), 0); /* deleted under us */
			return 0;
		}
		klog_warn("events %s: %s", v->id, e->msg);
		kerr_clear(e);
		return 0;
	}
	return emit_event("stats", v->id, stats, v->emit, v->ctx, e);
}

static int events_container(const char *root, const char *id, int64_t interval_ns, kevent_fn emit, void *ctx, kerr *e)
{
	struct ev v = { .id = id, .emit = emit, .ctx = ctx };
	_cleanup_(kloop_freep) struct kloop *l = NULL;
	_cleanup_close_ int ofd = -1;
	int rc = -1;

	if (interval_ns <= 0)
		return kerr_msg(e, EINVAL, "events: the interval must be greater than 0");
	if (load_live(root, id, &v.st, e) < 0)
		return -1;
	if (kloop_new(&l, e) < 0)
		goto out;
	kerr ig;
	if (!kloop_add_child(l, v.st.pid, KLOOP_CHILD_WATCH, on_exited, &v, &ig) || !kstate_alive(&v.st)) {
		kerr_msg(e, ESRCH, "container \"%s\" is not running", id);
		goto out;
	}
	if (!kloop_add_timer(l, 0, interval_ns, interval_ns, on_tick, &v, e) ||
	    !(v.recheck = kloop_add_timer(l, 0, 0, 0, on_recheck, &v, e)))
		goto out;
	kloop_timer_stop(v.recheck);
	if (kcg_host_detect(&v.h, e) < 0)
		goto out;
	v.have_count = kcg_oom_count(&v.h, v.st.cgroup_path, &v.last, e) == 0;
	if (!v.have_count)
		klog_debug("events %s: %s: no OOM events", id, e->msg);
	kerr_clear(e);
	if (v.have_count) {
		ofd = oom_watch(&v.h, v.st.cgroup_path);
		if (ofd < 0)
			klog_debug("events %s: no OOM notification from the kernel: checking every interval", id);
		else if (!kloop_add_io(l, ofd, EPOLLIN, on_oom_notify, &v, e))
			goto out;
		v.have_notify = ofd >= 0;
	}
	rc = kloop_run(l, e);
out:
	kstate_free(&v.st);
	return rc;
}

/* the public call: its error says which container */
int kcontainer_events(const char *root, const char *id, int64_t interval_ns, kevent_fn emit, void *ctx, kerr *e)
{
	int r = events_container(root, id, interval_ns, emit, ctx, e);
	if (r < 0)
		kerr_wrap(e, "events of %s", id);
	return r;
}
