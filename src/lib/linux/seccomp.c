/* linux.seccomp -> BPF.
 *
 * Compile (in the runtime, before the container process exists):
 *   1. read the few fields that only matter at install time (flags are
 *      stored in the cache; listenerPath and listenerMetadata are read here);
 *   2. hash the profile (SHA-256 of its canonical JSON, minus the listener
 *      fields, plus the libseccomp version and the kernel) and look the
 *      program up in the on-disk cache: a hit skips libseccomp entirely;
 *   3. on a miss, translate the profile with libseccomp the way runc does,
 *      export the BPF program and store it in the cache (temp + rename).
 *
 * Install (in the container process, right before execve): one seccomp(2)
 * call, no libseccomp and no allocation.
 *
 * The hash is common/sha256 (why it is not libcrypto: see sha256.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "linux/kseccomp.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/log.h"
#include "common/sha256.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef BPF_MAXINSNS
#define BPF_MAXINSNS 4096
#endif

/* Bump when the translation below changes what a profile compiles to:
 * it is part of the cache key, so old entries stop matching. */
#define TRANSLATOR_VERSION "kapsel-seccomp-1"
#define CACHE_MAGIC "KSCMPBPF"
#define CACHE_FORMAT 1
#define ARG_MAX_INDEX 5

struct kseccomp {
	struct sock_filter *prog;
	size_t len;                     /* instructions */
	unsigned int flags;             /* SECCOMP_FILTER_FLAG_* from the profile */
	int notify;                     /* some rule is SCMP_ACT_NOTIFY */
	int cached;                     /* prog came from the cache */
	/* listener, prepared at compile time so install does no work */
	int listener_fd;                /* O_PATH to listenerPath, or -1 */
	char *metadata;
	size_t metadata_len;
	struct sockaddr_un addr_fd;     /* /proc/self/fd/N of listener_fd */
	socklen_t addr_fd_len;
	struct sockaddr_un addr_path;   /* listenerPath itself, if it fits */
	socklen_t addr_path_len;
	char *listener_path;
};

/* ---- profile fields ---- */

/* Borrowed string: 1 present, 0 absent/null, -1 wrong type. */
static int get_str(struct jctx *c, json_object *o, const char *path, const char **out)
{
	if (!o || json_object_is_type(o, json_type_null))
		return 0;
	if (!json_object_is_type(o, json_type_string))
		return kj_fail(c, path, "expected a string");
	*out = json_object_get_string(o);
	return 1;
}

static const struct {
	const char *name;
	uint32_t act;       /* for ERRNO and TRACE: without the return value */
} actions[] = {
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0) },
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0) },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG },
	{ "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
};

/* The action named by ACT_O ("SCMP_ACT_..."), with ERRNO_O (errnoRet or
 * defaultErrnoRet) as the return value of ERRNO and TRACE (EPERM when
 * absent, as runc does).  Other actions ignore errnoRet, as runc does. */
static int parse_action(struct jctx *c, json_object *act_o, const char *act_path,
			json_object *errno_o, const char *errno_path, uint32_t *out)
{
	const char *name = NULL;
	uint32_t ret = EPERM;
	int r = get_str(c, act_o, act_path, &name);

	if (r < 0)
		return -1;
	if (r == 0)
		return kj_fail(c, act_path, "missing");
	r = kj_uint32(c, errno_o, errno_path, &ret);
	if (r < 0)
		return -1;
	if (r > 0 && ret > 0xffff)
		return kj_fail(c, errno_path, "%" PRIu32 " is out of range (0-65535)", ret);
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		if (strcmp(name, actions[i].name))
			continue;
		if (actions[i].act == SCMP_ACT_ERRNO(0))
			*out = SCMP_ACT_ERRNO(ret);
		else if (actions[i].act == SCMP_ACT_TRACE(0))
			*out = SCMP_ACT_TRACE(ret);
		else
			*out = actions[i].act;
		return 0;
	}
	return kj_fail(c, act_path, "unknown action \"%s\"", name);
}

