/* kapsel audit: the CIS Docker Benchmark v1.6.0 and kapsel's own checks.
 *
 * Exit codes: 0 no finding at the --fail-on level, 1 findings, 2 usage
 * error, 3 the audit could not run (bad input file, unknown check ...). */
#include "kapsel.h"

#include "audit/audit.h"
#include "common/fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The audit could not run: exit 3 (docs/audit.md). */
static int no_verdict(const struct cli_call *c, const kerr *e)
{
	return cli_error(c, CLI_EXIT_CHECK_ERROR, "%s", e->msg);
}

static void list_checks(void)
{
	size_t n;
	const struct audit_check *t = audit_checks(&n);
	printf("%-7s %-8s %-7s %-9s %s\n", "ID", "TYPE", "SCORED", "SEVERITY", "TITLE");
	for (size_t i = 0; i < n; i++)
		printf("%-7s %-8s %-7s %-9s %s\n", t[i].id, t[i].manual ? "manual" : "auto", t[i].scored ? "yes" : "no",
		       audit_severity_name(t[i].severity), t[i].title);
}

struct audit_args {
	struct audit_opts o;
	struct audit_fail_on fail_on;
	int fail_on_given;
	int format; /* index into formats */
	const char *output;
	int color;  /* index into colors */
	int verbose, remediation, list;
};

static const char *const formats[] = { "text", "json", "sarif", "junit", NULL };
static const enum audit_format format_of[] = { AUDIT_FMT_TEXT, AUDIT_FMT_JSON, AUDIT_FMT_SARIF, AUDIT_FMT_JUNIT };
static const char *const colors[] = { "auto", "always", "never", NULL };

static int set_fail_on(void *dest, const struct cli_option *opt, const char *value, kerr *e)
{
	struct audit_args *a = dest;
	(void)opt;
	if (audit_parse_fail_on(value, &a->fail_on) < 0)
		return kerr_msg(e, EINVAL, "--fail-on must be warn, info, note, none, low, medium, high or critical, not \"%s\"",
				value);
	a->fail_on_given = 1;
	return 0;
}

#define A struct audit_args
static const struct cli_option audit_options[] = {
	CLI_OPT_STRING('H', "host", A, o.docker_host, "URL", "Docker socket (default $DOCKER_HOST or unix:///var/run/docker.sock)"),
	CLI_OPT_FLAG(0, "no-daemon", A, o.no_daemon, "do not talk to a Docker daemon"),
	CLI_OPT_STRING(0, "daemon-json", A, o.daemon_json, "FILE", "read this daemon.json instead of the daemon's own"),
	CLI_OPT_CHOICE('f', "format", A, format, formats, "report format (default text)"),
	CLI_OPT_STRING('o', "output", A, output, "FILE", "write the report to FILE instead of stdout"),
	CLI_OPT_CALLBACK(0, "fail-on", "LEVEL", set_fail_on, NULL,
			 "exit 1 on: warn (default), info, note, none, or a WARN of severity low, medium, high or critical and above"),
	CLI_OPT_LIST('c', "check", A, o.select, "ID[,ID]", "run only these checks or sections (5, 1.1, 5.11, K2)"),
	CLI_OPT_LIST('e', "exclude", A, o.exclude, "ID[,ID]", "skip these checks or sections"),
	CLI_OPT_STRV(0, "include-container", A, o.include_containers, "P",
		     "audit only containers whose name matches glob P or label=KEY[=VALUE]"),
	CLI_OPT_STRV(0, "exclude-container", A, o.exclude_containers, "P", "do not audit containers matching P"),
	CLI_OPT_STRING(0, "ignore-file", A, o.ignore_file, "FILE", "ignore rules: \"ID [OBJECT-GLOB]  # reason\" per line"),
	CLI_OPT_STRV(0, "image", A, o.image_tars, "TAR", "audit an image tarball (docker save or OCI layout)"),
	CLI_OPT_STRV(0, "dockerfile", A, o.dockerfiles, "FILE", "lint a Dockerfile"),
	CLI_OPT_STRV(0, "oci-bundle", A, o.oci_bundles, "PATH", "audit an OCI bundle (directory or config.json) as a container"),
	CLI_OPT_STRING(0, "audit-rules", A, o.audit_rules, "FILE", "read audit rules from FILE (e.g. auditctl -l) instead of /etc/audit"),
	CLI_OPT_INT('j', "threads", A, o.threads, "N", 1, 64, "threads for checks and API requests (default 4 per CPU)"),
	CLI_OPT_FLAG('v', "verbose", A, verbose, "text: show PASS evidence too"),
	CLI_OPT_FLAG('r', "remediation", A, remediation, "text: show the remediation (and severity) of each WARN"),
	CLI_OPT_CHOICE(0, "color", A, color, colors, "color in the text report (default auto)"),
	CLI_OPT_FLAG(0, "list", A, list, "list the checks and exit"),
	CLI_OPT_END,
};
#undef A

