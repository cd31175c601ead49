/* The command-line layer of kapsel-runtime and kapsel (not part of
 * libkapsel): one table of commands per program, one table of options per
 * command, and from those tables the parser, `--help`, the usage text,
 * "did you mean" and one usage-error path.  docs/cli.md describes what a
 * user sees; this header is the contract for a program that uses it.
 *
 * Options are data.  A command declares the struct its options fill and a
 * static table whose rows say where each value goes (offsetof, checked
 * against the member's type at compile time):
 *
 *   struct kill_args { int all; };
 *   static const struct cli_option kill_options[] = {
 *           CLI_OPT_FLAG('a', "all", struct kill_args, all, "signal every process"),
 *           CLI_OPT_END,
 *   };
 *   const struct cli_command cmd_kill = {
 *           .name = "kill", .run = kill_run, .min_args = 1, .max_args = 2,
 *           .args = "ID [SIGNAL]", .summary = "send a signal to a container",
 *           CLI_CMD_OPTIONS(struct kill_args, kill_options),
 *   };
 *
 * The dispatcher allocates the struct (from .defaults, else zeroes),
 * parses into it, checks the arity and calls .run; string values point
 * into argv, string lists are copies the dispatcher frees after .run.
 *
 * Parsing: `--name value` and `--name=value` (a flag: `--name`, or
 * `--name=true|false` as Go's flag package reads it); `-x value`, `-xvalue` and
 * clusters of short flags (`-it`); `--` ends the options; a unique prefix
 * of a long name is accepted (as getopt does) when the program sets
 * CLI_PROG_ABBREV; with CLI_PROG_SINGLE_DASH_LONG a single dash also
 * introduces a long name (`-bundle DIR`, as runc's clients write it; a
 * word that is no long name is read as a cluster of short flags).
 * Options may follow positional arguments unless the command sets
 * CLI_CMD_OPTIONS_FIRST (then the first positional ends the options, for
 * commands that pass the rest on: `exec ID CMD ARGS`).  Global options
 * come before the command.  Every command and the program answer
 * `--help` (and `-h` unless the table uses it) on stdout, exit 0. */
#ifndef KAPSEL_CLI_H
#define KAPSEL_CLI_H

#include "common/err.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes: one convention for every program (docs/cli.md). */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILURE 1     /* the operation failed, or a check found what it checks for */
#define CLI_EXIT_USAGE 2       /* bad command line: nothing was done */
#define CLI_EXIT_CHECK_ERROR 3 /* a check command could not reach a verdict */

enum cli_type {
	CLI_T_END,
	CLI_T_FLAG,     /* int = 1; takes no value, or =true / =false */
	CLI_T_STRING,   /* const char * into argv */
	CLI_T_INT,      /* int, decimal; range [min, max] when min < max */
	CLI_T_UINT,     /* unsigned, decimal, no sign */
	CLI_T_DURATION, /* int64_t nanoseconds, Go syntax ("5s", "1m30s") */
	CLI_T_SIZE,     /* int64_t bytes, docker's syntax ("64m", "-1") */
	CLI_T_CHOICE,   /* int: index into .data, a NULL-terminated list of names */
	CLI_T_STRV,     /* char **, NULL-terminated, one copy per occurrence */
	CLI_T_CALLBACK, /* .cb(dest, option, value, e); takes a value iff .arg */
	CLI_T_INCLUDE,  /* the rows of another table (.data), same struct */
};

#define CLI_OPT_IGNORED 0x1u      /* accepted (and its value read) for compatibility; no effect */
#define CLI_OPT_SPLIT_COMMAS 0x2u /* CLI_T_STRV: "a,b" adds a and b */

struct cli_option {
	enum cli_type type;
	char short_name;       /* 0: none */
	const char *long_name; /* NULL: none */
	size_t offset;         /* of the value in the command's struct */
	const char *arg;       /* the value's name in help ("DIR"); NULL: a flag */
	const char *help;
	const void *data;      /* CLI_T_CHOICE names, CLI_T_INCLUDE table, callback data */
	long long min, max;    /* numeric range, used when min < max */
	int (*cb)(void *dest, const struct cli_option *o, const char *value, kerr *e);
	unsigned flags;
};

