/* The monitor: every container on the host, whoever started it, and its
 * usage as typed data (struct kcg_stats plus network), with the three
 * formatters over it that are not runc's: Docker's stats JSON and table
 * figures (dstats.c), and Prometheus / OpenMetrics text with cAdvisor's
 * metric names (prom.c).
 *
 * Discovery (discover.c) reads each engine's own state on every call, so a
 * container started or removed since the last call is seen by the next:
 *   kapsel-runtime  its --root: <root>/<id>/state.json (pid, cgroup, annotations)
 *   containerd      <task root>/<namespace>/<id>/{config.json,init.pid} of the
 *                   v2 shims; namespace "moby" is Docker's, a config with
 *                   io.kubernetes.cri.* annotations is a Kubernetes pod's
 *   Docker          names, images and labels from the Engine API
 *                   (GET /containers/json), matched to the moby tasks by id;
 *                   a container without a task dir found is inspected for its pid
 *   Podman          <storage>/overlay-containers/containers.json (names, image)
 *                   with <runroot>/overlay-containers/<id>/userdata/pidfile
 * A container is listed while its init process lives; its cgroup is read
 * from /proc/PID/cgroup.  A source that is absent (no such directory, no
 * socket) is skipped; one that answers wrongly is named in the warnings. */
#ifndef KAPSEL_MONITOR_H
#define KAPSEL_MONITOR_H

#include "cgroup/stats.h"
#include "common/err.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum kmon_engine { KMON_KAPSEL, KMON_DOCKER, KMON_PODMAN, KMON_CONTAINERD, KMON_KUBERNETES };
KAPSEL_DECLARE_NAME_TABLE(kmon_engine, enum kmon_engine); /* "kapsel", "docker", ... */

struct kmon_container {
	char *id;    /* the engine's full id */
	char *name;  /* Docker/Podman name, k8s "namespace/pod/container", else the id */
	char *image; /* image reference, "" when the engine keeps none we can read */
	enum kmon_engine engine;
	char *ns;      /* containerd namespace ("" for the others) */
	pid_t pid;     /* init process on the host */
	char *cgroup;  /* relative cgroup path ("/docker/<id>") */
	char **labels; /* key, value, ..., NULL: Docker labels, OCI annotations */
	/* Kubernetes, from the CRI annotations ("" otherwise) */
	char *pod, *pod_namespace, *k8s_container;
	double started; /* unix time the init process started (0 unknown) */
	int running;    /* 0: stopped (listed with kmon_sources.all; pid 0, cgroup "") */
	/* from kapsel's supervisor (status.json next to the bundle) or Docker's
	 * list ("Up 3 minutes (unhealthy)"): */
	char health[16];     /* "", "starting", "healthy", "unhealthy" */
	int64_t restarts;    /* restart count, -1 unknown */
	int64_t log_dropped; /* log lines the supervisor dropped, -1 unknown */
};

/* Where to look; a NULL member is the engine's default, "" turns it off. */
struct kmon_sources {
	const char *proc;              /* "/proc" */
	const char *kapsel_root;       /* "/run/kapsel" */
	const char *docker_host;       /* "unix:///var/run/docker.sock" */
	const char *const *task_roots; /* NULL-terminated; default: /run/containerd/io.containerd.runtime.v2.task,
					  /run/docker/containerd/daemon/io.containerd.runtime.v2.task */
	const char *podman_root;       /* "/var/lib/containers/storage" */
	const char *podman_runroot;    /* "/run/containers/storage" */
	int all;                       /* also the stopped containers Docker, Podman and kapsel keep */
};

struct kmon_list {
	struct kmon_container *c;
	size_t n;
	char **warnings; /* what a source answered wrongly, NULL-terminated (may be NULL) */
};

/* Every running container the sources know (and the stopped ones with
 * SRC->all), sorted by engine then name. */
