#include "exe.h"

#include "common/cleanup.h"
#include "linux/process.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

int kexe_is_sealed(void)
{
	_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & SEALS) == SEALS;
}

/* the program's own name for the copy (what /proc/PID/comm then shows) */
static const char *memfd_name(char *const *argv)
{
	if (!argv || !argv[0] || !*argv[0])
		return "kapsel";
	const char *slash = strrchr(argv[0], '/');
	return slash && slash[1] ? slash + 1 : argv[0];
}

int kexe_reexec_sealed(char *const *argv, kerr *e)
{
	_cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return kerr_errno(e, "open /proc/self/exe");
	struct stat st;
	if (fstat(src, &st) < 0)
		return kerr_errno(e, "stat /proc/self/exe");
	_cleanup_close_ int mfd = memfd_create(memfd_name(argv), MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return kerr_errno(e, "memfd_create");
	for (off_t left = st.st_size; left > 0;) {
		ssize_t n = sendfile(mfd, src, NULL, left);
		if (n <= 0)
			return kerr_errno(e, "copy the runtime binary");
		left -= n;
	}
	if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
		return kerr_errno(e, "seal the runtime copy");
	umask(kproc_caller_umask()); /* the copy's main sees the caller's, as this one did */
	fexecve(mfd, argv, environ);
	int err = errno;
	umask(022);
	return kerr_set(e, err, "re-exec from the sealed copy");
}
