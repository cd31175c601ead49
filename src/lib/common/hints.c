/* Hints for the traps of kapsel's defaults (hints.h): one table of rules,
 * each a set of words a line of the container's last output has (as the
 * C library's strerror and common tools print them) and the flag that
 * lifts the default behind it.  Lines are read from the last one back:
 * the error nearest the exit is the one that ended the program. */
#include "hints.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

enum when { ALWAYS, READ_ONLY, NON_ROOT, NETWORK_HOST };

struct rule {
	const char *error;      /* the line has this (strerror's text) */
	const char *any[8];     /* and one of these (none: any line) */
	enum when when;
	const char *hint;
};

static const struct rule rules[] = {
	{ "read-only file system", { NULL }, READ_ONLY,
	  "hint: the root filesystem is read-only (kapsel's default): write under /tmp, /run or a volume "
	  "(-v NAME:/path), or run with --read-only=false" },
	{ "permission denied", { "/tmp/", "/var/tmp/", "/run/", "/dev/shm/", NULL }, ALWAYS,
	  "hint: /tmp, /var/tmp, /run and /dev/shm are mounted noexec (kapsel's default): run programs from "
	  "the image, or give /tmp exec: --tmpfs /tmp:exec" },
	{ "permission denied", { "bind", "listen", "port", NULL }, NETWORK_HOST,
	  "hint: with --network host a port below 1024 needs a capability: --cap-add NET_BIND_SERVICE, or a "
	  "port >= 1024 (in kapsel's own network namespaces every port is allowed)" },
	{ "operation not permitted", { "chown", "changing ownership", "changing owner", NULL }, ALWAYS,
	  "hint: all capabilities are dropped (kapsel's default): changing a file's owner needs --cap-add "
	  "CHOWN" },
	{ "operation not permitted", { "chmod", "changing permissions", NULL }, ALWAYS,
	  "hint: all capabilities are dropped (kapsel's default): changing another user's file needs "
	  "--cap-add FOWNER" },
	{ "operation not permitted",
	  { "setuid", "setgid", "setgroups", "initgroups", "setresuid", "setresgid", "drop privileges", NULL },
	  ALWAYS,
	  "hint: all capabilities are dropped and no_new_privs is set (kapsel's default): a program that "
	  "switches users needs --user 0 --cap-add SETUID --cap-add SETGID, or run it as that user with "
	  "--user NAME" },
	{ "permission denied", { NULL }, NON_ROOT,
	  "hint: the container runs as a non-root user (kapsel's default: the image's USER, else 65534): "
	  "--user UID of the files' owner, or --user 0 (root inside a user namespace)" },
	{ "operation not permitted", { NULL }, ALWAYS,
	  "hint: all capabilities are dropped and kapsel's seccomp filter is on (kapsel's defaults): "
	  "--cap-add NAME for the capability it needs, or --security-opt seccomp=unconfined for a refused "
	  "system call" },
};

/* HAY (length N) contains NEEDLE (lower case), ignoring ASCII case. */
static bool has(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	for (size_t i = 0; m <= n && i <= n - m; i++) {
		size_t j = 0;
		while (j < m && tolower((unsigned char)hay[i + j]) == needle[j])
			j++;
		if (j == m)
			return true;
	}
	return false;
}

static bool applies(const struct rule *r, const struct khint_ctx *c)
{
	switch (r->when) {
	case READ_ONLY:
		return c->read_only;
	case NON_ROOT:
		return c->uid != 0;
	case NETWORK_HOST:
		return c->network_host;
	default:
		return true;
	}
}

static const char *line_hint(const char *l, size_t n, const struct khint_ctx *c)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct rule *r = &rules[i];
		if (!applies(r, c) || !has(l, n, r->error))
			continue;
		bool ok = !r->any[0];
		for (const char *const *w = r->any; !ok && *w; w++)
			ok = has(l, n, *w);
		if (ok)
			return r->hint;
	}
	return NULL;
}

const char *khint(const char *tail, size_t n, const struct khint_ctx *c)
{
	if (c->exit_code == 0 || !tail)
		return NULL;
	size_t end = n;
	while (end > 0) {
		size_t start = end;
		while (start > 0 && tail[start - 1] != '\n' && tail[start - 1] != '\r')
			start--;
		const char *h = line_hint(tail + start, end - start, c);
		if (h)
			return h;
		end = start ? start - 1 : 0;
	}
	return NULL;
}

void khint_tail_add(struct khint_tail *t, const char *p, size_t n)
{
	if (n >= KHINT_TAIL) {
		memcpy(t->buf, p + n - KHINT_TAIL, KHINT_TAIL);
		t->len = KHINT_TAIL;
		t->head = 0;
		return;
	}
	size_t first = KHINT_TAIL - t->head < n ? KHINT_TAIL - t->head : n;
	memcpy(t->buf + t->head, p, first);
	memcpy(t->buf, p + first, n - first);
	t->head = (t->head + n) % KHINT_TAIL;
	t->len = t->len + n > KHINT_TAIL ? KHINT_TAIL : t->len + n;
}

size_t khint_tail_get(const struct khint_tail *t, char *out)
{
	size_t start = (t->head + KHINT_TAIL - t->len) % KHINT_TAIL;
	size_t first = KHINT_TAIL - start < t->len ? KHINT_TAIL - start : t->len;
	memcpy(out, t->buf + start, first);
	memcpy(out + first, t->buf, t->len - first);
	return t->len;
}
