/* libFuzzer target: the layer applier (image/apply.h) on an untrusted
 * layer.  The input is a layer blob (tar, or compressed tar), unpacked
 * into a fresh directory on top of one lower layer (so hard links to a
 * lower file, whiteouts and opaque directories all have something to act
 * on), with small bounds so that one input stays fast; the directory is
 * removed after each run.  Run as root, as the store does (owners,
 * whiteout devices, trusted.* xattrs). */
#include "common/fs.h"
#include "image/apply.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int base = -1, lower = -1;

/* The lower layer: a directory, a file, a symlink. */
static void setup(void)
{
	char tmpl[] = "/tmp/kapsel-fuzz-apply-XXXXXX";
	if (!mkdtemp(tmpl) || (base = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    mkdirat(base, "lower", 0755) < 0 ||
	    (lower = openat(base, "lower", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || mkdirat(lower, "etc", 0755) < 0)
		abort();
	int fd = openat(lower, "etc/passwd", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "root:x:0:0::/root:/bin/sh\n", 26) != 26 || close(fd) < 0 ||
	    symlinkat("/etc", lower, "link") < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (base < 0)
		setup();
	int blob = memfd_create("fuzz-layer", MFD_CLOEXEC);
	if (blob < 0 || write(blob, data, size) != (ssize_t)size || lseek(blob, 0, SEEK_SET) != 0)
		abort();
	kerr e;
	if (mkdirat(base, "layer", 0755) < 0)
		abort();
	int dir = openat(base, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		abort();
	static const struct kapply_limits lim = { .max_entries = 4096, .max_bytes = 16 << 20, .max_path = 1024 };
	struct kapply_in in = { .fd = blob, .dirfd = dir, .lower = &lower, .nlower = 1, .limits = &lim };
	struct kapply_report rep;
	(void)kapply_layer(&in, &rep, &e);
	kapply_report_clear(&rep);
	close(dir);
	close(blob);
	if (kfs_remove_at(base, "layer", &e) < 0)
		abort();
	return 0;
}
