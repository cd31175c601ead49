/* `kapsel network`: create (IPv4, IPv6), ls, inspect, rm, connect and
 * disconnect of the networks of network.h, with Docker's objects. */
#include "network.h"

#include "attach.h"
#include "cidr.h"
#include "conflist.h"
#include "hosts.h"
#include "internal.h"
#include "rootfs.h"

#include "common/cleanup.h"
#include "common/events.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/str.h"
#include "common/strv.h"
#include "common/time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

static int resolve(const struct keng *g, const char *ref, char **name, kerr *e)
{
	if (!strcmp(ref, "bridge") || !strcmp(ref, "host") || !strcmp(ref, "none") || keng_net_name_ok(ref)) {
		_cleanup_free_ char *p = keng_network_file(g, ref);
		struct stat st;
		if (!strcmp(ref, "bridge") || !strcmp(ref, "host") || !strcmp(ref, "none") || (p && stat(p, &st) == 0))
			return (*name = strdup(ref)) ? 0 : kerr_errno(e, "network");
	}
	/* a unique ID prefix */
	_cleanup_strv_ char **names = NULL;
	if (keng_user_networks(g, &names, e) < 0)
		return -1;
	char *found = NULL;
	size_t rl = strlen(ref);
	for (char **n = names; rl >= 3 && *n; n++) {
		_cleanup_json_ json_object *l = NULL;
		kerr ig = { 0 };
		char buf[65];
		if (keng_network_load(g, *n, &l, &ig) < 0 || strncmp(keng_network_id(l, buf), ref, rl))
			continue;
		if (found) {
			free(found);
			return kerr_msg(e, EINVAL, "network %s: the ID prefix names more than one network", ref);
		}
		found = strdup(*n);
	}
	if (!found)
		return kerr_msg(e, ENOENT, "network %s not found", ref);
	*name = found;
	return 0;
}

static json_object *inspect_obj(const char *name, const char *id, const char *created, const char *driver,
				json_object *list, json_object *all)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "Name", json_object_new_string(name));
	json_object_object_add(o, "Id", json_object_new_string(id));
	json_object_object_add(o, "Created", json_object_new_string(created));
	json_object_object_add(o, "Scope", json_object_new_string("local"));
	json_object_object_add(o, "Driver", json_object_new_string(driver));
	json_object *r6 = list ? keng_conflist_range6(list) : NULL;
	json_object_object_add(o, "EnableIPv6", json_object_new_boolean(r6 != NULL));
	json_object *ipam = json_object_new_object(), *cfg = json_object_new_array();
	json_object_object_add(ipam, "Driver", json_object_new_string("default"));
	json_object_object_add(ipam, "Options", json_object_new_object());
	json_object *r = list ? keng_conflist_range4(list) : NULL;
	if (r) {
		json_object *c = json_object_new_object();
		const char *sub = kj_get_str(r, "subnet") ?: "", *gw = kj_get_str(r, "gateway");
		char gbuf[INET_ADDRSTRLEN] = "";
		uint32_t base;
		int pfx;
		if (!gw && keng_cidr4_parse(sub, &base, &pfx) == 0)
			keng_ip4_str(base + 1, gbuf);
		json_object_object_add(c, "Subnet", json_object_new_string(sub));
		json_object_object_add(c, "Gateway", json_object_new_string(gw ? gw : gbuf));
		json_object_array_add(cfg, c);
	}
	if (r6) {
		json_object *c = json_object_new_object();
		const char *sub = kj_get_str(r6, "subnet") ?: "", *gw = kj_get_str(r6, "gateway");
		char gbuf[INET6_ADDRSTRLEN] = "";
		uint8_t b6[16];
		int p6;
		if (!gw && keng_cidr6_parse(sub, b6, &p6) == 0) {
			b6[15] |= 1; /* host-local's default: the subnet's first address */
			inet_ntop(AF_INET6, b6, gbuf, sizeof(gbuf));
		}
		json_object_object_add(c, "Subnet", json_object_new_string(sub));
		json_object_object_add(c, "Gateway", json_object_new_string(gw ? gw : gbuf));
		json_object_array_add(cfg, c);
	}
	json_object_object_add(ipam, "Config", cfg);
	json_object_object_add(o, "IPAM", ipam);
	json_object_object_add(o, "Internal", json_object_new_boolean(0));
	json_object_object_add(o, "Attachable", json_object_new_boolean(0));
	json_object_object_add(o, "Ingress", json_object_new_boolean(0));
	json_object *cs = json_object_new_object();
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *a = json_object_array_get_idx(all, i);
		if (strcmp(kj_get_str(a, "network") ?: "", name))
			continue;
		char addr[64], eid[65];
		int plen;
		const char *mac;
		keng_att_addr(a, addr, &plen, NULL, &mac);
		json_object *c = json_object_new_object();
		char v4[80];
		snprintf(v4, sizeof(v4), "%s/%d", addr, plen);
		json_object_object_add(c, "Name", json_object_new_string(kj_get_str(a, "name") ?: ""));
		json_object_object_add(c, "EndpointID", json_object_new_string(keng_att_endpoint_id(a, eid)));
		json_object_object_add(c, "MacAddress", json_object_new_string(mac));
		json_object_object_add(c, "IPv4Address", json_object_new_string(v4));
		char a6[64], v6[80] = "";
		int p6;
		if (keng_att_addr6(a, a6, &p6, NULL))
			snprintf(v6, sizeof(v6), "%s/%d", a6, p6);
		json_object_object_add(c, "IPv6Address", json_object_new_string(v6));
		json_object_object_add(cs, kj_get_str(a, "id") ?: "", c);
	}
	json_object_object_add(o, "Containers", cs);
	json_object *opts = json_object_new_object();
	const char *br = list ? keng_conflist_bridge(list) : NULL;
	if (br)
		json_object_object_add(opts, "com.docker.network.bridge.name", json_object_new_string(br));
	json_object_object_add(o, "Options", opts);
	json_object_object_add(o, "Labels", json_object_new_object());
	return o;
}

