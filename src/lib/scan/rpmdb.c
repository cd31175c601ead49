/* rpm's two older package databases, read by hand from a buffer:
 *
 * - BerkeleyDB's hash access method: var/lib/rpm/Packages of CentOS/RHEL
 *   5 to 8, older Fedora and SUSE;
 * - rpm's own NDB: usr/lib/sysimage/rpm/Packages.db of SUSE (rpm >= 4.15).
 *
 * Why by hand: librpm opens a database through a dbpath of the running
 * system's configuration, takes locks and may rebuild or write next to it
 * (no way to hand it a buffer from an image layer, nothing that promises
 * it never follows a hostile root's symlinks), and Debian 12's rpm is
 * built without the BerkeleyDB and NDB backends (only a read-only bdb_ro,
 * on paths).  Both formats are simple page formats: only the pages that
 * lead to the package headers are read, every page number, offset and
 * length is checked against the buffer before it is used, loops are
 * bounded by the number of pages, and the header blobs go to the same
 * parser as rpmdb.sqlite's (rpm.c).  A hostile database is an error naming
 * the file and the page, never a read outside it: tests/fuzz/fuzz_scan_rpmdb.c.
 *
 * BerkeleyDB (db_page.h of Berkeley DB 4/5): page 0 is the hash metadata
 * page {lsn 8, pgno 4, magic 0x061561 4, version 4, pagesize 4,
 * encrypt_alg 1, type 1 (8), metaflags 1, ...; max_bucket @72, high_mask,
 * low_mask, ffactor, nelem, h_charkey, spares[32] @96}, in the byte order
 * of the machine that wrote it (the magic tells).  Bucket B starts on page
 * B + spares[ceil(log2(B + 1))] and continues through next_pgno.  A page:
 * {lsn 8, pgno 4, prev 4, next 4, entries 2, hf_offset 2, level 1, type 1}
 * (26 bytes), then entries 16-bit item offsets; hash pages (type 13, or 2
 * before 4.6) hold key/data item pairs, each item a type byte then either
 * the bytes (H_KEYDATA 1, up to the previous item) or {pgno, tlen}
 * (H_OFFPAGE 3, @4 and @8) naming a chain of overflow pages (type 7)
 * holding hf_offset bytes each after their 26-byte header.  rpm's keys are
 * 4-byte header numbers; key 0 is rpm's counter, not a header.
 *
 * NDB (rpm's lib/backend/ndb/rpmpkg.c), little-endian: a 32-byte header
 * {"RpmP", version 0, generation, slot pages, next package index ...},
 * then 16-byte slots {"Slot", package index, block offset, block count}
 * filling the slot pages (4096 bytes each), an unused slot's block offset
 * 0; a blob at block offset * 16: {"BlbS", package index, generation,
 * length}, the header blob, then a tail {checksum, length, "BlbE"} ending
 * the last of its 16-byte blocks.  The tail's Adler-32 is not checked: the
 * header parser checks the structure it reads. */
#include "scan/inventory.h"

#include "common/cleanup.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOB_MAX (256u << 20)

/* ---- BerkeleyDB hash ---- */

enum {
	HASH_MAGIC = 0x061561,
	BTREE_MAGIC = 0x053162,
	P_HASH_UNSORTED = 2,
	P_OVERFLOW = 7,
	P_HASHMETA = 8,
	P_HASH = 13,
	H_KEYDATA = 1,
	H_DUPLICATE = 2,
	H_OFFPAGE = 3,
	H_OFFDUP = 4,
	PAGE_HDR = 26,
};

struct bdb {
	const unsigned char *b;
	size_t len;
	uint32_t psize, npages;
	int swap;
	const char *file;
};

static uint32_t g32(const struct bdb *d, const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return d->swap ? __builtin_bswap32(v) : v;
}

static uint16_t g16(const struct bdb *d, const unsigned char *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return d->swap ? __builtin_bswap16(v) : v;
}

static const unsigned char *bdb_page(const struct bdb *d, uint32_t pgno, kerr *e)
{
	if (pgno >= d->npages) {
		kerr_msg(e, EINVAL, "%s: page %u past its %u pages", d->file, pgno, d->npages);
		return NULL;
	}
	return d->b + (size_t)pgno * d->psize;
}

