/* The driver-independent half of klogs (logs.h): settings, line assembly
 * as Docker's copier does it, the log file with its rotation. */
#include "logs/logs.h"
#include "logs/internal.h"

#include "common/cleanup.h"
#include "common/loop.h"
#include "common/str.h"
#include "common/units.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const driver_table[] = {
	[KLOGS_JSON_FILE] = "json-file", [KLOGS_K8S_FILE] = "k8s-file", [KLOGS_NONE] = "none",
	[KLOGS_SYSLOG] = "syslog",       [KLOGS_JOURNALD] = "journald", [KLOGS_FLUENTD] = "fluentd",
};
KAPSEL_DEFINE_NAME_TABLE(klogs_driver, enum klogs_driver, driver_table);

static const char *const stream_table[] = {
	[KLOGS_STDOUT] = "stdout",
	[KLOGS_STDERR] = "stderr",
};
KAPSEL_DEFINE_NAME_TABLE(klogs_stream, enum klogs_stream, stream_table);

#define DRIVERS "json-file, k8s-file, none, syslog, journald, fluentd"

static int set_max_file(int64_t *out, const char *what, const char *s, kerr *e)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 1000)
		return kerr_msg(e, EINVAL, "%s: \"%s\" is not a number of files from 1 to 1000", what, s);
	*out = v;
	return 0;
}

static int set_max_size(int64_t *out, const char *what, const char *s, kerr *e)
{
	int64_t v;
	if (kunits_parse_size(what, s, &v, e) < 0)
		return -1;
	if (v == 0 || v < -1)
		return kerr_msg(e, EINVAL, "%s: \"%s\": a size must be positive (or -1 for no rotation)", what, s);
	*out = v;
	return 0;
}

static int set_bool(bool *out, const char *what, const char *s, kerr *e)
{
	if (!strcmp(s, "true") || !strcmp(s, "1"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "0"))
		*out = false;
	else
		return kerr_msg(e, EINVAL, "%s: \"%s\" is not true or false", what, s);
	return 0;
}

/* the receiver a remote driver talks to when no address is given */
static int default_address(struct klogs_config *c, kerr *e)
{
	if (c->driver == KLOGS_SYSLOG)
		return klogs_addr_parse(&c->addr, c->driver, "unixgram:///dev/log", e);
	if (c->driver == KLOGS_JOURNALD)
		return klogs_addr_parse(&c->addr, c->driver, "unixgram:///run/systemd/journal/socket", e);
	if (c->driver == KLOGS_FLUENTD)
		return klogs_addr_parse(&c->addr, c->driver, "tcp://localhost:24224", e);
	return 0;
}

int klogs_config_defaults(struct klogs_config *c, const struct kconf *conf, kerr *e)
{
	static const char *const known[] = { "driver", "max-size",        "max-file",       "compress",
					     "mode",   "max-buffer-size", "cache-disabled", NULL };
	*c = (struct klogs_config){
		.driver = KLOGS_JSON_FILE,
		.max_size = KLOGS_DEFAULT_MAX_SIZE,
		.max_file = KLOGS_DEFAULT_MAX_FILE,
		.compress = true,
		.cache = true,
		.max_buffer_size = KLOGS_DEFAULT_MAX_BUFFER,
		.facility = 3, /* daemon, as Docker */
		.format = KLOGS_RFC5424,
		.retry_wait_ns = 1000000000LL, /* Docker's fluentd-retry-wait 1s */
		.max_retries = INT32_MAX,      /* and fluentd-max-retries */
		.buffer_limit = 1048576,       /* and fluentd-buffer-limit */
	};
	if (!conf)
		return 0;
	if (kconf_check(conf, "logs", known, e) < 0)
		return -1;
	const char *d = kconf_get(conf, "logs", "driver");
	if (d) {
		int v = klogs_driver_from_name(d);
		if (v < 0)
			return kerr_msg(e, EINVAL, "%s: [logs] driver: unknown driver \"%s\" (" DRIVERS ")",
					kconf_path(conf), d);
		c->driver = v;
	}
	char what[PATH_MAX + 32];
	const char *s = kconf_get(conf, "logs", "max-size");
	snprintf(what, sizeof(what), "%s: [logs] max-size", kconf_path(conf));
	if (s && set_max_size(&c->max_size, what, s, e) < 0)
		return -1;
	s = kconf_get(conf, "logs", "max-file");
	snprintf(what, sizeof(what), "%s: [logs] max-file", kconf_path(conf));
	if (s && set_max_file(&c->max_file, what, s, e) < 0)
		return -1;
	s = kconf_get(conf, "logs", "compress");
	snprintf(what, sizeof(what), "%s: [logs] compress", kconf_path(conf));
	if (s && set_bool(&c->compress, what, s, e) < 0)
		return -1;
	s = kconf_get(conf, "logs", "cache-disabled");
	snprintf(what, sizeof(what), "%s: [logs] cache-disabled", kconf_path(conf));
	bool off = false;
	if (s && set_bool(&off, what, s, e) < 0)
		return -1;
	c->cache = !off;
	static const char *const modes[] = { "mode", "max-buffer-size", NULL };
	for (const char *const *k = modes; *k; k++) {
		s = kconf_get(conf, "logs", *k);
		snprintf(what, sizeof(what), "%s: [logs] %s", kconf_path(conf), *k);
		if (s && klogs_remote_option(c, *k, s, what, e) < 0)
			return -1;
	}
	return default_address(c, e);
}

