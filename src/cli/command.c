/* The dispatcher: global options, the command's name, its options and
 * arity, then its .run; and the one usage-error path. */
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void report(const struct cli_call *c, const char *msg)
{
	if (c->prog->report)
		c->prog->report(msg);
	else
		fprintf(stderr, "%s: %s\n", c->prog->name, msg);
}

static int vreport(const struct cli_call *c, int code, const char *fmt, va_list ap)
{
	char msg[KERR_MSG_MAX + 256];
	int o = c->cmd ? snprintf(msg, sizeof(msg), "%s: ", c->path) : 0;
	vsnprintf(msg + o, sizeof(msg) - (size_t)o, fmt, ap);
	report(c, msg);
	return code;
}

int cli_error(const struct cli_call *c, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(c, code, fmt, ap);
	va_end(ap);
	return code;
}

int cli_usage_error(const struct cli_call *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(c, CLI_EXIT_USAGE, fmt, ap);
	va_end(ap);
	cli_print_usage_hint(c, stderr);
	return CLI_EXIT_USAGE;
}

/* Word INDEX of the synopsis ("ID [SIGNAL]"), without brackets and dots:
 * what a missing argument is called. */
static void arg_name(const char *args, int index, char *out, size_t len)
{
	const char *p = args ? args : "";
	snprintf(out, len, "argument");
	for (int i = 0; *p; i++) {
		p += strspn(p, " ");
		size_t w = strcspn(p, " ");
		if (i == index && w) {
			const char *s = p;
			while (w && (*s == '[' || *s == '|')) {
				s++;
				w--;
			}
			while (w && (s[w - 1] == ']' || s[w - 1] == '.'))
				w--;
			snprintf(out, len, "%.*s", (int)w, s);
			return;
		}
		p += w;
	}
}

static const struct cli_command *find(const struct cli_command *const *cmds, const char *name)
{
	for (size_t i = 0; cmds[i]; i++)
		if (!strcmp(cmds[i]->name, name))
			return cmds[i];
	return NULL;
}

static int unknown_command(const struct cli_call *c, const struct cli_command *const *cmds, const char *name)
{
	size_t n = 0;
	while (cmds[n])
		n++;
	const char **names = calloc(n + 1, sizeof(char *));
	char hint[512];
	size_t k = 0;
	for (size_t i = 0; names && i < n; i++)
		names[k++] = cmds[i]->name;
	int found = names ? cli_suggest(name, names, k, "'%s'", hint, sizeof(hint)) : 0;
	free(names);
	if (found)
		return cli_usage_error(c, "unknown command '%s'; did you mean %s?", name, hint);
	return cli_usage_error(c, "unknown command '%s'", name);
}

static int dispatch(struct cli_call *c, const struct cli_command *cmd, int argc, char **argv);

/* CMDS on ARGV (ARGV[0] the command name); C is the level above. */
static int dispatch_in(struct cli_call *c, const struct cli_command *const *cmds, int argc, char **argv)
{
	if (argc < 1)
		return cli_usage_error(c, "a command is required");
	const struct cli_command *cmd = find(cmds, argv[0]);
	if (!cmd)
		return unknown_command(c, cmds, argv[0]);
	struct cli_call sub = *c;
	sub.cmd = cmd;
	size_t l = c->cmd ? strlen(c->path) : 0;
	if (l + 1 + strlen(cmd->name) >= sizeof(sub.path))
		return cli_usage_error(c, "command path too long");
	if (l)
		sub.path[l++] = ' ';
	strcpy(sub.path + l, cmd->name);
	return dispatch(&sub, cmd, argc - 1, argv + 1);
}

