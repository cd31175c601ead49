#!/bin/sh
# bench/lifecycle: `run` of /bin/true on the same busybox bundle with
# kapsel-runtime, crun and runc, side by side in one run.  Reports the median
# wall time and the peak RSS of each runtime, and the ratios to crun.
#
#   bench/lifecycle.sh [RUNS] [CONFIG]
#     RUNS    runs per runtime (default 200), interleaved round-robin
#     CONFIG  "plain" (runc's default spec, default) or "limits" (the same
#             with memory/pids/cpu limits and kapsel's default seccomp profile)
#   KAPSEL_BASE=PATH  also run another kapsel-runtime binary (an earlier
#             build) as "kapsel-base", to measure a change before/after
#
# Needs root.  Debian's crun refuses this host's hybrid cgroup layout until
# hugetlb is bound to a v1 hierarchy: done here when needed.
set -eu
cd "$(dirname "$0")/.."
runs=${1:-200}
config=${2:-plain}
scripts/deps.sh test
scripts/build.sh build
kapsel=$PWD/build/src/runtime/kapsel-runtime
if grep -q ' - cgroup2 ' /proc/self/mountinfo && [ -d /sys/fs/cgroup/memory ] && \
   grep -q hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
	mkdir -p /tmp/cg-hugetlb
	mountpoint -q /tmp/cg-hugetlb || mount -t cgroup -o hugetlb none /tmp/cg-hugetlb
fi
work=$(mktemp -d /tmp/kapsel-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
sh tests/fixtures/mkrootfs.sh "$work/rootfs"
(cd "$work" && runc spec)
python3 bench/mkconfig.py "$work/config.json" "$config" "$kapsel"
cc -O2 -static -o "$work/spawn" bench/spawn.c
# runc's default spec has no seccomp filter, which kapsel's built-in policy
# refuses: "plain" measures the runtimes' mechanics with the policy off;
# "limits" passes the built-in policy, which then runs as it would.
policy=""
if [ "$config" = plain ]; then
	printf '[policy]\nenforce = privileged\nwarn = privileged\naudit = privileged\nlog = none\nsyslog = no\n' \
		>"$work/off.conf"
	policy="--policy $work/off.conf"
fi
python3 bench/runbench.py "$work/spawn" "$work" "$runs" \
	"kapsel-runtime=$kapsel $policy" "crun=$(command -v crun)" "runc=$(command -v runc)" \
	${KAPSEL_BASE:+"kapsel-base=$KAPSEL_BASE $policy"}
