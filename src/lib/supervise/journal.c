/* The supervisor's events in ROOT/events.log (common/events.h) and what
 * the hints need of the container (common/hints.h).
 *
 * The journal is the engine's: DIR is ROOT/containers/<id>, so events go
 * to ROOT/events.log; a DIR elsewhere (a test's) has no journal.  The name
 * and labels are read from DIR/container.json at each event, so a rename
 * shows in the next one. */
#include "supervise/internal.h"

#include "common/cleanup.h"
#include "common/events.h"
#include "common/fs.h"
#include "common/json.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTRS 64

void ksup_journal_open(struct ksup *s)
{
	char real[PATH_MAX];
	if (!realpath(s->dir, real))
		return;
	char *slash = strrchr(real, '/');
	if (!slash || slash == real)
		return;
	*slash = 0;
	char *parent = strrchr(real, '/');
	if (!parent || strcmp(parent + 1, "containers"))
		return;
	*parent = 0;
	s->events_root = strdup(*real ? real : "/");
}

void ksup_journal_close(struct ksup *s)
{
	free(s->events_root);
	s->events_root = NULL;
}

void ksup_event(struct ksup *s, const char *action, const char *key, const char *value)
{
	if (!s->events_root)
		return;
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ json_object *rec = NULL;
	kerr e;
	if (kfs_read_file("container.json", &buf, NULL, &e) == 0)
		rec = json_tokener_parse(buf);
	const char *name = kj_get_str(rec, "Name");
	if (name && *name == '/')
		name++;
	if (!name)
		name = s->c->name ? s->c->name : "";
	const char *image = s->c->image ? s->c->image : "";
	struct kevent_attr a[MAX_ATTRS];
	size_t n = kevent_container_attrs(kj_get(kj_get(rec, "Config"), "Labels"), image, name, key, value, a,
					  MAX_ATTRS);
	struct kevent ev = { .type = "container",
			     .action = action,
			     .id = s->c->id,
			     .from = image,
			     .attrs = a,
			     .nattrs = n };
	if (kevent_append(s->events_root, &ev, 0, &e) < 0)
		fprintf(stderr, "kapsel-supervise: %s\n", e.msg);
	json_object_put(steal_ptr(rec));
	free(steal_ptr(buf));
	malloc_trim(0); /* the record's tree: give its memory back (RSS) */
}

void ksup_event_int(struct ksup *s, const char *action, const char *key, long long value)
{
	char v[32];
	snprintf(v, sizeof(v), "%lld", value);
	ksup_event(s, action, key, v);
}

/* The uid, the read-only root and the network mode from the bundle's
 * config.json, for the hints. */
static void hint_ctx_load(struct ksup *s)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", s->c->bundle);
	_cleanup_free_ char *buf = NULL;
	kerr e;
	if (kfs_read_file(path, &buf, NULL, &e) < 0)
		return;
	_cleanup_json_ json_object *o = json_tokener_parse(buf);
	if (!o)
		return;
	s->hint_ctx.uid = (unsigned)kj_get_i64(kj_get(kj_get(o, "process"), "user"), "uid", 0);
	s->hint_ctx.read_only = kj_get_bool(kj_get(o, "root"), "readonly");
	json_object *ns = kj_get(kj_get(o, "linux"), "namespaces");
	bool netns = false;
	for (size_t i = 0; ns && json_object_is_type(ns, json_type_array) && i < json_object_array_length(ns); i++)
		netns |= !strcmp(kj_get_str(json_object_array_get_idx(ns, i), "type") ?: "", "network");
	s->hint_ctx.network_host = !netns;
	json_object_put(steal_ptr(o));
	free(steal_ptr(buf));
	malloc_trim(0);
}

void ksup_hint_compute(struct ksup *s)
{
	s->st.hint[0] = 0;
	if (s->st.exit_code == 0)
		return;
	static char tail[KHINT_TAIL];
	if (!s->tail_err.len && !s->tail_out.len)
		return;
	hint_ctx_load(s);
	s->hint_ctx.exit_code = s->st.exit_code;
	const char *h = NULL;
	size_t n = khint_tail_get(&s->tail_err, tail);
	if (n)
		h = khint(tail, n, &s->hint_ctx);
	if (!h && (n = khint_tail_get(&s->tail_out, tail)))
		h = khint(tail, n, &s->hint_ctx);
	if (h)
		snprintf(s->st.hint, sizeof(s->st.hint), "%s", h);
}
