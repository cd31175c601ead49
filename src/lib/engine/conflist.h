/* The CNI network configuration lists (conflists) of kapsel's networks:
 * the default bridge's, made from kapsel.conf [network], and the user
 * networks' in ROOT/networks/NAME.json (with kapsel's own "kapsel": {"id",
 * "created"} beside the CNI keys). */
#ifndef KAPSEL_ENGINE_CONFLIST_H
#define KAPSEL_ENGINE_CONFLIST_H

#include "engine.h"

#include <json-c/json.h>
#include <stdbool.h>

#define CNI_VERSION "1.0.0"

/* A network name: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64. */
bool keng_net_name_ok(const char *s);
/* The list of network NAME: the bridge plugin on BRIDGE with host-local
 * on SUBNET (GATEWAY, may be NULL) and, when SUBNET6 is not NULL, on it too
 * (GATEWAY6), host-local's DATADIR (NULL: its own), then portmap. */
json_object *keng_conflist_new(const char *name, const char *bridge, const char *subnet, const char *gateway,
			       const char *subnet6, const char *gateway6, const char *datadir);
char *keng_networks_dir(const struct keng *g);
char *keng_network_file(const struct keng *g, const char *name);
/* The IPv4 range (subnet, gateway) of L, and its IPv6 one (NULL: none). */
json_object *keng_conflist_range4(json_object *l);
json_object *keng_conflist_range6(json_object *l);
/* The bridge of L's bridge plugin, or NULL. */
const char *keng_conflist_bridge(json_object *l);
/* The user networks' names, sorted. */
int keng_user_networks(const struct keng *g, char ***out, kerr *e);
/* User network NAME's list (ENOENT names it). */
int keng_network_load(const struct keng *g, const char *name, json_object **out, kerr *e);
/* The 64 hex digits of TEXT's SHA-256 in ID. */
int keng_hex_id(const char *text, char id[65]);
/* L's network ID: a user network's own, else one made of its name. */
const char *keng_network_id(json_object *list, char buf[65]);

#endif
