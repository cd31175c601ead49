#!/bin/sh
# Install what kapsel needs to build and test, from Debian, where missing.
# Usage: scripts/deps.sh [build|test]
set -eu
need="meson ninja-build pkg-config gcc libc6-dev libseccomp-dev libjson-c-dev libcurl4-openssl-dev libarchive-dev libssl-dev libsqlite3-dev"
if [ "${1:-build}" = test ]; then
	need="$need libcmocka-dev busybox-static python3-pytest crun runc rpm iproute2 hyperfine clang docker.io containerd podman python3-jsonschema python3-grpcio python3-protobuf containernetworking-plugins iptables zstd conmon"
	# the cgroup v2 VM (tests/vm): Debian's kernel under qemu, its root made by mmdebstrap
	need="$need qemu-system-x86 mmdebstrap linux-image-amd64 e2fsprogs kmod"
	# the log drivers (tests/integration/test_log_drivers.py): a private rsyslogd, a fluentd receiver
	need="$need rsyslog python3-msgpack"
	# the registry tests (tests/integration/test_registry.py)
	need="$need docker-registry skopeo apache2-utils"
	# kapsel scan's rpm BerkeleyDB tests: real CentOS 5-8 Packages files, and db_load for made ones
	need="$need golang-github-knqyf263-go-rpmdb-dev db5.3-util"

	# the monitor's dashboard in a real browser, its alerts at a real Alertmanager
	need="$need chromium prometheus-alertmanager"
fi
# the monitor (kapsel monitor's HTTP server and gzip; promtool in its tests)
need="$need zlib1g-dev"
[ "${1:-build}" = test ] && need="$need prometheus python3-prometheus-client"
missing=""
for p in $need; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
