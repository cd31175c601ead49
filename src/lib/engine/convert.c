#include "convert.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"

#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* "KEY=..." and "KEY" share KEY. */
static size_t key_len(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq ? (size_t)(eq - kv) : strlen(kv);
}

static int set_env(char ***env, const char *kv)
{
	size_t k = key_len(kv);
	for (char **p = *env; p && *p; p++)
		if (key_len(*p) == k && strncmp(*p, kv, k) == 0) {
			char *n = strdup(kv);
			if (!n)
				return -1;
			free(*p);
			*p = n;
			return 0;
		}
	return kstrv_add(env, kv);
}

static int has_key(char *const *env, const char *key)
{
	size_t k = strlen(key);
	for (; env && *env; env++)
		if (key_len(*env) == k && strncmp(*env, key, k) == 0)
			return 1;
	return 0;
}

int keng_env_merge(char *const *base, char *const *over, const char *home, char ***out, kerr *e)
{
	_cleanup_strv_ char **env = NULL;
	if (!(env = calloc(1, sizeof(char *))))
		return kerr_errno(e, "environment");
	/* Docker's order: the user's entries, then the image's it did not set */
	for (int pass = 0; pass < 2; pass++)
		for (char *const *p = pass ? base : over; p && *p; p++) {
			if (!strchr(*p, '=') || **p == '=')
				return kerr_msg(e, EINVAL, "environment entry \"%s\": expected KEY=VALUE", *p);
			char key[256];
			snprintf(key, sizeof(key), "%.*s", (int)key_len(*p), *p);
			if (pass && has_key(env, key))
				continue;
			if (set_env(&env, *p) < 0)
				return kerr_errno(e, "environment");
		}
	if (!has_key(env, "PATH") && kstrv_add(&env, "PATH=" KENG_DEFAULT_PATH) < 0)
		return kerr_errno(e, "environment");
	if (!has_key(env, "HOME")) {
		_cleanup_free_ char *h = NULL;
		if (asprintf(&h, "HOME=%s", home && *home ? home : "/") < 0 || kstrv_add(&env, h) < 0)
			return kerr_errno(e, "environment");
	}
	*out = steal_ptr(env);
	return 0;
}

int keng_env_file_parse(const char *name, const char *text, char ***out, kerr *e)
{
	_cleanup_strv_ char **env = NULL;
	if (!(env = calloc(1, sizeof(char *))))
		return kerr_errno(e, "%s", name);
	int lineno = 0;
	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		lineno++;
		_cleanup_free_ char *line = strndup(l, n);
		l += n + (nl ? 1 : 0);
		if (!line)
			return kerr_errno(e, "%s", name);
		if (n && line[n - 1] == '\r')
			line[--n] = 0;
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			continue;
		size_t k = key_len(s);
		if (k == 0)
			return kerr_msg(e, EINVAL, "%s:%d: an empty variable name", name, lineno);
		for (size_t i = 0; i < k; i++)
			if (isspace((unsigned char)s[i]))
				return kerr_msg(e, EINVAL, "%s:%d: variable \"%.*s\" has white space in its name", name,
						lineno, (int)k, s);
		if (kstrv_add(&env, s) < 0)
			return kerr_errno(e, "%s", name);
	}
	*out = steal_ptr(env);
	return 0;
}

int keng_args(char *const *img_entrypoint, char *const *img_cmd, const char *entrypoint, char *const *args, char ***out,
	      kerr *e)
{
	_cleanup_strv_ char **v = NULL;
	if (!(v = calloc(1, sizeof(char *))))
		return kerr_errno(e, "args");
	if (entrypoint) {
		if (*entrypoint && kstrv_add(&v, entrypoint) < 0)
			return kerr_errno(e, "args");
	} else {
		for (char *const *p = img_entrypoint; p && *p; p++)
			if (kstrv_add(&v, *p) < 0)
				return kerr_errno(e, "args");
	}
	/* Docker: a new entrypoint resets the image's Cmd */
	char *const *tail = args && *args ? args : entrypoint ? NULL : img_cmd;
	for (char *const *p = tail; p && *p; p++)
		if (kstrv_add(&v, *p) < 0)
			return kerr_errno(e, "args");
	if (!v[0])
		return kerr_msg(e, EINVAL,
				"no command: the image has no Entrypoint or Cmd; give one after the image name");
	*out = steal_ptr(v);
	return 0;
}

