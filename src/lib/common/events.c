/* The event journal (events.h): the line writer, the appender with its
 * rotation, the filters and Docker's text form. */
#include "events.h"

#include "cleanup.h"
#include "json.h"
#include "loop.h"
#include "jsonw.h"
#include "strv.h"
#include "time.h"
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(KEVENT_LINE_MAX <= PIPE_BUF, "an event line is one atomic append");

static int by_key(const void *a, const void *b)
{
	const struct kevent_attr *x = *(const struct kevent_attr *const *)a, *y = *(const struct kevent_attr *const *)b;
	return strcmp(x->key, y->key);
}

static int build(const struct kevent *ev, const struct kevent_attr **sorted, size_t n, bool drop, int64_t ns, char *buf,
		 kerr *e)
{
	struct jsonw w;
	jsonw_init(&w);
	jsonw_obj_open(&w);
	jsonw_key_str(&w, "status", ev->action);
	jsonw_key_str(&w, "id", ev->id);
	if (ev->from)
		jsonw_key_str(&w, "from", ev->from);
	jsonw_key_str(&w, "Type", ev->type);
	jsonw_key_str(&w, "Action", ev->action);
	jsonw_key(&w, "Actor");
	jsonw_obj_open(&w);
	jsonw_key_str(&w, "ID", ev->id);
	jsonw_key(&w, "Attributes");
	jsonw_obj_open(&w);
	for (size_t i = 0; i < n; i++)
		if (!(drop && sorted[i]->droppable))
			jsonw_key_str(&w, sorted[i]->key, sorted[i]->value ? sorted[i]->value : "");
	jsonw_obj_close(&w);
	jsonw_obj_close(&w);
	jsonw_key_str(&w, "scope", "local");
	jsonw_key_int(&w, "time", ns / 1000000000);
	jsonw_key_int(&w, "timeNano", ns);
	jsonw_obj_close(&w);
	jsonw_raw(&w, "\n");
	int r;
	if (w.oom)
		r = kerr_set(e, ENOMEM, "event %s", ev->action);
	else if (w.len >= KEVENT_LINE_MAX)
		r = kerr_msg(e, E2BIG, "event %s of %s: %zu bytes, more than one line may hold (%d)", ev->action,
			     ev->id, w.len, KEVENT_LINE_MAX - 1);
	else {
		memcpy(buf, w.buf, w.len + 1);
		r = (int)w.len;
	}
	jsonw_free(&w);
	return r;
}

int kevent_line(const struct kevent *ev, char *buf, kerr *e)
{
	if (!ev->type || !ev->action || !ev->id)
		return kerr_msg(e, EINVAL, "event: type, action and id are required");
	const struct kevent_attr *stack[64], **sorted = stack;
	_cleanup_free_ const struct kevent_attr **heap = NULL;
	if (ev->nattrs > 64 && !(sorted = heap = calloc(ev->nattrs, sizeof(*heap))))
		return kerr_set(e, ENOMEM, "event %s", ev->action);
	for (size_t i = 0; i < ev->nattrs; i++)
		sorted[i] = &ev->attrs[i];
	qsort(sorted, ev->nattrs, sizeof(*sorted), by_key);
	struct timespec ts = ev->time;
	if (!ts.tv_sec && !ts.tv_nsec)
		clock_gettime(CLOCK_REALTIME, &ts);
	int64_t ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	int r = build(ev, sorted, ev->nattrs, false, ns, buf, e);
	if (r < 0 && e->errnum == E2BIG)
		r = build(ev, sorted, ev->nattrs, true, ns, buf, e);
	return r;
}

