/* Restart decisions, as Docker's restart manager makes them. */
#include "supervise/supervise.h"

int ksup_should_restart(const struct ksup_config *c, int code, int64_t restarts, int stopped)
{
	if (stopped)
		return 0;
	switch (c->restart) {
	case KSUP_RESTART_ALWAYS:
	case KSUP_RESTART_UNLESS_STOPPED: return 1;
	case KSUP_RESTART_ON_FAILURE: return code != 0 && (c->max_retries == 0 || restarts < c->max_retries);
	case KSUP_RESTART_NO:
	default: return 0;
	}
}

uint64_t ksup_next_backoff(uint64_t prev, uint64_t ran)
{
	if (prev == 0 || ran >= KSUP_BACKOFF_RESET_NS)
		return KSUP_BACKOFF_FIRST_NS;
	return prev * 2 > KSUP_BACKOFF_MAX_NS ? KSUP_BACKOFF_MAX_NS : prev * 2;
}
