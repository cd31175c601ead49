/* kapsel-log-tls [--ca FILE] [--cert FILE --key FILE] [--skip-verify] HOST PORT
 *
 * The TLS leg of the syslog driver's tcp+tls (src/lib/logs/remote.c): the
 * supervisor starts it with a socketpair on stdin and stdout.  It connects
 * to HOST:PORT, verifies the server (the system's CAs or --ca, the name or
 * IP address against the certificate; --skip-verify: not at all), says
 * "ok\n" (or "error: WHY\n" and exits 1), then carries what it reads to
 * the server until either side closes (a write the server does not take
 * in 10 s ends it too).  A program of its own because the
 * supervisor is linked statically, and OpenSSL linked into it costs every
 * container ~900 KiB of RSS even when no log goes over TLS. */
#include "common/err.h"
#include "common/loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dprintf(1, "%s\n", msg);
}

static const char *ssl_reason(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();
	if (!e)
		return "the connection was closed";
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int g = getaddrinfo(host, port, &hints, &ai);
	if (g) {
		say("error: resolve %s: %s", host, gai_strerror(g));
		return -1;
	}
	int fd = -1, err = 0;
	for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		struct timeval tv = { 10, 0 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (fd < 0)
		say("error: connect %s:%s: %s", host, port, strerror(err));
	return fd;
}

struct relay {
	SSL *ssl;
	char buf[16384];
};

static int on_in(struct kloop_source *s, int fd, uint32_t ev, void *data, kerr *e)
{
	(void)s, (void)ev, (void)e;
	struct relay *r = data;
	ssize_t n = read(fd, r->buf, sizeof(r->buf));
	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0) {
		SSL_shutdown(r->ssl);
		kloop_exit(kloop_source_loop(s), 0);
		return 0;
	}
	for (ssize_t off = 0; off < n;) {
		int w = SSL_write(r->ssl, r->buf + off, (int)(n - off));
		if (w <= 0) {
			fprintf(stderr, "kapsel-log-tls: write: %s\n", ssl_reason());
			kloop_exit(kloop_source_loop(s), 1);
			return 0;
		}
		off += w;
	}
	return 0;
}

static int on_server(struct kloop_source *s, int fd, uint32_t ev, void *data, kerr *e)
{
	(void)fd, (void)ev, (void)e;
	struct relay *r = data;
	char buf[512];
	/* non-blocking for the read only (a TLS 1.3 ticket is all there is to
	 * read; the writes stay blocking, with their 10 s timeout) */
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	int n = SSL_read(r->ssl, buf, sizeof(buf));
	int err = SSL_get_error(r->ssl, n);
	fcntl(fd, F_SETFL, fl);
	if (n > 0 || err == SSL_ERROR_WANT_READ)
		return 0; /* nothing is expected back: read and forgotten */
	fprintf(stderr, "kapsel-log-tls: the server closed the connection\n");
	kloop_exit(kloop_source_loop(s), 1);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "skip-verify", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ca = NULL, *cert = NULL, *key = NULL;
	int skip = 0;
	for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		if (o == 'a')
			ca = optarg;
		else if (o == 'c')
			cert = optarg;
		else if (o == 'k')
			key = optarg;
		else if (o == 's')
			skip = 1;
		else
			return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr,
			"usage: kapsel-log-tls [--ca FILE] [--cert FILE --key FILE] [--skip-verify] HOST PORT\n");
		return 2;
	}
	const char *host = argv[optind], *port = argv[optind + 1];
	signal(SIGPIPE, SIG_IGN);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		say("error: tls: %s", ssl_reason());
		return 1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (ca ? SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1 : SSL_CTX_set_default_verify_paths(ctx) != 1) {
		say("error: tls: CA certificates %s: %s", ca ? ca : "(system)", ssl_reason());
		return 1;
	}
	if (cert && (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
		     SSL_CTX_use_PrivateKey_file(ctx, key ? key : cert, SSL_FILETYPE_PEM) != 1 ||
		     SSL_CTX_check_private_key(ctx) != 1)) {
		say("error: tls: client certificate %s: %s", cert, ssl_reason());
		return 1;
	}
	SSL_CTX_set_verify(ctx, skip ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	int fd = dial(host, port);
	if (fd < 0)
		return 1;
	SSL *ssl = SSL_new(ctx);
	unsigned char ip[16];
	int is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
	if (!skip) {
		if (is_ip)
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
		else
			SSL_set1_host(ssl, host);
	}
	if (!is_ip)
		SSL_set_tlsext_host_name(ssl, host);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		long v = SSL_get_verify_result(ssl);
		if (v != X509_V_OK)
			say("error: tls %s:%s: the server's certificate: %s", host, port,
			    X509_verify_cert_error_string(v));
		else
			say("error: tls %s:%s: %s", host, port, ssl_reason());
		return 1;
	}
	say("ok");
	struct relay r = { .ssl = ssl };
	kerr e = { 0 };
	struct kloop *l;
	if (kloop_new(&l, &e) < 0 || !kloop_add_io(l, 0, EPOLLIN, on_in, &r, &e) ||
	    !kloop_add_io(l, fd, EPOLLIN, on_server, &r, &e)) {
		fprintf(stderr, "kapsel-log-tls: %s\n", e.msg);
		return 1;
	}
	int rc = kloop_run(l, &e);
	kloop_free(l);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return rc < 0 ? 1 : rc;
}
