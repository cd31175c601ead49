/* The hardening policy kapsel-runtime enforces on every container,
 * whichever client created it.
 *
 * Levels are named as Kubernetes' Pod Security Standards: privileged (no
 * checks), baseline (no known privilege escalation), restricted (the full
 * hardening checklist).  Each level can be enforced (refuse), warned
 * (run, warn on the runtime log) or audited (run, record), as in
 * Kubernetes.  The action says what happens to a rule that fails:
 * "refuse" refuses it; "fix" (the default) first fills in the protections
 * an enforced baseline rule finds missing and that nothing a client asked
 * for depends on (a seccomp filter, a masked /proc, a read-only cgroupfs
 * and sysfs), as Kubernetes' SeccompDefault does, and refuses the rest;
 * "harden" fills in every safe default up to the warned level.  Every decision is
 * one JSON line in the decision log. */
#ifndef KAPSEL_POLICY_H
#define KAPSEL_POLICY_H

#include "common/names.h"
#include "common/err.h"

#include <json-c/json.h>
#include <stddef.h>

enum kpol_level { KPOL_PRIVILEGED, KPOL_BASELINE, KPOL_RESTRICTED };
enum kpol_action { KPOL_REFUSE, KPOL_HARDEN, KPOL_FIX };
enum kpol_syslog { KPOL_SYSLOG_NO, KPOL_SYSLOG_YES, KPOL_SYSLOG_REQUIRED };

#define KPOL_DEFAULT_FILE "/etc/kapsel/policy.conf"
#define KPOL_MAX_PATTERNS 64
#define KPOL_MAX_RULES 64

struct kpolicy {
	char *file;                     /* where it came from ("built-in" if none) */
	enum kpol_level enforce, warn, audit;
	enum kpol_action action;
	char *log;                      /* decision log file, NULL: none */
	enum kpol_syslog syslog;
	enum kpol_level min_level;      /* lowest level an annotation may ask for */
	int allow_annotation;
	char *exempt_image[KPOL_MAX_PATTERNS];
	char *exempt_name[KPOL_MAX_PATTERNS];
	char *exempt_namespace[KPOL_MAX_PATTERNS];
	size_t n_image, n_name, n_namespace;
	char *disabled[KPOL_MAX_RULES]; /* rule ids switched off */
	size_t n_disabled;
	/* harden defaults */
	long long harden_memory;        /* bytes */
	long long harden_pids;
	long long harden_cpu_quota, harden_cpu_period;
	unsigned long long harden_nofile, harden_nproc;
	long long harden_userns_base;   /* map root to this host uid (0: never) */
	long long harden_userns_size;
	/* [scan] refuse_on: refuse a container whose io.kapsel.scan.worst
	 * annotation (the verdict kapsel run hands over) is at or above this
	 * severity (enum kpol_severity); -1: none (rule S1 passes) */
	int scan_refuse_on;
	/* host facts the caller sets after load (the policy reads no host) */
	const char *apparmor_default;   /* the profile a config without one gets
					 * (kapsel-default), NULL: the host has no AppArmor */
	int oom_score_adj_floor;        /* the runtime's own oom_score_adj (/proc/self): B17
					 * lets a container go as low as it, not lower (0: none) */
};

/* The severities of `kapsel scan`, lowest first (its words: the
 * io.kapsel.scan.worst annotation holds one, or "none"). */
enum kpol_severity { KPOL_SEV_UNKNOWN, KPOL_SEV_NEGLIGIBLE, KPOL_SEV_LOW, KPOL_SEV_MEDIUM, KPOL_SEV_HIGH, KPOL_SEV_CRITICAL };
KAPSEL_DECLARE_NAME_TABLE(kpol_severity, enum kpol_severity);

/* The annotations of the scan verdict (written by kapsel run/create,
 * never copied from an image's labels: io.kapsel.* is reserved). */
#define KPOL_ANN_SCAN_WORST "io.kapsel.scan.worst"       /* a severity, or "none" */
#define KPOL_ANN_SCAN_FINDINGS "io.kapsel.scan.findings" /* the worst ones, "; "-separated */
#define KPOL_ANN_SCAN_ACTIONABLE "io.kapsel.scan.actionable"
#define KPOL_ANN_SCAN_INDEX "io.kapsel.scan.index"

