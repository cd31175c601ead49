/* kapsel create IMAGE [COMMAND [ARG...]]: a container with kapsel's
 * defaults (docs/run.md), Docker's flags; prints its ID.  The option
 * table is shared with `kapsel run` (cmd_run.c). */
#include "kapsel.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/str.h"
#include "common/strv.h"
#include "engine/convert.h"
#include "engine/engine.h"
#include "image/store.h"
#include "image/trust.h"
#include "logs/logs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	CLI_OPT_SIZE(0, "memory-reservation", A, o.memory_reservation, "BYTES",
		     "a soft memory limit, below --memory (reclaimed first under pressure)"),
	CLI_OPT_SIZE(0, "cpu-period", A, o.cpu_period, "US", "the CFS period in microseconds (with --cpu-quota)"),
	CLI_OPT_SIZE(0, "cpu-quota", A, o.cpu_quota, "US", "CPU time per period in microseconds (not with --cpus)"),
	CLI_OPT_STRING(0, "cpuset-cpus", A, o.cpuset_cpus, "LIST", "the CPUs it may run on (0-3,5)"),
	CLI_OPT_STRING(0, "cpuset-mems", A, o.cpuset_mems, "LIST", "the memory nodes it may use (0,1)"),
	CLI_OPT_INT(0, "blkio-weight", A, o.blkio_weight, "N", 0, 1000, "block IO weight, 10-1000 (0: none)"),
	CLI_OPT_STRV(0, "device-read-bps", A, o.device_read_bps, "PATH:RATE", "read bytes a second from a block device (1mb)"),
	CLI_OPT_STRV(0, "device-write-bps", A, o.device_write_bps, "PATH:RATE", "write bytes a second to a block device"),
	CLI_OPT_STRV(0, "device-read-iops", A, o.device_read_iops, "PATH:RATE", "read operations a second from a block device"),
	CLI_OPT_STRV(0, "device-write-iops", A, o.device_write_iops, "PATH:RATE", "write operations a second to a block device"),
	CLI_OPT_INT(0, "oom-score-adj", A, o.oom_score_adj, "N", -1000, 1000, "the OOM killer's preference (-1000..1000)"),
	CLI_OPT_SIZE(0, "shm-size", A, o.shm_size, "BYTES", "the size of /dev/shm (default 64m)"),
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
	CLI_OPT_STRING(0, "domainname", A, o.domainname, "NAME", "the container's NIS domain name"),
	CLI_OPT_STRING(0, "pid", A, o.pid_mode, "MODE",
		       "private (default), host or container:NAME (the runtime's policy decides: rule B2)"),
	CLI_OPT_STRING(0, "ipc", A, o.ipc_mode, "MODE",
		       "private (default), shareable, none, host or container:NAME (the policy decides)"),
	CLI_OPT_STRING(0, "uts", A, o.uts_mode, "MODE", "private (default) or host (the policy decides)"),
	CLI_OPT_FLAG(0, "privileged", A, privileged, "refused: kapsel runs no privileged container (see --help)"),
	CLI_OPT_STRV(0, "expose", A, o.expose, "PORT[-END][/PROTO]", "a port it serves (published by -P)"),
	CLI_OPT_FLAG('P', "publish-all", A, o.publish_all,
		     "publish every exposed port (the image's and --expose's) on a picked host port"),
	CLI_OPT_STRV(0, "label-file", A, label_files, "FILE", "read labels from FILE (KEY=VALUE lines)"),
	CLI_OPT_STRING(0, "cidfile", A, cidfile, "FILE", "write the container's ID to FILE (which must not exist)"),
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
	CLI_OPT_STRING(0, "pull", A, pull, "WHEN",
		       "missing (default: pull the image when the store lacks it), always, never"),
	CLI_OPT_STRING(0, "platform", A, platform, "OS/ARCH[/VARIANT]", "the image of an index to pull"),
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

/* --label-file's lines (KEY=VALUE; a bare KEY is an empty label; blank
 * and # lines skipped), then --label's, into o.labels. */
static int build_labels(const struct cli_call *c, struct create_args *a)
{
	if (!a->label_files)
		return 0;
	_cleanup_strv_ char **all = calloc(1, sizeof(char *));
	if (!all)
		return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
	for (char **f = a->label_files; *f; f++) {
		kerr e = { 0 };
		_cleanup_free_ char *text = NULL;
		if (kfs_read_file(*f, &text, NULL, &e) < 0)
			return cli_error(c, CLI_EXIT_USAGE, "--label-file: %s", e.msg);
		int n = 0;
		for (char *line = text, *nl; line; line = nl) {
			n++;
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = 0;
			size_t len = strlen(line);
			if (len && line[len - 1] == '\r')
				line[--len] = 0;
			while (*line == ' ' || *line == '\t')
				line++;
			if (!*line || *line == '#')
				continue;
			if (*line == '=')
				return cli_error(c, CLI_EXIT_USAGE, "--label-file %s:%d: an empty label name", *f, n);
			_cleanup_free_ char *kv = strchr(line, '=') ? strdup(line) : NULL;
			if (!kv && asprintf(&kv, "%s=", line) < 0)
				kv = NULL;
			if (!kv || kstrv_add(&all, kv) < 0)
				return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
		}
	}
	for (char **p = a->o.labels; p && *p; p++)
		if (kstrv_add(&all, *p) < 0)
			return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
	kstrv_free(a->o.labels);
	a->o.labels = steal_ptr(all);
	return 0;
}

