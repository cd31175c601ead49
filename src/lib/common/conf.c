/* kapsel.conf: the INI reader and its typed getters (conf.h). */
#include "common/conf.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/str.h"
#include "common/strv.h"
#include "common/units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONF_MAX (1 << 20)

struct entry {
	char *section, *key, *value;
	unsigned line;
};

struct kconf {
	char *path;
	struct entry *v;
	size_t n;
	char **sections; /* as opened, for kconf_check_sections */
	unsigned *section_lines;
};

void kconf_free(struct kconf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].key);
		free(c->v[i].value);
	}
	free(c->v);
	kstrv_free(c->sections);
	free(c->section_lines);
	free(c->path);
	free(c);
}

const char *kconf_path(const struct kconf *c)
{
	return c->path;
}

static bool name_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || strchr("_.-", s[i])))
			return false;
	return true;
}

static const struct entry *find(const struct kconf *c, const char *section, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].section, section) && !strcmp(c->v[i].key, key))
			return &c->v[i];
	return NULL;
}

static char *trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

static int parse_line(struct kconf *c, char *s, unsigned line, const char **section, kerr *e)
{
	s = trim(s, s + strlen(s));
	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		char *close = strchr(s, ']');
		if (!close || close[1])
			return kerr_msg(e, EINVAL, "%s:%u: a section header is [name]", c->path, line);
		char *name = trim(s + 1, close);
		if (!name_ok(name, strlen(name)))
			return kerr_msg(e, EINVAL, "%s:%u: bad section name \"%s\"", c->path, line, name);
		size_t i = 0;
		for (; c->sections[i]; i++)
			if (!strcmp(c->sections[i], name))
				break;
		if (!c->sections[i]) {
			unsigned *l = realloc(c->section_lines, (i + 1) * sizeof(*l));
			if (!l)
				return kerr_set(e, ENOMEM, "read %s", c->path);
			c->section_lines = l;
			l[i] = line;
			if (kstrv_add(&c->sections, name) < 0)
				return kerr_set(e, ENOMEM, "read %s", c->path);
		}
		*section = c->sections[i];
		return 0;
	}
	char *eq = strchr(s, '=');
	if (!eq)
		return kerr_msg(e, EINVAL, "%s:%u: expected \"key = value\" or \"[section]\"", c->path, line);
	if (!*section)
		return kerr_msg(e, EINVAL, "%s:%u: \"%s\" comes before any [section]", c->path, line, s);
	char *value = trim(eq + 1, eq + 1 + strlen(eq + 1));
	char *key = trim(s, eq);
	if (!name_ok(key, strlen(key)))
		return kerr_msg(e, EINVAL, "%s:%u: bad key name \"%s\"", c->path, line, key);
	size_t vn = strlen(value);
	if (vn && value[0] == '"') {
		if (vn < 2 || value[vn - 1] != '"' || memchr(value + 1, '"', vn - 2))
			return kerr_msg(e, EINVAL, "%s:%u: [%s] %s: unbalanced quotes", c->path, line, *section, key);
		value[vn - 1] = '\0';
		value++;
	}
	const struct entry *dup = find(c, *section, key);
	if (dup)
		return kerr_msg(e, EINVAL, "%s:%u: [%s] %s is already set on line %u", c->path, line, *section, key,
				dup->line);
	struct entry *v = realloc(c->v, (c->n + 1) * sizeof(*v));
	if (!v)
		return kerr_set(e, ENOMEM, "read %s", c->path);
	c->v = v;
	v[c->n] =
		(struct entry){ .section = (char *)*section, .key = strdup(key), .value = strdup(value), .line = line };
	if (!v[c->n].key || !v[c->n].value) {
		free(v[c->n].key);
		free(v[c->n].value);
		return kerr_set(e, ENOMEM, "read %s", c->path);
	}
	c->n++;
	return 0;
}

int kconf_parse(const char *name, const char *text, struct kconf **out, kerr *e)
{
	struct kconf *c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(name)) || !(c->sections = calloc(1, sizeof(char *)))) {
		kconf_free(c);
		return kerr_set(e, ENOMEM, "read %s", name);
	}
	_cleanup_free_ char *copy = strdup(text);
	if (!copy) {
		kconf_free(c);
		return kerr_set(e, ENOMEM, "read %s", name);
	}
	const char *section = NULL;
	unsigned line = 1;
	for (char *s = copy, *nl; s; s = nl, line++) {
		nl = strchr(s, '\n');
		if (nl)
			*nl++ = '\0';
		if (parse_line(c, s, line, &section, e) < 0) {
			kconf_free(c);
			return -1;
		}
	}
	*out = c;
	return 0;
}

