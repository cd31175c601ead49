/* events: the container's resource usage every interval, and the OOM
 * killer's work as it happens, until the container stops.
 *
 * Everything is an event the loop sleeps on: a timerfd for the interval, the
 * init's pidfd for the end, and for OOM kills the memory cgroup's own
 * notification (v1: an eventfd registered for memory.oom_control through
 * cgroup.event_control; v2: inotify on memory.events).  The kernel notifies
 * v1 listeners before the OOM killer has picked its victim, so after a
 * notification the kill counter is read again a few times until it moved. */
#include "container.h"

#include "cgroup/cgroup.h"
#include "cgroup/resources.h"
#include "cgroup/stats.h"
#include "common/cleanup.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* After an OOM notification: re-read the counter every RECHECK_MS, at most
 * RECHECKS times. */
#define RECHECK_MS 10
#define RECHECKS 200

char *kevent_json(const char *type, const char *id, json_object *data)
{
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "id", json_object_new_string(id));
	if (data)
		json_object_object_add(o, "data", json_object_get(data));
	char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
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

int kcontainer_stats(const char *root, const char *id, json_object **out, kerr *e)
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

int kcontainer_events(const char *root, const char *id, int64_t interval_ns, kevent_fn emit, void *ctx, kerr *e)
{
	struct kstate st;
	struct kcg_host h;
	uint64_t last = 0, now;
	int rc = -1, pending = 0;

	if (interval_ns <= 0)
		return kerr_msg(e, EINVAL, "events: the interval must be greater than 0");
	if (load_live(root, id, &st, e) < 0)
		return -1;
	_cleanup_close_ int pfd = syscall(SYS_pidfd_open, st.pid, 0);
	_cleanup_close_ int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	_cleanup_close_ int ofd = -1;
	if (pfd < 0 || !kstate_alive(&st)) {
		kstate_free(&st);
		return kerr_msg(e, ESRCH, "container \"%s\" is not running", id);
	}
	if (tfd < 0) {
		kerr_errno(e, "events: timerfd");
		goto out;
	}
	struct itimerspec its = {
		.it_interval = { interval_ns / 1000000000, interval_ns % 1000000000 },
		.it_value = { interval_ns / 1000000000, interval_ns % 1000000000 },
	};
	if (timerfd_settime(tfd, 0, &its, NULL) < 0) {
		kerr_errno(e, "events: timerfd");
		goto out;
	}
	if (kcg_host_detect(&h, e) < 0)
		goto out;
	int have_count = kcg_oom_count(&h, st.cgroup_path, &last, e) == 0;
	if (!have_count)
		klog_debug("events %s: %s: no OOM events", id, e->msg);
	kerr_clear(e);
	if (have_count) {
		ofd = oom_watch(&h, st.cgroup_path);
		if (ofd < 0)
			klog_debug("events %s: no OOM notification from the kernel: checking every interval", id);
	}

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = pfd, .events = POLLIN },
			{ .fd = tfd, .events = POLLIN },
			{ .fd = ofd, .events = POLLIN },
		};
		int r = poll(p, 3, pending > 0 ? RECHECK_MS : -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			kerr_errno(e, "events: poll");
			goto out;
		}
		int exited = p[0].revents != 0;
		int tick = p[1].revents & POLLIN;
		int check = exited || pending > 0 || (tick && ofd < 0);
		if (p[2].revents & POLLIN) {
			char buf[4096];
			while (read(ofd, buf, sizeof(buf)) > 0)
				;
			pending = RECHECKS;
			check = 1;
		}
		if (check && have_count && kcg_oom_count(&h, st.cgroup_path, &now, e) == 0) {
			if (now > last) {
				last = now;
				pending = 0;
				if (emit_event("oom", id, NULL, emit, ctx, e) < 0)
					goto out;
			} else if (pending > 0) {
				pending--;
			}
		} else if (pending > 0) {
			pending--;
		}
		kerr_clear(e);
		if (exited)
			break;
		if (tick) {
			uint64_t ticks;
			json_object *stats = NULL;
			if (read(tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN) {
				kerr_errno(e, "events: timerfd");
				goto out;
			}
			if (kcg_stats(&h, st.cgroup_path, &stats, e) < 0) {
				if (!kstate_alive(&st))
					break; /* deleted under us */
				klog_warn("events %s: %s", id, e->msg);
				kerr_clear(e);
				continue;
			}
			r = emit_event("stats", id, stats, emit, ctx, e);
			json_object_put(stats);
			if (r < 0)
				goto out;
		}
	}
	rc = 0;
out:
	kstate_free(&st);
	return rc;
}
