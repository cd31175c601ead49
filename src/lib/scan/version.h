/* Version comparison as the three package managers do it, so that "is the
 * installed version older than the fixed one" gets the answer dpkg, apk or
 * rpm itself would give.
 *
 * Contract.  Each comparator returns -1, 0 or 1 (A older, equal, newer) and
 * never fails: a string its package manager would reject still gets the
 * total order its algorithm defines, so a hostile database cannot crash
 * the matcher.  The *_valid functions say whether the package manager
 * would accept the string.
 *
 *   deb: [epoch:]upstream[-revision] as dpkg (lib/dpkg/version.c): epochs
 *        compared as numbers, then upstream and revision by the
 *        alternating non-digit/digit rule where '~' sorts before
 *        everything, even the end, and letters before other characters.
 *   rpm: [epoch:]version[-release] as rpm 4.18's rpmverCmp: epochs
 *        (missing = 0) and versions by rpmvercmp (alphanumeric segments,
 *        numbers beat letters, '~' sorts before everything, '^' after the
 *        end but before anything else); releases only when both have one.
 *   apk: apk-tools 2's Gentoo-style order: digits{.digits}[letter]
 *        {_suffix[N]}[-rN], pre-release suffixes alpha < beta < pre < rc
 *        below the bare version, post-release cvs svn git hg p above it. */
#ifndef KAPSEL_SCAN_VERSION_H
#define KAPSEL_SCAN_VERSION_H

int kver_deb_cmp(const char *a, const char *b);
int kver_deb_valid(const char *v);

int kver_rpm_cmp(const char *a, const char *b);   /* EVR: rpm.vercmp() */
int kver_rpmvercmp(const char *a, const char *b); /* one field: rpmvercmp() */

int kver_apk_cmp(const char *a, const char *b);
int kver_apk_valid(const char *v);

#endif
