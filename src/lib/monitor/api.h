/* The JSON of `kapsel monitor`'s /api/containers and /api/containers/ID,
 * from the store (store.h): the figures of the same samples as /metrics.
 *
 *   {"time": T, "interval": S, "containers": [C, ...]}
 *   C = {"id", "name", "image", "engine", "state" (running|stopped|gone),
 *        "health" ("" none), "restarts" (null unknown), "started" (unix s),
 *        "cpu_percent", "memory_usage", "memory_limit" (null: none),
 *        "memory_percent", "pids", "pids_limit" (null: none),
 *        "net_rx_rate", "net_tx_rate", "blk_read_rate", "blk_write_rate"
        (bytes/s), "oom_kills",
 *        "labels": {k: v}}          a figure not known is null
 *   /api/containers/ID: C plus "history": [{"t", "cpu_percent",
 *        "memory_usage", "pids", "net_rx_rate", "net_tx_rate", "blk_read_rate",
 *        "blk_write_rate"}, ...] oldest first
 *
 * Strings are made valid UTF-8 and JSON-escaped; the page that shows
 * them inserts them as text. */
#ifndef KAPSEL_MONITOR_API_H
#define KAPSEL_MONITOR_API_H

#include "monitor/store.h"

/* Malloc'ed JSON text, NULL when out of memory. */
char *kmon_api_containers(const struct kmon_store *st);
/* The same with each container's "history" (/api/containers?history=1,
 * what the dashboard polls). */
char *kmon_api_containers_history(const struct kmon_store *st);
char *kmon_api_container(const struct kmon_store *st, const struct kmon_entry *en);

#endif
