/* The part of Go's text/template that `docker ps/inspect --format` users
 * write: literal text, {{.Field.Sub}} (a missing key prints "<no value>"),
 * {{.}} the whole value, {{json .Field}} the value as JSON, and
 * {{index .Labels "key"}}.  Strings print raw, numbers and booleans as Go
 * prints them, objects and arrays as JSON; anything else is an error
 * naming the action, before any output. */
#ifndef KAPSEL_ENGINE_TEMPLATE_H
#define KAPSEL_ENGINE_TEMPLATE_H

#include "common/err.h"

#include <json-c/json.h>

/* Check TEMPLATE once (EINVAL naming the bad action). */
int keng_template_check(const char *tmpl, kerr *e);
/* Expand TEMPLATE over V into a new string. */
char *keng_template_apply(const char *tmpl, json_object *v, kerr *e);

#endif
