#!/bin/sh
# kapsel demo: build kapsel-runtime, make a busybox bundle on the spot and run
# it under the hardened defaults, showing from inside what the container can
# and cannot do.  Needs root (it creates namespaces and cgroups).
set -eu
cd "$(dirname "$0")"
scripts/deps.sh test
scripts/build.sh build
rt=build/src/runtime/kapsel-runtime
work=$(mktemp -d /tmp/kapsel-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
sh tests/fixtures/mkrootfs.sh "$work/rootfs" "$PWD/build/tests/probe"
(cd "$work" && "$OLDPWD/$rt" spec)
python3 - "$work/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["/bin/sh", "/demo.sh"]
c["mounts"].append({"destination": "/demo.sh", "type": "bind", "source": p.replace("config.json", "inside.sh"),
                    "options": ["bind", "ro", "nosuid", "nodev", "noexec"]})
json.dump(c, open(p, "w"), indent=1)
PY
cat > "$work/inside.sh" <<'IN'
try() { # what, command...
	what=$1; shift
	if "$@" >/dev/null 2>&1; then r="ALLOWED"; else r="refused"; fi
	printf '  %-44s %s\n' "$what" "$r"
}
echo "== inside a kapsel container (hardened defaults) =="
echo "  user: $(id)"
grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status | sed 's/^/  /'
echo "  hostname: $(hostname)"
echo "  open files limit: $(ulimit -n)"
echo "  memory limit: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max) bytes, pids limit: $(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)"
echo "== what it may do =="
try "write to /tmp (tmpfs, noexec)" probe try write /tmp/x
try "write to / (read-only root)" probe try write /x
try "mount a filesystem" probe try mount none /tmp tmpfs
try "create a device node" probe try mknod /tmp/sda
try "raise CAP_SYS_ADMIN" probe try raise-cap CAP_SYS_ADMIN
try "become root (setuid 0)" probe try setuid 0
try "write kernel settings (/proc/sys)" probe try sysctl kernel.hostname evil
try "load a kernel keyring (keyctl)" probe try keyctl
try "create a user namespace" probe try unshare user
try "ptrace pid 1" probe try ptrace 1
try "run a program from /tmp" sh -c 'cp /bin/busybox /tmp/bb && /tmp/bb true'
try "see a network besides loopback" sh -c 'ls /sys/class/net | grep -vx lo'
IN
echo "kapsel-runtime run (bundle $work)"
"$rt" --root "$work/state" run --bundle "$work" demo
echo
echo "== and the policy refuses what the guides forbid, whoever asks =="
python3 - "$work/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["capabilities"]["bounding"].append("CAP_SYS_ADMIN")
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
c["process"]["args"] = ["true"]
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
echo "kapsel-runtime run with CAP_SYS_ADMIN and the host's network:"
"$rt" --root "$work/state" run --bundle "$work" demo-bad 2>&1 | sed 's/; \[/;\n  [/g' || true