static const struct {
	const char *name;
	unsigned int flag;
	int attr;           /* libseccomp attribute, 0 if none */
} filter_flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC, SCMP_FLTATR_CTL_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG, SCMP_FLTATR_CTL_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW, SCMP_FLTATR_CTL_SSB },
	/* libseccomp 2.5 has no attribute for it; install passes the kernel
	 * flag itself (it only applies to a notify listener). */
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, 0 },
};
#define KNOWN_FLAGS (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | \
		     SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)

static const struct {
	const char *name;
	enum scmp_compare op;
} operators[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static int parse_flags(struct jctx *c, json_object *profile, unsigned int *flags)
{
	json_object *arr = kj_get(profile, "flags");
	char path[128];
	int r = kj_array(c, arr, "linux.seccomp.flags");

	*flags = 0;
	if (r <= 0)
		return r;
	for (size_t i = 0, n = json_object_array_length(arr); i < n; i++) {
		const char *name = NULL;
		size_t k;
		kj_path_idx(path, sizeof(path), "linux.seccomp.flags", i);
		r = get_str(c, json_object_array_get_idx(arr, i), path, &name);
		if (r < 0)
			return -1;
		if (r == 0)
			return kj_fail(c, path, "expected a string");
		for (k = 0; k < ARRAY_SIZE(filter_flags); k++)
			if (!strcmp(name, filter_flags[k].name))
				break;
		if (k == ARRAY_SIZE(filter_flags))
			return kj_fail(c, path, "unknown flag \"%s\"", name);
		*flags |= filter_flags[k].flag;
	}
	return 0;
}

/* listenerPath and listenerMetadata: kept, with both socket addresses
 * prepared so that install only connects. */
static int parse_listener(struct jctx *c, json_object *profile, struct kseccomp *sc)
{
	const char *path = NULL, *meta = NULL;

	if (get_str(c, kj_get(profile, "listenerPath"), "linux.seccomp.listenerPath", &path) < 0 ||
	    get_str(c, kj_get(profile, "listenerMetadata"), "linux.seccomp.listenerMetadata", &meta) < 0)
		return -1;
	if (meta) {
		sc->metadata = strdup(meta);
		if (!sc->metadata)
			return kerr_set(c->e, ENOMEM, "config.json: linux.seccomp.listenerMetadata");
		sc->metadata_len = strlen(meta);
	}
	if (!path)
		return 0;
	if (!*path)
		return kj_fail(c, "linux.seccomp.listenerPath", "empty path");
	sc->listener_path = strdup(path);
	if (!sc->listener_path)
		return kerr_set(c->e, ENOMEM, "config.json: linux.seccomp.listenerPath");
	if (strlen(path) < sizeof(sc->addr_path.sun_path)) {
		sc->addr_path.sun_family = AF_UNIX;
		strcpy(sc->addr_path.sun_path, path);
		sc->addr_path_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
	}
	return 0;
}

/* Resolve listenerPath now, in the runtime's mount namespace: install runs
 * after pivot_root, where the host path is gone, and connects through
 * /proc/self/fd/N instead. */
static void open_listener(struct kseccomp *sc)
{
	if (!sc->notify || !sc->listener_path)
		return;
	sc->listener_fd = open(sc->listener_path, O_PATH | O_CLOEXEC);
	if (sc->listener_fd < 0) {
		klog_debug("seccomp: listenerPath %s: %s; install will connect by path",
			   sc->listener_path, strerror(errno));
		return;
	}
	sc->addr_fd.sun_family = AF_UNIX;
	int n = snprintf(sc->addr_fd.sun_path, sizeof(sc->addr_fd.sun_path), "/proc/self/fd/%d", sc->listener_fd);
	sc->addr_fd_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

/* ---- translation (cache miss) ---- */

/* One syscalls[] entry.  Same rule shape as runc: without args one
 * unconditional rule; if an arg index repeats, one rule per condition
 * (OR); otherwise one rule with all conditions (AND). */
static int add_entry(struct jctx *c, scmp_filter_ctx ctx, uint32_t def_act, json_object *ent,
		     const char *path, int *notify)
{
	char p[256], q[256];
	json_object *names, *args;
	uint32_t act;
	int r;

	if ((r = kj_object(c, ent, path)) < 0)
		return -1;
	if (r == 0)
		return kj_fail(c, path, "expected an object");

	kj_path(p, sizeof(p), path, "names");
	names = kj_get(ent, "names");
	if ((r = kj_array(c, names, p)) < 0)
		return -1;
	if (r == 0 || json_object_array_length(names) == 0)
		return kj_fail(c, p, "missing or empty");
	size_t n_names = json_object_array_length(names);
	for (size_t i = 0; i < n_names; i++) {
		const char *s;
		kj_path_idx(q, sizeof(q), p, i);
		if (get_str(c, json_object_array_get_idx(names, i), q, &s) <= 0)
			return kj_fail(c, q, "expected a string");
	}

	kj_path(p, sizeof(p), path, "action");
	kj_path(q, sizeof(q), path, "errnoRet");
	if (parse_action(c, kj_get(ent, "action"), p, kj_get(ent, "errnoRet"), q, &act) < 0)
		return -1;

	kj_path(p, sizeof(p), path, "args");
	args = kj_get(ent, "args");
	if ((r = kj_array(c, args, p)) < 0)
		return -1;
	size_t n_args = r ? json_object_array_length(args) : 0;
	_cleanup_free_ struct scmp_arg_cmp *conds = calloc(n_args ? n_args : 1, sizeof(*conds));
	if (!conds)
		return kerr_set(c->e, ENOMEM, "config.json: %s", p);
	unsigned int seen[ARG_MAX_INDEX + 1] = { 0 };
	int repeated = 0;
	for (size_t i = 0; i < n_args; i++) {
		json_object *a = json_object_array_get_idx(args, i);
		char ap[256], fp[288];
		uint32_t idx;
		uint64_t v1 = 0, v2 = 0;
		const char *opname = NULL;
		size_t k;

		kj_path_idx(ap, sizeof(ap), p, i);
		if ((r = kj_object(c, a, ap)) < 0)
			return -1;
		if (r == 0)
			return kj_fail(c, ap, "expected an object");
		kj_path(fp, sizeof(fp), ap, "index");
		if ((r = kj_uint32(c, kj_get(a, "index"), fp, &idx)) < 0)
			return -1;
		if (r == 0)
			return kj_fail(c, fp, "missing");
		if (idx > ARG_MAX_INDEX)
			return kj_fail(c, fp, "%" PRIu32 " is out of range (0-%d)", idx, ARG_MAX_INDEX);
		kj_path(fp, sizeof(fp), ap, "value");
		if ((r = kj_uint64(c, kj_get(a, "value"), fp, &v1)) < 0)
			return -1;
		if (r == 0)
			return kj_fail(c, fp, "missing");
		kj_path(fp, sizeof(fp), ap, "valueTwo");
		if (kj_uint64(c, kj_get(a, "valueTwo"), fp, &v2) < 0)
			return -1;
		kj_path(fp, sizeof(fp), ap, "op");
		if ((r = get_str(c, kj_get(a, "op"), fp, &opname)) < 0)
			return -1;
		if (r == 0)
			return kj_fail(c, fp, "missing");
		for (k = 0; k < ARRAY_SIZE(operators); k++)
			if (!strcmp(opname, operators[k].name))
				break;
		if (k == ARRAY_SIZE(operators))
			return kj_fail(c, fp, "unknown operator \"%s\"", opname);
		/* MASKED_EQ: value is the mask, valueTwo the expected result */
		conds[i] = (struct scmp_arg_cmp){ .arg = idx, .op = operators[k].op, .datum_a = v1, .datum_b = v2 };
		if (seen[idx]++)
			repeated = 1;
	}

	if (act == SCMP_ACT_NOTIFY) {
		*notify = 1;
		/* the listener fd leaves the process with sendmsg right after
		 * the filter is in: a notifying sendmsg would wait forever */
		for (size_t i = 0; i < n_names; i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(names, i));
			if (!strcmp(s, "sendmsg") || !strcmp(s, "socketcall")) {
				kj_path(p, sizeof(p), path, "names");
				kj_path_idx(q, sizeof(q), p, i);
				return kj_fail(c, q, "SCMP_ACT_NOTIFY cannot be used for %s (the runtime "
					       "sends the listener fd with it)", s);
			}
		}
	}
	if (act == def_act) {
		/* libseccomp refuses a rule that repeats the default action */
		klog_debug("seccomp: %s: same action as defaultAction, skipped", path);
		return 0;
	}

	kj_path(p, sizeof(p), path, "names");
	r = 0;
	for (size_t i = 0; i < n_names; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(names, i));
		int nr = seccomp_syscall_resolve_name(s);

		kj_path_idx(q, sizeof(q), p, i);
		if (nr == __NR_SCMP_ERROR) {
			klog_debug("seccomp: %s: unknown syscall \"%s\", skipped", q, s);
			continue;
		}
		if (repeated) {
			for (size_t k = 0; k < n_args && r >= 0; k++)
				r = seccomp_rule_add_array(ctx, act, nr, 1, &conds[k]);
		} else {
			r = seccomp_rule_add_array(ctx, act, nr, (unsigned int)n_args, n_args ? conds : NULL);
		}
		if (r < 0)
			return kerr_set(c->e, -r, "config.json: %s: cannot add the rule for \"%s\"", q, s);
	}
	return 0;
}

