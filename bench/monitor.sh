#!/bin/sh
# bench/monitor: `kapsel stats --no-stream` against `docker stats
# --no-stream` for N containers of one private dockerd (hyperfine, both
# in one run), then the exporter: RSS and CPU per /metrics scrape of
# `kapsel monitor` next to Debian's prometheus-node-exporter.
#
#   bench/monitor.sh [N] [SCRAPES]      (default 10 containers, 200 scrapes)
set -eu
cd "$(dirname "$0")/.."
n=${1:-10}
scrapes=${2:-200}
scripts/deps.sh test
command -v prometheus-node-exporter >/dev/null || apt-get install -y -qq prometheus-node-exporter >/dev/null
scripts/build.sh build
work=$(mktemp -d /tmp/kapsel-bench-monitor.XXXXXX)
cleanup() {
	docker rm -f $(docker ps -aq) >/dev/null 2>&1 || true
	if [ -f "$work/docker.pid" ]; then
		pid=$(cat "$work/docker.pid")
		kill "$pid" 2>/dev/null || true
		while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	fi
	umount -R "$work/data" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
sh tests/fixtures/mkrootfs.sh "$work/rootfs"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
. bench/dockerd.sh
bench_dockerd "$work"
i=0
while [ $i -lt "$n" ]; do
	docker run -d --name "bench-monitor-$i" --memory 64m kbox sleep 3600 >/dev/null
	i=$((i + 1))
done
src="--runtime-root '' --docker-host unix://$work/docker.sock --task-root $work/exec/containerd/daemon/io.containerd.runtime.v2.task --podman-root ''"
k=build/src/kapsel/kapsel
rows=$(eval "$k stats --no-stream $src" | wc -l)
[ "$rows" -eq $((n + 1)) ] || { echo "kapsel stats saw $((rows - 1)) containers, not $n" >&2; exit 1; }
hyperfine -N -w 2 -r 10 --export-json "$work/stats.json" \
	"$k stats --no-stream $src" "docker stats --no-stream" >/dev/null
python3 - "$work/stats.json" "$n" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
k, d = r[0], r[1]
print(f"stats --no-stream, {sys.argv[2]} containers   median ms   mean ms   vs docker")
print(f"kapsel stats                        {k['median']*1e3:9.1f} {k['mean']*1e3:9.1f} {k['median']/d['median']:9.3f}")
print(f"docker stats                        {d['median']*1e3:9.1f} {d['mean']*1e3:9.1f} {1:9.3f}")
PY
python3 bench/monitor.py "$scrapes" "$k monitor $src" prometheus-node-exporter