const char *kpol_level_name(enum kpol_level l);
int kpol_level_parse(const char *s, enum kpol_level *out);
const char *kpol_action_name(enum kpol_action a);
/* the generated lookups behind them (common/names.h) */
KAPSEL_DECLARE_NAME_TABLE(kpol_level, enum kpol_level);
KAPSEL_DECLARE_NAME_TABLE(kpol_action, enum kpol_action);

/* The built-in policy (used when no policy file exists). */
void kpolicy_default(struct kpolicy *p);
/* Parse TEXT of FILE; errors name the file, the line and the reason. */
int kpolicy_parse(const char *file, const char *text, struct kpolicy *p, kerr *e);
/* Load the policy: PATH, else (NULL or "") /etc/kapsel/policy.conf; the
 * built-in default when the default path does not exist (a named file that
 * is missing is an error).  The library reads no environment: a program
 * that honours $KAPSEL_POLICY passes it as PATH. */
int kpolicy_load(const char *path, struct kpolicy *p, kerr *e);
void kpolicy_free(struct kpolicy *p);

/* ---- rules ---- */

struct kpol_rule {
	const char *id;          /* "B4" */
	const char *slug;        /* "host-network" */
	enum kpol_level level;   /* the lowest level that checks it */
	const char *title;
	const char *cis;         /* CIS Docker Benchmark item, "" if none */
	const char *remediation;
	/* fills EVIDENCE and returns 1 when the config breaks the rule */
	int (*check)(json_object *spec, char *evidence, size_t n);
	/* makes the config comply when it safely can; 0 done, -1 not fixable */
	int (*fix)(json_object *spec, const struct kpolicy *p, char *change, size_t n);
	/* the fix only adds a protection the config left out, taking nothing
	 * away that a client asked for: the "fix" action applies it */
	int fill_in;
	/* instead of CHECK, for a rule that depends on the host facts in the
	 * policy (AppArmor): fills EVIDENCE and returns 1 when broken */
	int (*check_host)(json_object *spec, const struct kpolicy *p, char *evidence, size_t n);
};

const struct kpol_rule *kpol_rules(size_t *n);
const struct kpol_rule *kpol_rule_find(const char *id);
/* Run R's check on SPEC under policy P (the one way to call a check). */
int kpol_rule_check(const struct kpol_rule *r, const struct kpolicy *p, json_object *spec, char *evidence, size_t n);

/* ---- decisions ---- */

struct kpol_finding {
	const struct kpol_rule *rule;
	char evidence[256];
};

enum kpol_verdict { KPOL_ALLOW, KPOL_ALLOW_WARN, KPOL_HARDENED, KPOL_DENY };

struct kpol_decision {
	enum kpol_level level;            /* the enforced level after exemptions/overrides */
	const char *level_reason;         /* "policy", "exempt image ...", "annotation" */
	char reason_buf[256];
	enum kpol_verdict verdict;
	struct kpol_finding findings[KPOL_MAX_RULES]; /* every failed rule, up to the audit level */
	size_t n_findings;
	char changes[KPOL_MAX_RULES][160];             /* what harden did */
	size_t n_changes;
	int modified;                     /* the spec was changed (harden) */
	int exempt;                       /* an [exempt] pattern matched */
	char exempt_hint[256];            /* after a change: how to run the container unchanged */
};

/* Decide on SPEC (a config.json tree, changed in place by harden) for
 * container ID. */
int kpolicy_decide(const struct kpolicy *p, const char *id, json_object *spec, struct kpol_decision *d, kerr *e);
/* One readable message for a refusal (what the client shows). */
void kpolicy_refusal(const struct kpolicy *p, const struct kpol_decision *d, char *buf, size_t n);
/* Write the decision as one JSON line to the log file and to syslog. */
int kpolicy_log(const struct kpolicy *p, const struct kpol_decision *d, const char *id, const char *bundle,
		json_object *spec, kerr *e);
/* decide, log, and refuse: -1 with EPERM and the refusal message when the
 * verdict is deny, -1 when the decision cannot be made or logged, else 0
 * with D filled (SPEC changed in place where a fix applied). */
int kpolicy_enforce(const struct kpolicy *p, const char *id, const char *bundle, json_object *spec,
		    struct kpol_decision *d, kerr *e);

#endif
