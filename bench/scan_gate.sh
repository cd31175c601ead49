#!/bin/sh
# bench/scan_gate.sh [RUNS]
#
# The scan gate of `kapsel create` ([scan] refuse_on in kapsel.conf) on
# the bookworm minbase image of the scan tests (97 packages, 175 MB)
# against the tracker-sized index of bench/scan_inputs.py, with and
# without the verdict cache (ROOT/scan/verdicts, by config and index
# digest); the inventory is cached in both (ROOT/scan/cache), so "miss"
# is the match against the index; "cold" removes both (the layers are
# walked again, as on an image's first run).  refuse_on = unknown refuses the image
# (it has actionable findings in that index) before anything is created,
# so each run is the gate and kapsel's start-up, nothing else.
# hyperfine, RUNS (default 20) runs after 3 warm-ups.  The numbers go to
# docs/benchmarks.md.
set -eu
cd "$(dirname "$0")/.."
runs=${1:-20}
cache=/var/cache/kapsel-scan-fixture
scripts/build.sh build >/dev/null
sh tests/fixtures/scan/mkdebian.sh "$cache"
base=$(mktemp -d /tmp/kscan-gate-XXXXXX)
trap 'rm -rf "$base"' EXIT INT TERM
k="$PWD/build/src/kapsel/kapsel --root $base/root"
/usr/bin/python3 bench/scan_inputs.py "$cache/image.tar" "$base"
$k scan db update --from "$base/tracker.json" >/dev/null
$k load -i "$cache/image.tar" >/dev/null
{ cat data/kapsel.conf; printf '\n[scan]\nrefuse_on = unknown\n'; } >"$base/kapsel.conf"
gate="$k --config $base/kapsel.conf create scan-debian:12 true"
# the first run fills both caches; it must refuse
if $gate >/dev/null 2>"$base/err"; then
	echo "the gate did not refuse: the image has no actionable finding in this index" >&2
	exit 1
fi
grep -q "refused by \[scan\] refuse_on = unknown" "$base/err" || { cat "$base/err" >&2; exit 1; }
hyperfine -N -i --warmup 3 --runs "$runs" --export-json "$base/gate.json" \
	-n hit --prepare true "$gate" -n miss --prepare "rm -rf $base/root/scan/verdicts" "$gate" \
	-n cold --prepare "rm -rf $base/root/scan/verdicts $base/root/scan/cache" "$gate" >/dev/null
python3 - "$base/gate.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
h, m, c = r["hit"], r["miss"], r["cold"]
print("gate with the verdict cache: %.1f ms ± %.1f (user %.1f, sys %.1f)" % (h["mean"] * 1e3, h["stddev"] * 1e3, h["user"] * 1e3, h["system"] * 1e3))
print("gate matching again:          %.1f ms ± %.1f (user %.1f, sys %.1f)" % (m["mean"] * 1e3, m["stddev"] * 1e3, m["user"] * 1e3, m["system"] * 1e3))
print("gate with neither cache:      %.1f ms ± %.1f (user %.1f, sys %.1f)" % (c["mean"] * 1e3, c["stddev"] * 1e3, c["user"] * 1e3, c["system"] * 1e3))
print("ratio hit/miss: %.2f" % (h["mean"] / m["mean"]))
PY
echo "peak RSS: hit $(/usr/bin/time -f %M $gate 2>&1 >/dev/null | tail -1) KiB"
rm -rf "$base/root/scan/verdicts"
echo "peak RSS: miss $(/usr/bin/time -f %M $gate 2>&1 >/dev/null | tail -1) KiB"