static int export_program(scmp_filter_ctx ctx, struct kseccomp *sc, kerr *e)
{
	_cleanup_close_ int fd = memfd_create("kapsel-seccomp", MFD_CLOEXEC);
	struct stat st;
	int r;

	if (fd < 0 && (errno == ENOSYS || errno == EINVAL))
		fd = open("/tmp", O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return kerr_errno(e, "seccomp: create a buffer for the BPF program");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return kerr_set(e, -r, "config.json: linux.seccomp: export the BPF program");
	if (fstat(fd, &st) < 0)
		return kerr_errno(e, "seccomp: stat the BPF program");
	size_t size = (size_t)st.st_size;
	if (size == 0 || size % sizeof(struct sock_filter))
		return kerr_msg(e, EINVAL, "seccomp: libseccomp exported %zu bytes, not a BPF program", size);
	size_t n = size / sizeof(struct sock_filter);
	if (n > BPF_MAXINSNS)
		return kerr_set(e, E2BIG, "config.json: linux.seccomp: the filter compiles to %zu "
				"instructions, more than the kernel's %d", n, BPF_MAXINSNS);
	sc->prog = malloc(size);
	if (!sc->prog)
		return kerr_set(e, ENOMEM, "seccomp: BPF program");
	for (size_t off = 0; off < size;) {
		ssize_t k = pread(fd, (char *)sc->prog + off, size - off, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return kerr_set(e, k < 0 ? errno : EIO, "seccomp: read the BPF program");
		off += (size_t)k;
	}
	sc->len = n;
	return 0;
}

static void release_ctx(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

static int translate(struct jctx *c, json_object *profile, struct kseccomp *sc)
{
	__attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = NULL;
	uint32_t def_act;
	json_object *arr;
	char path[128];
	int r;

	if (parse_action(c, kj_get(profile, "defaultAction"), "linux.seccomp.defaultAction",
			 kj_get(profile, "defaultErrnoRet"), "linux.seccomp.defaultErrnoRet", &def_act) < 0)
		return -1;
	if (def_act == SCMP_ACT_NOTIFY)
		return kj_fail(c, "linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");

	ctx = seccomp_init(def_act);
	if (!ctx)
		return kj_fail(c, "linux.seccomp.defaultAction", "libseccomp refused it (not supported by the kernel?)");

	arr = kj_get(profile, "architectures");
	if ((r = kj_array(c, arr, "linux.seccomp.architectures")) < 0)
		return -1;
	for (size_t i = 0, n = r ? json_object_array_length(arr) : 0; i < n; i++) {
		const char *name = NULL;
		char lower[32];
		uint32_t arch = 0;

		kj_path_idx(path, sizeof(path), "linux.seccomp.architectures", i);
		if (get_str(c, json_object_array_get_idx(arr, i), path, &name) <= 0)
			return kj_fail(c, path, "expected a string");
		/* SCMP_ARCH_X86_64 -> libseccomp's own name, x86_64 */
		if (!strncmp(name, "SCMP_ARCH_", 10) && strlen(name + 10) < sizeof(lower)) {
			size_t k = 0;
			for (const char *s = name + 10; *s; s++)
				lower[k++] = (char)tolower((unsigned char)*s);
			lower[k] = '\0';
			arch = seccomp_arch_resolve_name(lower);
		}
		if (!arch)
			return kj_fail(c, path, "unknown architecture \"%s\"", name);
		r = seccomp_arch_add(ctx, arch);
		if (r < 0 && r != -EEXIST)
			return kerr_set(c->e, -r, "config.json: %s: cannot add architecture \"%s\"", path, name);
	}

	/* Flags are the kernel's, passed by install; setting the libseccomp
	 * attribute too makes it check that the kernel has them. */
	for (size_t k = 0; k < ARRAY_SIZE(filter_flags); k++) {
		if (!(sc->flags & filter_flags[k].flag) || !filter_flags[k].attr)
			continue;
		r = seccomp_attr_set(ctx, (enum scmp_filter_attr)filter_flags[k].attr, 1);
		if (r < 0)
			return kerr_set(c->e, -r, "config.json: linux.seccomp.flags: %s", filter_flags[k].name);
	}

	arr = kj_get(profile, "syscalls");
	if ((r = kj_array(c, arr, "linux.seccomp.syscalls")) < 0)
		return -1;
	for (size_t i = 0, n = r ? json_object_array_length(arr) : 0; i < n; i++) {
		kj_path_idx(path, sizeof(path), "linux.seccomp.syscalls", i);
		if (add_entry(c, ctx, def_act, json_object_array_get_idx(arr, i), path, &sc->notify) < 0)
			return -1;
	}
	if (sc->notify && !sc->listener_path)
		return kj_fail(c, "linux.seccomp.listenerPath", "required when a rule uses SCMP_ACT_NOTIFY");
	if ((sc->flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) && !sc->notify) {
		klog_debug("seccomp: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV without a SCMP_ACT_NOTIFY rule: ignored");
		sc->flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	}
	return export_program(ctx, sc, c->e);
}

/* ---- cache ---- */

struct cache_hdr {
	char magic[8];          /* CACHE_MAGIC */
	uint32_t format;        /* CACHE_FORMAT */
	uint32_t n_insns;
	uint32_t flags;         /* SECCOMP_FILTER_FLAG_* from the profile */
	uint32_t notify;
	uint8_t key[32];        /* the entry's key (also its file name) */
	uint8_t sum[32];        /* SHA-256 of this header (sum zeroed) and the program */
};
_Static_assert(sizeof(struct cache_hdr) % sizeof(struct sock_filter) == 0, "header keeps the program aligned");

static void hash_str(struct ksha256 *s, const char *str)
{
	ksha256_update(s, str, strlen(str) + 1);
}

/* The key: everything the program depends on.  The profile's JSON is hashed
 * member by member, leaving out listenerPath and listenerMetadata, which do
 * not change the program (a per-container metadata would otherwise make a
 * new entry for every container). */
static void cache_key(json_object *profile, uint8_t key[32])
{
	const struct scmp_version *v = seccomp_version();
	struct utsname u;
	struct ksha256 s;
	char buf[128];

	ksha256_init(&s);
	hash_str(&s, TRANSLATOR_VERSION);
	snprintf(buf, sizeof(buf), "libseccomp %u.%u.%u native %#x", v ? v->major : 0, v ? v->minor : 0,
		 v ? v->micro : 0, seccomp_arch_native());
	hash_str(&s, buf);
	if (uname(&u) == 0) {
		hash_str(&s, u.machine);
		hash_str(&s, u.release);
	}
	json_object_object_foreach(profile, k, val) {
		if (!strcmp(k, "listenerPath") || !strcmp(k, "listenerMetadata"))
			continue;
		hash_str(&s, k);
		hash_str(&s, val ? json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN) : "null");
	}
	ksha256_final(&s, key);
}

static void cache_sum(const struct cache_hdr *h, const struct sock_filter *prog, size_t n, uint8_t out[32])
{
	struct cache_hdr z = *h;
	struct ksha256 s;

	memset(z.sum, 0, sizeof(z.sum));
	ksha256_init(&s);
	ksha256_update(&s, &z, sizeof(z));
	ksha256_update(&s, prog, n * sizeof(*prog));
	ksha256_final(&s, out);
}

/* The cache directory, created on demand.  It is only used when it belongs
 * to us and nobody else can write to it: a planted program would be
 * installed as the container's filter.  -1 when caching is off. */
static int cache_dir_open(const char *dir)
{
	struct stat st;
	int fd, created = 0;

	if (!dir || !*dir)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		kerr e;
		if (kfs_mkdir_p(dir, 0700, &e) < 0) {
			klog_debug("seccomp cache off: %s", e.msg);
			return -1;
		}
		created = 1;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		klog_debug("seccomp cache off: open %s: %s", dir, strerror(errno));
		return -1;
	}
	if (created)
		(void)fchmod(fd, 0700);
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
		klog_debug("seccomp cache off: %s is not a private directory of uid %u", dir, (unsigned)geteuid());
		close(fd);
		return -1;
	}
	return fd;
}

