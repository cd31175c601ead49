/* The hosts files of networked containers (hosts.h). */
#include "hosts.h"

#include "attach.h"
#include "internal.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOSTS_HEAD "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"

static bool line_of(const char *line, const char *ip)
{
	return *ip && !strncmp(line, ip, strlen(ip)) && line[strlen(ip)] == '\t';
}

/* Rewrite the hosts file of member MID: its own head, without the lines
 * of DROP's addresses (an attachment; may be NULL), with ADD (lines) at
 * the end.  In place: the file is a bind mount's source. */
static void hosts_edit(const struct keng *g, const char *mid, json_object *drop, const char *add)
{
	char d4[64] = "", d6[64] = "";
	if (drop) {
		keng_att_ip(drop, d4);
		keng_att_addr6(drop, d6, NULL, NULL);
	}
	_cleanup_free_ char *p = keng_path(g, mid, "hosts"), *text = NULL;
	kerr ig = { 0 };
	if (!p || kfs_read_file(p, &text, NULL, &ig) < 0)
		return;
	size_t cap = strlen(text) + (add ? strlen(add) : 0) + 2, n = 0;
	_cleanup_free_ char *out = calloc(1, cap);
	if (!out)
		return;
	for (char *line = text, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
		bool skip = line_of(line, d4) || line_of(line, d6);
		if (!skip) {
			memcpy(out + n, line, len);
			n += len;
		}
		nl = nl ? nl + 1 : NULL;
	}
	if (add) {
		memcpy(out + n, add, strlen(add));
		n += strlen(add);
	}
	kfs_write_file(p, out, n, 0644, 0, &ig);
}

/* Append LINE to the growing TEXT of *N bytes. */
static int text_add(char **text, size_t *n, const char *line, kerr *e)
{
	size_t l = strlen(line);
	char *t = realloc(*text, *n + l + 1);
	if (!t)
		return kerr_errno(e, "hosts");
	*text = t;
	memcpy(*text + *n, line, l + 1);
	*n += l;
	return 0;
}

/* One line for an address: IP, then FIRST (the hostname; may be "" or
 * its name), A's name and aliases. */
static size_t one_line(json_object *a, const char *ip, const char *first, char *out, size_t cap)
{
	const char *name = kj_get_str(a, "name") ?: "";
	size_t n = (size_t)snprintf(out, cap, "%s\t%s", ip, *first ? first : name);
	if (*first && strcmp(first, name) && n < cap)
		n += (size_t)snprintf(out + n, cap - n, " %s", name);
	json_object *al = kj_get(a, "aliases");
	for (size_t i = 0; json_object_is_type(al, json_type_array) && i < json_object_array_length(al) && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, " %s", json_object_get_string(json_object_array_get_idx(al, i)));
	if (n >= cap - 1)
		n = cap - 2;
	out[n++] = '\n';
	out[n] = 0;
	return n;
}

/* The lines of attachment A's container on its network: its IPv4
 * address's, then its IPv6 one's (a network with --ipv6).  0 when the
 * network gave it no address. */
static size_t member_lines(json_object *a, const char *first, char *out, size_t cap)
{
	char ip[64], ip6[64];
	if (!keng_att_ip(a, ip))
		return 0;
	size_t n = one_line(a, ip, first, out, cap);
	if (keng_att_addr6(a, ip6, NULL, NULL) && n < cap - 1)
		n += one_line(a, ip6, first, out + n, cap - n);
	return n;
}

/* --add-host's "HOST:IP" entries (checked at create) as lines; host-gateway
 * is the gateway of attachment ME. */
