#!/bin/sh
# /init of the L1 initramfs (busybox sh, PID 1 of the TCG-emulated L1 Linux),
# for the x86 tier and the arm64 one (tests/arm64: KVM is built into
# Debian's arm64 kernel, so there is no /modules/order).
#
# Mounts the pseudo file systems, loads the KVM modules in the order
# prepare.sh worked out (/modules/order), checks that /dev/kvm appeared,
# mounts L1's disk at /disk when run-l1.sh was given one (--disk), then
# loads the network modules when run-l1.sh was asked to (--net), then
# runs /payload.sh (appended by run-l1.sh as a second cpio archive).
# Status lines for the host all start with "NESTED"; the last one is
# "NESTED-EXIT <code>", the payload's exit status, and then L1 powers off.
#
# Exit codes of our own (the payload's are passed through):
#   125  KVM did not come up (module load failed or no /dev/kvm)
#   126  no /payload.sh in the initramfs

export PATH=/usr/bin:/bin:/usr/sbin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /run
mount -t tmpfs -o size=50% tmpfs /tmp
exec </dev/console >/dev/console 2>&1
# A VMM maps all of its guest's RAM up front; let L2 guests as big as L1.
echo 1 >/proc/sys/vm/overcommit_memory

finish() {
	echo "NESTED-EXIT $1"
	sync
	umount /disk 2>/dev/null
	poweroff -f
	sleep 10 # poweroff -f does not return; never fall off the end of PID 1
}

up=$(cut -d' ' -f1 /proc/uptime)
echo # the firmware's last line may lack its newline
echo "NESTED-L1: init reached at ${up}s uptime, kernel $(uname -r) $(uname -m)"

kvm_ok=1
while read -r mod; do
	[ -n "$mod" ] || continue
	if ! out=$(insmod "/modules/$mod.ko" 2>&1); then
		echo "NESTED-L1: insmod $mod failed: $out"
		kvm_ok=0
	fi
done <"$([ -f /modules/order ] && echo /modules/order || echo /dev/null)"

if [ ! -c /dev/kvm ]; then
	echo "NESTED-L1: no /dev/kvm after loading the modules"
	kvm_ok=0
fi
if [ "$kvm_ok" != 1 ]; then
	if [ "$(uname -m)" = x86_64 ]; then
		grep -q -w svm /proc/cpuinfo || echo "NESTED-L1: the CPU has no svm flag"
	fi
	dmesg | grep -i -E 'kvm|svm|el2|hyp' | tail -20 | sed 's/^/NESTED-L1: dmesg: /'
	finish 125
fi
echo "NESTED-L1: kvm ready ($(cut -d' ' -f1 /proc/modules | tr '\n' ' ')$(dmesg | grep -o -m1 'VHE mode\|nVHE mode'))"

# run-l1.sh --disk: L1's own disk (an ext4 image on the host, virtio-blk-pci)
# at /disk, with the modules prepare.sh put in /modules/disk.
if [ -f /payload/.l1-disk ]; then
	while read -r mod; do
		insmod "/modules/disk/$mod.ko" || echo "NESTED-L1: insmod $mod failed"
	done <"$([ -f /modules/disk/order ] && echo /modules/disk/order || echo /dev/null)"
	i=0
	while [ ! -b /dev/vda ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	mkdir -p /disk
	if mount -t ext4 /dev/vda /disk; then
		echo "NESTED-L1: disk /dev/vda on /disk ($(df -m /disk | awk 'NR == 2 { print $4 }') MiB free)"
	else
		echo "NESTED-L1: cannot mount L1's disk /dev/vda on /disk"
	fi
fi

# run-l1.sh --net: tap devices, vhost-net and vhost-vsock for the network
# and vsock cases (the modules prepare.sh put in /modules/net).
if [ -f /payload/.l1-net ]; then
	while read -r mod; do
		out=$(insmod "/modules/net/$mod.ko" 2>&1) || echo "NESTED-L1: insmod $mod failed: $out"
	done <"$([ -f /modules/net/order ] && echo /modules/net/order || echo /dev/null)"
	echo "NESTED-L1: net $(ls /dev/net/tun /dev/vhost-net /dev/vhost-vsock 2>&1 | tr '\n' ' ')"
fi

if [ ! -f /payload.sh ]; then
	echo "NESTED-L1: no /payload.sh"
	finish 126
fi
export NESTED_L2_KERNEL=/l2/bzImage NESTED_L2_INITRD=/l2/initrd.gz
[ -f /l2/Image ] && NESTED_L2_KERNEL=/l2/Image
cd /payload 2>/dev/null || cd /
sh /payload.sh
finish $?
