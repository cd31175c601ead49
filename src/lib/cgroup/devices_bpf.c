/* The cgroup-device eBPF program: a small emitter of struct bpf_insn, the
 * program builder, and the bpf(2) calls that load, attach, replace and
 * query it (contract in devices_bpf.h).
 *
 * Raw bpf(2) rather than libbpf: the program is a few dozen instructions
 * generated from data at run time, so libbpf's part (ELF objects, BTF,
 * CO-RE) does not apply; what is left are five thin syscall wrappers, and
 * libbpf would add libbpf, libelf and libz to the dynamic loading of every
 * kapsel-runtime command, the start path included.  libbpf installs no
 * instruction macros either, so the emitter below is needed with it too.
 *
 * The rules are first reduced to what cgroup v1 would hold after the same
 * writes to devices.allow and devices.deny (kcg_dev_reduce): a default and
 * a list of exceptions.  The program (R1 = struct bpf_cgroup_dev_ctx):
 *     w2 = access_type >> 16 (the access bits asked for)
 *     w3 = access_type & 0xffff (type)   w4 = major   w5 = minor
 *   then one block per exception that matches the device: a default-deny
 *   list returns 1 when the exception grants every bit asked for, a
 *   default-allow list returns 0 when it names any of them; after the last
 *   one, the default.  An exception another one always decides the same
 *   way is left out.  Exceptions are never of type "a" (v1 turns those into
 *   the default), so no block ends the program early and the verifier,
 *   which refuses unreachable code, sees none. */
#include "cgroup/devices_bpf.h"

#include "cgroup/driver.h"
#include "common/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ------------------------------------------------------------- emitter */

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV32_REG(dst, src) INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define ALU32_IMM(op, dst, imm) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV64_IMM(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP32_IMM(op, dst, imm, off) INSN(BPF_JMP32 | (op) | BPF_K, dst, 0, off, imm)
#define JA(off) INSN(BPF_JMP | BPF_JA, 0, 0, off, 0)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum { R0, R1, R2, R3, R4, R5 };

/* Jumps whose target is not known yet, all to one label (the end of a
 * rule: at most its three tests and one more). */
struct fixups {
	size_t at[4];
	size_t n;
};

static int emit(struct kcg_devbpf *p, struct bpf_insn i)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct bpf_insn *ni = realloc(p->insn, cap * sizeof(*ni));
		if (!ni)
			return -1;
		p->insn = ni;
		p->cap = cap;
	}
	p->insn[p->n++] = i;
	return 0;
}

/* A jump to the label fixed later by bind(). */
static int emit_fwd(struct kcg_devbpf *p, struct fixups *f, struct bpf_insn i)
{
	if (f->n == ARRAY_SIZE(f->at))
		return -1;
	f->at[f->n++] = p->n;
	return emit(p, i);
}

/* The label is the next instruction. */
static void bind(struct kcg_devbpf *p, struct fixups *f)
{
	for (size_t k = 0; k < f->n; k++)
		p->insn[f->at[k]].off = (int16_t)(p->n - f->at[k] - 1);
	f->n = 0;
}

void kcg_devbpf_free(struct kcg_devbpf *p)
{
	free(p->insn);
	p->insn = NULL;
	p->n = p->cap = 0;
}

/* ------------------------------------------------------------- builder */

static int access_bits(const char *acc)
{
	return (strchr(acc, 'm') ? BPF_DEVCG_ACC_MKNOD : 0) | (strchr(acc, 'r') ? BPF_DEVCG_ACC_READ : 0) |
	       (strchr(acc, 'w') ? BPF_DEVCG_ACC_WRITE : 0);
}

#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

static int same_dev(const struct kcg_dev_ex *a, const struct kcg_dev_rule *r)
{
	return a->type == r->type && a->major == r->major && a->minor == r->minor;
}

int kcg_dev_reduce(const struct kcg_dev_rule *rules, size_t n, struct kcg_dev_state *out, kerr *e)
{
	struct kcg_dev_state st = { .allow = 0, .ex = NULL, .n = 0 };
	if (n && !(st.ex = calloc(n, sizeof(*st.ex))))
		return kerr_set(e, ENOMEM, "build the device program");
	for (size_t i = 0; i < n; i++) {
		const struct kcg_dev_rule *r = &rules[i];
		if (r->type == 'a') { /* the whole list, whatever the numbers and access */
			st.allow = r->allow;
			st.n = 0;
			continue;
		}
		int bits = access_bits(r->access);
		size_t k = 0;
		while (k < st.n && !same_dev(&st.ex[k], r))
			k++;
		if (r->allow == st.allow) {
			/* what the default already says: taken out of the exception */
			if (k < st.n && !(st.ex[k].access &= ~bits))
				memmove(&st.ex[k], &st.ex[k + 1], (--st.n - k) * sizeof(*st.ex));
		} else if (k < st.n) {
			st.ex[k].access |= bits;
		} else if (bits) {
			st.ex[st.n++] = (struct kcg_dev_ex){ r->type, r->major, r->minor, bits };
		}
	}
	*out = st;
	return 0;
}

