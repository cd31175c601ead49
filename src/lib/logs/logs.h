/* klogs: the container log drivers the supervisor writes through.
 *
 * Bytes read from the container's stdout and stderr are fed in as they come
 * (klogs_feed); the drivers see whole lines.  Lines are cut as Docker's log
 * copier cuts them: at each '\n' (a full line), or when 16 KiB have piled
 * up without one (a partial piece); what is left when a stream ends is a
 * partial piece too.
 *
 *   json-file  DIR/<id>-json.log, one {"log","stream","time"} object per
 *              piece, byte for byte as Docker writes them (Go's escaping,
 *              "\n" at the end of a full line's text only); rotated at
 *              max-size into <id>-json.log.1 ... .<max-file - 1>; with
 *              compress=true (the default) each rotated file is gzipped
 *              to .N.gz by a child process (never the live file).
 *   k8s-file   DIR/<id>-k8s.log in the CRI format: "TIME STREAM F|P text\n"
 *              (F full line without its '\n', P a partial piece); rotated
 *              the same way.
 *   none       nothing is written.
 *   syslog     one message a piece to syslog-address (unixgram:///dev/log by
 *              default; unix, udp, tcp, tcp+tls), RFC 5424, 5424 with
 *              microseconds or RFC 3164 (syslog.c).
 *   journald   one entry a piece over the journal's native protocol
 *              (journald.c).
 *   fluentd    one forward-protocol event a piece, msgpack (fluentd.c).
 *
 * The remote drivers (remote.c) queue encoded messages and send them from
 * the caller's event loop (klogs_attach), reconnecting with a back-off;
 * each keeps a json-file copy for kapsel logs unless cache-disabled.
 * mode=blocking (default): while more than 64 KiB waits, the caller stops
 * reading the container (klogs_full), which back-pressures it.
 * mode=non-blocking (and fluentd-async): what does not fit in
 * max-buffer-size is dropped.
 *
 * A write that fails (a full disk) or a message dropped loses that piece:
 * it is counted in dropped_lines/dropped_bytes, never a crash; a full disk
 * holds a blocking file driver's reads until there is room again. */
#ifndef KAPSEL_LOGS_H
#define KAPSEL_LOGS_H

#include "common/conf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/names.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct kloop;

#define KLOGS_LINE_MAX (16 * 1024) /* Docker's copier buffer: longer lines are split */
#define KLOGS_DEFAULT_MAX_SIZE (20 * 1024 * 1024)
#define KLOGS_DEFAULT_MAX_FILE 5
#define KLOGS_DEFAULT_MAX_BUFFER (1024 * 1024) /* Docker's max-buffer-size default, 1m */
#define KLOGS_TAG_MAX 256

enum klogs_driver {
	KLOGS_JSON_FILE,
	KLOGS_K8S_FILE,
	KLOGS_NONE,
	KLOGS_SYSLOG,
	KLOGS_JOURNALD,
	KLOGS_FLUENTD,
	_KLOGS_DRIVER_MAX
};
enum klogs_syslog_format { KLOGS_RFC5424, KLOGS_RFC5424MICRO, KLOGS_RFC3164, _KLOGS_SYSLOG_FORMAT_MAX };
/* where a remote driver sends: unix stream or datagram socket, udp, tcp,
 * tcp+tls (through the kapsel-log-tls relay) */
enum klogs_transport { KLOGS_T_UNIX, KLOGS_T_UNIXGRAM, KLOGS_T_UDP, KLOGS_T_TCP, KLOGS_T_TLS, _KLOGS_T_MAX };
enum klogs_stream { KLOGS_STDOUT, KLOGS_STDERR, _KLOGS_STREAM_MAX };

KAPSEL_DECLARE_NAME_TABLE(klogs_driver, enum klogs_driver);
KAPSEL_DECLARE_NAME_TABLE(klogs_stream, enum klogs_stream);
KAPSEL_DECLARE_NAME_TABLE(klogs_syslog_format, enum klogs_syslog_format);

struct klogs_addr {
	enum klogs_transport t;
	char path[108]; /* unix, unixgram */
	char host[256], port[16];
};