/* --cidfile: the ID in FILE, made here (O_EXCL: an existing one is an
 * error, as Docker's).  A failed write leaves no file: it is ours (made
 * by the O_EXCL open), and an empty or cut ID in it would name nothing
 * (the caller removes the container), yet block the next --cidfile. */
static int write_cidfile(const struct cli_call *c, const char *path, const char *id)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return cli_error(c, kapsel_run_failed(c), "--cidfile %s: %s", path, strerror(errno));
	size_t n = strlen(id);
	ssize_t w = write(fd, id, n);
	int err = w < 0 ? errno : ENOSPC; /* a short write: the file system is full */
	if (w == (ssize_t)n && close(steal_fd(fd)) == 0)
		return 0;
	if (w == (ssize_t)n)
		err = errno; /* close reports a delayed write error (NFS) */
	unlink(path);
	return cli_error(c, kapsel_run_failed(c), "--cidfile %s: %s", path, strerror(err));
}

void kapsel_cidfile_remove(const char *path, const char *id)
{
	_cleanup_free_ char *text = NULL;
	kerr ig = { 0 };
	/* only the file we wrote: the ID in it is ours */
	if (path && kfs_read_file(path, &text, NULL, &ig) == 0 && !strcmp(text, id))
		unlink(path);
}

/* A reference the store only ever takes as an image ID: "sha256:HEX"
 * (kstore_resolve never reads it as a name, so a pull by that name could
 * not be found afterwards) or 64 hex digits, a whole ID (Docker refuses
 * to pull such a name too). */
static bool image_id_only(const char *ref)
{
	return kstr_starts(ref, "sha256:") || (strlen(ref) == 64 && strspn(ref, "0123456789abcdef") == 64);
}

/* --pull: the image from its registry when it is missing (Docker's
 * default) or always; its display on stderr (stdout is the program's). */
static int pull_if(const struct cli_call *c, const struct create_args *a)
{
	const char *when = a->pull ? a->pull : "missing";
	if (strcmp(when, "missing") && strcmp(when, "always") && strcmp(when, "never"))
		return cli_usage_error(c, "--pull %s: missing, always or never", when);
	if (!strcmp(when, "never"))
		return 0;
	if (!strcmp(when, "missing")) {
		struct kstore *s = NULL;
		const struct kstore_image *img;
		kerr e = { 0 };
		int rc = kapsel_store(c, KSTORE_SHARED, &s);
		if (rc)
			return rc;
		rc = kstore_resolve(s, a->o.image, &img, NULL, &e);
		kstore_close(s);
		struct kreg_ref r = { 0 };
		/* there (by name or by a unique ID prefix), or an ID a registry
		 * has no name for: as it is.  A short all-hex reference ("cafe",
		 * "deadbeef") that matched no local ID is a name, pulled as
		 * Docker pulls it */
		if (rc == 0 || e.errnum != ENOENT || image_id_only(a->o.image))
			return 0;
		int bad = kreg_ref_parse(a->o.image, &r, &e);
		kreg_ref_clear(&r);
		if (bad < 0)
			return 0;
		fprintf(stderr, "Unable to find image '%s' locally\n", a->o.image);
	}
	struct kapsel_pull_how h = { .platform = a->platform,
				     .trust_policy = a->trust_policy,
				     .to_stderr = 1,
				     .fail_code = kapsel_run_failed(c) };
	return kapsel_pull_image(c, &h, a->o.image);
}

/* The networks of --network: NAME, or Docker's name=NAME,alias=A,ip=IP;
 * the first is o.network (its aliases and address o.network_aliases and
 * o.ip), the others o.networks_more.  What it allocates is freed by
 * networks_done. */