static int dispatch(struct cli_call *c, const struct cli_command *cmd, int argc, char **argv)
{
	const struct cli_option *opts = cli_command_options(cmd);
	unsigned flags = c->prog->flags | (cmd->flags & CLI_PARSE_OPTIONS_FIRST);
	struct cli_args pos = { 0 };
	kerr e = { 0 };
	int rc;
	if (cmd->subcommands)
		flags |= CLI_PARSE_OPTIONS_FIRST; /* the sub-command's options are its own */
	void *o = calloc(1, cmd->opts_size ? cmd->opts_size : 1);
	if (!o)
		return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
	if (cmd->defaults)
		memcpy(o, cmd->defaults, cmd->opts_size);
	int r = cli_parse(opts, flags, o, argc, argv, &pos, &e);
	if (r < 0) {
		rc = cli_usage_error(c, "%s", e.msg);
	} else if (r == CLI_PARSE_HELP) {
		cli_print_help(c, stdout);
		rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
	} else if (cmd->subcommands) {
		struct cli_call here = *c;
		here.opts = o;
		rc = dispatch_in(&here, cmd->subcommands, pos.argc, pos.argv);
	} else if (pos.argc < cmd->min_args) {
		char name[64];
		arg_name(cmd->args, pos.argc, name, sizeof(name));
		rc = cli_usage_error(c, "missing %s", name);
	} else if (cmd->max_args >= 0 && pos.argc > cmd->max_args) {
		rc = cmd->max_args == 0 ? cli_usage_error(c, "takes no arguments, not \"%s\"", pos.argv[cmd->max_args])
					: cli_usage_error(c, "unexpected argument \"%s\"", pos.argv[cmd->max_args]);
	} else {
		c->opts = o;
		c->argc = pos.argc;
		c->argv = pos.argv;
		rc = cmd->run(c);
	}
	cli_options_free(opts, o);
	free(o);
	free(pos.argv);
	return rc;
}

/* help [COMMAND...]: the help of the program or of a (sub-)command */
static int help_run(const struct cli_call *c)
{
	struct cli_call h = *c;
	const struct cli_command *const *cmds = c->prog->commands;
	h.cmd = NULL;
	h.path[0] = '\0';
	for (int i = 0; i < c->argc; i++) {
		const struct cli_command *cmd = cmds ? find(cmds, c->argv[i]) : NULL;
		if (!cmd)
			return unknown_command(&h, cmds ? cmds : (const struct cli_command *const[]){ NULL }, c->argv[i]);
		size_t l = strlen(h.path);
		snprintf(h.path + l, sizeof(h.path) - l, "%s%s", l ? " " : "", cmd->name);
		h.cmd = cmd;
		cmds = cmd->subcommands;
	}
	cli_print_help(&h, stdout);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static const struct cli_command help_cmd = {
	.name = "help", .run = help_run, .min_args = 0, .max_args = -1, .args = "[COMMAND...]",
	.summary = "show the help of the program or of a command",
};

/* --version: the program's own option, answered before its setup */
static int version_asked;

static int set_version(void *dest, const struct cli_option *o, const char *value, kerr *e)
{
	(void)dest, (void)o, (void)value, (void)e;
	version_asked = 1;
	return 0;
}

const struct cli_option cli_version_row[] = {
	CLI_OPT_CALLBACK('v', "version", NULL, set_version, NULL, "print the version and exit"),
	CLI_OPT_END,
};

int cli_main(const struct cli_program *p, void *globals, int argc, char **argv)
{
	struct cli_call c = { .prog = p, .globals = globals };
	struct cli_args pos = { 0 };
	kerr e = { 0 };
	struct cli_option all[3] = { CLI_OPT_INCLUDE(p->options), CLI_OPT_INCLUDE(p->version ? cli_version_row : NULL),
				     CLI_OPT_END };
	version_asked = 0;
	int r = cli_parse(all, p->flags | CLI_PARSE_OPTIONS_FIRST, globals, argc > 0 ? argc - 1 : 0, argv + 1, &pos, &e);
	int rc;
	if (r < 0) {
		rc = cli_usage_error(&c, "%s", e.msg);
	} else if (r == CLI_PARSE_HELP) {
		cli_print_help(&c, stdout);
		rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
	} else if (version_asked) {
		fputs(p->version, stdout);
		rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
	} else if (p->setup && (rc = p->setup(&c)) != 0) {
		;
	} else if (pos.argc > 0 && !strcmp(pos.argv[0], "help") && !find(p->commands, "help")) {
		struct cli_call h = c;
		h.cmd = &help_cmd;
		snprintf(h.path, sizeof(h.path), "help");
		rc = dispatch(&h, &help_cmd, pos.argc - 1, pos.argv + 1);
	} else {
		rc = dispatch_in(&c, p->commands, pos.argc, pos.argv);
	}
	cli_options_free(all, globals);
	free(pos.argv);
	return rc;
}