static int inspect_one(struct keng *g, const struct keng_defaults *d, const char *name, json_object *all,
		       json_object **out, kerr *e)
{
	char idbuf[65];
	if (!strcmp(name, "host") || !strcmp(name, "none")) {
		_cleanup_free_ char *seed = kstr_printf("kapsel network %s", name);
		keng_hex_id(seed ? seed : "", idbuf);
		*out = inspect_obj(name, idbuf, "0001-01-01T00:00:00Z", !strcmp(name, "host") ? "host" : "null", NULL,
				   all);
		return 0;
	}
	_cleanup_json_ json_object *l = NULL;
	if (keng_net_conflist(g, d, name, &l, e) < 0)
		return -1;
	*out = inspect_obj(name, keng_network_id(l, idbuf),
			   kj_get_str(kj_get(l, "kapsel"), "created") ?: "0001-01-01T00:00:00Z", "bridge", l, all);
	return 0;
}

int keng_network_inspect(struct keng *g, const struct keng_defaults *d, const char *ref, json_object **out, kerr *e)
{
	_cleanup_free_ char *name = NULL;
	if (resolve(g, ref, &name, e) < 0)
		return -1;
	_cleanup_json_ json_object *all = keng_atts(g);
	return inspect_one(g, d, name, all, out, e);
}

int keng_network_list(struct keng *g, const struct keng_defaults *d, json_object **out, kerr *e)
{
	_cleanup_strv_ char **names = NULL;
	if (keng_user_networks(g, &names, e) < 0)
		return -1;
	_cleanup_json_ json_object *all = keng_atts(g), *arr = json_object_new_array();
	static const char *const pre[] = { "bridge", "host", "none" };
	for (size_t i = 0; i < 3 + kstrv_len(names); i++) {
		json_object *o;
		kerr one = { 0 };
		if (inspect_one(g, d, i < 3 ? pre[i] : names[i - 3], all, &o, &one) < 0) {
			if (i < 3) {
				*e = one;
				return -1;
			}
			continue; /* a broken file: inspect names it */
		}
		json_object_array_add(arr, o);
	}
	*out = steal_ptr(arr);
	return 0;
}