/* The tests of one exception, each jumping past it when it fails. */
static int emit_match(struct kcg_devbpf *p, const struct kcg_dev_ex *x, struct fixups *skip)
{
	if (emit_fwd(p, skip, JMP32_IMM(BPF_JNE, R3, x->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0)) < 0)
		return -1;
	if (x->major >= 0 && emit_fwd(p, skip, JMP32_IMM(BPF_JNE, R4, (int32_t)(uint32_t)x->major, 0)) < 0)
		return -1;
	if (x->minor >= 0 && emit_fwd(p, skip, JMP32_IMM(BPF_JNE, R5, (int32_t)(uint32_t)x->minor, 0)) < 0)
		return -1;
	return 0;
}

static int emit_return(struct kcg_devbpf *p, int v)
{
	return emit(p, MOV64_IMM(R0, v)) < 0 || emit(p, EXIT()) < 0 ? -1 : 0;
}

/* One exception of a default-deny list allows a request it covers whole;
 * one of a default-allow list denies a request naming any of its bits. */
static int emit_ex(struct kcg_devbpf *p, const struct kcg_dev_ex *x, int default_allow)
{
	struct fixups skip = { .n = 0 };
	if (emit_match(p, x, &skip) < 0)
		return -1;
	if (!default_allow) {
		int missing = ~x->access & ACC_ALL;
		if (missing && emit_fwd(p, &skip, JMP32_IMM(BPF_JSET, R2, missing, 0)) < 0)
			return -1;
		if (emit_return(p, 1) < 0)
			return -1;
	} else {
		if (x->access != ACC_ALL &&
		    (emit(p, JMP32_IMM(BPF_JSET, R2, x->access, 1)) < 0 || emit_fwd(p, &skip, JA(0)) < 0))
			return -1;
		if (emit_return(p, 0) < 0)
			return -1;
	}
	bind(p, &skip);
	return 0;
}

/* Does exception A decide everything exception B would, the same way?
 * (Same list, A's devices a superset of B's; a default-deny list's A
 * grants every access B grants, a default-allow list's A denies every
 * access B denies.)  B can go then: Docker's rules and kapsel's defaults
 * repeat the same nodes. */
static int covers(const struct kcg_dev_ex *a, const struct kcg_dev_ex *b)
{
	return a->type == b->type && (a->major < 0 || a->major == b->major) && (a->minor < 0 || a->minor == b->minor) &&
	       (a->access & b->access) == b->access;
}

static int redundant(const struct kcg_dev_state *st, size_t i)
{
	for (size_t j = 0; j < st->n; j++)
		if (j != i && covers(&st->ex[j], &st->ex[i]) &&
		    (!covers(&st->ex[i], &st->ex[j]) || j < i)) /* of two equal ones, the first stays */
			return 1;
	return 0;
}

int kcg_devbpf_build(const struct kcg_dev_rule *rules, size_t n, struct kcg_devbpf *out, kerr *e)
{
	struct kcg_dev_state st;
	if (kcg_dev_reduce(rules, n, &st, e) < 0)
		return -1;
	struct kcg_devbpf p = { 0 };
	int bad = emit(&p, LDX_W(R2, R1, offsetof(struct bpf_cgroup_dev_ctx, access_type))) < 0 ||
		  emit(&p, MOV32_REG(R3, R2)) < 0 || emit(&p, ALU32_IMM(BPF_AND, R3, 0xffff)) < 0 ||
		  emit(&p, ALU32_IMM(BPF_RSH, R2, 16)) < 0 ||
		  emit(&p, LDX_W(R4, R1, offsetof(struct bpf_cgroup_dev_ctx, major))) < 0 ||
		  emit(&p, LDX_W(R5, R1, offsetof(struct bpf_cgroup_dev_ctx, minor))) < 0;
	for (size_t i = 0; !bad && i < st.n; i++)
		if (!redundant(&st, i))
			bad = emit_ex(&p, &st.ex[i], st.allow) < 0;
	if (!bad)
		bad = emit_return(&p, st.allow) < 0; /* the default */
	free(st.ex);
	if (bad) {
		kcg_devbpf_free(&p);
		return kerr_set(e, ENOMEM, "build the device program");
	}
	/* jump offsets are 16 bits, but no jump goes further than one exception */
	*out = p;
	return 0;
}

