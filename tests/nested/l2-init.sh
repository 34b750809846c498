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
#   l2.mode=virtio   load the virtio and ext4 modules (/modules/order),
#                    then report every virtio disk and the virtio RNG:
#                      L2-MODULES: loaded <n> failed <names|->
#                      L2-BLK: vdX serial=<s|-> ro=<0|1> sectors=<n> discard=<max bytes>
#                    and for each disk with an ext4 file system:
#                      writable:  L2-DISK: vdX content=<line 1 of /hello.txt>
#                                 L2-DISK: vdX wrote=<token>   (/from-l2.txt, synced)
#                                 L2-DISK: vdX readback=<token>  (after umount, caches dropped)
#                      read-only: L2-RO: vdX dev-write=<error text | succeeded>
#                                 L2-DISK: vdX content=<line 1 of /hello.txt>
#                                 L2-RO: vdX fs-write=<error text | succeeded>
#                    and with a /dev/hwrng:
#                      L2-RNG: current=<rng_current> bytes=<n of 64> distinct=<n>
#                    then "L2-VIRTIO-END" and report as above
#   l2.mode=discard  modules; mount /dev/vda, write 32 MiB, sync, print
#                    "L2-DISCARD-WRITTEN 32", wait (60 s at most) for a
#                    line on the console, delete the file, sync, fstrim:
#                      L2-FSTRIM: <fstrim -v output>
#                      L2-DISCARD-DONE
#   l2.mode=hvc      modules; the console becomes /dev/hvc0 (virtio
#                    console): the marker, the report and "L2-HVC-READY"
#                    go there and commands are read from it (as console)
#   l2.mode=rootfs   modules; mount root= (default /dev/vda) and
#                    switch_root to its /init: on a disk made by prepare.sh
#                    that is this script again, which (finding
#                    /etc/l2-rootfs) prints the marker, the report and
#                      L2-ROOTFS: dev=<root device> type=<fs type> rw=<rw|ro>
#                      L2-DISK: root wrote=<token>      (/from-l2.txt, synced)
#                    the initramfs itself prints no marker in this mode
#   l2.mode=fio      modules; mount the disk with fio and its libraries
#                    (read-only, vda or vdb; bench/nested.sh, bench/arm64.sh)
#                    and run fio on the other one (vdb or vda):
#                    4 KiB random read at iodepth 32, 1 MiB sequential
#                    read and write at iodepth 8 (libaio, direct=1,
#                    l2.fio_runtime= seconds each, default 5); one
#                      L2-FIO: <job> <fio --minimal line>
#                    per job, then "L2-FIO-END"
#   l2.mode=net      the network and vsock checks (tests/nested/net.sh): the
#                    modules of /modules/net (with an l2.ip) and of
#                    /modules/vsock (with l2.vsock=1), then
#                      L2-MODULES: loaded <n> failed <names|->
#                    for each l2.ip=ADDR/PREFIX@MAC (Debian's kernel has no
#                    CONFIG_IP_PNP, and virtio_net is a module anyway): the
#                    interface with that MAC gets ADDR and is brought up;
#                      L2-NET-MAC: <ifname> <address>        every interface but lo
#                      L2-NET-PING: <ifname> <peer> transmitted=<n> received=<n>
#                    (peer: ADDR with .1 for its last number); with
#                    l2.tcp=1, 64 MiB each way with the first peer:
#                      L2-NET-DOWN: rc=<wget> bytes=<n> sha=<sha256> ms=<wall>
#                        (busybox wget from http://PEER:8080/down.bin)
#                      L2-NET-UP: rc=<socat> bytes=<n> sha=<sha256> ms=<wall>
#                        (random bytes, socat to PEER:5001)
#                    with l2.vsock=1: an echo server on vsock port 5000
#                    (socat, one process per connection, a listen backlog
#                    of 128: socat's default 5 resets most of 100
#                    connections that come at once), a connection to
#                    the host (CID 2) port 5001:
#                      L2-VSOCK-G2H: sent=<token> got=<answer> ms=<wall>
#                    then "L2-VSOCK-READY", and it waits (120 s at most) for
#                    a line on the console while L1 connects; then
#                    "L2-NET-END" and the end action (the host's
#                    connections still open)
#   l2.end=poweroff  (default) end with poweroff -f
#   l2.end=reboot    end with reboot -f (a VMM exits with its reset code)
#   l2.end=none      leave the guest idle (for a VMM that stops it itself)