/* The IPv6 subnet of a new network: SUBNET6 checked (no overlap with
 * NAMES' or the host's), or a unique local /64 (RFC 4193: fd, 40 random
 * bits, subnet 0) made of RND; GATEWAY6 checked.  In OUT, OUT_GW. */
static int ipv6_subnet(const struct keng *g, char **names, const char *subnet6, const char *gateway6,
		       const unsigned char rnd[5], char out[INET6_ADDRSTRLEN + 8], kerr *e)
{
	uint8_t base[16];
	int pfx;
	if (subnet6) {
		if (keng_cidr6_parse(subnet6, base, &pfx) < 0)
			return kerr_msg(e, EINVAL,
					"--subnet %s: expected an IPv6 network like fd00:1:2:3::/64 (prefix 16-124, no "
					"host bits)",
					subnet6);
	} else {
		memset(base, 0, sizeof(base));
		base[0] = 0xfd;
		memcpy(base + 1, rnd, 5);
		pfx = 64;
	}
	/* the others': the user networks' and the host's own addresses */
	for (char **n = names; *n; n++) {
		_cleanup_json_ json_object *l = NULL;
		kerr ig = { 0 };
		uint8_t ob[16];
		int op;
		if (keng_network_load(g, *n, &l, &ig) == 0 && keng_cidr6_parse(kj_get_str(keng_conflist_range6(l), "subnet") ?: "", ob, &op) == 0 &&
		    keng_cidr6_overlap(base, pfx, ob, op))
			return kerr_msg(e, EEXIST, "--subnet %s overlaps network %s's", subnet6 ? subnet6 : "(made)", *n);
	}
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
			if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6)
				continue;
			const uint8_t *a = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr.s6_addr;
			if ((a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)a))
				continue;
			if (keng_cidr6_contains(base, pfx, a)) {
				freeifaddrs(ifa);
				return kerr_msg(e, EEXIST, "--subnet %s: an address of the host (%s) is in it",
						subnet6 ? subnet6 : "(made)", i->ifa_name);
			}
		}
		freeifaddrs(ifa);
	}
	if (gateway6) {
		struct in6_addr gw;
		if (inet_pton(AF_INET6, gateway6, &gw) != 1)
			return kerr_msg(e, EINVAL, "--gateway %s: not an IPv6 address", gateway6);
		if (!keng_cidr6_contains(base, pfx, gw.s6_addr) || !memcmp(gw.s6_addr, base, 16))
			return kerr_msg(e, EINVAL, "--gateway %s is not a host address of the IPv6 subnet", gateway6);
	}
	char ab[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, base, ab, sizeof(ab));
	snprintf(out, INET6_ADDRSTRLEN + 8, "%s/%d", ab, pfx);
	return 0;
}