static int open_at(int dfd, const char *name, kerr *e)
{
	int fd = openat(dfd, name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return kerr_errno(e, "open %s", name);
	return fd;
}

int kevent_append(const char *root, const struct kevent *ev, off_t max, kerr *e)
{
	char line[KEVENT_LINE_MAX];
	int n = kevent_line(ev, line, e);
	if (n < 0)
		return -1;
	if (max <= 0)
		max = KEVENT_LOG_MAX;
	_cleanup_close_ int dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return kerr_errno(e, "events: %s", root);
	_cleanup_close_ int lk = openat(dfd, KEVENT_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lk < 0)
		return kerr_errno(e, "events: %s/%s", root, KEVENT_LOCK);
	if (flock(lk, LOCK_SH) < 0)
		return kerr_errno(e, "events: lock %s/%s", root, KEVENT_LOCK);
	_cleanup_close_ int fd = open_at(dfd, KEVENT_LOG, e);
	if (fd < 0)
		return kerr_wrap(e, "events: %s", root);
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size >= max) {
		/* the rotation: alone, and only if nobody did it meanwhile */
		if (flock(lk, LOCK_EX) < 0)
			return kerr_errno(e, "events: lock %s/%s", root, KEVENT_LOCK);
		struct stat now;
		if (fstatat(dfd, KEVENT_LOG, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_ino == st.st_ino &&
		    now.st_size >= max && renameat(dfd, KEVENT_LOG, dfd, KEVENT_LOG_OLD) < 0)
			return kerr_errno(e, "events: rotate %s/%s", root, KEVENT_LOG);
		close(fd);
		if ((fd = open_at(dfd, KEVENT_LOG, e)) < 0)
			return kerr_wrap(e, "events: %s", root);
	}
	ssize_t w;
	while ((w = write(fd, line, (size_t)n)) < 0 && errno == EINTR)
		;
	if (w != n)
		return w < 0 ? kerr_errno(e, "events: write %s/%s", root, KEVENT_LOG)
			     : kerr_msg(e, ENOSPC, "events: short write to %s/%s", root, KEVENT_LOG);
	return 0;
}

/* ---- filters ---- */

int kevent_filter_add(struct kevent_filter *f, const char *expr, kerr *e)
{
	const char *eq = strchr(expr, '=');
	if (!eq || eq == expr || !eq[1])
		return kerr_msg(e, EINVAL, "--filter %s: not KEY=VALUE", expr);
	size_t k = (size_t)(eq - expr);
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "container", offsetof(struct kevent_filter, container) },
		{ "event", offsetof(struct kevent_filter, event) },
		{ "type", offsetof(struct kevent_filter, type) },
		{ "image", offsetof(struct kevent_filter, image) },
		{ "label", offsetof(struct kevent_filter, label) },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i].key) != k || strncmp(expr, keys[i].key, k))
			continue;
		char ***v = (char ***)((char *)f + keys[i].off);
		if (!strcmp(keys[i].key, "type")) {
			static const char *const types[] = { "container", "image", "network", NULL };
			bool ok = false;
			for (const char *const *t = types; *t; t++)
				ok |= !strcmp(*t, eq + 1);
			if (!ok)
				return kerr_msg(e, EINVAL, "--filter %s: the types are container, image and network", expr);
		}
		if (kstrv_add(v, eq + 1) < 0)
			return kerr_set(e, ENOMEM, "--filter");
		return 0;
	}
	return kerr_msg(e, EINVAL, "--filter %s: \"%.*s\" is not one of container, event, type, image, label", expr,
			(int)k, expr);
}

void kevent_filter_done(struct kevent_filter *f)
{
	kstrv_free(f->container);
	kstrv_free(f->event);
	kstrv_free(f->type);
	kstrv_free(f->image);
	kstrv_free(f->label);
	memset(f, 0, sizeof(*f));
}

static bool any(char *const *v, bool (*fn)(const char *want, json_object *ev), json_object *ev)
{
	if (!v)
		return true;
	for (; *v; v++)
		if (fn(*v, ev))
			return true;
	return false;
}

static json_object *attrs(json_object *ev)
{
	return kj_get(kj_get(ev, "Actor"), "Attributes");
}