static int read_full(int fd, void *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t k = read(fd, (char *)buf + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		off += (size_t)k;
	}
	return 0;
}

/* 1 hit (sc filled), 0 miss or bad entry. */
static int cache_load(int dirfd, const char *name, const uint8_t key[32], struct kseccomp *sc)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	_cleanup_free_ struct sock_filter *prog = NULL;
	struct cache_hdr h;
	struct stat st;
	uint8_t sum[32];
	const char *why;

	if (fd < 0) {
		if (errno != ENOENT)
			klog_debug("seccomp cache: open %s: %s", name, strerror(errno));
		return 0;
	}
	why = "not a regular file of ours";
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		goto bad;
	why = "bad size";
	if ((size_t)st.st_size < sizeof(h) + sizeof(struct sock_filter) ||
	    (size_t)st.st_size > sizeof(h) + BPF_MAXINSNS * sizeof(struct sock_filter) ||
	    ((size_t)st.st_size - sizeof(h)) % sizeof(struct sock_filter))
		goto bad;
	why = "short read";
	if (read_full(fd, &h, sizeof(h)) < 0)
		goto bad;
	why = "bad header";
	if (memcmp(h.magic, CACHE_MAGIC, sizeof(h.magic)) || h.format != CACHE_FORMAT ||
	    memcmp(h.key, key, sizeof(h.key)) || (h.flags & ~KNOWN_FLAGS) || h.notify > 1 ||
	    (size_t)h.n_insns != ((size_t)st.st_size - sizeof(h)) / sizeof(struct sock_filter))
		goto bad;
	prog = malloc(h.n_insns * sizeof(*prog));
	if (!prog)
		return 0;
	why = "short read";
	if (read_full(fd, prog, h.n_insns * sizeof(*prog)) < 0)
		goto bad;
	why = "checksum mismatch";
	cache_sum(&h, prog, h.n_insns, sum);
	if (memcmp(sum, h.sum, sizeof(sum)))
		goto bad;
	sc->prog = steal_ptr(prog);
	sc->len = h.n_insns;
	sc->flags = h.flags;
	sc->notify = (int)h.notify;
	sc->cached = 1;
	return 1;