/* The value an H_OFFPAGE item names: a malloc'ed copy of its chain. */
static int bdb_overflow(const struct bdb *d, const unsigned char *item, uint32_t ilen, unsigned char **out,
			uint32_t *olen, kerr *e)
{
	if (ilen < 12)
		return kerr_msg(e, EINVAL, "%s: off-page item of %u bytes", d->file, ilen);
	uint32_t pgno = g32(d, item + 4), tlen = g32(d, item + 8);
	if (tlen > BLOB_MAX || tlen > (uint64_t)d->npages * (d->psize - PAGE_HDR))
		return kerr_msg(e, EINVAL, "%s: off-page item of %u bytes", d->file, tlen);
	unsigned char *v = malloc(tlen ? tlen : 1);
	if (!v)
		return kerr_set(e, ENOMEM, "%s", d->file);
	uint32_t got = 0;
	for (uint32_t steps = 0; got < tlen; steps++) {
		const unsigned char *p = pgno && steps < d->npages ? bdb_page(d, pgno, e) : NULL;
		if (!p) {
			if (!pgno || steps >= d->npages)
				kerr_msg(e, EINVAL, "%s: overflow chain ends after %u of %u bytes", d->file, got, tlen);
			free(v);
			return -1;
		}
		uint16_t n = g16(d, p + 22);
		if (p[25] != P_OVERFLOW || n > d->psize - PAGE_HDR || n > tlen - got) {
			free(v);
			return kerr_msg(e, EINVAL, "%s: page %u: not an overflow page of at most %u bytes", d->file,
					pgno, tlen - got);
		}
		memcpy(v + got, p + PAGE_HDR, n);
		got += n;
		pgno = g32(d, p + 16);
	}
	*out = v;
	*olen = tlen;
	return 0;
}

/* Item I of hash page P: its offset and length (type byte included). */
static int bdb_item(const struct bdb *d, const unsigned char *p, uint32_t pgno, uint16_t n, uint16_t i,
		    const unsigned char **item, uint32_t *ilen, kerr *e)
{
	uint32_t off = g16(d, p + PAGE_HDR + 2 * (size_t)i);
	uint32_t end = i == 0 ? d->psize : g16(d, p + PAGE_HDR + 2 * (size_t)(i - 1));
	if (off < PAGE_HDR + 2 * (uint32_t)n || off >= end || end > d->psize)
		return kerr_msg(e, EINVAL, "%s: page %u: item %u at %u..%u outside the page", d->file, pgno, i, off,
				end);
	*item = p + off;
	*ilen = end - off;
	return 0;
}

static int bdb_page_items(const struct bdb *d, const unsigned char *p, uint32_t pgno, struct kscan_pkgs *out,
			  struct kscan_buf *files, kerr *e)
{
	uint16_t n = g16(d, p + 20);
	if (n % 2 || PAGE_HDR + 2 * (uint32_t)n > d->psize)
		return kerr_msg(e, EINVAL, "%s: page %u: %u items", d->file, pgno, n);
	for (uint16_t i = 0; i < n; i += 2) {
		const unsigned char *key = NULL, *val = NULL;
		uint32_t klen = 0, vlen = 0;
		if (bdb_item(d, p, pgno, n, i, &key, &klen, e) < 0 ||
		    bdb_item(d, p, pgno, n, i + 1, &val, &vlen, e) < 0)
			return -1;
		if (key[0] != H_KEYDATA || klen != 5)
			return kerr_msg(e, EINVAL, "%s: page %u: key %u is not a 4-byte header number", d->file, pgno,
					i / 2);
		uint32_t hnum;
		memcpy(&hnum, key + 1, 4);
		if (hnum == 0)
			continue; /* rpm's "next header number" record */
		_cleanup_free_ unsigned char *big = NULL;
		const unsigned char *blob;
		uint32_t blen = 0;
		if (val[0] == H_KEYDATA) {
			blob = val + 1;
			blen = vlen - 1;
		} else if (val[0] == H_OFFPAGE) {
			if (bdb_overflow(d, val, vlen, &big, &blen, e) < 0)
				return -1;
			blob = big;
		} else {
			return kerr_msg(e, EINVAL, "%s: page %u: item type %u (%s)", d->file, pgno, val[0],
					val[0] == H_DUPLICATE || val[0] == H_OFFDUP ? "duplicates: not rpm's Packages"
										    : "unknown");
		}
		if (kscan_rpm_add(blob, blen, out, files, e) < 0)
			return kerr_wrap(e, "%s: header %u", d->file, d->swap ? __builtin_bswap32(hnum) : hnum);
	}
	return 0;
}