static bool m_container(const char *want, json_object *ev)
{
	if (strcmp(kj_get_str(ev, "Type") ?: "", "container"))
		return false;
	const char *id = kj_get_str(kj_get(ev, "Actor"), "ID") ?: "";
	const char *name = kj_get_str(attrs(ev), "name") ?: "";
	return !strcmp(name, want) || (*want && !strncmp(id, want, strlen(want)));
}

static bool m_event(const char *want, json_object *ev)
{
	const char *a = kj_get_str(ev, "Action") ?: "";
	const char *colon = strchr(a, ':');
	return !strcmp(a, want) || (colon && strlen(want) == (size_t)(colon - a) && !strncmp(a, want, strlen(want)));
}

static bool m_type(const char *want, json_object *ev)
{
	return !strcmp(kj_get_str(ev, "Type") ?: "", want);
}

/* Docker's matchImage: the actor's ID or its image's name ("image" of a
 * container, "name" of an image), as it is or without its tag */
static bool same_image(const char *a, const char *want)
{
	if (!a)
		return false;
	if (!strcmp(a, want))
		return true;
	if (strchr(a, '@'))
		return false;
	const char *slash = strrchr(a, '/'), *colon = strrchr(slash ? slash : a, ':');
	return colon && strlen(want) == (size_t)(colon - a) && !strncmp(a, want, strlen(want));
}

static bool m_image(const char *want, json_object *ev)
{
	bool image = !strcmp(kj_get_str(ev, "Type") ?: "", "image");
	return same_image(kj_get_str(kj_get(ev, "Actor"), "ID"), want) ||
	       same_image(kj_get_str(attrs(ev), image ? "name" : "image"), want);
}

static bool m_label(const char *want, json_object *ev)
{
	const char *eq = strchr(want, '=');
	if (!eq)
		return kj_get(attrs(ev), want) != NULL;
	char key[512];
	snprintf(key, sizeof(key), "%.*s", (int)(eq - want), want);
	const char *v = kj_get_str(attrs(ev), key);
	return v && !strcmp(v, eq + 1);
}

bool kevent_match(const struct kevent_filter *f, json_object *ev)
{
	return any(f->container, m_container, ev) && any(f->event, m_event, ev) && any(f->type, m_type, ev) &&
	       any(f->image, m_image, ev) && any(f->label, m_label, ev);
}

/* ---- Docker's text ---- */

char *kevent_text(json_object *ev)
{
	int64_t ns = kj_get_i64(ev, "timeNano", kj_get_i64(ev, "time", 0) * 1000000000);
	struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };
	char t[KTIME_BUFSZ];
	if (ktime_format(t, sizeof(t), &ts, KTIME_NANO) < 0)
		snprintf(t, sizeof(t), "%lld", (long long)ns);
	json_object *a = attrs(ev);
	/* the attributes sorted by key, as Docker prints them */
	size_t n = a && json_object_is_type(a, json_type_object) ? (size_t)json_object_object_length(a) : 0;
	_cleanup_free_ const char **keys = calloc(n + 1, sizeof(*keys));
	if (!keys)
		return NULL;
	size_t i = 0;
	if (n) {
		json_object_object_foreach(a, k, v)
		{
			(void)v;
			keys[i++] = k;
		}
	}
	for (size_t x = 1; x < i; x++)
		for (size_t y = x; y > 0 && strcmp(keys[y - 1], keys[y]) > 0; y--) {
			const char *tmp = keys[y];
			keys[y] = keys[y - 1];
			keys[y - 1] = tmp;
		}
	size_t cap = 256;
	for (size_t x = 0; x < i; x++)
		cap += strlen(keys[x]) + strlen(kj_get_str(a, keys[x]) ?: "") + 3;
	cap += strlen(kj_get_str(ev, "Action") ?: "") + strlen(kj_get_str(kj_get(ev, "Actor"), "ID") ?: "") +
	       strlen(kj_get_str(ev, "Type") ?: "");
	char *s = malloc(cap);
	if (!s)
		return NULL;
	int len = snprintf(s, cap, "%s %s %s %s", t, kj_get_str(ev, "Type") ?: "", kj_get_str(ev, "Action") ?: "",
			   kj_get_str(kj_get(ev, "Actor"), "ID") ?: "");
	for (size_t x = 0; x < i; x++)
		len += snprintf(s + len, cap - (size_t)len, "%s%s=%s", x ? ", " : " (", keys[x],
				kj_get_str(a, keys[x]) ?: "");
	if (i)
		snprintf(s + len, cap - (size_t)len, ")");
	return s;
}