bad:
	klog_debug("seccomp cache: %s: %s, recompiling", name, why);
	return 0;
}

static void cache_store(int dirfd, const char *name, const uint8_t key[32], const struct kseccomp *sc)
{
	static unsigned int seq;
	size_t size = sizeof(struct cache_hdr) + sc->len * sizeof(struct sock_filter);
	struct cache_hdr h;
	char tmp[96];
	int fd;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
	h.format = CACHE_FORMAT;
	h.n_insns = (uint32_t)sc->len;
	h.flags = sc->flags;
	h.notify = (uint32_t)sc->notify;
	memcpy(h.key, key, sizeof(h.key));
	cache_sum(&h, sc->prog, sc->len, h.sum);

	snprintf(tmp, sizeof(tmp), ".tmp-%d-%u-%.16s", (int)getpid(), seq++, name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		klog_debug("seccomp cache: create %s: %s", tmp, strerror(errno));
		return;
	}
	struct iovec iov[2] = { { &h, sizeof(h) }, { sc->prog, sc->len * sizeof(struct sock_filter) } };
	ssize_t k;
	do
		k = writev(fd, iov, 2);
	while (k < 0 && errno == EINTR);
	int ok = k == (ssize_t)size;
	if (!ok)
		klog_debug("seccomp cache: write %s: %s", tmp, k < 0 ? strerror(errno) : "short write");
	if (close(fd) < 0)
		ok = 0;
	if (ok && renameat(dirfd, tmp, dirfd, name) < 0) {
		klog_debug("seccomp cache: rename %s: %s", tmp, strerror(errno));
		ok = 0;
	}
	if (!ok)
		unlinkat(dirfd, tmp, 0);
}

