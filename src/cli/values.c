/* Typed option values: how each cli_type reads its text. */
#include "internal.h"

#include "common/strv.h"
#include "common/units.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define AT(dest, o, T) ((T *)((char *)(dest) + (o)->offset))

static int range(const struct cli_option *o, const char *name, const char *value, long long n, kerr *e)
{
	if (o->min >= o->max || (n >= o->min && n <= o->max))
		return 0;
	if (o->max == CLI_NO_MAX && o->min == 1)
		return kerr_msg(e, ERANGE, "%s must be greater than 0, not \"%s\"", name, value);
	if (o->max == CLI_NO_MAX)
		return kerr_msg(e, ERANGE, "%s must be at least %lld, not \"%s\"", name, o->min, value);
	return kerr_msg(e, ERANGE, "%s must be from %lld to %lld, not \"%s\"", name, o->min, o->max, value);
}

static int number(const struct cli_option *o, const char *name, const char *value, long long *out, kerr *e)
{
	char *end;
	errno = 0;
	if (o->type == CLI_T_UINT) {
		unsigned long long u = strtoull(value, &end, 10);
		if (errno || end == value || *end || value[0] == '-' || u > UINT_MAX)
			return kerr_msg(e, EINVAL, "%s: \"%s\" is not an unsigned integer", name, value);
		*out = (long long)u;
	} else {
		long long n = strtoll(value, &end, 10);
		if (errno || end == value || *end || n < INT_MIN || n > INT_MAX)
			return kerr_msg(e, EINVAL, "%s: \"%s\" is not an integer", name, value);
		*out = n;
	}
	return range(o, name, value, *out, e);
}

static int choice(const struct cli_option *o, void *dest, const char *name, const char *value, kerr *e)
{
	const char *const *names = o->data;
	char list[256] = "";
	size_t n = 0, l = 0;
	for (; names[n]; n++)
		if (!strcmp(names[n], value)) {
			*AT(dest, o, int) = (int)n;
			return 0;
		}
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(list + l, sizeof(list) - l, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
		if (w > 0 && (size_t)w < sizeof(list) - l)
			l += (size_t)w;
	}
	return kerr_msg(e, EINVAL, "%s must be %s, not \"%s\"", name, list, value);
}

static int strv_add(const struct cli_option *o, void *dest, const char *value, kerr *e)
{
	char ***v = AT(dest, o, char **);
	if (!(o->flags & CLI_OPT_SPLIT_COMMAS))
		return kstrv_add(v, value) < 0 ? kerr_set(e, ENOMEM, "option list") : 0;
	const char *p = value;
	while (*p) {
		size_t len = strcspn(p, ",");
		if (len) {
			char *word = strndup(p, len);
			int r = word ? kstrv_add(v, word) : -1;
			free(word);
			if (r < 0)
				return kerr_set(e, ENOMEM, "option list");
		}
		p += len + (p[len] == ',');
	}
	return 0;
}

int cli_set_value(const struct cli_option *o, void *dest, const char *name, const char *value, kerr *e)
{
	long long n;
	int64_t v;
	if (o->flags & CLI_OPT_IGNORED)
		return 0;
	switch (o->type) {
	case CLI_T_FLAG:
		*AT(dest, o, int) = !value || strcmp(value, "false");
		return 0;
	case CLI_T_STRING:
		*AT(dest, o, const char *) = value;
		return 0;
	case CLI_T_INT:
		if (number(o, name, value, &n, e) < 0)
			return -1;
		*AT(dest, o, int) = (int)n;
		return 0;
	case CLI_T_UINT:
		if (number(o, name, value, &n, e) < 0)
			return -1;
		*AT(dest, o, unsigned) = (unsigned)n;
		return 0;
	case CLI_T_DURATION:
	case CLI_T_SIZE:
		if ((o->type == CLI_T_SIZE ? kunits_parse_size(name, value, &v, e)
					   : kunits_parse_duration(name, value, &v, e)) < 0 ||
		    range(o, name, value, v, e) < 0)
			return -1;
		*AT(dest, o, int64_t) = v;
		return 0;
	case CLI_T_CHOICE:
		return choice(o, dest, name, value, e);
	case CLI_T_STRV:
		return strv_add(o, dest, value, e);
	case CLI_T_CALLBACK:
		return o->cb(dest, o, value, e);
	case CLI_T_END:
	case CLI_T_INCLUDE:
		break;
	}
	return kerr_msg(e, EINVAL, "%s: not an option row", name);
}
