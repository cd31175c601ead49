/* kapsel network create|ls|inspect|rm|prune|connect|disconnect: the user networks
 * (ROOT/networks/NAME.json, CNI conflists; engine/network.h) beside the
 * predefined bridge, host and none, with Docker's output. */
#include "kapsel.h"

#include "common/json.h"
#include "common/strv.h"
#include "engine/network.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The store and kapsel.conf's defaults, or an exit code. */
static int open_both(const struct cli_call *c, int mode, struct keng **g, struct keng_defaults *d)
{
	kerr e = { 0 };
	if (keng_defaults_load(kapsel_conf_path(c), d, &e) < 0) {
		keng_defaults_clear(d);
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	}
	int rc = kapsel_engine(c, mode, g);
	if (rc)
		keng_defaults_clear(d);
	return rc;
}

struct create_net_args {
	char **subnets, **gateways;
	const char *driver;
	int ipv6;
};

static const struct cli_option create_net_options[] = {
	CLI_OPT_STRV(0, "subnet", struct create_net_args, subnets, "CIDR",
		     "the network's IPv4 subnet (default: the first free 10.90.N.0/24); again for its IPv6 one"),
	CLI_OPT_STRV(0, "gateway", struct create_net_args, gateways, "IP",
		     "the bridge's address in a --subnet (default: the subnet's first)"),
	CLI_OPT_FLAG(0, "ipv6", struct create_net_args, ipv6,
		     "IPv6 too (its --subnet, default: a unique local fdXX:XXXX:XXXX::/64)"),
	CLI_OPT_STRING('d', "driver", struct create_net_args, driver, "DRIVER", "bridge (the only one)"),
	CLI_OPT_END,
};

/* One address of each family at most in V (--subnet, --gateway). */
static int by_family(const struct cli_call *c, const char *flag, char **v, const char **v4, const char **v6)
{
	for (char **p = v; p && *p; p++) {
		const char **slot = strchr(*p, ':') ? v6 : v4;
		if (*slot)
			return cli_usage_error(c, "%s %s: one %s %s at most", flag, *p, slot == v6 ? "IPv6" : "IPv4",
					       flag);
		*slot = *p;
	}
	return 0;
}

