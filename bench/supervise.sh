#!/bin/sh
# bench/supervise: kapsel-supervise against Podman's conmon, side by side in
# one run: memory of N idle supervisors (RSS, PSS) and log throughput of one
# container writing LINES lines of 100 bytes (lines/s, supervisor CPU per
# line).  Results in docs/benchmarks.md.
#
#   bench/supervise.sh [N] [LINES]     (defaults 10 and 200000)
#
# Needs root and Debian's conmon (scripts/deps.sh test installs it).
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh build
command -v conmon >/dev/null || { echo "bench/supervise: conmon is not installed (apt-get install conmon)" >&2; exit 1; }
work=$(mktemp -d /tmp/kapsel-bench-supervise.XXXXXX)
trap 'rm -rf "$work"' EXIT
sh tests/fixtures/mkrootfs.sh "$work/rootfs"
python3 bench/supervise.py "$PWD/build" "$work" "${1:-10}" "${2:-200000}"
