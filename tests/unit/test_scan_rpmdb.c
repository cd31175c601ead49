/* rpm's BerkeleyDB hash Packages and NDB Packages.db parsers (scan/rpmdb.c)
 * and rpm file lists (scan/rpm.c), on databases built here byte by byte
 * from the formats' layouts, then broken the ways a hostile image would:
 * truncated anywhere, page numbers past the end, chains that loop, items
 * outside their page, lengths that lie. */
#include "scan/inventory.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8),
	p[3] = (unsigned char)v;
}

static void le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8), p[2] = (unsigned char)(v >> 16),
	p[3] = (unsigned char)(v >> 24);
}

static void le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
}

/* A header: NAME, VERSION, RELEASE, ARCH, SOURCERPM, and two files in two
 * directories (/usr/bin/su, /etc/su.conf).  Returns its length. */
#define IL 9 /* index entries */
static char summary[1000];

static size_t make_header(unsigned char *b, const char *name)
{
	memset(summary, 'x', sizeof(summary) - 1);
	struct {
		uint32_t tag, type;
		const char *s; /* strings, NUL-separated, COUNT of them */
		uint32_t count;
		size_t len;
	} t[] = {
		{ 1000, 6, name, 1, strlen(name) + 1 },
		{ 1001, 6, "4.8", 1, 4 },
		{ 1002, 6, "3.el9", 1, 6 },
		{ 1022, 6, "x86_64", 1, 7 },
		{ 1044, 6, "shadow-4.8-3.el9.src.rpm", 1, 25 },
		{ 1117, 8, "su\0su.conf", 2, 11 },
		{ 1118, 8, "/usr/bin/\0/etc/", 2, 16 },
		{ 1004, 6, summary, 1, sizeof(summary) }, /* long enough for a chain of 3 overflow pages */
	};
	size_t il = sizeof(t) / sizeof(t[0]) + 1, dl = 0;
	_Static_assert(sizeof(t) / sizeof(t[0]) + 1 == IL, "IL");
	unsigned char *ix = b + 8, *data = ix + 16 * il;
	/* DIRINDEXES first: aligned int32s {0, 1} */
	be32(ix, 1116), be32(ix + 4, 4), be32(ix + 8, 0), be32(ix + 12, 2);
	be32(data, 0), be32(data + 4, 1);
	dl = 8;
	for (size_t i = 0; i < il - 1; i++) {
		unsigned char *x = ix + 16 * (i + 1);
		be32(x, t[i].tag), be32(x + 4, t[i].type), be32(x + 8, (uint32_t)dl), be32(x + 12, t[i].count);
		memcpy(data + dl, t[i].s, t[i].len);
		dl += t[i].len;
	}
	be32(b, (uint32_t)il);
	be32(b + 4, (uint32_t)dl);
	return 8 + 16 * il + dl;
}

#define PS 512u

static void swap32(unsigned char *p, size_t o)
{
	unsigned char t[4] = { p[o + 3], p[o + 2], p[o + 1], p[o] };
	memcpy(p + o, t, 4);
}

static void swap16(unsigned char *p, size_t o)
{
	unsigned char t = p[o];
	p[o] = p[o + 1], p[o + 1] = t;
}

/* A BerkeleyDB hash file of 512-byte pages, little-endian: meta, one
 * bucket page holding rpm's counter (key 0, inline) and header 1 (off
 * page), the header's overflow chain. */
static size_t make_bdb(unsigned char *f, const unsigned char *blob, size_t blen)
{
	size_t nov = (blen + PS - 26 - 1) / (PS - 26), npages = 2 + nov;
	memset(f, 0, npages * PS);
	le32(f + 12, 0x061561), le32(f + 16, 9), le32(f + 20, PS);
	f[25] = 8;
	le32(f + 32, (uint32_t)npages - 1);
	le32(f + 72, 0); /* max_bucket */
	le32(f + 96, 1); /* spares[0]: bucket 0 on page 1 */
	unsigned char *p = f + PS;
	le32(p + 8, 1);
	p[25] = 13;
	le16(p + 20, 4);
	/* items from the end: key 1, its off-page data, key 0, its data */
	uint16_t off = PS;
	off -= 5, p[off] = 1, le32(p + off + 1, 1), le16(p + 26, off);
	off -= 12, p[off] = 3, le32(p + off + 4, 2), le32(p + off + 8, (uint32_t)blen), le16(p + 28, off);
	off -= 5, p[off] = 1, le32(p + off + 1, 0), le16(p + 30, off);
	off -= 5, p[off] = 1, le32(p + off + 1, 2), le16(p + 32, off);
	for (size_t i = 0; i < nov; i++) {
		unsigned char *o = f + (2 + i) * PS;
		size_t n = blen - i * (PS - 26) < PS - 26 ? blen - i * (PS - 26) : PS - 26;
		le32(o + 8, (uint32_t)(2 + i));
		le32(o + 16, i + 1 < nov ? (uint32_t)(3 + i) : 0);
		le16(o + 22, (uint16_t)n);
		o[25] = 7;
		memcpy(o + 26, blob + i * (PS - 26), n);
	}
	return npages * PS;
}

