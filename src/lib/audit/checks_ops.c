/* CIS sections 6 (security operations) and 7 (swarm). */
#include "internal.h"

#include "common/cleanup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 6.1 */
static void c_image_sprawl(struct audit_ctx *ctx, struct audit_result *r)
{
	audit_ctx_images(ctx);
	size_t unused = 0;
	for (size_t i = 0; i < ctx->nimgs; i++)
		unused += !ctx->imgs[i].used;
	audit_ev_add(r, AUDIT_INFO, "daemon", "images", 0, "%zu images, %zu not used by any container", ctx->nimgs_total, unused);
}

/* 6.2 */
static void c_container_sprawl(struct audit_ctx *ctx, struct audit_result *r)
{
	audit_ctx_containers(ctx);
	size_t running = 0;
	for (size_t i = 0; i < ctx->ndocker; i++)
		running += ctx->conts[i].running;
	audit_ev_add(r, AUDIT_INFO, "daemon", "containers", 0, "%zu containers audited, %zu of them running", ctx->ndocker, running);
}

static int swarm_on(struct audit_ctx *ctx, struct audit_result *r)
{
	const char *st = audit_ctx_swarm_state(ctx);
	if (!st || strcmp(st, "active")) {
		audit_res_set(r, AUDIT_PASS, "swarm mode not enabled");
		return 0;
	}
	audit_ctx_swarm(ctx);
	return 1;
}

/* 7.1 */
static void c_managers(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!swarm_on(ctx, r))
		return;
	int64_t m = kj_get_i64(kj_get(ctx->info, "Swarm"), "Managers", 0);
	audit_ev_add(r, m > 1 && m % 2 == 0 ? AUDIT_WARN : AUDIT_INFO, "daemon", "swarm", 0,
	       "%lld manager nodes%s", (long long)m, m > 1 && m % 2 == 0 ? ": an even count adds no fault tolerance" : "");
}

/* 7.2: the swarm management port listening on every address */
static int listens_wild(const char *file, const char *zero, unsigned port)
{
	char want[8];
	snprintf(want, sizeof(want), "%04X", port & 0xffff);
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	char line[512];
	while (f && fgets(line, sizeof(line), f)) {
		char local[128], st[8];
		if (sscanf(line, "%*s %127s %*s %7s", local, st) != 2)
			continue;
		char *colon = strrchr(local, ':');
		if (colon && !strcmp(st, "0A") && !strcasecmp(colon + 1, want) && !strncmp(local, zero, strlen(zero)))
			return 1;
	}
	return 0;
}

static void c_swarm_iface(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!swarm_on(ctx, r))
		return;
	/* the manager's port, from its address (default 2377) */
	const char *addr = kj_get_str(kj_get(ctx->node, "ManagerStatus"), "Addr");
	const char *colon = addr ? strrchr(addr, ':') : NULL;
	unsigned port = colon ? (unsigned)atoi(colon + 1) : 2377;
	if (!port)
		port = 2377;
	if (listens_wild("/proc/net/tcp", "00000000:", port) ||
	    listens_wild("/proc/net/tcp6", "00000000000000000000000000000000:", port))
		audit_ev_add(r, AUDIT_WARN, "daemon", "swarm", 0, "the swarm management port %u listens on every address", port);
	else
		audit_ev_add(r, AUDIT_PASS, "daemon", "swarm", 0, "the swarm management port %u is bound to a specific address", port);
}

/* 7.3 */
static void c_overlay_encrypted(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!swarm_on(ctx, r))
		return;
	json_object *n = ctx->networks;
	for (size_t i = 0; n && json_object_is_type(n, json_type_array) && i < json_object_array_length(n); i++) {
		json_object *net = json_object_array_get_idx(n, i);
		const char *drv = kj_get_str(net, "Driver"), *name = kj_get_str(net, "Name");
		if (!drv || strcmp(drv, "overlay") || (name && !strcmp(name, "ingress")))
			continue;
		if (kj_get(kj_get(net, "Options"), "encrypted"))
			audit_ev_add(r, AUDIT_PASS, "network", name ? name : "?", 0, "overlay network is encrypted");
		else
			audit_ev_add(r, AUDIT_WARN, "network", name ? name : "?", 0, "overlay network is not encrypted");
	}
}

