/* The option parser: walks argv against a table (cli.h states the
 * syntax).  Every error names the option as the user wrote it. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* --help / -h, answered by every command; -h only where the table leaves it free */
static const struct cli_option help_row[] = {
	{ .type = CLI_T_FLAG, .short_name = 'h', .long_name = "help", .help = "show this help and exit" }, CLI_OPT_END
};
static const struct cli_option help_long[] = {
	{ .type = CLI_T_FLAG, .long_name = "help", .help = "show this help and exit" }, CLI_OPT_END
};

static int add_rows(const struct cli_option *opts, const struct cli_option ***v, size_t *n, size_t *cap)
{
	for (; opts && opts->type != CLI_T_END; opts++) {
		if (opts->type == CLI_T_INCLUDE) {
			if (add_rows(opts->data, v, n, cap) < 0)
				return -1;
			continue;
		}
		if (*n + 2 > *cap) {
			size_t nc = *cap ? *cap * 2 : 16;
			const struct cli_option **nv = realloc(*v, nc * sizeof(**v));
			if (!nv)
				return -1;
			*v = nv;
			*cap = nc;
		}
		(*v)[(*n)++] = opts;
		(*v)[*n] = NULL;
	}
	return 0;
}

const struct cli_option **cli_flatten(const struct cli_option *opts)
{
	const struct cli_option **v = NULL;
	size_t n = 0, cap = 0;
	int h = 0;
	if (add_rows(opts, &v, &n, &cap) < 0)
		goto oom;
	for (size_t i = 0; i < n; i++)
		h |= v[i]->short_name == 'h';
	if (add_rows(h ? help_long : help_row, &v, &n, &cap) < 0)
		goto oom;
	return v;
oom:
	free(v);
	return NULL;
}

const char *cli_option_name(const struct cli_option *o, char *buf, size_t len)
{
	if (o->long_name)
		snprintf(buf, len, "--%s", o->long_name);
	else
		snprintf(buf, len, "-%c", o->short_name);
	return buf;
}

static int takes_value(const struct cli_option *o)
{
	return o->type != CLI_T_FLAG && (o->type != CLI_T_CALLBACK || o->arg);
}

enum { FOUND, UNKNOWN, AMBIGUOUS };

/* The row whose long name is NAME (LEN bytes): exact, else (ABBREV) the
 * one it is a prefix of.  UNKNOWN or AMBIGUOUS with *E set otherwise. */
static int find_long(const struct cli_option **rows, const char *name, size_t len, int abbrev, const char *dashes,
		     const struct cli_option **out, kerr *e)
{
	char word[128];
	size_t n = 0;
	snprintf(word, sizeof(word), "%.*s", (int)len, name);
	for (; rows[n]; n++)
		if (rows[n]->long_name && !strcmp(rows[n]->long_name, word)) {
			*out = rows[n];
			return FOUND;
		}
	if (abbrev && len > 0) {
		char list[512] = "";
		size_t l = 0;
		int matches = 0;
		for (size_t i = 0; rows[i]; i++) {
			if (!rows[i]->long_name || strncmp(rows[i]->long_name, word, len))
				continue;
			*out = rows[i];
			int w = snprintf(list + l, sizeof(list) - l, "%s--%s", matches++ ? ", " : "", rows[i]->long_name);
			if (w > 0 && (size_t)w < sizeof(list) - l)
				l += (size_t)w;
		}
		if (matches == 1)
			return FOUND;
		if (matches > 1) {
			kerr_msg(e, EINVAL, "option %s%s is ambiguous (%s)", dashes, word, list);
			return AMBIGUOUS;
		}
	}
	const char **names = calloc(n + 1, sizeof(char *));
	size_t k = 0;
	char hint[512];
	for (size_t i = 0; names && i < n; i++)
		if (rows[i]->long_name)
			names[k++] = rows[i]->long_name;
	if (names && cli_suggest(word, names, k, "--%s", hint, sizeof(hint)) > 0)
		kerr_msg(e, EINVAL, "unknown option %s%s; did you mean %s?", dashes, word, hint);
	else
		kerr_msg(e, EINVAL, "unknown option %s%s", dashes, word);
	free(names);
	return UNKNOWN;
}

static const struct cli_option *find_short(const struct cli_option **rows, char c)
{
	for (size_t i = 0; rows[i]; i++)
		if (rows[i]->short_name && rows[i]->short_name == c)
			return rows[i];
	return NULL;
}