void klogs_config_done(struct klogs_config *c)
{
	free(c->tag);
	free(c->tls_ca);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->name);
	free(c->image);
	free(c->image_id);
	free(c->tls_relay);
	free(c->gzip_helper);
	free(c->x_labels);
	free(c->x_labels_re);
	free(c->x_env);
	free(c->x_env_re);
	for (size_t i = 0; i < 2 * c->nextra; i++)
		free(c->extra[i]);
	free(c->extra);
	c->x_labels = c->x_labels_re = c->x_env = c->x_env_re = NULL;
	c->extra = NULL;
	c->nextra = 0;
	c->tag = c->tls_ca = c->tls_cert = c->tls_key = c->name = c->image = c->image_id = c->tls_relay = NULL;
	c->gzip_helper = NULL;
}

int klogs_config_parse(struct klogs_config *c, json_object *log, const char *file, kerr *e)
{
	struct jctx j = { file, e };
	if (!log || json_object_is_type(log, json_type_null))
		return 0;
	if (!json_object_is_type(log, json_type_object))
		return kj_fail(&j, "log", "expected an object");
	json_object_object_foreach(log, key, val)
	{
		(void)val;
		if (strcmp(key, "driver") && strcmp(key, "opts"))
			return kj_fail(&j, "log", "unknown field \"%s\"", key);
	}
	_cleanup_free_ char *drv = NULL;
	if (kj_string(&j, kj_get(log, "driver"), "log.driver", &drv) < 0)
		return -1;
	if (drv) {
		int v = klogs_driver_from_name(drv);
		if (v < 0)
			return kj_fail(&j, "log.driver", "unknown driver \"%s\" (" DRIVERS ")", drv);
		c->driver = v;
	}
	if (default_address(c, e) < 0)
		return -1;
	json_object *opts = kj_get(log, "opts");
	if (kj_object(&j, opts, "log.opts") < 0)
		return -1;
	if (!opts)
		return 0;
	json_object_object_foreach(opts, k, v)
	{
		char path[128], what[PATH_MAX + 160];
		snprintf(path, sizeof(path), "log.opts.%s", k);
		if (!json_object_is_type(v, json_type_string))
			return kj_fail(&j, path, "expected a string");
		const char *s = json_object_get_string(v);
		snprintf(what, sizeof(what), "%s: %s", file, path);
		if (c->driver == KLOGS_NONE)
			return kj_fail(&j, path, "the none driver takes no options");
		int file_driver = c->driver == KLOGS_JSON_FILE || c->driver == KLOGS_K8S_FILE;
		int r = klogs_remote_option(c, k, s, what, e);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		/* a remote driver's local copy (Docker's dual logging) takes the
		 * file options as cache-max-size, ..., and cache-disabled */
		const char *fk = !file_driver && !strncmp(k, "cache-", 6) ? k + 6 : k;
		bool cache = fk != k, off = !c->cache;
		if (!file_driver && !cache)
			return kj_fail(&j, path, "unknown option for the %s driver", klogs_driver_to_name(c->driver));
		if (!strcmp(fk, "max-size")) {
			if (set_max_size(&c->max_size, what, s, e) < 0)
				return -1;
		} else if (!strcmp(fk, "max-file")) {
			if (set_max_file(&c->max_file, what, s, e) < 0)
				return -1;
		} else if (!strcmp(fk, "compress")) {
			if (set_bool(&c->compress, what, s, e) < 0)
				return -1;
		} else if (cache && !strcmp(fk, "disabled")) {
			if (set_bool(&off, what, s, e) < 0)
				return -1;
			c->cache = !off;
		} else if (cache) {
			return kj_fail(&j, path,
				       "unknown option (cache-disabled, cache-max-size, cache-max-file, cache-compress)");
		} else {
			return kj_fail(&j, path,
				       "unknown option for the %s driver (max-size, max-file, compress, mode, "
				       "max-buffer-size)",
				       klogs_driver_to_name(c->driver));
		}
	}
	return 0;
}