int keng_network_create(struct keng *g, const struct keng_defaults *d, const char *name, const char *subnet,
			const char *gateway, bool ipv6, const char *subnet6, const char *gateway6, char id[65], kerr *e)
{
	if ((subnet6 || gateway6) && !ipv6)
		return kerr_msg(e, EINVAL, "network %s: an IPv6 --subnet or --gateway needs --ipv6", name);
	if (gateway6 && !subnet6)
		return kerr_msg(e, EINVAL, "network %s: an IPv6 --gateway needs its --subnet", name);
	if (!keng_net_name_ok(name))
		return kerr_msg(e, EINVAL, "network %s: a name is [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64", name);
	if (!strcmp(name, "bridge") || !strcmp(name, "host") || !strcmp(name, "none"))
		return kerr_msg(e, EPERM, "network %s: a predefined network", name);
	if (keng_relock(g, KENG_EXCLUSIVE, e) < 0)
		return -1;
	_cleanup_strv_ char **names = NULL;
	if (keng_user_networks(g, &names, e) < 0)
		return -1;
	if (kstrv_contains(names, name))
		return kerr_msg(e, EEXIST, "network %s: a network with that name exists", name);
	/* what the others use: subnets, bridge names */
	uint32_t used[300];
	int usedp[300];
	size_t nu = 0;
	_cleanup_strv_ char **bridges = NULL;
	kstrv_add(&bridges, d->bridge_name);
	if (keng_cidr4_parse(d->bridge_subnet, &used[nu], &usedp[nu]) == 0)
		nu++;
	for (char **n = names; *n && nu < 300; n++) {
		_cleanup_json_ json_object *l = NULL;
		kerr ig = { 0 };
		if (keng_network_load(g, *n, &l, &ig) < 0)
			continue;
		json_object *r = keng_conflist_range4(l);
		if (r && keng_cidr4_parse(kj_get_str(r, "subnet") ?: "", &used[nu], &usedp[nu]) == 0)
			nu++;
		if (keng_conflist_bridge(l))
			kstrv_add(&bridges, keng_conflist_bridge(l));
	}
	/* and the host's own addresses: another root's networks, Docker's, podman's */
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i && nu < 300; i = i->ifa_next)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && i->ifa_netmask &&
			    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr != htonl(INADDR_LOOPBACK)) {
				uint32_t a = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
				uint32_t m = ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
				int p = __builtin_popcount(m);
				used[nu] = a & m;
				usedp[nu++] = p ? p : 32;
			}
		freeifaddrs(ifa);
	}
	uint32_t base;
	int pfx;
	char sbuf[40];
	if (subnet) {
		if (keng_cidr4_parse(subnet, &base, &pfx) < 0)
			return kerr_msg(
				e, EINVAL,
				"--subnet %s: expected an IPv4 network like 10.91.0.0/24 (prefix 8-30, no host bits)",
				subnet);
		for (size_t i = 0; i < nu; i++)
			if (keng_cidr4_overlap(base, pfx, used[i], usedp[i]))
				return kerr_msg(e, EEXIST,
						"--subnet %s overlaps a subnet in use (a network's or the host's)",
						subnet);
	} else {
		bool ok = false;
		for (uint32_t n = 0; n < 256 && !ok; n++) {
			base = (10u << 24) | (90u << 16) | (n << 8);
			pfx = 24;
			ok = true;
			for (size_t i = 0; i < nu && ok; i++)
				ok = !keng_cidr4_overlap(base, pfx, used[i], usedp[i]);
		}
		if (!ok)
			return kerr_msg(e, ENOSPC, "network %s: no free subnet in 10.90.0.0/16: give --subnet", name);
		char ipb[INET_ADDRSTRLEN];
		keng_ip4_str(base, ipb);
		snprintf(sbuf, sizeof(sbuf), "%s/%d", ipb, pfx);
		subnet = sbuf;
	}
	if (gateway) {
		struct in_addr a;
		uint32_t mask = ~0u << (32 - pfx);
		if (inet_pton(AF_INET, gateway, &a) != 1)
			return kerr_msg(e, EINVAL, "--gateway %s: not an IPv4 address", gateway);
		uint32_t gw = ntohl(a.s_addr);
		if ((gw & mask) != base || gw == base || gw == (base | ~mask))
			return kerr_msg(e, EINVAL, "--gateway %s is not a host address of %s", gateway, subnet);
	}
	char bridge[32];
	for (int n = 1; n < 100000; n++) {
		snprintf(bridge, sizeof(bridge), "kapsel%d", n);
		if (!kstrv_contains(bridges, bridge) && !if_nametoindex(bridge))
			break;
	}
	unsigned char rnd[37];
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return kerr_errno(e, "getrandom");
	for (int i = 0; i < 32; i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	char sub6[INET6_ADDRSTRLEN + 8] = "";
	if (ipv6 && ipv6_subnet(g, names, subnet6, gateway6, rnd + 32, sub6, e) < 0)
		return -1;
	char created[KTIME_BUFSZ];
	ktime_now(created, sizeof(created), KTIME_NANO_TRIM);
	_cleanup_json_ json_object *l =
		keng_conflist_new(name, bridge, subnet, gateway, ipv6 ? sub6 : NULL, gateway6, NULL);
	json_object *k = json_object_new_object();
	json_object_object_add(k, "id", json_object_new_string(id));
	json_object_object_add(k, "created", json_object_new_string(created));
	json_object_object_add(l, "kapsel", k);
	_cleanup_free_ char *dir = keng_networks_dir(g), *p = keng_network_file(g, name);
	if (!dir || !p || kfs_mkdir_p(dir, 0700, e) < 0 || keng_write_json(p, l, e) < 0)
		return -1;
	return 0;
}

