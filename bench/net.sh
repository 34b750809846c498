#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make bench-net (also the last part of make bench-nested): virtio-net and
# vsock throughput and latency under real KVM, minivmm against QEMU, side
# by side in one L1 boot of the nested tier (tests/nested: Debian's kernel
# under QEMU TCG with emulated SVM; run-l1.sh --net --qemu loads tun,
# vhost_net, vhost_vsock).  ROUNDS rounds, the order rotated per round, of
# one L2 boot each of
#
#   minivmm-off   minivmm run -M pc ... -netdev tap,...,vhost=off -device virtio-net-pci,...
#                 + -device vsock,guest-cid=3,uds=/tmp/nb.vsock (hybrid vsock)
#   minivmm-on    the same with vhost=on, + -device vhost-vsock-pci,guest-cid=3
#   qemu-off      qemu-system-x86_64 -M pc -enable-kvm -cpu host ... vhost=off,
#                 -device virtio-net-pci,...,romfile=
#   qemu-on       the same with vhost=on, + -device vhost-vsock-pci,guest-cid=3
#
# each with -m 512M -smp 1, the same kernel (the package's bzImage), the same
# initramfs (/l2/initrd-net.gz with an archive holding iperf3, its libraries
# and bench/net-l2.sh appended) and l2.mode=console.  L1 has tap0
# (172.31.0.1/24) and an iperf3 server on it; the guest is 172.31.0.2.  The
# guest runs iperf3 -c both ways (TCP, SECONDS after one omitted), 20 pings,
# and with a vsock device 64 MiB each way with socat (bench/net-l1.sh is the
# L1 end).  Each cell is the median of the rounds; the table, with
# minivmm / QEMU at the same vhost setting and the target (>= 1.0x QEMU),
# is kept in bench/out/net-latest.txt.  See bench/README.md.
#
# Knobs (environment):
#   BENCH_MINIVMM            the minivmm binary                  (./minivmm)
#   BENCH_NET_ROUNDS         rounds                              (3)
#   BENCH_NET_SECONDS        iperf3 -t per direction             (5)
#   BENCH_NET_PINGS          pings per boot                      (20)
#   BENCH_NET_VSOCK_MIB      MiB each way over vsock             (64)
#   BENCH_NET_L2_TIMEOUT     seconds one L2 boot may take        (150)
#   BENCH_NET_KEEP=DIR       keep L1's console log, payload and output
#   BENCH_NET_REPLAY=FILE    no L1 run: make the table from a kept output
#                            (DIR/out of BENCH_NET_KEEP, the same ROUNDS)
#
#   bench/net.sh --print-payload   print L1's payload script and stop
#
# When this machine cannot get the packages or the kernel it prints
# "n/a: <reason>" and exits 0.
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 2
NESTED_DIR=$PWD/tests/nested
# shellcheck source=tests/nested/lib.sh
. "$NESTED_DIR/lib.sh"

MINIVMM=${BENCH_MINIVMM:-./minivmm}
ROUNDS=${BENCH_NET_ROUNDS:-3}
SECS=${BENCH_NET_SECONDS:-5}
PINGS=${BENCH_NET_PINGS:-20}
MIB=${BENCH_NET_VSOCK_MIB:-64}
L2_TIMEOUT=${BENCH_NET_L2_TIMEOUT:-150}
GRACE=3
TARGET=1.0
MAC=52:54:00:12:34:56
UDS=/tmp/nb.vsock
APPEND="console=ttyS0 quiet panic=-1 l2.mode=console l2.end=poweroff"
OUT=bench/out
RESULT=$OUT/net-latest.txt
mkdir -p "$OUT"

na() {
	echo "n/a: $*" | tee "$RESULT"
	exit 0
}

# --- prerequisites ---------------------------------------------------------------
# iperf3 (Debian's package) for L1 and L2, as prepare.sh installs its own.
if ! command -v iperf3 >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "bench-net: installing iperf3" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q iperf3 >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null 2>&1 &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y -q iperf3 >/dev/null 2>&1; }
	fi
	command -v iperf3 >/dev/null || na "no iperf3 (apt-get install iperf3 failed)"
