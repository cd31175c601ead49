/* Reading json-file and k8s-file logs back (read.h): the files in order,
 * each line parsed, pieces put back together, since/until/tail, follow.
 *
 * json-file lines are parsed by hand rather than through json-c: a flat
 * object of a few strings, read at disk speed for a whole log, with any
 * other field skipped (Docker's "attrs" kept for --details). */
#include "logs/read.h"

#include "common/cleanup.h"
#include "common/loop.h"
#include "common/time.h"
#include "common/units.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define BLOCK (256 * 1024)
#define LINE_CAP (8 * 1024 * 1024) /* a longer line is corrupt */
#define MAX_ROTATED 10000
#define MAX_ATTRS 64
/* a follow this many rotated files behind reads the newest of them only
 * (each is an open fd while they are read) */
#define FOLLOW_BEHIND 256

/* ---- growing buffers ----------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_reserve(struct buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int buf_add(struct buf *b, const void *s, size_t n)
{
	if (buf_reserve(b, n + 1) < 0)
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

static void buf_done(struct buf *b)
{
	free(b->p);
	*b = (struct buf){ 0 };
}

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	return a->tv_nsec < b->tv_nsec ? -1 : a->tv_nsec > b->tv_nsec;
}

/* ---- the reader ---------------------------------------------------------- */

struct piece {
	struct timespec t;
	enum klogs_stream s;
	bool partial;
	const char *text;
	size_t len;
	const char *attrs;
};

struct assembly {
	bool open;
	struct timespec t;
	struct buf b;
	char *attrs;
};

/* the seconds of the last time parsed */
struct tcache {
	char prefix[19]; /* 2026-12-02T10:00:01 */
	time_t sec;
	bool ok;
};

struct rd {
	const struct klogs_read_opts *o;
	struct klogs_read_counts *n;
	kerr *e;
	char base[PATH_MAX];
	struct buf dec, key, val, attrs; /* json-file parsing */
	struct assembly as[_KLOGS_STREAM_MAX];
	struct tcache tc;
	bool past_until;
	/* the time of the last entry read: a follow tells a rotated file it
	 * read already (compressed since, under another inode) by it */
	struct timespec seen;
	bool have_seen;
};

/* ---- json-file lines ---------------------------------------------------- */

struct jp {
	const char *p, *end;
};

static void jws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + (unsigned)d;
	}
	*out = v;
	return 0;
}

static int put_utf8(struct buf *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_add(b, u, n);
}

/* A JSON string at J into OUT (unescaped; NULL: skipped). */
static int jstring(struct jp *j, struct buf *out)
{
	if (j->p >= j->end || *j->p != '"')
		return -1;
	j->p++;
	if (out)
		out->len = 0;
	/* runs between escapes copied at once: memchr finds the quote and
	 * the backslashes (the quote found stays valid until an escape
	 * swallows it) */
	const char *q = memchr(j->p, '"', (size_t)(j->end - j->p));
	for (;;) {
		if (!q)
			return -1;
		const char *s = j->p, *bs = memchr(s, '\\', (size_t)(q - s));
		j->p = bs ? bs : q;
		if (out && buf_add(out, s, (size_t)(j->p - s)) < 0)
			return -1;
		if (*j->p++ == '"')
			break;
		if (j->p >= j->end)
			return -1;
		if (j->p == q) /* an escaped quote: the closing one is further */
			q = j->p + 1 < j->end ? memchr(j->p + 1, '"', (size_t)(j->end - j->p - 1)) : NULL;
		char c = *j->p++, lit;
		switch (c) {
		case '"':
		case '\\':
		case '/': lit = c; break;
		case 'b': lit = '\b'; break;
		case 'f': lit = '\f'; break;
		case 'n': lit = '\n'; break;
		case 'r': lit = '\r'; break;
		case 't': lit = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (j->end - j->p < 4 || hex4(j->p, &cp) < 0)
				return -1;
			j->p += 4;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u' &&
				    hex4(j->p + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					j->p += 6;
				} else {
					cp = 0xfffd;
				}
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				cp = 0xfffd;
			}
			if (out && put_utf8(out, cp) < 0)
				return -1;
			continue;
		}
		default: return -1;
		}
		if (out && buf_add(out, &lit, 1) < 0)
			return -1;
	}
	if (out && buf_reserve(out, 1) == 0)
		out->p[out->len] = 0;
	return 0;
}

static int jskip(struct jp *j, int depth)
{
	jws(j);
	if (j->p >= j->end)
		return -1;
	char c = *j->p;
	if (c == '"')
		return jstring(j, NULL);
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';
		if (depth > 32)
			return -1;
		j->p++;
		jws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return 0;
		}
		for (;;) {
			if (c == '{') {
				jws(j);
				if (jstring(j, NULL) < 0)
					return -1;
				jws(j);
				if (j->p >= j->end || *j->p++ != ':')
					return -1;
			}
			if (jskip(j, depth + 1) < 0)
				return -1;
			jws(j);
			if (j->p >= j->end)
				return -1;
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p++ == close)
				return 0;
			return -1;
		}
	}
	const char *s = j->p;
	while (j->p < j->end && (isalnum((unsigned char)*j->p) || *j->p == '-' || *j->p == '+' || *j->p == '.'))
		j->p++;
	return j->p > s ? 0 : -1;
}

/* Go's url.QueryEscape, as Docker's --details writes the attributes */
static int query_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char t[3];
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			if (buf_add(b, &s[i], 1) < 0)
				return -1;
		} else if (c == ' ') {
			if (buf_add(b, "+", 1) < 0)
				return -1;
		} else {
			t[0] = '%';
			t[1] = hex[c >> 4];
			t[2] = hex[c & 15];
			if (buf_add(b, t, 3) < 0)
				return -1;
		}
	}
	return 0;
}

struct kv {
	char *k, *v;
};

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