static int build_networks(const struct cli_call *c, struct create_args *a)
{
	size_t n = kstrv_len(a->networks);
	if (!n)
		return 0;
	struct keng_net_more *more = calloc(n, sizeof(*more));
	if (!more)
		return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
	a->more = more;
	for (size_t i = 0; i < n; i++) {
		struct keng_net_more *m = &more[i];
		const char *v = a->networks[i];
		if (!strchr(v, '=')) {
			m->name = v;
			continue;
		}
		_cleanup_strv_ char **parts = kstrv_split(v, ",");
		for (char **p = parts; p && *p; p++) {
			char *eq = strchr(*p, '=');
			if (!eq)
				return cli_usage_error(c, "--network %s: \"%s\" is not KEY=VALUE", v, *p);
			*eq = 0;
			const char *key = *p, *val = eq + 1;
			char *keep = strdup(val);
			if (!keep || kstrv_add(&a->net_strings, keep) < 0) {
				free(keep);
				return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
			}
			free(keep);
			val = a->net_strings[kstrv_len(a->net_strings) - 1];
			if (!strcmp(key, "name"))
				m->name = val;
			else if (!strcmp(key, "alias")) {
				if (kstrv_add(&m->aliases, val) < 0)
					return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
			} else if (!strcmp(key, "ip"))
				m->ip = val;
			else if (!strcmp(key, "ip6") || !strcmp(key, "mac-address") || !strcmp(key, "link-local-ip") ||
				 !strcmp(key, "driver-opt") || !strcmp(key, "gw-priority"))
				return cli_usage_error(c, "--network %s: %s is not supported by kapsel (name, alias, ip are)",
						       v, key);
			else
				return cli_usage_error(c, "--network %s: unknown key \"%s\" (name, alias, ip)", v, key);
		}
		if (!m->name || !*m->name)
			return cli_usage_error(c, "--network %s: name= is missing", v);
	}
	a->o.network = more[0].name;
	for (char **p = more[0].aliases; p && *p; p++)
		if (kstrv_add(&a->o.network_aliases, *p) < 0)
			return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
	if (more[0].ip) {
		if (a->o.ip && strcmp(a->o.ip, more[0].ip))
			return cli_usage_error(c, "--ip %s and --network ...,ip=%s: give one address", a->o.ip, more[0].ip);
		a->o.ip = more[0].ip;
	}
	a->o.networks_more = more + 1;
	a->o.n_networks_more = n - 1;
	return 0;
}

static void networks_done(struct create_args *a)
{
	for (size_t i = 0; a->more && i < kstrv_len(a->networks); i++)
		kstrv_free(a->more[i].aliases);
	free(a->more);
	a->more = NULL;
	kstrv_free(a->net_strings);
	a->net_strings = NULL;
}

int kapsel_create_container(const struct cli_call *c, struct keng *g, char id[65])
{
	struct create_args *a = c->opts;
	a->o.image = c->argv[0];
	a->o.args = c->argc > 1 ? c->argv + 1 : NULL;

	if (a->cpu_shares >= 0)
		a->o.cpu_shares = a->cpu_shares;
	if (a->pids_limit != INT32_MIN)
		a->o.pids_limit = a->pids_limit;
	if (a->privileged)
		return cli_usage_error(c, "--privileged: kapsel runs no container with every capability, every host "
					  "device and no seccomp filter; give it what it needs, each checked by the "
					  "runtime's policy: --cap-add CAP, --device HOST_DEV, --security-opt "
					  "seccomp=unconfined, --user 0");
	int rc = build_env(c, a);
	if (rc || (rc = build_labels(c, a)))
		return rc;
	if (a->cidfile && access(a->cidfile, F_OK) == 0)
		return cli_error(c, kapsel_run_failed(c),
				 "--cidfile %s: the file exists (another container's?): remove it first", a->cidfile);
	_cleanup_free_ char *init = NULL;
	if (a->init && !(init = kapsel_find_beside("kapsel-init", "init")))
		return cli_error(c, kapsel_run_failed(c), "--init: kapsel-init is not installed beside kapsel");
	a->o.init = init;
	/* the pull goes at the registry's pace (minutes, or a stall): not
	 * under the engine's exclusive lock, which would hold every ps, stop
	 * and logs meanwhile; create resolves the image again under it */
	kerr e = { 0 };
	if (keng_relock(g, -1, &e) < 0)
		return cli_error(c, kapsel_run_failed(c), "%s", e.msg);
	rc = pull_if(c, a);
	if (!rc)
		rc = check_trust(c, a);
	if (keng_relock(g, KENG_EXCLUSIVE, &e) < 0)
		return cli_error(c, kapsel_run_failed(c), "%s", e.msg);
	if (rc)
		return rc;
	struct keng_defaults d;
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
	if ((rc = build_networks(c, a))) {
		networks_done(a);
		keng_defaults_clear(&d);
		kstrv_free(a->o.annotations);
		a->o.annotations = NULL;
		return rc;
	}
	rc = keng_create(g, &a->o, &d, id, &e);
	networks_done(a);
	keng_defaults_clear(&d);
	kstrv_free(a->o.annotations);
	a->o.annotations = NULL;
	kstrv_free(a->o.env);
	a->o.env = NULL;
	if (rc < 0)
		return cli_error(c, kapsel_run_failed(c), "%s", e.msg);
	if (a->cidfile && (rc = write_cidfile(c, a->cidfile, id))) {
		kerr ig = { 0 };
		keng_remove(g, id, true, false, &ig);
		return rc;
	}
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