fi
perr=$(mktemp) || exit 2
"$NESTED_DIR/prepare.sh" -q 2>"$perr"
prc=$?
why=$(tail -n 1 "$perr")
rm -f "$perr"
case $prc in
0) ;;
3) na "${why#nested: }" ;;
*) echo "bench-net: prepare.sh failed ($prc): ${why#nested: }" >&2; exit 1 ;;
esac
[ -f "${L2_NET_PART:-}" ] || na "the nested tier has no network part of the L2 initramfs ($L2_NET_PART)"

# minivmm takes part when it has the devices; QEMU always does.
why_mv=
if [ ! -x "$MINIVMM" ]; then
	why_mv="no $MINIVMM (run make)"
else
	devs=$("$MINIVMM" run -device help 2>&1)
	for d in virtio-net-pci vsock vhost-vsock-pci; do
		grep -q "^ *$d " <<<"$devs" || { why_mv="$MINIVMM has no $d (run -device help)"; break; }
	done
fi
contenders=(minivmm-off qemu-off minivmm-on qemu-on)
[ -n "$why_mv" ] && contenders=(qemu-off qemu-on)

work=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-bench-net.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
payload=$work/payload.sh

# The archive appended to L2's initramfs: iperf3 with its libraries (socat
# and its libraries are in /l2/initrd-net.gz already) and the guest's end.
stage=$work/l2stage
if ! { copy_with_libs "$(command -v iperf3)" "$stage" /usr/bin/iperf3 &&
	install -D -m 755 bench/net-l2.sh "$stage/bench/net-l2.sh" &&
	cpio_from_dir "$stage" "$work/net-bench.cpio" &&
	gzip -6 -n -f "$work/net-bench.cpio"; }; then
	echo "bench-net: cannot build the iperf3 archive" >&2
	exit 1
fi

# --- the contenders ------------------------------------------------------------------
MINIVMM_L1="/payload/bin/minivmm run -M pc -m 512M -smp 1"
QEMU="qemu-system-x86_64 -enable-kvm -cpu host -nodefaults -display none -serial stdio -no-reboot -m 512M -smp 1 -M pc"
FILES="-kernel /l2/bzImage -initrd /tmp/initrd-bench.gz -append $(printf %q "$APPEND")"
netdev() { echo "-netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=$1"; }
vmm_cmd() { # CONTENDER: the L2 VMM command line (payload syntax)
	case $1 in
	minivmm-off) echo "$MINIVMM_L1 $FILES --kernel-cache=/tmp/kcache -serial stdio $(netdev off) -device virtio-net-pci,netdev=n0,mac=$MAC -device vsock,guest-cid=3,uds=$UDS" ;;
	minivmm-on) echo "$MINIVMM_L1 $FILES --kernel-cache=/tmp/kcache -serial stdio $(netdev on) -device virtio-net-pci,netdev=n0,mac=$MAC -device vhost-vsock-pci,guest-cid=3" ;;
	qemu-off) echo "$QEMU $FILES $(netdev off) -device virtio-net-pci,netdev=n0,mac=$MAC,romfile=" ;;
	qemu-on) echo "$QEMU $FILES $(netdev on) -device virtio-net-pci,netdev=n0,mac=$MAC,romfile= -device vhost-vsock-pci,guest-cid=3" ;;
	esac
}
vsock_mode() { # CONTENDER: - | vhost | uds=PATH
	case $1 in
	minivmm-off) echo "uds=$UDS" ;;
	minivmm-on | qemu-on) echo vhost ;;
	*) echo - ;;
	esac
}

