/* libFuzzer target: the image reader (image/) on an untrusted archive.
 * The input is written to a memfd and opened through /proc/self/fd as a
 * docker save or OCI layout tar; every layer is walked and every entry's
 * data read, as the image store and audit do. */
#include "image/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static int on_entry(void *ud, struct kimage_entry *ent, kerr *e)
{
	(void)ud;
	char buf[4096];
	ssize_t n;
	size_t len;
	(void)kimage_xattr(ent, "security.capability", &len);
	while ((n = kimage_read(ent, buf, sizeof(buf), e)) > 0)
		;
	return n < 0 ? -1 : 0;
}

static int on_path(void *ud, const struct kimage_layer *l, const char *path, kerr *e)
{
	(void)ud, (void)l, (void)e;
	return path ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz-image", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	static const struct kimage_visitor v = { .entry = on_entry, .whiteout = on_path, .opaque = on_path };
	struct kimage *img;
	kerr e;
	if (kimage_open(path, &img, &e) == 0) {
		(void)kimage_walk(img, &v, NULL, &e);
		kimage_close(img);
	}
	return 0;
}
