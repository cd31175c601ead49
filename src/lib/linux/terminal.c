#include "terminal.h"

#include "common/cleanup.h"
#include "oci/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

int kterm_connect(const char *path, kerr *e)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path))
		return kerr_set(e, ENAMETOOLONG, "--console-socket %s", path);
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kerr_errno(e, "socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;
		close(fd);
		return kerr_set(e, err, "connect to --console-socket %s", path);
	}
	return fd;
}

int kterm_send_fd(int sock, int fd, const char *name, kerr *e)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen(name) + 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	memset(cbuf, 0, sizeof(cbuf));
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		return kerr_errno(e, "send the terminal to the console socket");
	return 0;
}

int kterm_recv_fd(int sock, kerr *e)
{
	char cbuf[CMSG_SPACE(sizeof(int))], name[256];
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	ssize_t r;
	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return kerr_errno(e, "receive the terminal");
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return kerr_msg(e, EPROTO, "receive the terminal: no file descriptor");
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

int kterm_setup(const struct oci_process *p, int sock, kerr *e)
{
	_cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return kerr_errno(e, "open /dev/ptmx in the container (is devpts mounted?)");
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return kerr_errno(e, "unlock the pty");
	/* TIOCGPTPEER opens the slave from the master: no path lookup */
	_cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return kerr_errno(e, "open the pty slave");
	if (p->has_console_size) {
		struct winsize ws = { .ws_row = p->console_height, .ws_col = p->console_width };
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			return kerr_errno(e, "set the console size");
	}
	if (kterm_send_fd(sock, master, "/dev/ptmx", e) < 0)
		return -1;
	if (setsid() < 0 && errno != EPERM)
		return kerr_errno(e, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return kerr_errno(e, "make the pty the controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return kerr_errno(e, "dup the pty to fd %d", fd);
	return 0;
}

static struct termios saved_tio;
static int saved_ok;

void kterm_local_restore(void)
{
	if (saved_ok)
		tcsetattr(0, TCSANOW, &saved_tio);
	saved_ok = 0;
}

void kterm_resize(int master)
{
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

void kterm_local_raw(int master)
{
	static int registered;
	if (!isatty(0) || tcgetattr(0, &saved_tio) < 0)
		return;
	struct termios raw = saved_tio;
	cfmakeraw(&raw);
	if (tcsetattr(0, TCSANOW, &raw) == 0) {
		saved_ok = 1;
		if (!registered++)
			atexit(kterm_local_restore);
	}
	kterm_resize(master);
}