/* One option and its value; *I advances past a value in the next word. */
static int apply(const struct cli_option *o, void *dest, const char *value, int has_inline, int argc, char **argv,
		 int *i, kerr *e)
{
	char name[128];
	cli_option_name(o, name, sizeof(name));
	if (o == help_row || o == help_long) {
		if (has_inline)
			return kerr_msg(e, EINVAL, "option --help takes no value");
		return CLI_PARSE_HELP;
	}
	if (!takes_value(o)) {
		/* --flag=true and --flag=false, as Go's flag package (runc, Docker) reads them */
		if (has_inline && (o->type != CLI_T_FLAG || (strcmp(value, "true") && strcmp(value, "false"))))
			return kerr_msg(e, EINVAL, "option %s takes no value%s, not \"%s\"", name,
					o->type == CLI_T_FLAG ? " (or =true, =false)" : "", value);
		return cli_set_value(o, dest, name, has_inline ? value : NULL, e);
	}
	if (!has_inline) {
		if (*i + 1 >= argc)
			return kerr_msg(e, EINVAL, "option %s needs a value (%s)", name, o->arg ? o->arg : "VALUE");
		value = argv[++*i];
	}
	return cli_set_value(o, dest, name, value, e);
}

/* -abc: a cluster of short options; a value-taking one takes the rest of
 * the word ("-bDIR") or the next word. */
static int cluster(const struct cli_option **rows, void *dest, const char *word, int argc, char **argv, int *i, kerr *e)
{
	for (const char *p = word + 1; *p; p++) {
		const struct cli_option *o = find_short(rows, *p);
		if (!o) {
			if (p == word + 1)
				return kerr_msg(e, EINVAL, "unknown option %s", word);
			return kerr_msg(e, EINVAL, "unknown option -%c (in %s)", *p, word);
		}
		int r;
		if (takes_value(o))
			return apply(o, dest, p[1] ? p + 1 : NULL, p[1] != '\0', argc, argv, i, e);
		if ((r = apply(o, dest, NULL, 0, argc, argv, i, e)) != 0)
			return r;
	}
	return 0;
}

static int parse_long(const struct cli_option **rows, unsigned flags, void *dest, const char *word, const char *dashes,
		      int argc, char **argv, int *i, kerr *e)
{
	const char *eq = strchr(word, '=');
	size_t len = eq ? (size_t)(eq - word) : strlen(word);
	const struct cli_option *o;
	if (find_long(rows, word, len, flags & CLI_PROG_ABBREV, dashes, &o, e) != FOUND)
		return -1;
	return apply(o, dest, eq ? eq + 1 : NULL, eq != NULL, argc, argv, i, e);
}

int cli_parse(const struct cli_option *opts, unsigned flags, void *dest, int argc, char **argv, struct cli_args *pos,
	      kerr *e)
{
	const struct cli_option **rows = cli_flatten(opts);
	int done = 0, r = 0;
	pos->argc = 0;
	pos->argv = calloc((size_t)argc + 1, sizeof(char *));
	if (!pos->argv || !rows) {
		free(pos->argv);
		pos->argv = NULL;
		free(rows);
		return kerr_set(e, ENOMEM, "parse the command line");
	}
	for (int i = 0; i < argc && r == 0; i++) {
		char *a = argv[i];
		if (done || a[0] != '-' || a[1] == '\0') {
			pos->argv[pos->argc++] = a;
			if (flags & CLI_PARSE_OPTIONS_FIRST)
				done = 1;
			continue;
		}
		if (!strcmp(a, "--")) {
			done = 1;
			continue;
		}
		if (a[1] == '-') {
			r = parse_long(rows, flags, dest, a + 2, "--", argc, argv, &i, e);
		} else if (!(flags & CLI_PROG_SINGLE_DASH_LONG) || (a[2] == '\0' && find_short(rows, a[1]))) {
			r = cluster(rows, dest, a, argc, argv, &i, e);
		} else {
			/* getopt_long_only's reading: a long name first, else short flags */
			const char *eq = strchr(a + 1, '=');
			size_t len = eq ? (size_t)(eq - a - 1) : strlen(a + 1);
			const struct cli_option *o;
			int found = find_long(rows, a + 1, len, flags & CLI_PROG_ABBREV, "-", &o, e);
			if (found == FOUND)
				r = apply(o, dest, eq ? eq + 1 : NULL, eq != NULL, argc, argv, &i, e);
			else if (found == UNKNOWN && find_short(rows, a[1]))
				r = cluster(rows, dest, a, argc, argv, &i, e);
			else
				r = -1;
		}
	}
	free(rows);
	if (r < 0) {
		pos->argc = 0;
		pos->argv[0] = NULL;
	}
	return r;
}

void cli_options_free(const struct cli_option *opts, void *dest)
{
	for (; opts && opts->type != CLI_T_END; opts++) {
		if (opts->type == CLI_T_INCLUDE) {
			cli_options_free(opts->data, dest);
		} else if (opts->type == CLI_T_STRV && !(opts->flags & CLI_OPT_IGNORED)) {
			char ***v = (char ***)((char *)dest + opts->offset);
			for (size_t i = 0; *v && (*v)[i]; i++)
				free((*v)[i]);
			free(*v);
			*v = NULL;
		}
	}
}