/* ---- public ---- */

void kseccomp_free(struct kseccomp *sc)
{
	if (!sc)
		return;
	if (sc->listener_fd >= 0)
		close(sc->listener_fd);
	free(sc->prog);
	free(sc->metadata);
	free(sc->listener_path);
	free(sc);
}

static void kseccomp_freep(struct kseccomp **sc)
{
	kseccomp_free(*sc);
}

int kseccomp_compile(json_object *profile, const char *cache_dir, struct kseccomp **out, kerr *e)
{
	struct jctx c = { .file = "config.json", .e = e };
	__attribute__((cleanup(kseccomp_freep))) struct kseccomp *sc = NULL;
	_cleanup_close_ int dirfd = -1;
	uint8_t key[32];
	char name[2 * sizeof(key) + 8] = "";
	int r;

	*out = NULL;
	if ((r = kj_object(&c, profile, "linux.seccomp")) <= 0)
		return r < 0 ? -1 : kj_fail(&c, "linux.seccomp", "expected an object");
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return kerr_set(e, ENOMEM, "seccomp");
	sc->listener_fd = -1;
	if (parse_listener(&c, profile, sc) < 0)
		return -1;

	dirfd = cache_dir_open(cache_dir);
	if (dirfd >= 0) {
		cache_key(profile, key);
		ksha256_hex(key, name);
		strcat(name, ".bpf");
		if (cache_load(dirfd, name, key, sc) > 0) {
			open_listener(sc);
			*out = steal_ptr(sc);
			return 0;
		}
	}

	if (parse_flags(&c, profile, &sc->flags) < 0 || translate(&c, profile, sc) < 0)
		return -1;
	if (dirfd >= 0)
		cache_store(dirfd, name, key, sc);
	open_listener(sc);
	*out = steal_ptr(sc);
	return 0;
}

