# shellcheck shell=bash disable=SC2034 # n_append, n_inputs, n_before, n_after: results for the caller
# The network and vsock cases of the nested tiers (sourced by
# tests/nested/run.sh after lib.sh and virtio.sh; written so that
# tests/arm64/run.sh can source it too: nothing here is x86's).  See
# tests/nested/README.md, "Network and vsock cases".
#
# Everything stays inside L1: each tap device of an L2 boot is made in L1
# (tap K: 172.31.K.1/24), L2 gets 172.31.K.2/24 on the NIC with that
# netdev's MAC from its command line (l2.ip=; l2-init.sh), and
# tests/nested/net-l1.sh is the L1 end (setup before the L2 boot, probes
# while it runs through l2-run -x, finish after it).  What an L2 boot does
# follows from its VMM arguments alone, so cases with the same arguments
# share one boot: with a NIC it pings every peer and moves 64 MiB each way
# with the first; with a vsock device it runs the echo, the 100 connections
# and the power-off with connections open.
#
# VMM arguments (QEMU's spelling; minivmm's devices take the same):
#   -netdev tap,id=ID,ifname=TAP,script=no,downscript=no[,vhost=on|off]
#   -device virtio-net-pci|virtio-net-device,netdev=ID,mac=MAC
#   -device vhost-vsock-pci|vhost-vsock-device,guest-cid=3
#   -device vsock,guest-cid=3,uds=PATH   (Firecracker's hybrid vsock)
#
# Expectation words:
#   ping          every NIC answered 3 of 3 pings to its peer in L1
#   tcp           64 MiB from L1 to L2 (busybox httpd -> wget) and 64 MiB
#                 from L2 to L1 (socat), each with the same byte count and
#                 sha256 on both ends
#   macs=A,B      the guest's interfaces (/sys/class/net/*/address but lo)
#                 have exactly the MACs A, B
#   vhostnet=on|off  while L2 ran, some process in L1 had /dev/vhost-net
#                 open (on), or none did (off)
#   vsock-echo    L1 -> guest port 5000 echoed a token (hybrid: after
#                 "CONNECT 5000" and an "OK" line); guest -> host CID 2
#                 port 5001 (hybrid: PATH_5001) echoed one; a vhost-vsock
#                 device had /dev/vhost-vsock open in L1
#   vsock-many    100 connections to the guest at once, every one echoed
#                 while all 100 were open, all closed afterwards
#   vsock-poweroff  10 connections open when the guest powers off; all of
#                 them ended within 20 s of the VMM's exit (with exit=0:
#                 the VMM exited by itself)

NET_MIB=64
NET_MANY=100
NET_HOLD=10
# An L2 boot with the network cases may take this much longer than
# NESTED_L2_TIMEOUT (64 MiB each way, 100 connections, all through TCG).
NET_EXTRA_SECONDS=60

# net_mode WORD...: "net" when a word needs l2.mode=net.
net_mode() {
	local e
	for e in "$@"; do
		case $e in
		ping | tcp | macs=* | vhostnet=* | vsock-echo | vsock-many | vsock-poweroff) echo net; return ;;
		esac
	done
}

# net_opt WORD KEY: the value of KEY= in a comma-separated option WORD.
net_opt() {
	local IFS=, f
	for f in $1; do
		case $f in "$2="*) echo "${f#"$2"=}"; return ;; esac
	done
}

