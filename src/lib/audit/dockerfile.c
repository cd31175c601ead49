/* A Dockerfile reader for the lint checks: instructions with their line,
 * continuation lines joined (with the escape character of a parser
 * directive), heredocs kept with their RUN, stages counted, and
 * `# kapsel-audit ignore=ID[,ID]` pragmas attached to the next
 * instruction (`ignore-file=` for the whole file). */
#include "internal.h"

#include "common/cleanup.h"
#include "common/fs.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* "kapsel-audit ignore=K3.4,K3.5" -> ids into *v (file-wide into *file_v). */
static void pragma(const char *comment, char ***v, char ***file_v)
{
	const char *p = strstr(comment, "kapsel-audit");
	if (!p)
		return;
	p += 12;
	if (*p == ':')
		p++;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		char ***into = NULL;
		if (kstr_starts(p, "ignore-file=")) {
			p += 12;
			into = file_v;
		} else if (kstr_starts(p, "ignore=")) {
			p += 7;
			into = v;
		} else {
			break;
		}
		size_t n = strcspn(p, " \t");
		char *list = strndup(p, n);
		char **ids = kstrv_split(list, ",");
		for (size_t i = 0; ids && ids[i]; i++)
			kstrv_add(into, ids[i]);
		kstrv_free(ids);
		free(list);
		p += n;
	}
}

static int add_instr(struct kdockerfile *df, const char *cmd, const char *args, int line, int stage, char ***ignore)
{
	struct kinstr *n = realloc(df->ins, (df->nins + 1) * sizeof(*n));
	if (!n)
		return -1;
	df->ins = n;
	struct kinstr *in = &n[df->nins++];
	in->cmd = strdup(cmd);
	for (char *p = in->cmd; p && *p; p++)
		*p = (char)toupper((unsigned char)*p);
	in->args = strdup(args);
	in->line = line;
	in->stage = stage;
	in->ignore = *ignore;
	*ignore = NULL;
	return in->cmd && in->args ? 0 : -1;
}

/* The heredoc terminator of "RUN <<EOF" / "<<-'EOF'", or NULL. */
static char *heredoc_word(const char *args)
{
	const char *p = strstr(args, "<<");
	if (!p)
		return NULL;
	p += 2;
	if (*p == '-')
		p++;
	if (*p == '"' || *p == '\'')
		p++;
	size_t n = 0;
	while (isalnum((unsigned char)p[n]) || p[n] == '_')
		n++;
	return n ? strndup(p, n) : NULL;
}

int kdockerfile_parse(struct kdockerfile *df, const char *path, const char *text, kerr *e)
{
	memset(df, 0, sizeof(*df));
	df->path = strdup(path);
	df->ignore_file = calloc(1, sizeof(char *));
	char escape = '\\';
	char **lines = NULL;
	size_t nlines = 0;
	/* split into lines (keeping empty ones for the numbering) */
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char **nv = realloc(lines, (nlines + 1) * sizeof(char *));
		if (!nv)
			break;
		lines = nv;
		lines[nlines++] = strndup(p, n);
		p += n + (nl ? 1 : 0);
	}
	int directives = 1, stage = -1;
	char **pending = NULL;
	for (size_t i = 0; i < nlines; i++) {
		char *l = trim(lines[i]);
		if (!*l) {
			directives = 0;
			continue;
		}
		if (*l == '#') {
			if (directives && kstr_starts(l, "# escape=") && l[9]) {
				escape = l[9];
				continue;
			}
			if (directives && (kstr_starts(l, "# syntax=") || kstr_starts(l, "# check=")))
				continue;
			directives = 0;
			pragma(l, &pending, &df->ignore_file);
			continue;
		}
		directives = 0;
		int start = (int)i + 1;
		/* join continuation lines; comment lines inside are dropped */
		char *joined = strdup(l);
		while (joined && i + 1 < nlines) {
			size_t jl = strlen(joined);
			if (!jl || joined[jl - 1] != escape)
				break;
			joined[jl - 1] = ' ';
			/* comment and empty lines inside a continuation are skipped */
			while (i + 1 < nlines && (*trim(lines[i + 1]) == '#' || !*trim(lines[i + 1])))
				i++;
			if (i + 1 >= nlines)
				break;
			i++;
			char *j2 = kstr_printf("%s%s", joined, trim(lines[i]));
			free(joined);
			joined = j2;
		}
		if (!joined)
			break;
		char *sp = joined;
		while (*sp && !isspace((unsigned char)*sp))
			sp++;
		char cmd[32];
		snprintf(cmd, sizeof(cmd), "%.*s", (int)(sp - joined), joined);
		char *args = trim(sp);
		/* heredoc: the body belongs to this instruction */
		_cleanup_free_ char *word = heredoc_word(args);
		_cleanup_free_ char *body = NULL;
		while (word && i + 1 < nlines) {
			i++;
			if (!strcmp(trim(lines[i]), word))
				break;
			char *b2 = kstr_printf("%s\n%s", body ? body : "", lines[i]);
			free(body);
			body = b2;
		}
		_cleanup_free_ char *full = body ? kstr_printf("%s%s", args, body) : strdup(args);
		if (!strcasecmp(cmd, "FROM"))
			stage++;
		if (add_instr(df, cmd, full ? full : args, start, stage < 0 ? 0 : stage, &pending) < 0) {
			free(joined);
			break;
		}
		free(joined);
	}
	kstrv_free(pending);
	for (size_t i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	df->nstages = stage + 1;
	if (!df->path || !df->ignore_file)
		return kerr_set(e, ENOMEM, "%s", path);
	return 0;
}

int kdockerfile_load(struct kdockerfile *df, const char *path, kerr *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	memset(df, 0, sizeof(*df));
	if (kfs_read_file(path, &buf, &len, e) < 0)
		return kerr_wrap(e, "Dockerfile");
	if (memchr(buf, '\0', len))
		return kerr_msg(e, EINVAL, "Dockerfile %s: binary data, not a Dockerfile", path);
	return kdockerfile_parse(df, path, buf, e);
}

void kdockerfile_free(struct kdockerfile *df)
{
	for (size_t i = 0; i < df->nins; i++) {
		free(df->ins[i].cmd);
		free(df->ins[i].args);
		kstrv_free(df->ins[i].ignore);
	}
	free(df->ins);
	free(df->path);
	kstrv_free(df->ignore_file);
	free(df->error);
	memset(df, 0, sizeof(*df));
}

int kdockerfile_ignored(const struct kdockerfile *df, const struct kinstr *in, const char *check_id)
{
	for (size_t i = 0; df->ignore_file && df->ignore_file[i]; i++)
		if (audit_id_matches(df->ignore_file[i], check_id))
			return 1;
	for (size_t i = 0; in && in->ignore && in->ignore[i]; i++)
		if (audit_id_matches(in->ignore[i], check_id))
			return 1;
	return 0;
}
