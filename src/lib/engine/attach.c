/* The attachment files (attach.h). */
#include "attach.h"

#include "conflist.h"
#include "internal.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/str.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *keng_att_ifname(json_object *att)
{
	return kj_get_str(att, "ifname") ?: KENG_ETH0;
}


/* ROOT/netns/<id>.json is the attachment of eth0 (the network the
 * container was created on), ROOT/netns/<id>.<N>.json the one of ethN
 * (`network connect`). */
char *keng_att_path(const struct keng *g, const char *id, const char *ifname)
{
	if (!ifname || !strcmp(ifname, KENG_ETH0))
		return kstr_printf("%s/netns/%s.json", g->root, id);
	return kstr_printf("%s/netns/%s.%s.json", g->root, id, ifname + 3);
}

/* N of ethN */
int keng_att_index(json_object *a)
{
	const char *n = keng_att_ifname(a);
	return strncmp(n, "eth", 3) ? 0 : atoi(n + 3);
}

/* The interface number an attachment file NAME is of (<64 hex>.json: 0,
 * <64 hex>.<N>.json: N), -1 for another file. */
static int att_file_index(const char *name)
{
	size_t n = strlen(name);
	if (n < 69 || n > 74 || strcmp(name + n - 5, ".json"))
		return -1;
	for (int i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)name[i]) || isupper((unsigned char)name[i]))
			return -1;
	if (n == 69)
		return 0;
	if (name[64] != '.' || name[65] == '0')
		return -1;
	int k = 0;
	for (size_t i = 65; i < n - 5; i++) {
		if (!isdigit((unsigned char)name[i]))
			return -1;
		k = k * 10 + (name[i] - '0');
	}
	return k;
}

static int att_cmp(const void *x, const void *y)
{
	json_object *a = *(json_object *const *)x, *b = *(json_object *const *)y;
	int c = strcmp(kj_get_str(a, "id") ?: "", kj_get_str(b, "id") ?: "");
	return c ? c : keng_att_index(a) - keng_att_index(b);
}

/* Every attachment: an array, by container ID and interface. */
json_object *keng_atts(const struct keng *g)
{
	json_object *all = json_object_new_array();
	_cleanup_free_ char *dir = kstr_printf("%s/netns", g->root);
	_cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		int k = att_file_index(de->d_name);
		if (k < 0)
			continue;
		_cleanup_free_ char *p = kstr_printf("%s/%s", dir, de->d_name);
		json_object *a = NULL;
		kerr ig = { 0 };
		if (!p || keng_read_json(p, &a, false, &ig) < 0)
			continue;
		/* the file's name says whose and which interface */
		char id[65], ifn[16];
		snprintf(id, sizeof(id), "%.64s", de->d_name);
		snprintf(ifn, sizeof(ifn), "eth%d", k);
		json_object_object_add(a, "id", json_object_new_string(id));
		json_object_object_add(a, "ifname", json_object_new_string(ifn));
		json_object_array_add(all, a);
	}
	json_object_array_sort(all, att_cmp);
	return all;
}

/* The attachments of container ID in ALL (references), by interface. */
json_object *keng_atts_of(json_object *all, const char *id)
{
	json_object *m = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *a = json_object_array_get_idx(all, i);
		if (!strcmp(kj_get_str(a, "id") ?: "", id))
			json_object_array_add(m, json_object_get(a));
	}
	return m;
}

/* ID's attachment to NET in ALL, or NULL. */
json_object *keng_att_on(json_object *all, const char *id, const char *net)
{
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *a = json_object_array_get_idx(all, i);
		if (!strcmp(kj_get_str(a, "id") ?: "", id) && !strcmp(kj_get_str(a, "network") ?: "", net))
			return a;
	}
	return NULL;
}

/* The address of attachment A (no prefix) in BUF, its prefix length,
 * gateway and MAC; NULL when the network gave none. */
/* The first address of family V6 in A's result. */
static const char *addr_of(json_object *a, bool v6, char buf[64], int *plen, const char **gw, const char **mac)
{
	json_object *res = kj_get(a, "result"), *ips = kj_get(res, "ips"), *ifs = kj_get(res, "interfaces");
	json_object *ip0 = NULL;
	for (size_t i = 0; !ip0 && json_object_is_type(ips, json_type_array) && i < json_object_array_length(ips); i++) {
		json_object *x = json_object_array_get_idx(ips, i);
		if (!strchr(kj_get_str(x, "address") ?: "", ':') == !v6)
			ip0 = x;
	}
	const char *cidr = kj_get_str(ip0, "address");
	snprintf(buf, 64, "%s", cidr ? cidr : "");
	char *sl = strchr(buf, '/');
	if (plen)
		*plen = sl ? atoi(sl + 1) : 0;
	if (sl)
		*sl = 0;
	if (gw)
		*gw = kj_get_str(ip0, "gateway") ?: "";
	if (mac) {
		int64_t ifi = kj_get_i64(ip0, "interface", -1);
		*mac = "";
		if (ifi >= 0 && json_object_is_type(ifs, json_type_array) && (size_t)ifi < json_object_array_length(ifs))
			*mac = kj_get_str(json_object_array_get_idx(ifs, (size_t)ifi), "mac") ?: "";
	}
	return *buf ? buf : NULL;
}

const char *keng_att_addr(json_object *a, char buf[64], int *plen, const char **gw, const char **mac)
{
	return addr_of(a, false, buf, plen, gw, mac);
}

const char *keng_att_addr6(json_object *a, char buf[64], int *plen, const char **gw)
{
	return addr_of(a, true, buf, plen, gw, NULL);
}

const char *keng_att_ip(json_object *a, char buf[64])
{
	return keng_att_addr(a, buf, NULL, NULL, NULL);
}


/* The endpoint of attachment A: the container on the network, one ID. */
const char *keng_att_endpoint_id(json_object *a, char buf[65])
{
	_cleanup_free_ char *seed =
		kstr_printf("kapsel endpoint %s %s", kj_get_str(a, "id") ?: "", kj_get_str(a, "network") ?: "");
	keng_hex_id(seed ? seed : "", buf);
	return buf;
}