/* Compile-time check that member M of T has type TY (0 when it has). */
#define CLI_TYPE_IS(T, m, TY) (0 * sizeof(char[__builtin_types_compatible_p(__typeof__(((T *)0)->m), TY) ? 1 : -1]))
#define CLI_AT(T, m, TY) (offsetof(T, m) + CLI_TYPE_IS(T, m, TY))

#define CLI_OPT_FLAG(s, l, T, m, h) \
	{ .type = CLI_T_FLAG, .short_name = (s), .long_name = (l), .offset = CLI_AT(T, m, int), .help = (h) }
#define CLI_OPT_STRING(s, l, T, m, a, h) \
	{ .type = CLI_T_STRING, .short_name = (s), .long_name = (l), .offset = CLI_AT(T, m, const char *), .arg = (a), .help = (h) }
#define CLI_OPT_INT(s, l, T, m, a, lo, hi, h)                                                                         \
	{ .type = CLI_T_INT, .short_name = (s), .long_name = (l), .offset = CLI_AT(T, m, int), .arg = (a), .help = (h), \
	  .min = (lo), .max = (hi) }
#define CLI_OPT_UINT(s, l, T, m, a, lo, hi, h)                                                                              \
	{ .type = CLI_T_UINT, .short_name = (s), .long_name = (l), .offset = CLI_AT(T, m, unsigned), .arg = (a), .help = (h), \
	  .min = (lo), .max = (hi) }
#define CLI_OPT_DURATION(s, l, T, m, a, lo, hi, h)                                                                        \
	{ .type = CLI_T_DURATION, .short_name = (s), .long_name = (l), .offset = CLI_AT(T, m, int64_t), .arg = (a), \
	  .help = (h), .min = (lo), .max = (hi) }
#define CLI_OPT_SIZE(s, l, T, m, a, h) \
	{ .type = CLI_T_SIZE, .short_name = (s), .long_name = (l), .offset = CLI_AT(T, m, int64_t), .arg = (a), .help = (h) }
/* NAMES: a NULL-terminated array; the help shows them as "a|b|c". */
#define CLI_OPT_CHOICE(s, l, T, m, names, h) \
	{ .type = CLI_T_CHOICE, .short_name = (s), .long_name = (l), .offset = CLI_AT(T, m, int), .help = (h), .data = (names) }
#define CLI_OPT_STRV(s, l, T, m, a, h) \
	{ .type = CLI_T_STRV, .short_name = (s), .long_name = (l), .offset = CLI_AT(T, m, char **), .arg = (a), .help = (h) }
#define CLI_OPT_LIST(s, l, T, m, a, h)                                                                                  \
	{ .type = CLI_T_STRV, .short_name = (s), .long_name = (l), .offset = CLI_AT(T, m, char **), .arg = (a), .help = (h), \
	  .flags = CLI_OPT_SPLIT_COMMAS }
#define CLI_OPT_CALLBACK(s, l, a, fn, d, h) \
	{ .type = CLI_T_CALLBACK, .short_name = (s), .long_name = (l), .arg = (a), .help = (h), .cb = (fn), .data = (d) }
/* Accepted and ignored (a flag when A is NULL, else its value is read). */
#define CLI_OPT_IGNORE(s, l, a, h)                                                                               \
	{ .type = (a) ? CLI_T_STRING : CLI_T_FLAG, .short_name = (s), .long_name = (l), .arg = (a), .help = (h), \
	  .flags = CLI_OPT_IGNORED }
#define CLI_OPT_INCLUDE(table) { .type = CLI_T_INCLUDE, .data = (table) }
#define CLI_OPT_END { .type = CLI_T_END }

#define CLI_NO_MAX LLONG_MAX

/* Parser settings (a program's flags apply to all its commands). */
#define CLI_PROG_SINGLE_DASH_LONG 0x1u /* -name is --name */
#define CLI_PROG_ABBREV 0x2u           /* a unique prefix of a long name is that name */
#define CLI_PARSE_OPTIONS_FIRST 0x4u   /* the first positional ends the options */