/* "attrs": {"k": "v", ...} into R->attrs, sorted by key, as --details shows them */
static int jattrs(struct rd *r, struct jp *j)
{
	struct kv kv[MAX_ATTRS];
	size_t n = 0;
	int rc = -1;
	jws(j);
	if (j->p >= j->end || *j->p != '{')
		return jskip(j, 0);
	j->p++;
	jws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		jws(j);
		if (jstring(j, &r->key) < 0)
			goto out;
		jws(j);
		if (j->p >= j->end || *j->p++ != ':')
			goto out;
		jws(j);
		if (j->p < j->end && *j->p == '"') {
			if (jstring(j, &r->val) < 0)
				goto out;
			if (n < MAX_ATTRS) {
				kv[n].k = strndup(r->key.p ? r->key.p : "", r->key.len);
				kv[n].v = strndup(r->val.p ? r->val.p : "", r->val.len);
				if (!kv[n].k || !kv[n].v) {
					free(kv[n].k);
					free(kv[n].v);
					goto out;
				}
				n++;
			}
		} else if (jskip(j, 1) < 0) {
			goto out;
		}
		jws(j);
		if (j->p >= j->end)
			goto out;
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p++ != '}')
			goto out;
		break;
	}
	qsort(kv, n, sizeof(kv[0]), kv_cmp);
	r->attrs.len = 0;
	for (size_t i = 0; i < n; i++) {
		if ((i && buf_add(&r->attrs, ",", 1) < 0) || query_escape(&r->attrs, kv[i].k, strlen(kv[i].k)) < 0 ||
		    buf_add(&r->attrs, "=", 1) < 0 || query_escape(&r->attrs, kv[i].v, strlen(kv[i].v)) < 0)
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++) {
		free(kv[i].k);
		free(kv[i].v);
	}
	return rc;
}

/* The seconds of the last time parsed: the lines of one second share
 * them, and only the fraction is read (timegm is most of a line's cost). */
static int parse_time(struct tcache *tc, const char *s, size_t n, struct timespec *t)
{
	char tb[64];
	if (n >= 20 && n <= 30 && s[n - 1] == 'Z' && tc->ok && !memcmp(s, tc->prefix, 19)) {
		long ns = 0;
		size_t nd = 0;
		if (n > 20) {
			if (s[19] != '.' || n == 21)
				goto slow;
			for (size_t i = 20; i < n - 1; i++, nd++) {
				if (!isdigit((unsigned char)s[i]))
					goto slow;
				ns = ns * 10 + (s[i] - '0');
			}
			for (; nd < 9; nd++)
				ns *= 10;
		}
		t->tv_sec = tc->sec;
		t->tv_nsec = ns;
		return 0;
	}
slow:
	if (n == 0 || n >= sizeof(tb))
		return -1;
	memcpy(tb, s, n);
	tb[n] = 0;
	if (ktime_parse(tb, t) < 0)
		return -1;
	tc->ok = n >= 20 && s[n - 1] == 'Z';
	if (tc->ok) {
		memcpy(tc->prefix, s, 19);
		tc->sec = t->tv_sec;
	}
	return 0;
}

static int parse_json(struct rd *r, const char *line, size_t n, struct piece *pc)
{
	struct jp j = { line, line + n };
	bool have_log = false, have_stream = false, have_time = false;
	r->attrs.len = 0;
	jws(&j);
	if (j.p >= j.end || *j.p++ != '{')
		return -1;
	for (;;) {
		jws(&j);
		if (jstring(&j, &r->key) < 0)
			return -1;
		jws(&j);
		if (j.p >= j.end || *j.p++ != ':')
			return -1;
		jws(&j);
		const char *k = r->key.p ? r->key.p : "";
		if (r->key.len == 3 && !memcmp(k, "log", 3)) {
			if (jstring(&j, &r->dec) < 0)
				return -1;
			have_log = true;
		} else if (r->key.len == 6 && !memcmp(k, "stream", 6)) {
			if (jstring(&j, &r->val) < 0)
				return -1;
			if (r->val.len == 6 && !memcmp(r->val.p, "stdout", 6))
				pc->s = KLOGS_STDOUT;
			else if (r->val.len == 6 && !memcmp(r->val.p, "stderr", 6))
				pc->s = KLOGS_STDERR;
			else
				return -1;
			have_stream = true;
		} else if (r->key.len == 4 && !memcmp(k, "time", 4)) {
			if (jstring(&j, &r->val) < 0 || parse_time(&r->tc, r->val.p, r->val.len, &pc->t) < 0)
				return -1;
			have_time = true;
		} else if (r->key.len == 5 && !memcmp(k, "attrs", 5)) {
			if (jattrs(r, &j) < 0)
				return -1;
		} else if (jskip(&j, 1) < 0) {
			return -1;
		}
		jws(&j);
		if (j.p >= j.end)
			return -1;
		if (*j.p == ',') {
			j.p++;
			continue;
		}
		if (*j.p++ != '}')
			return -1;
		break;
	}
	jws(&j);
	if (j.p != j.end || !have_log || !have_stream || !have_time)
		return -1;
	pc->text = r->dec.p ? r->dec.p : "";
	pc->len = r->dec.len;
	pc->partial = !(pc->len && pc->text[pc->len - 1] == '\n');
	if (!pc->partial)
		pc->len--;
	pc->attrs = r->attrs.len ? r->attrs.p : "";
	return 0;
}

/* ---- k8s-file (CRI) lines: TIME STREAM F|P[:more] TEXT ------------------ */

