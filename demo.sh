#!/bin/sh
# kapsel demo: build kapsel, make a small image from Debian's busybox-static
# (an OCI layout, no network), load it into a temporary store and
# `kapsel run` it with no flags, showing from inside what the container can
# and cannot do.  Needs root (it creates namespaces, mounts and cgroups).
set -eu
cd "$(dirname "$0")"
scripts/deps.sh test
scripts/build.sh build
kapsel="$PWD/build/src/kapsel/kapsel"
work=$(mktemp -d /tmp/kapsel-demo.XXXXXX)
root="$work/root"
cleanup() {
	"$kapsel" --root "$root" ps -aq 2>/dev/null | while read -r id; do "$kapsel" --root "$root" rm -f "$id" >/dev/null 2>&1 || true; done
	rm -rf "$work"
}
trap cleanup EXIT
/usr/bin/python3 tests/fixtures/images/mkdemoimage.py "$work/demo.tar" build/tests/probe >/dev/null
"$kapsel" --root "$root" load -i "$work/demo.tar"
echo
echo "\$ kapsel run --rm demo/hardened:1"
"$kapsel" --root "$root" --config data/kapsel.conf run --rm demo/hardened:1
echo
echo "== and the runtime's policy refuses what the guides forbid, whatever the flags =="
echo "\$ kapsel run --rm --cap-add SYS_ADMIN demo/hardened:1 true"
"$kapsel" --root "$root" --config data/kapsel.conf run --rm --cap-add SYS_ADMIN demo/hardened:1 true 2>&1 |
	sed 's/; \[/;\n  [/g' || true
