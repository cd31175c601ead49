/* The resource limits of a kapsel container (limits.h): kapsel.conf's
 * memory, CPU and PIDs defaults and Docker's flags for each, into the
 * spec's linux.resources and the record's HostConfig (Docker's names). */
#include "limits.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define CPUSET_MAX 8191

/* A cpuset list ("0-3,5"): numbers and LO-HI ranges, comma-separated, in
 * any order and with repeats, as the kernel's cpuset.cpus and Docker take
 * it ("3,1" is "1,3"); a range HI below its LO, an empty item ("1,") or
 * anything but digits is refused.  *OUT is the kernel's canonical form,
 * ascending with runs folded ("1,3", "0-2,5"), what the spec and the
 * record then hold. */
static int cpuset_norm(const char *flag, const char *s, char **out, kerr *e)
{
	unsigned char set[(CPUSET_MAX + 1) / 8] = { 0 };
	const char *p = s;
	_cleanup_free_ char *buf = NULL;
	if (!*s)
		return kerr_msg(e, EINVAL, "%s \"\": empty", flag);
	for (;;) {
		char *end;
		if (*p < '0' || *p > '9')
			goto bad;
		long a = strtol(p, &end, 10), b = a;
		if (a > CPUSET_MAX)
			goto bad;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				goto bad;
			b = strtol(p, &end, 10);
			if (b < a || b > CPUSET_MAX)
				goto bad;
		}
		for (long n = a; n <= b; n++)
			set[n / 8] |= 1u << (n % 8);
		if (!*end)
			break;
		if (*end != ',')
			goto bad;
		p = end + 1;
	}
	/* items are at least a gap apart: at most (CPUSET_MAX + 2) / 2 of
	 * them, each at most "NNNN-NNNN," */
	size_t cap = (CPUSET_MAX + 2) / 2 * 10 + 1, len = 0;
	if (!(buf = malloc(cap)))
		return kerr_errno(e, "%s", flag);
	buf[0] = '\0';
	for (long n = 0; n <= CPUSET_MAX; n++) {
		if (!(set[n / 8] & (1u << (n % 8))))
			continue;
		long m = n;
		while (m < CPUSET_MAX && (set[(m + 1) / 8] & (1u << ((m + 1) % 8))))
			m++;
		int w = m > n ? snprintf(buf + len, cap - len, "%s%ld-%ld", len ? "," : "", n, m)
			      : snprintf(buf + len, cap - len, "%s%ld", len ? "," : "", n);
		if (w < 0 || (size_t)w >= cap - len)
			return kerr_msg(e, E2BIG, "%s %s: too long", flag, s);
		len += (size_t)w;
		n = m;
	}
	*out = steal_ptr(buf);
	return 0;
bad:
	return kerr_msg(e, EINVAL, "%s %s: expected a list like 0-3,5 (a range LO-HI with LO <= HI, numbers to %d)",
			flag, s, CPUSET_MAX);
}

/* --device-*-bps/-iops PATH:RATE entries into the spec's array KEY and
 * the record's HostConfig NAME ([{Path, Rate}]). */
static int throttle(char *const *v, const char *flag, bool bytes, json_object *bio, const char *key,
		    json_object *host, const char *name, kerr *e)
{
	json_object *rec = json_object_new_array();
	json_object_object_add(host, name, rec);
	if (!v || !*v)
		return 0;
	json_object *arr = json_object_new_array();
	json_object_object_add(bio, key, arr);
	for (; *v; v++) {
		const char *colon = strrchr(*v, ':');
		if (!colon || colon == *v || !colon[1])
			return kerr_msg(e, EINVAL, "%s %s: expected PATH:RATE", flag, *v);
		char path[4096];
		snprintf(path, sizeof(path), "%.*s", (int)(colon - *v), *v);
		int64_t rate;
		if (bytes) {
			if (kunits_parse_size(flag, colon + 1, &rate, e) < 0)
				return -1;
		} else {
			char *end;
			errno = 0;
			rate = strtoll(colon + 1, &end, 10);
			if (*end || errno || rate < 0)
				return kerr_msg(e, EINVAL, "%s %s: the rate is a number of operations a second", flag,
						*v);
		}
		if (rate < 0)
			return kerr_msg(e, EINVAL, "%s %s: a rate is not negative", flag, *v);
		struct stat st;
		if (stat(path, &st) < 0)
			return kerr_errno(e, "%s %s: %s", flag, *v, path);
		if (!S_ISBLK(st.st_mode))
			return kerr_msg(e, EINVAL, "%s %s: %s is not a block device", flag, *v, path);
		json_object *d = json_object_new_object();
		json_object_object_add(d, "major", json_object_new_int64(major(st.st_rdev)));
		json_object_object_add(d, "minor", json_object_new_int64(minor(st.st_rdev)));
		json_object_object_add(d, "rate", json_object_new_int64(rate));
		json_object_array_add(arr, d);
		json_object *r = json_object_new_object();
		json_object_object_add(r, "Path", json_object_new_string(path));
		json_object_object_add(r, "Rate", json_object_new_int64(rate));
		json_object_array_add(rec, r);
	}
	return 0;
}