static int extra_lines(json_object *extra, json_object *me, char **text, size_t *n, kerr *e)
{
	for (size_t i = 0; json_object_is_type(extra, json_type_array) && i < json_object_array_length(extra); i++) {
		const char *x = json_object_get_string(json_object_array_get_idx(extra, i)), *sep = strchr(x, ':');
		if (!sep)
			continue;
		const char *ip = sep + 1;
		char gw[64], v6[64];
		if (!strcmp(ip, "host-gateway")) {
			const char *g0 = NULL;
			char buf[64];
			if (me)
				keng_att_addr(me, buf, NULL, &g0, NULL);
			if (!g0 || !*g0)
				return kerr_msg(e, EIO, "--add-host %s: the network gave no gateway", x);
			snprintf(gw, sizeof(gw), "%s", g0);
			ip = gw;
		} else if (*ip == '[') {
			snprintf(v6, sizeof(v6), "%.*s", (int)strlen(ip) - 2, ip + 1);
			ip = v6;
		}
		char line[512];
		snprintf(line, sizeof(line), "%s\t%.*s\n", ip, (int)(sep - x), x);
		if (text_add(text, n, line, e) < 0)
			return -1;
	}
	return 0;
}

int keng_net_hosts(const struct keng *g, const char *id, const char *hostname, json_object *extra, kerr *e)
{
	/* a hostname with a blank or a control character in it would make
	 * lines of its own: left out (the name is [a-zA-Z0-9_.-]) */
	for (const char *c = hostname; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_.-", *c)) {
			hostname = "";
			break;
		}
	_cleanup_free_ char *p = keng_path(g, id, "hosts");
	_cleanup_json_ json_object *all = keng_atts(g), *mine = keng_atts_of(all, id);
	if (!p)
		return kerr_errno(e, "hosts");
	size_t n = 0;
	_cleanup_free_ char *text = NULL;
	if (text_add(&text, &n, HOSTS_HEAD, e) < 0)
		return -1;
	/* its own line on each of its networks, then the other members of
	 * each user network (the default bridge's members do not know each
	 * other, Docker's neither), its line added to theirs */
	for (size_t k = 0; k < json_object_array_length(mine); k++) {
		json_object *me = json_object_array_get_idx(mine, k);
		char line[2048];
		if (!member_lines(me, hostname, line, sizeof(line)))
			return kerr_msg(e, EIO, "hosts of %.12s: network %s gave no address", id,
					kj_get_str(me, "network") ?: "");
		if (text_add(&text, &n, line, e) < 0)
			return -1;
	}
	for (size_t k = 0; k < json_object_array_length(mine); k++) {
		json_object *me = json_object_array_get_idx(mine, k);
		const char *net = kj_get_str(me, "network") ?: "";
		char add[2048];
		if (!strcmp(net, "bridge") || !member_lines(me, "", add, sizeof(add)))
			continue;
		for (size_t i = 0; i < json_object_array_length(all); i++) {
			json_object *a = json_object_array_get_idx(all, i);
			const char *mid = kj_get_str(a, "id") ?: "";
			char line[2048];
			_cleanup_free_ char *mp = keng_path(g, mid, "hosts");
			if (!strcmp(mid, id) || strcmp(kj_get_str(a, "network") ?: "", net) || !mp ||
			    access(mp, F_OK) < 0 || !member_lines(a, "", line, sizeof(line)))
				continue;
			if (text_add(&text, &n, line, e) < 0)
				return -1;
			hosts_edit(g, mid, me, add);
		}
	}
	json_object *first = json_object_array_length(mine) ? json_object_array_get_idx(mine, 0) : NULL;
	if (extra_lines(extra, first, &text, &n, e) < 0)
		return -1;
	return kfs_write_file(p, text, n, 0644, 0, e);
}


/* The line of attachment A out of the hosts files of its network's other
 * members in ALL. */
void keng_hosts_forget(const struct keng *g, json_object *all, json_object *a)
{
	const char *id = kj_get_str(a, "id") ?: "", *net = kj_get_str(a, "network") ?: "";
	if (!strcmp(net, "bridge"))
		return;
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *o = json_object_array_get_idx(all, i);
		const char *mid = kj_get_str(o, "id") ?: "";
		if (strcmp(mid, id) && !strcmp(kj_get_str(o, "network") ?: "", net))
			hosts_edit(g, mid, a, NULL);
	}
}