int kmon_discover(const struct kmon_sources *src, struct kmon_list *out, kerr *e);
void kmon_list_done(struct kmon_list *l);
/* Free what C holds (its strings and labels) and zero it. */
void kmon_container_clear(struct kmon_container *c);
/* The container QUERY names: full id, a unique id prefix, or a name.
 * NULL with e (ENOENT: no such container; EINVAL: the prefix is ambiguous). */
const struct kmon_container *kmon_find(const struct kmon_list *l, const char *query, kerr *e);

/* ------------------------------------------------------------- network */

struct kmon_netif {
	char name[16];
	uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
	uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
};

/* Parse /proc/net/dev text into a malloc'ed array (loopback left out).
 * Returns the count, or -1 when TEXT is not in that format (e names the line). */
int kmon_net_parse(const char *text, struct kmon_netif **out, kerr *e);
/* The interfaces of PID's network namespace, from PROC/PID/net/dev. */
int kmon_net_read(const char *proc, pid_t pid, struct kmon_netif **out, kerr *e);

/* -------------------------------------------------------------- samples */

/* One reading of one container. */
struct kmon_sample {
	struct kcg_stats cg;
	struct kmon_netif *net; /* malloc'ed */
	int n_net;              /* -1: the namespace could not be read */
	uint64_t mono_ns;       /* CLOCK_MONOTONIC when read */
	double wall;            /* unix time when read */
	uint64_t system_ns;     /* /proc/stat: all CPUs' time, ns (Docker's system_cpu_usage); */
	unsigned online_cpus;   /* both 0 unless read with KMON_SAMPLE_HOST_CPU */
};

/* Read C's cgroup and network now (H: the host's layout).  FLAGS:
 * KMON_SAMPLE_HOST_CPU also the host's CPU time and online CPUs (Docker's
 * CPU %; /proc/stat is costly to generate), KMON_SAMPLE_PERCPU the
 * per-CPU usage (Docker's percpu_usage, the exporter's percpu group; one
 * more file, cgroup v1 only). */
#define KMON_SAMPLE_HOST_CPU 1u
#define KMON_SAMPLE_PERCPU 2u
#define KMON_SAMPLE_SPEC 4u /* the limits as set too (container_spec_*) */
int kmon_sample_read(const struct kcg_host *h, const char *proc, const struct kmon_container *c, unsigned flags,
		     struct kmon_sample *s, kerr *e);
void kmon_sample_done(struct kmon_sample *s);

/* ------------------------------------------------ Docker's figures (dstats.c) */

/* What `docker stats` shows for a container, from two samples of it
 * (PREV NULL: no CPU %), computed as Docker's CLI does:
 *   CPU %  = (cpu delta / system delta) * online CPUs * 100, where the
 *            system delta is the monotonic time between the samples times
 *            the online CPUs (Docker reads it from /proc/stat in ticks of
 *            10 ms, too coarse for `--no-stream`'s 100 ms window)
 *   MEM    = usage - inactive_file (total_inactive_file on v1) when it is
 *            smaller, else usage; limit = the cgroup's, at most MEMTOTAL
 *   NET    = rx / tx bytes summed over the interfaces
 *   BLOCK  = Read / Write bytes summed over the devices */
struct kmon_dfig {
	double cpu_pct, mem_pct;
	int have_cpu, have_mem, have_net, have_blk, have_pids;
	uint64_t mem_usage, mem_limit, net_rx, net_tx, blk_read, blk_write, pids;
};
void kmon_docker_figures(const struct kmon_sample *prev, const struct kmon_sample *cur, uint64_t memtotal,
			 struct kmon_dfig *out);
/* The host's MemTotal in bytes (PROC/meminfo), 0 unknown. */
uint64_t kmon_memtotal(const char *proc);
/* Sizes as Docker prints them: binary "380KiB" (memory, %.4g) and
 * decimal "1.2kB" (network and block IO, %.3g). */
void kmon_size_binary(uint64_t v, char *buf, size_t n);
void kmon_size_decimal(uint64_t v, char *buf, size_t n);

