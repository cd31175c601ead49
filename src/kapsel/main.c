/* kapsel: secure-by-default containers.
 *
 *   kapsel [--version] [--help] COMMAND [OPTIONS] ...
 */
#include "kapsel.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef KAPSEL_VERSION
#define KAPSEL_VERSION "0.1.0"
#endif

static const struct {
	const char *name;
	kapsel_cmd_fn fn;
	const char *help;
} commands[] = {
	{ "audit", cmd_audit, "audit the Docker host, its containers and images (CIS Docker Benchmark v1.6.0 and more)" },
};

int kapsel_fail(const kerr *e)
{
	fprintf(stderr, "kapsel: %s\n", e->msg);
	return KAPSEL_EXIT_ERROR;
}

int kapsel_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "kapsel %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return KAPSEL_EXIT_USAGE;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: kapsel [--version] [--help] COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'kapsel COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return KAPSEL_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--version") || !strcmp(name, "-v") || !strcmp(name, "version")) {
		printf("kapsel version %s\n", KAPSEL_VERSION);
		return 0;
	}
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "kapsel: unknown command \"%s\"\n", name);
	usage(stderr);
	return KAPSEL_EXIT_USAGE;
}
