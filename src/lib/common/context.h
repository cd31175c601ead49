/* What a program tells the library about itself, set once by main and
 * passed down (as crun's libcrun_context): the library reads no
 * environment and knows no program name.  The strings belong to the
 * program and outlive every call that is handed the context. */
#ifndef KAPSEL_CONTEXT_H
#define KAPSEL_CONTEXT_H

#define KCTX_STATE_ROOT "/run/kapsel"
#define KCTX_SECCOMP_CACHE "/run/kapsel/seccomp-cache"

struct kctx {
	const char *state_root;     /* where containers' state directories live */
	const char *policy;         /* the policy file; NULL: the library's default path */
	const char *seccomp_cache;  /* the compiled-filter cache directory; NULL or "": none */
	char *const *self_argv;     /* the program's own argv, for the sealed re-exec
				     * (CVE-2019-5736); NULL: the program cannot re-exec */
};

#endif