static int memory(const struct keng_opts *o, const struct keng_defaults *d, json_object *res, json_object *host,
		  kerr *e)
{
	int64_t mem = o->memory != KENG_UNSET ? o->memory : d->memory;
	int64_t swap = o->memory_swap != KENG_UNSET ? o->memory_swap : mem;
	int64_t resv = o->memory_reservation != KENG_UNSET ? o->memory_reservation : 0;
	if (mem < 0)
		mem = 0;
	if (mem > 0 && mem < (6 << 20))
		return kerr_msg(e, EINVAL, "--memory %lld: the minimum is 6m", (long long)mem);
	if (mem > 0 && swap >= 0 && swap < mem)
		return kerr_msg(e, EINVAL, "--memory-swap %lld is below --memory %lld (it counts memory plus swap)",
				(long long)swap, (long long)mem);
	if (resv < 0)
		return kerr_msg(e, EINVAL, "--memory-reservation %lld: not negative", (long long)resv);
	if (resv > 0 && mem > 0 && resv > mem)
		return kerr_msg(e, EINVAL,
				"--memory-reservation %lld is above --memory %lld (a soft limit below the hard one)",
				(long long)resv, (long long)mem);
	json_object_object_del(res, "memory");
	if (mem > 0 || resv > 0) {
		json_object *m = json_object_new_object();
		if (mem > 0) {
			json_object_object_add(m, "limit", json_object_new_int64(mem));
			json_object_object_add(m, "swap", json_object_new_int64(swap));
		}
		if (resv > 0)
			json_object_object_add(m, "reservation", json_object_new_int64(resv));
		json_object_object_add(res, "memory", m);
	}
	json_object_object_add(host, "Memory", json_object_new_int64(mem));
	json_object_object_add(host, "MemorySwap", json_object_new_int64(mem > 0 ? swap : 0));
	json_object_object_add(host, "MemoryReservation", json_object_new_int64(resv));
	return 0;
}

static int cpu(const struct keng_opts *o, const struct keng_defaults *d, json_object *res, json_object *host, kerr *e)
{
	bool own = o->cpu_period != KENG_UNSET || o->cpu_quota != KENG_UNSET;
	if (own && o->cpus)
		return kerr_msg(e, EINVAL, "--cpus and --cpu-period/--cpu-quota say the same: give one of them");
	int64_t nano = own ? 0 : d->nano_cpus;
	if (o->cpus && keng_cpus_parse(o->cpus, &nano, e) < 0)
		return -1;
	int64_t period = o->cpu_period != KENG_UNSET ? o->cpu_period : 0;
	int64_t quota = o->cpu_quota != KENG_UNSET ? o->cpu_quota : 0;
	if (period && (period < 1000 || period > 1000000))
		return kerr_msg(e, EINVAL, "--cpu-period %lld: from 1000 to 1000000 (microseconds)", (long long)period);
	if (quota > 0 && quota < 1000)
		return kerr_msg(e, EINVAL, "--cpu-quota %lld: at least 1000 (microseconds), or -1/0 for none",
				(long long)quota);
	_cleanup_free_ char *cpus = NULL, *mems = NULL;
	if (o->cpuset_cpus && cpuset_norm("--cpuset-cpus", o->cpuset_cpus, &cpus, e) < 0)
		return -1;
	if (o->cpuset_mems && cpuset_norm("--cpuset-mems", o->cpuset_mems, &mems, e) < 0)
		return -1;
	int64_t shares = o->cpu_shares != KENG_UNSET ? o->cpu_shares : d->cpu_shares;
	json_object *c = json_object_new_object();
	if (shares > 0)
		json_object_object_add(c, "shares", json_object_new_int64(shares));
	if (nano > 0) {
		json_object_object_add(c, "quota", json_object_new_int64(nano / 10000));
		json_object_object_add(c, "period", json_object_new_int64(100000));
	} else if (quota > 0) {
		json_object_object_add(c, "quota", json_object_new_int64(quota));
		json_object_object_add(c, "period", json_object_new_int64(period ? period : 100000));
	} else if (period) {
		json_object_object_add(c, "period", json_object_new_int64(period));
	}
	if (cpus)
		json_object_object_add(c, "cpus", json_object_new_string(cpus));
	if (mems)
		json_object_object_add(c, "mems", json_object_new_string(mems));
	json_object_object_add(res, "cpu", c);
	json_object_object_add(host, "NanoCpus", json_object_new_int64(nano));
	json_object_object_add(host, "CpuShares", json_object_new_int64(shares));
	json_object_object_add(host, "CpuPeriod", json_object_new_int64(period));
	json_object_object_add(host, "CpuQuota", json_object_new_int64(quota > 0 ? quota : 0));
	json_object_object_add(host, "CpusetCpus", json_object_new_string(cpus ?: ""));
	json_object_object_add(host, "CpusetMems", json_object_new_string(mems ?: ""));
	return 0;
}

