/* The networks of `kapsel run --network`: "bridge" (the default bridge,
 * from kapsel.conf [network]) and user networks (`kapsel network
 * create`), each a CNI network configuration list joined through the CNI
 * plugins (Debian's containernetworking-plugins: bridge, host-local,
 * portmap, firewall), executed as the CNI spec says (CNI_COMMAND ADD/DEL,
 * the configuration on stdin, the result on stdout).
 *
 *   ROOT/networks/NAME.json   a user network: the conflist, with kapsel's
 *                             own "kapsel": {"id", "created"} beside it
 *   ROOT/netns/<id>.json      a container's attachment on eth0 (the
 *                             network it was created on): its network,
 *                             the conflist it was added with, the port
 *                             mappings, its aliases and the ADD result;
 *   ROOT/netns/<id>.<N>.json  the one on ethN (`network connect`).  Outside the
 *                             container's directory, so a container that
 *                             kapsel-supervise removed (--rm) is still
 *                             DELeted by the next sweep: its lease, veth
 *                             and port rules released.
 *   ROOT/cni/                 host-local's leases (its dataDir), so a
 *                             --root of its own shares nothing with the
 *                             host's /var/lib/cni.
 */
#ifndef KAPSEL_ENGINE_NETWORK_H
#define KAPSEL_ENGINE_NETWORK_H

#include "engine.h"

/* Whether --network NET is a CNI network (not none, host or container:). */
bool keng_net_is_cni(const char *net);

/* Create the user network NAME (exclusive lock): SUBNET (CIDR, NULL: the
 * first free 10.90.N.0/24), GATEWAY (NULL: the subnet's first address);
 * with IPV6 an IPv6 subnet too: SUBNET6 (NULL: a unique local /64 made
 * up), GATEWAY6 (NULL: its first address); *id its ID (65 bytes). */
int keng_network_create(struct keng *g, const struct keng_defaults *d, const char *name, const char *subnet,
			const char *gateway, bool ipv6, const char *subnet6, const char *gateway6, char id[65], kerr *e);
/* Docker's network inspect object of NAME (a name or a unique ID prefix),
 * its Containers included. */
int keng_network_inspect(struct keng *g, const struct keng_defaults *d, const char *name, json_object **out, kerr *e);
/* The inspect objects of every network (bridge, host, none, then the
 * user networks by name): a JSON array. */
int keng_network_list(struct keng *g, const struct keng_defaults *d, json_object **out, kerr *e);
/* Remove the user network NAME; EBUSY while a container is on it, EPERM
 * for the predefined ones. */
int keng_network_remove(struct keng *g, const char *name, kerr *e);
/* Connect container CONTAINER (a name or an ID prefix) to network NET (a
 * name or an ID prefix) as well, with ALIASES (may be NULL) on it and the
 * address IP (may be NULL: host-local picks one): the
 * container is on bridge or a user network already, created or running;
 * its record, /etc/hosts (and the other members') and the events say
 * so. */
int keng_network_connect(struct keng *g, const struct keng_defaults *d, const char *net, const char *container,
			 char *const *aliases, const char *ip, kerr *e);
/* Take CONTAINER off NET (its interface removed while it runs); FORCE
 * drops the attachment even when the plugins' DEL failed. */
int keng_network_disconnect(struct keng *g, const char *net, const char *container, bool force, kerr *e);

/* ---- inside the engine ---- */

/* The conflist of NET (bridge or a user network), host-local's dataDir
 * set under ROOT; ENOENT names the flag. */
int keng_net_conflist(const struct keng *g, const struct keng_defaults *d, const char *net, json_object **out, kerr *e);
/* The most port mappings one container has, -p's and -P's together. */
#define KENG_MAX_PORT_MAPPINGS 1024
/* -p [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp] into portMappings (hostIP
 * the kapsel.conf default where none is given, host port 0 until
 * attach picks one). */
int keng_ports_parse(char *const *publish, const struct keng_defaults *d, json_object **out, kerr *e);
/* ADD the container ID (named NAME) to NET in the namespace NETNS, on
 * eth0: writes ROOT/netns/<id>.json, *settings is Docker's
 * NetworkSettings.  MAPPINGS (may be NULL) gets its free host ports
 * picked; ALIASES (NULL-terminated, may be NULL) are its other names on a
 * user network, IP (may be NULL) the address asked for (host-local's IP
 * argument: the same one after a reboot).  On failure everything added is deleted again. */
int keng_net_attach(const struct keng *g, const struct keng_defaults *d, const char *id, const char *name,
		    const char *net, json_object *conflist, const char *netns, json_object *mappings,
		    char *const *aliases, const char *ip, json_object **settings, kerr *e);
/* IP (may be NULL: none asked for) is a host address of the user network
 * NET's subnet, not its gateway: EINVAL else (the plugin refuses one in
 * use when it is asked for it). */
int keng_net_ip_check(const struct keng *g, const struct keng_defaults *d, const char *net, const char *ip, kerr *e);
/* ALIASES are names (net_name_ok) and NET a user network: EINVAL else. */
int keng_net_aliases_check(const char *net, char *const *aliases, kerr *e);
/* ADD ID (named NAME, in the namespace NETNS) to NET as well, on the first
 * free ethN (network connect): EEXIST when it is on NET already. */
int keng_net_connect(const struct keng *g, const struct keng_defaults *d, const char *id, const char *name,
		     const char *net, char *const *aliases, const char *ip, const char *netns, kerr *e);
/* DEL ID (named NAME) from NET in its namespace NETNS (its interface
 * removed, the container keeps running): ENOENT when it is not on NET. */
int keng_net_disconnect(const struct keng *g, const char *id, const char *name, const char *net, const char *netns,
			kerr *e);
/* *settings: Docker's NetworkSettings of ID from all its attachments
 * (SandboxKey NETNS); returns how many it has. */
int keng_net_settings(const struct keng *g, const char *id, const char *netns, json_object **settings);
/* ADD again after a reboot (the namespace is new): the same network and
 * ports from the attachment; *settings the new NetworkSettings.  0 with
 * *settings NULL when ID has no attachment. */
int keng_net_reattach(const struct keng *g, const char *id, const char *netns, json_object **settings, kerr *e);
/* ID is named NAME now: its attachment, and the hosts files (its own and
 * the other members') say so.  Not on a network: 0. */
int keng_net_renamed(const struct keng *g, const char *id, const char *name, const char *hostname,
		     json_object *extra, kerr *e);
/* DEL ID from its networks and remove the attachments (none: 0).  Its
 * namespace is released before: the plugins are given none. */
int keng_net_detach(const struct keng *g, const char *id, kerr *e);
/* Take network NAME's iptables and ip6tables rules out again. */
void keng_net_rules_drop(const struct keng *g, const char *name);
/* Remove the bridge NAME (network rm: the one the plugin made). */
void keng_net_bridge_drop(const char *name);
/* DEL the attachments whose container directory is gone (exclusive lock;
 * after their namespaces are released). */
void keng_net_sweep(const struct keng *g);

#endif