# shellcheck disable=SC2016,SC2028 # the payload's own expansions
{
	echo '# generated by bench/net.sh'
	echo 'grep -q "^kvm_amd " /proc/modules && [ -c /dev/kvm ] && echo "NESTED: kvm ok" || echo "NESTED: kvm missing"'
	echo 'echo "NESTED: L1NET $(ls /dev/net/tun /dev/vhost-net /dev/vhost-vsock 2>&1 | tr "\n" " ")"'
	# One persistent tap for every boot; iperf3's server on its address.
	echo 'tunctl -t tap0 >/dev/null && ip addr add 172.31.0.1/24 dev tap0 && ip link set tap0 up || echo "NESTED: L1NET no tap0"'
	echo '/payload/bin/iperf3 -s -B 172.31.0.1 </dev/null >/tmp/iperf-server.log 2>&1 &'
	echo 'cat /l2/initrd-net.gz /payload/net-bench.cpio.gz >/tmp/initrd-bench.gz'
	echo "dd if=/dev/zero of=/tmp/blob bs=1M count=$MIB 2>/dev/null"
	# The bzImage unpacked into minivmm's kernel cache before the rounds.
	[ -z "$why_mv" ] &&
		echo "$MINIVMM_L1 -kernel /l2/bzImage --kernel-cache=/tmp/kcache -serial none --max-exits 1 -v </dev/null >/dev/null 2>&1"
} >"$payload"
boots=0
n=${#contenders[@]}
for ((r = 1; r <= ROUNDS; r++)); do
	for ((k = 0; k < n; k++)); do
		c=${contenders[(r - 1 + k) % n]}
		vs=$(vsock_mode "$c")
		x=()
		if [ "$vs" != - ]; then
			x=(-x L2-NB-VSOCK-READY "timeout 120 sh /payload/net-l1.sh vsock $c/$r $vs $MIB" -i L2-NB-VSOCK-READY go)
			[ "${vs#uds=}" != "$vs" ] && echo "rm -f $UDS ${UDS}_5202" >>"$payload"
		fi
		l2vs=${vs%%=*}
		# shellcheck disable=SC2016 # the payload's own quoting
		printf 'l2-run %s %s -i L2-CONSOLE-READY %q%s -s L2-NB-END %s -- %s\n' "$c/$r" "$L2_TIMEOUT" \
			"sh /bench/net-l2.sh $MAC $l2vs $SECS $PINGS $MIB" \
			"$([ ${#x[@]} -gt 0 ] && printf ' %q' "${x[@]}")" "$GRACE" "$(vmm_cmd "$c")" >>"$payload"
		[ "$vs" != - ] && echo "sh /payload/net-l1.sh finish $c/$r 2>&1 | sed 's/^/NESTED: /'" >>"$payload"
		boots=$((boots + 1))
	done
done
echo 'exit 0' >>"$payload"
[ "${1:-}" = --print-payload ] && { cat "$payload"; exit 0; }

# --- run L1 ----------------------------------------------------------------------------
# ~35 s a boot in a normal run (425 s for 12 boots).
l1_timeout=$((120 + boots * 60))
[ "$l1_timeout" -gt 1200 ] && l1_timeout=1200
l1_args=(--qemu --net --timeout "$l1_timeout" --stall $((L2_TIMEOUT + GRACE + 60)) --log "$work/console.log" -v
	--exe "$(command -v iperf3)=/payload/bin/iperf3" --exe "$(command -v socat)=/payload/bin/socat")
[ -z "$why_mv" ] && l1_args+=(--exe "$MINIVMM=/payload/bin/minivmm")
l1_args+=("$payload" "$work/net-bench.cpio.gz" bench/net-l1.sh)
if [ -z "$why_mv" ]; then
	mapfile -t libs < <(minivmm_runtime_libs)
	l1_args+=("${libs[@]}")
fi
echo "bench-net: one L1 boot, $boots L2 boots (each at most ${L2_TIMEOUT}s; L1 at most ${l1_timeout}s)..." >&2
# Emulated SVM under TCG now and then wedges L1 (bench/README.md, "L1
# wedging"): --stall ends such a run early, and it gets one more try.
retried=
for attempt in 1 2; do
	t0=$(date +%s)
	if [ -n "${BENCH_NET_REPLAY:-}" ]; then
		cp "$BENCH_NET_REPLAY" "$work/out" && : >"$work/err" && : >"$work/console.log"
		l1rc=$?
	else
		"$NESTED_DIR/run-l1.sh" "${l1_args[@]}" >"$work/out" 2>"$work/err"
		l1rc=$?
	fi
	t1=$(date +%s)
	if [ "$l1rc" != 124 ] || [ "$attempt" = 2 ]; then break; fi
	retried="L1 did not finish on the first try ($(grep -c '^L2 .* end ' "$work/out") L2 boots done, $((t1 - t0)) s); booted it again"
	echo "bench-net: $retried" >&2
	cp "$work/console.log" "$work/console-try1.log" 2>/dev/null
done
if [ -n "${BENCH_NET_KEEP:-}" ]; then
	mkdir -p "$BENCH_NET_KEEP" &&
		cp "$work"/console*.log "$work/payload.sh" "$work/out" "$work/err" "$BENCH_NET_KEEP/"
fi
case $l1rc in
0) ;;
125) echo "bench-net: KVM did not come up in L1" >&2; cat "$work/err" >&2; exit 1 ;;
*)
	echo "bench-net: L1 run failed ($l1rc):" >&2
	sed 's/^/  /' "$work/err" >&2
	grep -q '^L2 .* end ' "$work/out" || exit 1
	;;