static int parse_cri(struct rd *r, const char *line, size_t n, struct piece *pc)
{
	const char *end = line + n, *sp = memchr(line, ' ', n);
	if (!sp || parse_time(&r->tc, line, (size_t)(sp - line), &pc->t) < 0)
		return -1;
	const char *s = sp + 1;
	if (end - s >= 7 && !memcmp(s, "stdout ", 7))
		pc->s = KLOGS_STDOUT;
	else if (end - s >= 7 && !memcmp(s, "stderr ", 7))
		pc->s = KLOGS_STDERR;
	else
		return -1;
	s += 7;
	const char *tag = s;
	while (s < end && *s != ' ')
		s++;
	if (s == tag || (tag[0] != 'F' && tag[0] != 'P') || (s - tag > 1 && tag[1] != ':'))
		return -1;
	pc->partial = tag[0] == 'P';
	if (s < end)
		s++;
	pc->text = s;
	pc->len = (size_t)(end - s);
	pc->attrs = "";
	return 0;
}

static int parse_line(struct rd *r, const char *line, size_t n, struct piece *pc)
{
	return r->o->driver == KLOGS_K8S_FILE ? parse_cri(r, line, n, pc) : parse_json(r, line, n, pc);
}

/* ---- entries ------------------------------------------------------------- */

static int emit(struct rd *r, const struct timespec *t, enum klogs_stream s, const char *text, size_t len, bool partial,
		const char *attrs)
{
	if (r->o->since && ts_cmp(t, r->o->since) < 0)
		return 0;
	if (r->o->until && ts_cmp(t, r->o->until) > 0) {
		r->past_until = true;
		return 0;
	}
	struct klogs_entry en = { *t, s, text, len, partial, attrs ? attrs : "" };
	r->n->entries++;
	return r->o->fn(&en, r->o->data, r->e);
}

static int deliver(struct rd *r, const struct piece *pc)
{
	r->seen = pc->t;
	r->have_seen = true;
	struct assembly *a = &r->as[pc->s];
	if (!a->open && !pc->partial)
		return emit(r, &pc->t, pc->s, pc->text, pc->len, false, pc->attrs);
	if (!a->open) {
		a->open = true;
		a->t = pc->t;
		a->b.len = 0;
		free(a->attrs);
		if (!(a->attrs = strdup(pc->attrs)))
			return kerr_set(r->e, ENOMEM, "logs");
	}
	const char *p = pc->text;
	size_t n = pc->len;
	while (a->b.len + n > KLOGS_ENTRY_MAX) {
		size_t k = KLOGS_ENTRY_MAX - a->b.len;
		if (buf_add(&a->b, p, k) < 0)
			return kerr_set(r->e, ENOMEM, "logs");
		p += k;
		n -= k;
		if (emit(r, &a->t, pc->s, a->b.p, a->b.len, true, a->attrs) < 0)
			return -1;
		a->b.len = 0;
		a->t = pc->t;
	}
	if (buf_add(&a->b, p, n) < 0)
		return kerr_set(r->e, ENOMEM, "logs");
	if (pc->partial)
		return 0;
	a->open = false;
	return emit(r, &a->t, pc->s, a->b.p, a->b.len, false, a->attrs);
}

/* What is still being put together is handed out as it is (the stream
 * ended mid-line), oldest first. */
static int flush_assemblies(struct rd *r)
{
	for (;;) {
		struct assembly *first = NULL;
		for (int s = 0; s < _KLOGS_STREAM_MAX; s++)
			if (r->as[s].open && (!first || ts_cmp(&r->as[s].t, &first->t) < 0))
				first = &r->as[s];
		if (!first)
			return 0;
		first->open = false;
		if (emit(r, &first->t, (enum klogs_stream)(first - r->as), first->b.p ? first->b.p : "", first->b.len,
			 true, first->attrs) < 0)
			return -1;
	}
}

/* ---- files --------------------------------------------------------------- */

struct lfile {
	int fd;
	bool gz;
	off_t size;
	dev_t dev;
	ino_t ino;
};

static void lfile_close(struct lfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static int lfile_open(struct rd *r, const char *path, bool gz, struct lfile *f)
{
	struct stat st;
	*f = (struct lfile){ .fd = -1, .gz = gz };
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK); /* a FIFO planted there does not block */
	if (f->fd < 0)
		return errno == ENOENT ? 0 : kerr_errno(r->e, "open %s", path);
	if (fstat(f->fd, &st) < 0) {
		kerr_errno(r->e, "stat %s", path);
		lfile_close(f);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		lfile_close(f);
		return kerr_msg(r->e, EINVAL, "%s: not a regular file", path);
	}
	f->size = st.st_size;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return 1;
}

/* The rotated file K (K >= 1), plain or compressed: 1 when opened. */
static int rotated_open(struct rd *r, int64_t k, struct lfile *f)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s.%" PRId64, r->base, k);
	int rc = lfile_open(r, path, false, f);
	if (rc != 0)
		return rc;
	snprintf(path, sizeof(path), "%s.%" PRId64 ".gz", r->base, k);
	return lfile_open(r, path, true, f);
}

/* Every file of the log, newest first: [0] the live one (fd -1 when there
 * is none), then .1, .2 ...  Opened newest first and told apart by inode,
 * so a rotation while they are opened does not show a file twice. */
static int open_all(struct rd *r, struct lfile **out, size_t *nout)
{
	size_t n = 0, cap = 8;
	struct lfile *v = calloc(cap, sizeof(*v));
	if (!v)
		return kerr_set(r->e, ENOMEM, "logs");
	int rc = lfile_open(r, r->base, false, &v[n]);
	if (rc < 0)
		goto fail;
	n = 1;
	/* a rotation going on leaves one name missing for a moment: step over one */
	for (int64_t k = 1, missing = 0; k <= MAX_ROTATED && missing < 2; k++) {
		if (n == cap) {
			struct lfile *nv = realloc(v, 2 * cap * sizeof(*v));
			if (!nv) {
				rc = kerr_set(r->e, ENOMEM, "logs");
				goto fail;
			}
			v = nv;
			cap *= 2;
		}
		if ((rc = rotated_open(r, k, &v[n])) < 0)
			goto fail;
		missing = rc == 0 ? missing + 1 : 0;
		if (rc == 0)
			continue;
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup |= v[i].fd >= 0 && v[i].dev == v[n].dev && v[i].ino == v[n].ino;
		if (dup)
			lfile_close(&v[n]);
		else
			n++;
	}
	*out = v;
	*nout = n;
	return 0;
fail:
	for (size_t i = 0; i <= n && i < cap; i++)
		lfile_close(&v[i]);
	free(v);
	return -1;
}

