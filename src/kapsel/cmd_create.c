/* kapsel create IMAGE [COMMAND [ARG...]]: a container with kapsel's
 * defaults (docs/run.md), Docker's flags; prints its ID.  The option
 * table is shared with `kapsel run` (cmd_run.c). */
#include "kapsel.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/strv.h"
#include "engine/convert.h"
#include "engine/engine.h"
#include "image/store.h"
#include "image/trust.h"
#include "logs/logs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A struct create_args

static const struct create_args create_defaults = CREATE_DEFAULTS;

const struct cli_option create_options[] = {
	CLI_OPT_STRING(0, "name", A, o.name, "NAME", "the container's name (unique)"),
	CLI_OPT_STRV('e', "env", A, env, "KEY=VALUE", "set a variable (a bare KEY takes kapsel's own value)"),
	CLI_OPT_STRV(0, "env-file", A, env_files, "FILE", "read variables from FILE (KEY=VALUE lines)"),
	CLI_OPT_STRING(0, "entrypoint", A, o.entrypoint, "CMD", "replace the image's ENTRYPOINT (\"\" clears it)"),
	CLI_OPT_STRING('w', "workdir", A, o.workdir, "DIR", "working directory inside the container (created)"),
	CLI_OPT_STRING('u', "user", A, o.user, "USER[:GROUP]",
		       "run as USER (default: the image's USER, else 65534); "
		       "0 or root runs in a user namespace"),
	CLI_OPT_STRING(0, "userns", A, o.userns, "MODE",
		       "private (default: root runs in a user namespace) or host (root is the host's root: "
		       "the runtime's policy refuses it, rule R1, unless it exempts the container)"),
	CLI_OPT_STRV(0, "group-add", A, o.group_add, "GROUP", "an additional group"),
	CLI_OPT_FLAG(0, "read-only", A, o.read_only, "the root filesystem read-only (default true; --read-only=false)"),
	CLI_OPT_LIST(0, "cap-add", A, o.cap_add, "CAP", "add a capability (all are dropped by default)"),
	CLI_OPT_LIST(0, "cap-drop", A, o.cap_drop, "CAP", "drop a capability"),
	CLI_OPT_STRV(0, "security-opt", A, o.security_opt, "OPT",
		     "seccomp=unconfined|PROFILE.json, no-new-privileges=false"),
	CLI_OPT_SIZE('m', "memory", A, o.memory, "BYTES", "memory limit (0: none; default from kapsel.conf)"),
	CLI_OPT_SIZE(0, "memory-swap", A, o.memory_swap, "BYTES",
		     "memory plus swap (-1: unlimited swap; default = --memory)"),
	CLI_OPT_STRING(0, "cpus", A, o.cpus, "N", "CPU limit (0: none)"),
	CLI_OPT_INT('c', "cpu-shares", A, cpu_shares, "N", 0, 262144, "CPU weight"),
	CLI_OPT_INT(0, "pids-limit", A, pids_limit, "N", -1, INT32_MAX, "process limit (-1 or 0: none)"),
	CLI_OPT_STRV(0, "ulimit", A, o.ulimits, "NAME=SOFT[:HARD]", "an rlimit (nofile, nproc ...)"),
	CLI_OPT_STRV(0, "network", A, networks, "MODE",
		     "none (default, loopback only), bridge, a user network (kapsel network create), or host; "
		     "again for more networks (bridge or user ones)"),
	CLI_OPT_STRV(0, "net", A, networks, "MODE", "the same as --network"),
	CLI_OPT_STRV(0, "network-alias", A, o.network_aliases, "NAME",
		     "another name of the container on its user network (its members' /etc/hosts)"),
	CLI_OPT_STRING(0, "ip", A, o.ip, "IP", "its IPv4 address on its (first) user network (default: the next free)"),
	CLI_OPT_STRV('p', "publish", A, o.publish, "[IP:][HOSTPORT:]PORT[/tcp|udp]",
		     "publish a port of a bridge network's container (on 127.0.0.1 unless IP is given; "
		     "no HOSTPORT: a free one)"),
	CLI_OPT_STRV(0, "tmpfs", A, o.tmpfs, "PATH[:OPTS]", "a tmpfs (noexec,nosuid,nodev unless OPTS say exec)"),
	CLI_OPT_STRV('v', "volume", A, o.volumes, "SRC:DST[:OPTS]",
		     "a bind (SRC absolute) or named volume (nosuid,nodev); OPTS ro, rw, nocopy, propagation"),
	CLI_OPT_STRV(0, "mount", A, o.mounts, "type=bind|volume|tmpfs,source=,target=[,readonly]",
		     "a mount, Docker's --mount syntax"),
	CLI_OPT_STRV(0, "volumes-from", A, o.volumes_from, "CONTAINER[:ro|rw]",
		     "the volumes and binds of another container, at the same places (its mode, or the one given)"),
	CLI_OPT_STRV('l', "label", A, o.labels, "KEY=VALUE", "a label"),
	CLI_OPT_STRING('h', "hostname", A, o.hostname, "NAME", "the container's hostname (default: its short ID)"),
	CLI_OPT_STRING(0, "stop-signal", A, o.stop_signal, "SIGNAL",
		       "signal for kapsel stop (default: the image's, "
		       "else SIGTERM)"),
	CLI_OPT_INT(0, "stop-timeout", A, o.stop_timeout, "SECONDS", 0, 86400, "wait before SIGKILL on stop"),
	CLI_OPT_STRING(0, "restart", A, o.restart, "POLICY",
		       "no, on-failure[:N] (default on-failure:5), always, "
		       "unless-stopped"),
	CLI_OPT_FLAG('t', "tty", A, o.tty, "give the container a terminal"),
	CLI_OPT_FLAG('i', "interactive", A, o.interactive, "keep stdin open"),
	CLI_OPT_FLAG(0, "rm", A, o.auto_remove, "remove the container when it exits"),
	CLI_OPT_FLAG(0, "init", A, init, "run kapsel-init as PID 1: signals passed on, orphans reaped"),
	CLI_OPT_STRING(0, "trust-policy", A, trust_policy, "FILE",
		       "the trust policy the image must satisfy (default " KTRUST_POLICY ")"),
	CLI_OPT_STRV(0, "device", A, o.devices, "HOST[:CONTAINER][:PERMS]",
		     "a host device (PERMS some of rwm, default rwm; the policy decides)"),
	CLI_OPT_STRV(0, "add-host", A, o.add_hosts, "HOST:IP",
		     "a line of the container's /etc/hosts (IP host-gateway: its network's gateway)"),
	CLI_OPT_STRV(0, "dns", A, o.dns, "IP", "a nameserver of the container's /etc/resolv.conf (default: the image's file)"),
	CLI_OPT_STRV(0, "dns-search", A, o.dns_search, "DOMAIN", "a search domain of its /etc/resolv.conf"),
	CLI_OPT_STRV(0, "dns-option", A, o.dns_options, "OPT", "a resolver option of its /etc/resolv.conf (ndots:2 ...)"),
	CLI_OPT_STRV(0, "sysctl", A, o.sysctls, "KEY=VALUE", "a setting of the container's namespaces (net.*, kernel.shm* ...)"),
	CLI_OPT_STRING(0, "health-cmd", A, o.health_cmd, "CMD", "health check command (run by the supervisor)"),
	CLI_OPT_DURATION(0, "health-interval", A, o.health_interval, "DURATION", 0, 0, "time between checks"),
	CLI_OPT_DURATION(0, "health-timeout", A, o.health_timeout, "DURATION", 0, 0, "time a check may take"),
	CLI_OPT_DURATION(0, "health-start-period", A, o.health_start_period, "DURATION", 0, 0,
			 "failures not counted before"),
	CLI_OPT_INT(0, "health-retries", A, o.health_retries, "N", 0, 1000, "failures before unhealthy"),
	CLI_OPT_DURATION(0, "health-start-interval", A, o.health_start_interval, "DURATION", 0, 0,
			 "time between checks during the start period"),
	CLI_OPT_STRING(0, "health-on-failure", A, o.health_on_failure, "ACTION",
		       "none (default), kill, restart or stop an unhealthy container"),
	CLI_OPT_FLAG(0, "no-healthcheck", A, o.no_healthcheck, "disable the image's HEALTHCHECK"),
	CLI_OPT_STRING(0, "log-driver", A, o.log_driver, "DRIVER",
		       "json-file (default), k8s-file, none, syslog, journald, fluentd"),
	CLI_OPT_STRV(0, "log-opt", A, o.log_opts, "KEY=VALUE",
		     "a log driver option (max-size, mode=non-blocking, syslog-address ...)"),
	CLI_OPT_END,
};

