/* The options of `stats` and `monitor` that say where containers are. */
#include "kapsel.h"

#include "monitor/monitor.h"

#include <stddef.h>

#define A struct kmon_src_args
const struct cli_option kmon_src_options[] = {
	CLI_OPT_STRING(0, "runtime-root", A, runtime_root, "DIR",
		       "kapsel-runtime's state root (default /run/kapsel; \"\": none)"),
	CLI_OPT_STRING(0, "docker-host", A, docker_host, "ADDR",
		       "Docker Engine API socket (default unix:///var/run/docker.sock; \"\": none)"),
	CLI_OPT_STRV(
		0, "task-root", A, task_roots, "DIR",
		"a containerd v2 task directory (repeatable; default /run/containerd/io.containerd.runtime.v2.task "
		"and /run/docker/containerd/daemon/io.containerd.runtime.v2.task)"),
	CLI_OPT_STRING(0, "podman-root", A, podman_root, "DIR",
		       "Podman's storage root (default /var/lib/containers/storage)"),
	CLI_OPT_STRING(0, "podman-runroot", A, podman_runroot, "DIR",
		       "Podman's run root (default /run/containers/storage)"),
	CLI_OPT_END,
};
#undef A

void kmon_src_from_args(const struct kmon_src_args *a, struct kmon_sources *out)
{
	*out = (struct kmon_sources){
		.kapsel_root = a->runtime_root,
		.docker_host = a->docker_host,
		.task_roots = (const char *const *)a->task_roots,
		.podman_root = a->podman_root,
		.podman_runroot = a->podman_runroot,
	};
}