int keng_network_remove(struct keng *g, const char *ref, kerr *e)
{
	if (keng_relock(g, KENG_EXCLUSIVE, e) < 0)
		return -1;
	_cleanup_free_ char *name = NULL;
	if (resolve(g, ref, &name, e) < 0)
		return -1;
	if (!strcmp(name, "bridge") || !strcmp(name, "host") || !strcmp(name, "none"))
		return kerr_msg(e, EPERM, "network %s: a predefined network cannot be removed", name);
	keng_net_sweep(g);
	_cleanup_json_ json_object *all = keng_atts(g), *l = NULL;
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *a = json_object_array_get_idx(all, i);
		if (!strcmp(kj_get_str(a, "network") ?: "", name))
			return kerr_msg(e, EBUSY,
					"network %s: container %s (%.12s) is on it: disconnect or remove it first", name,
					kj_get_str(a, "name") ?: "", kj_get_str(a, "id") ?: "");
	}
	_cleanup_free_ char *p = keng_network_file(g, name);
	if (!p)
		return kerr_errno(e, "network rm");
	kerr ig = { 0 };
	keng_network_load(g, name, &l, &ig);
	if (unlink(p) < 0)
		return kerr_errno(e, "network %s: remove %s", name, p);
	keng_net_rules_drop(g, name);
	/* the bridge the plugin made (kapsel's own name) goes with it */
	const char *br = keng_conflist_bridge(l);
	if (br && kstr_starts(br, "kapsel"))
		keng_net_bridge_drop(br);
	_cleanup_free_ char *lease = kstr_printf("%s/cni/%s", g->root, name);
	if (lease)
		keng_rm_tree(lease, &ig);
	return 0;
}

/* Docker's network event: type network, the network's ID, the container
 * and the network's name and type as attributes. */
static void net_event(const struct keng *g, const char *action, const char *net, json_object *list, const char *cid)
{
	char nid[65];
	struct kevent_attr a[] = { { "container", cid, false }, { "name", net, false }, { "type", "bridge", false } };
	struct kevent ev = {
		.type = "network", .action = action, .id = keng_network_id(list, nid), .attrs = a, .nattrs = 3
	};
	kerr ig = { 0 };
	kevent_append(g->root, &ev, 0, &ig);
}

/* The container CREF for network connect/disconnect NET: *id, *rec, and
 * its mode allows a second network (not none, host or container:). */
static int net_container(struct keng *g, const char *cref, const char *net, const char *verb, char id[65],
			 json_object **rec, kerr *e)
{
	if (keng_resolve(g, cref, id, e) < 0 || keng_record(g, id, rec, e) < 0)
		return -1;
	const char *mode = kj_get_str(kj_get(*rec, "HostConfig"), "NetworkMode") ?: "none";
	if (!keng_net_is_cni(mode))
		return kerr_msg(e, EINVAL,
				"network %s %s: container %s is on --network %s: only a container on bridge or a "
				"user network joins or leaves others",
				verb, net, cref, mode);
	return 0;
}

/* The record's NetworkSettings and the hosts files (its own, and its
 * line in the other members') from the attachments as they are now. */
static int net_record(struct keng *g, const char *id, json_object *rec, kerr *e)
{
	_cleanup_free_ char *netns = keng_netns_path(g, id);
	json_object *settings = NULL;
	if (!netns)
		return kerr_errno(e, "network");
	keng_net_settings(g, id, netns, &settings);
	json_object_object_add(rec, "NetworkSettings", settings);
	if (keng_record_write(g, id, rec, e) < 0 ||
	    keng_net_hosts(g, id, kj_get_str(kj_get(rec, "Config"), "Hostname") ?: id,
			   kj_get(kj_get(rec, "HostConfig"), "ExtraHosts"), e) < 0)
		return -1;
	return 0;
}

