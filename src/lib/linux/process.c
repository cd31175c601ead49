#include "process.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "linux/caps.h"
#include "linux/procfs.h"
#include "oci/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *env_path(const struct oci_process *p)
{
	for (char **e = p->env; e && *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			return *e + 5;
	return KPROC_DEFAULT_PATH;
}

static int is_executable_file(const char *path)
{
	struct stat st;
	_cleanup_close_ int fd = kfs_open_in_root(AT_FDCWD, path, O_PATH, 0);
	if (fd < 0 || fstat(fd, &st) < 0)
		return 0;
	return S_ISREG(st.st_mode);
}

static mode_t caller_umask = 022;

void kproc_runtime_umask(void)
{
	caller_umask = umask(022);
}

mode_t kproc_caller_umask(void)
{
	return caller_umask;
}

int kproc_find_program(const struct oci_process *p, char out[PATH_MAX], kerr *e)
{
	const char *prog = p->args[0];

	if (strchr(prog, '/')) {
		if (prog[0] != '/') {
			/* relative to the cwd */
			if ((size_t)snprintf(out, PATH_MAX, "%s/%s", p->cwd, prog) >= PATH_MAX)
				return kerr_set(e, ENAMETOOLONG, "exec %s", prog);
		} else {
			snprintf(out, PATH_MAX, "%s", prog);
		}
		if (!is_executable_file(out)) {
			struct stat st;
			_cleanup_close_ int fd = kfs_open_in_root(AT_FDCWD, out, O_PATH, 0);
			if (fd >= 0 && fstat(fd, &st) == 0) /* there, but a directory, a device ... */
				return kerr_msg(e, EACCES, "exec: \"%s\": not a regular file", prog);
			return kerr_msg(e, ENOENT, "exec: \"%s\": no such file in the container", prog);
		}
		return 0;
	}
	const char *path = env_path(p);
	for (const char *dir = path; dir && *dir;) {
		const char *end = strchrnul(dir, ':');
		int len = end - dir;
		if (len == 0)
			snprintf(out, PATH_MAX, "%s/%s", p->cwd, prog);
		else
			snprintf(out, PATH_MAX, "%.*s/%s", len, dir, prog);
		if (is_executable_file(out))
			return 0;
		dir = *end ? end + 1 : NULL;
	}
	return kerr_msg(e, ENOENT, "exec: \"%s\": executable file not found in $PATH", prog);
}

int kproc_open_cwd(const struct oci_process *p, kerr *e)
{
	int fd = kfs_open_in_root(AT_FDCWD, p->cwd, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return kerr_errno(e, "config.json: process.cwd: %s", p->cwd);
	return fd;
}

int kproc_enter_cwd(int cwdfd, const char *cwd, kerr *e)
{
	char buf[PATH_MAX];
	if (fchdir(cwdfd) < 0)
		return kerr_errno(e, "chdir to %s", cwd);
	/* getcwd fails or says "(unreachable)" when the directory is not under
	 * our root: refuse, whatever got us there (CVE-2024-21626 class). */
	long r = syscall(SYS_getcwd, buf, sizeof(buf));
	if (r < 0 || buf[0] != '/')
		return kerr_set(e, EPERM, "the working directory %s is outside the container root", cwd);
	return 0;
}

int kproc_set_identity(const struct oci_process *p, int setgroups_allowed, kerr *e)
{
	struct kcaps c = {
		.bounding = p->caps[CAPS_BOUNDING],
		.effective = p->caps[CAPS_EFFECTIVE],
		.inheritable = p->caps[CAPS_INHERITABLE],
		.permitted = p->caps[CAPS_PERMITTED],
		.ambient = p->caps[CAPS_AMBIENT],
	};

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return kerr_errno(e, "keep capabilities across setuid");
	if (kcaps_drop_bounding(c.bounding, e) < 0)
		return -1;
	if (setgroups_allowed) {
		if (setgroups(p->n_additional_gids, p->additional_gids) < 0)
			return kerr_errno(e, "set additional groups");
	} else if (p->n_additional_gids) {
		return kerr_set(e, EPERM, "config.json: process.user.additionalGids: setgroups is denied in this user namespace");
	}
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return kerr_errno(e, "config.json: process.user.gid: set gid %u", p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return kerr_errno(e, "config.json: process.user.uid: set uid %u", p->uid);
	if (kcaps_apply(&c, e) < 0)
		return kerr_wrap(e, "config.json: process.capabilities");
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return kerr_errno(e, "reset keepcaps");
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return kerr_errno(e, "set no_new_privs");
	umask(p->has_umask ? p->umask : caller_umask);
	return 0;
}

int kproc_set_oom_score_adj(int procfd, const struct oci_process *p, pid_t pid, kerr *e)
{
	char buf[16], path[64];
	if (!p->has_oom_score_adj)
		return 0;
	snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
	snprintf(path, sizeof(path), "%d/oom_score_adj", pid);
	if (kprocfs_write(procfd, path, buf, e) < 0)
		return kerr_wrap(e, "config.json: process.oomScoreAdj: %d%s", p->oom_score_adj,
				 p->oom_score_adj < 0 ? " (lowering it needs CAP_SYS_RESOURCE)" : "");
	return 0;
}

int kproc_own_oom_score_adj(void)
{
	char buf[16] = "";
	int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	long v = strtol(buf, NULL, 10);
	return v < -1000 || v > 1000 ? 0 : (int)v;
}

int kproc_check_preserved_fds(int preserve, kerr *e)
{
	if (preserve < 0 || preserve > 65536 - 3)
		return kerr_msg(e, EINVAL, "--preserve-fds %d: out of range", preserve);
	for (int fd = 3; fd < 3 + preserve; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			return kerr_msg(e, EBADF, "--preserve-fds %d: fd %d is not open", preserve, fd);
		if (fd == klog_fd())
			return kerr_msg(e, EBADF, "--preserve-fds %d: fd %d is the runtime's own log file", preserve, fd);
	}
	return 0;
}

int kproc_cloexec_fds(int preserve, kerr *e)
{
	unsigned int first = 3 + (preserve > 0 ? preserve : 0);
	if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		/* old kernel: walk the table */
		for (int fd = first; fd < 65536; fd++) {
			int fl = fcntl(fd, F_GETFD);
			if (fl >= 0 && !(fl & FD_CLOEXEC))
				fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
		}
	}
	for (int fd = 3; fd < (int)first; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if (fl < 0)
			return kerr_errno(e, "--preserve-fds: fd %d is not open", fd);
		if (fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
			return kerr_errno(e, "preserve fd %d", fd);
	}
	return 0;
}

int kproc_exec_status(const kerr *e)
{
	/* kproc_find_program's messages, maybe wrapped ("create ID: exec: ...") */
	if (!strstr(e->msg, "exec: \""))
		return 0;
	return e->errnum == ENOENT ? 127 : e->errnum == EACCES ? 126 : 0;
}

int kproc_execve_status(int err)
{
	return err == ENOENT || err == ENOTDIR || err == ELOOP ? 127 : 126;
}
