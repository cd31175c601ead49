/* libssl, loaded at its first use (lazy.h): the TLS server of httpd.c,
 * used only when `kapsel monitor` is given a certificate. */
#include "common/lazy.h"

#include <openssl/ssl.h>

static struct klazy_lib ssl = { .soname = "libssl.so.3", .package = "libssl3" };

KLAZY_FN(ssl, const SSL_METHOD *, TLS_server_method, (void), ())
KLAZY_FN(ssl, SSL_CTX *, SSL_CTX_new, (const SSL_METHOD *m), (m))
KLAZY_FREE(ssl, SSL_CTX_free, SSL_CTX)
KLAZY_FN(ssl, uint64_t, SSL_CTX_set_options, (SSL_CTX * ctx, uint64_t op), (ctx, op))
KLAZY_FN(ssl, long, SSL_CTX_ctrl, (SSL_CTX * ctx, int cmd, long larg, void *parg), (ctx, cmd, larg, parg))
KLAZY_FN(ssl, int, SSL_CTX_use_certificate_chain_file, (SSL_CTX * ctx, const char *file), (ctx, file))
KLAZY_FN(ssl, int, SSL_CTX_use_PrivateKey_file, (SSL_CTX * ctx, const char *file, int type), (ctx, file, type))
KLAZY_FN(ssl, int, SSL_CTX_check_private_key, (const SSL_CTX *ctx), (ctx))
KLAZY_FN(ssl, SSL *, SSL_new, (SSL_CTX * ctx), (ctx))
KLAZY_FREE(ssl, SSL_free, SSL)
KLAZY_FN(ssl, int, SSL_set_fd, (SSL * s, int fd), (s, fd))
KLAZY_FN(ssl, int, SSL_accept, (SSL * s), (s))
KLAZY_FN(ssl, int, SSL_read, (SSL * s, void *buf, int num), (s, buf, num))
KLAZY_FN(ssl, int, SSL_write, (SSL * s, const void *buf, int num), (s, buf, num))
KLAZY_FN(ssl, int, SSL_get_error, (const SSL *s, int ret), (s, ret))
KLAZY_FN(ssl, int, SSL_shutdown, (SSL * s), (s))
