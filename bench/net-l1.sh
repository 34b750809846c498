#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/net-l1.sh: the L1 end of bench/net.sh's vsock rows, at
# /payload/net-l1.sh in L1 (busybox sh; socat at /payload/bin/socat).
#
#   net-l1.sh vsock RUN MODE MIB   while L2 runs, once it listens (l2-run -x)
#   net-l1.sh finish RUN           after the VMM has exited
#   net-l1.sh recv RUN OUT         (internal) count stdin, time it, into OUT
#
# MODE: "vhost" (vhost-vsock: L1 is CID 2, the guest CID 3, AF_VSOCK) or
# "uds=PATH" (Firecracker's hybrid vsock: a connection to the Unix socket
# PATH writes "CONNECT 5201" first and gets "OK ..."; the guest's
# connections to port 5202 reach PATH_5202).  vsock: start the receiver of
# the guest's MIB MiB (port 5202), send the guest MIB MiB of zeros
# (/tmp/blob) on its port 5201, return (the guest times that end).  finish:
# wait for the receiver (30 s at most) and print what it counted.
# Lines: "NB-L1: RUN vsock-h2g-sent rc=<socat> ms=<in L1>",
# "NB-L1: RUN vsock-g2h bytes=<n> ms=<first accepted -> end of file, in L1>".
SOCAT=/payload/bin/socat
what=$1 run=$2
dir=/tmp/nb/$(echo "$run" | tr / _)

ms_now() {
	# shellcheck disable=SC2046 # two numbers
	set -- $(tr '.' ' ' </proc/uptime)
	echo $(($1 * 1000 + 1$2 * 10 - 1000))
}
say() { echo "NB-L1: $run $*"; }

case $what in
recv)
	t0=$(ms_now)
	n=$(wc -c)
	echo "bytes=$n ms=$(($(ms_now) - t0))" >"$3.tmp"
	mv "$3.tmp" "$3"
	;;
vsock)
	mode=$3 mib=$4
	mkdir -p "$dir"
	[ -f /tmp/blob ] || dd if=/dev/zero of=/tmp/blob bs=1M count="$mib" 2>/dev/null
	rm -f "$dir/g2h.res"
	case $mode in
	vhost) listen=VSOCK-LISTEN:5202,reuseaddr ;;
	uds=*)
		rm -f "${mode#uds=}_5202"
		listen=UNIX-LISTEN:${mode#uds=}_5202
		;;
	esac
	$SOCAT -u "$listen" SYSTEM:"sh /payload/net-l1.sh recv $run $dir/g2h.res" \
		</dev/null >/dev/null 2>"$dir/recv.err" &
	echo $! >"$dir/recv.pid"
	t0=$(ms_now)
	case $mode in
	vhost)
		$SOCAT -u FILE:/tmp/blob VSOCK-CONNECT:3:5201,retry=20,interval=0.5 2>"$dir/send.err"
		rc=$?
		;;
	uds=*)
		{
			echo "CONNECT 5201"
			cat /tmp/blob
		} | $SOCAT - "UNIX-CONNECT:${mode#uds=}" >"$dir/ok" 2>"$dir/send.err"
		rc=$?
		grep -q '^OK ' "$dir/ok" || rc="$rc,no-OK"
		;;
	esac
	say "vsock-h2g-sent rc=$rc ms=$(($(ms_now) - t0))$(head -n 1 "$dir/send.err" | tr ' ' _ | sed 's/^/ err=/')"
	;;
finish)
	i=0
	while [ ! -f "$dir/g2h.res" ] && [ "$i" -lt 150 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	say "vsock-g2h $(cat "$dir/g2h.res" 2>/dev/null || echo "bytes=0 ms=none err=$(head -n 1 "$dir/recv.err" | tr ' ' _)")"
	kill "$(cat "$dir/recv.pid" 2>/dev/null)" 2>/dev/null
	rm -rf "$dir"
	;;
*)
	echo "net-l1.sh: unknown command $what" >&2
	exit 2
	;;
esac
exit 0
