/* Small string, vector and json-c helpers for the audit library. */
#include "internal.h"

#include "vocab/caps.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

void free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

int strv_push(char ***v, const char *s)
{
	size_t n = strv_len(*v);
	char **nv = realloc(*v, (n + 2) * sizeof(char *));
	if (!nv)
		return -1;
	*v = nv;
	nv[n] = strdup(s ? s : "");
	nv[n + 1] = NULL;
	return nv[n] ? 0 : -1;
}

int strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

char **strv_split(const char *s, const char *seps)
{
	char **v = calloc(1, sizeof(char *));
	if (!v || !s)
		return v;
	char *copy = strdup(s), *save = NULL;
	if (!copy)
		return v;
	for (char *t = strtok_r(copy, seps, &save); t; t = strtok_r(NULL, seps, &save))
		strv_push(&v, t);
	free(copy);
	return v;
}

json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v))
		return v;
	return NULL;
}

const char *js(json_object *o, const char *key)
{
	json_object *v = jget(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

const char *jstr(json_object *v)
{
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

int64_t ji(json_object *o, const char *key, int64_t def)
{
	json_object *v = jget(o, key);
	if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return def;
	return json_object_get_int64(v);
}

int jb(json_object *o, const char *key)
{
	json_object *v = jget(o, key);
	return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

void utf8_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;
	while (p && *p) {
		int n = 0;
		if (*p < 0x80)
			n = 1;
		else if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
			n = 2;
		else if ((*p & 0xf0) == 0xe0)
			n = 3;
		else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
			n = 4;
		int ok = n > 0;
		for (int i = 1; ok && i < n; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (!ok) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

int str_starts(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

int str_ends(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);
	return s && a >= b && !strcmp(s + a - b, suffix);
}

int str_icontains(const char *hay, const char *needle)
{
	return hay && strcasestr(hay, needle) != NULL;
}

/* The capabilities Docker grants a container by default. */
uint64_t docker_default_caps(void)
{
	static const char *const def[] = { "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW",
					   "SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE",
					   "SYS_CHROOT", "KILL", "AUDIT_WRITE" };
	uint64_t m = 0;
	for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++)
		m |= 1ull << kcap_parse(def[i]);
	return m;
}

void mode_str(unsigned mode, char buf[8])
{
	snprintf(buf, 8, "%04o", mode & 07777);
}