int kconf_load(const char *path, bool missing_ok, struct kconf **out, kerr *e)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (kfs_read_file(path, &text, &len, e) < 0) {
		if (e->errnum == ENOENT && missing_ok) {
			kerr_clear(e);
			return kconf_parse(path, "", out, e);
		}
		return -1;
	}
	if (len > CONF_MAX)
		return kerr_msg(e, EFBIG, "%s: larger than %d bytes", path, CONF_MAX);
	if (strlen(text) != len)
		return kerr_msg(e, EINVAL, "%s: holds a NUL byte", path);
	return kconf_parse(path, text, out, e);
}

int kconf_check(const struct kconf *c, const char *section, const char *const *known, kerr *e)
{
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].section, section))
			continue;
		size_t k = 0;
		while (known[k] && strcmp(known[k], c->v[i].key))
			k++;
		if (!known[k])
			return kerr_msg(e, EINVAL, "%s:%u: [%s] has no key \"%s\"", c->path, c->v[i].line, section,
					c->v[i].key);
	}
	return 0;
}

int kconf_check_sections(const struct kconf *c, const char *const *known, kerr *e)
{
	for (size_t i = 0; c->sections[i]; i++) {
		size_t k = 0;
		while (known[k] && strcmp(known[k], c->sections[i]))
			k++;
		if (!known[k])
			return kerr_msg(e, EINVAL, "%s:%u: unknown section [%s]", c->path, c->section_lines[i],
					c->sections[i]);
	}
	return 0;
}

const char *kconf_get(const struct kconf *c, const char *section, const char *key)
{
	const struct entry *en = find(c, section, key);
	return en ? en->value : NULL;
}

/* "FILE:LINE [section] key" for the typed getters' errors. */
#define WHAT_MAX 512
static const struct entry *typed(const struct kconf *c, const char *section, const char *key, char what[WHAT_MAX])
{
	const struct entry *en = find(c, section, key);
	if (en)
		snprintf(what, WHAT_MAX, "%s:%u: [%s] %s", c->path, en->line, section, key);
	return en;
}

int kconf_get_bool(const struct kconf *c, const char *section, const char *key, bool *out, kerr *e)
{
	char what[WHAT_MAX];
	const struct entry *en = typed(c, section, key, what);
	if (!en)
		return 0;
	static const char *const yes[] = { "true", "yes", "on", "1", NULL }, *const no[] = { "false", "no", "off", "0",
											     NULL };
	for (size_t i = 0; yes[i]; i++) {
		if (!strcmp(en->value, yes[i]))
			return *out = true, 0;
		if (!strcmp(en->value, no[i]))
			return *out = false, 0;
	}
	return kerr_msg(e, EINVAL, "%s: \"%s\" is not true or false", what, en->value);
}

int kconf_get_int(const struct kconf *c, const char *section, const char *key, int64_t min, int64_t max, int64_t *out,
		  kerr *e)
{
	char what[WHAT_MAX];
	const struct entry *en = typed(c, section, key, what);
	if (!en)
		return 0;
	char *end;
	errno = 0;
	long long v = strtoll(en->value, &end, 10);
	if (!*en->value || *end || errno)
		return kerr_msg(e, EINVAL, "%s: \"%s\" is not a whole number", what, en->value);
	if (v < min || v > max)
		return kerr_msg(e, ERANGE, "%s: %lld is outside %lld..%lld", what, v, (long long)min, (long long)max);
	*out = v;
	return 0;
}

int kconf_get_size(const struct kconf *c, const char *section, const char *key, int64_t *out, kerr *e)
{
	char what[WHAT_MAX];
	const struct entry *en = typed(c, section, key, what);
	return en ? kunits_parse_size(what, en->value, out, e) : 0;
}

int kconf_get_duration(const struct kconf *c, const char *section, const char *key, int64_t *out_ns, kerr *e)
{
	char what[WHAT_MAX];
	const struct entry *en = typed(c, section, key, what);
	return en ? kunits_parse_duration(what, en->value, out_ns, e) : 0;
}

int kconf_get_list(const struct kconf *c, const char *section, const char *key, char ***out, kerr *e)
{
	const char *v = kconf_get(c, section, key);
	char **l = kstrv_split(v ? v : "", " \t,");
	if (!l)
		return kerr_set(e, ENOMEM, "read %s", c->path);
	*out = l;
	return 0;
}
