/* The engine's events in ROOT/events.log (common/events.h): create,
 * rename, destroy, and a foreground run's start, oom, die, kill, stop.
 * A detached container's own events are its supervisor's.  An event that
 * cannot be written is not an error of the command: the journal is a
 * record, the container's state is in its directory. */
#include "internal.h"

#include "common/cleanup.h"
#include "common/events.h"
#include "common/json.h"
#include "common/log.h"

#include <stdio.h>
#include <string.h>

#define MAX_ATTRS 64

void keng_event_rec(const struct keng *g, json_object *rec, const char *id, const char *action, const char *key,
		    const char *value)
{
	const char *name = kj_get_str(rec, "Name") ?: "";
	if (*name == '/')
		name++;
	json_object *cfg = kj_get(rec, "Config");
	const char *image = kj_get_str(cfg, "Image") ?: "";
	struct kevent_attr a[MAX_ATTRS];
	size_t n = kevent_container_attrs(kj_get(cfg, "Labels"), image, name, key, value, a, MAX_ATTRS);
	struct kevent ev = { .type = "container", .action = action, .id = id, .from = image, .attrs = a, .nattrs = n };
	kerr e = { 0 };
	if (kevent_append(g->root, &ev, 0, &e) < 0)
		klog_warn("%s", e.msg);
}

void keng_event(const struct keng *g, const char *id, const char *action, const char *key, const char *value)
{
	_cleanup_json_ json_object *rec = NULL;
	kerr e = { 0 };
	if (keng_record(g, id, &rec, &e) < 0) {
		klog_warn("event %s of %.12s: %s", action, id, e.msg);
		return;
	}
	keng_event_rec(g, rec, id, action, key, value);
}

void keng_event_int(const struct keng *g, const char *id, const char *action, const char *key, long long value)
{
	char v[32];
	snprintf(v, sizeof(v), "%lld", value);
	keng_event(g, id, action, key, v);
}