esac

# --- results -----------------------------------------------------------------------------
# value RUN KEY FIELD: FIELD= of the "L2-NB: KEY ..." line (guest) or the
# "NB-L1: RUN KEY ..." line (L1) of boot RUN.
value() {
	{
		sed -n "s#^L2 $1 | L2-NB: $2 ##p" "$work/out"
		sed -n "s#.*NB-L1: $1 $2 ##p" "$work/out"
	} | tail -n 1 | sed -n "s/.*\(^\| \)$3=\([^ ]*\).*/\2/p"
}
# mibps BYTES MS: MiB/s
mibps() { awk -v b="$1" -v m="$2" 'BEGIN { if (m > 0 && b > 0) printf "%.1f", b / 1048576 / (m / 1000) }'; }
median() { # numbers on stdin -> median (empty when none)
	sort -g | awk '{ v[NR] = $1 } END { if (NR) { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s", m } }'
}
# sample C R ROW: one measurement of contender C in round R for ROW (empty if none)
sample() {
	local run=$1/$2 v b m
	case $3 in
	g2h) v=$(value "$run" tcp-g2h mbps) ;;
	h2g) v=$(value "$run" tcp-h2g mbps) ;;
	ping) v=$(value "$run" ping avg) ;;
	vh2g) b=$(value "$run" vsock-h2g bytes) m=$(value "$run" vsock-h2g ms)
		[ "$b" = $((MIB * 1048576)) ] && v=$(mibps "$b" "$m") ;;
	vg2h) b=$(value "$run" vsock-g2h bytes) m=$(value "$run" vsock-g2h ms)
		[ "$b" = $((MIB * 1048576)) ] && v=$(mibps "$b" "$m") ;;
	esac
	[[ ${v:-} =~ ^[0-9.]+$ ]] && echo "$v"
}
# cell C ROW: sets cell_txt ("median (r1, r2, r3)" or "n/a") and cell_med
cell() {
	local r runs=() s
	for ((r = 1; r <= ROUNDS; r++)); do
		s=$(sample "$1" "$r" "$2")
		runs+=("${s:--}")
	done
	cell_med=$(printf '%s\n' "${runs[@]}" | grep -v '^-$' | median)
	cell_txt=n/a
	if [ -n "$cell_med" ]; then
		s=$(IFS=,; echo "${runs[*]}")
		cell_txt="$cell_med (${s//,/, })"
	fi
}
# why_na C: why contender C has no numbers (the first failed boot)
why_na() {
	local r e last
	[[ $1 == minivmm* ]] && [ -n "$why_mv" ] && { echo "$why_mv"; return; }
	for ((r = 1; r <= ROUNDS; r++)); do
		e=$(sed -n "s#^L2 $1/$r end ##p" "$work/out" | tail -n 1)
		[ -z "$e" ] && { echo "round $r never ran (L1 failed)"; return; }
		[ "$(value "$1/$r" tcp-g2h mbps)" = "" ] || continue
		last=$(sed -n "s#^L2 $1/$r [|!] ##p" "$work/out" | grep -v '^ *$' | tail -n 1)
		echo "round $r: ${e%% ms=*}${last:+: $last}"
		return
	done
}