# net_plan RUN GRACE ARGS: what the L2 boot RUN with VMM arguments ARGS needs:
# n_append (kernel command line words), n_inputs (l2-run options, after
# which the guest powers off: -s L2-NET-END), n_before and n_after (payload
# lines around the boot), n_vsock (vhost | uds=PATH | -), n_taps.
net_plan() {
	local run=$1 grace=$2 prev='' w taps=() ids=() tap id k mac inputs=()
	n_vsock=- n_append='' n_taps=-
	for w in $3; do
		case $prev in
		-netdev)
			case $w in tap,*)
				taps+=("$(net_opt "$w" ifname)") ids+=("$(net_opt "$w" id)") ;;
			esac
			;;
		-device)
			case ${w%%,*} in
			virtio-net-*)
				id=$(net_opt "$w" netdev) mac=$(net_opt "$w" mac)
				for k in "${!ids[@]}"; do
					[ "${ids[k]}" = "$id" ] && n_append+=" l2.ip=172.31.$k.2/24@$mac"
				done
				;;
			vhost-vsock-*) n_vsock=vhost ;;
			vsock | vsock-*) n_vsock=uds=$(net_opt "$w" uds) ;;
			esac
			;;
		esac
		prev=$w
	done
	[ ${#taps[@]} -gt 0 ] && n_taps=$(IFS=,; echo "${taps[*]}")
	[ -n "$n_append" ] && n_append+=" l2.tcp=1" &&
		inputs+=(-x L2-NET-PING "sh /payload/net-l1.sh fds $run")
	if [ "$n_vsock" != - ]; then
		n_append+=" l2.vsock=1"
		# (bounded: awk waits for it while the VMM runs)
		inputs+=(-x L2-VSOCK-READY "timeout 80 sh /payload/net-l1.sh vsock $run $n_vsock $NET_MANY $NET_HOLD"
			-i L2-VSOCK-READY go)
	fi
	n_append=${n_append# }
	n_inputs=("${inputs[@]}" -s L2-NET-END "$grace")
	n_before="sh /payload/net-l1.sh setup $run $n_taps $n_vsock 2>&1 | sed 's/^/NESTED: /'"
	n_after="sh /payload/net-l1.sh finish $run 2>&1 | sed 's/^/NESTED: /'"
}

# net_lines CONSOLE RUN L1OUT WHAT: the L1 end's "WHAT ..." lines of RUN
# (from the console, where l2-run -x put them, or from L1's own output).
net_lines() {
	cat "$1" "$3" 2>/dev/null | sed -n "s/^L1-NET: $2 $4 //p"
}

net_kv() { # LINE KEY: the value of KEY= in a "k=v k=v" line
	sed -n "s/.*\(^\| \)$2=\([^ ]*\).*/\2/p" <<<"$1" | head -n 1
}

# net_check WORD CONSOLE RUN L1OUT: why WORD does not hold for RUN
# (nothing when it does).
net_check() {
	local word=$1 out=$2 run=$3 l1out=$4 v=${1#*=} got want l l2 l1 bytes=$((NET_MIB * 1048576))
	case $word in
	ping)
		grep -q '^L2-NET-PING: ' "$out" || { echo "no ping ($(grep -m 1 -e '^L2-NET-IF' -e '^L2-MODULES' "$out" || echo no L2-NET lines))"; return; }
		l=$(grep '^L2-NET-PING: ' "$out" | grep -v 'transmitted=3 received=3$' | head -n 1)
		[ -z "$l" ] || { echo "${l#L2-NET-PING: }"; return; }
		[ "$(grep -c '^L2-NET-PING: ' "$out")" = "$(grep -c '^L2-NET-MAC: ' "$out")" ] ||
			echo "$(grep -c '^L2-NET-PING: ' "$out") pings for $(grep -c '^L2-NET-MAC: ' "$out") interfaces"
		;;
	tcp)
		l1=$(net_lines "$out" "$run" "$l1out" down)
		l2=$(sed -n 's/^L2-NET-DOWN: //p' "$out")
		[ -n "$l2" ] || { echo "L2 did not fetch from L1 (no L2-NET-DOWN line)"; return; }
		[ "$(net_kv "$l2" rc)" = 0 ] && [ "$(net_kv "$l2" bytes)" = "$bytes" ] ||
			{ echo "L1 -> L2: $l2"; return; }
		[ -n "$(net_kv "$l1" sha)" ] && [ "$(net_kv "$l2" sha)" = "$(net_kv "$l1" sha)" ] ||
			{ echo "L1 -> L2: sha256 in L2 $(net_kv "$l2" sha), in L1 $(net_kv "$l1" sha)"; return; }
		l2=$(sed -n 's/^L2-NET-UP: //p' "$out")
		l1=$(net_lines "$out" "$run" "$l1out" up)
		[ -n "$l2" ] || { echo "L2 did not send to L1 (no L2-NET-UP line)"; return; }
		[ "$(net_kv "$l2" rc)" = 0 ] && [ "$(net_kv "$l2" bytes)" = "$bytes" ] ||
			{ echo "L2 -> L1: $l2"; return; }
		[ "$(net_kv "$l1" bytes)" = "$bytes" ] && [ "$(net_kv "$l2" sha)" = "$(net_kv "$l1" sha)" ] ||
			echo "L2 -> L1: L2 sent $(net_kv "$l2" bytes) bytes sha256 $(net_kv "$l2" sha), L1 got ${l1:-nothing}"
		;;
	macs=*)
		got=$(sed -n 's/^L2-NET-MAC: [^ ]* //p' "$out" | sort | paste -sd,)
		want=$(tr , '\n' <<<"$v" | sort | paste -sd,)
		[ "$got" = "$want" ] || echo "MACs '${got:-none}', expected $want"
		;;
	vhostnet=*)
		got=$(net_lines "$out" "$run" "$l1out" fds | head -n 1)
		[ -n "$got" ] || { echo "no fds line from L1 while L2 ran"; return; }
		case $v,$got in
		on,*/dev/vhost-net:*) ;;
		off,*/dev/vhost-net:*) echo "vhost=off, yet /dev/vhost-net is open in L1 ($got)" ;;
		off,*/dev/net/tun:*) ;;
		on,*) echo "vhost=on, yet nothing in L1 has /dev/vhost-net open ($got)" ;;
		*) echo "no tap open in L1 ($got)" ;;
		esac
		;;
	vsock-echo)
		l2=$(sed -n 's/^L2-VSOCK-G2H: //p' "$out")
		[ -n "$l2" ] || { echo "no guest -> host connection (no L2-VSOCK-G2H line; $(grep -m 1 '^L2-MODULES' "$out"))"; return; }
		[ "$(net_kv "$l2" sent)" = "$(net_kv "$l2" got)" ] || { echo "guest -> host: $l2"; return; }
		l1=$(net_lines "$out" "$run" "$l1out" h2g)
		[ -n "$l1" ] || { echo "no host -> guest connection (no h2g line from L1)"; return; }
		[ "$(net_kv "$l1" sent)" = "$(net_kv "$l1" got)" ] || { echo "host -> guest: $l1"; return; }
		case $(net_lines "$out" "$run" "$l1out" setup) in
		*vsock=uds=*)
			[ "$(net_kv "$l1" ok-line)" = 1 ] || echo "host -> guest: no OK line after CONNECT ($l1)"
			;;
		*vsock=vhost*)
			got=$(net_lines "$out" "$run" "$l1out" fds | tail -n 1)
			[[ $got == */dev/vhost-vsock:* ]] || echo "nothing in L1 has /dev/vhost-vsock open ($got)"
			;;
		esac
		;;
	vsock-many)
		l1=$(net_lines "$out" "$run" "$l1out" many)
		[ -n "$l1" ] || { echo "the $NET_MANY connections were not made (no many line from L1)"; return; }
		[ "$(net_kv "$l1" echoed)" = "$NET_MANY" ] && [ "$(net_kv "$l1" open)" = "$NET_MANY" ] ||
			{ echo "$l1"; return; }
		l=$(net_lines "$out" "$run" "$l1out" many-end)
		[ "$(net_kv "$l" left)" = 0 ] || echo "after the echoes, connections still open: ${l:-no many-end line}"
		;;
	vsock-poweroff)
		l1=$(net_lines "$out" "$run" "$l1out" hold)
		[ "$(net_kv "$l1" echoed)" = "$NET_HOLD" ] && [ "$(net_kv "$l1" open)" = "$NET_HOLD" ] ||
			{ echo "the $NET_HOLD connections to keep open: ${l1:-no hold line}"; return; }
		grep -q '^L2-NET-END$' "$out" || { echo "the guest did not go on to power off"; return; }
		l=$(net_lines "$out" "$run" "$l1out" hold-end)
		[ "$(net_kv "$l" left)" = 0 ] || echo "after the VMM exited, connections still open in L1: ${l:-no hold-end line}"
		;;
	*) echo "unknown expectation '$word'" ;;
	esac
}

