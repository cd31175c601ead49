#!/bin/sh
# bench/logs: log throughput of a container writing LINES lines of 100
# bytes as fast as it can: kapsel-supervise's json-file (without rotation,
# and with its default 20m rotation and compression), Podman's conmon
# k8s-file and, when dockerd is installed, Docker's json-file, side by side
# in one run.  Results in docs/benchmarks.md.
#
#   bench/logs.sh [LINES]     (default 2000000)
#
# Needs root; podman and dockerd are optional (scripts/deps.sh test).
set -eu
cd "$(dirname "$0")/.."
. bench/dockerd.sh
scripts/build.sh build
work=$(mktemp -d /tmp/kapsel-bench-logs.XXXXXX)
cleanup() {
	if [ -f "$work/docker/docker.pid" ]; then
		docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1 || true
		kill "$(cat "$work/docker/docker.pid")" 2>/dev/null || true
		while [ -f "$work/docker/docker.pid" ]; do sleep 0.1; done
	fi
	podman --root "$work/pm/storage" --runroot "$work/pm/run" rm -af >/dev/null 2>&1 || true
	grep " $work/" /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
sh tests/fixtures/mkrootfs.sh "$work/rootfs"
cp build/tests/logwriter "$work/rootfs/bin/logwriter"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
if command -v dockerd >/dev/null; then
	mkdir -p "$work/docker"
	cp "$work/rootfs.tar" "$work/docker/rootfs.tar"
	bench_dockerd "$work/docker"
fi
python3 bench/logs.py "$PWD/build" "$work" "${1:-2000000}"
