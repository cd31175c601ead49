/* The /etc/hosts of a container on a CNI network (engine/network.h):
 * ROOT/containers/<id>/hosts, bind-mounted read-only, its own lines and
 * its networks' other members', kept up to date in the members' files as
 * containers come, are renamed, connect, disconnect and go. */
#ifndef KAPSEL_ENGINE_HOSTS_H
#define KAPSEL_ENGINE_HOSTS_H

#include "engine.h"

#include <json-c/json.h>

/* ROOT/containers/<id>/hosts: localhost, the container's address on each
 * of its networks with HOSTNAME, its name and aliases, and on each user
 * network every member's address, name and aliases (this container's
 * line added to the other members' files too; keng_hosts_forget drops
 * it), then EXTRA's (HostConfig.ExtraHosts, --add-host HOST:IP,
 * host-gateway the first network's gateway).  Not on a network (none):
 * localhost and EXTRA's only. */
int keng_net_hosts(const struct keng *g, const char *id, const char *hostname, json_object *extra, kerr *e);
/* The line of attachment A out of the hosts files of its network's other
 * members in ALL (keng_atts). */
void keng_hosts_forget(const struct keng *g, json_object *all, json_object *a);

#endif
