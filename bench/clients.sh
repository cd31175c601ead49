#!/bin/sh
# bench/clients: `docker run --rm IMAGE /bin/true`, N in a row, with
# kapsel-runtime, runc and crun registered in the same dockerd; then the
# same with `podman run --rm` and each runtime.  Median per container and
# ratios to crun.
#
#   bench/clients.sh [N]      (default 50)
set -eu
cd "$(dirname "$0")/.."
n=${1:-50}
scripts/deps.sh test
scripts/build.sh build
work=$(mktemp -d /tmp/kapsel-bench-clients.XXXXXX)
cleanup() {
	[ -f "$work/docker.pid" ] && kill "$(cat "$work/docker.pid")" 2>/dev/null || true
	sleep 1
	umount -R "$work/data" "$work/podman" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
# Debian's crun needs hugetlb off the cgroup2 tree on this hybrid layout
if grep -q hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
	mkdir -p /tmp/cg-hugetlb
	mountpoint -q /tmp/cg-hugetlb || mount -t cgroup -o hugetlb none /tmp/cg-hugetlb
fi
cp build/src/runtime/kapsel-runtime "$work/kapsel-runtime"
sh tests/fixtures/mkrootfs.sh "$work/rootfs"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
cat > "$work/daemon.json" <<JSON
{"runtimes": {"kapsel": {"path": "$work/kapsel-runtime"},
              "crun": {"path": "$(command -v crun)"}}}
JSON
. bench/dockerd.sh
bench_dockerd "$work" --config-file "$work/daemon.json"
pm="podman --root $work/podman/storage --runroot $work/podman/run"
$pm import "$work/rootfs.tar" localhost/kbox:latest >/dev/null 2>&1
python3 bench/clients.py "$n" "$work" "$(command -v crun)" "$(command -v runc)"
