#!/bin/sh
# tests/vm/run.sh [--build DIR] [--cache DIR] [--timeout SECONDS] [--results DIR] [--sh SCRIPT] [-- PYTEST_ARGS...]
#
# Run integration tests on a pure cgroup v2 host: a qemu VM (software
# emulation, 2 vCPUs, 2 GiB) booting Debian's own kernel (the installed
# linux-image-amd64) with cgroup_no_v1=all, the guest root a cached Debian
# image (tests/vm/mkguest.sh), this checkout and the build dir DIR (default
# ./build) shared in read-only over 9p at their host paths, and pytest run
# there on PYTEST_ARGS (default: the runtime's resource, control, lifecycle,
# cgroup v2 and device tests), or the shell text SCRIPT instead (--sh, to look
# around).  The guest's output is streamed here, and kept with the console's
# in --results DIR when given; the exit status
# is pytest's in the guest (124 when the VM ran out of time, 125 when it
# never got to the tests).  Needs root, qemu-system-x86, mmdebstrap,
# linux-image-amd64, busybox-static (scripts/deps.sh test installs them).
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$repo/build
cache=${KAPSEL_VM_CACHE:-/var/cache/kapsel-vm}
timeout=1500
keep=
script=
usage() {
	sed -n '2p' "$0" | sed 's/^# //' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--build) [ $# -ge 2 ] || usage; build=$2; shift 2 ;;
	--cache) [ $# -ge 2 ] || usage; cache=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
	--results) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
	--sh) [ $# -ge 2 ] || usage; script=$2; shift 2 ;;
	--) shift; break ;;
	-h | --help) usage ;;
	*) echo "run.sh: unknown argument $1" >&2; usage ;;
	esac
done
if [ $# -eq 0 ]; then
	# the runtime's tests that a cgroup layout changes (test_devices.py: the
	# eBPF device program, where the checkout has it), and AppArmor's
	# (the guest's kernel has it, this machine's does not)
	for t in limits control lifecycle cgroup_v2 devices apparmor; do
		[ ! -f "$repo/tests/integration/test_$t.py" ] || set -- "$@" "tests/integration/test_$t.py"
	done
	set -- "$@" -k "not docker and not podman" -rsxX
fi
die() {
	echo "run.sh: $*" >&2
	exit 125
}
build=$(cd "$build" 2>/dev/null && pwd) || die "build dir not found"
[ -x "$build/src/runtime/kapsel-runtime" ] || die "$build/src/runtime/kapsel-runtime is not built"
case $timeout in '' | *[!0-9]*) die "--timeout: \"$timeout\" is not a number of seconds" ;; esac
for p in "$repo" "$build"; do
	case $p in *[!A-Za-z0-9/._-]*) die "$p: a shared path may hold only letters, digits and /._-" ;; esac
done

# Debian's kernel: the version the linux-image-amd64 meta-package depends on
kver=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null | sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
[ -n "$kver" ] || die "linux-image-amd64 is not installed (apt-get install linux-image-amd64)"
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] && [ -d "/lib/modules/$kver" ] || die "no $kernel or /lib/modules/$kver"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"

image=$("$repo/tests/vm/mkguest.sh" "$cache") || die "could not build the guest image"

work=$(mktemp -d /tmp/kapsel-vm-XXXXXX)
results=${keep:-$work/results}
mkdir -p "$results"
rm -f "$results/rc" "$results/output.log"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

# The initramfs: static busybox, our /init, and the drivers to reach the
# root disk and the 9p shares, in load order (modprobe resolves them).
mkdir -p "$work/initramfs/bin" "$work/initramfs/lib/modules"
cp /bin/busybox "$work/initramfs/bin/busybox"
cp "$repo/tests/vm/initramfs-init" "$work/initramfs/init"
chmod 0755 "$work/initramfs/init"
modprobe -a -S "$kver" --show-depends virtio_pci virtio_blk virtio_rng crc32c_generic ext4 9pnet_virtio 9p |
	sed -n 's/^insmod \([^ ]*\).*/\1/p' | awk '!seen[$0]++' >"$work/mods"
[ -s "$work/mods" ] || die "modprobe found none of the VM's drivers for $kver"
while read -r ko; do
	name=$(basename "$ko")
	cp "$ko" "$work/initramfs/lib/modules/$name"
	echo "$name" >>"$work/initramfs/modules.load"
done <"$work/mods"
(cd "$work/initramfs" && find . | busybox cpio -o -H newc 2>/dev/null) >"$work/initramfs.cpio"

# What the guest runs, from the checkout (read-only: no bytecode, no cache)
q() { printf "'%s'" "$(printf %s "$1" | sed "s/'/'\\\\''/g")"; }
{
	echo 'echo "vm: booted in $(cut -d" " -f1 /proc/uptime) s; kernel $(uname -r); $(nproc) cpus"'
	echo "cd $(q "$repo") || exit 125"
	echo "export KAPSEL_BUILD=$(q "$build") PYTHONDONTWRITEBYTECODE=1"
	# what meson install puts in /etc/apparmor.d (the guest root is a snapshot)
	echo "[ ! -f data/apparmor/kapsel-default ] || install -m 0644 data/apparmor/kapsel-default /etc/apparmor.d/"
	if [ -n "$script" ]; then
		printf '%s\n' "$script"
	else
		printf '/usr/bin/python3 -m pytest -q -p no:cacheprovider'
		for a in "$@"; do printf ' %s' "$(q "$a")"; done
		echo
	fi
} >"$results/cmd.sh"

# 9p shares: the checkout, the build dir unless it is inside it, the results
shares="repo:$repo"
case $build/ in "$repo"/*) ;; *) shares="$shares,build:$build" ;; esac
virtfs="-virtfs local,path=$repo,mount_tag=repo,security_model=none,readonly=on"
case $shares in *build:*) virtfs="$virtfs -virtfs local,path=$build,mount_tag=build,security_model=none,readonly=on" ;; esac
virtfs="$virtfs -virtfs local,path=/lib/modules/$kver,mount_tag=kmods,security_model=none,readonly=on"
virtfs="$virtfs -virtfs local,path=$results,mount_tag=results,security_model=none"
shares="$shares,results:/results:rw"
truncate -s 512M "$work/swap.img"

start=$(date +%s)
: >"$results/output.log"
# shellcheck disable=SC2086
timeout --kill-after=10 "$timeout" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 2048 \
	-nodefaults -nographic -no-reboot -monitor none -serial "file:$results/console.log" \
	-kernel "$kernel" -initrd "$work/initramfs.cpio" \
	-append "console=ttyS0 panic=-1 clocksource=tsc tsc=reliable cgroup_no_v1=all apparmor=1 security=apparmor kapsel.init=$repo/tests/vm/guest-init.sh kapsel.shares=$shares kapsel.modules=kmods" \
	-drive "file=$image,if=virtio,format=raw,snapshot=on" \
	-drive "file=$work/swap.img,if=virtio,format=raw" \
	-device virtio-rng-pci $virtfs &
qemu=$!
tail -n +1 -f --pid=$qemu "$results/output.log" &
tailer=$!
status=0
wait $qemu || status=$?
wait $tailer || true
echo "vm: ran $(( $(date +%s) - start )) s"
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
	echo "run.sh: the VM did not finish within $timeout s; its console:" >&2
	tail -30 "$results/console.log" >&2
	exit 124
fi
if [ ! -s "$results/rc" ]; then
	echo "run.sh: the VM stopped before the tests ended (qemu status $status); its console:" >&2
	tail -30 "$results/console.log" >&2
	exit 125
fi
exit "$(cat "$results/rc")"
