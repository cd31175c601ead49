/* Unit tests for src/cli: the option parser (every type, = and space
 * forms, clusters, --, single-dash long names, prefixes, errors, did you
 * mean), the help text and the dispatcher's exit codes. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cli.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct opts {
	int flag, tty, num;
	unsigned count;
	const char *name;
	int64_t wait, mem;
	int format;
	char **env, **checks;
	int level;
	int detach;
};

static int set_level(void *dest, const struct cli_option *o, const char *value, kerr *e)
{
	(void)o;
	if (strcmp(value, "low") && strcmp(value, "high"))
		return kerr_msg(e, 22, "--level must be low or high, not \"%s\"", value);
	((struct opts *)dest)->level = strcmp(value, "low") ? 2 : 1;
	return 0;
}

static const char *const formats[] = { "table", "json", NULL };

#define O struct opts
static const struct cli_option base[] = {
	CLI_OPT_FLAG('f', "flag", O, flag, "a flag"),
	CLI_OPT_FLAG('t', "tty", O, tty, "a terminal"),
	CLI_OPT_INT('n', "num", O, num, "N", 0, 100, "a number"),
	CLI_OPT_UINT(0, "count", O, count, "N", 0, 0, "a count"),
	CLI_OPT_STRING('b', "bundle", O, name, "DIR", "a string"),
	CLI_OPT_DURATION(0, "interval", O, wait, "DUR", 1, CLI_NO_MAX, "a duration"),
	CLI_OPT_SIZE(0, "memory", O, mem, "BYTES", "a size"),
	CLI_OPT_CHOICE(0, "format", O, format, formats, "a choice"),
	CLI_OPT_STRV('e', "env", O, env, "K=V", "a list"),
	CLI_OPT_LIST('c', "check", O, checks, "ID[,ID]", "a comma list"),
	CLI_OPT_CALLBACK(0, "level", "LEVEL", set_level, NULL, "a callback"),
	CLI_OPT_IGNORE(0, "keep", NULL, "ignored"),
	CLI_OPT_IGNORE(0, "criu", "PATH", "ignored with a value"),
	CLI_OPT_END,
};
static const struct cli_option table[] = {
	CLI_OPT_INCLUDE(base),
	CLI_OPT_FLAG('d', "detach", O, detach, "from an including table"),
	CLI_OPT_END,
};
#undef O

struct parsed {
	struct opts o;
	struct cli_args pos;
	kerr e;
	int r;
};

/* Parse the NULL-terminated words with FLAGS. */
static struct parsed *parse(unsigned flags, ...)
{
	static char *argv[32];
	int argc = 0;
	va_list ap;
	va_start(ap, flags);
	for (char *a; (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	struct parsed *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->r = cli_parse(table, flags, &p->o, argc, argv, &p->pos, &p->e);
	return p;
}

static void done(struct parsed *p)
{
	cli_options_free(table, &p->o);
	free(p->pos.argv);
	free(p);
}

static void expect_error(struct parsed *p, const char *msg)
{
	assert_int_equal(p->r, -1);
	if (!strstr(p->e.msg, msg))
		fail_msg("error \"%s\" lacks \"%s\"", p->e.msg, msg);
	assert_int_equal(p->pos.argc, 0);
	done(p);
}

#define GNU (CLI_PROG_SINGLE_DASH_LONG | CLI_PROG_ABBREV)

static void test_every_type(void **state)
{
	(void)state;
	struct parsed *p = parse(0, "--flag", "--num", "42", "--count=7", "--bundle", "/b", "--interval=1m30s",
				 "--memory", "64m", "--format", "json", "-e", "A=1", "--env=B=2", "--check", "5,1.1,,K2",
				 "-c", "6", "--level", "high", "--keep", "--criu", "/x", "-d", NULL);
	assert_int_equal(p->r, 0);
	assert_int_equal(p->o.flag, 1);
	assert_int_equal(p->o.num, 42);
	assert_int_equal(p->o.count, 7);
	assert_string_equal(p->o.name, "/b");
	assert_true(p->o.wait == 90LL * 1000000000);
	assert_true(p->o.mem == 64LL << 20);
	assert_int_equal(p->o.format, 1);
	assert_string_equal(p->o.env[0], "A=1");
	assert_string_equal(p->o.env[1], "B=2");
	assert_null(p->o.env[2]);
	const char *want[] = { "5", "1.1", "K2", "6" };
	for (int i = 0; i < 4; i++)
		assert_string_equal(p->o.checks[i], want[i]);
	assert_null(p->o.checks[4]);
	assert_int_equal(p->o.level, 2);
	assert_int_equal(p->o.detach, 1);
	assert_int_equal(p->o.tty, 0);
	assert_int_equal(p->pos.argc, 0);
	done(p);
}

static void test_flag_values(void **state)
{
	(void)state;
	/* Go's flag package (runc's and Docker's parsers) takes --flag=true|false */
	struct parsed *p = parse(0, "--flag=true", "--tty", "--tty=false", NULL);
	assert_int_equal(p->r, 0);
	assert_int_equal(p->o.flag, 1);
	assert_int_equal(p->o.tty, 0);
	done(p);
}

static void test_short_forms_and_clusters(void **state)
{
	(void)state;
	struct parsed *p = parse(0, "-tf", "-n5", "-b", "dir", "-tdbX", NULL);
	assert_int_equal(p->r, 0);
	assert_int_equal(p->o.tty, 1);
	assert_int_equal(p->o.flag, 1);
	assert_int_equal(p->o.num, 5);
	assert_int_equal(p->o.detach, 1);
	assert_string_equal(p->o.name, "X"); /* the last -b wins; its value is the rest of the word */
	done(p);
	expect_error(parse(0, "-tx", NULL), "unknown option -x (in -tx)");
	expect_error(parse(0, "-tn", NULL), "option --num needs a value (N)");
}

static void test_double_dash_ends_options(void **state)
{
	(void)state;
	struct parsed *p = parse(0, "a", "--flag", "--", "--tty", "-", NULL);
	assert_int_equal(p->r, 0);
	assert_int_equal(p->o.flag, 1);
	assert_int_equal(p->o.tty, 0);
	assert_int_equal(p->pos.argc, 3);
	assert_string_equal(p->pos.argv[0], "a");
	assert_string_equal(p->pos.argv[1], "--tty");
	assert_string_equal(p->pos.argv[2], "-"); /* a lone dash is an argument */
	assert_null(p->pos.argv[3]);
	done(p);
}

static void test_options_first(void **state)
{
	(void)state;
	/* permuted by default: options after positionals are options */
	struct parsed *p = parse(0, "id", "--flag", "9", NULL);
	assert_int_equal(p->r, 0);
	assert_int_equal(p->o.flag, 1);
	assert_int_equal(p->pos.argc, 2);
	done(p);
	/* options first: the first positional ends them */
	p = parse(CLI_PARSE_OPTIONS_FIRST, "--tty", "id", "--flag", "-e", NULL);
	assert_int_equal(p->r, 0);
	assert_int_equal(p->o.tty, 1);
	assert_int_equal(p->o.flag, 0);
	assert_int_equal(p->pos.argc, 3);
	assert_string_equal(p->pos.argv[1], "--flag");
	done(p);
}

static void test_values_that_look_like_options(void **state)
{
	(void)state;
	struct parsed *p = parse(0, "--bundle", "-", "--env", "--flag", NULL);
	assert_int_equal(p->r, 0);
	assert_string_equal(p->o.name, "-");
	assert_string_equal(p->o.env[0], "--flag");
	assert_int_equal(p->o.flag, 0);
	done(p);
}

static void test_single_dash_long(void **state)
{
	(void)state;
	/* runc's clients: -bundle DIR, -interval=5s; a one-letter word is a short option */
	struct parsed *p = parse(GNU, "-bundle", "/b", "-interval=5s", "-t", "-fd", NULL);
	assert_int_equal(p->r, 0);
	assert_string_equal(p->o.name, "/b");
	assert_true(p->o.wait == 5LL * 1000000000);
	assert_int_equal(p->o.tty, 1);
	assert_int_equal(p->o.flag, 1); /* "fd" is no long name: the flags -f -d */
	assert_int_equal(p->o.detach, 1);
	done(p);
	/* without the setting, -bundle is -b with the value "undle" */
	p = parse(0, "-bundle", NULL);
	assert_int_equal(p->r, 0);
	assert_string_equal(p->o.name, "undle");
	done(p);
	/* a long name wins over a cluster, as getopt_long_only reads it */
	p = parse(GNU, "-de", NULL);
	assert_int_equal(p->r, 0);
	assert_int_equal(p->o.detach, 1);
	assert_null(p->o.env);
	done(p);
}

static void test_prefixes(void **state)
{
	(void)state;
	struct parsed *p = parse(GNU, "--bund", "x", "--fo=json", NULL);
	assert_int_equal(p->r, 0);
	assert_string_equal(p->o.name, "x");
	assert_int_equal(p->o.format, 1);
	done(p);
	expect_error(parse(GNU, "--c", "1", NULL), "option --c is ambiguous (--count, --check, --criu)");
	p = parse(GNU, "-c", "1", "-cou=3", NULL); /* -c is the short option, -cou a prefix of --count */
	assert_int_equal(p->r, 0);
	assert_string_equal(p->o.checks[0], "1");
	assert_int_equal(p->o.count, 3);
	done(p);
	expect_error(parse(GNU, "-cr", NULL), "option --criu needs a value (PATH)");
	/* without CLI_PROG_ABBREV a prefix is unknown */
	expect_error(parse(0, "--bund", "x", NULL), "unknown option --bund; did you mean --bundle?");
}

static void test_errors(void **state)
{
	(void)state;
	expect_error(parse(0, "--bundel", "x", NULL), "unknown option --bundel; did you mean --bundle?");
	expect_error(parse(0, "--ttty", NULL), "did you mean --tty?");
	expect_error(parse(0, "--zzzzzz", NULL), "unknown option --zzzzzz");
	struct parsed *p = parse(0, "--zzzzzz", NULL);
	assert_null(strstr(p->e.msg, "did you mean"));
	done(p);
	expect_error(parse(0, "-x", NULL), "unknown option -x");
	expect_error(parse(0, "--bundle", NULL), "option --bundle needs a value (DIR)");
	expect_error(parse(0, "--flag=1", NULL), "option --flag takes no value (or =true, =false), not \"1\"");
	expect_error(parse(0, "--help=1", NULL), "option --help takes no value");
	expect_error(parse(0, "--num", "x", NULL), "--num: \"x\" is not an integer");
	expect_error(parse(0, "--num", "101", NULL), "--num must be from 0 to 100, not \"101\"");
	expect_error(parse(0, "--num", "5x", NULL), "is not an integer");
	expect_error(parse(0, "--count", "-1", NULL), "--count: \"-1\" is not an unsigned integer");
	expect_error(parse(0, "--interval", "0s", NULL), "--interval must be greater than 0, not \"0s\"");
	expect_error(parse(0, "--interval", "5", NULL), "--interval");
	expect_error(parse(0, "--memory", "lots", NULL), "--memory");
	expect_error(parse(0, "--format", "yaml", NULL), "--format must be table or json, not \"yaml\"");
	expect_error(parse(0, "--level", "mid", NULL), "--level must be low or high, not \"mid\"");
	/* the error stops parsing; what a list got so far is released by cli_options_free */
	expect_error(parse(0, "-e", "A=1", "--nope", NULL), "unknown option --nope");
}

static void test_help(void **state)
{
	(void)state;
	struct parsed *p = parse(0, "--flag", "--help", "--nope", NULL);
	assert_int_equal(p->r, CLI_PARSE_HELP);
	done(p);
	p = parse(GNU, "-h", NULL);
	assert_int_equal(p->r, CLI_PARSE_HELP);
	done(p);
	p = parse(0, "-th", NULL);
	assert_int_equal(p->r, CLI_PARSE_HELP);
	done(p);
	/* a table that has its own -h keeps it; --help still answers */
	struct { int host; } h = { 0 };
	const struct cli_option own[] = { { .type = CLI_T_FLAG, .short_name = 'h', .long_name = "host", .help = "x" },
					  CLI_OPT_END };
	char *av[] = { "-h", "--help", NULL };
	struct cli_args pos;
	kerr e;
	assert_int_equal(cli_parse(own, 0, &h, 1, av, &pos, &e), 0);
	assert_int_equal(h.host, 1);
	free(pos.argv);
	assert_int_equal(cli_parse(own, 0, &h, 1, av + 1, &pos, &e), CLI_PARSE_HELP);
	free(pos.argv);
}

static void test_suggest(void **state)
{
	(void)state;
	assert_int_equal(cli_distance("state", "state"), 0);
	assert_int_equal(cli_distance("stat", "state"), 1);
	assert_int_equal(cli_distance("exce", "exec"), 1); /* a swap is one edit */
	assert_int_equal(cli_distance("", "abc"), 3);
	assert_int_equal(cli_distance("kitten", "sitting"), 3);
	const char *cmds[] = { "create", "start", "state", "delete", "exec", "pause", "ps", "update" };
	char out[256];
	assert_int_equal(cli_suggest("stat", cmds, 8, "'%s'", out, sizeof(out)), 2);
	assert_string_equal(out, "'start' or 'state'");
	assert_int_equal(cli_suggest("delet", cmds, 8, "'%s'", out, sizeof(out)), 1);
	assert_string_equal(out, "'delete'");
	assert_int_equal(cli_suggest("upd", cmds, 8, "%s", out, sizeof(out)), 1); /* a prefix */
	assert_string_equal(out, "update");
	assert_int_equal(cli_suggest("checkpoint", cmds, 8, "%s", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(cli_suggest("exec", cmds, 8, "%s", out, sizeof(out)), 0); /* not a typo */
}

/* ---- the dispatcher ---- */

static char reported[4096];

static void report(const char *msg)
{
	size_t l = strlen(reported);
	snprintf(reported + l, sizeof(reported) - l, "%s\n", msg);
}

struct globals {
	const char *root;
};

static int ran;
static const char *ran_root;

static int kill_run(const struct cli_call *c)
{
	const struct opts *o = c->opts;
	ran = 1 + o->flag;
	ran_root = ((struct globals *)c->globals)->root;
	assert_string_equal(o->name, "."); /* from the defaults */
	return c->argc == 2 ? atoi(c->argv[1]) : 0;
}

static int check_run(const struct cli_call *c)
{
	assert_string_equal(c->path, "policy check");
	ran = 10;
	return 0;
}

static const struct cli_option kill_opts[] = { CLI_OPT_FLAG('a', "all", struct opts, flag, "all"), CLI_OPT_END };
static const struct opts kill_defaults = { .name = "." };
static const struct cli_command kill_cmd = {
	.name = "kill", .run = kill_run, .min_args = 1, .max_args = 2, .args = "ID [SIGNAL]",
	.summary = "send a signal", .description = "Long help.\n",
	CLI_CMD_OPTIONS(struct opts, kill_opts), .defaults = &kill_defaults,
};
static const struct cli_command check_cmd = { .name = "check", .run = check_run, .max_args = 0, .summary = "check" };
static const struct cli_command *const policy_cmds[] = { &check_cmd, NULL };
static const struct cli_command policy_cmd = { .name = "policy", .summary = "policy things", .subcommands = policy_cmds };
static const struct cli_command *const cmds[] = { &kill_cmd, &policy_cmd, NULL };
static const struct cli_option globals_opts[] = { CLI_OPT_STRING(0, "root", struct globals, root, "DIR", "root"),
						  CLI_OPT_END };
static const struct cli_program prog = {
	.name = "prog", .summary = "A program.", .version = "prog 1\n", .options = globals_opts, .commands = cmds,
	.flags = GNU, .report = report,
};

static int run(const char *first, ...)
{
	static char *argv[16];
	int argc = 0;
	va_list ap;
	argv[argc++] = "prog";
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	struct globals g = { .root = "/default" };
	reported[0] = '\0';
	ran = 0;
	FILE *saved = stdout, *saved_err = stderr;
	/* help and usage text: tested through cli_print_help */
	stdout = fopen("/dev/null", "w");
	stderr = fopen("/dev/null", "w");
	int rc = cli_main(&prog, &g, argc, argv);
	fclose(stdout);
	fclose(stderr);
	stdout = saved;
	stderr = saved_err;
	return rc;
}

static void test_dispatch(void **state)
{
	(void)state;
	assert_int_equal(run("--root", "/r", "kill", "x", "--all", NULL), 0);
	assert_int_equal(ran, 2);
	assert_string_equal(ran_root, "/r");
	assert_int_equal(run("-root=/r", "kill", "x", "7", NULL), 7); /* the command's code is the exit code */
	assert_int_equal(ran, 1);
	assert_int_equal(run("--root", "/r", "kill", "--help", NULL), CLI_EXIT_OK);
	assert_int_equal(ran, 0);
	assert_int_equal(run("help", "policy", "check", NULL), CLI_EXIT_OK);
	assert_int_equal(run("--version", NULL), CLI_EXIT_OK);
	assert_int_equal(run("policy", "check", NULL), 0);
	assert_int_equal(ran, 10);

	assert_int_equal(run("kill", NULL), CLI_EXIT_USAGE);
	assert_string_equal(reported, "kill: missing ID\n");
	assert_int_equal(run("kill", "a", "b", "c", NULL), CLI_EXIT_USAGE);
	assert_string_equal(reported, "kill: unexpected argument \"c\"\n");
	assert_int_equal(run("kil", "x", NULL), CLI_EXIT_USAGE);
	assert_string_equal(reported, "unknown command 'kil'; did you mean 'kill'?\n");
	assert_int_equal(run("polcy", NULL), CLI_EXIT_USAGE);
	assert_string_equal(reported, "unknown command 'polcy'; did you mean 'policy'?\n");
	assert_int_equal(run("policy", "chek", NULL), CLI_EXIT_USAGE);
	assert_string_equal(reported, "policy: unknown command 'chek'; did you mean 'check'?\n");
	assert_int_equal(run("policy", "check", "x", NULL), CLI_EXIT_USAGE);
	assert_string_equal(reported, "policy check: takes no arguments, not \"x\"\n");
	assert_int_equal(run("kill", "--al", "x", NULL), 0); /* a prefix */
	assert_int_equal(run("kill", "--alll", "x", NULL), CLI_EXIT_USAGE);
	assert_string_equal(reported, "kill: unknown option --alll; did you mean --all?\n");
	assert_int_equal(run("--rot", "/r", "kill", NULL), CLI_EXIT_USAGE);
	assert_string_equal(reported, "unknown option --rot; did you mean --root?\n");
	assert_int_equal(run(NULL), CLI_EXIT_USAGE);
	assert_string_equal(reported, "a command is required\n");
	assert_int_equal(ran, 0);
}

static char *help_of(const struct cli_command *cmd, const char *path)
{
	struct cli_call c = { .prog = &prog, .cmd = cmd };
	snprintf(c.path, sizeof(c.path), "%s", path);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	cli_print_help(&c, f);
	fclose(f);
	return buf;
}

static void test_help_text(void **state)
{
	(void)state;
	char *h = help_of(&kill_cmd, "kill");
	assert_non_null(strstr(h, "usage: prog kill [OPTIONS] ID [SIGNAL]\n"));
	assert_non_null(strstr(h, "\nSend a signal.\n"));
	assert_non_null(strstr(h, "\nLong help.\n"));
	assert_non_null(strstr(h, "  -a, --all   all\n"));
	assert_non_null(strstr(h, "  -h, --help  show this help and exit\n"));
	free(h);
	h = help_of(NULL, "");
	assert_non_null(strstr(h, "usage: prog [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"));
	assert_non_null(strstr(h, "  kill    send a signal\n"));
	assert_non_null(strstr(h, "  policy  policy things\n"));
	assert_non_null(strstr(h, "--root DIR"));
	assert_non_null(strstr(h, "-v, --version"));
	free(h);
	/* a choice shows its values, an include its rows */
	const struct cli_command c = { .name = "t", .summary = "t", CLI_CMD_OPTIONS(struct opts, table) };
	h = help_of(&c, "t");
	assert_non_null(strstr(h, "--format table|json"));
	assert_non_null(strstr(h, "-b, --bundle DIR"));
	assert_non_null(strstr(h, "-d, --detach"));
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type),
		cmocka_unit_test(test_flag_values),
		cmocka_unit_test(test_short_forms_and_clusters),
		cmocka_unit_test(test_double_dash_ends_options),
		cmocka_unit_test(test_options_first),
		cmocka_unit_test(test_values_that_look_like_options),
		cmocka_unit_test(test_single_dash_long),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_help_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
