/* Matching an inventory against the vulnerability index.
 *
 * Contract.  For each installed package the records of its release and
 * its *source* package are read (Debian's data speaks of util-linux, not
 * bsdutils) and the package's source version is compared with the
 * ecosystem's own comparator (version.h): a binary epoch the source lacks
 * never hides a fix.  Per vulnerability the Debian tracker's records win
 * over OSV's for a Debian release (they carry the states); otherwise every
 * OSV range is tried.  The verdict of each (package, vulnerability):
 *
 *   affected      the state says so: fixed (installed < fixed_version: the
 *                 fix exists and is not installed), open, no-dsa,
 *                 postponed, ignored, undetermined, end-of-life
 *   resolved      fixed, and the installed version is the fix or newer
 *   not-affected  fixed_version "0", or below an OSV range's introduced
 *
 * Only "affected" verdicts are findings; KSCAN_MATCH_ALL keeps the others
 * too (for --explain).  A finding is actionable when a fixed version
 * exists that is not installed.  The severity is normalised once, never
 * shifted: Debian's urgency word (unimportant -> negligible, low, medium,
 * high; "not yet assigned" and end-of-life -> unknown), else the CVSS 3.x
 * base score of OSV's vector (0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high,
 * 9.0-10 critical), else unknown. */
#ifndef KAPSEL_SCAN_MATCH_H
#define KAPSEL_SCAN_MATCH_H

#include "scan/inventory.h"
#include "scan/vulndb.h"

struct kscan_vex_stmt;

enum kscan_severity { KSEV_UNKNOWN, KSEV_NEGLIGIBLE, KSEV_LOW, KSEV_MEDIUM, KSEV_HIGH, KSEV_CRITICAL };
KAPSEL_DECLARE_NAME_TABLE(kscan_severity, enum kscan_severity); /* "unknown", "negligible", "low", ... */

enum kscan_verdict { KSCAN_AFFECTED, KSCAN_RESOLVED, KSCAN_NOT_AFFECTED };
KAPSEL_DECLARE_NAME_TABLE(kscan_verdict, enum kscan_verdict);

struct kscan_finding {
	size_t pkg; /* index into the inventory's packages */
	enum kscan_verdict verdict;
	struct kvuln_rec rec; /* the record that decided (strings in the index map) */
	enum kscan_severity severity;
	double cvss_score;                /* from OSV's CVSS 3.x vector, else 0 */
	int actionable;                   /* a fixed version exists and is not installed */
	char *rule;                       /* one line: how the verdict was reached */
	const struct kscan_vex_stmt *vex; /* the VEX statement that applies (vex.h), or NULL */
	int suppressed;                   /* VEX says not_affected or fixed: reported, never fails the run */
};

struct kscan_result {
	char *release;           /* "debian:12" */
	struct kscan_finding *v; /* by package, then vulnerability id */
	size_t n;
	size_t by_state[KVULN_STATE_MAX]; /* findings (affected) per state */
	size_t actionable;
	size_t suppressed; /* by VEX (counted in by_state and actionable too) */
};

#define KSCAN_MATCH_ALL 0x1u /* keep resolved and not-affected verdicts too */

/* ONLY_ID (may be NULL): match this vulnerability only (--explain). */
int kscan_match(const struct kscan_inventory *inv, const struct kvuln_db *db, unsigned flags, const char *only_id,
		struct kscan_result *out, kerr *e);
void kscan_result_done(struct kscan_result *r);

/* The normalised severity of Debian's urgency word (trailing '*' dropped). */
enum kscan_severity kscan_severity_of_urgency(const char *urgency);
/* The CVSS 3.x base score of VECTOR ("CVSS:3.1/AV:N/..."), -1 when it is
 * not a complete 3.x vector. */
double kscan_cvss3_score(const char *vector);
enum kscan_severity kscan_severity_of_score(double score);

#endif
