/* Human quantities on command lines, parsed the way runc's clients write
 * them: memory sizes ("64m", "1.5g", "512MiB", "-1") and Go durations
 * ("5s", "500ms", "1m30s"). */
#ifndef KAPSEL_UNITS_H
#define KAPSEL_UNITS_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>

/* A memory size as docker/go-units RAMInBytes reads it: a decimal number
 * (fraction allowed), an optional space, an optional unit k, m, g, t or p
 * (any case, powers of 1024) optionally followed by "i" and/or "b"; plain
 * bytes without a unit.  "-1" is -1 (unlimited).  Errors name WHAT. */
int kunits_parse_size(const char *what, const char *s, int64_t *out, kerr *e);

/* A Go duration: one or more decimal numbers (fraction allowed), each with
 * a unit ns, us (or µs), ms, s, m or h; "0" alone is zero.  Nanoseconds. */
int kunits_parse_duration(const char *what, const char *s, int64_t *out_ns, kerr *e);

/* A size as Docker shows it (go-units HumanSize): 4 significant digits and
 * a decimal unit, "5.243MB", "712B". */
void kunits_human_size(int64_t bytes, char *buf, size_t n);
/* An age as Docker shows it (go-units HumanDuration): "Less than a second",
 * "About a minute", "3 hours", "2 weeks" ... */
void kunits_human_duration(int64_t seconds, char *buf, size_t n);

#endif
