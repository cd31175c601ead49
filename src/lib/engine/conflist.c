/* The CNI network configuration lists of kapsel's networks (conflist.h):
 * the default bridge's from kapsel.conf, the user networks' under
 * ROOT/networks. */
#include "conflist.h"

#include "internal.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/str.h"
#include "common/strv.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool keng_net_name_ok(const char *s)
{
	if (!isalnum((unsigned char)*s) || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

json_object *keng_conflist_new(const char *name, const char *bridge, const char *subnet, const char *gateway,
				const char *subnet6, const char *gateway6, const char *datadir)
{
	json_object *l = json_object_new_object(), *plugins = json_object_new_array();
	json_object_object_add(l, "cniVersion", json_object_new_string(CNI_VERSION));
	json_object_object_add(l, "name", json_object_new_string(name));
	json_object *br = json_object_new_object(), *ipam = json_object_new_object();
	json_object_object_add(br, "type", json_object_new_string("bridge"));
	json_object_object_add(br, "bridge", json_object_new_string(bridge));
	json_object_object_add(br, "isGateway", json_object_new_boolean(1));
	json_object_object_add(br, "ipMasq", json_object_new_boolean(0)); /* kapsel's rules (rules_ensure) */
	json_object_object_add(br, "hairpinMode", json_object_new_boolean(1));
	json_object *range = json_object_new_object(), *set = json_object_new_array(),
		    *ranges = json_object_new_array();
	json_object_object_add(range, "subnet", json_object_new_string(subnet));
	if (gateway)
		json_object_object_add(range, "gateway", json_object_new_string(gateway));
	json_object_array_add(set, range);
	json_object_array_add(ranges, set);
	json_object *routes = json_object_new_array(), *def = json_object_new_object();
	json_object_object_add(def, "dst", json_object_new_string("0.0.0.0/0"));
	json_object_array_add(routes, def);
	if (subnet6) { /* a second range set: an IPv6 address too, and its default route */
		json_object *r6 = json_object_new_object(), *set6 = json_object_new_array(), *def6 = json_object_new_object();
		json_object_object_add(r6, "subnet", json_object_new_string(subnet6));
		if (gateway6)
			json_object_object_add(r6, "gateway", json_object_new_string(gateway6));
		json_object_array_add(set6, r6);
		json_object_array_add(ranges, set6);
		json_object_object_add(def6, "dst", json_object_new_string("::/0"));
		json_object_array_add(routes, def6);
	}
	json_object_object_add(ipam, "type", json_object_new_string("host-local"));
	json_object_object_add(ipam, "ranges", ranges);
	json_object_object_add(ipam, "routes", routes);
	if (datadir)
		json_object_object_add(ipam, "dataDir", json_object_new_string(datadir));
	json_object_object_add(br, "ipam", ipam);
	json_object_array_add(plugins, br);
	json_object *pm = json_object_new_object(), *caps = json_object_new_object();
	json_object_object_add(pm, "type", json_object_new_string("portmap"));
	json_object_object_add(caps, "portMappings", json_object_new_boolean(1));
	json_object_object_add(pm, "capabilities", caps);
	json_object_array_add(plugins, pm);
	json_object_object_add(l, "plugins", plugins);
	return l;
}

char *keng_networks_dir(const struct keng *g)
{
	return kstr_printf("%s/networks", g->root);
}

char *keng_network_file(const struct keng *g, const char *name)
{
	return kstr_printf("%s/networks/%s.json", g->root, name);
}

/* The first plugin's first range: subnet and gateway (NULL if none). */
json_object *keng_conflist_range4(json_object *l)
{
	json_object *pl = kj_get(l, "plugins");
	for (size_t i = 0; json_object_is_type(pl, json_type_array) && i < json_object_array_length(pl); i++) {
		json_object *ipam = kj_get(json_object_array_get_idx(pl, i), "ipam");
		json_object *r = kj_get(ipam, "ranges");
		if (json_object_is_type(r, json_type_array) && json_object_array_length(r)) {
			json_object *set = json_object_array_get_idx(r, 0);
			if (json_object_is_type(set, json_type_array) && json_object_array_length(set))
				return json_object_array_get_idx(set, 0);
		}
	}
	return NULL;
}

/* The IPv6 range (the first range whose subnet has a ':'), or NULL. */
json_object *keng_conflist_range6(json_object *l)
{
	json_object *pl = kj_get(l, "plugins");
	for (size_t i = 0; json_object_is_type(pl, json_type_array) && i < json_object_array_length(pl); i++) {
		json_object *r = kj_get(kj_get(json_object_array_get_idx(pl, i), "ipam"), "ranges");
		for (size_t k = 0; json_object_is_type(r, json_type_array) && k < json_object_array_length(r); k++) {
			json_object *set = json_object_array_get_idx(r, k);
			json_object *r0 = json_object_is_type(set, json_type_array) && json_object_array_length(set)
						  ? json_object_array_get_idx(set, 0)
						  : NULL;
			if (strchr(kj_get_str(r0, "subnet") ?: "", ':'))
				return r0;
		}
	}
	return NULL;
}

const char *keng_conflist_bridge(json_object *l)
{
	json_object *pl = kj_get(l, "plugins");
	for (size_t i = 0; json_object_is_type(pl, json_type_array) && i < json_object_array_length(pl); i++) {
		json_object *p = json_object_array_get_idx(pl, i);
		if (!strcmp(kj_get_str(p, "type") ?: "", "bridge"))
			return kj_get_str(p, "bridge");
	}
	return NULL;
}

static void set_datadir(const struct keng *g, json_object *l)
{
	_cleanup_free_ char *dd = kstr_printf("%s/cni", g->root);
	json_object *pl = kj_get(l, "plugins");
	for (size_t i = 0; dd && json_object_is_type(pl, json_type_array) && i < json_object_array_length(pl); i++) {
		json_object *ipam = kj_get(json_object_array_get_idx(pl, i), "ipam");
		if (ipam && !strcmp(kj_get_str(ipam, "type") ?: "", "host-local") && !kj_get(ipam, "dataDir"))
			json_object_object_add(ipam, "dataDir", json_object_new_string(dd));
	}
}

/* The user networks' names, sorted. */
int keng_user_networks(const struct keng *g, char ***out, kerr *e)
{
	_cleanup_free_ char *dir = keng_networks_dir(g);
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	if (!dir || !v)
		return kerr_errno(e, "networks");
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d && errno != ENOENT)
		return kerr_errno(e, "open %s", dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n <= 5 || strcmp(de->d_name + n - 5, ".json"))
			continue;
		de->d_name[n - 5] = 0;
		if (keng_net_name_ok(de->d_name) && kstrv_add(&v, de->d_name) < 0)
			return kerr_errno(e, "networks");
	}
	qsort(v, kstrv_len(v), sizeof(char *), (int (*)(const void *, const void *))strcmp);
	*out = steal_ptr(v);
	return 0;
}

