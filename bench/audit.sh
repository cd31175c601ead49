#!/bin/sh
# bench/audit.sh [CONTAINERS] [RUNS]
#
# Wall time of a whole `kapsel audit` (every check, JSON report) against a
# private dockerd with CONTAINERS (default 50) running containers, measured
# with hyperfine over RUNS (default 30) runs after 3 warm-up runs; the same
# with one thread; and, for scale, ONE container check done the way
# docker-bench-security does it: one `docker inspect` per container.
# Prints a table; the numbers go to docs/benchmarks.md.  Needs root,
# dockerd (docker.io), hyperfine and busybox-static.
set -eu
cd "$(dirname "$0")/.."
n=${1:-50}
runs=${2:-30}
scripts/build.sh build

base=$(mktemp -d /tmp/kab-XXXXXX)
# a private copy: a rebuild of build/ during the run cannot touch it
cp build/src/kapsel/kapsel "$base/kapsel"
kapsel=$base/kapsel
sock=$base/docker.sock
export DOCKER_HOST=unix://$sock
dockerd --data-root "$base/data" --exec-root "$base/exec" -H "$DOCKER_HOST" --pidfile "$base/docker.pid" \
	--iptables=false --bridge=none >"$base/dockerd.log" 2>&1 &
dpid=$!
cleanup() {
	ids=$(docker ps -aq 2>/dev/null || true)
	# shellcheck disable=SC2086
	[ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
	kill "$dpid" 2>/dev/null || true
	wait "$dpid" 2>/dev/null || true
	# dockerd leaves its data root bind mount and netns/default mounted
	awk -v p="$base/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r mp; do umount -l "$mp" 2>/dev/null || true; done
	rm -rf "$base" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
# wait for the API (poll /_ping through the CLI, no fixed sleep)
i=0
until docker version >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "dockerd did not come up" >&2; cat "$base/dockerd.log" >&2; exit 1; }
	kill -0 "$dpid" 2>/dev/null || { cat "$base/dockerd.log" >&2; exit 1; }
	sleep 0.05
done

sh tests/fixtures/mkrootfs.sh "$base/rootfs"
tar -C "$base/rootfs" -cf "$base/rootfs.tar" .
docker import "$base/rootfs.tar" kapsel-bench/busybox:1 >/dev/null
seq 1 "$n" | xargs -P 8 -I{} docker run -d --name bench{} kapsel-bench/busybox:1 sleep 3600 >/dev/null
running=$(docker ps -q | wc -l)
echo "containers running: $running"

hyperfine -N --runs "$runs" --warmup 3 --export-json "$base/h.json" \
	"$kapsel audit -H $DOCKER_HOST --format json --fail-on none -o /dev/null" \
	"$kapsel audit -H $DOCKER_HOST --format json --fail-on none -o /dev/null --threads 1" >/dev/null

# one container check, docker-bench style: the CLI once per container
start=$(date +%s%N)
for id in $(docker ps -q); do
	docker inspect --format '{{ .HostConfig.Memory }}' "$id" >/dev/null
done
end=$(date +%s%N)

/usr/bin/python3 - "$base/h.json" "$(( (end - start) / 1000000 ))" "$running" <<'PY'
import json, statistics, sys
h = json.load(open(sys.argv[1]))["results"]
cli_ms, n = int(sys.argv[2]), sys.argv[3]
print(f"{'command':44} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
names = [f"kapsel audit (all checks, {n} containers)", "kapsel audit --threads 1"]
for name, r in zip(names, h):
    t = [x * 1000 for x in r["times"]]
    print(f"{name:44} {statistics.median(t):10.1f} {min(t):8.1f} {max(t):8.1f}")
print(f"{'one check via docker inspect per container':44} {cli_ms:10.1f}")
PY
