#!/bin/sh
# bench/apparmor: the cost of the AppArmor transition on the start path.
# `run` of /bin/true on one busybox bundle, unconfined and under
# kapsel-default, with kapsel-runtime, crun and runc side by side (the same
# profile for all three: apparmorProfile in the config), interleaved, in the
# tests/vm VM (this machine's kernel has no AppArmor; the VM's, Debian's
# 6.1, has).  Prints bench/runbench.py's table for each config.
#
#   bench/apparmor.sh [RUNS]     RUNS per runtime and config (default 40)
#
# The VM is software-emulated (TCG): absolute times are several times the
# host's; the ratios are the result.  Needs what tests/vm/run.sh needs.
set -eu
cd "$(dirname "$0")/.."
if [ "${1:-}" != --in-vm ]; then
	runs=${1:-40}
	scripts/build.sh build >/dev/null
	cc -O2 -static -o build/bench/spawn-static bench/spawn.c
	exec tests/vm/run.sh --sh "sh bench/apparmor.sh --in-vm $runs"
fi
runs=$2
kapsel=$KAPSEL_BUILD/src/runtime/kapsel-runtime
work=$(mktemp -d /tmp/kapsel-bench.XXXXXX)
sh tests/fixtures/mkrootfs.sh "$work/rootfs"
(cd "$work" && runc spec)
python3 bench/mkconfig.py "$work/config.json" plain "$kapsel"
# runc's spec has no seccomp filter, which the built-in policy refuses: the
# policy is off, so the profile is the only difference between the configs
printf '[policy]\nenforce = privileged\nwarn = privileged\naudit = privileged\nlog = none\nsyslog = no\n' \
	>"$work/off.conf"
for prof in unconfined kapsel-default; do
	mkdir -p "$work/$prof"
	python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["process"]["apparmorProfile"]=sys.argv[2]
c["root"]["path"]=sys.argv[4]; json.dump(c, open(sys.argv[3], "w"))' \
		"$work/config.json" "$prof" "$work/$prof/config.json" "$work/rootfs"
done
# loaded once by kapsel-runtime (its first start would otherwise be a load)
"$kapsel" --root "$work/state-load" --policy "$work/off.conf" run --bundle "$work/kapsel-default" warm >/dev/null 2>&1
for prof in unconfined kapsel-default; do
	echo "== apparmorProfile $prof, $runs runs each"
	python3 bench/runbench.py "$KAPSEL_BUILD/bench/spawn-static" "$work/$prof" "$runs" \
		"kapsel-runtime=$kapsel --policy $work/off.conf" "crun=$(command -v crun)" "runc=$(command -v runc)" \
		2>&1 | grep -v 'warning: ambient capability'  # runc's spec asks for ambient caps it cannot have
done