/* The Engine API's stats object (GET /containers/{id}/stats) of CUR with
 * PREV as its "precpu_stats" (NULL: zeros, as Docker's first answer). */
json_object *kmon_docker_json(const struct kmon_container *c, const struct kmon_sample *prev,
			      const struct kmon_sample *cur);

/* ------------------------------------------ Prometheus text (prom.c) */

/* The exposition formats /metrics serves. */
enum kmon_prom_format { KMON_PROM_TEXT, KMON_PROM_OPENMETRICS };
/* Content-Type of each ("text/plain; version=0.0.4; charset=utf-8", ...). */
const char *kmon_prom_content_type(enum kmon_prom_format f);
/* The format an Accept header asks for: OpenMetrics when it names
 * application/openmetrics-text (without q=0), else text 0.0.4. */
enum kmon_prom_format kmon_prom_negotiate(const char *accept);

/* Metric groups left out unless enabled (kmon_prom_enable), as cAdvisor
 * leaves them out by default and its --enable_metrics names them:
 *   percpu  container_cpu_usage_seconds_total{cpu="cpu00"}, {cpu="cpu01"}, ...
 *           (cAdvisor's "cpu%02d"), one per CPU the container used (v1's
 *           cpuacct.usage_percpu; cgroup2 has no per-CPU counter), beside
 *           cpu="total"; the samples must be read with KMON_SAMPLE_PERCPU */
enum kmon_metric_group { KMON_MG_PERCPU, KMON_MG_N };
KAPSEL_DECLARE_NAME_TABLE(kmon_metric_group, enum kmon_metric_group); /* "percpu" */

/* The metrics of containers C[0..N) with their samples S[0..N), with
 * cAdvisor's names, types, units and base labels (id = cgroup path, name,
 * image; container, pod, namespace for Kubernetes pods), plus one
 * kapsel_container_info{...} 1 series per container carrying its labels
 * (as label_<name>, sanitized).  A stopped container (running 0) has only
 * its info series.  Into a malloc'ed *OUT of *LEN bytes. */
int kmon_prom_write(const struct kmon_container *c, const struct kmon_sample *s, size_t n, enum kmon_prom_format f,
		    char **out, size_t *len, kerr *e);
/* The same, one container at a time (a scrape then holds one sample,
 * not all): new, add each, finish (the text into *OUT), free. */
struct kmon_prom;
struct kmon_prom *kmon_prom_new(enum kmon_prom_format f);
/* Also the metric groups GROUPS (1u << enum kmon_metric_group), from now on. */
void kmon_prom_enable(struct kmon_prom *p, unsigned groups);
void kmon_prom_add(struct kmon_prom *p, const struct kmon_container *c, const struct kmon_sample *s);
int kmon_prom_finish(struct kmon_prom *p, char **out, size_t *len, kerr *e);
/* C's kapsel_container_restarts_total (RESTARTS; -1: unknown, no series)
 * and kapsel_container_health_status{status="starting"|"healthy"|"unhealthy"}
 * (1 for C->health, 0 for the other two; no series without a health
 * check), after the families of kmon_prom_add. */
void kmon_prom_add_state(struct kmon_prom *p, const struct kmon_container *c, int64_t restarts);
/* kapsel_alerts_firing{alertname=NAMES[i]} COUNTS[i], a gauge family after
 * the containers' (the monitor's own rules, alerts.h). */
void kmon_prom_alerts(struct kmon_prom *p, const char *const *names, const size_t *counts, size_t n);
void kmon_prom_free(struct kmon_prom *p);

/* A growing text buffer (oom set when an append failed). */
struct kmon_buf {
	char *p;
	size_t len, cap;
	int oom;
};
void kmon_buf_put(struct kmon_buf *b, const char *s, size_t n);
void kmon_buf_printf(struct kmon_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append VALUE as a label value: \\, " and newline escaped. */
void kmon_prom_escape(struct kmon_buf *b, const char *value);

#endif