static int blkio(const struct keng_opts *o, json_object *res, json_object *host, kerr *e)
{
	json_object *bio = json_object_new_object();
	json_object_object_add(res, "blockIO", bio);
	if (o->blkio_weight >= 0) {
		if (o->blkio_weight && (o->blkio_weight < 10 || o->blkio_weight > 1000))
			return kerr_msg(e, EINVAL, "--blkio-weight %d: from 10 to 1000 (0: none)", o->blkio_weight);
		if (o->blkio_weight)
			json_object_object_add(bio, "weight", json_object_new_int(o->blkio_weight));
	}
	json_object_object_add(host, "BlkioWeight", json_object_new_int(o->blkio_weight > 0 ? o->blkio_weight : 0));
	if (throttle(o->device_read_bps, "--device-read-bps", true, bio, "throttleReadBpsDevice", host,
		     "BlkioDeviceReadBps", e) < 0 ||
	    throttle(o->device_write_bps, "--device-write-bps", true, bio, "throttleWriteBpsDevice", host,
		     "BlkioDeviceWriteBps", e) < 0 ||
	    throttle(o->device_read_iops, "--device-read-iops", false, bio, "throttleReadIOPSDevice", host,
		     "BlkioDeviceReadIOps", e) < 0 ||
	    throttle(o->device_write_iops, "--device-write-iops", false, bio, "throttleWriteIOPSDevice", host,
		     "BlkioDeviceWriteIOps", e) < 0)
		return -1;
	if (!json_object_object_length(bio))
		json_object_object_del(res, "blockIO");
	return 0;
}

int keng_resources(const struct keng_opts *o, const struct keng_defaults *d, json_object *spec, json_object *host,
		   kerr *e)
{
	json_object *lx = kj_get(spec, "linux"), *res = kj_get(lx, "resources");
	if (!res) {
		res = json_object_new_object();
		json_object_object_add(lx, "resources", res);
	}
	if (memory(o, d, res, host, e) < 0 || cpu(o, d, res, host, e) < 0 || blkio(o, res, host, e) < 0)
		return -1;
	int64_t pids = o->pids_limit != KENG_UNSET ? o->pids_limit : d->pids_limit;
	json_object_object_del(res, "pids");
	if (pids > 0) {
		json_object *p = json_object_new_object();
		json_object_object_add(p, "limit", json_object_new_int64(pids));
		json_object_object_add(res, "pids", p);
	}
	json_object_object_add(host, "PidsLimit", pids > 0 ? json_object_new_int64(pids) : NULL);
	/* the OOM killer's preference: Docker's range, the runtime writes it */
	if (o->oom_score_adj != KENG_NO_OOM_ADJ) {
		if (o->oom_score_adj < -1000 || o->oom_score_adj > 1000)
			return kerr_msg(e, EINVAL, "--oom-score-adj %d: from -1000 to 1000", o->oom_score_adj);
		json_object_object_add(kj_get(spec, "process"), "oomScoreAdj", json_object_new_int(o->oom_score_adj));
	}
	json_object_object_add(host, "OomScoreAdj",
			       json_object_new_int(o->oom_score_adj != KENG_NO_OOM_ADJ ? o->oom_score_adj : 0));
	/* /dev/shm's size (kapsel's default spec: 64 MiB, Docker's too) */
	int64_t shm = o->shm_size != KENG_UNSET ? o->shm_size : 64 << 20;
	if (shm <= 0)
		return kerr_msg(e, EINVAL, "--shm-size %lld: above 0", (long long)shm);
	json_object *ms = kj_get(spec, "mounts");
	for (size_t i = 0; json_object_is_type(ms, json_type_array) && i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i), *opts = kj_get(m, "options");
		if (strcmp(kj_get_str(m, "destination") ?: "", "/dev/shm"))
			continue;
		for (size_t k = 0; json_object_is_type(opts, json_type_array) && k < json_object_array_length(opts);
		     k++)
			if (!strncmp(json_object_get_string(json_object_array_get_idx(opts, k)), "size=", 5)) {
				char v[48];
				snprintf(v, sizeof(v), "size=%lldk", (long long)((shm + 1023) / 1024));
				json_object_array_put_idx(opts, k, json_object_new_string(v));
			}
	}
	json_object_object_add(host, "ShmSize", json_object_new_int64(shm));
	return 0;
}
