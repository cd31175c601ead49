#!/bin/sh
# bench/policy: the cost of the policy check.  `kapsel-runtime run` of
# /bin/true on kapsel's default (restricted-compliant) bundle, side by side
# under three policies: off (privileged, nothing checked or logged), the
# built-in one (enforce baseline, warn+audit restricted, logged), and
# restricted with the harden action (every rule checked, logged, syslog).
#
#   bench/policy.sh [RUNS]     (default 300)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-300}
scripts/deps.sh test
scripts/build.sh build
k=$PWD/build/src/runtime/kapsel-runtime
work=$(mktemp -d /tmp/kapsel-bench-policy.XXXXXX)
trap 'rm -rf "$work"' EXIT
sh tests/fixtures/mkrootfs.sh "$work/rootfs"
"$k" spec --bundle "$work"
sed -i 's/"sh"$/"true"/; s/^\(\s*\)"sh"/\1"\/bin\/true"/' "$work/config.json"
python3 - "$work/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/bin/true"]
json.dump(c, open(sys.argv[1], "w"))
PY
cat > "$work/off.conf" <<CONF
[policy]
enforce = privileged
warn = privileged
audit = privileged
log = none
syslog = no
CONF
cat > "$work/builtin.conf" <<CONF
[policy]
enforce = baseline
warn = restricted
audit = restricted
log = $work/builtin.log
syslog = yes
CONF
cat > "$work/restricted.conf" <<CONF
[policy]
enforce = restricted
warn = restricted
audit = restricted
action = harden
log = $work/restricted.log
syslog = yes
CONF
cc -O2 -static -o "$work/spawn" bench/spawn.c
for pol in off builtin restricted; do
	set -- $(build/bench/policy_micro "$work/$pol.conf" "$work" 2000)
	echo "policy $pol: $2 us per decision (load, decide, log; config parsing $1 us, not counted)"
done
python3 bench/runbench.py "$work/spawn" "$work" "$runs" \
	"off=$k --policy $work/off.conf" \
	"baseline=$k --policy $work/builtin.conf" \
	"restricted-harden=$k --policy $work/restricted.conf"