int kevent_parse_time(const char *what, const char *s, int64_t now_ns, int64_t *out, kerr *e)
{
	struct timespec ts;
	if (!*s)
		return kerr_msg(e, EINVAL, "%s: empty", what);
	if (ktime_parse(s, &ts) == 0) {
		*out = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		return 0;
	}
	/* Unix seconds, an optional fraction */
	const char *p = s;
	while (isdigit((unsigned char)*p))
		p++;
	if (p != s && (!*p || *p == '.')) {
		int64_t sec = strtoll(s, NULL, 10), frac = 0;
		if (*p == '.') {
			const char *f = ++p;
			int digits = 0;
			while (isdigit((unsigned char)*p) && digits < 9)
				frac = frac * 10 + (*p++ - '0'), digits++;
			if (p == f || *p)
				goto bad;
			for (; digits < 9; digits++)
				frac *= 10;
		}
		*out = sec * 1000000000 + frac;
		return 0;
	}
	int64_t d;
	kerr ig;
	if (kunits_parse_duration(what, s, &d, &ig) == 0) {
		*out = now_ns - d;
		return 0;
	}
bad:
	return kerr_msg(e, EINVAL, "%s %s: not an RFC 3339 time, Unix seconds or a duration (10m)", what, s);
}

/* ---- the reader ---- */

struct kevent_reader {
	struct kloop *loop;
	struct kloop_source *src;
	int ino, fd, dfd;
	ino_t ino_cur; /* of FD */
	char *root;
	kevent_line_fn fn;
	void *data;
	char buf[KEVENT_LINE_MAX * 2];
	size_t len; /* bytes of an incomplete line */
};

