/* libFuzzer target: the HTTP/1.1 answer reader of common/httpc.c (what
 * the Engine API and an Alertmanager send back), fed through a socket. */
#include "common/httpc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	if (size > 65536 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		return 0;
	int buf = 1 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	size_t off = 0;
	while (off < size) {
		ssize_t n = send(sv[0], data + off, size - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(sv[0], SHUT_WR);
	struct khttpc_rx r = { .fd = sv[1], .deadline = khttpc_now_ms() + 1000 };
	struct khttpc_answer a = { 0 };
	if (off == size && khttpc_read_answer(&r, &a) == 0) {
		if (a.status < 100 || (a.len && !a.body) || (a.body && a.body[a.len] != '\0'))
			abort();
		if (a.body && (a.body < r.p || a.body + a.len > r.p + r.len))
			abort();
	}
	free(r.p);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
