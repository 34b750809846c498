#!/bin/sh
# /init of the L2 initramfs: the guest that a VMM inside L1 boots.
#
# It prints a marker, then reports what Linux found, one prefixed line per
# fact, so a test can compare them with what the VMM was asked for:
#
#   MINIVMM-L2-INIT-REACHED
#   L2-NPROC: <online CPUs>
#   L2-MEMTOTAL-KB: <MemTotal from /proc/meminfo>
#   L2-E820: [mem 0x...-0x...] <type>         one per "BIOS-e820" dmesg line
#   L2-NUMA-NODE: <n> cpus=<list> memtotal_kb=<kB>   one per NUMA node
#   L2-NUMA-NODES: <count>
#   L2-REPORT-END
#
# Kernel command line options (read from /proc/cmdline):
#   l2.mode=report   (default) report, then end
#   l2.mode=console  report, print "L2-CONSOLE-READY", then read commands
#                    from the console (ttyS0) and run each one; a command
#                    ends the guest itself (e.g. "poweroff -f"), or "exit"
#                    or end of input falls through to the end action
#   l2.end=poweroff  (default) end with poweroff -f
#   l2.end=reboot    end with reboot -f (a VMM exits with its reset code)
#   l2.end=none      leave the guest idle (for a VMM that stops it itself)

export PATH=/usr/bin:/bin:/usr/sbin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

mode=report end=poweroff
for opt in $(cat /proc/cmdline); do
	case $opt in
	l2.mode=*) mode=${opt#l2.mode=} ;;
	l2.end=*) end=${opt#l2.end=} ;;
	esac
done

echo "MINIVMM-L2-INIT-REACHED"
echo "L2-NPROC: $(nproc)"
echo "L2-MEMTOTAL-KB: $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
dmesg | sed -n 's/^\[[^]]*\] *//; s/^BIOS-e820: /L2-E820: /p'
nodes=0
for dir in /sys/devices/system/node/node[0-9]*; do
	[ -d "$dir" ] || continue
	n=${dir##*/node}
	kb=$(awk '/MemTotal:/ { print $4 }' "$dir/meminfo")
	echo "L2-NUMA-NODE: $n cpus=$(cat "$dir/cpulist") memtotal_kb=$kb"
	nodes=$((nodes + 1))
done
echo "L2-NUMA-NODES: $nodes"
echo "L2-REPORT-END"

if [ "$mode" = console ]; then
	echo "L2-CONSOLE-READY"
	while printf 'L2# ' && read -r line; do
		[ "$line" = exit ] && break
		eval "$line"
	done
fi

case $end in
reboot) reboot -f ;;
none) while :; do sleep 3600; done ;;
*) poweroff -f ;;
esac
sleep 10 # the calls above do not return; never let PID 1 exit
