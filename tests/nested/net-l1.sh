#!/bin/sh
# net-l1.sh: the L1 end of the network and vsock cases (tests/nested/net.sh),
# at /payload/net-l1.sh in L1 (busybox sh; socat at /payload/bin/socat).
#
#   net-l1.sh setup RUN TAPS VSOCK    before the L2 boot RUN
#   net-l1.sh fds RUN                 while it runs (l2-run -x)
#   net-l1.sh vsock RUN VSOCK N HOLD  while it runs, once L2 listens (l2-run -x)
#   net-l1.sh finish RUN              after the VMM has exited
#
# TAPS: the tap devices of the L2 boot, comma-separated ("-": none); tap
# number K (from 0) is made persistent (busybox tunctl), gets 172.31.K.1/24
# and is brought up before the VMM attaches to it.  With taps, busybox
# httpd serves 64 MiB of random bytes as http://172.31.0.1:8080/down.bin
# (made once per L1 boot) and socat takes one connection on 172.31.0.1:5001
# and keeps what L2 sends.  VSOCK: "vhost" (the VMM is a vhost-vsock
# device: L1 reaches the guest as CID 3 through AF_VSOCK) or "uds=PATH"
# (Firecracker's hybrid vsock: the VMM listens on the Unix socket PATH, a
# host connection writes "CONNECT <port>" and reads "OK ..." first; the
# guest's connections to the host's port P go to PATH_P) or "-".  Either
# way L1 answers the guest's connections to its port 5001 with an echo.
#
# vsock: one connection to the guest's port 5000 (its echo server) with a
# token; then N connections at once, each kept open until all N have had
# their token echoed; then HOLD more that stay open (finish counts how
# many are left once the VMM has exited with them open).  socat -t: a
# client whose input has ended waits 10 s for the echo; a held one (its
# input never ends) exits 0.2 s after the connection ends, so finish sees
# when that was.
#
# Every line it prints is "L1-NET: RUN WHAT key=value ...", WHAT one of
# setup, down, fds, h2g, many, many-end, hold, up, hold-end, error.

SOCAT=/payload/bin/socat
linger=10
retry='' # socat's connect retries: only for the first connection
# AF_VSOCK gives up a connect after 2 s (SO_VM_SOCKETS_CONNECT_TIMEOUT,
# level AF_VSOCK = 40, option 6, a struct timeval): too little for 100 at
# once under TCG.  30 s; socat 1.7.4 sets a setsockopt-listen option on
# a connecting socket too, before connect().
VSOCK_TIMEOUT=setsockopt-listen=40:6:x1e000000000000000000000000000000
what=$1 run=$2
dir=/tmp/net/$run
www=/tmp/net/www

say() { echo "L1-NET: $run $*"; }
ms_now() {
	# shellcheck disable=SC2046 # two numbers
	set -- $(tr '.' ' ' </proc/uptime)
	echo $(($1 * 1000 + 1$2 * 10 - 1000))
}
size_sha() { echo "bytes=$(wc -c <"$1" 2>/dev/null || echo 0) sha=$(sha256sum "$1" 2>/dev/null | cut -d' ' -f1)"; }
alive() { # PIDFILE: how many of its processes still run
	n=0
	for p in $(cat "$1" 2>/dev/null); do
		kill -0 "$p" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}
# open_gate FIFO: a reader blocked in open() gets through and then reads
# end of file (opening read-write never blocks).
open_gate() { exec 7<>"$1"; exec 7>&-; }

# client TOKEN OUT GATE: a connection to the guest's port 5000 that sends
# TOKEN, then stays open until GATE (a FIFO, or /dev/null) ends; what comes
# back is in OUT.  Its pid is appended to $dir/clients.
client() {
	if [ -n "$uds" ]; then
		(
			echo "CONNECT 5000"
			# The first connection sends its token only after the
			# VMM's "OK" line; the many others send it at once (the
			# VMM reads the CONNECT line a byte at a time, as
			# Firecracker does, so the token waits in the socket), as
			# 100 shells polling for their OK would starve L1's CPU.
			i=0
			until [ "$retry" = "" ] || { read -r l <"$2" && [ "${l%% *}" = OK ]; } 2>/dev/null; do
				[ "$i" -ge 100 ] && break
				sleep 0.1
				i=$((i + 1))
			done
			echo "$1"
			cat "$3"
		) | $SOCAT -t "$linger" - "UNIX-CONNECT:$uds" >"$2" 2>"$2.err" &
	else
		(
			echo "$1"
			cat "$3"
		) | $SOCAT -t "$linger" - "VSOCK-CONNECT:3:5000,$VSOCK_TIMEOUT$retry" >"$2" 2>"$2.err" &
	fi
	echo $! >>"$dir/clients"
}