/* ------------------------------------------------------------- syscalls */

static int sys_bpf(int cmd, union bpf_attr *a)
{
	return (int)syscall(SYS_bpf, cmd, a, sizeof(*a));
}

int kcg_devbpf_load(const struct kcg_devbpf *p, kerr *e)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.expected_attach_type = BPF_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)p->insn;
	a.insn_cnt = (uint32_t)p->n;
	a.license = (uint64_t)(uintptr_t) "Apache-2.0";
	a.prog_flags = 0;
	snprintf(a.prog_name, sizeof(a.prog_name), "%s", KCG_DEVBPF_NAME);
	int fd = sys_bpf(BPF_PROG_LOAD, &a); /* fds from bpf(2) are close-on-exec */
	if (fd >= 0)
		return fd;
	int err = errno;
	if (err != EINVAL && err != EACCES)
		return kerr_set(e, err, "load the device program (%zu instructions, bpf BPF_PROG_LOAD)", p->n);
	/* again with the verifier's log, which says why */
	static char log[16384];
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	log[0] = '\0';
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0)
		return fd;
	err = errno;
	size_t l = strlen(log);
	while (l > 0 && log[l - 1] == '\n')
		log[--l] = '\0';
	/* the end of the log holds the verdict */
	const char *tail = l > 1200 ? log + l - 1200 : log;
	return kerr_msg(e, err, "load the device program (%zu instructions): the verifier refused it: %s: %s", p->n,
			strerror(err), *tail ? tail : "(no log)");
}

static int prog_name_of(int fd, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_prog_info info;
	union bpf_attr a;
	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uint64_t)(uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0)
		return -1;
	memcpy(name, info.name, BPF_OBJ_NAME_LEN);
	name[BPF_OBJ_NAME_LEN - 1] = '\0';
	return 0;
}

/* Fds of the kapsel programs attached directly to the cgroup CG. */
static int query_fds(int cg, const char *cgdir, int *fds, uint32_t *ids, size_t max, kerr *e)
{
	uint32_t all[64];
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)cg;
	a.query.attach_type = BPF_CGROUP_DEVICE;
	a.query.prog_ids = (uint64_t)(uintptr_t)all;
	a.query.prog_cnt = ARRAY_SIZE(all);
	if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
		return kerr_errno(e, "query the device programs of %s (bpf BPF_PROG_QUERY)", cgdir);
	size_t n = 0;
	for (uint32_t i = 0; i < a.query.prog_cnt && i < ARRAY_SIZE(all); i++) {
		union bpf_attr g;
		char name[BPF_OBJ_NAME_LEN];
		memset(&g, 0, sizeof(g));
		g.prog_id = all[i];
		int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
		if (fd < 0) {
			if (errno == ENOENT) /* detached and freed meanwhile */
				continue;
			kerr_errno(e, "open device program %" PRIu32 " of %s (bpf BPF_PROG_GET_FD_BY_ID)", all[i],
				   cgdir);
			goto fail;
		}
		if (prog_name_of(fd, name) < 0) {
			kerr_errno(e, "read device program %" PRIu32 " of %s (bpf BPF_OBJ_GET_INFO_BY_FD)", all[i],
				   cgdir);
			close(fd);
			goto fail;
		}
		if (strcmp(name, KCG_DEVBPF_NAME) || n == max) {
			close(fd);
			if (!strcmp(name, KCG_DEVBPF_NAME)) {
				kerr_msg(e, E2BIG, "%s holds more than %zu kapsel device programs", cgdir, max);
				goto fail;
			}
			continue;
		}
		if (fds)
			fds[n] = fd;
		else
			close(fd);
		if (ids)
			ids[n] = all[i];
		n++;
	}
	return (int)n;
fail:
	while (fds && n-- > 0)
		close(fds[n]);
	return -1;
}

static int open_cgroup(const char *cgdir, kerr *e)
{
	int fd = open(cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(e, "open cgroup %s", cgdir);
	return fd;
}

int kcg_devbpf_query(const char *cgdir, uint32_t *ids, size_t max, kerr *e)
{
	_cleanup_close_ int cg = open_cgroup(cgdir, e);
	if (cg < 0)
		return -1;
	return query_fds(cg, cgdir, NULL, ids, max, e);
}

static int attach(int cg, int prog, int replace, kerr *e, const char *cgdir)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cg;
	a.attach_bpf_fd = (uint32_t)prog;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	if (replace >= 0) {
		a.attach_flags |= BPF_F_REPLACE;
		a.replace_bpf_fd = (uint32_t)replace;
	}
	if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
		return kerr_errno(e, "attach the device program to %s (bpf BPF_PROG_ATTACH%s)", cgdir,
				  replace >= 0 ? " BPF_F_REPLACE" : "");
	return 0;
}

