#!/bin/sh
# mkguest.sh CACHE_DIR
#
# Build the guest's root filesystem for the cgroup v2 VM test, once: Debian
# bookworm (mmdebstrap --variant=minbase, packages from the host's apt
# sources) with what the runtime tests need, as an ext4 image made with
# mke2fs -d.  The image is kept in CACHE_DIR/guest-KEY/root.ext4, KEY a hash
# of the package list and of this script, so a second run (or a second
# checkout) reuses it and a change to either builds a new one.  Prints the
# image's path on stdout; progress goes to stderr.  Concurrent runs wait for
# each other (flock).  Needs root, mmdebstrap and e2fsprogs.
set -eu

[ $# -eq 1 ] || { echo "usage: mkguest.sh CACHE_DIR" >&2; exit 2; }
cache=$1
suite=bookworm
# kapsel-runtime links libjson-c and libseccomp (libbpf for the eBPF device
# program); the tests want python3 and pytest, busybox-static for their
# rootfs, procps for `ps`, mount for losetup, crun and runc to compare with;
# apparmor for apparmor_parser, the abstractions kapsel-default includes and
# the profiles runc and crun are compared with; libcurl4, libarchive13 and
# libssl3 for `kapsel audit` (what the kapsel binary links).
packages="python3 python3-pytest busybox-static crun runc kmod iproute2 procps mount util-linux
libjson-c5 libseccomp2 libbpf1 apparmor libcurl4 libarchive13 libssl3 libsqlite3-0"

key=$( (echo "$suite $packages"; cat "$0") | sha256sum | cut -c1-16)
dir="$cache/guest-$key"
image="$dir/root.ext4"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -f "$image" ]; then
	echo "$image"
	exit 0
fi

sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || sources=/etc/apt/sources.list
tmp=$(mktemp -d "$cache/.build-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "mkguest: building the guest root in $dir (mmdebstrap, a few minutes)" >&2
# shellcheck disable=SC2086
mmdebstrap --quiet --variant=minbase --mode=root \
	--include="$(echo $packages | tr ' ' ',')" \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
	"$suite" "$tmp/root" "$sources" >&2
# mount points for the guest's init (tests/vm/guest-init.sh)
mkdir -p "$tmp/root/results"
# room for what the tests write to disk (the loop devices' backing files)
size_mb=$(( $(du -sm "$tmp/root" | cut -f1) + 768 ))
mke2fs -q -t ext4 -L kapsel-vm -d "$tmp/root" "$tmp/root.ext4" "${size_mb}M" >&2
rm -rf "$tmp/root"
mkdir -p "$dir"
mv "$tmp/root.ext4" "$image"
echo "$image"
