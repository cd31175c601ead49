/* kapsel audit: the CIS Docker Benchmark v1.6.0 and kapsel's own checks,
 * run concurrently against a Docker engine (over its unix socket), the host
 * (/proc, /sys, files), image tarballs, Dockerfiles and OCI bundles.
 *
 * The library collects, checks and formats; it prints nothing.  The program
 * (src/kapsel/cmd_audit.c) parses the command line and writes the report.
 *
 *   struct audit_opts o = { .docker_host = "unix:///var/run/docker.sock" };
 *   struct audit_report *r;
 *   if (audit_run(&o, &r, &e) < 0) ...
 *   char *text = audit_format(r, AUDIT_FMT_TEXT, 0);
 *   int rc = audit_failed(r, &fail_on) ? 1 : 0;
 *   audit_report_free(r);
 */
#ifndef KAPSEL_AUDIT_H
#define KAPSEL_AUDIT_H

#include "common/err.h"

#include <stddef.h>
#include <time.h>

/* Result of a check, and of each piece of evidence. */
enum audit_level {
	AUDIT_PASS,   /* compliant */
	AUDIT_WARN,   /* not compliant: a finding */
	AUDIT_INFO,   /* facts to look at, no verdict (e.g. manual items with data) */
	AUDIT_NOTE,   /* a manual item: nothing to measure, read the benchmark */
	AUDIT_SKIP,   /* not run: no data (daemon unreachable, no input) or ignored */
};
#define AUDIT_LEVELS 5

enum audit_severity { AUDIT_SEV_INFO, AUDIT_SEV_LOW, AUDIT_SEV_MEDIUM, AUDIT_SEV_HIGH, AUDIT_SEV_CRITICAL };

/* What a check needs; a check whose data is missing is a SKIP. */
#define AUDIT_NEED_API        0x01u  /* the Docker Engine API */
#define AUDIT_NEED_IMAGEFS    0x02u  /* --image tarballs */
#define AUDIT_NEED_DOCKERFILE 0x04u  /* --dockerfile files */

struct audit_ctx;
struct audit_result;

/* One row of the check table. */
struct audit_check {
	const char *id;           /* "5.11", "K2.1" */
	const char *title;
	int scored;               /* counted in the score (CIS "Automated", kapsel checks) */
	int manual;               /* CIS "Manual": needs a person's judgement */
	enum audit_severity severity;
	unsigned needs;           /* AUDIT_NEED_* */
	const char *remediation;
	void (*run)(struct audit_ctx *ctx, struct audit_result *r);
};

struct audit_evidence {
	enum audit_level level;
	char *kind;               /* container, image, file, daemon, host, dockerfile, bundle, tarball, exec */
	char *object;             /* the container's name, the file's path, the setting ... */
	int line;                 /* line in a Dockerfile, 0 if none */
	char *message;
};

struct audit_result {
	const struct audit_check *check;
	int level;                /* enum audit_level; -1 while running: derived from the evidence */
	char *reason;             /* one line for the whole check, or NULL */
	struct audit_evidence *ev;
	size_t nev, cap;
	size_t suppressed;        /* evidence dropped by ignore rules and pragmas */
	double ms;                /* time the check took */
};

struct audit_opts {
	const char *docker_host;  /* "unix:///path" or a path; NULL: /var/run/docker.sock */
	int no_daemon;            /* do not talk to the Docker engine */
	const char *daemon_json;  /* read this daemon.json instead of the daemon's own */
	char **select;            /* NULL-terminated check ids or sections ("5", "1.1", "K3"); NULL: all */
	char **exclude;
	char **include_containers;/* name globs or "label=KEY[=VALUE]"; NULL: all */
	char **exclude_containers;
	const char *ignore_file;
	const char *audit_rules;  /* read audit rules from this file (e.g. `auditctl -l`) instead of /etc/audit */
	char **image_tars;        /* docker save / OCI layout tarballs */
	char **dockerfiles;
	char **oci_bundles;       /* bundle directories or config.json files */
	int threads;              /* 0: automatic */
};

struct audit_report {
	struct audit_result *results;
	size_t n;
	time_t started;
	double duration_ms;
	char *docker_host;
	int daemon_reachable;
	char *daemon_error;       /* why the daemon could not be used, or NULL */
	char *daemon_version;
	size_t containers, images;/* objects audited */
	char **notices;           /* problems met on the way (unreadable input ...) */
	size_t nnotices;
};

enum audit_format { AUDIT_FMT_TEXT, AUDIT_FMT_JSON, AUDIT_FMT_SARIF, AUDIT_FMT_JUNIT };
#define AUDIT_TEXT_VERBOSE 0x1u   /* text: PASS evidence too */
#define AUDIT_TEXT_COLOR   0x2u
#define AUDIT_TEXT_REMEDIATION 0x4u /* text: the remediation under each WARN */

/* What makes the audit fail (the exit code for CI). */
struct audit_fail_on {
	int never;                /* --fail-on none */
	enum audit_level level;   /* WARN, INFO or NOTE: a result at this level or worse */
	int by_severity;          /* or: a WARN of at least this severity */
	enum audit_severity severity;
};

/* The table of every check, in report order. */
const struct audit_check *audit_checks(size_t *n);
/* "5.11" -> "Container Runtime" (the section of a check id); NULL if unknown. */
const char *audit_section_title(const char *section);
const char *audit_level_name(enum audit_level l);
const char *audit_severity_name(enum audit_severity s);
int audit_parse_fail_on(const char *s, struct audit_fail_on *f);
/* 1 if PATTERN ("5", "1.1", "5.11", "K") selects check ID. */
int audit_id_matches(const char *pattern, const char *id);
/* Check the selection and the inputs before running; -1 with e filled. */
int audit_validate_opts(const struct audit_opts *o, kerr *e);

int audit_run(const struct audit_opts *o, struct audit_report **out, kerr *e);
void audit_report_free(struct audit_report *r);

/* The report in a malloc'ed string; NULL when out of memory. */
char *audit_format(const struct audit_report *r, enum audit_format fmt, unsigned flags);
int audit_failed(const struct audit_report *r, const struct audit_fail_on *f);
/* Score: PASS minus WARN over the scored checks (docker-bench's number). */
int audit_score(const struct audit_report *r);

#endif