/* After connect or disconnect: the record, the hosts files, the event. */
static int net_changed(struct keng *g, const char *id, json_object *rec, const char *net, const char *action,
		       kerr *e)
{
	if (net_record(g, id, rec, e) < 0)
		return -1;
	_cleanup_json_ json_object *list = NULL;
	kerr ig = { 0 };
	if (keng_network_load(g, net, &list, &ig) < 0 || !list) {
		json_object_put(list);
		list = json_object_new_object();
		json_object_object_add(list, "name", json_object_new_string(net));
	}
	net_event(g, action, net, list, id);
	return 0;
}

int keng_network_connect(struct keng *g, const struct keng_defaults *d, const char *netref, const char *cref,
			 char *const *aliases, const char *ip, kerr *e)
{
	_cleanup_free_ char *net = NULL;
	_cleanup_json_ json_object *rec = NULL;
	char id[65];
	if (keng_relock(g, KENG_EXCLUSIVE, e) < 0 || resolve(g, netref, &net, e) < 0)
		return -1;
	if (!keng_net_is_cni(net))
		return kerr_msg(e, EINVAL, "network connect %s: a container joins bridge or a user network, not %s",
				netref, net);
	if (net_container(g, cref, net, "connect", id, &rec, e) < 0)
		return -1;
	/* its namespace (made again after a reboot, its networks added) */
	if (keng_mounts_ensure(g, id, e) < 0)
		return -1;
	const char *name = kj_get_str(rec, "Name") ?: "";
	name += *name == '/';
	_cleanup_free_ char *netns = keng_netns_path(g, id);
	if (!netns)
		return kerr_errno(e, "network");
	if (keng_net_connect(g, d, id, name, net, aliases, ip, netns, e) < 0)
		return kerr_wrap(e, "network connect");
	if (net_changed(g, id, rec, net, "connect", e) == 0)
		return 0;
	/* attached, but the record or the hosts file cannot say so: a
	 * container on a network that inspect, disconnect and its own
	 * /etc/hosts do not know of.  Undone: the interface, the lease, its
	 * line in the other members' hosts files (detach), then the record
	 * and the hosts file written again from what is left, best effort
	 * (the write that failed may fail again: the old record stays) */
	kerr ig = { 0 };
	if (keng_net_disconnect(g, id, name, net, netns, &ig) < 0)
		return kerr_wrap(e, "network connect %s (and undoing it failed: %s)", net, ig.msg);
	net_record(g, id, rec, &ig);
	return kerr_wrap(e, "network connect %s (undone)", net);
}

int keng_network_disconnect(struct keng *g, const char *netref, const char *cref, bool force, kerr *e)
{
	_cleanup_free_ char *net = NULL;
	_cleanup_json_ json_object *rec = NULL;
	char id[65];
	if (keng_relock(g, KENG_EXCLUSIVE, e) < 0 || resolve(g, netref, &net, e) < 0 ||
	    net_container(g, cref, net, "disconnect", id, &rec, e) < 0)
		return -1;
	const char *name = kj_get_str(rec, "Name") ?: "";
	name += *name == '/';
	_cleanup_free_ char *netns = keng_netns_path(g, id);
	struct statfs sf;
	if (!netns)
		return kerr_errno(e, "network");
	/* a namespace that is gone (a reboot) has no interface to remove */
	bool live = statfs(netns, &sf) == 0 && sf.f_type == 0x6e736673 /* NSFS_MAGIC */;
	if (keng_net_disconnect(g, id, name, net, live ? netns : NULL, e) < 0) {
		if (!force || e->errnum == ENOENT)
			return kerr_wrap(e, "network disconnect");
		/* -f: the attachment goes even when its DEL failed (what the
		 * plugins hold may stay: a lease, a veth) */
		_cleanup_json_ json_object *all = keng_atts(g);
		json_object *a = keng_att_on(all, id, net);
		_cleanup_free_ char *p = a ? keng_att_path(g, id, keng_att_ifname(a)) : NULL;
		if (p && unlink(p) < 0 && errno != ENOENT)
			return kerr_errno(e, "network disconnect -f: remove %s", p);
		kerr_clear(e);
	}
	return net_changed(g, id, rec, net, "disconnect", e);
}