/* ---- reading forwards ---------------------------------------------------- */

struct fwd {
	int fd;
	gzFile gz;
	off_t off;
	char *buf;
	size_t cap, start, end;
	bool skipping; /* dropping an over-long line up to its '\n' */
};

static int fwd_init(struct rd *r, struct fwd *f, const struct lfile *lf, off_t off)
{
	*f = (struct fwd){ .fd = lf->fd, .off = off };
	if (lf->gz) {
		/* a dup shares the offset: from the start, whatever read it before */
		int fd = dup(lf->fd);
		if (fd >= 0)
			lseek(fd, 0, SEEK_SET);
		if (fd < 0 || !(f->gz = gzdopen(fd, "rb"))) {
			if (fd >= 0)
				close(fd);
			return kerr_set(r->e, errno ? errno : ENOMEM, "open the compressed %s", r->base);
		}
	}
	f->cap = BLOCK;
	if (!(f->buf = malloc(f->cap)))
		return kerr_set(r->e, ENOMEM, "logs");
	return 0;
}

static void fwd_done(struct fwd *f)
{
	if (f->gz)
		gzclose(f->gz);
	free(f->buf);
	*f = (struct fwd){ .fd = -1 };
}

/* 1 with the next line (without '\n'), 0 at the end of what is there
 * (an unfinished line stays for later), -1 on a read error. */
static int fwd_line(struct rd *r, struct fwd *f, const char **line, size_t *len)
{
	for (;;) {
		char *nl = f->end > f->start ? memchr(f->buf + f->start, '\n', f->end - f->start) : NULL;
		if (nl) {
			*line = f->buf + f->start;
			*len = (size_t)(nl - *line);
			f->start = (size_t)(nl - f->buf) + 1;
			if (f->skipping) {
				f->skipping = false;
				continue;
			}
			return 1;
		}
		if (f->skipping)
			f->start = f->end;
		if (f->start > 0) {
			memmove(f->buf, f->buf + f->start, f->end - f->start);
			f->end -= f->start;
			f->start = 0;
		}
		if (f->end == f->cap) {
			if (f->cap >= LINE_CAP) {
				r->n->corrupt++;
				f->skipping = true;
				f->start = f->end = 0;
			} else {
				char *nb = realloc(f->buf, f->cap * 2);
				if (!nb)
					return kerr_set(r->e, ENOMEM, "logs");
				f->buf = nb;
				f->cap *= 2;
			}
		}
		ssize_t k;
		if (f->gz) {
			int g = gzread(f->gz, f->buf + f->end, (unsigned)(f->cap - f->end));
			if (g < 0)
				return kerr_msg(r->e, EIO, "read the compressed %s: %s", r->base, gzerror(f->gz, &g));
			k = g;
		} else {
			k = pread(f->fd, f->buf + f->end, f->cap - f->end, f->off);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return kerr_errno(r->e, "read %s", r->base);
		}
		if (k == 0)
			return 0;
		f->end += (size_t)k;
		f->off += k;
	}
}

static int take(struct rd *r, const char *line, size_t len)
{
	struct piece pc;
	if (parse_line(r, line, len, &pc) < 0) {
		r->n->corrupt++;
		return 0;
	}
	return deliver(r, &pc);
}

/* Read F to its end; FINAL: an unfinished last line is all there will be
 * (a cut write: taken if it parses, else counted corrupt). */
static int read_forward(struct rd *r, struct fwd *f, bool final)
{
	const char *line = NULL;
	size_t len = 0;
	int k = 0;
	while (!r->past_until && (k = fwd_line(r, f, &line, &len)) > 0)
		if (take(r, line, len) < 0)
			return -1;
	if (r->past_until)
		return 0;
	if (k < 0)
		return -1;
	if (final && f->end > f->start && !f->skipping) {
		line = f->buf + f->start;
		len = f->end - f->start;
		f->start = f->end;
		return take(r, line, len);
	}
	return 0;
}

/* ---- reading backwards --------------------------------------------------- */

struct back {
	int fd;
	off_t pos; /* buf holds the file's bytes [pos, pos + len) not handed out yet */
	char *buf;
	size_t len, cap;
};

static int back_init(struct rd *r, struct back *b, const struct lfile *lf, off_t size)
{
	*b = (struct back){ .fd = lf->fd, .pos = size };
	if (!lf->gz)
		return 0;
	/* compressed: the whole file, uncompressed, in memory */
	struct fwd f;
	if (fwd_init(r, &f, lf, 0) < 0)
		return -1;
	struct buf all = { 0 };
	for (;;) {
		int g = gzread(f.gz, f.buf, (unsigned)f.cap);
		if (g < 0) {
			fwd_done(&f);
			buf_done(&all);
			return kerr_msg(r->e, EIO, "read a compressed file of %s", r->base);
		}
		if (g == 0)
			break;
		if (buf_add(&all, f.buf, (size_t)g) < 0) {
			fwd_done(&f);
			buf_done(&all);
			return kerr_set(r->e, ENOMEM, "logs");
		}
	}
	fwd_done(&f);
	b->fd = -1;
	b->pos = 0;
	b->buf = all.p;
	b->len = all.len;
	b->cap = all.cap;
	return 0;
}

/* 1 with the line before the ones handed out (its '\n' dropped; the
 * file's last line may have none), 0 at the file's start. */
