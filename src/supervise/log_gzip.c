/* kapsel-log-gzip SRC DST
 *
 * The compression of a rotated log file (compress=true, src/lib/logs/
 * file.c): the supervisor starts it on the file it just rotated away and
 * waits for it by pidfd, so the container's pipe never waits for deflate.
 * SRC is gzipped (level 1, Docker's BestSpeed) into DST.tmp, which is
 * synced and renamed to DST; then SRC is removed.  Until the rename SRC
 * is whole and DST absent, after it DST is whole: a kill at any point
 * loses no line and duplicates none (a reader prefers SRC while both are
 * there; the supervisor removes a DST.tmp left behind).  A program of its
 * own so that zlib's pages are not in every supervisor's RSS; deflate's
 * state is ~256 KiB.  Exit 0, or 1 with the reason on stderr (the
 * supervisor's supervise.log) and SRC left as it was. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define CHUNK (16 * 1024)

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "kapsel-log-gzip: %s %s: %s\n", what, path, strerror(errno));
	return -1;
}

static int write_all(int fd, const unsigned char *p, size_t n, const char *path)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return fail("write", path);
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int gz(int in, int out, const char *src, const char *tmp)
{
	static unsigned char ib[CHUNK], ob[CHUNK];
	z_stream z = { 0 };
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		fprintf(stderr, "kapsel-log-gzip: deflate: out of memory\n");
		return -1;
	}
	int r = 0;
	for (int flush = Z_NO_FLUSH; flush != Z_FINISH && r == 0;) {
		ssize_t n = read(in, ib, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = fail("read", src);
			break;
		}
		flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
		z.next_in = ib;
		z.avail_in = (unsigned)n;
		do {
			z.next_out = ob;
			z.avail_out = CHUNK;
			deflate(&z, flush); /* cannot fail with a valid state and room */
			if ((r = write_all(out, ob, CHUNK - z.avail_out, tmp)) < 0)
				break;
		} while (z.avail_out == 0);
	}
	deflateEnd(&z);
	return r;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: kapsel-log-gzip SRC DST\n");
		return 2;
	}
	const char *src = argv[1], *dst = argv[2];
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", dst) >= (int)sizeof(tmp)) {
		fprintf(stderr, "kapsel-log-gzip: %s: name too long\n", dst);
		return 1;
	}
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return fail("open", src), 1;
	struct stat st;
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "kapsel-log-gzip: %s: not a regular file\n", src);
		return 1;
	}
	int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, st.st_mode & 0777);
	if (out < 0)
		return fail("create", tmp), 1;
	if (gz(in, out, src, tmp) < 0 || (fdatasync(out) < 0 && fail("sync", tmp)) ||
	    (close(out) < 0 && fail("close", tmp)) || (rename(tmp, dst) < 0 && fail("rename to", dst))) {
		unlink(tmp);
		return 1;
	}
	if (unlink(src) < 0)
		return fail("remove", src), 1;
	return 0;
}