/* Positional arguments, in order; argv is NULL-terminated, owned by the
 * caller (free(argv) only: the strings are the parsed argv's). */
struct cli_args {
	int argc;
	char **argv;
};

#define CLI_PARSE_HELP 1

/* Parse ARGV[0..ARGC) against OPTS into DEST (FLAGS: CLI_PROG_* and
 * CLI_PARSE_*).  Returns 0, CLI_PARSE_HELP when --help (or -h) was given
 * (parsing stops there), or -1 with *E naming the option: unknown (with a
 * "did you mean"), ambiguous, missing or unexpected value, bad value.
 * On -1 *POS is empty and what DEST holds must still be released with
 * cli_options_free. */
int cli_parse(const struct cli_option *opts, unsigned flags, void *dest, int argc, char **argv, struct cli_args *pos,
	      kerr *e);
/* Free what parsing allocated in DEST (the CLI_T_STRV lists). */
void cli_options_free(const struct cli_option *opts, void *dest);

/* ---- commands and programs ---- */

struct cli_call;

#define CLI_CMD_OPTIONS_FIRST CLI_PARSE_OPTIONS_FIRST

struct cli_command {
	const char *name;
	int (*run)(const struct cli_call *c); /* returns the exit code */
	int min_args, max_args;                 /* positionals; max -1: no limit */
	const char *args;                       /* their names for the synopsis: "ID [SIGNAL]" */
	const char *summary;                    /* one line for the command list */
	const char *description;                /* NULL or paragraphs for --help */
	const struct cli_option *options;       /* NULL: none */
	const struct cli_option *(*options_fn)(void); /* a table built at run time (used when !options) */
	size_t opts_size;                       /* the struct the options fill */
	const void *defaults;                   /* its initial value; NULL: zeroes */
	unsigned flags;                         /* CLI_CMD_OPTIONS_FIRST */
	const struct cli_command *const *subcommands; /* NULL-terminated; then .run is unused */
};

#define CLI_CMD_OPTIONS(T, table) .options = (table), .opts_size = sizeof(T)

struct cli_program {
	const char *name;
	const char *summary;
	const char *description;              /* NULL or paragraphs for --help */
	const char *version;                  /* the text --version (-v) prints */
	const struct cli_option *options;     /* global options, into the globals */
	const struct cli_command *const *commands; /* NULL-terminated */
	unsigned flags;                       /* CLI_PROG_* */
	/* after the global options, before the command's: e.g. open the log.
	 * Non-zero is the exit code. */
	int (*setup)(const struct cli_call *c);
	/* where error messages go; NULL: stderr as "NAME: MSG" */
	void (*report)(const char *msg);
};

/* What a command's .run gets. */
struct cli_call {
	const struct cli_program *prog;
	const struct cli_command *cmd; /* NULL at the program level */
	char path[128];                /* "kill", "policy explain" */
	void *globals;                 /* the program's global options (may be NULL) */
	void *opts;                    /* this command's options */
	int argc;                      /* positional arguments */
	char **argv;
};

/* Parse the global options, run SETUP, dispatch to the command (or the
 * built-in `help [COMMAND...]`) and return the exit code. */
int cli_main(const struct cli_program *p, void *globals, int argc, char **argv);

/* The one usage-error path: "PROG: PATH: MSG" through the program's
 * report, then the usage line and a hint on stderr.  Returns
 * CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report MSG through the program's report and return CODE. */
int cli_error(const struct cli_call *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The help of a command (or of the program when C->cmd is NULL). */
void cli_print_help(const struct cli_call *c, FILE *f);

/* ---- did you mean ---- */

/* The candidates closest to WORD (edit distance with transpositions,
 * small relative to the length, or WORD a prefix of one), each printed
 * with FMT (one %s: "'%s'", "--%s") and joined with " or " into OUT.
 * Returns the number suggested (0: none). */
int cli_suggest(const char *word, const char *const *candidates, size_t n, const char *fmt, char *out, size_t outlen);
/* Optimal string alignment distance (Levenshtein plus adjacent swaps). */
size_t cli_distance(const char *a, const char *b);

#endif
