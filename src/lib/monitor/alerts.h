/* Alert rules evaluated in `kapsel monitor` itself, over the store's
 * figures (store.h), with thresholds from a config file (INI,
 * common/conf.h; /etc/kapsel/alerts.conf by default):
 *
 *   [memory]        threshold = 90   for = 2m     working set > 90 % of the memory limit
 *   [oom]           window = 5m                   the OOM-kill counter rose within the window
 *   [restarts]      threshold = 3    window = 15m more than 3 restarts within the window
 *   [unhealthy]     for = 5m                      the health check says unhealthy
 *   [cpu_throttled] threshold = 25   for = 15m    > 25 % of CFS periods throttled
 *   [pids]          threshold = 90   for = 1m     > 90 % of pids.max
 *   [down]          for = 1m                      seen running, now stopped or gone
 *   [log_disk]      threshold = 80   for = 1m     paths = /var/lib/kapsel: filesystem > 80 % used
 *   [log_dropped]   window = 5m                   the supervisor dropped log lines within the window
 *   [alertmanager]  url = http://127.0.0.1:9093   resend = 1m
 *   [syslog]        enabled = true   socket = /dev/log
 *
 * Every rule section takes enabled = true|false.  Durations are seconds
 * ("30", "0.5") or Go durations ("2m", "1m30s"); thresholds are numbers
 * (a trailing "%" allowed).  Unknown sections and keys are errors.
 *
 * Contract.  Each rule gives at most one alert per container (per path
 * for log_disk), keyed by rule and container id.  A true condition makes
 * the alert pending; true for the rule's `for` makes it firing (for = 0:
 * firing at once); a false condition resolves a firing alert and drops a
 * pending one (state "inactive").  Every transition is handed to the
 * caller's callback (syslog, one line each); the Alertmanager payload
 * holds the firing alerts and the resolved ones not delivered yet: a
 * resolved alert is kept (and carried by every payload) until a payload
 * that carried it was delivered, or until Alertmanager has resolved it by
 * itself (4 × resend after the resolution: the endsAt of the last firing
 * post is no later), so no resolution of an alert sent as firing is lost
 * to a failed or replaced post. */
#ifndef KAPSEL_MONITOR_ALERTS_H
#define KAPSEL_MONITOR_ALERTS_H

#include "common/err.h"
#include "monitor/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KMON_ALERTS_CONF "/etc/kapsel/alerts.conf"
#define KMON_ALERTS_MAX_PATHS 16 /* log_disk paths */

enum kmon_rule {
	KMON_R_MEMORY,
	KMON_R_OOM,
	KMON_R_RESTARTS,
	KMON_R_UNHEALTHY,
	KMON_R_CPU_THROTTLED,
	KMON_R_PIDS,
	KMON_R_DOWN,
	KMON_R_LOG_DISK,
	KMON_R_LOG_DROPPED,
	KMON_R_N
};

struct kmon_rule_conf {
	bool enabled;
	double threshold; /* percent or count */
	double for_s;     /* seconds true before firing */
	double window;    /* seconds (oom, restarts, log_dropped) */
};

struct kmon_alerts_conf {
	struct kmon_rule_conf r[KMON_R_N];
	char *alertmanager; /* base URL (…/api/v2/alerts is posted to), NULL: none */
	double resend;      /* seconds between re-sends of firing alerts */
	bool syslog;
	char *syslog_socket; /* "/dev/log" */
	char **log_paths;    /* log_disk: the filesystems of these paths */
};

/* The built-in rules (the table above). */
int kmon_alerts_conf_defaults(struct kmon_alerts_conf *c, kerr *e);
/* The defaults, then PATH over them (missing: defaults when MISSING_OK). */
int kmon_alerts_conf_load(const char *path, bool missing_ok, struct kmon_alerts_conf *c, kerr *e);
/* The same from text (NAME in errors). */
int kmon_alerts_conf_parse(const char *name, const char *text, struct kmon_alerts_conf *c, kerr *e);
void kmon_alerts_conf_done(struct kmon_alerts_conf *c);

/* The alert name of each rule: "ContainerMemoryNearLimit", ... (the names
 * of data/prometheus/kapsel-alerts.yml where that file has the rule). */
const char *kmon_rule_alertname(enum kmon_rule r);

enum kmon_alert_state { KMON_A_INACTIVE, KMON_A_PENDING, KMON_A_FIRING, KMON_A_RESOLVED };
const char *kmon_alert_state_name(enum kmon_alert_state s);