struct klogs_config {
	enum klogs_driver driver;
	int64_t max_size; /* bytes; -1: never rotate */
	int64_t max_file; /* files kept, the current one included (>= 1) */
	bool compress;    /* rotated files gzipped (NAME.N.gz), off the hot path */
	/* a remote driver keeps a json-file copy for kapsel logs (Docker's dual
	 * logging; cache-disabled=true: none), sized by max-size, max-file and
	 * compress (cache-max-size, cache-max-file, cache-compress) */
	bool cache;
	bool non_blocking;
	int64_t max_buffer_size; /* non-blocking: bytes waiting at most */
	/* remote drivers */
	struct klogs_addr addr;
	char *tag; /* template: {{.ID}} {{.FullID}} {{.Name}} {{.ImageName}} {{.ImageID}} {{.ImageFullID}} {{.DaemonName}} */
	int facility; /* syslog: 0..23 */
	enum klogs_syslog_format format;
	char *tls_ca, *tls_cert, *tls_key;
	bool tls_skip_verify;
	bool async;                    /* fluentd-async */
	int64_t retry_wait_ns;         /* fluentd-retry-wait */
	int64_t max_retries;           /* fluentd-max-retries; -1: no limit */
	bool subsecond;                /* fluentd-sub-second-precision */
	bool request_ack;              /* fluentd-request-ack: each event kept until acked */
	int64_t buffer_limit;          /* fluentd-buffer-limit: events queued at most */
	char *name, *image, *image_id; /* the container's (tags), set by the caller */
	/* journald, fluentd: labels, labels-regex, env, env-regex as given, and
	 * the fields they make (klogs_config_extra): NAME, VALUE pairs */
	char *x_labels, *x_labels_re, *x_env, *x_env_re;
	char **extra;
	size_t nextra;
	char *tls_relay;               /* the kapsel-log-tls program, set by the caller */
	char *gzip_helper;             /* the kapsel-log-gzip program (compress), set by the caller */
};
/* Free the strings of C (not C). */
void klogs_config_done(struct klogs_config *c);

/* The defaults: json-file, 20m x 5, then kapsel.conf's [logs] section
 * (keys driver, max-size, max-file, compress; CONF may be NULL). */
int klogs_config_defaults(struct klogs_config *c, const struct kconf *conf, kerr *e);
/* Apply LOG ({"driver": ..., "opts": {...}}, Docker's --log-driver and
 * --log-opt) over C.  Errors name FILE and the field ("log.opts.max-size").
 * NULL LOG keeps C. */
int klogs_config_parse(struct klogs_config *c, json_object *log, const char *file, kerr *e);

/* The extra fields of each message, Docker's labels / labels-regex / env /
 * env-regex options: the container's LABELS (an object of strings) and ENV
 * (["NAME=value", ...]) named in the comma-separated lists or matched by
 * the regexes (POSIX extended, unanchored), a variable over a label of
 * the same name; for journald the names made upper case, [A-Z0-9_], no
 * leading '_'; never one of the driver's own fields.  At most
 * KLOGS_EXTRA_MAX bytes in all, or an error. */
#define KLOGS_EXTRA_MAX 2048
#define KLOGS_CHUNK_LEN 32
int klogs_config_extra(struct klogs_config *c, json_object *labels, json_object *env, kerr *e);

struct klogs;

/* Open the driver's file under directory DIR for container ID.  C must
 * outlive the klogs. */
int klogs_open(struct klogs **out, const struct klogs_config *c, const char *dir, const char *id, kerr *e);

/* What a remote driver tells its caller (klogs_attach's FN). */
enum klogs_event {
	KLOGS_EV_ROOM,    /* after klogs_full: room again, read on */
	KLOGS_EV_DROPPED, /* the dropped counters changed */
};
typedef void (*klogs_event_fn)(struct klogs *l, enum klogs_event ev, void *data);
/* A remote driver sends from LOOP: connects (a receiver refusing at once
 * is an error, but for fluentd-async) and from then on reconnects with a
 * back-off.  File drivers need nothing (0). */
int klogs_attach(struct klogs *l, struct kloop *loop, klogs_event_fn fn, void *data, kerr *e);
/* A log file's filesystem filled up (ENOSPC, EDQUOT) or klogs_hold: the
 * file drivers write nothing rather than take the last room from the
 * caller's own records (mode=blocking: klogs_full until then, the reads
 * wait; non-blocking and a remote driver's copy: dropped, counted), and
 * ask FN, at most once a second, whether they may write again (FN makes
 * its room first; no FN: retry).  An entry a full disk cut short is taken
 * back: the file holds whole lines only. */
