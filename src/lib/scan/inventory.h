/* The package inventory of an image or a root filesystem: which
 * distribution it is, which packages are installed (name, version, source
 * package and source version, architecture), the layer that put each one
 * there, and the setuid, setgid and file-capability files of each.
 *
 * Contract.  kscan_inventory_image() streams the image's layers through
 * the image reader (image/image.h) once and keeps only what it needs: the
 * package databases (var/lib/dpkg/status, var/lib/dpkg/status.d/ of
 * distroless images, var/lib/dpkg/info/<pkg>.list, lib/apk/db/installed,
 * rpmdb.sqlite, Packages, Packages.db), os-release, and the tar headers of setuid, setgid and
 * security.capability files.  Nothing is written to disk: an rpmdb.sqlite
 * is opened in memory (sqlite3_deserialize).  Whiteouts and opaque
 * directories of upper layers remove what they hide, so a package an
 * upper layer removed (dpkg's status rewritten, a status.d file whited
 * out) is not in the inventory, and a setuid file deleted or replaced by
 * an upper layer is not reported.  kscan_inventory_root() reads the same
 * files from a directory (every open under the root, symlinks resolved
 * inside it: openat2 RESOLVE_IN_ROOT) and stats the files the package
 * databases list to find the setuid ones.
 *
 * Errors: no package database at all is ENOPKG ("no package database"),
 * never an empty inventory; a malformed database is EINVAL naming the
 * file, the line (or page) and the field. */
#ifndef KAPSEL_SCAN_INVENTORY_H
#define KAPSEL_SCAN_INVENTORY_H

#include "common/err.h"
#include "common/names.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum kscan_eco { KSCAN_DEB, KSCAN_APK, KSCAN_RPM };
KAPSEL_DECLARE_NAME_TABLE(kscan_eco, enum kscan_eco); /* "deb", "apk", "rpm" */

#define KSCAN_NO_LAYER ((size_t)-1)

/* A setuid, setgid or file-capability file. */
struct kscan_file {
	char *path;    /* "usr/bin/su" */
	unsigned mode; /* as stored (S_IFREG | permission bits) */
	uid_t uid;
	gid_t gid;
	char *caps;   /* the capabilities ("cap_net_raw=ep"), or NULL */
	size_t layer; /* where it came from, or KSCAN_NO_LAYER */
};

struct kscan_pkg {
	enum kscan_eco eco;
	char *name;
	char *version;        /* as the database has it: "1:2.38.1-5+deb12u3" */
	char *source;         /* the source package (deb Source, apk origin, rpm SOURCERPM name) */
	char *source_version; /* deb: Source's "(version)", else the version without a binNMU "+bN" */
	char *arch;
	size_t layer;             /* the layer that installed this version, or KSCAN_NO_LAYER */
	struct kscan_file *files; /* its setuid/setgid/capability files, by path */
	size_t nfiles;
};

struct kscan_layer_info {
	char *diff_id;    /* or NULL */
	char *created_by; /* or NULL */
};

struct kscan_inventory {
	char *os_id;            /* os-release ID ("debian"), or NULL */
	char *os_version_id;    /* VERSION_ID ("12"), or NULL */
	char *os_codename;      /* VERSION_CODENAME ("bookworm"), or NULL */
	char *os_pretty;        /* PRETTY_NAME, or NULL */
	enum kscan_eco eco;     /* the database found */
	char *db;               /* its path ("var/lib/dpkg/status") */
	struct kscan_pkg *pkgs; /* sorted by name, then arch */
	size_t npkgs;
	struct kscan_file *unowned; /* special files no package lists, by path */
	size_t nunowned;
	struct kscan_layer_info *layers;
	size_t nlayers;
};

/* IMAGE is an archive or layout path; WHICH its image index (0 for the
 * first).  The store's images are read through its blob directory. */