/* 7.5 */
static void c_autolock(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!swarm_on(ctx, r))
		return;
	if (kj_get_bool(kj_get(kj_get(ctx->swarm, "Spec"), "EncryptionConfig"), "AutoLockManagers"))
		audit_ev_add(r, AUDIT_PASS, "daemon", "swarm", 0, "managers auto-lock");
	else
		audit_ev_add(r, AUDIT_WARN, "daemon", "swarm", 0, "managers do not auto-lock");
}

static void c_swarm_manual(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!swarm_on(ctx, r))
		return;
	audit_res_set(r, AUDIT_NOTE, "manual check");
}

/* 7.7 */
static void c_node_certs(struct audit_ctx *ctx, struct audit_result *r)
{
	if (!swarm_on(ctx, r))
		return;
	int64_t exp = kj_get_i64(kj_get(kj_get(ctx->swarm, "Spec"), "CAConfig"), "NodeCertExpiry", 0);
	audit_ev_add(r, AUDIT_INFO, "daemon", "swarm", 0, "node certificates expire after %lld hours", (long long)(exp / 3600000000000LL));
}

const struct audit_check audit_checks_ops[] = {
	{ "6.1", "Ensure that image sprawl is avoided", 0, 1, AUDIT_SEV_LOW, AUDIT_NEED_API,
	  "Remove images no container uses (docker image prune -a).", c_image_sprawl },
	{ "6.2", "Ensure that container sprawl is avoided", 0, 1, AUDIT_SEV_LOW, AUDIT_NEED_API,
	  "Remove stopped containers you no longer need (docker container prune).", c_container_sprawl },
	{ "7.1", "Ensure that the minimum number of manager nodes have been created in a swarm", 1, 0, AUDIT_SEV_MEDIUM, AUDIT_NEED_API,
	  "Keep an odd, minimal number of managers (docker node demote).", c_managers },
	{ "7.2", "Ensure that swarm services are bound to a specific host interface", 1, 0, AUDIT_SEV_MEDIUM, AUDIT_NEED_API,
	  "Initialise or join with --listen-addr on a specific interface.", c_swarm_iface },
	{ "7.3", "Ensure that all Docker swarm overlay networks are encrypted", 1, 0, AUDIT_SEV_MEDIUM, AUDIT_NEED_API,
	  "Create overlay networks with --opt encrypted.", c_overlay_encrypted },
	{ "7.4", "Ensure that Docker's secret management commands are used for managing secrets in a swarm cluster", 0, 1, AUDIT_SEV_MEDIUM, AUDIT_NEED_API,
	  "Use docker secret for services' secrets.", c_swarm_manual },
	{ "7.5", "Ensure that swarm manager is run in auto-lock mode", 1, 0, AUDIT_SEV_MEDIUM, AUDIT_NEED_API,
	  "docker swarm update --autolock=true.", c_autolock },
	{ "7.6", "Ensure that the swarm manager auto-lock key is rotated periodically", 0, 1, AUDIT_SEV_LOW, AUDIT_NEED_API,
	  "docker swarm unlock-key --rotate, on a schedule.", c_swarm_manual },
	{ "7.7", "Ensure that node certificates are rotated as appropriate", 0, 1, AUDIT_SEV_LOW, AUDIT_NEED_API,
	  "docker swarm update --cert-expiry to a period that fits your policy.", c_node_certs },
	{ "7.8", "Ensure that CA certificates are rotated as appropriate", 0, 1, AUDIT_SEV_LOW, AUDIT_NEED_API,
	  "docker swarm ca --rotate, on a schedule.", c_swarm_manual },
	{ "7.9", "Ensure that management plane traffic is separated from data plane traffic", 0, 1, AUDIT_SEV_LOW, AUDIT_NEED_API,
	  "Use --advertise-addr and --data-path-addr on different interfaces.", c_swarm_manual },
};
const size_t audit_nchecks_ops = ARRAY_SIZE(audit_checks_ops);