void keng_user_clear(struct keng_user *u)
{
	free(u->gids);
	free(u->name);
	free(u->home);
	memset(u, 0, sizeof(*u));
}

/* A decimal id in [0, 2^32-2]; -1 when S is not one. */
static long long parse_id(const char *s)
{
	if (!*s || strlen(s) > 10)
		return -1;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	long long v = strtoll(s, NULL, 10);
	return v <= (long long)UINT32_MAX - 1 ? v : -1;
}

/* Field I (0-based) of a colon-separated LINE of length N, copied. */
static char *field(const char *line, size_t n, int i)
{
	const char *p = line, *end = line + n;
	for (; i > 0 && p < end; i--) {
		const char *c = memchr(p, ':', (size_t)(end - p));
		if (!c)
			return NULL;
		p = c + 1;
	}
	if (i > 0)
		return NULL;
	const char *c = memchr(p, ':', (size_t)(end - p));
	return strndup(p, (size_t)((c ? c : end) - p));
}

/* Visit every line of TEXT that has at least NFIELDS fields; FN returns 1
 * to stop (found), < 0 on error. */
typedef int (*line_fn)(void *ud, char **f);

static int each_entry(const char *text, int nfields, line_fn fn, void *ud)
{
	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		const char *line = l;
		l += n + (nl ? 1 : 0);
		if (n == 0 || *line == '#')
			continue;
		char *f[7] = { 0 };
		int ok = 1, r = 0;
		for (int i = 0; i < nfields; i++)
			if (!(f[i] = field(line, n, i)))
				ok = 0;
		if (ok)
			r = fn(ud, f);
		for (int i = 0; i < nfields; i++)
			free(f[i]);
		if (r)
			return r;
	}
	return 0;
}

struct pw_find {
	const char *name; /* by name, or */
	long long uid;    /* by uid */
	struct keng_user *u;
};

static int pw_match(void *ud, char **f)
{
	struct pw_find *q = ud;
	long long uid = parse_id(f[2]), gid = parse_id(f[3]);
	if (uid < 0 || gid < 0)
		return 0;
	if (q->name ? strcmp(f[0], q->name) != 0 : uid != q->uid)
		return 0;
	q->u->uid = (uid_t)uid;
	q->u->gid = (gid_t)gid;
	q->u->name = strdup(f[0]);
	q->u->home = strdup(*f[5] ? f[5] : "/");
	return q->u->name && q->u->home ? 1 : -1;
}

struct gr_find {
	const char *name; /* the group by name ... */
	long long gid;    /* ... found here */
	const char *member;
	struct keng_user *u;
};

static int add_gid(struct keng_user *u, gid_t g)
{
	for (size_t i = 0; i < u->ngids; i++)
		if (u->gids[i] == g)
			return 0;
	gid_t *n = realloc(u->gids, (u->ngids + 1) * sizeof(*n));
	if (!n)
		return -1;
	u->gids = n;
	u->gids[u->ngids++] = g;
	return 0;
}

static int gr_by_name(void *ud, char **f)
{
	struct gr_find *q = ud;
	long long gid = parse_id(f[2]);
	if (gid < 0 || strcmp(f[0], q->name) != 0)
		return 0;
	q->gid = gid;
	return 1;
}

static int gr_member(void *ud, char **f)
{
	struct gr_find *q = ud;
	long long gid = parse_id(f[2]);
	if (gid < 0)
		return 0;
	_cleanup_strv_ char **members = kstrv_split(f[3], ",");
	if (!members)
		return -1;
	if (kstrv_contains(members, q->member) && add_gid(q->u, (gid_t)gid) < 0)
		return -1;
	return 0;
}

/* A group given by name or number; -1 with E when unknown. */
static long long group_id(const char *spec, const char *group, const char *what, kerr *e)
{
	long long gid = parse_id(spec);
	if (gid >= 0)
		return gid;
	struct gr_find q = { .name = spec, .gid = -1 };
	if (!group || each_entry(group, 4, gr_by_name, &q) <= 0 || q.gid < 0) {
		kerr_msg(e, ENOENT, "%s: unable to find group %s: no matching entries in the image's /etc/group%s",
			 what, spec, group ? "" : " (the image has none)");
		return -1;
	}
	return q.gid;
}

