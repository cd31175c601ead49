/* Libraries loaded when first used, not at every start of `kapsel`.
 *
 * libcurl and libarchive bring about forty shared objects
 * with them (GnuTLS, Kerberos, LDAP, libxml2, ICU, libstdc++...); binding
 * them costs a `kapsel ps` 9 of its 11 ms on this machine (measured with
 * `perf stat -r 30` on an empty main() linked with and without them),
 * while most commands never call them; libcrypto and libsqlite3 add ~5800
 * symbol relocations, ~1.2 ms of a `kapsel ps`'s start (LD_DEBUG=statistics).
 * So `kapsel` does not link them: lazy_curl.c, lazy_archive.c, lazy_ssl.c,
 * lazy_crypto.c and lazy_sqlite.c define the functions kapsel
 * calls, each of which dlopen()s its library by soname on the first call
 * and jumps to the library's own function from then on (its address kept
 * per function, read and set atomically).  The headers are the libraries'
 * own, so every prototype is checked against them by the compiler.
 *
 * A library that cannot be loaded ends the program as the dynamic loader
 * itself would (exit status 127) after one line naming the library, why,
 * and the Debian package that has it: there is no fallback. */
#ifndef KAPSEL_LAZY_H
#define KAPSEL_LAZY_H
#include <stdatomic.h>
#include <string.h>

struct klazy_lib {
	const char *soname;  /* "libcurl.so.4" */
	const char *package; /* Debian's, for the error */
	void *_Atomic handle;
};

/* NAME's address in LIB, loading LIB first; never returns NULL. */
void *klazy_sym(struct klazy_lib *lib, const char *name);

/* The function pointer *SLOT (of type T) for NAME, resolved once. */
#define KLAZY_RESOLVE(lib, T, slot, name)                                          \
	({                                                                         \
		T klazy_f_ = atomic_load_explicit(&(slot), memory_order_acquire); \
		if (!klazy_f_) {                                                   \
			void *klazy_p_ = klazy_sym(&(lib), name);                  \
			memcpy(&klazy_f_, &klazy_p_, sizeof(klazy_f_));            \
			atomic_store_explicit(&(slot), klazy_f_, memory_order_release); \
		}                                                                  \
		klazy_f_;                                                          \
	})

/* Define RET NAME PARAMS as a call of LIB's NAME with ARGS. */
#define KLAZY_FN(lib, ret, name, params, args)                           \
	ret name params                                                  \
	{                                                                \
		typedef ret(*klazy_t_) params;                           \
		static klazy_t_ _Atomic klazy_slot_;                     \
		return KLAZY_RESOLVE(lib, klazy_t_, klazy_slot_, #name) args; \
	}
#define KLAZY_VOID(lib, name, params, args)                              \
	void name params                                                 \
	{                                                                \
		typedef void (*klazy_t_) params;                         \
		static klazy_t_ _Atomic klazy_slot_;                     \
		KLAZY_RESOLVE(lib, klazy_t_, klazy_slot_, #name) args;   \
	}
/* A release function of one pointer that does nothing for NULL (as all
 * of the libraries' own do): a NULL never loads the library, so a command
 * that frees what it never made does not pay for it (ktrust_free's
 * EVP_PKEY_free(NULL) cost every `kapsel run` 1-2 ms). */
#define KLAZY_FREE(lib, name, type)                                      \
	void name(type *p)                                               \
	{                                                                \
		typedef void (*klazy_t_)(type *);                        \
		static klazy_t_ _Atomic klazy_slot_;                     \
		if (p)                                                   \
			KLAZY_RESOLVE(lib, klazy_t_, klazy_slot_, #name)(p); \
	}
#endif
