/* kapsel update [OPTIONS] CONTAINER...: Docker's flags for the limits and
 * the restart policy of containers, live when they run (engine.h). */
#include "kapsel.h"

#include <errno.h>
#include <stdio.h>

struct update_args {
	struct keng_update u;
};

#define U struct update_args

static const struct cli_option update_options[] = {
	CLI_OPT_SIZE('m', "memory", U, u.memory, "BYTES", "memory limit (0: none)"),
	CLI_OPT_SIZE(0, "memory-swap", U, u.memory_swap, "BYTES", "memory plus swap (-1: unlimited swap)"),
	CLI_OPT_SIZE(0, "memory-reservation", U, u.memory_reservation, "BYTES", "a soft memory limit"),
	CLI_OPT_STRING(0, "cpus", U, u.cpus, "N", "CPU limit (0: none)"),
	CLI_OPT_SIZE('c', "cpu-shares", U, u.cpu_shares, "N", "CPU weight"),
	CLI_OPT_SIZE(0, "cpu-period", U, u.cpu_period, "US", "the CFS period in microseconds"),
	CLI_OPT_SIZE(0, "cpu-quota", U, u.cpu_quota, "US", "CPU time per period in microseconds"),
	CLI_OPT_STRING(0, "cpuset-cpus", U, u.cpuset_cpus, "LIST", "the CPUs it may run on (0-3,5)"),
	CLI_OPT_STRING(0, "cpuset-mems", U, u.cpuset_mems, "LIST", "the memory nodes it may use"),
	CLI_OPT_SIZE(0, "pids-limit", U, u.pids_limit, "N", "process limit (-1 or 0: none)"),
	CLI_OPT_INT(0, "blkio-weight", U, u.blkio_weight, "N", 0, 1000, "block IO weight, 10-1000 (0: none)"),
	CLI_OPT_STRING(0, "restart", U, u.restart, "POLICY", "no, on-failure[:N], always, unless-stopped"),
	CLI_OPT_END,
};

static const struct update_args update_defaults = {
	.u = { .memory = KENG_UNSET,
	       .memory_swap = KENG_UNSET,
	       .memory_reservation = KENG_UNSET,
	       .cpu_shares = KENG_UNSET,
	       .cpu_period = KENG_UNSET,
	       .cpu_quota = KENG_UNSET,
	       .pids_limit = KENG_UNSET,
	       .blkio_weight = -1 },
};

static int update_run(const struct cli_call *c)
{
	const struct update_args *a = c->opts;
	struct keng *g;
	struct keng_defaults d;
	kerr e = { 0 };
	if (keng_defaults_load(kapsel_conf_path(c), &d, &e) < 0) {
		keng_defaults_clear(&d);
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	}
	int rc = kapsel_engine(c, KENG_EXCLUSIVE, &g);
	if (rc) {
		keng_defaults_clear(&d);
		return rc;
	}
	for (int i = 0; i < c->argc; i++) {
		if (keng_update(g, &d, c->argv[i], &a->u, &e) < 0) {
			rc = cli_error(c, e.errnum == EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE, "%s", e.msg);
			kerr_clear(&e);
			continue;
		}
		printf("%s\n", c->argv[i]);
	}
	keng_close(g);
	keng_defaults_clear(&d);
	return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_update = {
	.name = "update",
	.run = update_run,
	.min_args = 1,
	.max_args = -1,
	.args = "CONTAINER...",
	.summary = "change the limits and restart policy of containers (live when they run)",
	.description = "The limits are checked as create checks them, given to a running container by\n"
		       "kapsel-runtime update first (a value the kernel refuses changes nothing), then kept\n"
		       "for its next start; --restart reaches its supervisor at once.\n",
	CLI_CMD_OPTIONS(struct update_args, update_options),
	.defaults = &update_defaults,
};
