/* supervise.json: what the engine asks of a container's supervisor
 * (docs/supervise.md has the fields).  Read once at start; every error
 * names the file and the field. */
#ifndef KAPSEL_SUPERVISE_CONFIG_H
#define KAPSEL_SUPERVISE_CONFIG_H

#include "common/conf.h"
#include "common/err.h"
#include "common/names.h"
#include "logs/logs.h"

#include <stdbool.h>
#include <stdint.h>

enum ksup_restart { KSUP_RESTART_NO, KSUP_RESTART_ON_FAILURE, KSUP_RESTART_ALWAYS, KSUP_RESTART_UNLESS_STOPPED };
KAPSEL_DECLARE_NAME_TABLE(ksup_restart, enum ksup_restart);

/* Docker's defaults for a field left 0 */
#define KSUP_HEALTH_DEFAULT_INTERVAL_NS (30LL * 1000000000LL)
#define KSUP_HEALTH_DEFAULT_TIMEOUT_NS (30LL * 1000000000LL)
#define KSUP_HEALTH_DEFAULT_RETRIES 3

/* --health-on-failure (Podman's): what an unhealthy container gets */
enum ksup_on_failure { KSUP_ON_FAILURE_NONE, KSUP_ON_FAILURE_KILL, KSUP_ON_FAILURE_RESTART, KSUP_ON_FAILURE_STOP };
KAPSEL_DECLARE_NAME_TABLE(ksup_on_failure, enum ksup_on_failure);

struct ksup_healthcheck {
	char **argv; /* NULL: none; ["/bin/sh", "-c", CMD] for CMD-SHELL */
	int64_t interval_ns, timeout_ns, start_period_ns, retries;
	int64_t start_interval_ns; /* between probes while starting in the start period; 0: interval_ns */
	enum ksup_on_failure on_failure;
};

/* --pid/--ipc/--network container:X: the namespace of X's init as X's
 * status.json has it at every launch (config.json's /proc/PID path is
 * rewritten: the pid create saw is anyone's once X restarted) */
#define KSUP_JOINS_MAX 3
struct ksup_join {
	char *type; /* the runtime-spec's: "pid", "ipc", "network" */
	char *dir;  /* X's directory (its status.json) */
	char *name; /* X's name, for the error */
};

struct ksup_config {
	char *id, *name, *image, *image_id;
	char *bundle, *runtime, *runtime_root;
	bool tty, stdin_open, auto_remove;
	struct klogs_config log;
	enum ksup_restart restart;
	int64_t max_retries; /* on-failure: 0 is no limit */
	int stop_signal;
	int64_t stop_timeout; /* seconds */
	struct ksup_healthcheck health;
	struct ksup_join joins[KSUP_JOINS_MAX];
	size_t n_joins;
};

/* Read DIR/supervise.json; CONF (may be NULL) gives the log defaults. */
/* The "restart" object of O (supervise.json's shape) into C's policy and
 * maximum, checked as the file's (`kapsel update --restart`). */
int ksup_config_restart(struct ksup_config *c, json_object *o, kerr *e);
int ksup_config_load(struct ksup_config *c, const char *dir, const struct kconf *conf, kerr *e);
/* The same from a buffer (FILE names it in errors). */
int ksup_config_parse(struct ksup_config *c, const char *file, const char *buf, size_t len, const struct kconf *conf,
		      kerr *e);
void ksup_config_done(struct ksup_config *c);

#endif