static int audit_run_cmd(const struct cli_call *c)
{
	struct audit_args *a = c->opts;
	struct audit_opts o = a->o;
	struct audit_fail_on fail_on = a->fail_on;
	enum audit_format fmt = format_of[a->format];
	const char *output = a->output, *color = colors[a->color];
	unsigned flags = (a->verbose ? AUDIT_TEXT_VERBOSE : 0) | (a->remediation ? AUDIT_TEXT_REMEDIATION : 0);
	int rc;

	if (a->list) {
		list_checks();
		return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_CHECK_ERROR;
	}
	if (!a->fail_on_given)
		audit_parse_fail_on("warn", &fail_on);
	if (!strcmp(color, "always") || (!strcmp(color, "auto") && !output && isatty(1) && !getenv("NO_COLOR")))
		flags |= AUDIT_TEXT_COLOR;

	if (!o.docker_host || !*o.docker_host)
		o.docker_host = getenv("DOCKER_HOST");
	kerr e = { 0 };
	if (audit_validate_opts(&o, &e) < 0)
		return no_verdict(c, &e);
	struct audit_report *rep = NULL;
	if (audit_run(&o, &rep, &e) < 0)
		return no_verdict(c, &e);
	if (!rep->daemon_reachable && !o.no_daemon)
		fprintf(stderr, "kapsel audit: %s; the checks that need the daemon are skipped, the others run\n",
			rep->daemon_error ? rep->daemon_error : "the Docker daemon is not reachable");
	char *text = audit_format(rep, fmt, flags);
	if (!text) {
		kerr_set(&e, 12, "format the report");
		rc = no_verdict(c, &e);
	} else if (output) {
		/* a regular file is replaced atomically; /dev/null or a pipe is written to */
		struct stat st;
		int atomic = stat(output, &st) < 0 || S_ISREG(st.st_mode);
		rc = kfs_write_file(output, text, strlen(text), 0644, atomic, &e) < 0 ? no_verdict(c, &e) : 0;
	} else {
		fputs(text, stdout);
		rc = fflush(stdout) == 0 ? 0 : CLI_EXIT_CHECK_ERROR;
	}
	free(text);
	if (rc == 0 && audit_failed(rep, &fail_on))
		rc = CLI_EXIT_FAILURE;
	audit_report_free(rep);
	return rc;
}

const struct cli_command cmd_audit = {
	.name = "audit",
	.run = audit_run_cmd,
	.min_args = 0,
	.max_args = 0,
	.summary = "audit the Docker host, its containers and images (CIS Docker Benchmark v1.6.0 and more)",
	.description = "Audits a Docker host, its containers (running and stopped) and images against the\n"
		       "CIS Docker Benchmark v1.6.0 and kapsel's checks (K1 host hardening, K2 image\n"
		       "filesystem, K3 Dockerfile lint).\n"
		       "\n"
		       "Exit status: 0 nothing at the --fail-on level, 1 findings, 2 usage error, 3 error.\n",
	CLI_CMD_OPTIONS(struct audit_args, audit_options),
};