/* ---- the log file ------------------------------------------------------ */

static int file_open(struct klogs *l, kerr *e)
{
	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (l->fd < 0)
		return kerr_errno(e, "open %s", l->path);
	struct stat st;
	if (fstat(l->fd, &st) < 0)
		return kerr_errno(e, "stat %s", l->path);
	l->size = l->whole = st.st_size;
	return 0;
}

/* ---- compression of rotated files (compress=true) ----------------------- */

static int on_gz_done(struct kloop_source *src, const siginfo_t *si, void *data, kerr *e)
{
	(void)si, (void)e;
	struct klogs *l = data;
	kloop_remove(src);
	l->gz_src = NULL;
	l->gz_pid = 0;
	if (l->rotate_due) { /* the rotation that waited, and the reads with it */
		klogs_begin(l);
		if (l->fn && !l->cfg.non_blocking)
			l->fn(l, KLOGS_EV_ROOM, l->data);
	}
	return 0;
}

/* Gzip <path>.1 in a child the loop waits for: kapsel-log-gzip (zlib
 * stays out of the supervisor, whose every page counts).  It writes
 * .1.gz.tmp, syncs it, renames it to .1.gz and only then removes .1: a
 * kill at any point leaves every line in exactly one file (a reader
 * prefers .1 while both are there) but for the .tmp, which klogs_open
 * removes.  Without a loop or helper (or when the fork fails) the file
 * stays as it is, uncompressed and readable. */
static void gz_start(struct klogs *l)
{
	if (!l->loop || !l->cfg.gzip_helper)
		return;
	char src[PATH_MAX + 8], dst[PATH_MAX + 8];
	snprintf(src, sizeof(src), "%s.1", l->path);
	snprintf(dst, sizeof(dst), "%s.1.gz", l->path);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		/* dies with the supervisor: a restarted one finds a consistent state */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		(void)!nice(10);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execl(l->cfg.gzip_helper, l->cfg.gzip_helper, src, dst, (char *)NULL);
		dprintf(2, "exec %s: %s\n", l->cfg.gzip_helper, strerror(errno));
		_exit(127);
	}
	kerr ig;
	l->gz_src = kloop_add_child(l->loop, pid, 0, on_gz_done, l, &ig);
	if (!l->gz_src) { /* cannot watch it: wait here rather than leave a zombie */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return;
	}
	l->gz_pid = pid;
}

/* What a supervisor killed mid-compression left (klogs_open): the .tmp
 * goes; a rotated file present both plain and compressed was compressed
 * whole (the rename comes last but one), so the plain one goes. */
static void gz_recover(struct klogs *l)
{
	char p[PATH_MAX + 40], gz[PATH_MAX + 40];
	for (int64_t i = 1; i <= 1000; i++) {
		snprintf(gz, sizeof(gz), "%s.%" PRId64 ".gz.tmp", l->path, i);
		int had_tmp = unlink(gz) == 0;
		snprintf(gz, sizeof(gz), "%s.%" PRId64 ".gz", l->path, i);
		snprintf(p, sizeof(p), "%s.%" PRId64, l->path, i);
		bool has_gz = access(gz, F_OK) == 0, has_plain = access(p, F_OK) == 0;
		if (has_gz && has_plain)
			unlink(p);
		if (!has_gz && !has_plain && !had_tmp)
			break;
	}
}

/* Docker's order: <path>.N-1 -> .N ... <path> -> .1, then a new <path>;
 * each rotated file may be plain or .gz.  With max-file 1 the full file is
 * replaced by a new one (a reader that has it open still reads it to its
 * end).  With compress the new .1 is then gzipped by a child. */