const struct sock_filter *kseccomp_program(const struct kseccomp *sc, size_t *n_insns)
{
	if (n_insns)
		*n_insns = sc ? sc->len : 0;
	return sc ? sc->prog : NULL;
}

int kseccomp_cached(const struct kseccomp *sc)
{
	return sc ? sc->cached : 0;
}

/* Connect to listenerPath: through the fd opened at compile time when
 * /proc is there, by path otherwise. */
static int listener_connect(struct kseccomp *sc, kerr *e)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r = -1;

	if (s < 0)
		return kerr_errno(e, "seccomp: listener socket");
	if (sc->addr_fd_len)
		r = connect(s, (struct sockaddr *)&sc->addr_fd, sc->addr_fd_len);
	if (r < 0 && sc->addr_path_len && (!sc->addr_fd_len || errno == ENOENT))
		r = connect(s, (struct sockaddr *)&sc->addr_path, sc->addr_path_len);
	if (r < 0) {
		int err = sc->addr_fd_len || sc->addr_path_len ? errno : ENAMETOOLONG;
		close(s);
		return kerr_set(e, err, "seccomp: connect to listenerPath %s", sc->listener_path);
	}
	return s;
}

/* Send the listener fd, with the metadata as the payload (a stream socket
 * needs at least one byte to carry SCM_RIGHTS: an empty metadata is sent as
 * a single NUL). */