struct kimage;
int kscan_inventory_image(struct kimage *img, struct kscan_inventory *out, kerr *e);
int kscan_inventory_root(const char *dir, struct kscan_inventory *out, kerr *e);
/* The same for the directory ROOT (an fd: a container's mounted or
 * detached overlay), NAME naming it in errors. */
int kscan_inventory_rootfd(int root, const char *name, struct kscan_inventory *out, kerr *e);
void kscan_inventory_done(struct kscan_inventory *inv);

/* ---- the database parsers (pure: a buffer in, packages out) ---- */

struct kscan_pkgs {
	struct kscan_pkg *v;
	size_t n, cap;
};

/* dpkg's status file (or one status.d file; NO_STATUS_OK: a stanza without
 * Status counts as installed, as distroless writes them).  Only packages
 * whose Status state is installed (or triggers-awaited/-pending: configured)
 * are added.  FILE names the buffer in errors. */
int kscan_dpkg_parse(const char *buf, size_t len, const char *file, int no_status_ok, struct kscan_pkgs *out, kerr *e);
/* apk's lib/apk/db/installed; FILES (may be NULL) gets "path\tpackage"
 * lines appended for each file of each package (F: dir + R: name). */
int kscan_apk_parse(const char *buf, size_t len, const char *file, struct kscan_pkgs *out, char **files, size_t *nfiles,
		    kerr *e);
/* A growing text buffer (NUL-terminated once anything was appended). */
struct kscan_buf {
	char *s;
	size_t len, cap;
};
/* rpm's package databases held in memory: rpmdb.sqlite (rpm >= 4.16),
 * the BerkeleyDB hash file Packages (CentOS/RHEL 5-8, older SUSE and
 * Fedora) and the NDB Packages.db (SUSE).  FILES (may be NULL) gets
 * "path\tname:arch" lines appended for every file of every package (paths
 * without the leading '/'), as apk's. */
int kscan_rpm_sqlite(const void *buf, size_t len, const char *file, struct kscan_pkgs *out, struct kscan_buf *files,
		     kerr *e);
int kscan_rpm_bdb(const void *buf, size_t len, const char *file, struct kscan_pkgs *out, struct kscan_buf *files,
		  kerr *e);
int kscan_rpm_ndb(const void *buf, size_t len, const char *file, struct kscan_pkgs *out, struct kscan_buf *files,
		  kerr *e);
/* One rpm header blob (as every rpm database holds them). */
int kscan_rpm_header(const void *blob, size_t len, struct kscan_pkg *out, kerr *e);
/* The files of header BLOB (BASENAMES, DIRNAMES, DIRINDEXES, or the old
 * OLDFILENAMES), appended to FILES as "path\tOWNER" lines. */
int kscan_rpm_files(const void *blob, size_t len, const char *owner, struct kscan_buf *files, kerr *e);
/* Parse BLOB and add its package to OUT (gpg-pubkey entries are skipped),
 * its files to FILES (may be NULL). */
int kscan_rpm_add(const void *blob, size_t len, struct kscan_pkgs *out, struct kscan_buf *files, kerr *e);
/* os-release: the fields of the inventory. */
int kscan_osrelease_parse(const char *buf, size_t len, struct kscan_inventory *inv, kerr *e);

/* Append *P to PS, taking its strings (on ENOMEM *P is freed). */
int kscan_pkgs_add(struct kscan_pkgs *ps, struct kscan_pkg *p, kerr *e);
void kscan_pkg_done(struct kscan_pkg *p);
/* The purl of package P of INV (SOURCE: of its source package), as the
 * purl spec's deb, apk and rpm types write it; malloc'ed (NULL: ENOMEM). */
char *kscan_purl(const struct kscan_inventory *inv, const struct kscan_pkg *p, int source);
/* qsort order of packages: name, then architecture. */
int kscan_pkg_cmp(const void *a, const void *b);
void kscan_pkgs_done(struct kscan_pkgs *p);
/* deb: VERSION without a trailing binNMU "+bN" (a copy). */
char *kscan_deb_strip_binnmu(const char *version);

#endif
