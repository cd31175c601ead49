/* --help and the usage line, made from the same tables the parser reads. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

const struct cli_option *cli_command_options(const struct cli_command *c)
{
	return c->options ? c->options : c->options_fn ? c->options_fn() : NULL;
}

/* "-b, --bundle DIR" */
static void left(const struct cli_option *o, char *buf, size_t len)
{
	char arg[256] = "";
	if (o->type == CLI_T_CHOICE) {
		size_t l = 0;
		for (const char *const *n = o->data; *n; n++) {
			int w = snprintf(arg + l, sizeof(arg) - l, "%s%s", n == o->data ? " " : "|", *n);
			if (w > 0 && (size_t)w < sizeof(arg) - l)
				l += (size_t)w;
		}
	} else if (o->arg) {
		snprintf(arg, sizeof(arg), " %s", o->arg);
	}
	if (o->short_name && o->long_name)
		snprintf(buf, len, "-%c, --%s%s", o->short_name, o->long_name, arg);
	else if (o->long_name)
		snprintf(buf, len, "    --%s%s", o->long_name, arg);
	else
		snprintf(buf, len, "-%c%s", o->short_name, arg);
}

static void print_options(FILE *f, const char *title, const struct cli_option *opts)
{
	const struct cli_option **rows = cli_flatten(opts);
	size_t width = 0;
	if (!rows)
		return;
	char buf[320];
	for (size_t i = 0; rows[i]; i++) {
		left(rows[i], buf, sizeof(buf));
		if (strlen(buf) > width)
			width = strlen(buf);
	}
	if (width > 30)
		width = 30;
	fprintf(f, "\n%s:\n", title);
	for (size_t i = 0; rows[i]; i++) {
		left(rows[i], buf, sizeof(buf));
		if (strlen(buf) > width)
			fprintf(f, "  %s\n  %-*s  %s\n", buf, (int)width, "", rows[i]->help ? rows[i]->help : "");
		else
			fprintf(f, "  %-*s  %s\n", (int)width, buf, rows[i]->help ? rows[i]->help : "");
	}
	free(rows);
}

static void print_commands(FILE *f, const char *title, const struct cli_command *const *cmds)
{
	size_t width = 4;
	for (size_t i = 0; cmds[i]; i++)
		if (strlen(cmds[i]->name) > width)
			width = strlen(cmds[i]->name);
	fprintf(f, "\n%s:\n", title);
	for (size_t i = 0; cmds[i]; i++)
		fprintf(f, "  %-*s  %s\n", (int)width, cmds[i]->name, cmds[i]->summary);
}

static void usage_line(const struct cli_call *c, FILE *f)
{
	const struct cli_command *cmd = c->cmd;
	if (!cmd) {
		fprintf(f, "usage: %s [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n", c->prog->name);
		return;
	}
	fprintf(f, "usage: %s %s [OPTIONS]%s%s\n", c->prog->name, c->path, cmd->subcommands ? " COMMAND ..." : cmd->args ? " " : "",
		cmd->subcommands ? "" : cmd->args ? cmd->args : "");
}

void cli_print_help(const struct cli_call *c, FILE *f)
{
	const struct cli_command *cmd = c->cmd;
	usage_line(c, f);
	if (!cmd) {
		fprintf(f, "\n%s\n", c->prog->summary);
		if (c->prog->description)
			fprintf(f, "\n%s", c->prog->description);
		print_commands(f, "Commands", c->prog->commands);
		struct cli_option all[3] = { CLI_OPT_INCLUDE(c->prog->options),
					     CLI_OPT_INCLUDE(c->prog->version ? cli_version_row : NULL), CLI_OPT_END };
		print_options(f, "Global options", all);
		fprintf(f, "\n'%s COMMAND --help' describes a command.\n", c->prog->name);
		return;
	}
	fprintf(f, "\n%c%s.\n", cmd->summary[0] >= 'a' && cmd->summary[0] <= 'z' ? cmd->summary[0] - 'a' + 'A' : cmd->summary[0],
		cmd->summary + 1);
	if (cmd->description)
		fprintf(f, "\n%s", cmd->description);
	if (cmd->subcommands) {
		print_commands(f, "Commands", cmd->subcommands);
		fprintf(f, "\n'%s %s COMMAND --help' describes a command.\n", c->prog->name, c->path);
		return;
	}
	print_options(f, "Options", cli_command_options(cmd));
	if (c->prog->options)
		fprintf(f, "\nGlobal options go before the command: see '%s --help'.\n", c->prog->name);
}

/* On stderr after a usage error: the usage line and where to read more. */
void cli_print_usage_hint(const struct cli_call *c, FILE *f)
{
	usage_line(c, f);
	if (c->cmd)
		fprintf(f, "Try '%s %s --help' for more information.\n", c->prog->name, c->path);
	else
		fprintf(f, "Try '%s --help' for more information.\n", c->prog->name);
}