/* Every complete line readable on FD now. */
static int read_lines(struct kevent_reader *r, int fd, kerr *e)
{
	for (;;) {
		ssize_t n = read(fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kerr_errno(e, "read %s/%s", r->root, KEVENT_LOG);
		if (n == 0)
			return 0;
		r->len += (size_t)n;
		size_t start = 0;
		for (char *nl; (nl = memchr(r->buf + start, '\n', r->len - start));) {
			size_t l = (size_t)(nl - (r->buf + start));
			*nl = 0;
			if (l && r->fn(r->buf + start, l, r->data, e) < 0)
				return -1;
			start += l + 1;
		}
		memmove(r->buf, r->buf + start, r->len - start);
		r->len -= start;
		if (r->len == sizeof(r->buf)) /* no line is this long: not ours, skip it */
			r->len = 0;
	}
}

/* Read on: the rest of the file we read, and when it was rotated away
 * meanwhile, the file after it (events.log.1 when that is not ours: a
 * second rotation came first), then the new events.log from its start.
 * Idempotent: every inotify event of ROOT about events.log runs it. */
static int sync_files(struct kevent_reader *r, kerr *e)
{
	if (r->fd >= 0 && read_lines(r, r->fd, e) < 0)
		return -1;
	struct stat now;
	if (fstatat(r->dfd, KEVENT_LOG, &now, AT_SYMLINK_NOFOLLOW) < 0)
		return 0; /* none yet, or between a rename and the new file */
	if (r->fd >= 0 && now.st_ino == r->ino_cur)
		return 0;
	if (r->fd >= 0) {
		struct stat old;
		if (fstatat(r->dfd, KEVENT_LOG_OLD, &old, AT_SYMLINK_NOFOLLOW) == 0 && old.st_ino != r->ino_cur) {
			_cleanup_close_ int ofd = openat(r->dfd, KEVENT_LOG_OLD, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			r->len = 0;
			if (ofd >= 0 && read_lines(r, ofd, e) < 0)
				return -1;
		}
		close(r->fd);
	}
	r->len = 0;
	r->fd = openat(r->dfd, KEVENT_LOG, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat sb;
	if (r->fd < 0 || fstat(r->fd, &sb) < 0)
		return 0;
	r->ino_cur = sb.st_ino;
	return read_lines(r, r->fd, e);
}

static int on_inotify(struct kloop_source *src, int fd, uint32_t revents, void *data, kerr *e)
{
	(void)src, (void)revents;
	struct kevent_reader *r = data;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	bool ours = false;
	for (char *p = buf; p < buf + n;) {
		const struct inotify_event *ev = (const struct inotify_event *)p;
		p += sizeof(*ev) + ev->len;
		ours |= ev->len && !strcmp(ev->name, KEVENT_LOG);
	}
	return ours ? sync_files(r, e) : 0;
}

int kevent_reader_open(struct kevent_reader **out, const char *root, struct kloop *l, bool from_start,
		       kevent_line_fn fn, void *data, kerr *e)
{
	struct kevent_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return kerr_set(e, ENOMEM, "events");
	r->ino = r->fd = -1;
	r->loop = l;
	r->fn = fn;
	r->data = data;
	r->root = strdup(root);
	if ((r->dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		kerr_errno(e, "events: %s", root);
		goto fail;
	}
	/* the watch first: nothing appended from now on is missed */
	r->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (r->ino < 0 || inotify_add_watch(r->ino, root, IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO) < 0) {
		kerr_errno(e, "events: inotify on %s", root);
		goto fail;
	}
	if (from_start) {
		_cleanup_close_ int old = openat(r->dfd, KEVENT_LOG_OLD, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (old >= 0 && read_lines(r, old, e) < 0)
			goto fail;
		r->len = 0;
	}
	r->fd = openat(r->dfd, KEVENT_LOG, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (r->fd >= 0) {
		struct stat sb;
		if (fstat(r->fd, &sb) < 0 || (!from_start && lseek(r->fd, 0, SEEK_END) < 0)) {
			kerr_errno(e, "events: %s/%s", root, KEVENT_LOG);
			goto fail;
		}
		r->ino_cur = sb.st_ino;
		if (from_start && read_lines(r, r->fd, e) < 0)
			goto fail;
	}
	if (!(r->src = kloop_add_io(l, r->ino, EPOLLIN, on_inotify, r, e)))
		goto fail;
	*out = r;
	return 0;
fail:
	kevent_reader_free(r);
	return -1;
}

struct kevent_reader *kevent_reader_free(struct kevent_reader *r)
{
	if (!r)
		return NULL;
	kloop_remove(r->src);
	if (r->ino >= 0)
		close(r->ino);
	if (r->fd >= 0)
		close(r->fd);
	if (r->dfd >= 0)
		close(r->dfd);
	free(r->root);
	free(r);
	return NULL;
}

size_t kevent_container_attrs(json_object *labels, const char *image, const char *name, const char *key,
			      const char *value, struct kevent_attr *a, size_t max)
{
	size_t n = 0;
	if (labels && json_object_is_type(labels, json_type_object)) {
		json_object_object_foreach(labels, k, v)
		{
			if (n >= max - 3)
				break;
			if (strcmp(k, "image") && strcmp(k, "name") && (!key || strcmp(k, key)))
				a[n++] = (struct kevent_attr){ k, kj_str(v), true };
		}
	}
	a[n++] = (struct kevent_attr){ "image", image, false };
	a[n++] = (struct kevent_attr){ "name", name, false };
	if (key)
		a[n++] = (struct kevent_attr){ key, value, false };
	return n;
}
