/* kapsel.conf [run]: the defaults of every container (docs/run.md).  A
 * missing file gives the built-in values, which are the shipped file's. */
#include "engine.h"

#include "common/cleanup.h"
#include "common/conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

KAPSEL_DEFINE_CLEANUP(struct kconf *, kconf_free)

static const char *const run_keys[] = {
	"user",       "memory",       "cpus",         "cpu_shares",   "pids_limit",      "nofile",      "nproc",
	"read_only",  "network",      "tmp_size",     "run_size",     "volume_size",     "restart",     "stop_timeout",
	"log_driver", "log_max_size", "log_max_file", "log_compress", "userns_host_uid", "userns_size", NULL,
};

static const char *const network_keys[] = { "bridge_name", "bridge_subnet", "publish_address", "cni_path", NULL };

static int set_str_in(char **dst, const struct kconf *c, const char *section, const char *key)
{
	const char *v = kconf_get(c, section, key);
	if (!v)
		return 0;
	char *n = strdup(v);
	if (!n)
		return -1;
	free(*dst);
	*dst = n;
	return 0;
}

static int set_str(char **dst, const struct kconf *c, const char *key)
{
	return set_str_in(dst, c, "run", key);
}

/* "1.5" CPUs -> 1.5e9; a bad value is EINVAL. */
static int parse_cpus(const char *s, int64_t *out, const char *what, kerr *e)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 4096)
		return kerr_msg(e, EINVAL, "%s: \"%s\" is not a number of CPUs (like 0.5 or 2)", what, s);
	*out = (int64_t)(v * 1e9 + 0.5);
	return 0;
}

int keng_cpus_parse(const char *s, int64_t *nano, kerr *e)
{
	return parse_cpus(s, nano, "--cpus", e);
}

int keng_defaults_load(const char *path, struct keng_defaults *d, kerr *e)
{
	*d = (struct keng_defaults){
		.memory = 256LL << 20,
		.nano_cpus = 1000000000LL,
		.cpu_shares = 1024,
		.pids_limit = 512,
		.nofile = 1024,
		.nproc = 512,
		.read_only = true,
		.log_compress = true,
		.tmp_size = 64LL << 20,
		.run_size = 16LL << 20,
		.volume_size = 64LL << 20,
		.stop_timeout = 10,
		.userns_host_uid = 100000,
		.userns_size = 65536,
	};
	d->user = strdup("65534:65534");
	d->network = strdup("none");
	d->restart = strdup("on-failure:5");
	d->log_driver = strdup("json-file");
	d->log_max_size = strdup("20m");
	d->log_max_file = strdup("5");
	d->bridge_name = strdup("kapsel0");
	d->bridge_subnet = strdup("10.89.0.0/16");
	d->publish_address = strdup("127.0.0.1");
	d->cni_path = strdup("/usr/lib/cni:/opt/cni/bin");
	if (!d->user || !d->network || !d->restart || !d->log_driver || !d->log_max_size || !d->log_max_file ||
	    !d->bridge_name || !d->bridge_subnet || !d->publish_address || !d->cni_path)
		return kerr_errno(e, "defaults");
	_cleanup_(kconf_freep) struct kconf *c = NULL;
	if (kconf_load(path, true, &c, e) < 0 || kconf_check(c, "run", run_keys, e) < 0 ||
	    kconf_check(c, "network", network_keys, e) < 0)
		return -1;
	if (set_str_in(&d->bridge_name, c, "network", "bridge_name") < 0 ||
	    set_str_in(&d->bridge_subnet, c, "network", "bridge_subnet") < 0 ||
	    set_str_in(&d->publish_address, c, "network", "publish_address") < 0 ||
	    set_str_in(&d->cni_path, c, "network", "cni_path") < 0)
		return kerr_errno(e, "%s", path);
	if (!*d->bridge_name || strlen(d->bridge_name) >= 16 || strchr(d->bridge_name, '/'))
		return kerr_msg(e, EINVAL, "%s: [network] bridge_name = %s: an interface name (1-15 characters)", path,
				d->bridge_name);
	struct in_addr pa;
	if (inet_pton(AF_INET, d->publish_address, &pa) != 1)
		return kerr_msg(e, EINVAL, "%s: [network] publish_address = %s: not an IPv4 address", path,
				d->publish_address);
	if (set_str(&d->user, c, "user") < 0 || set_str(&d->network, c, "network") < 0 ||
	    set_str(&d->restart, c, "restart") < 0 || set_str(&d->log_driver, c, "log_driver") < 0 ||
	    set_str(&d->log_max_size, c, "log_max_size") < 0 || set_str(&d->log_max_file, c, "log_max_file") < 0)
		return kerr_errno(e, "%s", path);
	const char *cpus = kconf_get(c, "run", "cpus");
	if (cpus && parse_cpus(cpus, &d->nano_cpus, path, e) < 0)
		return -1;
	if (kconf_get_size(c, "run", "memory", &d->memory, e) < 0 ||
	    kconf_get_int(c, "run", "cpu_shares", 0, 262144, &d->cpu_shares, e) < 0 ||
	    kconf_get_int(c, "run", "pids_limit", -1, INT32_MAX, &d->pids_limit, e) < 0 ||
	    kconf_get_int(c, "run", "nofile", 1, 1 << 30, &d->nofile, e) < 0 ||
	    kconf_get_int(c, "run", "nproc", 1, 1 << 30, &d->nproc, e) < 0 ||
	    kconf_get_bool(c, "run", "read_only", &d->read_only, e) < 0 ||
	    kconf_get_bool(c, "run", "log_compress", &d->log_compress, e) < 0 ||
	    kconf_get_size(c, "run", "tmp_size", &d->tmp_size, e) < 0 ||
	    kconf_get_size(c, "run", "run_size", &d->run_size, e) < 0 ||
	    kconf_get_size(c, "run", "volume_size", &d->volume_size, e) < 0 ||
	    kconf_get_int(c, "run", "stop_timeout", 0, 86400, &d->stop_timeout, e) < 0 ||
	    kconf_get_int(c, "run", "userns_host_uid", 1, UINT32_MAX - 65536, &d->userns_host_uid, e) < 0 ||
	    kconf_get_int(c, "run", "userns_size", 1, 65536 * 16, &d->userns_size, e) < 0)
		return -1;
	if (!*d->network || strchr(d->network, '/'))
		return kerr_msg(e, EINVAL, "%s: [run] network = %s: expected none, host, bridge or a network's name",
				path, d->network);
	return 0;
}

void keng_defaults_clear(struct keng_defaults *d)
{
	free(d->user);
	free(d->network);
	free(d->restart);
	free(d->log_driver);
	free(d->log_max_size);
	free(d->log_max_file);
	free(d->bridge_name);
	free(d->bridge_subnet);
	free(d->publish_address);
	free(d->cni_path);
	memset(d, 0, sizeof(*d));
}