int keng_user_resolve(const char *spec, const char *passwd, const char *group, char *const *group_add,
		      struct keng_user *out, kerr *e)
{
	struct keng_user u = { 0 };
	_cleanup_free_ char *s = strdup(spec ? spec : "");
	if (!s)
		return kerr_errno(e, "user");
	char *gpart = strchr(s, ':');
	if (gpart)
		*gpart++ = 0;
	if (!*s || (gpart && !*gpart))
		return kerr_msg(e, EINVAL, "user \"%s\": expected NAME|UID[:GROUP|GID]", spec ? spec : "");
	long long uid = parse_id(s);
	struct pw_find q = { .name = uid < 0 ? s : NULL, .uid = uid, .u = &u };
	int r = passwd ? each_entry(passwd, 7, pw_match, &q) : 0;
	if (r < 0) {
		keng_user_clear(&u);
		return kerr_errno(e, "user %s", spec);
	}
	if (r == 0) {
		if (uid < 0)
			return kerr_msg(e, ENOENT,
					"unable to find user %s: no matching entries in the image's /etc/passwd%s", s,
					passwd ? "" : " (the image has none)");
		/* an unknown numeric uid: its own gid, never root's */
		u.uid = (uid_t)uid;
		u.gid = (gid_t)uid;
		if (!(u.home = strdup("/")))
			return kerr_errno(e, "user");
	}
	if (gpart) {
		long long gid = group_id(gpart, group, "user", e);
		if (gid < 0) {
			keng_user_clear(&u);
			return -1;
		}
		u.gid = (gid_t)gid;
	}
	if (add_gid(&u, u.gid) < 0)
		goto oom;
	if (u.name && group) {
		struct gr_find g = { .member = u.name, .u = &u };
		if (each_entry(group, 4, gr_member, &g) < 0)
			goto oom;
	}
	for (char *const *p = group_add; p && *p; p++) {
		long long gid = group_id(*p, group, "--group-add", e);
		if (gid < 0) {
			keng_user_clear(&u);
			return -1;
		}
		if (add_gid(&u, (gid_t)gid) < 0)
			goto oom;
	}
	*out = u;
	return 0;
oom:
	keng_user_clear(&u);
	return kerr_errno(e, "user %s", spec);
}

/* The text of PATH inside ROOTFD, NULL in *out when it does not exist. */
static int read_in_root(int rootfd, const char *path, char **out, kerr *e)
{
	*out = NULL;
	_cleanup_close_ int fd = kfs_open_in_root(rootfd, path, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return kerr_errno(e, "open the image's %s", path);
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return kerr_errno(e, "stat the image's %s", path);
	if (!S_ISREG(st.st_mode))
		return kerr_msg(e, EINVAL, "the image's %s is not a regular file", path);
	if (st.st_size > (16 << 20))
		return kerr_msg(e, EFBIG, "the image's %s is larger than 16 MiB", path);
	return kfs_read_fd(fd, out, NULL, e);
}

int keng_user_in_root(int rootfd, const char *spec, char *const *group_add, struct keng_user *out, kerr *e)
{
	_cleanup_free_ char *pw = NULL, *gr = NULL;
	if (read_in_root(rootfd, "/etc/passwd", &pw, e) < 0 || read_in_root(rootfd, "/etc/group", &gr, e) < 0)
		return -1;
	return keng_user_resolve(spec, pw, gr, group_add, out, e);
}

int keng_workdir_check(const char *dir, kerr *e)
{
	if (!dir || dir[0] != '/')
		return kerr_msg(e, EINVAL, "working directory \"%s\": it must be an absolute path", dir ? dir : "");
	for (const char *p = dir; (p = strstr(p, "..")); p += 2)
		if ((p == dir || p[-1] == '/') && (p[2] == 0 || p[2] == '/'))
			return kerr_msg(e, EINVAL, "working directory \"%s\": \"..\" is not allowed", dir);
	return 0;
}