/* An NDB file: one slot page, two packages. */
static size_t make_ndb(unsigned char *f, const unsigned char *b1, size_t l1, const unsigned char *b2, size_t l2)
{
	memset(f, 0, 4096);
	memcpy(f, "RpmP", 4);
	le32(f + 8, 1), le32(f + 12, 1), le32(f + 16, 3);
	for (size_t o = 32; o < 4096; o += 16)
		memcpy(f + o, "Slot", 4);
	size_t at = 4096;
	const unsigned char *bl[] = { b1, b2 };
	size_t ln[] = { l1, l2 };
	for (uint32_t i = 0; i < 2; i++) {
		size_t cnt = (16 + ln[i] + 12 + 15) / 16;
		unsigned char *s = f + 32 + 16 * i;
		le32(s + 4, i + 1), le32(s + 8, (uint32_t)(at / 16)), le32(s + 12, (uint32_t)cnt);
		memset(f + at, 0, cnt * 16);
		memcpy(f + at, "BlbS", 4);
		le32(f + at + 4, i + 1), le32(f + at + 8, 1), le32(f + at + 12, (uint32_t)ln[i]);
		memcpy(f + at + 16, bl[i], ln[i]);
		unsigned char *t = f + at + cnt * 16 - 12;
		le32(t + 4, (uint32_t)ln[i]);
		memcpy(t + 8, "BlbE", 4);
		at += cnt * 16;
	}
	return at;
}

static void check_pkgs(const struct kscan_pkgs *ps, size_t n)
{
	assert_int_equal(ps->n, n);
	assert_string_equal(ps->v[0].name, "shadow-utils");
	assert_string_equal(ps->v[0].version, "4.8-3.el9");
	assert_string_equal(ps->v[0].source, "shadow");
	assert_string_equal(ps->v[0].arch, "x86_64");
}