static int detach(int cg, int prog, kerr *e, const char *cgdir)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cg;
	a.attach_bpf_fd = (uint32_t)prog;
	a.attach_type = BPF_CGROUP_DEVICE;
	if (sys_bpf(BPF_PROG_DETACH, &a) < 0)
		return kerr_errno(e, "detach the old device program from %s (bpf BPF_PROG_DETACH)", cgdir);
	return 0;
}

int kcg_devbpf_attach(const char *cgdir, int prog_fd, kerr *e)
{
	int old[8];
	_cleanup_close_ int cg = open_cgroup(cgdir, e);
	if (cg < 0)
		return -1;
	int n = query_fds(cg, cgdir, old, NULL, ARRAY_SIZE(old), e);
	if (n < 0)
		return -1;
	int rc;
	size_t first = 0;
	if (n == 0) {
		rc = attach(cg, prog_fd, -1, e, cgdir);
	} else {
		rc = attach(cg, prog_fd, old[0], e, cgdir);
		/* a kernel before 5.6 has no BPF_F_REPLACE: both are attached
		 * for a moment (both must allow), never neither */
		if (rc < 0 && e->errnum == EINVAL)
			rc = attach(cg, prog_fd, -1, e, cgdir);
		else
			first = 1;
	}
	for (size_t i = first; rc == 0 && i < (size_t)n; i++)
		rc = detach(cg, old[i], e, cgdir);
	for (int i = 0; i < n; i++)
		close(old[i]);
	return rc;
}

int kcg_devbpf_apply(const char *cgdir, const struct kcg_dev_rule *rules, size_t n, kerr *e)
{
	struct kcg_devbpf p;
	if (kcg_devbpf_build(rules, n, &p, e) < 0)
		return -1;
	int fd = kcg_devbpf_load(&p, e);
	kcg_devbpf_free(&p);
	if (fd < 0)
		return -1;
	int rc = kcg_devbpf_attach(cgdir, fd, e);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------ rule text */

static void dev_num(char *out, size_t n, int64_t v)
{
	if (v < 0)
		snprintf(out, n, "*");
	else
		snprintf(out, n, "%" PRId64, v);
}

int kcg_dev_rules_format(const struct kcg_dev_rule *rules, size_t n, char **out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct kcg_dev_rule *r = &rules[i];
		char ma[24], mi[24];
		dev_num(ma, sizeof(ma), r->type == 'a' ? -1 : r->major);
		dev_num(mi, sizeof(mi), r->type == 'a' ? -1 : r->minor);
		fprintf(f, "%s %c %s:%s %s\n", r->allow ? "allow" : "deny", r->type, ma, mi, r->access);
	}
	if (fclose(f) != 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

static int parse_num(const char *s, int64_t *out)
{
	if (!strcmp(s, "*")) {
		*out = -1;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v > UINT32_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int kcg_dev_rules_parse(const char *text, struct kcg_dev_rule **out, size_t *n, kerr *e)
{
	size_t cap = 1;
	for (const char *s = text; *s; s++)
		cap += *s == '\n';
	struct kcg_dev_rule *r = calloc(cap, sizeof(*r));
	if (!r)
		return kerr_set(e, ENOMEM, "device rules");
	size_t k = 0;
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[128], verb[8], type[2], ma[16], mi[16], acc[8];
		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		char *colon = strchr(buf, ':');
		if (colon)
			*colon = ' ';
		if (len >= sizeof(buf) || !colon ||
		    sscanf(buf, "%7s %1s %15s %15s %7s", verb, type, ma, mi, acc) != 5 ||
		    (strcmp(verb, "allow") && strcmp(verb, "deny")) || !strchr("acb", type[0]) ||
		    parse_num(ma, &r[k].major) < 0 || parse_num(mi, &r[k].minor) < 0 || strlen(acc) > 3 ||
		    acc[strspn(acc, "rwm")] != '\0') {
			free(r);
			return kerr_msg(e, EINVAL,
					"device rule \"%.*s\": expected \"allow|deny TYPE MAJOR:MINOR ACCESS\"",
					(int)len, line);
		}
		r[k].allow = !strcmp(verb, "allow");
		r[k].type = type[0];
		memcpy(r[k].access, acc, strlen(acc) + 1); /* at most 3 letters, checked above */
		k++;
		line = nl ? nl + 1 : line + len;
	}
	*out = r;
	*n = k;
	return 0;
}
