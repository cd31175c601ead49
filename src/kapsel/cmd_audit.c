/* kapsel audit: the CIS Docker Benchmark v1.6.0 and kapsel's own checks.
 *
 * Exit codes: 0 no finding at the --fail-on level, 1 findings, 2 usage
 * error, 3 the audit could not run (bad input file, unknown check ...). */
#include "kapsel.h"

#include "audit/audit.h"
#include "common/fs.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void help(FILE *f)
{
	fprintf(f,
		"usage: kapsel audit [OPTIONS]\n"
		"\n"
		"Audit a Docker host, its containers (running and stopped) and images against the\n"
		"CIS Docker Benchmark v1.6.0 and kapsel's checks (K1 host hardening, K2 image\n"
		"filesystem, K3 Dockerfile lint).\n"
		"\n"
		"  -H, --host URL             Docker socket (default $DOCKER_HOST or unix:///var/run/docker.sock)\n"
		"      --no-daemon            do not talk to a Docker daemon\n"
		"      --daemon-json FILE     read this daemon.json instead of the daemon's own\n"
		"  -f, --format FMT           text (default), json, sarif or junit\n"
		"  -o, --output FILE          write the report to FILE instead of stdout\n"
		"      --fail-on LEVEL        exit 1 on: warn (default), info, note, none, or a WARN of\n"
		"                             severity low, medium, high or critical and above\n"
		"  -c, --check ID[,ID]        run only these checks or sections (5, 1.1, 5.11, K2)\n"
		"  -e, --exclude ID[,ID]      skip these checks or sections\n"
		"      --include-container P  audit only containers whose name matches glob P or label=KEY[=VALUE]\n"
		"      --exclude-container P  do not audit containers matching P\n"
		"      --ignore-file FILE     ignore rules: \"ID [OBJECT-GLOB]  # reason\" per line\n"
		"      --image TAR            audit an image tarball (docker save or OCI layout)\n"
		"      --dockerfile FILE      lint a Dockerfile\n"
		"      --oci-bundle PATH      audit an OCI bundle (directory or config.json) as a container\n"
		"      --audit-rules FILE     read audit rules from FILE (e.g. auditctl -l) instead of /etc/audit\n"
		"  -j, --threads N            threads for checks and API requests (default 4 per CPU)\n"
		"  -v, --verbose              text: show PASS evidence too\n"
		"  -r, --remediation          text: show the remediation (and severity) of each WARN\n"
		"      --color WHEN           auto (default), always or never\n"
		"      --list                 list the checks and exit\n"
		"\n"
		"Exit status: 0 nothing at the --fail-on level, 1 findings, 2 usage error, 3 error.\n");
}

static int push_list(char ***v, const char *arg)
{
	char *copy = strdup(arg), *save = NULL;
	if (!copy)
		return -1;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t n = 0;
		while (*v && (*v)[n])
			n++;
		char **nv = realloc(*v, (n + 2) * sizeof(char *));
		if (!nv)
			break;
		*v = nv;
		nv[n] = strdup(t);
		nv[n + 1] = NULL;
	}
	free(copy);
	return 0;
}

static int push_one(char ***v, const char *arg)
{
	size_t n = 0;
	while (*v && (*v)[n])
		n++;
	char **nv = realloc(*v, (n + 2) * sizeof(char *));
	if (!nv)
		return -1;
	*v = nv;
	nv[n] = strdup(arg);
	nv[n + 1] = NULL;
	return 0;
}