# echoed PREFIX N: how many of the N files PREFIX.K have their token back.
echoed() {
	c=$(cat "$1".[0-9]* 2>/dev/null | grep -c "^H2G-$run-")
	echo "${c:-0}"
}

# many NAME N GATE: N clients at once; prints when all are echoed (or 30 s).
many() {
	name=$1 n=$2 gate=$3 i=1
	: >"$dir/clients"
	t0=$(ms_now)
	while [ "$i" -le "$n" ]; do
		client "H2G-$run-$name-$i" "$dir/$name.$i" "$gate"
		i=$((i + 1))
	done
	# Until every client has its echo or has ended (held open by its gate,
	# one that ended will not get it), or 30 s.
	while e=$(echoed "$dir/$name" "$n") && [ $((e + n - $(alive "$dir/clients"))) -lt "$n" ] &&
		[ $(($(ms_now) - t0)) -lt 30000 ]; do
		sleep 0.2
	done
	ok=0 bad='' ended=''
	i=1
	for p in $(cat "$dir/clients"); do
		kill -0 "$p" 2>/dev/null && { i=$((i + 1)); continue; }
		ended=${ended:-"$i: got '$(head -c 80 "$dir/$name.$i" | tr '\n' ' ')' $(head -n 1 "$dir/$name.$i.err" | grep . || echo 'no error')"}
		i=$((i + 1))
	done
	i=1
	while [ "$i" -le "$n" ]; do
		if [ -n "$uds" ]; then
			{ read -r l1 && read -r l2; } <"$dir/$name.$i"
			[ "${l1%% *}" = OK ] && [ "$l2" = "H2G-$run-$name-$i" ] && ok=$((ok + 1))
		else
			read -r l1 <"$dir/$name.$i"
			[ "$l1" = "H2G-$run-$name-$i" ] && ok=$((ok + 1))
		fi
		[ "$l1" = "H2G-$run-$name-$i" ] || [ "${l1%% *}" = OK ] ||
			bad=${bad:-"$i: got '$(head -c 80 "$dir/$name.$i" | tr '\n' ' ')' $(head -n 1 "$dir/$name.$i.err" | grep . || echo 'no error')"}
		i=$((i + 1))
	done
	echo "clients=$n echoed=$ok open=$(alive "$dir/clients") ms=$(($(ms_now) - t0))${bad:+ first-bad=$bad}${ended:+ first-ended=$ended}"
}

case $what in
setup)
	taps=$3 vsock=$4
	mkdir -p "$dir" "$www"
	: >"$dir/pids"
	k=0
	for tap in $(echo "$taps" | tr , ' '); do
		[ "$tap" = - ] && continue
		tunctl -t "$tap" >/dev/null 2>"$dir/err" || say "error tunctl -t $tap: $(head -n 1 "$dir/err")"
		ip addr add "172.31.$k.1/24" dev "$tap" && ip link set "$tap" up || say "error no address on $tap"
		echo "$tap" >>"$dir/taps"
		k=$((k + 1))
	done
	if [ "$k" -gt 0 ]; then
		if [ ! -f "$www/down.bin" ]; then
			dd if=/dev/urandom of="$www/down.bin" bs=1M count=64 2>/dev/null
			size_sha "$www/down.bin" >/tmp/net/down.sum
		fi
		say "down $(cat /tmp/net/down.sum)"
		httpd -f -p 172.31.0.1:8080 -h "$www" </dev/null >/dev/null 2>"$dir/httpd.err" &
		echo $! >>"$dir/pids"
		$SOCAT -u TCP-LISTEN:5001,bind=172.31.0.1,reuseaddr "CREATE:$dir/up.bin" \
			</dev/null >/dev/null 2>"$dir/up.err" &
		echo $! >"$dir/up.pid"
	fi
	case $vsock in
	vhost)
		$SOCAT VSOCK-LISTEN:5001,reuseaddr,fork,backlog=128 EXEC:cat </dev/null >/dev/null 2>"$dir/g2h.err" &
		echo $! >>"$dir/pids"
		;;
	uds=*)
		uds=${vsock#uds=}
		rm -f "$uds" "${uds}_5001"
		$SOCAT "UNIX-LISTEN:${uds}_5001,fork,backlog=128" EXEC:cat </dev/null >/dev/null 2>"$dir/g2h.err" &
		echo $! >>"$dir/pids"
		;;
	esac
	say "setup taps=$taps vsock=$vsock"
	;;
fds)
	# Which tap and vhost devices processes have open now (the VMM's).
	got=$(ls -l /proc/[0-9]*/fd/ 2>/dev/null |
		sed -n 's|.* -> \(/dev/vhost-[a-z]*\)$|\1|p; s|.* -> \(/dev/net/tun\)$|\1|p' |
		sort | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $2, $1 }')
	say "fds ${got:-none}"
	;;
