#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/net-l2.sh: the L2 end of bench/net.sh, at /bench/net-l2.sh in the L2
# initramfs (busybox sh; /usr/bin/iperf3 and /usr/bin/socat with their
# libraries).  Typed on the console of l2.mode=console:
#
#   sh /bench/net-l2.sh MAC VSOCK SECONDS PINGS MIB
#
# MAC: the NIC that gets 172.31.0.2/24 (its peer, L1's tap0, is 172.31.0.1);
# VSOCK: "-" (none), "vhost" or "uds" (the device the VMM has; the guest end
# is AF_VSOCK either way).  Prints, one a line:
#   L2-NB: modules loaded=<n> failed=<names|->
#   L2-NB: up if=<ifname> ms=<until the first ping answered>
#   L2-NB: tcp-g2h mbps=<iperf3 receiver Mbit/s>   (iperf3 -c, SECONDS after 1 s omitted)
#   L2-NB: tcp-h2g mbps=<...>                      (the same with -R)
#   L2-NB: ping avg=<ms> loss=<%>                  (PINGS pings, 0.2 s apart)
#   L2-NB: features <the driver's bits>, L2-NB: irqs <vector>=<count> ...  (for reading a miss)
# with a vsock device, after "L2-NB-VSOCK-READY" (L1 then sends MIB MiB to
# port 5201 and listens for the guest's MIB MiB, then types a line):
#   L2-NB: vsock-h2g bytes=<n> ms=<first accepted -> end of file, in L2>
#   L2-NB: vsock-g2h-sent rc=<socat> ms=<in L2>
# then "L2-NB-END" and poweroff -f.
mac=$1 vsock=$2 secs=$3 pings=$4 mib=$5
PEER=172.31.0.1
IPERF=/usr/bin/iperf3
SOCAT=/usr/bin/socat

ms_now() {
	# shellcheck disable=SC2046 # two numbers
	set -- $(tr '.' ' ' </proc/uptime)
	echo $(($1 * 1000 + 1$2 * 10 - 1000))
}
say() { echo "L2-NB: $*"; }

# The modules prepare.sh put in /l2/initrd-net.gz, in their order, once each.
n=0 failed=
dirs=/modules/net
[ "$vsock" != - ] && dirs="$dirs /modules/vsock"
for d in $dirs; do
	while read -r m; do
		[ -n "$m" ] || continue
		grep -q "^$m " /proc/modules && continue
		if insmod "$d/$m.ko" 2>/tmp/insmod.err; then
			n=$((n + 1))
		else
			failed="$failed${failed:+,}$m"
		fi
	done <"$d/order"
done
say "modules loaded=$n failed=${failed:--}"

t0=$(ms_now)
ifname='' i=0
while [ -z "$ifname" ] && [ "$i" -lt 100 ]; do
	for a in /sys/class/net/*/address; do
		[ "$(cat "$a")" = "$mac" ] && ifname=$(basename "$(dirname "$a")")
	done
	[ -n "$ifname" ] || { sleep 0.1; i=$((i + 1)); }
done
if [ -n "$ifname" ]; then
	ip addr add 172.31.0.2/24 dev "$ifname" && ip link set "$ifname" up
	i=0
	until ping -c 1 -W 1 "$PEER" >/dev/null 2>&1 || [ "$i" -ge 30 ]; do i=$((i + 1)); done
	say "up if=$ifname ms=$(($(ms_now) - t0))"
	# What the driver negotiated (virtio feature bits 0..63, as a string of 0/1).
	say "features $(cat "/sys/class/net/$ifname/device/features" 2>/dev/null || echo none)"
	# iperf3's final "receiver" line, in Mbit/s.
	for dir in g2h h2g; do
		r=
		[ "$dir" = h2g ] && r=-R
		# shellcheck disable=SC2086 # -R or nothing
		$IPERF -c "$PEER" -t "$secs" -O 1 -f m $r >/tmp/iperf.out 2>&1
		v=$(awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print $(i - 1) }' /tmp/iperf.out | tail -n 1)
		say "tcp-$dir mbps=${v:-none}$([ -n "$v" ] || tail -n 1 /tmp/iperf.out | tr ' ' _ | sed 's/^/ err=/')"
	done
	ping -q -c "$pings" -i 0.2 "$PEER" >/tmp/ping.out 2>&1
	avg=$(sed -n 's|^round-trip min/avg/max = [^/]*/\([^/]*\)/.*|\1|p' /tmp/ping.out)
	loss=$(sed -n 's/.* \([0-9]*\)% packet loss.*/\1/p' /tmp/ping.out)
	say "ping avg=${avg:-none} loss=${loss:-?}"
	# The NIC's interrupts over the whole run (its MSI-X vectors, summed).
	say "irqs $(awk '/virtio[0-9]*-(input|output|config)/ { n[$NF] += $2 } END { for (k in n) printf "%s=%d ", k, n[k] }' /proc/interrupts)"
else
	say "up if=none ms=$(($(ms_now) - t0)) (no interface with $mac)"
fi

if [ "$vsock" != - ]; then
	# L1 -> L2: the receiver times from the accepted connection to end of file.
	cat >/tmp/recv.sh <<'EOF'
set -- $(tr '.' ' ' </proc/uptime)
t0=$(($1 * 1000 + 1$2 * 10 - 1000))
n=$(wc -c)
set -- $(tr '.' ' ' </proc/uptime)
echo "bytes=$n ms=$(($1 * 1000 + 1$2 * 10 - 1000 - t0))" >/tmp/h2g.res.tmp
mv /tmp/h2g.res.tmp /tmp/h2g.res
EOF
	rm -f /tmp/h2g.res
	$SOCAT -u VSOCK-LISTEN:5201,reuseaddr SYSTEM:"sh /tmp/recv.sh" </dev/null >/dev/null 2>/tmp/recv.err &
	dd if=/dev/zero of=/tmp/blob bs=1M count="$mib" 2>/dev/null
	sleep 1
	echo "L2-NB-VSOCK-READY"
	# shellcheck disable=SC3045 # busybox sh has read -t
	read -t 120 -r _go
	i=0
	while [ ! -f /tmp/h2g.res ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	say "vsock-h2g $(cat /tmp/h2g.res 2>/dev/null || echo "bytes=0 ms=none err=$(head -n 1 /tmp/recv.err | tr ' ' _)")"
	# L2 -> L1: L1's receiver times it (its line comes from L1).
	t0=$(ms_now)
	$SOCAT -u FILE:/tmp/blob VSOCK-CONNECT:2:5202,retry=10,interval=0.5 2>/tmp/send.err
	rc=$?
	say "vsock-g2h-sent rc=$rc ms=$(($(ms_now) - t0))$(head -n 1 /tmp/send.err | tr ' ' _ | sed 's/^/ err=/')"
	rm -f /tmp/blob
fi
echo "L2-NB-END"
poweroff -f