# net_detail WORD CONSOLE RUN L1OUT: a few words for the PASS line.
net_detail() {
	local out=$2 run=$3 l1out=$4 l
	case $1 in
	ping) echo "$(grep -c '^L2-NET-PING: .* received=3$' "$out") NIC(s) 3/3" ;;
	tcp)
		echo "$NET_MIB MiB down in $(net_kv "$(sed -n 's/^L2-NET-DOWN: //p' "$out")" ms) ms," \
			"up in $(net_kv "$(sed -n 's/^L2-NET-UP: //p' "$out")" ms) ms, sha256 equal"
		;;
	macs=*) echo "MACs ${1#macs=}" ;;
	vhostnet=*) echo "L1 fds $(net_lines "$out" "$run" "$l1out" fds | head -n 1)" ;;
	vsock-echo) echo "echo both ways ($(net_lines "$out" "$run" "$l1out" setup | sed 's/.*vsock=//'))" ;;
	vsock-many)
		l=$(net_lines "$out" "$run" "$l1out" many)
		echo "$(net_kv "$l" echoed) echoed while $(net_kv "$l" open) open, in $(net_kv "$l" ms) ms"
		;;
	vsock-poweroff)
		l=$(net_lines "$out" "$run" "$l1out" hold-end)
		echo "$NET_HOLD open at power-off, all ended $(net_kv "$l" ms) ms after the VMM ($(net_kv "$l" first-error))"
		;;
	esac
}