typedef bool (*klogs_room_fn)(void *data);
void klogs_set_room(struct klogs *l, klogs_room_fn fn, void *data);
void klogs_hold(struct klogs *l);
/* A new run of the container (a restart): its streams wait for a held
 * disk again (the last run's end dropped meanwhile). */
void klogs_new_run(struct klogs *l);
/* mode=blocking and 64 KiB waiting: stop reading the container
 * until KLOGS_EV_ROOM.  (Fed anyway, what does not fit is dropped.) */
bool klogs_full(const struct klogs *l);
/* The container is done: send what a remote driver still holds (blocking,
 * while the receiver takes it, 10 s at most), drop the rest.  True when
 * that dropped lines (the counters changed).  klogs_close does it too. */
bool klogs_drain(struct klogs *l);
/* Bytes waiting to be sent. */
size_t klogs_queued(const struct klogs *l);
/* Feed bytes read from stream S.  Returns how many were taken: all, but
 * in mode=blocking while a rotation waits for the compression of the last
 * rotated file (klogs_full): the caller keeps the rest, stops reading and
 * feeds it again at KLOGS_EV_ROOM. */
size_t klogs_feed(struct klogs *l, enum klogs_stream s, const char *buf, size_t n);
/* Wait here for a compression still running, then rotate if that is due
 * (a stream's end, where nothing may wait for the loop). */
void klogs_settle(struct klogs *l);
/* Stream S ended: write what is pending as a partial piece. */
void klogs_flush(struct klogs *l, enum klogs_stream s);
void klogs_counters(const struct klogs *l, uint64_t *dropped_lines, uint64_t *dropped_bytes);
/* The process compressing a rotated file (0: none): the caller's reaper
 * must leave it to klogs. */
pid_t klogs_helper_pid(const struct klogs *l);
/* The log file's path ("" for none). */
const char *klogs_path(const struct klogs *l);
struct klogs *klogs_close(struct klogs *l);
KAPSEL_DEFINE_CLEANUP(struct klogs *, klogs_close)

/* Append S[0..N) to OUT as a JSON string the way Docker's json-file writes
 * it (Go's escaping: \" \\ \n \r, other bytes below 0x20 and < > & as
 * \u00XX, U+2028/U+2029 as \u2028/\u2029, each byte of invalid UTF-8 as
 * \ufffd).  OUT must have room for 6 * N + 2 bytes.  Returns the length. */
size_t klogs_json_quote(char *out, const unsigned char *s, size_t n);

/* ---- the encoders (exposed for the unit tests) ---- */

/* What a message is stamped with. */
struct klogs_msg {
	enum klogs_stream stream;
	const char *line;
	size_t len;
	bool partial;
	struct timespec ts;
	const char *id;       /* 64 hex */
	const char *name;     /* the container's name ("" if none) */
	const char *image;    /* its image reference */
	const char *tag;      /* the expanded tag */
	const char *hostname; /* syslog */
	int pid;              /* syslog PROCID */
	const char *const *extra; /* journald, fluentd: NAME, VALUE pairs */
	const char *chunk;        /* fluentd-request-ack: the event's id, KLOGS_CHUNK_LEN chars */
	size_t nextra;
};
/* Expand TMPL (Docker's log tag template) for container ID into OUT (CAP
 * bytes); an unknown {{...}} is an error. */
int klogs_tag_expand(char *out, size_t cap, const char *tmpl, const char *id, const char *name, const char *image,
		     const char *image_id, kerr *e);
/* Parse Docker's syslog-address / fluentd-address into A. */
int klogs_addr_parse(struct klogs_addr *a, enum klogs_driver d, const char *s, kerr *e);
/* The encoded message into OUT (room for CAP bytes, at least
 * KLOGS_MSG_MAX); returns its length. */
#define KLOGS_MSG_MAX (KLOGS_LINE_MAX + 4096 + KLOGS_EXTRA_MAX)
size_t klogs_syslog_encode(char *out, size_t cap, const struct klogs_config *c, const struct klogs_msg *m);
size_t klogs_journald_encode(char *out, size_t cap, const struct klogs_msg *m);
size_t klogs_fluentd_encode(char *out, size_t cap, const struct klogs_config *c, const struct klogs_msg *m);
/* Send a journal entry of N bytes on datagram socket FD (to ADDR, or
 * connected): in one datagram, or when too big for one through a sealed
 * memfd passed with SCM_RIGHTS, as sd_journal_send does.  -errno. */
int klogs_journald_send(int fd, const char *buf, size_t n);

#endif