/* The trust policy, as load and pull obey it: the image by the name it
 * was given (by ID or digest: every name it has, none: the default
 * scope) with the signatures the store keeps for its manifest. */
static int check_trust(const struct cli_call *c, const struct create_args *a)
{
	kerr e = { 0 };
	struct ktrust_policy *pol = NULL;
	if (ktrust_load(a->trust_policy, &pol, &e) < 0) {
		ktrust_free(pol);
		return cli_error(c, kapsel_run_failed(c), "%s", e.msg);
	}
	struct kstore *s = NULL;
	int rc = kapsel_store(c, KSTORE_SHARED, &s);
	const struct kstore_image *img;
	const char *how = NULL;
	if (rc == 0 && kstore_resolve(s, a->o.image, &img, &how, &e) < 0)
		rc = cli_error(c, kapsel_run_failed(c), "%s", e.msg);
	else if (rc == 0) {
		const char *one[] = { how, NULL };
		char *const *names = how ? (char *const *)one : img->names;
		for (size_t i = 0; rc == 0 && (i == 0 || (names && names[i])); i++) {
			const char *name = names ? names[i] : NULL;
			if (ktrust_check_stored(pol, s, name, img->manifest, NULL, 0, &e) < 0)
				rc = cli_error(c, kapsel_run_failed(c), "%s: %s", a->o.image, e.msg);
			if (!name)
				break;
		}
	}
	kstore_close(s);
	ktrust_free(pol);
	return rc;
}