vsock)
	vsock=$3 n=$4 hold=$5 uds=''
	case $vsock in uds=*) uds=${vsock#uds=} ;; esac
	sh "$0" fds "$run"
	# One connection first: the guest's server is up (the client retries).
	: >"$dir/clients"
	t0=$(ms_now)
	# (it retries until the guest's server listens; the later ones do not,
	# so a connection the VMM or the guest refuses is seen)
	retry=,retry=20,interval=0.5
	client "H2G-$run-one" "$dir/one" /dev/null
	retry=
	i=0
	while [ "$(alive "$dir/clients")" -gt 0 ] && [ "$i" -lt 150 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	say "h2g sent=H2G-$run-one got=$(grep -v '^OK ' "$dir/one" | head -n 1 | grep . || echo nothing)" \
		"ok-line=$(grep -c '^OK ' "$dir/one") ms=$(($(ms_now) - t0))$(head -n 1 "$dir/one.err" | sed 's/^/ err=/')"
	mkfifo "$dir/gate" "$dir/hold-gate"
	say "many $(many many "$n" "$dir/gate")"
	# Let them go; a client that reached its gate late is let through on
	# a later round.
	i=0
	while [ "$(alive "$dir/clients")" -gt 0 ] && [ "$i" -lt 50 ]; do
		open_gate "$dir/gate"
		sleep 0.2
		i=$((i + 1))
	done
	say "many-end left=$(alive "$dir/clients") ms=$((i * 200))"
	# These stay open: the guest powers off with them.
	linger=0.2
	say "hold $(many hold "$hold" "$dir/hold-gate")"
	cp "$dir/clients" "$dir/hold.pids"
	;;
finish)
	if [ -f "$dir/up.pid" ]; then
		i=0
		while [ "$(alive "$dir/up.pid")" -gt 0 ] && [ "$i" -lt 100 ]; do
			sleep 0.2
			i=$((i + 1))
		done
		[ "$(alive "$dir/up.pid")" -gt 0 ] && say "error the receiver on port 5001 still runs"
		say "up $(size_sha "$dir/up.bin")$(head -n 1 "$dir/up.err" | sed 's/^/ err=/')"
	fi
	if [ -f "$dir/hold.pids" ]; then
		# The VMM is gone: its connections must have ended with it.
		t0=$(ms_now)
		i=0
		while [ "$(alive "$dir/hold.pids")" -gt 0 ] && [ "$i" -lt 100 ]; do
			sleep 0.2
			i=$((i + 1))
		done
		say "hold-end left=$(alive "$dir/hold.pids") ms=$(($(ms_now) - t0))" \
			"first-error=$(cat "$dir"/hold.*.err 2>/dev/null | head -n 1 | sed 's/.* E //' | tr ' ' '_' | grep . || echo none)"
		# shellcheck disable=SC2046 # a list of pids
		kill $(cat "$dir/hold.pids") 2>/dev/null
		open_gate "$dir/hold-gate"
	fi
	# shellcheck disable=SC2046 # a list of pids
	kill $(cat "$dir/pids" "$dir/up.pid" 2>/dev/null) 2>/dev/null
	[ -e "$dir/gate" ] && open_gate "$dir/gate"
	for tap in $(cat "$dir/taps" 2>/dev/null); do
		tunctl -d "$tap" >/dev/null 2>&1
	done
	rm -rf "$dir"
	;;
*)
	echo "net-l1.sh: unknown command $what" >&2
	exit 2
	;;
esac
exit 0