static unsigned ceil_log2(uint32_t n)
{
	unsigned i = 0;
	while (i < 32 && ((uint64_t)1 << i) < n)
		i++;
	return i;
}

int kscan_rpm_bdb(const void *buf, size_t len, const char *file, struct kscan_pkgs *out, struct kscan_buf *files,
		  kerr *e)
{
	struct bdb d = { .b = buf, .len = len, .file = file };
	if (len < 512)
		return kerr_msg(e, EINVAL, "%s: %zu bytes: not a BerkeleyDB file", file, len);
	uint32_t magic;
	memcpy(&magic, d.b + 12, 4);
	if (magic != HASH_MAGIC && __builtin_bswap32(magic) == HASH_MAGIC)
		d.swap = 1;
	else if (magic != HASH_MAGIC)
		return kerr_msg(e, EINVAL, "%s: not a BerkeleyDB hash database (magic %#x%s)", file, magic,
				magic == BTREE_MAGIC || __builtin_bswap32(magic) == BTREE_MAGIC ? ": a btree" : "");
	uint32_t version = g32(&d, d.b + 16);
	d.psize = g32(&d, d.b + 20);
	if (version < 8 || version > 10)
		return kerr_msg(e, ENOTSUP, "%s: BerkeleyDB hash version %u (8 and 9 are read)", file, version);
	if (d.psize < 512 || d.psize > 65536 || (d.psize & (d.psize - 1)))
		return kerr_msg(e, EINVAL, "%s: page size %u", file, d.psize);
	if (d.b[24] || (d.b[26] & 1))
		return kerr_msg(e, ENOTSUP, "%s: an encrypted or checksummed BerkeleyDB database", file);
	if (d.b[25] != P_HASHMETA)
		return kerr_msg(e, EINVAL, "%s: page 0 is of type %u, not hash metadata", file, d.b[25]);
	if (len / d.psize > UINT32_MAX)
		return kerr_msg(e, EFBIG, "%s: too many pages", file);
	d.npages = (uint32_t)(len / d.psize);
	uint32_t max_bucket = g32(&d, d.b + 72);
	if (max_bucket >= d.npages)
		return kerr_msg(e, EINVAL, "%s: %u buckets in %u pages", file, max_bucket + 1, d.npages);
	size_t start = out->n, fstart = files ? files->len : 0;
	/* every page is visited at most once: a cycle of next pointers, or two
	 * buckets sharing a chain, is an error */
	_cleanup_free_ unsigned char *seen = calloc(d.npages, 1);
	if (!seen)
		return kerr_set(e, ENOMEM, "%s", file);
	for (uint32_t bucket = 0; bucket <= max_bucket; bucket++) {
		uint64_t pg = (uint64_t)bucket + g32(&d, d.b + 96 + 4 * ceil_log2(bucket + 1));
		while (pg) {
			const unsigned char *p = pg < d.npages ? bdb_page(&d, (uint32_t)pg, e) : NULL;
			if (!p) {
				kerr_msg(e, EINVAL, "%s: bucket %u: page %llu past its %u pages", file, bucket,
					 (unsigned long long)pg, d.npages);
				goto fail;
			}
			if (seen[pg]) {
				kerr_msg(e, EINVAL, "%s: bucket %u: page %llu reached twice", file, bucket,
					 (unsigned long long)pg);
				goto fail;
			}
			seen[pg] = 1;
			if (p[25] != P_HASH && p[25] != P_HASH_UNSORTED) {
				kerr_msg(e, EINVAL, "%s: bucket %u: page %llu is of type %u, not a hash page", file,
					 bucket, (unsigned long long)pg, p[25]);
				goto fail;
			}
			if (bdb_page_items(&d, p, (uint32_t)pg, out, files, e) < 0)
				goto fail;
			pg = g32(&d, p + 16);
		}
	}
	return 0;
fail:
	while (out->n > start)
		kscan_pkg_done(&out->v[--out->n]);
	if (files && files->s) {
		files->len = fstart;
		files->s[fstart] = 0;
	}
	return -1;
}