static int create_net_run(const struct cli_call *c)
{
	const struct create_net_args *a = c->opts;
	if (a->driver && strcmp(a->driver, "bridge"))
		return cli_usage_error(c, "--driver %s: kapsel's networks are bridge networks", a->driver);
	const char *sub = NULL, *sub6 = NULL, *gw = NULL, *gw6 = NULL;
	int rc = by_family(c, "--subnet", a->subnets, &sub, &sub6);
	if (rc || (rc = by_family(c, "--gateway", a->gateways, &gw, &gw6)))
		return rc;
	if (gw && !sub)
		return cli_usage_error(c, "--gateway needs --subnet");
	struct keng *g;
	struct keng_defaults d;
	rc = open_both(c, KENG_EXCLUSIVE, &g, &d);
	if (rc)
		return rc;
	kerr e = { 0 };
	char id[65];
	rc = keng_network_create(g, &d, c->argv[0], sub, gw, a->ipv6 || sub6, sub6, gw6, id, &e);
	keng_close(g);
	keng_defaults_clear(&d);
	if (rc < 0)
		return cli_error(c, e.errnum == EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE, "%s", e.msg);
	printf("%s\n", id);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

struct ls_net_args {
	int quiet, no_trunc;
	const char *format;
};

static const struct cli_option ls_net_options[] = {
	CLI_OPT_FLAG('q', "quiet", struct ls_net_args, quiet, "only the IDs"),
	CLI_OPT_FLAG(0, "no-trunc", struct ls_net_args, no_trunc, "full IDs"),
	CLI_OPT_STRING(0, "format", struct ls_net_args, format, "json|TEMPLATE", "one line per network"),
	CLI_OPT_END,
};

static int ls_net_run(const struct cli_call *c)
{
	const struct ls_net_args *a = c->opts;
	int rc = kapsel_format_check(c, a->format);
	if (rc)
		return rc;
	struct keng *g;
	struct keng_defaults d;
	if ((rc = open_both(c, KENG_SHARED, &g, &d)))
		return rc;
	kerr e = { 0 };
	json_object *all = NULL;
	rc = keng_network_list(g, &d, &all, &e);
	keng_close(g);
	keng_defaults_clear(&d);
	if (rc < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	if (!a->quiet && !a->format)
		printf("%-14s %-20s %-10s %s\n", "NETWORK ID", "NAME", "DRIVER", "SCOPE");
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *o = json_object_array_get_idx(all, i);
		const char *id = kj_get_str(o, "Id") ?: "";
		int w = a->no_trunc ? 64 : 12;
		if (a->format) {
			/* Docker's `network ls` keys */
			json_object *r = json_object_new_object();
			char sid[65];
			snprintf(sid, sizeof(sid), "%.*s", w, id);
			json_object_object_add(r, "ID", json_object_new_string(sid));
			json_object_object_add(r, "Name", json_object_new_string(kj_get_str(o, "Name") ?: ""));
			json_object_object_add(r, "Driver", json_object_new_string(kj_get_str(o, "Driver") ?: ""));
			json_object_object_add(r, "Scope", json_object_new_string("local"));
			json_object_object_add(r, "CreatedAt", json_object_new_string(kj_get_str(o, "Created") ?: ""));
			json_object_object_add(r, "IPv6", json_object_new_string("false"));
			json_object_object_add(r, "Internal", json_object_new_string("false"));
			json_object_object_add(r, "Labels", json_object_new_string(""));
			int r2 = kapsel_format_print(c, a->format, r);
			json_object_put(r);
			rc = r2 ? r2 : rc;
		} else if (a->quiet)
			printf("%.*s\n", w, id);
		else
			printf("%-14.*s %-20s %-10s %s\n", w, id, kj_get_str(o, "Name") ?: "",
			       kj_get_str(o, "Driver") ?: "", "local");
	}
	json_object_put(all);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

struct inspect_net_args {
	const char *format;
};

static const struct cli_option inspect_net_options[] = {
	CLI_OPT_STRING('f', "format", struct inspect_net_args, format, "json|TEMPLATE", "one line per network"),
	CLI_OPT_END,
};

/* kapsel.conf's defaults for inspect_net_one (one command, one load) */
static struct keng_defaults inspect_defaults;

static int inspect_net_one(const struct cli_call *c, struct keng *g, const char *ref, json_object **out, kerr *e)
{
	(void)c;
	return keng_network_inspect(g, &inspect_defaults, ref, out, e) < 0 ? -1 : 0;
}

static int inspect_net_run(const struct cli_call *c)
{
	const struct inspect_net_args *a = c->opts;
	kerr e = { 0 };
	if (keng_defaults_load(kapsel_conf_path(c), &inspect_defaults, &e) < 0) {
		keng_defaults_clear(&inspect_defaults);
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	}
	int rc = kapsel_inspect_each(c, a->format, inspect_net_one);
	keng_defaults_clear(&inspect_defaults);
	return rc;
}

static int rm_net_run(const struct cli_call *c)
{
	struct keng *g;
	int rc = kapsel_engine(c, KENG_EXCLUSIVE, &g);
	if (rc)
		return rc;
	for (int i = 0; i < c->argc; i++) {
		kerr e = { 0 };
		if (keng_network_remove(g, c->argv[i], &e) < 0)
			rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
		else
			printf("%s\n", c->argv[i]);
	}
	keng_close(g);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

struct prune_net_args {
	int force;
};

static const struct cli_option prune_net_options[] = {
	CLI_OPT_FLAG('f', "force", struct prune_net_args, force,
		     "do not ask (kapsel never asks: accepted for Docker's scripts)"),
	CLI_OPT_END,
};

/* Every user network no container is on. */
static int prune_net_run(const struct cli_call *c)
{
	struct keng *g;
	struct keng_defaults d;
	int rc = open_both(c, KENG_EXCLUSIVE, &g, &d);
	if (rc)
		return rc;
	kerr e = { 0 };
	json_object *all = NULL;
	if (keng_network_list(g, &d, &all, &e) < 0) {
		keng_close(g);
		keng_defaults_clear(&d);
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	}
	bool any = false;
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *o = json_object_array_get_idx(all, i);
		const char *name = kj_get_str(o, "Name") ?: "";
		if (!strcmp(name, "bridge") || !strcmp(name, "host") || !strcmp(name, "none"))
			continue;
		if (keng_network_remove(g, name, &e) < 0) {
			if (e.errnum != EBUSY)
				rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
			kerr_clear(&e);
			continue;
		}
		if (!any)
			printf("Deleted Networks:\n");
		any = true;
		printf("%s\n", name);
	}
	json_object_put(all);
	keng_close(g);
	keng_defaults_clear(&d);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

struct connect_args {
	char **aliases;
	const char *ip;
};

static const struct cli_option connect_options[] = {
	CLI_OPT_STRV(0, "alias", struct connect_args, aliases, "NAME",
		     "another name of the container on this network (its members' /etc/hosts)"),
	CLI_OPT_STRING(0, "ip", struct connect_args, ip, "IP", "its IPv4 address there (default: the next free)"),
	CLI_OPT_END,
};

static int connect_run(const struct cli_call *c)
{
	const struct connect_args *a = c->opts;
	struct keng *g;
	struct keng_defaults d;
	int rc = open_both(c, KENG_EXCLUSIVE, &g, &d);
	if (rc)
		return rc;
	kerr e = { 0 };
	rc = keng_network_connect(g, &d, c->argv[0], c->argv[1], a->aliases, a->ip, &e);
	keng_close(g);
	keng_defaults_clear(&d);
	if (rc < 0)
		return cli_error(c, e.errnum == EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE, "%s", e.msg);
	return CLI_EXIT_OK;
}

struct disconnect_args {
	int force;
};

static const struct cli_option disconnect_options[] = {
	CLI_OPT_FLAG('f', "force", struct disconnect_args, force,
		     "take it off even when the network plugins fail to release it"),
	CLI_OPT_END,
};

static int disconnect_run(const struct cli_call *c)
{
	const struct disconnect_args *a = c->opts;
	struct keng *g;
	int rc = kapsel_engine(c, KENG_EXCLUSIVE, &g);
	if (rc)
		return rc;
	kerr e = { 0 };
	rc = keng_network_disconnect(g, c->argv[0], c->argv[1], a->force, &e);
	keng_close(g);
	if (rc < 0)
		return cli_error(c, e.errnum == EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE, "%s", e.msg);
	return CLI_EXIT_OK;
}

static const struct cli_command cmd_network_create = {
	.name = "create",
	.run = create_net_run,
	.min_args = 1,
	.max_args = 1,
	.args = "NAME",
	.summary = "create a user network (a bridge of its own; its containers reach each other)",
	CLI_CMD_OPTIONS(struct create_net_args, create_net_options),
};
static const struct cli_command cmd_network_ls = {
	.name = "ls",
	.run = ls_net_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "list the networks",
	CLI_CMD_OPTIONS(struct ls_net_args, ls_net_options),
};
static const struct cli_command cmd_network_inspect = {
	.name = "inspect",
	.run = inspect_net_run,
	.min_args = 1,
	.max_args = -1,
	.args = "NETWORK...",
	.summary = "show networks as Docker's network inspect JSON (Containers included)",
	CLI_CMD_OPTIONS(struct inspect_net_args, inspect_net_options),
};
static const struct cli_command cmd_network_rm = {
	.name = "rm",
	.run = rm_net_run,
	.min_args = 1,
	.max_args = -1,
	.args = "NETWORK...",
	.summary = "remove user networks (refused while a container is on one)",
};
static const struct cli_command cmd_network_prune = {
	.name = "prune",
	.run = prune_net_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "remove every user network no container is on",
	CLI_CMD_OPTIONS(struct prune_net_args, prune_net_options),
};

static const struct cli_command cmd_network_connect = {
	.name = "connect",
	.run = connect_run,
	.min_args = 2,
	.max_args = 2,
	.args = "NETWORK CONTAINER",
	.summary = "put a container (on bridge or a user network, created or running) on another network too",
	CLI_CMD_OPTIONS(struct connect_args, connect_options),
};
static const struct cli_command cmd_network_disconnect = {
	.name = "disconnect",
	.run = disconnect_run,
	.min_args = 2,
	.max_args = 2,
	.args = "NETWORK CONTAINER",
	.summary = "take a container off a network (its interface goes while it runs)",
	CLI_CMD_OPTIONS(struct disconnect_args, disconnect_options),
};

static const struct cli_command *const network_commands[] = {
	&cmd_network_create, &cmd_network_ls,      &cmd_network_inspect,    &cmd_network_rm,
	&cmd_network_prune,  &cmd_network_connect, &cmd_network_disconnect, NULL,
};

const struct cli_command cmd_network = {
	.name = "network",
	.min_args = 0,
	.max_args = -1,
	.summary = "manage networks (create, ls, inspect, rm, prune, connect, disconnect)",
	.subcommands = network_commands,
};