row() { # LABEL ROW HIGHER(1: higher is better) CONT_A CONT_B [TARGET]
	local a b ma mb ratio verdict=''
	cell "$4" "$2"
	a=$cell_txt ma=$cell_med
	cell "$5" "$2"
	b=$cell_txt mb=$cell_med
	ratio=n/a
	if [ -n "$ma" ] && [ -n "$mb" ]; then
		if [ "$3" = 1 ]; then
			ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }')
		else
			ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN { if (a > 0) printf "%.2fx", b / a; else print "n/a" }')
		fi
	fi
	if [ -n "${6:-}" ]; then
		verdict=MISSED
		[ "$ratio" != n/a ] && awk -v r="${ratio%x}" -v t="$6" 'BEGIN { exit !(r >= t) }' && verdict=met
	fi
	printf '%-24s %-26s %-26s %7s  %s\n' "$1" "$a" "$b" "$ratio" "$verdict"
}

{
	echo "bench-net: virtio-net and vsock in L2 inside one L1 (QEMU TCG + SVM, Linux $(cat "$CACHE/kernel-release")),"
	echo "  -M pc -m 512M -smp 1; tap0 in L1 172.31.0.1/24, the guest 172.31.0.2; $ROUNDS rounds, order rotated;"
	echo "  each cell: median (the rounds). TCP: iperf3 -t $SECS -O 1, the receiver's Mbit/s; ping: $PINGS x busybox ping"
	echo "  -i 0.2 from L2 to L1, avg ms; vsock: $MIB MiB with socat, MiB/s timed at the receiving end."
	echo "  ratio = minivmm / QEMU (for ping: QEMU's ms / minivmm's ms); target >= ${TARGET}x QEMU"
	for vh in off on; do
		echo
		printf '%-24s %-26s %-26s %7s  %s\n' "vhost=$vh" "minivmm" "QEMU" ratio target
		row "TCP guest->host Mbit/s" g2h 1 "minivmm-$vh" "qemu-$vh" "$TARGET"
		row "TCP host->guest Mbit/s" h2g 1 "minivmm-$vh" "qemu-$vh" "$TARGET"
		row "ping avg ms" ping 0 "minivmm-$vh" "qemu-$vh" "$TARGET"
	done
	echo
	printf '%-24s %-26s %-26s %7s\n' "vsock MiB/s" "minivmm vhost-vsock" "QEMU vhost-vsock" ratio
	row "host->guest" vh2g 1 minivmm-on qemu-on
	row "guest->host" vg2h 1 minivmm-on qemu-on
	printf '%-24s %-26s\n' "" "minivmm hybrid (uds)"
	cell minivmm-off vh2g
	printf '%-24s %-26s\n' "host->guest" "$cell_txt"
	cell minivmm-off vg2h
	printf '%-24s %-26s\n' "guest->host" "$cell_txt"
	for c in "${contenders[@]}" minivmm-off minivmm-on; do
		w=$(why_na "$c")
		[ -n "$w" ] && echo "  $c: no numbers: $w"
	done | sort -u
	echo "one L1 run, $((t1 - t0)) s wall; $(date -u '+%Y-%m-%d %H:%M UTC')"
	[ -z "$retried" ] || echo "note: $retried"
} | tee "$RESULT"
exit 0