static void test_bdb(void **state)
{
	(void)state;
	unsigned char blob[2048], f[8 * PS];
	size_t blen = make_header(blob, "shadow-utils"), n = make_bdb(f, blob, blen);
	struct kscan_pkgs ps = { 0 };
	struct kscan_buf files = { 0 };
	kerr e = { 0 };
	assert_int_equal(kscan_rpm_bdb(f, n, "Packages", &ps, &files, &e), 0);
	check_pkgs(&ps, 1);
	assert_string_equal(files.s, "usr/bin/su\tshadow-utils:x86_64\netc/su.conf\tshadow-utils:x86_64\n");
	kscan_pkgs_done(&ps);
	free(files.s);
	files = (struct kscan_buf){ 0 };
	/* big-endian: every field swapped (the keys' bytes are rpm's, as they are) */
	unsigned char g[8 * PS];
	memcpy(g, f, n);
	swap32(g, 12), swap32(g, 16), swap32(g, 20), swap32(g, 32), swap32(g, 72), swap32(g, 96);
	for (size_t pg = 1; pg < n / PS; pg++) {
		unsigned char *p = g + pg * PS;
		swap32(p, 8), swap32(p, 16);
		if (p[25] == 13)
			for (size_t i = 0; i < 4; i++) {
				uint16_t off = (uint16_t)(p[26 + 2 * i] | p[27 + 2 * i] << 8);
				if (p[off] == 3)
					swap32(p, off + 4), swap32(p, off + 8);
				swap16(p, 26 + 2 * i);
			}
		swap16(p, 20), swap16(p, 22);
	}
	assert_int_equal(kscan_rpm_bdb(g, n, "Packages", &ps, NULL, &e), 0);
	check_pkgs(&ps, 1);
	kscan_pkgs_done(&ps);

	/* truncated anywhere: an error, never a read past the buffer */
	for (size_t cut = 0; cut < n; cut += 7) {
		unsigned char *copy = malloc(cut ? cut : 1);
		memcpy(copy, f, cut);
		assert_int_equal(kscan_rpm_bdb(copy, cut, "Packages", &ps, &files, &e), -1);
		assert_int_equal(ps.n, 0);
		free(copy);
	}
	free(files.s);
	struct {
		size_t off;
		uint32_t v;
		int width;
		const char *msg;
	} bad[] = {
		{ 12, 0x053162, 4, "a btree" },
		{ 16, 3, 4, "hash version 3" },
		{ 20, 1000, 4, "page size 1000" },
		{ 72, 100, 4, "buckets in" },
		{ 96, 50, 4, "past its" },
		{ PS + 16, 1, 4, "reached twice" }, /* the bucket page points at itself */
		{ PS + 25, 7, 1, "not a hash page" },
		{ PS + 20, 5, 2, "5 items" },
		{ PS + 26, 3, 2, "outside the page" },
		{ 2 * PS + 16, 2, 4, "not an overflow page" }, /* an overflow chain loops: bounded by its length */
		{ 3 * PS + 16, 0, 4, "chain ends after" },
		{ 2 * PS + 22, 600, 2, "not an overflow page" },
		{ 2 * PS + 25, 13, 1, "not an overflow page" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(g, f, n);
		if (bad[i].width == 4)
			le32(g + bad[i].off, bad[i].v);
		else if (bad[i].width == 2)
			le16(g + bad[i].off, (uint16_t)bad[i].v);
		else
			g[bad[i].off] = (unsigned char)bad[i].v;
		e = (kerr){ 0 };
		int r = kscan_rpm_bdb(g, n, "Packages", &ps, NULL, &e);
		if (r == 0 || !strstr(e.msg, bad[i].msg) || ps.n)
			fail_msg("case %zu: r %d, \"%s\" (want \"%s\")", i, r, e.msg, bad[i].msg);
	}
	kscan_pkgs_done(&ps);
}

static void test_ndb(void **state)
{
	(void)state;
	unsigned char b1[2048], b2[2048], f[8192];
	size_t l1 = make_header(b1, "shadow-utils"), l2 = make_header(b2, "gpg-pubkey");
	size_t n = make_ndb(f, b1, l1, b2, l2);
	struct kscan_pkgs ps = { 0 };
	struct kscan_buf files = { 0 };
	kerr e = { 0 };
	assert_int_equal(kscan_rpm_ndb(f, n, "Packages.db", &ps, &files, &e), 0);
	check_pkgs(&ps, 1); /* gpg-pubkey is a key, not a package */
	assert_non_null(strstr(files.s, "usr/bin/su\tshadow-utils:x86_64\n"));
	kscan_pkgs_done(&ps);
	free(files.s);
	files = (struct kscan_buf){ 0 };
	for (size_t cut = 0; cut < n; cut += 5) {
		int r = kscan_rpm_ndb(f, cut, "Packages.db", &ps, &files, &e);
		/* a file cut after the first blob still fails: the second slot points past it */
		assert_int_equal(r, -1);
		assert_int_equal(ps.n, 0);
	}
	free(files.s);
	unsigned char g[8192];
	struct {
		size_t off;
		uint32_t v;
		const char *msg;
	} bad[] = {
		{ 0, 0, "no \"RpmP\"" },
		{ 4, 1, "NDB version 1" },
		{ 12, 9, "slot pages" },
		{ 48, 0x12345678, "no \"Slot\" magic" },
		{ 40, 1, "outside the file's blob area" }, /* a blob inside the slot pages */
		{ 40, 0xffffff00, "outside the file's blob area" },
		{ 44, 1000, "outside the file's blob area" },
		{ 36, 7, "no blob of package 7" },
		{ 4096 + 12, 5000, "bytes in" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(g, f, n);
		le32(g + bad[i].off, bad[i].v);
		e = (kerr){ 0 };
		int r = kscan_rpm_ndb(g, n, "Packages.db", &ps, NULL, &e);
		if (r == 0 || !strstr(e.msg, bad[i].msg) || ps.n)
			fail_msg("case %zu: r %d, \"%s\" (want \"%s\")", i, r, e.msg, bad[i].msg);
	}
	kscan_pkgs_done(&ps);
}

static void test_file_lists(void **state)
{
	(void)state;
	unsigned char b[2048];
	size_t n = make_header(b, "shadow-utils");
	struct kscan_buf files = { 0 };
	kerr e = { 0 };
	assert_int_equal(kscan_rpm_files(b, n, "x", &files, &e), 0);
	assert_string_equal(files.s, "usr/bin/su\tx\netc/su.conf\tx\n");
	free(files.s);
	files = (struct kscan_buf){ 0 };
	/* a directory index past DIRNAMES */
	unsigned char c[2048];
	memcpy(c, b, n);
	be32(c + 8 + 16 * IL + 4, 2);
	assert_int_equal(kscan_rpm_files(c, n, "x", &files, &e), -1);
	assert_non_null(strstr(e.msg, "directory 2 of 2"));
	/* BASENAMES claiming more strings than the data holds */
	memcpy(c, b, n);
	be32(c + 8 + 16 * 6 + 12, 900);
	assert_int_equal(kscan_rpm_files(c, n, "x", &files, &e), -1);
	assert_non_null(strstr(e.msg, "outside the header's data"));
	/* a DIRINDEXES count that is not BASENAMES' */
	memcpy(c, b, n);
	be32(c + 8 + 12, 1);
	assert_int_equal(kscan_rpm_files(c, n, "x", &files, &e), -1);
	free(files.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bdb),
		cmocka_unit_test(test_ndb),
		cmocka_unit_test(test_file_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
