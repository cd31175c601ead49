/* Report writers shared by the programs that emit findings (`kapsel audit`
 * today, `kapsel scan` next): SARIF 2.1.0, JUnit XML and the JSON text
 * form of any json-c tree.
 *
 * Contract.  The writers take a small neutral model, filled by the
 * caller's adapter (audit/report_sarif.c, audit/report_junit.c), and
 * return a malloc'ed, NUL-terminated document ending in a newline, or NULL
 * when out of memory.  They print nothing and keep no state.  Output is a
 * pure function of the model: the same model gives the same bytes (key
 * order is the order documented per field; numbers are formatted as shown).
 * Strings are copied where needed; the model is not modified.  Text is
 * escaped for its format (XML: & < > " ' and control characters other than
 * tab and newline become '?'; JSON: json-c's escaping without "\/"). */
#ifndef KAPSEL_REPORT_H
#define KAPSEL_REPORT_H

#include <json-c/json.h>
#include <stddef.h>

/* ---- JSON ---- */

/* ROOT as indented JSON text ("  " per level, "key": value, "/" not
 * escaped) plus a newline; takes ROOT's reference. */
char *krep_json(json_object *root);

/* ---- SARIF 2.1.0 ---- */

enum krep_level { KREP_NONE, KREP_NOTE, KREP_WARNING, KREP_ERROR };
const char *krep_level_name(enum krep_level l);   /* "none", "note", "warning", "error" */

struct krep_rule {
	const char *id;
	const char *short_desc;      /* shortDescription.text */
	const char *help;            /* help.text, or NULL */
	enum krep_level level;       /* defaultConfiguration.level */
	const char *const *tags;     /* properties.tags, NULL-terminated; NULL: none */
	json_object *properties;     /* more properties after "tags" (borrowed), or NULL */
};

struct krep_location {
	const char *path;            /* a file: physicalLocation, an absolute path as file://, else relative */
	int line;                    /* with a path: region.startLine; 0: none */
	const char *name, *kind;     /* otherwise a logicalLocation */
};

struct krep_result {
	size_t rule;                 /* index in the rules (ruleId and ruleIndex) */
	enum krep_level level;
	const char *message;
	const struct krep_location *location;  /* NULL: none */
	const char *fingerprint_key; /* partialFingerprints {key: value}; NULL: none */
	const char *fingerprint;
};

struct krep_notice {
	enum krep_level level;
	const char *message;
};

struct krep_sarif {
	const char *tool;            /* tool.driver.name */
	const char *version;         /* driver version and semanticVersion */
	const struct krep_rule *rules;
	size_t nrules;
	const struct krep_result *results;
	size_t nresults;
	const struct krep_notice *notices;  /* invocations[0].toolExecutionNotifications */
	size_t nnotices;
};

char *krep_sarif(const struct krep_sarif *s);
/* A stable 16-hex-digit fingerprint of PARTS (NULL as ""), concatenated,
 * for partialFingerprints: code scanning de-duplicates results by it.  The
 * hash is FNV-1a 64 with the offset basis 1469598103934665603 (not the
 * standard 14695981039346656037: audit's first release shipped it, and a
 * new basis would make every stored alert look new). */
void krep_fingerprint(const char *const *parts, size_t n, char out[17]);

/* ---- JUnit XML ---- */

enum krep_status { KREP_PASSED, KREP_FAILED, KREP_SKIPPED };

struct krep_case {
	const char *classname;
	const char *name;
	double ms;                   /* time="%.3f" seconds */
	enum krep_status status;
	const char *type;            /* failure type */
	const char *message;         /* failure or skipped message */
	const char *text;            /* failure body; for a pass, system-out (NULL: none) */
};

struct krep_suite {
	const char *name;
	const struct krep_case *cases;
	size_t n;                    /* tests, failures and skipped are counted from the cases */
};

struct krep_junit {
	const char *name;
	double ms;                   /* the whole run */
	const struct krep_suite *suites;
	size_t n;
};

char *krep_junit(const struct krep_junit *j);

#endif
