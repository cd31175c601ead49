/* The resource limits of a kapsel container: kapsel.conf's defaults and
 * Docker's flags (--memory, --memory-swap, --memory-reservation, --cpus,
 * --cpu-shares, --cpu-period, --cpu-quota, --cpuset-cpus, --cpuset-mems,
 * --blkio-weight, --device-{read,write}-{bps,iops}, --pids-limit,
 * --oom-score-adj, --shm-size), each checked with an error naming the
 * flag. */
#ifndef KAPSEL_ENGINE_LIMITS_H
#define KAPSEL_ENGINE_LIMITS_H

#include "engine.h"

#include <json-c/json.h>

/* Into SPEC's linux.resources (process.oomScoreAdj, /dev/shm's size) and
 * HOST (the record's HostConfig: Memory, NanoCpus, BlkioDeviceReadBps...). */
int keng_resources(const struct keng_opts *o, const struct keng_defaults *d, json_object *spec, json_object *host,
		   kerr *e);

#endif