static void file_rotate(struct klogs *l)
{
	char from[PATH_MAX + 24], to[PATH_MAX + 24];
	if (l->cfg.max_file < 2) {
		unlink(l->path);
	} else {
		static const char *const ext[] = { "", ".gz" };
		for (int x = 0; x < 2; x++) {
			snprintf(to, sizeof(to), "%s.%" PRId64 "%s", l->path, l->cfg.max_file - 1, ext[x]);
			unlink(to);
		}
		for (int64_t i = l->cfg.max_file - 1; i >= 2; i--)
			for (int x = 0; x < 2; x++) {
				snprintf(to, sizeof(to), "%s.%" PRId64 "%s", l->path, i, ext[x]);
				snprintf(from, sizeof(from), "%s.%" PRId64 "%s", l->path, i - 1, ext[x]);
				rename(from, to);
			}
		snprintf(to, sizeof(to), "%s.1", l->path);
		rename(l->path, to);
	}
	close(l->fd);
	kerr ig;
	if (file_open(l, &ig) < 0) { /* what comes is dropped (counted) until room_back opens it */
		l->fd = -1;
		l->size = l->whole = 0;
		klogs_hold(l);
	}
	if (l->cfg.compress && l->cfg.max_file >= 2)
		gz_start(l);
}

void klogs_set_room(struct klogs *l, klogs_room_fn fn, void *data)
{
	l->room_fn = fn;
	l->room_data = data;
}

/* Held: may the file be written again?  Asked once a second at most
 * (FORCE: the timer's tick, which is that second).  A file a rotation
 * could not reopen is opened again here. */
static bool room_back(struct klogs *l, bool force)
{
	uint64_t now = kloop_now();
	if (!force && now - l->held_try_ns < KLOOP_NSEC_PER_SEC)
		return false;
	l->held_try_ns = now;
	/* the caller's own room first (its reserve, made whole again), then
	 * room for a few writes beside it */
	if (l->room_fn && !l->room_fn(l->room_data))
		return false;
	kerr ig;
	if (l->fd < 0 && file_open(l, &ig) < 0)
		return false;
	struct statvfs vfs;
	if (fstatvfs(l->fd, &vfs) == 0 && vfs.f_bavail * vfs.f_frsize < 4 * KLOGS_OUT_MAX)
		return false;
	l->held = l->held_drop = false;
	return true;
}

/* mode=blocking: the reads wait for the room, asked here once a second.
 * The hold may also end elsewhere (a write's own check): the reads are
 * resumed here, at the next tick, either way. */
static int on_held_timer(struct kloop_source *src, uint64_t exp, void *data, kerr *e)
{
	(void)exp, (void)e;
	struct klogs *l = data;
	if (l->held && !room_back(l, true))
		return 0;
	kloop_timer_stop(src);
	if (l->fn)
		l->fn(l, KLOGS_EV_ROOM, l->data);
	return 0;
}

void klogs_hold(struct klogs *l)
{
	if (l->held || !l->path[0]) /* none: no file to hold */
		return;
	l->held = true;
	l->held_try_ns = kloop_now();
	/* a remote driver's local copy never holds the container back */
	if (l->cfg.non_blocking || !l->loop || klogs_is_remote(l->cfg.driver))
		return;
	kerr ig;
	if (!l->held_timer)
		l->held_timer = kloop_add_timer(l->loop, 0, KLOOP_NSEC_PER_SEC, KLOOP_NSEC_PER_SEC, on_held_timer, l, &ig);
	else
		kloop_timer_set(l->held_timer, 0, KLOOP_NSEC_PER_SEC, KLOOP_NSEC_PER_SEC);
	if (!l->held_timer) /* no timer: nothing would end the wait */
		l->held_drop = true;
}

void klogs_new_run(struct klogs *l)
{
	if (l)
		l->held_drop = false; /* a stream that ended while held dropped; the new ones wait again */
}

/* What a file write loses: the container's lines for the file drivers; for
 * a remote driver only its local copy's (the line went out) */
static uint64_t *drop_lines(struct klogs *l)
{
	return klogs_is_remote(l->cfg.driver) ? &l->cache_dropped_lines : &l->dropped_lines;
}

static uint64_t *drop_bytes(struct klogs *l)
{
	return klogs_is_remote(l->cfg.driver) ? &l->cache_dropped_bytes : &l->dropped_bytes;
}

/* Write out the gathered entries.  A failed write drops them all, counted,
 * and the file is cut back to where they began (or to the start of the
 * entry being written, whose rest is dropped too): it ends on a whole
 * line.  A full disk holds the writes (klogs_hold) until there is room. */