export PATH=/usr/bin:/bin:/usr/sbin:/sbin
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
mount -t devtmpfs devtmpfs /dev 2>/dev/null

mode=report end=poweroff root=/dev/vda fio_runtime=5 net_ips='' net_tcp=0 net_vsock=0
for opt in $(cat /proc/cmdline); do
	case $opt in
	l2.mode=*) mode=${opt#l2.mode=} ;;
	l2.ip=*) net_ips="$net_ips ${opt#l2.ip=}" ;;
	l2.tcp=*) net_tcp=${opt#l2.tcp=} ;;
	l2.vsock=*) net_vsock=${opt#l2.vsock=} ;;
	l2.end=*) end=${opt#l2.end=} ;;
	l2.fio_runtime=*) fio_runtime=${opt#l2.fio_runtime=} ;;
	root=*) root=${opt#root=} ;;
	esac
done
on_disk=0
[ -f /etc/l2-rootfs ] && on_disk=1

# load_modules [DIR...]: insmod DIR/*.ko (default /modules) in the order
# prepare.sh worked out from their .modinfo, each module once; sets
# modules_line.
load_modules() {
	n=0 failed=
	for dir in "${@:-/modules}"; do
		while read -r m; do
			[ -n "$m" ] || continue
			grep -q "^$m " /proc/modules && continue
			if insmod "$dir/$m.ko" 2>/tmp/insmod.err; then
				n=$((n + 1))
			else
				failed="$failed${failed:+,}$m($(head -n 1 /tmp/insmod.err))"
			fi
		done <"$([ -f "$dir/order" ] && echo "$dir/order" || echo /dev/null)"
	done
	modules_line="L2-MODULES: loaded $n failed ${failed:--}"
}

# wait_for PATH SECONDS: until PATH exists (devtmpfs adds nodes as drivers
# probe); false when it did not appear.
wait_for() {
	i=0
	while [ ! -e "$1" ]; do
		[ "$i" -ge $(($2 * 10)) ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}

first_line() { head -n 1 "$1" 2>/dev/null | tr -d '\r'; }

report() {
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
}

# read_commands PROMPT: run each line read from stdin until "exit" or EOF.
read_commands() {
	while printf '%s' "$1" && read -r line; do
		[ "$line" = exit ] && break
		eval "$line"
	done
}

# An error message's last part, the errno text ("dd: error writing 'x': Operation not permitted").
errtext() { head -n 1 "$1" | sed 's/.*: //'; }

disk_attrs() { # every vd* disk: serial, read-only flag, size, discard
	for b in /sys/block/vd*; do
		[ -d "$b" ] || continue
		d=${b##*/}
		echo "L2-BLK: $d serial=$(first_line "$b/serial" | grep . || echo -) ro=$(cat "$b/ro")" \
			"sectors=$(cat "$b/size") discard=$(cat "$b/queue/discard_max_bytes" 2>/dev/null || echo -)"
	done
}

disk_tests() { # every vd* disk with ext4: a read and a write (or its refusal)
	for b in /sys/block/vd*; do
		[ -d "$b" ] || continue
		d=${b##*/} mnt=/mnt/${b##*/}
		mkdir -p "$mnt"
		if [ "$(cat "$b/ro")" = 1 ]; then
			if dd if=/dev/zero of="/dev/$d" bs=4096 count=1 conv=fsync 2>/tmp/dd.err; then
				echo "L2-RO: $d dev-write=succeeded"
			else
				echo "L2-RO: $d dev-write=$(errtext /tmp/dd.err)"
			fi
			if mount -t ext4 -o ro "/dev/$d" "$mnt" 2>/tmp/mount.err; then
				echo "L2-DISK: $d content=$(first_line "$mnt/hello.txt")"
				if (echo x >"$mnt/from-l2.txt") 2>/tmp/w.err; then
					echo "L2-RO: $d fs-write=succeeded"
				else
					echo "L2-RO: $d fs-write=$(errtext /tmp/w.err)"
				fi
				umount "$mnt"
			else
				echo "L2-DISK: $d mount failed: $(head -n 1 /tmp/mount.err)"
			fi
			continue
		fi
		if ! mount -t ext4 "/dev/$d" "$mnt" 2>/tmp/mount.err; then
			echo "L2-DISK: $d mount failed: $(head -n 1 /tmp/mount.err)"
			continue
		fi
		echo "L2-DISK: $d content=$(first_line "$mnt/hello.txt")"
		token=$d-$(cat /proc/sys/kernel/random/uuid)
		echo "$token" >"$mnt/from-l2.txt" && sync && echo "L2-DISK: $d wrote=$token"
		umount "$mnt"
		echo 3 >/proc/sys/vm/drop_caches
		if mount -t ext4 -o ro "/dev/$d" "$mnt" 2>/dev/null; then
			echo "L2-DISK: $d readback=$(first_line "$mnt/from-l2.txt")"
			umount "$mnt"
		fi
	done
}

rng_test() {
	[ -e /dev/hwrng ] || wait_for /dev/hwrng 2 || return 0
	timeout 10 head -c 64 /dev/hwrng >/tmp/rng.bin 2>/dev/null
	echo "L2-RNG: current=$(first_line /sys/class/misc/hw_random/rng_current)" \
		"bytes=$(wc -c </tmp/rng.bin)" \
		"distinct=$(od -An -tx1 -v /tmp/rng.bin | tr ' ' '\n' | grep . | sort -u | wc -l)"
}

discard_test() {
	mkdir -p /mnt/vda
	if ! mount -t ext4 /dev/vda /mnt/vda 2>/tmp/mount.err; then
		echo "L2-DISCARD: mount failed: $(head -n 1 /tmp/mount.err)"
		return
	fi
	dd if=/dev/zero of=/mnt/vda/big bs=1M count=32 conv=fsync 2>/dev/null
	sync
	echo "L2-DISCARD-WRITTEN $(($(wc -c </mnt/vda/big) / 1048576))"
	# L1 looks at the image file now; any line on the console goes on.
	# shellcheck disable=SC3045 # busybox sh has read -t
	read -t 60 -r _go
	rm -f /mnt/vda/big
	sync
	echo "L2-FSTRIM: $(fstrim -v /mnt/vda 2>&1 | head -n 1)"
	umount /mnt/vda
	echo "L2-DISCARD-DONE"
}

fio_run() {
	# The disk with fio on it (vda, or vdb: virtio-mmio devices may come
	# in the other order) is mounted; fio runs on the other one.
	mkdir -p /fio
	tools='' target=''
	for d in vda vdb; do
		if [ -z "$tools" ] && mount -t ext4 -o ro "/dev/$d" /fio 2>/dev/null; then
			[ -x /fio/usr/bin/fio ] && { tools=$d; continue; }
			umount /fio
		fi
		target=$d
	done
	if [ -z "$tools" ] || [ -z "$target" ]; then
		echo "L2-FIO: no disk with fio (${tools:-none}) and one to test (${target:-none})"
		return
	fi
	echo "L2-FIO-DISKS: fio on $tools, testing $target"
	ld=$(ls /fio/lib64/ld-linux-*.so.* /fio/lib/ld-linux-*.so.* 2>/dev/null | head -n 1)
	libs=$(sed 's|\(^\|:\)/|\1/fio/|g' /fio/ld.path)
	for job in "randread 4k 32" "read 1M 8" "write 1M 8"; do
		# shellcheck disable=SC2086 # three words
		set -- $job
		"$ld" --library-path "$libs" /fio/usr/bin/fio --minimal --name="$1-$2" --filename="/dev/$target" \
			--rw="$1" --bs="$2" --iodepth="$3" --ioengine=libaio --direct=1 --time_based \
			--runtime="$fio_runtime" --ramp_time=1 --norandommap --randrepeat=0 \
			>/tmp/fio.out 2>&1
		echo "L2-FIO: $1-$2 $(tail -n 1 /tmp/fio.out)"
	done
	umount /fio
	echo "L2-FIO-END"
}

ms_now() { # milliseconds of uptime
	# shellcheck disable=SC2046 # two numbers
	set -- $(tr '.' ' ' </proc/uptime)
	echo $(($1 * 1000 + 1$2 * 10 - 1000))
}

# size_sha FILE: "bytes=<n> sha=<sha256>"
size_sha() { echo "bytes=$(wc -c <"$1") sha=$(sha256sum "$1" | cut -d' ' -f1)"; }

net_test() {
	peer1=''
	for spec in $net_ips; do
		addr=${spec%@*} mac=${spec#*@} ifname=''
		i=0
		while [ -z "$ifname" ] && [ "$i" -lt 50 ]; do
			for a in /sys/class/net/*/address; do
				[ "$(cat "$a")" = "$mac" ] && ifname=$(basename "$(dirname "$a")")
			done
			[ -n "$ifname" ] || { sleep 0.1; i=$((i + 1)); }
		done
		if [ -z "$ifname" ]; then
			echo "L2-NET-IF: no interface with $mac"
			continue
		fi
		ip addr add "$addr" dev "$ifname" && ip link set "$ifname" up
		peer=${addr%/*}
		peer=${peer%.*}.1
		[ -n "$peer1" ] || peer1=$peer
		eval "peer_of_$ifname=\$peer"
	done
	for a in /sys/class/net/*/address; do
		ifname=$(basename "$(dirname "$a")")
		[ "$ifname" = lo ] || echo "L2-NET-MAC: $ifname $(cat "$a")"
	done
	for a in /sys/class/net/*/address; do
		ifname=$(basename "$(dirname "$a")")
		eval "peer=\${peer_of_$ifname:-}"
		[ -n "$peer" ] || continue
		ping -c 3 -w 15 -I "$ifname" "$peer" >/tmp/ping.out 2>&1
		echo "L2-NET-PING: $ifname $peer $(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) packets received.*/transmitted=\1 received=\2/p' /tmp/ping.out | grep . || tail -n 1 /tmp/ping.out)"
	done
	if [ "$net_tcp" = 1 ] && [ -n "$peer1" ]; then
		t0=$(ms_now)
		wget -q -O /tmp/down.bin "http://$peer1:8080/down.bin" 2>/tmp/wget.err
		rc=$? t1=$(ms_now)
		echo "L2-NET-DOWN: rc=$rc $(size_sha /tmp/down.bin) ms=$((t1 - t0))$(head -n 1 /tmp/wget.err | sed 's/^/ err=/')"
		rm -f /tmp/down.bin
		dd if=/dev/urandom of=/tmp/up.bin bs=1M count=64 2>/dev/null
		t0=$(ms_now)
		socat -u FILE:/tmp/up.bin "TCP:$peer1:5001,retry=10,interval=0.5" 2>/tmp/socat.err
		rc=$? t1=$(ms_now)
		echo "L2-NET-UP: rc=$rc $(size_sha /tmp/up.bin) ms=$((t1 - t0))$(head -n 1 /tmp/socat.err | sed 's/^/ err=/')"
		rm -f /tmp/up.bin
	fi
	if [ "$net_vsock" = 1 ]; then
		socat VSOCK-LISTEN:5000,reuseaddr,fork,backlog=128 EXEC:cat </dev/null >/dev/null 2>/tmp/vsock-server.err &
		token=G2H-$(cat /proc/sys/kernel/random/uuid)
		t0=$(ms_now)
		got=$(echo "$token" | socat -t 5 - VSOCK-CONNECT:2:5001,retry=10,interval=0.5 2>/tmp/socat.err)
		t1=$(ms_now)
		echo "L2-VSOCK-G2H: sent=$token got=${got:-nothing} ms=$((t1 - t0))$(head -n 1 /tmp/socat.err | sed 's/^/ err=/')"
		# The server is listening by now; L1 connects (and retries).
		echo "L2-VSOCK-READY"
		# shellcheck disable=SC3045 # busybox sh has read -t
		read -t 120 -r _go
		head -n 3 /tmp/vsock-server.err | sed 's/^/L2-VSOCK-SERVER: /'
	fi
	echo "L2-NET-END"
}

if [ "$on_disk" = 1 ]; then
	# The root file system of l2.mode=rootfs: this script from the disk.
	exec </dev/console >/dev/console 2>&1
	report
	# shellcheck disable=SC2046 # three words
	set -- $(awk '$2 == "/" { print $1, $3, $4 }' /proc/mounts | tail -n 1)
	echo "L2-ROOTFS: dev=$1 type=$2 rw=${3%%,*}"
	token=root-$(cat /proc/sys/kernel/random/uuid)
	echo "$token" >/from-l2.txt && sync && echo "L2-DISK: root wrote=$token"
elif [ "$mode" = hvc ]; then
	load_modules
	if wait_for /dev/hvc0 10; then
		exec </dev/hvc0 >/dev/hvc0 2>&1
	else
		exec </dev/console >/dev/console 2>&1
		echo "L2-HVC: no /dev/hvc0 ($modules_line)"
	fi
	report
	echo "$modules_line"
	echo "L2-HVC-READY"
	read_commands 'L2-HVC# '
else
	exec </dev/console >/dev/console 2>&1
	case $mode in
	report | console) ;;
	net)
		net_dirs=''
		[ -n "$net_ips" ] && net_dirs=/modules/net
		[ "$net_vsock" = 1 ] && net_dirs="$net_dirs /modules/vsock"
		# shellcheck disable=SC2086 # a list of directories
		load_modules $net_dirs
		;;
	*) load_modules ;;
	esac
	if [ "$mode" = rootfs ]; then
		mkdir -p /newroot
		wait_for "$root" 10
		if ! mount -t ext4 "$root" /newroot 2>/tmp/mount.err; then
			echo "L2-ROOTFS-FAILED: $modules_line; $root: $(head -n 1 /tmp/mount.err)"
		elif [ ! -x /newroot/init ]; then
			echo "L2-ROOTFS-FAILED: no /init on $root"
		else
			mount --move /dev /newroot/dev
			mount --move /sys /newroot/sys
			mount --move /proc /newroot/proc
			exec switch_root /newroot /init
		fi
	else
		report
	fi
	case $mode in
	console)
		echo "L2-CONSOLE-READY"
		read_commands 'L2# '
		;;
	virtio)
		echo "$modules_line"
		wait_for /dev/vda 1 # the drivers probe while insmod runs
		disk_attrs
		disk_tests
		rng_test
		# Which interrupt controller delivers the virtio interrupts.
		grep virtio /proc/interrupts | tr -s ' ' | sed 's/^ */L2-IRQ: /'
		echo "L2-VIRTIO-END"
		;;
	discard)
		echo "$modules_line"
		wait_for /dev/vda 3
		disk_attrs
		discard_test
		;;
	fio)
		echo "$modules_line"
		wait_for /dev/vdb 1
		fio_run
		;;
	net)
		echo "$modules_line"
		net_test
		;;
	esac
fi

case $end in
reboot) reboot -f ;;
none) while :; do sleep 3600; done ;;
*) poweroff -f ;;
esac
sleep 10 # the calls above do not return; never let PID 1 exit
