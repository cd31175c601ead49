/* kapsel-supervise --dir DIR [--config FILE]
 *
 * One container's supervisor (docs/supervise.md).  Reads DIR/supervise.json,
 * detaches (double fork, setsid, child subreaper) and returns once the
 * container runs: exit 0, or the error on stderr and exit 1.  Linked with
 * nothing but libc and json-c (statically where the build allows), so one
 * supervisor per container costs well under 1 MB. */
#include "common/conf.h"
#include "common/err.h"
#include "supervise/config.h"
#include "supervise/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kapsel-supervise --dir DIR [--config FILE]\n"
		"  --dir DIR      the container's directory (with supervise.json)\n"
		"  --config FILE  kapsel.conf for the log defaults (default " KCONF_PATH ")\n");
}

/* The starting side: wait for the supervisor's word. */
static int wait_start(int fd, pid_t mid)
{
	char buf[KERR_MSG_MAX + 16];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (len += (size_t)n) == sizeof(buf) - 1)
			break;
	}
	buf[len] = 0;
	while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
		;
	if (!strcmp(buf, "ok\n"))
		return 0;
	if (!strncmp(buf, "error: ", 7))
		fprintf(stderr, "kapsel-supervise: %s", buf + 7);
	else
		fprintf(stderr,
			"kapsel-supervise: the supervisor ended before the container started (see "
			"supervise.log)\n");
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *conf_path = KCONF_PATH;
	int explicit_conf = 0;
	for (int o; (o = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
		if (o == 'd')
			dir = optarg;
		else if (o == 'c')
			conf_path = optarg, explicit_conf = 1;
		else if (o == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!dir || optind != argc) {
		usage(stderr);
		return 2;
	}
	char absdir[PATH_MAX];
	if (!realpath(dir, absdir)) {
		fprintf(stderr, "kapsel-supervise: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	kerr e = { 0 };
	struct kconf *conf = NULL;
	struct ksup_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	if (kconf_load(conf_path, !explicit_conf, &conf, &e) < 0 || ksup_config_load(&cfg, absdir, conf, &e) < 0) {
		fprintf(stderr, "kapsel-supervise: %s\n", e.msg);
		kconf_free(conf);
		ksup_config_done(&cfg);
		return 1;
	}
	kconf_free(conf);
	/* tcp+tls logs go through kapsel-log-tls, compress=true through
	 * kapsel-log-gzip, both installed beside us */
	char self[PATH_MAX];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl > 0) {
		self[sl] = 0;
		char *slash = strrchr(self, '/');
		if (slash && asprintf(&cfg.log.tls_relay, "%.*s/kapsel-log-tls", (int)(slash - self), self) < 0)
			cfg.log.tls_relay = NULL;
		if (slash && asprintf(&cfg.log.gzip_helper, "%.*s/kapsel-log-gzip", (int)(slash - self), self) < 0)
			cfg.log.gzip_helper = NULL;
	}

	int hs[2];
	if (pipe2(hs, O_CLOEXEC) < 0) {
		perror("kapsel-supervise: pipe");
		return 1;
	}
	/* the starting process (kapsel) dying takes this one along, which
	 * closes the handshake: the supervisor then undoes the start */
	pid_t parent = getppid();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent) {
		ksup_config_done(&cfg);
		return 1;
	}
	pid_t mid = fork();
	if (mid < 0) {
		perror("kapsel-supervise: fork");
		return 1;
	}
	if (mid > 0) {
		ksup_config_done(&cfg);
		close(hs[1]);
		return wait_start(hs[0], mid);
	}
	close(hs[0]);
	prctl(PR_SET_PDEATHSIG, 0);
	setsid();
	pid_t sup = fork();
	if (sup != 0) {
		ksup_config_done(&cfg);
		_exit(sup < 0 ? 1 : 0);
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	umask(077);
	char logpath[PATH_MAX + 16];
	snprintf(logpath, sizeof(logpath), "%s/supervise.log", absdir);
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	int lf = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	dup2(nul, 0);
	dup2(nul, 1);
	dup2(lf >= 0 ? lf : nul, 2);
	if (nul > 2)
		close(nul);
	if (lf > 2)
		close(lf);
	setvbuf(stderr, NULL, _IOLBF, 0);
	int r = ksup_run(&cfg, absdir, hs[1], &e);
	if (r < 0)
		fprintf(stderr, "kapsel-supervise: %s\n", e.msg);
	ksup_config_done(&cfg);
	return r < 0 ? 1 : 0;
}
