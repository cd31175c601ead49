/* Test helper: one fixed audit report that uses every branch of the
 * report formats (each level, evidence with and without a line or an
 * object, files, Dockerfiles, containers, characters XML and JSON must
 * escape, notices, a daemon error).  test_report.c formats it and compares
 * byte for byte with tests/fixtures/report/, which were written by the
 * formats as they were before they moved to src/lib/report/. */
#ifndef KAPSEL_TEST_AUDIT_SAMPLE_H
#define KAPSEL_TEST_AUDIT_SAMPLE_H

#include "audit/audit.h"

#include <stdlib.h>
#include <string.h>

static const struct audit_check sample_checks[] = {
	{ "1.1.1", "Ensure a separate partition for containers has been created", 1, 0, AUDIT_SEV_LOW, 0,
	  "Create a partition for /var/lib/docker.", NULL },
	{ "2.2", "Ensure network traffic is restricted <between> containers", 1, 0, AUDIT_SEV_MEDIUM, 0,
	  "Run dockerd with --icc=false & use \"links\".", NULL },
	{ "4.6", "Ensure that HEALTHCHECK instructions have been added", 1, 0, AUDIT_SEV_INFO, 0,
	  "Add a HEALTHCHECK.", NULL },
	{ "5.4", "Ensure that Linux kernel capabilities are restricted within containers", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Do not use --privileged.", NULL },
	{ "5.10", "Ensure that the memory usage for containers is limited", 1, 0, AUDIT_SEV_CRITICAL, 0,
	  "Use --memory.", NULL },
	{ "6.1", "Ensure that image sprawl is avoided", 0, 1, AUDIT_SEV_INFO, 0, "Remove unused images.", NULL },
	{ "K2.3", "No private keys or credentials in image layers", 1, 0, AUDIT_SEV_HIGH, 0,
	  "Mount secrets at run time.", NULL },
};

static struct audit_evidence sample_ev(enum audit_level l, const char *kind, const char *object, int line,
				       const char *msg)
{
	struct audit_evidence e = { l, strdup(kind), strdup(object), line, strdup(msg) };
	return e;
}

static struct audit_report *sample_report(void)
{
	struct audit_report *r = calloc(1, sizeof(*r));
	size_t n = sizeof(sample_checks) / sizeof(sample_checks[0]);
	r->results = calloc(n, sizeof(*r->results));
	r->n = n;
	r->started = 1700000000;
	r->duration_ms = 1234.5;
	r->docker_host = strdup("unix:///var/run/docker.sock");
	r->daemon_error = strdup("cannot reach the Docker daemon at unix:///var/run/docker.sock: no such socket");
	r->containers = 2;
	r->images = 1;
	r->notices = calloc(3, sizeof(char *));
	r->notices[0] = strdup("image /tmp/x.tar: manifest.json: bad \"json\" <here>");
	r->notices[1] = strdup("Dockerfile line 2: unknown instruction");
	r->nnotices = 2;
	static const struct { int level; const char *reason; double ms; } lv[] = {
		{ AUDIT_PASS, NULL, 0.25 }, { AUDIT_WARN, NULL, 1.5 }, { AUDIT_WARN, NULL, 0.125 },
		{ AUDIT_WARN, NULL, 2.0 }, { AUDIT_WARN, "no container limits memory", 0.5 },
		{ AUDIT_NOTE, "manual check: review it by hand", 0.0 }, { AUDIT_SKIP, "no --image given", 0.0 },
	};
	for (size_t i = 0; i < n; i++) {
		struct audit_result *res = &r->results[i];
		res->check = &sample_checks[i];
		res->level = lv[i].level;
		res->reason = lv[i].reason ? strdup(lv[i].reason) : NULL;
		res->ms = lv[i].ms;
		res->ev = calloc(4, sizeof(*res->ev));
		res->cap = 4;
	}
	struct audit_result *R = r->results;
	R[0].ev[R[0].nev++] = sample_ev(AUDIT_PASS, "host", "/var/lib/docker", 0, "is a separate mount");
	R[1].ev[R[1].nev++] = sample_ev(AUDIT_WARN, "daemon", "dockerd --icc", 0, "icc is enabled (default) & \"open\"");
	R[1].ev[R[1].nev++] = sample_ev(AUDIT_PASS, "daemon", "daemon.json", 0, "read");
	R[2].ev[R[2].nev++] = sample_ev(AUDIT_WARN, "dockerfile", "/src/app/Dockerfile", 3, "no HEALTHCHECK in the last stage");
	R[2].ev[R[2].nev++] = sample_ev(AUDIT_WARN, "dockerfile", "rel/Dockerfile.dev", 0, "rel/Dockerfile.dev has no HEALTHCHECK");
	R[3].ev[R[3].nev++] = sample_ev(AUDIT_WARN, "container", "web", 0, "privileged: every capability");
	R[3].ev[R[3].nev++] = sample_ev(AUDIT_WARN, "bundle", "/run/b dir/config.json", 0, "CAP_SYS_ADMIN \x01 granted");
	R[3].ev[R[3].nev++] = sample_ev(AUDIT_INFO, "container", "db", 0, "capabilities: CHOWN");
	R[3].suppressed = 1;
	R[5].ev[R[5].nev++] = sample_ev(AUDIT_INFO, "image", "busybox:1", 0, "unused for 90 days");
	return r;
}

#endif
