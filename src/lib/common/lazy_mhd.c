/* libmicrohttpd, loaded at its first use (lazy.h): the functions
 * `kapsel monitor` calls. */
#include "common/lazy.h"

#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <microhttpd.h>

static struct klazy_lib mhd = { .soname = "libmicrohttpd.so.12", .package = "libmicrohttpd12" };

#define M(ret, name, params, args) KLAZY_FN(mhd, ret, name, params, args)
typedef struct MHD_Connection conn;
typedef struct MHD_Response resp;

KLAZY_FREE(mhd, MHD_stop_daemon, struct MHD_Daemon)
KLAZY_FREE(mhd, MHD_destroy_response, resp)
KLAZY_FREE(mhd, MHD_free, void)
M(resp *, MHD_create_response_from_buffer, (size_t n, void *buf, enum MHD_ResponseMemoryMode mode), (n, buf, mode))
M(resp *, MHD_create_response_from_buffer_with_free_callback_cls,
  (size_t n, void *buf, MHD_ContentReaderFreeCallback fn, void *cls), (n, buf, fn, cls))
M(enum MHD_Result, MHD_add_response_header, (resp * r, const char *h, const char *v), (r, h, v))
M(enum MHD_Result, MHD_queue_response, (conn * c, unsigned int status, resp *r), (c, status, r))
M(enum MHD_Result, MHD_queue_basic_auth_fail_response, (conn * c, const char *realm, resp *r), (c, realm, r))
M(char *, MHD_basic_auth_get_username_password, (conn * c, char **password), (c, password))
M(const char *, MHD_lookup_connection_value, (conn * c, enum MHD_ValueKind kind, const char *key), (c, kind, key))

/* MHD_start_daemon's options go on as the va_list MHD_start_daemon_va
 * takes. */
typedef struct MHD_Daemon *(*start_va_t)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
					 MHD_AccessHandlerCallback, void *, va_list);
struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
				    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	static start_va_t _Atomic slot;
	start_va_t f = KLAZY_RESOLVE(mhd, start_va_t, slot, "MHD_start_daemon_va");
	va_list ap;
	va_start(ap, dh_cls);
	struct MHD_Daemon *d = f(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}