/* -e and --env-file into o->env */
static int build_env(const struct cli_call *c, struct create_args *a)
{
	return kapsel_env(c, a->env_files, a->env, &a->o.env);
}

/* --log-driver and --log-opt checked as the supervisor will read them,
 * so a bad one fails create, not a later start */
static int check_log(const struct cli_call *c, const struct create_args *a, const struct keng_defaults *d)
{
	_cleanup_json_ json_object *log = json_object_new_object();
	json_object *opts = json_object_new_object();
	json_object_object_add(log, "driver",
			       json_object_new_string(a->o.log_driver ? a->o.log_driver : d->log_driver));
	json_object_object_add(log, "opts", opts);
	for (char **p = a->o.log_opts; p && *p; p++) {
		const char *eq = strchr(*p, '=');
		if (!eq || eq == *p)
			return cli_usage_error(c, "--log-opt %s: not KEY=VALUE", *p);
		_cleanup_free_ char *key = strndup(*p, (size_t)(eq - *p));
		json_object_object_add(opts, key, json_object_new_string(eq + 1));
	}
	struct klogs_config lc;
	kerr e = { 0 };
	int r = klogs_config_defaults(&lc, NULL, &e);
	if (r == 0)
		r = klogs_config_parse(&lc, log, "--log-opt", &e);
	klogs_config_done(&lc);
	if (r < 0)
		return cli_usage_error(c, "%s", e.msg);
	return 0;
}

int kapsel_create_container(const struct cli_call *c, struct keng *g, char id[65])
{
	struct create_args *a = c->opts;
	a->o.image = c->argv[0];
	a->o.args = c->argc > 1 ? c->argv + 1 : NULL;
	a->o.network = a->networks ? a->networks[0] : NULL;
	a->o.networks_more = a->networks && a->networks[0] ? a->networks + 1 : NULL;
	if (a->cpu_shares >= 0)
		a->o.cpu_shares = a->cpu_shares;
	if (a->pids_limit != INT32_MIN)
		a->o.pids_limit = a->pids_limit;
	int rc = build_env(c, a);
	if (rc)
		return rc;
	_cleanup_free_ char *init = NULL;
	if (a->init && !(init = kapsel_find_beside("kapsel-init", "init")))
		return cli_error(c, kapsel_run_failed(c), "--init: kapsel-init is not installed beside kapsel");
	a->o.init = init;
	if ((rc = check_trust(c, a)))
		return rc;
	struct keng_defaults d;
	kerr e = { 0 };
	if (keng_defaults_load(kapsel_conf_path(c), &d, &e) < 0) {
		keng_defaults_clear(&d);
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	}
	if ((rc = check_log(c, a, &d))) {
		keng_defaults_clear(&d);
		return rc;
	}
	char **ann = NULL;
	if (kapsel_scan_gate(c, a->o.image, &ann, &e) < 0) {
		kstrv_free(ann);
		keng_defaults_clear(&d);
		return cli_error(c, kapsel_run_failed(c), "%s", e.msg);
	}
	a->o.annotations = ann;
	rc = keng_create(g, &a->o, &d, id, &e);
	keng_defaults_clear(&d);
	kstrv_free(a->o.annotations);
	a->o.annotations = NULL;
	kstrv_free(a->o.env);
	a->o.env = NULL;
	if (rc < 0)
		return cli_error(c, kapsel_run_failed(c), "%s", e.msg);
	return 0;
}

static int create_run(const struct cli_call *c)
{
	struct keng *g;
	int rc = kapsel_engine(c, KENG_EXCLUSIVE, &g);
	if (rc)
		return rc;
	char id[65];
	rc = kapsel_create_container(c, g, id);
	keng_close(g);
	if (rc)
		return rc;
	printf("%s\n", id);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_create = {
	.name = "create",
	.run = create_run,
	.min_args = 1,
	.max_args = -1,
	.args = "IMAGE [COMMAND [ARG...]]",
	.summary = "create a container with the hardened defaults (docs/run.md)",
	.flags = CLI_CMD_OPTIONS_FIRST,
	.defaults = &create_defaults,
	CLI_CMD_OPTIONS(struct create_args, create_options),
};