static void write_out(struct klogs *l)
{
	size_t off = 0;
	int err = 0;
	if (l->held && !room_back(l, false))
		err = ENOSPC;
	while (!err && l->fd >= 0 && off < l->outlen) {
		ssize_t w = write(l->fd, l->out + off, l->outlen - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w < 0 ? errno : ENOSPC;
			break;
		}
		off += (size_t)w;
	}
	if (off < l->outlen) {
		*drop_lines(l) += l->outlines;
		*drop_bytes(l) += l->outpayload;
		/* back to the last whole entry on disk: the batch may begin with
		 * the rest of an entry whose start an earlier write put there */
		int64_t ondisk = l->size - (int64_t)l->outlen + (int64_t)off, cut = l->whole;
		if (l->in_entry)
			l->skip = true;
		if (l->fd >= 0 && ondisk > cut && ftruncate(l->fd, cut) < 0)
			cut = ondisk; /* a cut-off line stays */
		l->size = l->whole = cut;
		if (err == ENOSPC || err == EDQUOT)
			klogs_hold(l);
		if (l->fn && !klogs_is_remote(l->cfg.driver)) /* the counters reach status.json while it runs */
			l->fn(l, KLOGS_EV_DROPPED, l->data);
	} else {
		l->whole = l->in_entry ? l->entry_start : l->size;
	}
	l->outlen = l->outlines = l->outpayload = 0;
}

void klogs_begin(struct klogs *l)
{
	if (l->cfg.max_size > 0 && l->size >= l->cfg.max_size) {
		if (l->gz_pid) { /* .1 is still being compressed: rotate when it is done */
			l->rotate_due = true;
		} else {
			l->rotate_due = false;
			write_out(l);
			if (l->fd >= 0)
				file_rotate(l);
		}
	}
	l->in_entry = true;
	l->skip = false;
	l->entry_start = l->size;
}

char *klogs_room(struct klogs *l, size_t need)
{
	if (l->outlen + need > KLOGS_OUT_MAX)
		write_out(l);
	return l->out + l->outlen;
}

void klogs_wrote(struct klogs *l, size_t n)
{
	if (l->skip) /* the entry's start is gone: so is the rest */
		return;
	l->outlen += n;
	l->size += (int64_t)n;
}

void klogs_end(struct klogs *l, size_t payload)
{
	l->in_entry = false;
	if (l->skip) {
		l->skip = false;
		*drop_lines(l) += 1;
		*drop_bytes(l) += payload;
		return;
	}
	l->outlines++;
	l->outpayload += payload;
}

/* ---- line assembly ----------------------------------------------------- */

static size_t feed(struct klogs *l, enum klogs_stream s, const char *buf, size_t n);

static void piece(struct klogs *l, enum klogs_stream s, const char *p, size_t n, int partial)
{
	if (l->cfg.driver == KLOGS_JSON_FILE)
		klogs_json_file_write(l, s, p, n, partial);
	else if (l->cfg.driver == KLOGS_K8S_FILE)
		klogs_k8s_file_write(l, s, p, n, partial);
	else if (klogs_is_remote(l->cfg.driver)) {
		klogs_remote_write(l, s, p, n, partial);
		if (l->fd >= 0) /* the local copy */
			klogs_json_file_write(l, s, p, n, partial);
	}
}

/* The lines of one read share its time (Docker stamps each as it splits
 * them, microseconds apart): one clock read and one formatting a read. */
static void stamp(struct klogs *l)
{
	clock_gettime(CLOCK_REALTIME, &l->now);
	l->now_len = ktime_format(l->now_text, sizeof(l->now_text), &l->now, KTIME_NANO_TRIM);
	if (l->now_len < 0)
		l->now_len = 0;
}

size_t klogs_feed(struct klogs *l, enum klogs_stream s, const char *buf, size_t n)
{
	if (l->cfg.driver == KLOGS_NONE)
		return n;
	stamp(l);
	size_t used = feed(l, s, buf, n);
	write_out(l);
	return used;
}

void klogs_settle(struct klogs *l)
{
	if (l->held && !room_back(l, false)) /* a stream's end waits for no disk: the rest is dropped, counted */
		l->held_drop = true;
	if (!l->gz_pid)
		return;
	while (waitpid(l->gz_pid, NULL, 0) < 0 && errno == EINTR)
		;
	kloop_remove(l->gz_src);
	l->gz_src = NULL;
	l->gz_pid = 0;
	if (l->rotate_due)
		klogs_begin(l);
}

