#!/bin/sh
# bench/logs_tail: `kapsel logs --tail 100` (and --since, the whole file) of
# a container with a SIZE_MB json-file log, against tail -n 100 of the raw
# file with and without a python decode.  Results in docs/benchmarks.md.
#
#   bench/logs_tail.sh [SIZE_MB] [RUNS]     (defaults 1024 and 20)
#
# Needs root (kapsel create mounts the container's overlay).
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh build
work=$(mktemp -d /tmp/kapsel-bench-logs.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 bench/logs_tail.py "$PWD/build" "$work" "${1:-1024}" "${2:-20}"
