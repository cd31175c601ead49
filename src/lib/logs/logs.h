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
 *              max-size into <id>-json.log.1 ... .<max-file - 1>.
 *   k8s-file   DIR/<id>-k8s.log in the CRI format: "TIME STREAM F|P text\n"
 *              (F full line without its '\n', P a partial piece); rotated
 *              the same way.
 *   none       nothing is written.
 *
 * A write that fails (a full disk) loses that piece: it is counted in
 * dropped_lines/dropped_bytes, never a crash and never a stalled container. */
#ifndef KAPSEL_LOGS_H
#define KAPSEL_LOGS_H

#include "common/conf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/names.h"

#include <stddef.h>
#include <stdint.h>

#define KLOGS_LINE_MAX (16 * 1024) /* Docker's copier buffer: longer lines are split */
#define KLOGS_DEFAULT_MAX_SIZE (20 * 1024 * 1024)
#define KLOGS_DEFAULT_MAX_FILE 5

enum klogs_driver { KLOGS_JSON_FILE, KLOGS_K8S_FILE, KLOGS_NONE, _KLOGS_DRIVER_MAX };
enum klogs_stream { KLOGS_STDOUT, KLOGS_STDERR, _KLOGS_STREAM_MAX };

KAPSEL_DECLARE_NAME_TABLE(klogs_driver, enum klogs_driver);
KAPSEL_DECLARE_NAME_TABLE(klogs_stream, enum klogs_stream);

struct klogs_config {
	enum klogs_driver driver;
	int64_t max_size; /* bytes; -1: never rotate */
	int64_t max_file; /* files kept, the current one included (>= 1) */
};

/* The defaults: json-file, 20m x 5, then kapsel.conf's [logs] section
 * (keys driver, max-size, max-file; CONF may be NULL). */
int klogs_config_defaults(struct klogs_config *c, const struct kconf *conf, kerr *e);
/* Apply LOG ({"driver": ..., "opts": {...}}, Docker's --log-driver and
 * --log-opt) over C.  Errors name FILE and the field ("log.opts.max-size").
 * NULL LOG keeps C. */
int klogs_config_parse(struct klogs_config *c, json_object *log, const char *file, kerr *e);

struct klogs;

/* Open the driver's file under directory DIR for container ID. */
int klogs_open(struct klogs **out, const struct klogs_config *c, const char *dir, const char *id, kerr *e);
/* Feed bytes read from stream S. */
void klogs_feed(struct klogs *l, enum klogs_stream s, const char *buf, size_t n);
/* Stream S ended: write what is pending as a partial piece. */
void klogs_flush(struct klogs *l, enum klogs_stream s);
void klogs_counters(const struct klogs *l, uint64_t *dropped_lines, uint64_t *dropped_bytes);
/* The log file's path ("" for none). */
const char *klogs_path(const struct klogs *l);
struct klogs *klogs_close(struct klogs *l);
KAPSEL_DEFINE_CLEANUP(struct klogs *, klogs_close)

/* Append S[0..N) to OUT as a JSON string the way Docker's json-file writes
 * it (Go's escaping: \" \\ \n \r, other bytes below 0x20 and < > & as
 * \u00XX, U+2028/U+2029 as \u2028/\u2029, each byte of invalid UTF-8 as
 * \ufffd).  OUT must have room for 6 * N + 2 bytes.  Returns the length. */
size_t klogs_json_quote(char *out, const unsigned char *s, size_t n);

#endif
