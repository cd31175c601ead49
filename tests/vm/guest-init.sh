#!/bin/sh
# PID 1 of the cgroup v2 VM (tests/vm/run.sh): sets the guest up as a
# systemd host has it - cgroup2 alone at /sys/fs/cgroup (the kernel booted
# with cgroup_no_v1=all), mounted nsdelegate,memory_recursiveprot, the
# cpuset, cpu, io, memory and pids controllers enabled in the root's and
# system.slice's cgroup.subtree_control, init in init.scope - adds swap on
# the second disk, runs /results/cmd.sh (written by the host) in
# system.slice/kapsel-vm-tests.service with its output in
# /results/output.log and its exit status in /results/rc, and powers off.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

off() {
	sync
	/bin/busybox poweroff -f
}
say() {
	echo "guest-init: $*" >/dev/console
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
# securityfs: AppArmor's policy interface (apparmor_parser loads through it)
mount -t securityfs securityfs /sys/kernel/security || say "no securityfs"
# every AppArmor denial reaches the kernel log (no auditd here): no printk rate limit
echo 0 >/proc/sys/kernel/printk_ratelimit
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
# /tmp is the initramfs's tmpfs, with the shares that live under it
mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup || { say "no cgroup2"; off; }
cg=/sys/fs/cgroup
controllers="cpuset cpu io memory pids"
enable=$(for c in $controllers; do printf '+%s ' "$c"; done)
echo "$enable" >$cg/cgroup.subtree_control || { say "cannot enable $enable"; off; }
mkdir -p $cg/init.scope $cg/system.slice/kapsel-vm-tests.service
echo $$ >$cg/init.scope/cgroup.procs
echo "$enable" >$cg/system.slice/cgroup.subtree_control || { say "cannot enable $enable in system.slice"; off; }

hostname kapsel-vm
ip link set lo up
# what udev and systemd-modules-load would load: loop devices for the block IO tests
modprobe loop || say "no loop module"
# swap, so that memory.swap.max has something to limit
if [ -b /dev/vdb ] && mkswap /dev/vdb >/dev/null && swapon /dev/vdb; then :; else say "no swap"; fi

say "cgroup2 controllers: $(cat $cg/cgroup.subtree_control); $(grep -c cgroup /proc/mounts) cgroup mount(s)"
say "LSMs: $(cat /sys/kernel/security/lsm 2>/dev/null); AppArmor enabled: $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)"
/bin/sh -c 'echo $$ >"$1/cgroup.procs" || exit 125; exec /bin/sh /results/cmd.sh' \
	sh $cg/system.slice/kapsel-vm-tests.service >/results/output.log 2>&1 </dev/null
echo $? >/results/rc
say "tests done, status $(cat /results/rc)"
off
