/* kapsel.conf: the settings file every kapsel command reads
 * (/etc/kapsel/kapsel.conf), in the INI shape operators know:
 *
 *   # a comment (also ';'), on its own line
 *   [run]
 *   user = 65534:65534
 *   memory = 512m
 *   [registries]
 *   insecure = localhost:5000 10.0.0.2:5000
 *
 * Contract.  Section and key names are [a-z0-9_.-]+ (keys may not be
 * repeated within a section; a section may be opened again); a value is the
 * rest of the line with surrounding blanks removed (it may be empty, and may
 * be quoted "..." to keep blanks; no escapes inside).  Anything else is an
 * error naming FILE:LINE.  A part reading a section declares the keys it
 * knows with kconf_check, so a misspelt key is an error, not a silent
 * default.  Values are read as they are; the typed getters parse and name
 * FILE:LINE [section] key in their errors. */
#ifndef KAPSEL_CONF_H
#define KAPSEL_CONF_H

#include "err.h"

#include <stdbool.h>
#include <stdint.h>

#define KCONF_PATH "/etc/kapsel/kapsel.conf"

struct kconf;

/* Read PATH.  A missing file is an empty configuration when MISSING_OK,
 * else ENOENT. */
int kconf_load(const char *path, bool missing_ok, struct kconf **out, kerr *e);
/* The same from a string (NAME for errors). */
int kconf_parse(const char *name, const char *text, struct kconf **out, kerr *e);
void kconf_free(struct kconf *c);

/* The file it came from (for messages). */
const char *kconf_path(const struct kconf *c);
/* Fail (EINVAL, naming FILE:LINE) on a key of SECTION not in KNOWN
 * (NULL-terminated). */
int kconf_check(const struct kconf *c, const char *section, const char *const *known, kerr *e);
/* Fail on a section not in KNOWN (NULL-terminated). */
int kconf_check_sections(const struct kconf *c, const char *const *known, kerr *e);

/* The value of KEY in SECTION, or NULL when it is not set. */
const char *kconf_get(const struct kconf *c, const char *section, const char *key);
/* Typed getters: *out keeps its value (the caller's default) when the key
 * is not set; a value that does not parse is an error naming it. */
int kconf_get_bool(const struct kconf *c, const char *section, const char *key, bool *out, kerr *e);
int kconf_get_int(const struct kconf *c, const char *section, const char *key, int64_t min, int64_t max, int64_t *out,
		  kerr *e);
/* A size ("20m", kunits_parse_size) and a duration ("10s", in ns). */
int kconf_get_size(const struct kconf *c, const char *section, const char *key, int64_t *out, kerr *e);
int kconf_get_duration(const struct kconf *c, const char *section, const char *key, int64_t *out_ns, kerr *e);
/* A list of words separated by blanks or commas: *out is a new
 * NULL-terminated vector (empty when the key is not set). */
int kconf_get_list(const struct kconf *c, const char *section, const char *key, char ***out, kerr *e);

#endif
