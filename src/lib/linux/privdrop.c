/* A daemon's switch to an unprivileged user keeping some capabilities
 * (privdrop.h). */
#include "linux/privdrop.h"

#include "common/cleanup.h"
#include "linux/caps.h"
#include "vocab/caps.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* "123" -> 123; -1 when S is not all digits */
static long long number(const char *s)
{
	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
		return -1;
	long long v = strtoll(s, NULL, 10);
	return v > 0xfffffffeLL ? -1 : v;
}

/* getpwnam_r / getpwuid_r with a buffer that grows: 0, or the errno (ENOENT
 * when there is no such entry) */
static int passwd(const char *name, uid_t uid, struct passwd *pw, char **buf)
{
	for (size_t n = 4096; n <= (1u << 20); n *= 4) {
		char *nb = realloc(*buf, n);
		if (!nb)
			return ENOMEM;
		*buf = nb;
		struct passwd *res = NULL;
		int r = name ? getpwnam_r(name, pw, *buf, n, &res) : getpwuid_r(uid, pw, *buf, n, &res);
		if (r == ERANGE)
			continue;
		return r ? r : res ? 0 : ENOENT;
	}
	return ERANGE;
}

static int group(const char *name, gid_t gid, struct group *gr, char **buf)
{
	for (size_t n = 4096; n <= (1u << 20); n *= 4) {
		char *nb = realloc(*buf, n);
		if (!nb)
			return ENOMEM;
		*buf = nb;
		struct group *res = NULL;
		int r = name ? getgrnam_r(name, gr, *buf, n, &res) : getgrgid_r(gid, gr, *buf, n, &res);
		if (r == ERANGE)
			continue;
		return r ? r : res ? 0 : ENOENT;
	}
	return ERANGE;
}

int kpriv_lookup(const char *spec, struct kpriv_user *u, kerr *e)
{
	char user[256];
	const char *colon = strchr(spec, ':');
	const char *gname = colon ? colon + 1 : NULL;
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	memset(u, 0, sizeof(*u));
	if (!ulen || ulen >= sizeof(user) || (gname && !*gname))
		return kerr_msg(e, EINVAL, "\"%s\": expected USER or USER:GROUP", spec);
	memcpy(user, spec, ulen);
	user[ulen] = '\0';

	_cleanup_free_ char *pbuf = NULL, *gbuf = NULL;
	struct passwd pw;
	long long num = number(user);
	int r = passwd(num < 0 ? user : NULL, (uid_t)num, &pw, &pbuf);
	if (r && r != ENOENT)
		return kerr_set(e, r, "look up user \"%s\"", user);
	int have_pw = r == 0;
	if (!have_pw && num < 0)
		return kerr_msg(e, ENOENT, "no such user \"%s\" (not in the passwd database)", user);
	u->uid = have_pw ? pw.pw_uid : (uid_t)num;
	snprintf(u->name, sizeof(u->name), "%s", have_pw ? pw.pw_name : user);
	if (u->uid == 0)
		return kerr_msg(e, EINVAL, "user \"%s\" is uid 0: name an unprivileged user", user);

	if (gname) {
		struct group gr;
		long long gnum = number(gname);
		r = group(gnum < 0 ? gname : NULL, (gid_t)gnum, &gr, &gbuf);
		if (r && (r != ENOENT || gnum < 0))
			return r == ENOENT
				       ? kerr_msg(e, ENOENT, "no such group \"%s\" (not in the group database)", gname)
				       : kerr_set(e, r, "look up group \"%s\"", gname);
		u->gid = r == 0 ? gr.gr_gid : (gid_t)gnum;
	} else if (have_pw) {
		u->gid = pw.pw_gid;
	} else {
		return kerr_msg(e, EINVAL, "uid %s has no passwd entry: name its group too (%s:GROUP)", user, user);
	}
	if (u->gid == 0)
		return kerr_msg(e, EINVAL, "group of \"%s\" is gid 0 (root's): name another group", spec);

	if (!have_pw) {
		u->groups[0] = u->gid;
		u->n_groups = 1;
		return 0;
	}
	int n = KPRIV_MAX_GROUPS;
	if (getgrouplist(pw.pw_name, u->gid, u->groups, &n) < 0)
		return kerr_msg(e, E2BIG, "user \"%s\" is in more than %d groups", u->name, KPRIV_MAX_GROUPS);
	u->n_groups = n;
	for (int i = 0; i < n; i++)
		if (u->groups[i] == 0)
			return kerr_msg(e, EINVAL, "user \"%s\" is in group 0 (root's)", u->name);
	return 0;
}

/* ------------------------------------------------------------- the switch */

struct capsets {
	uint64_t eff, perm, inh;
};

static int get_caps(struct capsets *c)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2] = { 0 }; /* (valgrind: capget's writes are not all seen) */
	if (syscall(SYS_capget, &hdr, d) < 0)
		return -1;
	c->eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	c->perm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	c->inh = (uint64_t)d[1].inheritable << 32 | d[0].inheritable;
	return 0;
}

static int threads(void)
{
	_cleanup_closedir_ DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	int n = 0;
	for (struct dirent *de; (de = readdir(d));)
		n += de->d_name[0] != '.';
	return n;
}