static int back_line(struct rd *r, struct back *b, const char **line, size_t *len)
{
	for (;;) {
		if (b->len == 0 && b->pos == 0)
			return 0;
		size_t end = b->len;
		if (end && b->buf[end - 1] == '\n')
			end--;
		char *nl = end ? memrchr(b->buf, '\n', end) : NULL;
		if (nl || b->pos == 0) {
			size_t st = nl ? (size_t)(nl - b->buf) + 1 : 0;
			*line = b->buf + st;
			*len = end - st;
			b->len = st;
			return 1;
		}
		if (b->len >= LINE_CAP) {
			/* no line is that long: the rest of the file is not read */
			r->n->corrupt++;
			b->len = 0;
			b->pos = 0;
			return 0;
		}
		size_t k = b->pos < BLOCK ? (size_t)b->pos : BLOCK;
		if (b->len + k > b->cap) {
			size_t cap = b->cap ? b->cap : BLOCK;
			while (cap < b->len + k)
				cap *= 2;
			char *nb = realloc(b->buf, cap);
			if (!nb)
				return kerr_set(r->e, ENOMEM, "logs");
			b->buf = nb;
			b->cap = cap;
		}
		memmove(b->buf + k, b->buf, b->len);
		for (size_t got = 0; got < k;) {
			ssize_t g = pread(b->fd, b->buf + got, k - got, b->pos - (off_t)k + (off_t)got);
			if (g < 0 && errno == EINTR)
				continue;
			if (g < 0)
				return kerr_errno(r->e, "read %s", r->base);
			if (g == 0) /* the file shrank: what is missing reads as nothing */
				memset(b->buf + got, '\n', k - got), g = (ssize_t)(k - got);
			got += (size_t)g;
		}
		b->pos -= (off_t)k;
		b->len += k;
	}
}

/* The times of a file's first and last entries (0 when it has none). */
static int file_bounds(struct rd *r, const struct lfile *lf, struct timespec *first, struct timespec *last,
		       bool *have_last)
{
	const char *line;
	size_t len;
	struct piece pc;
	int found = 0, k;
	*have_last = false;
	struct fwd f;
	if (fwd_init(r, &f, lf, 0) < 0)
		return -1;
	for (int i = 0; i < 16 && (k = fwd_line(r, &f, &line, &len)) > 0; i++)
		if (parse_line(r, line, len, &pc) == 0) {
			*first = pc.t;
			found = 1;
			break;
		}
	fwd_done(&f);
	if (!found || lf->gz)
		return found;
	struct back b;
	if (back_init(r, &b, lf, lf->size) < 0)
		return -1;
	for (int i = 0; i < 16 && (k = back_line(r, &b, &line, &len)) > 0; i++)
		if (parse_line(r, line, len, &pc) == 0) {
			*last = pc.t;
			*have_last = true;
			break;
		}
	free(b.buf);
	return found;
}

/* Where to start reading a big plain file for --since: a bisection on
 * the times of lines (the writer stamps them in order), ending at the
 * start of a line before since (or 0) within a block of the first line
 * at or after it.  A few reads instead of the whole file. */
static off_t seek_since(struct rd *r, const struct lfile *lf)
{
	off_t lo = 0, hi = lf->size;
	char *blk = malloc(BLOCK);
	if (!blk)
		return 0;
	while (hi - lo > BLOCK) {
		off_t mid = lo + (hi - lo) / 2;
		ssize_t k = pread(lf->fd, blk, BLOCK, mid);
		if (k <= 0)
			break;
		char *p = memchr(blk, '\n', (size_t)k), *end = blk + k;
		struct piece pc;
		bool found = false;
		off_t at = 0;
		while (p && p + 1 < end) {
			char *q = memchr(p + 1, '\n', (size_t)(end - p - 1));
			if (!q)
				break;
			if (parse_line(r, p + 1, (size_t)(q - p - 1), &pc) == 0) {
				found = true;
				at = mid + (p + 1 - blk);
				break;
			}
			p = q;
		}
		if (!found)
			break; /* no line to go by: read from lo */
		if (ts_cmp(&pc.t, r->o->since) < 0)
			lo = at;
		else
			hi = mid;
	}
	free(blk);
	return lo;
}

/* ---- the whole log, oldest first ---------------------------------------- */