static void free_v(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
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

enum {
	OPT_NO_DAEMON = 256, OPT_DAEMON_JSON, OPT_FAIL_ON, OPT_INC_CONT, OPT_EXC_CONT, OPT_IGNORE, OPT_IMAGE,
	OPT_DOCKERFILE, OPT_BUNDLE, OPT_RULES, OPT_COLOR, OPT_LIST,
};

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "no-daemon", no_argument, NULL, OPT_NO_DAEMON },
		{ "daemon-json", required_argument, NULL, OPT_DAEMON_JSON },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
		{ "check", required_argument, NULL, 'c' },
		{ "exclude", required_argument, NULL, 'e' },
		{ "include-container", required_argument, NULL, OPT_INC_CONT },
		{ "exclude-container", required_argument, NULL, OPT_EXC_CONT },
		{ "ignore-file", required_argument, NULL, OPT_IGNORE },
		{ "image", required_argument, NULL, OPT_IMAGE },
		{ "dockerfile", required_argument, NULL, OPT_DOCKERFILE },
		{ "oci-bundle", required_argument, NULL, OPT_BUNDLE },
		{ "audit-rules", required_argument, NULL, OPT_RULES },
		{ "threads", required_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "remediation", no_argument, NULL, 'r' },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct audit_opts o = { 0 };
	struct audit_fail_on fail_on;
	enum audit_format fmt = AUDIT_FMT_TEXT;
	const char *output = NULL, *color = "auto";
	unsigned flags = 0;
	int c, rc = KAPSEL_EXIT_USAGE;
	audit_parse_fail_on("warn", &fail_on);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+H:f:o:c:e:j:vrh", opts, NULL)) != -1) {
		switch (c) {
		case 'H': o.docker_host = optarg; break;
		case OPT_NO_DAEMON: o.no_daemon = 1; break;
		case OPT_DAEMON_JSON: o.daemon_json = optarg; break;
		case 'f':
			if (!strcmp(optarg, "text")) fmt = AUDIT_FMT_TEXT;
			else if (!strcmp(optarg, "json")) fmt = AUDIT_FMT_JSON;
			else if (!strcmp(optarg, "sarif")) fmt = AUDIT_FMT_SARIF;
			else if (!strcmp(optarg, "junit")) fmt = AUDIT_FMT_JUNIT;
			else {
				kapsel_usage_error("audit", "--format must be text, json, sarif or junit, not \"%s\"", optarg);
				goto out;
			}
			break;
		case 'o': output = optarg; break;
		case OPT_FAIL_ON:
			if (audit_parse_fail_on(optarg, &fail_on) < 0) {
				kapsel_usage_error("audit", "--fail-on must be warn, info, note, none, low, medium, high or critical, not \"%s\"", optarg);
				goto out;
			}
			break;
		case 'c': push_list(&o.select, optarg); break;
		case 'e': push_list(&o.exclude, optarg); break;
		case OPT_INC_CONT: push_one(&o.include_containers, optarg); break;
		case OPT_EXC_CONT: push_one(&o.exclude_containers, optarg); break;
		case OPT_IGNORE: o.ignore_file = optarg; break;
		case OPT_IMAGE: push_one(&o.image_tars, optarg); break;
		case OPT_DOCKERFILE: push_one(&o.dockerfiles, optarg); break;
		case OPT_BUNDLE: push_one(&o.oci_bundles, optarg); break;
		case OPT_RULES: o.audit_rules = optarg; break;
		case 'j': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 64) {
				kapsel_usage_error("audit", "--threads must be a number from 1 to 64");
				goto out;
			}
			o.threads = (int)n;
			break;
		}
		case 'v': flags |= AUDIT_TEXT_VERBOSE; break;
		case 'r': flags |= AUDIT_TEXT_REMEDIATION; break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
				kapsel_usage_error("audit", "--color must be auto, always or never");
				goto out;
			}
			color = optarg;
			break;
		case OPT_LIST:
			list_checks();
			rc = 0;
			goto out;
		case 'h':
			help(stdout);
			rc = 0;
			goto out;
		default:
			kapsel_usage_error("audit", "unknown option %s (see kapsel audit --help)", argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		kapsel_usage_error("audit", "unexpected argument \"%s\"", argv[optind]);
		goto out;
	}
	if (!strcmp(color, "always") || (!strcmp(color, "auto") && !output && isatty(1) && !getenv("NO_COLOR")))
		flags |= AUDIT_TEXT_COLOR;

	kerr e = { 0 };
	if (audit_validate_opts(&o, &e) < 0) {
		rc = kapsel_fail(&e);
		goto out;
	}
	struct audit_report *rep = NULL;
	if (audit_run(&o, &rep, &e) < 0) {
		rc = kapsel_fail(&e);
		goto out;
	}
	if (!rep->daemon_reachable && !o.no_daemon)
		fprintf(stderr, "kapsel audit: %s; the checks that need the daemon are skipped, the others run\n",
			rep->daemon_error ? rep->daemon_error : "the Docker daemon is not reachable");
	char *text = audit_format(rep, fmt, flags);
	if (!text) {
		kerr_set(&e, 12, "format the report");
		rc = kapsel_fail(&e);
	} else if (output) {
		/* a regular file is replaced atomically; /dev/null or a pipe is written to */
		struct stat st;
		int atomic = stat(output, &st) < 0 || S_ISREG(st.st_mode);
		rc = kfs_write_file(output, text, strlen(text), 0644, atomic, &e) < 0 ? kapsel_fail(&e) : 0;
	} else {
		fputs(text, stdout);
		rc = fflush(stdout) == 0 ? 0 : KAPSEL_EXIT_ERROR;
	}
	free(text);
	if (rc == 0 && audit_failed(rep, &fail_on))
		rc = KAPSEL_EXIT_FINDINGS;
	audit_report_free(rep);
out:
	free_v(o.select);
	free_v(o.exclude);
	free_v(o.include_containers);
	free_v(o.exclude_containers);
	free_v(o.image_tars);
	free_v(o.dockerfiles);
	free_v(o.oci_bundles);
	return rc;
}