/* ---- NDB ---- */

#define NDB_PAGE 4096u
#define NDB_BLK 16u

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t tag4(const char s[4])
{
	return le32((const unsigned char *)s);
}

int kscan_rpm_ndb(const void *buf, size_t len, const char *file, struct kscan_pkgs *out, struct kscan_buf *files,
		  kerr *e)
{
	const unsigned char *b = buf;
	if (len < 32 || le32(b) != tag4("RpmP"))
		return kerr_msg(e, EINVAL, "%s: not an rpm NDB Packages.db (no \"RpmP\" header)", file);
	if (le32(b + 4) != 0)
		return kerr_msg(e, ENOTSUP, "%s: NDB version %u (0 is read)", file, le32(b + 4));
	uint32_t npages = le32(b + 12);
	if (!npages || (uint64_t)npages * NDB_PAGE > len)
		return kerr_msg(e, EINVAL, "%s: %u slot pages in %zu bytes", file, npages, len);
	uint64_t nblks = len / NDB_BLK;
	size_t start = out->n, fstart = files ? files->len : 0;
	for (uint64_t off = 32; off < (uint64_t)npages * NDB_PAGE; off += 16) {
		const unsigned char *s = b + off;
		uint32_t slot = (uint32_t)(off / 16);
		if (le32(s) != tag4("Slot")) {
			kerr_msg(e, EINVAL, "%s: slot %u: no \"Slot\" magic", file, slot);
			goto fail;
		}
		uint32_t idx = le32(s + 4), blkoff = le32(s + 8), blkcnt = le32(s + 12);
		if (!blkoff)
			continue;
		if (blkoff < (uint64_t)npages * NDB_PAGE / NDB_BLK || (uint64_t)blkoff + blkcnt > nblks || blkcnt < 2) {
			kerr_msg(e, EINVAL, "%s: slot %u: blocks %u+%u outside the file's blob area", file, slot,
				 blkoff, blkcnt);
			goto fail;
		}
		const unsigned char *h = b + (size_t)blkoff * NDB_BLK;
		const unsigned char *t = h + (size_t)blkcnt * NDB_BLK - 12;
		uint32_t blen = le32(h + 12);
		if (le32(h) != tag4("BlbS") || le32(h + 4) != idx) {
			kerr_msg(e, EINVAL, "%s: slot %u: no blob of package %u at block %u", file, slot, idx, blkoff);
			goto fail;
		}
		if ((uint64_t)blen + 16 + 12 > (uint64_t)blkcnt * NDB_BLK ||
		    (16 + (uint64_t)blen + 12 + NDB_BLK - 1) / NDB_BLK != blkcnt) {
			kerr_msg(e, EINVAL, "%s: package %u: a blob of %u bytes in %u blocks", file, idx, blen, blkcnt);
			goto fail;
		}
		if (le32(t + 8) != tag4("BlbE") || le32(t + 4) != blen) {
			kerr_msg(e, EINVAL, "%s: package %u: the blob's tail does not match its head", file, idx);
			goto fail;
		}
		if (kscan_rpm_add(h + 16, blen, out, files, e) < 0) {
			kerr_wrap(e, "%s: package %u", file, idx);
			goto fail;
		}
	}
	return 0;
fail:
	while (out->n > start)
		kscan_pkg_done(&out->v[--out->n]);
	if (files && files->s) {
		files->len = fstart;
		files->s[fstart] = 0;
	}
	return -1;
}