struct kmon_alert {
	enum kmon_rule rule;
	char *key;     /* container id, or the path (log_disk) */
	char **labels; /* alertname, severity, name, id, image (or path): key, value, ..., NULL */
	char *summary; /* one line for people */
	double value;  /* the figure that crossed the threshold */
	enum kmon_alert_state state;
	double active_since; /* the condition has held since */
	double fired_at, resolved_at;
	uint64_t resolved_seq; /* the first payload that carried the resolution (0: none yet) */
	int seen;              /* (evaluation) */
};

struct kmon_alerts {
	struct kmon_alert *a;
	size_t n, cap;
	double last_sent;   /* the last Alertmanager payload made */
	int dirty;          /* a firing or resolved transition not posted yet */
	uint64_t seq;       /* payloads made (kmon_alerts_payload) */
	uint64_t delivered; /* the newest payload Alertmanager took (kmon_alerts_delivered) */
};

/* A filesystem's use, for log_disk. */
struct kmon_disk {
	const char *path;
	double used_pct; /* < 0: unknown (not evaluated) */
};
/* statvfs(PATH): used percent as df shows it (blocks not free to users). */
int kmon_disk_usage(const char *path, double *pct, kerr *e);

typedef void (*kmon_alert_fn)(const struct kmon_alert *a, void *data);

/* One evaluation at NOW: update AL from ST and DISKS[0..ND), calling FN
 * for each transition (A->state is the new state). */
int kmon_alerts_eval(struct kmon_alerts *al, const struct kmon_alerts_conf *c, const struct kmon_store *st,
		     const struct kmon_disk *disks, size_t nd, double now, kmon_alert_fn fn, void *data, kerr *e);
/* Forget the inactive alerts, and the resolved ones that need no post any
 * more (delivered, none configured in C, or 4 × resend old at NOW). */
void kmon_alerts_gc(struct kmon_alerts *al, const struct kmon_alerts_conf *c, double now);
void kmon_alerts_done(struct kmon_alerts *al);
/* Count of firing alerts of rule R. */
size_t kmon_alerts_firing(const struct kmon_alerts *al, enum kmon_rule r);

/* One line for the log and syslog: "ContainerMemoryNearLimit firing:
 * web uses 95.2% of its memory limit (id=..., image=...)", control
 * characters as '?'. */
void kmon_alert_line(const struct kmon_alert *a, char *buf, size_t n);

/* Alertmanager's POST /api/v2/alerts body: a JSON array of
 * {labels, annotations, startsAt, endsAt, generatorURL} for the firing
 * (endsAt NOW + 4 × RESEND, as Prometheus does) and resolved (endsAt the
 * resolution) alerts; a resolution is left out where the same rule and
 * key fires again or resolved later.  NULL when there are none. */
char *kmon_alerts_alertmanager_json(const struct kmon_alerts *al, double now, double resend, const char *generator);
/* The next payload to post (kmon_alerts_alertmanager_json), numbered:
 * *SEQ = ++AL->seq, which the resolutions it carries remember; clears
 * dirty, sets last_sent.  NULL when there is nothing to send. */
char *kmon_alerts_payload(struct kmon_alerts *al, double now, double resend, const char *generator, uint64_t *seq);
/* Payload SEQ (and so every older one's content) was delivered. */
void kmon_alerts_delivered(struct kmon_alerts *al, uint64_t seq);
/* Resolved alerts a payload still has to deliver. */
size_t kmon_alerts_undelivered(const struct kmon_alerts *al);

/* The posts to an Alertmanager, off the caller's thread (notify.c): one
 * worker thread and a one-payload slot, the newest payload wins (each is
 * the whole current set).  LOG(MSG, FAILED, DATA) is called from the
 * worker: for the first failure, then at most one a minute while posts
 * fail (with their count), and for the first success after failures. */
struct kmon_notifier;
typedef void (*kmon_notify_log_fn)(const char *msg, int failed, void *data);
/* Start the worker posting to URL/api/v2/alerts; *OUT its handle. */
int kmon_notifier_start(const char *url, kmon_notify_log_fn log, void *data, struct kmon_notifier **out, kerr *e);
/* Hand BODY (malloc'ed, taken) over as payload SEQ; a payload not taken
 * by the worker yet is replaced (and freed).  Never blocks on the network. */
void kmon_notifier_send(struct kmon_notifier *n, char *body, uint64_t seq);
/* The newest SEQ whose post Alertmanager answered with 2xx (0: none). */
uint64_t kmon_notifier_delivered(struct kmon_notifier *n);
/* Stop the worker (a post in flight is aborted within a second; a payload
 * not sent is dropped) and free N.  NULL is fine. */
void kmon_notifier_stop(struct kmon_notifier *n);

/* /api/alerts: {"alerts": [{alertname, state, labels, summary, value,
 * activeSince, firedAt}]} of the pending and firing alerts. */
char *kmon_api_alerts(const struct kmon_alerts *al);

#endif