static size_t feed(struct klogs *l, enum klogs_stream s, const char *buf, size_t n)
{
	struct klogs_pending *pd = &l->pending[s];
	size_t total = n;
	while (n > 0) {
		if (klogs_file_full(l)) /* a rotation waits for the compression: so does the rest */
			return total - n;
		const char *nl = memchr(buf, '\n', n);
		size_t upto = nl ? (size_t)(nl - buf) : n;
		if (pd->len + upto >= KLOGS_LINE_MAX) {
			/* the piece fills Docker's 16 KiB buffer: out it goes, partial
			 * (a '\n' right after a full buffer still ends a line of its own) */
			size_t take = KLOGS_LINE_MAX - pd->len;
			memcpy(pd->buf + pd->len, buf, take);
			piece(l, s, pd->buf, KLOGS_LINE_MAX, 1);
			pd->len = 0;
			buf += take;
			n -= take;
			continue;
		}
		if (!nl) {
			memcpy(pd->buf + pd->len, buf, n);
			pd->len += n;
			return total;
		}
		if (pd->len) {
			memcpy(pd->buf + pd->len, buf, upto);
			piece(l, s, pd->buf, pd->len + upto, 0);
			pd->len = 0;
		} else {
			piece(l, s, buf, upto, 0);
		}
		buf += upto + 1;
		n -= upto + 1;
	}
	return total;
}

void klogs_flush(struct klogs *l, enum klogs_stream s)
{
	struct klogs_pending *pd = &l->pending[s];
	if (pd->len) {
		stamp(l);
		piece(l, s, pd->buf, pd->len, 1);
		write_out(l);
	}
	pd->len = 0;
}

int klogs_open(struct klogs **out, const struct klogs_config *c, const char *dir, const char *id, kerr *e)
{
	_cleanup_(klogs_closep) struct klogs *l = calloc(1, sizeof(*l));
	if (!l)
		return kerr_set(e, ENOMEM, "logs of %s", id);
	l->cfg = *c;
	l->fd = -1;
	if (klogs_is_remote(c->driver) && klogs_remote_open(l, id, e) < 0)
		return kerr_wrap(e, "logs of %s", id);
	if (c->driver == KLOGS_JSON_FILE || c->driver == KLOGS_K8S_FILE || (klogs_is_remote(c->driver) && c->cache)) {
		const char *suffix = c->driver == KLOGS_K8S_FILE ? "-k8s.log" : "-json.log";
		if (snprintf(l->path, sizeof(l->path), "%s/%s%s", dir, id, suffix) >= (int)sizeof(l->path))
			return kerr_set(e, ENAMETOOLONG, "logs of %s", id);
		if (file_open(l, e) < 0)
			return kerr_wrap(e, "logs of %s", id);
		gz_recover(l);
		l->out = malloc(KLOGS_OUT_MAX);
		if (!l->out)
			return kerr_set(e, ENOMEM, "logs of %s", id);
	}
	*out = steal_ptr(l);
	return 0;
}

void klogs_counters(const struct klogs *l, uint64_t *dropped_lines, uint64_t *dropped_bytes)
{
	*dropped_lines = l ? l->dropped_lines : 0;
	*dropped_bytes = l ? l->dropped_bytes : 0;
}

pid_t klogs_helper_pid(const struct klogs *l)
{
	return l ? l->gz_pid : 0;
}

bool klogs_file_full(const struct klogs *l)
{
	if (l->cfg.non_blocking)
		return false;
	if (klogs_is_remote(l->cfg.driver)) /* its local copy grows meanwhile */
		return false;
	return (l->rotate_due && l->gz_pid) || (l->held && !l->held_drop);
}

const char *klogs_path(const struct klogs *l)
{
	return l->path;
}

struct klogs *klogs_close(struct klogs *l)
{
	if (!l)
		return NULL;
	if (l->r)
		klogs_remote_close(l);
	if (l->gz_pid) { /* the compression finishes (the files stay consistent either way) */
		while (waitpid(l->gz_pid, NULL, 0) < 0 && errno == EINTR)
			;
		kloop_remove(l->gz_src);
	}
	if (l->held_timer)
		kloop_remove(l->held_timer);
	if (l->fd >= 0)
		close(l->fd);
	free(l->out);
	free(l);
	return NULL;
}