static int read_all(struct rd *r, struct lfile *v, size_t n)
{
	for (size_t i = n; i-- > 0 && !r->past_until;) {
		if (v[i].fd < 0)
			continue;
		if (i > 0 && (r->o->since || r->o->until)) {
			struct timespec first, last;
			bool have_last;
			int k = file_bounds(r, &v[i], &first, &last, &have_last);
			if (k < 0)
				return -1;
			if (k > 0 && r->o->until && ts_cmp(&first, r->o->until) > 0)
				return 0; /* this and every newer file is after until */
			if (k > 0 && have_last && r->o->since && ts_cmp(&last, r->o->since) < 0)
				continue;
		}
		/* a follow reads the live file (it may be mid-write) */
		if (i == 0 && r->o->follow_pid > 0)
			continue;
		struct fwd f;
		off_t start = r->o->since && !v[i].gz && v[i].size > 4 * BLOCK ? seek_since(r, &v[i]) : 0;
		if (fwd_init(r, &f, &v[i], start) < 0)
			return -1;
		int rc = read_forward(r, &f, true);
		fwd_done(&f);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- the last N entries ------------------------------------------------- */

struct kept {
	struct timespec t;
	enum klogs_stream s;
	bool partial;
	char *text, *attrs;
	size_t len;
};

enum { OPEN_NONE, OPEN_YES, OPEN_CLOSED };

/* Walk the files back from the end, keeping the pieces of the last N
 * entries (a full piece starts an entry, seen backwards; the partial
 * pieces before it of the same stream belong to it), then hand them out
 * forwards.  *LIVE_END: where a follow goes on in the live file. */
static int read_tail(struct rd *r, struct lfile *v, size_t n, off_t *live_end)
{
	struct kept *kv = NULL;
	size_t nk = 0, ck = 0;
	int state[_KLOGS_STREAM_MAX] = { OPEN_NONE, OPEN_NONE }, rc = -1;
	int64_t count = 0, want = r->o->tail;
	bool done = want == 0;
	*live_end = v[0].fd >= 0 ? v[0].size : 0;
	for (size_t i = 0; i < n && !done; i++) {
		if (v[i].fd < 0)
			continue;
		struct back b;
		if (back_init(r, &b, &v[i], v[i].size) < 0)
			goto out;
		const char *line;
		size_t len;
		int k;
		bool last = true;
		while (!done && (k = back_line(r, &b, &line, &len)) > 0) {
			/* the live file's unfinished last line: a follow reads it when it is done */
			bool cut = last && i == 0 && !v[i].gz &&
				   (off_t)(line - b.buf) + b.pos + (off_t)len == v[i].size && len > 0;
			if (cut && r->o->follow_pid > 0) {
				char c = 0;
				if (pread(v[i].fd, &c, 1, v[i].size - 1) == 1 && c != '\n') {
					*live_end = v[i].size - (off_t)len;
					last = false;
					continue;
				}
			}
			last = false;
			struct piece pc;
			if (parse_line(r, line, len, &pc) < 0) {
				r->n->corrupt++;
				continue;
			}
			if (r->o->until && ts_cmp(&pc.t, r->o->until) > 0)
				continue;
			if (r->o->since && ts_cmp(&pc.t, r->o->since) < 0) {
				done = true;
				break;
			}
			int *st = &state[pc.s];
			bool keep;
			if (*st == OPEN_CLOSED)
				keep = false;
			else if (*st == OPEN_YES && pc.partial)
				keep = true;
			else if (count == want)
				*st = OPEN_CLOSED, keep = false;
			else
				count++, *st = OPEN_YES, keep = true;
			if (keep) {
				if (nk == ck) {
					size_t nc = ck ? 2 * ck : 64;
					struct kept *nv = realloc(kv, nc * sizeof(*kv));
					if (!nv) {
						free(b.buf);
						kerr_set(r->e, ENOMEM, "logs");
						goto out;
					}
					kv = nv;
					ck = nc;
				}
				struct kept *p = &kv[nk];
				*p =
					(struct kept){ pc.t,  pc.s, pc.partial, malloc(pc.len + 1), strdup(pc.attrs),
						       pc.len };
				if (!p->text || !p->attrs) {
					free(p->text);
					free(p->attrs);
					free(b.buf);
					kerr_set(r->e, ENOMEM, "logs");
					goto out;
				}
				memcpy(p->text, pc.text, pc.len);
				nk++;
			}
			if (count == want && state[KLOGS_STDOUT] != OPEN_YES && state[KLOGS_STDERR] != OPEN_YES)
				done = true;
		}
		free(b.buf);
		if (k < 0)
			goto out;
	}
	for (size_t i = nk; i-- > 0;) {
		struct piece pc = { kv[i].t, kv[i].s, kv[i].partial, kv[i].text, kv[i].len, kv[i].attrs };
		if (deliver(r, &pc) < 0)
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < nk; i++) {
		free(kv[i].text);
		free(kv[i].attrs);
	}
	free(kv);
	return rc;
}

/* ---- following ------------------------------------------------------------ */

struct follow {
	struct rd *r;
	struct lfile live;
	struct fwd f;
	bool have_f;
	/* the newest file read: the scan for newer rotated files stops there
	 * (held open, so that its inode is not reused by a newer file) */
	struct lfile mark;
};

static void set_mark(struct follow *fl, const struct lfile *f)
{
	lfile_close(&fl->mark);
	fl->mark = *f;
	fl->mark.fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
}

/* Our live file was rotated away (or there was none): read the files
 * rotated after the newest one read (the mark), oldest first, and open the
 * new live file into FL.  The mark is .K now (read .K-1 ... .1); when it is
 * gone (max-file 1, or more rotations than files kept), every rotated file
 * is newer.  The writer renames .N-1 to .N first and the
 * live file to .1 last, so one name may be missing while it rotates (the
 * scan steps over one gap, and sees a file twice at worst: told apart by
 * inode); a rotation that ends while we look moves the live file, and the
 * look is done again. */
static int read_rotated_since(struct follow *fl)
{
	struct rd *r = fl->r;
	struct lfile v[FOLLOW_BEHIND], live;
	size_t n = 0;
	int rc = 0;
	for (int attempt = 0;; attempt++) {
		struct stat before;
		bool had = stat(r->base, &before) == 0;
		if (!had && errno != ENOENT)
			return kerr_errno(r->e, "stat %s", r->base);
		n = 0;
		int missing = 0;
		for (int64_t k = 1; k <= MAX_ROTATED && n < FOLLOW_BEHIND && missing < 2; k++) {
			struct lfile f;
			int o = rotated_open(r, k, &f);
			if (o < 0)
				goto fail;
			if (o == 0) {
				missing++;
				continue;
			}
			missing = 0;
			if (fl->mark.fd >= 0 && f.dev == fl->mark.dev && f.ino == fl->mark.ino) {
				lfile_close(&f);
				break;
			}
			/* the mark compressed since (kapsel-log-gzip: another inode),
			 * or older: its first entry is not after the last one read */
			if (r->have_seen) {
				struct timespec first, last;
				bool hl;
				int b = file_bounds(r, &f, &first, &last, &hl);
				if (b < 0) {
					lfile_close(&f);
					goto fail;
				}
				if (b > 0 && ts_cmp(&first, &r->seen) <= 0) {
					lfile_close(&f);
					break;
				}
			}
			bool dup = false;
			for (size_t i = 0; i < n; i++)
				dup |= v[i].dev == f.dev && v[i].ino == f.ino;
			if (dup)
				lfile_close(&f);
			else
				v[n++] = f;
		}
		int o = lfile_open(r, r->base, false, &live);
		if (o < 0)
			goto fail;
		if (attempt < 100 &&
		    (had != (o == 1) || (had && (live.ino != before.st_ino || live.dev != before.st_dev)))) {
			/* the live file moved (or is between rename and create): again */
			lfile_close(&live);
			for (size_t i = 0; i < n; i++)
				lfile_close(&v[i]);
			continue;
		}
		break;
	}
	if (n)
		set_mark(fl, &v[0]);
	for (size_t i = n; i-- > 0;) {
		struct fwd f;
		if (rc == 0 && !r->past_until && (rc = fwd_init(r, &f, &v[i], 0)) == 0) {
			rc = read_forward(r, &f, true);
			fwd_done(&f);
		}
		lfile_close(&v[i]);
	}
	if (fl->have_f)
		fwd_done(&fl->f);
	fl->have_f = false;
	lfile_close(&fl->live);
	fl->live = live;
	if (rc == 0 && live.fd >= 0) {
		if ((rc = fwd_init(r, &fl->f, &fl->live, 0)) == 0)
			fl->have_f = true;
	}
	return rc;
fail:
	for (size_t i = 0; i < n; i++)
		lfile_close(&v[i]);
	return -1;
}

/* Read what is new, through any rotation since the last time. */
static int catch_up(struct follow *fl, bool final)
{
	struct rd *r = fl->r;
	for (int guard = 0; guard < 1000 && !r->past_until; guard++) {
		if (fl->have_f && read_forward(r, &fl->f, false) < 0)
			return -1;
		struct stat st;
		if (stat(r->base, &st) < 0) {
			if (errno == ENOENT) /* between a rotation's rename and its new file */
				break;
			return kerr_errno(r->e, "stat %s", r->base);
		}
		if (fl->have_f && st.st_dev == fl->live.dev && st.st_ino == fl->live.ino)
			break;
		if (fl->have_f) {
			/* rotated: the writer is done with ours; its last bytes, then
			 * the files rotated since, then the new live file */
			if (read_forward(r, &fl->f, true) < 0)
				return -1;
			set_mark(fl, &fl->live);
		}
		/* (with no live file before: what was rotated since the first read) */
		if (read_rotated_since(fl) < 0)
			return -1;
		if (!fl->have_f)
			break;
	}
	if (final && fl->have_f && read_forward(r, &fl->f, true) < 0)
		return -1;
	if (flush_assemblies(r) < 0)
		return -1;
	return final || !r->o->idle ? 0 : r->o->idle(r->o->data, r->e);
}

static int on_inotify(struct kloop_source *s, int fd, uint32_t ev, void *data, kerr *e)
{
	(void)ev;
	(void)e;
	struct follow *fl = data;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (catch_up(fl, false) < 0)
		return -1;
	if (fl->r->past_until)
		kloop_exit(kloop_source_loop(s), 0);
	return 0;
}

static int on_end(struct kloop_source *s, void *data)
{
	if (catch_up(data, true) < 0)
		return -1;
	kloop_exit(kloop_source_loop(s), 0);
	return 0;
}

static int on_holder_exit(struct kloop_source *s, const siginfo_t *si, void *data, kerr *e)
{
	(void)si;
	(void)e;
	return on_end(s, data);
}

static int on_until(struct kloop_source *s, uint64_t n, void *data, kerr *e)
{
	(void)n;
	(void)e;
	return on_end(s, data);
}

static int follow(struct rd *r, struct lfile *v, size_t nv, off_t from)
{
	struct lfile *live = &v[0];
	struct follow fl = { .r = r, .live = *live, .mark = { .fd = -1 } };
	live->fd = -1; /* ours now */
	/* the newest file read (the rotated ones were read before a follow) */
	if (fl.live.fd >= 0)
		set_mark(&fl, &fl.live);
	else if (nv > 1)
		set_mark(&fl, &v[1]);
	int rc = -1;
	_cleanup_close_ int ifd = -1;
	_cleanup_(kloop_freep) struct kloop *l = NULL;
	if (fl.live.fd >= 0) {
		if (fwd_init(r, &fl.f, &fl.live, from) < 0)
			goto out;
		fl.have_f = true;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", r->base);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd < 0) {
		kerr_errno(r->e, "inotify");
		goto out;
	}
	if (inotify_add_watch(ifd, slash ? dir : ".", IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) <
	    0) {
		kerr_errno(r->e, "watch %s", dir);
		goto out;
	}
	if (kloop_new(&l, r->e) < 0 || !kloop_add_io(l, ifd, EPOLLIN, on_inotify, &fl, r->e))
		goto out;
	if (!kloop_add_child(l, r->o->follow_pid, KLOOP_CHILD_WATCH, on_holder_exit, &fl, r->e)) {
		if (r->e->errnum != ESRCH)
			goto out;
		kerr_clear(r->e); /* gone already: what is there is all */
		rc = catch_up(&fl, true);
		goto out;
	}
	if (r->o->until) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		int64_t d = (int64_t)(r->o->until->tv_sec - now.tv_sec) * 1000000000LL +
			    (r->o->until->tv_nsec - now.tv_nsec);
		if (!kloop_add_timer(l, 0, d > 0 ? (uint64_t)d : 1, 0, on_until, &fl, r->e))
			goto out;
	}
	/* the watch is on: what came since the first read */
	if (catch_up(&fl, false) < 0)
		goto out;
	if (r->past_until)
		rc = 0;
	else
		rc = kloop_run(l, r->e);
out:
	if (fl.have_f)
		fwd_done(&fl.f);
	lfile_close(&fl.live);
	lfile_close(&fl.mark);
	return rc < 0 ? -1 : 0;
}

int klogs_read(const char *dir, const char *id, const struct klogs_read_opts *o, struct klogs_read_counts *n, kerr *e)
{
	struct klogs_read_counts ign;
	struct rd r = { .o = o, .n = n ? n : &ign, .e = e };
	*r.n = (struct klogs_read_counts){ 0 };
	if (o->driver != KLOGS_JSON_FILE && o->driver != KLOGS_K8S_FILE)
		return kerr_msg(e, EINVAL, "logs of %s: the %s driver keeps no file to read", id,
				klogs_driver_to_name(o->driver) ?: "unknown");
	const char *suffix = o->driver == KLOGS_JSON_FILE ? "-json.log" : "-k8s.log";
	if (snprintf(r.base, sizeof(r.base), "%s/%s%s", dir, id, suffix) >= (int)sizeof(r.base))
		return kerr_set(e, ENAMETOOLONG, "logs of %s", id);
	struct lfile *v = NULL;
	size_t nv = 0;
	if (open_all(&r, &v, &nv) < 0)
		return kerr_wrap(e, "logs of %s", id);
	for (size_t i = 0; i < nv; i++)
		r.n->files += v[i].fd >= 0;
	off_t live_end = 0;
	int rc = o->tail >= 0 ? read_tail(&r, v, nv, &live_end) : read_all(&r, v, nv);
	if (rc == 0 && o->follow_pid > 0 && !r.past_until) {
		if (o->tail < 0 && o->since && v[0].fd >= 0 && v[0].size > 4 * BLOCK)
			live_end = seek_since(&r, &v[0]);
		rc = follow(&r, v, nv, live_end);
	} else if (rc == 0)
		rc = flush_assemblies(&r);
	for (size_t i = 0; i < nv; i++)
		lfile_close(&v[i]);
	free(v);
	for (int s = 0; s < _KLOGS_STREAM_MAX; s++) {
		buf_done(&r.as[s].b);
		free(r.as[s].attrs);
	}
	buf_done(&r.dec);
	buf_done(&r.key);
	buf_done(&r.val);
	buf_done(&r.attrs);
	return rc < 0 ? kerr_wrap(e, "logs of %.12s", id) : 0;
}

/* ---- --since / --until --------------------------------------------------- */

static int two(const char *p, int *out)
{
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
		return -1;
	*out = (p[0] - '0') * 10 + (p[1] - '0');
	return 0;
}

/* Docker's layouts without a zone, in local time: 2006-01-02,
 * 2006-01-02T15:04, 2006-01-02T15:04:05[.frac] */
static int local_time(const char *s, struct timespec *out)
{
	int Y, M, D, h = 0, m = 0, sec = 0;
	long ns = 0;
	size_t n = strlen(s);
	if (n < 10 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || two(s + 2, &Y) < 0 ||
	    s[4] != '-' || two(s + 5, &M) < 0 || s[7] != '-' || two(s + 8, &D) < 0)
		return -1;
	Y += ((s[0] - '0') * 10 + (s[1] - '0')) * 100;
	const char *p = s + 10;
	if (*p == 'T' || *p == 't') {
		if (two(p + 1, &h) < 0 || p[3] != ':' || two(p + 4, &m) < 0)
			return -1;
		p += 6;
		if (*p == ':') {
			if (two(p + 1, &sec) < 0)
				return -1;
			p += 3;
			if (*p == '.') {
				int nd = 0;
				for (p++; isdigit((unsigned char)*p); p++) {
					if (++nd > 9)
						return -1;
					ns = ns * 10 + (*p - '0');
				}
				if (!nd)
					return -1;
				for (; nd < 9; nd++)
					ns *= 10;
			}
		}
	}
	if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return -1;
	struct tm tm = { .tm_year = Y - 1900,
			 .tm_mon = M - 1,
			 .tm_mday = D,
			 .tm_hour = h,
			 .tm_min = m,
			 .tm_sec = sec,
			 .tm_isdst = -1 };
	time_t t = mktime(&tm);
	if (t == (time_t)-1 && errno == EOVERFLOW)
		return -1;
	out->tv_sec = t;
	out->tv_nsec = ns;
	return 0;
}

int klogs_time_arg(const char *what, const char *s, const struct timespec *now, struct timespec *out, kerr *e)
{
	kerr ig;
	int64_t ns;
	const char *d = s;
	bool neg = false;
	if (*d == '-' || *d == '+')
		neg = *d++ == '-';
	if (*s && strcmp(s, "0") && kunits_parse_duration(what, d, &ns, &ig) == 0) {
		/* Docker: that long before now (a negative one: after) */
		int64_t back = neg ? -ns : ns;
		int64_t t = (int64_t)now->tv_sec * 1000000000LL + now->tv_nsec - back;
		out->tv_sec = (time_t)(t >= 0 ? t / 1000000000LL : -((-t + 999999999LL) / 1000000000LL));
		out->tv_nsec = (long)(t - (int64_t)out->tv_sec * 1000000000LL);
		return 0;
	}
	if (ktime_parse(s, out) == 0 || local_time(s, out) == 0)
		return 0;
	/* unix seconds, an optional fraction of up to 9 digits */
	const char *p = s;
	int64_t sec = 0;
	long frac = 0;
	int nd = 0;
	if (!isdigit((unsigned char)*p))
		goto bad;
	for (; isdigit((unsigned char)*p); p++) {
		if (sec > (INT64_MAX - 9) / 10)
			goto bad;
		sec = sec * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (++nd > 9)
				goto bad;
			frac = frac * 10 + (*p - '0');
		}
		if (!nd)
			goto bad;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	if (*p)
		goto bad;
	out->tv_sec = (time_t)sec;
	out->tv_nsec = frac;
	return 0;
bad:
	return kerr_msg(e, EINVAL,
			"%s: \"%s\" is not a time: RFC 3339 (2026-12-02T13:04:05Z), unix seconds (1764680645.5) or "
			"a duration before now (10m, 1h30m)",
			what, s);
}
