/* libcurl, loaded at its first use (lazy.h): the functions kapsel calls.
 * The variadic setopt/getinfo calls pass on their one argument with the
 * type the option number says (curl.h's CURLOPTTYPE_* ranges), as libcurl
 * reads it. */
#define CURL_DISABLE_TYPECHECK 1
#include "common/lazy.h"

#include <curl/curl.h>
#include <stdarg.h>

static struct klazy_lib curl = { .soname = "libcurl.so.4", .package = "libcurl4" };

KLAZY_FN(curl, CURLcode, curl_global_init, (long flags), (flags))
KLAZY_FN(curl, CURL *, curl_easy_init, (void), ())
KLAZY_FREE(curl, curl_easy_cleanup, CURL)
KLAZY_FN(curl, CURLcode, curl_easy_perform, (CURL *c), (c))
KLAZY_FN(curl, const char *, curl_easy_strerror, (CURLcode code), (code))
KLAZY_FN(curl, char *, curl_easy_escape, (CURL *c, const char *s, int n), (c, s, n))
KLAZY_FREE(curl, curl_free, void)
KLAZY_FN(curl, struct curl_slist *, curl_slist_append, (struct curl_slist *l, const char *s), (l, s))
KLAZY_FREE(curl, curl_slist_free_all, struct curl_slist)
KLAZY_FN(curl, CURLM *, curl_multi_init, (void), ())
KLAZY_FN(curl, CURLMcode, curl_multi_cleanup, (CURLM *m), (m))
KLAZY_FN(curl, CURLMcode, curl_multi_add_handle, (CURLM *m, CURL *c), (m, c))
KLAZY_FN(curl, CURLMcode, curl_multi_remove_handle, (CURLM *m, CURL *c), (m, c))
KLAZY_FN(curl, CURLMcode, curl_multi_perform, (CURLM *m, int *running), (m, running))
KLAZY_FN(curl, CURLMcode, curl_multi_poll,
	 (CURLM *m, struct curl_waitfd extra[], unsigned int n, int timeout_ms, int *ret),
	 (m, extra, n, timeout_ms, ret))
KLAZY_FN(curl, CURLMsg *, curl_multi_info_read, (CURLM *m, int *left), (m, left))
KLAZY_FN(curl, CURLSH *, curl_share_init, (void), ())
KLAZY_FN(curl, CURLSHcode, curl_share_cleanup, (CURLSH *s), (s))
KLAZY_FN(curl, CURLU *, curl_url, (void), ())
KLAZY_FREE(curl, curl_url_cleanup, CURLU)
KLAZY_FN(curl, CURLUcode, curl_url_get, (CURLU *u, CURLUPart what, char **part, unsigned int flags),
	 (u, what, part, flags))
KLAZY_FN(curl, CURLUcode, curl_url_set, (CURLU *u, CURLUPart what, const char *part, unsigned int flags),
	 (u, what, part, flags))

typedef void (*curl_fnptr)(void);

/* Options of easy and multi handles share the type ranges. */
#define PASS_OPTION(call, o, ap)                                               \
	((o) < CURLOPTTYPE_OBJECTPOINT	  ? call(va_arg(ap, long))                \
	 : (o) < CURLOPTTYPE_FUNCTIONPOINT ? call(va_arg(ap, void *))              \
	 : (o) < CURLOPTTYPE_OFF_T	  ? call(va_arg(ap, curl_fnptr))          \
	 : (o) < CURLOPTTYPE_BLOB	  ? call(va_arg(ap, curl_off_t))          \
					  : call(va_arg(ap, void *)))

typedef CURLcode (*easy_setopt_t)(CURL *, CURLoption, ...);
CURLcode curl_easy_setopt(CURL *c, CURLoption o, ...)
{
	static easy_setopt_t _Atomic slot;
	easy_setopt_t f = KLAZY_RESOLVE(curl, easy_setopt_t, slot, "curl_easy_setopt");
	va_list ap;
	va_start(ap, o);
#define CALL(v) f(c, o, v)
	CURLcode r = PASS_OPTION(CALL, o, ap);
#undef CALL
	va_end(ap);
	return r;
}

typedef CURLMcode (*multi_setopt_t)(CURLM *, CURLMoption, ...);
CURLMcode curl_multi_setopt(CURLM *m, CURLMoption o, ...)
{
	static multi_setopt_t _Atomic slot;
	multi_setopt_t f = KLAZY_RESOLVE(curl, multi_setopt_t, slot, "curl_multi_setopt");
	va_list ap;
	va_start(ap, o);
#define CALL(v) f(m, o, v)
	CURLMcode r = PASS_OPTION(CALL, o, ap);
#undef CALL
	va_end(ap);
	return r;
}

/* curl_easy_getinfo's argument is always a pointer to where the answer
 * goes. */
typedef CURLcode (*getinfo_t)(CURL *, CURLINFO, ...);
CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	static getinfo_t _Atomic slot;
	getinfo_t f = KLAZY_RESOLVE(curl, getinfo_t, slot, "curl_easy_getinfo");
	va_list ap;
	va_start(ap, info);
	void *where = va_arg(ap, void *);
	va_end(ap);
	return f(c, info, where);
}

/* CURLSHOPT_(UN)SHARE take a curl_lock_data (an int), the lock functions
 * a function, USERDATA a pointer. */
typedef CURLSHcode (*share_setopt_t)(CURLSH *, CURLSHoption, ...);
CURLSHcode curl_share_setopt(CURLSH *s, CURLSHoption o, ...)
{
	static share_setopt_t _Atomic slot;
	share_setopt_t f = KLAZY_RESOLVE(curl, share_setopt_t, slot, "curl_share_setopt");
	va_list ap;
	va_start(ap, o);
	CURLSHcode r;
	switch (o) {
	case CURLSHOPT_SHARE:
	case CURLSHOPT_UNSHARE:
		r = f(s, o, va_arg(ap, int));
		break;
	case CURLSHOPT_LOCKFUNC:
	case CURLSHOPT_UNLOCKFUNC:
		r = f(s, o, va_arg(ap, curl_fnptr));
		break;
	case CURLSHOPT_USERDATA:
		r = f(s, o, va_arg(ap, void *));
		break;
	default:
		r = CURLSHE_BAD_OPTION;
	}
	va_end(ap);
	return r;
}
