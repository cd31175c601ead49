/* The documents of a scan, as json-c trees: kapsel's own JSON report
 * (docs/scan.md, "schemaVersion": "kapsel-scan/1"), CycloneDX 1.5 and 1.6
 * BOMs (with vulnerabilities[] and their analysis), SPDX 2.3, and the
 * SARIF model for report/report.h.
 *
 * Contract.  Output is a pure function of the inputs: packages and
 * findings come sorted (inventory.h, match.h), bom-refs and SPDX ids are
 * derived from purls, the serial number and document namespace from the
 * content, and every timestamp is META->time (the caller takes it from
 * SOURCE_DATE_EPOCH when set).  purls follow the purl spec's deb, apk and
 * rpm types: pkg:deb/debian/bsdutils@1%3A2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12,
 * the source package as pkg:deb/debian/util-linux@2.38.1-5%2Bdeb12u3?arch=source&distro=debian-12. */
#ifndef KAPSEL_SCAN_SBOM_H
#define KAPSEL_SCAN_SBOM_H

#include "report/report.h"
#include "scan/inventory.h"
#include "scan/match.h"
#include "scan/vulndb.h"

#include <json-c/json.h>

struct kscan_meta {
	const char *target;      /* the image name, archive or directory */
	const char *target_kind; /* "image", "archive", "rootfs", "container", "sbom" */
	const char *digest;      /* the image config digest, or NULL */
	const char *tool_version;
	int64_t time; /* Unix seconds for every timestamp */
};


/* RES and DB may be NULL (an inventory only). */
json_object *kscan_doc_json(const struct kscan_meta *m, const struct kscan_inventory *inv,
			    const struct kscan_result *res, const struct kvuln_db *db);
/* SPEC "1.5" or "1.6". */
json_object *kscan_doc_cyclonedx(const struct kscan_meta *m, const struct kscan_inventory *inv,
				 const struct kscan_result *res, const struct kvuln_db *db, const char *spec);
json_object *kscan_doc_spdx(const struct kscan_meta *m, const struct kscan_inventory *inv);
/* SARIF 2.1.0 text (report.h), one rule per vulnerability id. */
char *kscan_doc_sarif(const struct kscan_meta *m, const struct kscan_inventory *inv, const struct kscan_result *res);

/* Read an SBOM (CycloneDX or SPDX JSON, as kapsel or another tool wrote
 * it) back into an inventory: packages from purls (pkg:deb, pkg:apk,
 * pkg:rpm; the source package from a kapsel property or an arch=source
 * purl), the release from the purls' distro qualifier.  FILE names it in
 * errors; EINVAL when it has no OS packages. */
int kscan_sbom_read(const char *buf, size_t len, const char *file, struct kscan_inventory *out, kerr *e);

#endif