int keng_network_load(const struct keng *g, const char *name, json_object **out, kerr *e)
{
	_cleanup_free_ char *p = keng_network_file(g, name);
	if (!p)
		return kerr_errno(e, "network %s", name);
	if (keng_read_json(p, out, false, e) < 0)
		return -1;
	if (!json_object_is_type(kj_get(*out, "plugins"), json_type_array)) {
		json_object_put(*out);
		*out = NULL;
		return kerr_msg(e, EINVAL, "%s: not a CNI network configuration list (no \"plugins\")", p);
	}
	return 0;
}

int keng_net_conflist(const struct keng *g, const struct keng_defaults *d, const char *net, json_object **out, kerr *e)
{
	if (!strcmp(net, "bridge")) {
		*out = keng_conflist_new("bridge", d->bridge_name, d->bridge_subnet, NULL, NULL, NULL, NULL);
	} else {
		if (!keng_net_name_ok(net))
			return kerr_msg(e, EINVAL, "--network %s: not a network name", net);
		if (keng_network_load(g, net, out, e) < 0) {
			if (e->errnum == ENOENT) {
				kerr_clear(e);
				return kerr_msg(e, ENOENT,
						"--network %s: no such network (none, host, bridge or one "
						"of kapsel network ls)",
						net);
			}
			return -1;
		}
	}
	set_datadir(g, *out);
	return 0;
}

int keng_hex_id(const char *text, char id[65])
{
	unsigned char h[32];
	ksha256(text, strlen(text), h);
	for (int i = 0; i < 32; i++)
		snprintf(id + 2 * i, 3, "%02x", h[i]);
	return 0;
}

const char *keng_network_id(json_object *list, char buf[65])
{
	const char *id = kj_get_str(kj_get(list, "kapsel"), "id");
	if (id)
		return id;
	_cleanup_free_ char *seed = kstr_printf("kapsel network %s", kj_get_str(list, "name") ?: "");
	keng_hex_id(seed ? seed : "", buf);
	return buf;
}