static int listener_send(struct kseccomp *sc, int sock, int fd, kerr *e)
{
	char nul = '\0';
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { sc->metadata_len ? sc->metadata : &nul, sc->metadata_len ? sc->metadata_len : 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	ssize_t k;

	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do
		k = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return kerr_errno(e, "seccomp: send the listener fd to %s", sc->listener_path);
	/* the fd went with the first byte; the rest of a long payload follows */
	for (size_t off = (size_t)k; off < iov.iov_len;) {
		k = send(sock, (char *)iov.iov_base + off, iov.iov_len - off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return kerr_errno(e, "seccomp: send listenerMetadata to %s", sc->listener_path);
		off += (size_t)k;
	}
	return 0;
}

int kseccomp_install(struct kseccomp *sc, kerr *e)
{
	struct sock_fprog prog = { .len = (unsigned short)sc->len, .filter = sc->prog };
	unsigned long flags = sc->flags;
	int sock = -1;
	long r;

	if (!sc->prog || sc->len == 0 || sc->len > BPF_MAXINSNS)
		return kerr_msg(e, EINVAL, "seccomp: no program to install");
	if (sc->notify) {
		/* connect before the filter is in, so the filter cannot get in
		 * the way (and a missing agent fails before anything changed) */
		sock = listener_connect(sc, e);
		if (sock < 0)
			return -1;
		flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		if (flags & SECCOMP_FILTER_FLAG_TSYNC)
			flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	}
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (r < 0) {
		int err = errno;
		if (sock >= 0)
			close(sock);
		if (err == EACCES)
			return kerr_set(e, err, "install the seccomp filter: no_new_privs is not set and the "
					"process lacks CAP_SYS_ADMIN");
		if (err == EINVAL && flags & ~(unsigned long)SECCOMP_FILTER_FLAG_TSYNC)
			return kerr_set(e, err, "install the seccomp filter (flags %#lx: not supported by "
					"this kernel?)", flags);
		return kerr_set(e, err, "install the seccomp filter");
	}
	if (!sc->notify) {
		/* TSYNC without a listener: a positive result is the thread
		 * that could not be synchronized */
		if (r > 0)
			return kerr_msg(e, ESRCH, "install the seccomp filter: thread %ld could not be "
					"synchronized", r);
		return 0;
	}
	int lfd = (int)r;
	int rc = listener_send(sc, sock, lfd, e);
	close(lfd);
	close(sock);
	return rc;
}
