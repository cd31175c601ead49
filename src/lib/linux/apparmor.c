#include "apparmor.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The first line of DIR/NAME into BUF ("" when it cannot be read). */
static void read_line(int dir, const char *name, char *buf, size_t n)
{
	buf[0] = '\0';
	_cleanup_close_ int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	ssize_t l = fd < 0 ? -1 : read(fd, buf, n - 1);
	buf[l > 0 ? l : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int kaa_profile_find(const char *securityfs, const char *name, struct kaa_profile *p, kerr *e)
{
	char path[PATH_MAX], v[256];
	memset(p, 0, sizeof(*p));
	snprintf(path, sizeof(path), "%s/policy/profiles", securityfs);
	_cleanup_closedir_ DIR *d = opendir(path);
	if (!d)
		return kerr_errno(e, "read AppArmor's loaded profiles in %s (is securityfs mounted at "
				  "/sys/kernel/security?)", path);
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_close_ int pd = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (pd < 0)
			continue;
		read_line(pd, "name", v, sizeof(v));
		if (strcmp(v, name))
			continue;
		p->loaded = 1;
		read_line(pd, "mode", p->mode, sizeof(p->mode));
		read_line(pd, "raw_sha1", p->raw_sha1, sizeof(p->raw_sha1));
		return 0;
	}
	return 0;
}

static int file_sha256(const char *file, char hex[KSHA256_HEX], kerr *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	uint8_t sum[KSHA256_LEN];
	if (kfs_read_file(file, &buf, &len, e) < 0)
		return -1;
	ksha256(buf, len, sum);
	ksha256_hex(sum, hex);
	return 0;
}

static const char *find_parser(const char *want)
{
	static const char *const where[] = { "/usr/sbin/apparmor_parser", "/sbin/apparmor_parser", NULL };
	if (want)
		return access(want, X_OK) == 0 ? want : NULL;
	for (const char *const *w = where; *w; w++)
		if (access(*w, X_OK) == 0)
			return *w;
	return NULL;
}

/* apparmor_parser --replace FILE; its output, if it fails, in the error */
static int run_parser(const char *parser, const char *file, kerr *e)
{
	int out[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return kerr_errno(e, "pipe");
	_cleanup_pid_ pid_t pid = fork();
	if (pid < 0) {
		close(out[0]);
		close(out[1]);
		return kerr_errno(e, "fork");
	}
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(out[1], 2);
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, 0);
		char *const argv[] = { "apparmor_parser", "--replace", "--", (char *)file, NULL };
		char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
		execve(parser, argv, env);
		_exit(127);
	}
	close(out[1]);
	char msg[512];
	size_t n = 0;
	for (ssize_t r; n < sizeof(msg) - 1 && (r = read(out[0], msg + n, sizeof(msg) - 1 - n)) != 0;)
		if (r > 0)
			n += r;
		else if (errno != EINTR)
			break;
	close(out[0]);
	msg[n] = '\0';
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	for (char *c = msg; *c; c++)
		if (*c == '\n')
			*c = ' ';
	int st;
	pid_t p = steal_pid(pid);
	while (waitpid(p, &st, 0) < 0)
		if (errno != EINTR)
			return kerr_errno(e, "wait for %s", parser);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return kerr_msg(e, EINVAL, "%s --replace %s failed (%s %d)%s%s", parser, file,
				WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
				*msg ? ": " : "", msg);
	return 0;
}

/* A kapsel-default that only logs (complain, kill is fine: it denies
 * too) is not the confinement B16 promises. */
static int check_mode(const struct kaa_profile *p, const char *how, kerr *e)
{
	if (!strcmp(p->mode, "enforce") || !strcmp(p->mode, "kill"))
		return 0;
	return kerr_msg(e, EPERM, "AppArmor profile %s %s is in %s mode, not enforce: it would log what it "
			"must deny (put it back: aa-enforce %s, or apparmor_parser --replace of kapsel's file)",
			KAA_DEFAULT_PROFILE, how, *p->mode ? p->mode : "an unknown", KAA_DEFAULT_PROFILE);
}

int kaa_ensure_default(const struct kaa_default *d, int *reloaded, kerr *e)
{
	struct kaa_profile now;
	char want[KSHA256_HEX], rec[PATH_MAX], lock[PATH_MAX], have[256] = "";

	*reloaded = 0;
	if (access(d->file, F_OK) < 0) {
		if (kaa_profile_find(d->securityfs, KAA_DEFAULT_PROFILE, &now, e) < 0)
			return -1;
		if (now.loaded) /* loaded by other means: the kernel's copy is the profile */
			return check_mode(&now, "(loaded by other means)", e);
		return kerr_errno(e, "AppArmor profile %s is not loaded and %s cannot be read (install it: meson "
				  "install puts kapsel's data/apparmor/%s there)", KAA_DEFAULT_PROFILE, d->file,
				  KAA_DEFAULT_PROFILE);
	}
	if (kfs_mkdir_p(d->state_dir, 0700, e) < 0)
		return -1;
	snprintf(rec, sizeof(rec), "%s/%s.loaded", d->state_dir, KAA_DEFAULT_PROFILE);
	snprintf(lock, sizeof(lock), "%s/%s.lock", d->state_dir, KAA_DEFAULT_PROFILE);
	/* one runtime loads at a time; the others then find it current */
	_cleanup_close_ int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lfd < 0)
		return kerr_errno(e, "open %s", lock);
	while (flock(lfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return kerr_errno(e, "lock %s", lock);
	if (file_sha256(d->file, want, e) < 0 ||
	    kaa_profile_find(d->securityfs, KAA_DEFAULT_PROFILE, &now, e) < 0)
		return -1;
	_cleanup_close_ int sd = open(d->state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (sd >= 0)
		read_line(sd, KAA_DEFAULT_PROFILE ".loaded", have, sizeof(have));
	char current[256];
	snprintf(current, sizeof(current), "%s %s", want, now.raw_sha1);
	if (now.loaded && !strcmp(have, current) && check_mode(&now, "", e) == 0)
		return 0;
	kerr_clear(e);
	const char *parser = find_parser(d->parser);
	if (!parser)
		return kerr_msg(e, ENOENT, "AppArmor profile %s must be (re)loaded from %s, but %s is not there "
				"(install Debian's apparmor package, or load it: apparmor_parser --replace %s)",
				KAA_DEFAULT_PROFILE, d->file, d->parser ? d->parser : "apparmor_parser (/usr/sbin, /sbin)",
				d->file);
	if (run_parser(parser, d->file, e) < 0 ||
	    kaa_profile_find(d->securityfs, KAA_DEFAULT_PROFILE, &now, e) < 0)
		return kerr_wrap(e, "load AppArmor profile %s", KAA_DEFAULT_PROFILE);
	if (!now.loaded)
		return kerr_msg(e, ENOENT, "load AppArmor profile %s: %s loaded %s but the kernel does not list a "
				"profile of that name", KAA_DEFAULT_PROFILE, parser, d->file);
	*reloaded = 1;
	if (check_mode(&now, "as loaded from its file", e) < 0)
		return -1;
	snprintf(current, sizeof(current), "%s %s\n", want, now.raw_sha1);
	return kfs_write_file(rec, current, strlen(current), 0600, 1, e);
}
