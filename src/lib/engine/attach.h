/* The attachments of containers to CNI networks (engine/network.h): one
 * JSON file each, outside the container's directory.
 *
 *   ROOT/netns/<id>.json      eth0's: the network the container was
 *                             created on (the network, the conflist it was
 *                             added with, its port mappings, its aliases,
 *                             the ADD result)
 *   ROOT/netns/<id>.<N>.json  ethN's (`network connect`)
 *
 * Read here; written by network.c (which ADDs and DELs them). */
#ifndef KAPSEL_ENGINE_ATTACH_H
#define KAPSEL_ENGINE_ATTACH_H

#include "engine.h"

#include <json-c/json.h>

#define KENG_ETH0 "eth0"

/* The file of ID's attachment on IFNAME (NULL: eth0). */
char *keng_att_path(const struct keng *g, const char *id, const char *ifname);
/* Attachment A's interface ("eth0" when it names none), and its N. */
const char *keng_att_ifname(json_object *a);
int keng_att_index(json_object *a);
/* Every attachment of the store, each with its "id" and "ifname" as its
 * file's name says: an array, by container ID and interface. */
json_object *keng_atts(const struct keng *g);
/* The attachments of ID in ALL (new references), by interface. */
json_object *keng_atts_of(json_object *all, const char *id);
/* ID's attachment to NET in ALL (borrowed), or NULL. */
json_object *keng_att_on(json_object *all, const char *id, const char *net);
/* A's (first IPv4) address without its prefix in BUF (NULL when the network
 * gave none), and where not NULL its prefix length, gateway and MAC. */
const char *keng_att_addr(json_object *a, char buf[64], int *plen, const char **gw, const char **mac);
const char *keng_att_ip(json_object *a, char buf[64]);
/* A's IPv6 address (a network with --ipv6), prefix length and gateway. */
const char *keng_att_addr6(json_object *a, char buf[64], int *plen, const char **gw);
/* The endpoint ID of A: its container on its network. */
const char *keng_att_endpoint_id(json_object *a, char buf[65]);

#endif