/* "CAP_SYS_PTRACE" of the lowest bit in MASK */
static const char *first_cap(uint64_t mask)
{
	for (int c = 0; c < 64; c++)
		if (mask & (1ull << c))
			return kcap_name(c) ? kcap_name(c) : "a capability";
	return "?";
}

static int has_gid(const gid_t *g, int n, gid_t x)
{
	for (int i = 0; i < n; i++)
		if (g[i] == x)
			return 1;
	return 0;
}

/* The kernel's view after the switch: what kpriv_become promises. */
static int verify(const struct kpriv_user *u, uint64_t keep, kerr *e)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return kerr_errno(e, "read the ids back");
	uid_t fu = (uid_t)setfsuid((uid_t)-1);
	gid_t fg = (gid_t)setfsgid((gid_t)-1);
	if (ru != u->uid || eu != u->uid || su != u->uid || fu != u->uid)
		return kerr_msg(e, EPERM, "the uids are %u/%u/%u/%u (real/effective/saved/fs), not %u", ru, eu, su, fu,
				u->uid);
	if (rg != u->gid || eg != u->gid || sg != u->gid || fg != u->gid)
		return kerr_msg(e, EPERM, "the gids are %u/%u/%u/%u (real/effective/saved/fs), not %u", rg, eg, sg, fg,
				u->gid);
	gid_t got[KPRIV_MAX_GROUPS + 1];
	int n = getgroups(KPRIV_MAX_GROUPS + 1, got);
	if (n < 0)
		return kerr_errno(e, "read the groups back");
	for (int i = 0; i < u->n_groups; i++)
		if (!has_gid(got, n, u->groups[i]))
			return kerr_msg(e, EPERM, "group %u is missing from the supplementary groups", u->groups[i]);
	for (int i = 0; i < n; i++)
		if (!has_gid(u->groups, u->n_groups, got[i]))
			return kerr_msg(e, EPERM, "group %u is still a supplementary group", got[i]);
	struct capsets c;
	if (get_caps(&c) < 0)
		return kerr_errno(e, "capget");
	if (c.eff != keep || c.perm != keep || c.inh)
		return kerr_msg(e, EPERM,
				"the capabilities are effective %#llx, permitted %#llx, inheritable %#llx, not %#llx, "
				"%#llx, 0",
				(unsigned long long)c.eff, (unsigned long long)c.perm, (unsigned long long)c.inh,
				(unsigned long long)keep, (unsigned long long)keep);
	int last = kcap_last_cap();
	for (int k = 0; k <= last && k < 64; k++) {
		int in = prctl(PR_CAPBSET_READ, k, 0, 0, 0);
		if (in < 0 || in != !!(keep & (1ull << k)))
			return kerr_msg(e, EPERM, "%s is %s the bounding set",
					kcap_name(k) ? kcap_name(k) : "a capability", in > 0 ? "still in" : "not in");
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, k, 0, 0) > 0)
			return kerr_msg(e, EPERM, "%s is in the ambient set",
					kcap_name(k) ? kcap_name(k) : "a capability");
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return kerr_msg(e, EPERM, "no_new_privs is not set");
	if (prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) != 0)
		return kerr_msg(e, EPERM, "keepcaps is still set");
	/* and there is no way back */
	if (setresuid(0, 0, 0) == 0)
		return kerr_msg(e, EPERM, "setuid(0) succeeded after the switch");
	return 0;
}

static int become(const struct kpriv_user *u, uint64_t keep, kerr *e)
{
	int nt = threads();
	if (nt != 1)
		return kerr_msg(e, EBUSY, "%d threads run (capabilities are per thread: switch before any starts)", nt);
	struct capsets c;
	if (get_caps(&c) < 0)
		return kerr_errno(e, "capget");
	uint64_t need = 1ull << CAP_SETUID | 1ull << CAP_SETGID | 1ull << CAP_SETPCAP;
	if ((c.eff & need) != need)
		return kerr_msg(e, EPERM, "%s is not effective: start as root", first_cap(need & ~c.eff));
	if ((c.perm & keep) != keep)
		return kerr_msg(e, EPERM, "%s, which it keeps, is not permitted to start with",
				first_cap(keep & ~c.perm));
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return kerr_errno(e, "keep capabilities across setuid");
	if (kcaps_drop_bounding(keep, e) < 0)
		return -1;
	if (setgroups((size_t)u->n_groups, u->groups) < 0)
		return kerr_errno(e, "setgroups");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return kerr_errno(e, "setresgid %u", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return kerr_errno(e, "setresuid %u", u->uid);
	struct kcaps k = { .bounding = keep, .effective = keep, .permitted = keep };
	if (kcaps_apply(&k, e) < 0)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return kerr_errno(e, "reset keepcaps");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return kerr_errno(e, "set no_new_privs");
	if (verify(u, keep, e) < 0)
		return kerr_wrap(e, "after the switch");
	return 0;
}

int kpriv_become(const struct kpriv_user *u, uint64_t keep, kerr *e)
{
	int r = become(u, keep, e);
	return r < 0 ? kerr_wrap(e, "switch to user %s (uid %u, gid %u)", u->name, u->uid, u->gid) : 0;
}
