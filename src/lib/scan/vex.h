/* VEX statements as scan input: OpenVEX 0.2 documents and CycloneDX VEX
 * (a BOM's vulnerabilities[] with analysis), applied to a scan's findings.
 *
 * Contract.  A statement names a vulnerability id and products by purl.
 * It applies to a finding when the id is the finding's (or one of the
 * statement's aliases is) and a product purl names the finding's package:
 * the same type, namespace and name, and the same version when the
 * statement's purl has one (qualifiers are ignored: VEX documents rarely
 * carry arch and distro).  "not_affected" and "fixed" suppress the finding
 * (it stays in the report, marked, and no longer fails the run);
 * "affected" and "under_investigation" annotate it.  The statement's
 * status, justification (or impact statement, or CycloneDX detail) and
 * document are shown with the finding.  Later documents win over earlier
 * ones, later statements over earlier ones, as OpenVEX orders them. */
#ifndef KAPSEL_SCAN_VEX_H
#define KAPSEL_SCAN_VEX_H

#include "scan/inventory.h"
#include "scan/match.h"

struct kscan_vex_stmt {
	char *vuln;          /* "CVE-2024-1" */
	char **products;     /* purls, NULL-terminated */
	char *status;        /* OpenVEX words: not_affected, affected, fixed, under_investigation */
	char *justification; /* or NULL */
	char *source;        /* the document it came from */
};

struct kscan_vex {
	struct kscan_vex_stmt *v;
	size_t n;
};

/* Add the statements of one document (OpenVEX or CycloneDX JSON); FILE
 * names it in errors (EINVAL naming the statement and field). */
int kscan_vex_read(struct kscan_vex *vex, const char *buf, size_t len, const char *file, kerr *e);
void kscan_vex_done(struct kscan_vex *vex);
/* Mark RES's findings (the pointers stay valid while VEX lives). */
void kscan_vex_apply(const struct kscan_vex *vex, const struct kscan_inventory *inv, struct kscan_result *res);

#endif
