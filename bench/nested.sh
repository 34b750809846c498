#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make bench-nested: time a real Linux boot under real KVM, minivmm against
# QEMU, side by side.  One L1 boot (the nested tier's: Debian's kernel under
# QEMU TCG with emulated SVM, kvm_amd loaded) runs, interleaved, ROUNDS
# rounds of three L2 boots of the same bzImage + busybox initramfs, each
# with -m 512M -smp 1 and the same kernel command line:
#
#   minivmm          minivmm run -M pc ... -serial stdio: the bzImage
#                    unpacked on the host, from the kernel cache (a first
#                    run before the rounds fills it and its unpacking time
#                    is reported on its own line)
#   minivmm-guest    the same with --decompress=guest: the bzImage's own
#                    decompressor runs in the guest, as under QEMU
#   qemu-pc          qemu-system-x86_64 -M pc -enable-kvm -cpu host ...
#   qemu-microvm     qemu-system-x86_64 -M microvm,... -enable-kvm -cpu host ...
#
# A boot's time is the wall time from starting the VMM process to the L2
# init's marker line (MINIVMM-L2-INIT-REACHED), as tests/nested/l2-run.sh
# measures it (L1's /proc/uptime, 10 ms steps).  Prints a table (the runs,
# the median, the ratio to QEMU -M pc, the issue's target) and keeps it in
# bench/out/nested-latest.txt.  See bench/README.md.
#
#   bench/nested.sh            the benchmark (~2 minutes), then the
#                              virtio-blk rows (~2 more; BENCH_NESTED_DISK=0
#                              leaves them out), then the API rows of
#                              bench/api.sh (~3 more; BENCH_NESTED_API=0
#                              leaves them out), and last the network rows (bench/net.sh, one
#                              more L1 boot, ~7 minutes; BENCH_NESTED_NET=0
#                              leaves them out)
#   bench/nested.sh --disk     only the virtio-blk rows: fio in L2 on a raw
#                              image in L1 (tests/nested/bench-blk.sh),
#                              QEMU virtio-blk-pci against minivmm's; table
#                              in bench/out/nested-disk-latest.txt
#   bench/nested.sh --diag     where minivmm's time goes: one boot of
#                              minivmm (--stats) and of QEMU -M pc with
#                              L1's KVM tracepoints counted (exit reasons,
#                              port and MMIO accesses, MSRs, exits to user
#                              space), then both once more without "quiet"
#                              so the guest's printk times show the phases;
#                              report in bench/out/nested-diag.txt
#
# Knobs (environment):
#   BENCH_MINIVMM              the minivmm binary              (default ./minivmm)
#   BENCH_NESTED_ROUNDS        rounds                          (default 3)
#   BENCH_NESTED_L2_TIMEOUT    seconds one L2 boot may take    (default 25,
#                              60 with --diag)
#   BENCH_NESTED_APPEND        L2 command line before l2.*     (default
#                              "console=ttyS0 quiet panic=-1")
#   BENCH_NESTED_KEEP=DIR      keep L1's console log, the payload and output
#
# When this machine cannot get the packages or the kernel (prepare.sh exits
# 3) it prints "n/a: <reason>" and exits 0.
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 2
NESTED_DIR=$PWD/tests/nested
# shellcheck source=tests/nested/lib.sh
. "$NESTED_DIR/lib.sh"
# shellcheck source=tests/nested/virtio.sh
. "$NESTED_DIR/virtio.sh"
# shellcheck source=tests/nested/bench-blk.sh
. "$NESTED_DIR/bench-blk.sh"

MINIVMM=${BENCH_MINIVMM:-./minivmm}
ROUNDS=${BENCH_NESTED_ROUNDS:-3}
L2_TIMEOUT=${BENCH_NESTED_L2_TIMEOUT:-25}
GRACE=3 # seconds a VMM has to exit after the guest's poweroff
BASE_APPEND=${BENCH_NESTED_APPEND:-console=ttyS0 quiet panic=-1}
APPEND="$BASE_APPEND l2.mode=report l2.end=poweroff"
TARGET=0.5 # minivmm <= 0.5 x QEMU -M pc
OUT=bench/out
mkdir -p "$OUT"

diag=0 disk_only=0
case ${1:-} in
--diag) diag=1 ;;
--disk) disk_only=1 ;;
"") ;;
*) echo "usage: bench/nested.sh [--diag | --disk]" >&2; exit 2 ;;
esac
RESULT=$OUT/nested-latest.txt
if [ "$diag" = 1 ]; then
	RESULT=$OUT/nested-diag.txt
	# printk on the serial console makes a boot much slower.
	L2_TIMEOUT=${BENCH_NESTED_L2_TIMEOUT:-60}
fi

na() {
	echo "n/a: $*" | tee "$RESULT"
	exit 0
}

# --- prerequisites ---------------------------------------------------------------
perr=$(mktemp) || exit 2
"$NESTED_DIR/prepare.sh" -q 2>"$perr"
prc=$?
why=$(tail -n 1 "$perr")
rm -f "$perr"
case $prc in
0) ;;
3) na "${why#nested: }" ;;
*) echo "bench-nested: prepare.sh failed ($prc): ${why#nested: }" >&2; exit 1 ;;
esac

have_minivmm=1 why_minivmm=
if [ ! -x "$MINIVMM" ]; then
	have_minivmm=0 why_minivmm="no $MINIVMM (run make)"
elif ! "$MINIVMM" run --help 2>&1 | grep -q -e '-kernel'; then
	have_minivmm=0 why_minivmm="$MINIVMM cannot boot Linux (no -kernel)"
fi
[ "$diag" = 1 ] && [ "$have_minivmm" = 0 ] && na "$why_minivmm"

work=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-bench-nested.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
payload=$work/payload.sh

# --- the virtio-blk rows ----------------------------------------------------------------
# fio in L2 (l2.mode=fio) on /dev/vdb, a raw image on L1's tmpfs: QEMU's
# virtio-blk-pci and minivmm's, the same -drive options (cache=writeback:
# tmpfs has no O_DIRECT; aio=threads), kernel and initramfs.
DISK_RESULT=$OUT/nested-disk-latest.txt
DISK_L2_TIMEOUT=${BENCH_NESTED_DISK_L2_TIMEOUT:-90}
disk_bench() {
	local why_disk='' perr prc drives append cmds=() l1d rc t0 t1 boots
	perr=$(mktemp) || return 1
	"$NESTED_DIR/prepare.sh" -q --fio 2>"$perr"
	prc=$?
	[ "$prc" = 0 ] || why_disk="prepare.sh --fio: $(tail -n 1 "$perr")"
	rm -f "$perr"
	if [ -n "$why_disk" ]; then
		echo "virtio-blk rows: n/a ($why_disk)" | tee "$DISK_RESULT"
		return 0
	fi
	local why_mv=$why_minivmm lacks=''
	if [ -z "$why_mv" ]; then
		lacks=$(virtio_lacks "$("$MINIVMM" run -device help 2>&1 </dev/null | head -n 50)" \
			"-device virtio-blk-pci" virtio-blk-pci)
		[ -n "$lacks" ] && why_mv="no virtio-blk yet"
	fi
	drives="-drive file=/disk/fio.img,format=raw,if=virtio,readonly=on"
	drives+=" -drive file=$BLK_IMAGE,format=raw,if=virtio,cache=writeback,aio=threads"
	append=$(printf %q "$BASE_APPEND l2.mode=fio l2.end=poweroff l2.fio_runtime=$BLK_RUNTIME")
	cmds=("qemu=$QEMU -M pc $drives -kernel /l2/bzImage -initrd /l2/initrd.gz -append $append")
	[ -z "$why_mv" ] && cmds+=("minivmm=$MINIVMM_L1 $drives -kernel /l2/bzImage -initrd /l2/initrd.gz -append $append --kernel-cache=$KCACHE -serial stdio")
	BLK_ROUNDS=$ROUNDS
	blk_payload "$ROUNDS" "$DISK_L2_TIMEOUT" "$GRACE" "${cmds[@]}" >"$work/disk-payload.sh"
	boots=$(grep -c 'l2-run ' "$work/disk-payload.sh")
	l1d=(--qemu --disk "$work/disk-l1.img" --timeout $((60 + boots * (DISK_L2_TIMEOUT + GRACE + 4)))
		--stall $((DISK_L2_TIMEOUT + GRACE + 60)) --log "$work/disk-console.log")
	[ -z "$why_mv" ] && l1d+=(--exe "$MINIVMM=/payload/bin/minivmm")
	l1d+=("$work/disk-payload.sh")
	if [ -z "$why_mv" ]; then
		mapfile -t libs < <(minivmm_runtime_libs)
		l1d+=("${libs[@]}")
	fi
	echo "bench-nested: virtio-blk rows: one L1 boot, $boots L2 boots with fio..." >&2
	rm -rf "$work/disk-stage"
	blk_l1_disk "$work/disk-stage" "$work/disk-l1.img" || { echo "bench-nested: cannot make L1's disk" >&2; return 1; }
	t0=$(date +%s)
	"$NESTED_DIR/run-l1.sh" "${l1d[@]}" >"$work/disk-out" 2>"$work/disk-err"
	rc=$?
	t1=$(date +%s)
	[ -n "${BENCH_NESTED_KEEP:-}" ] && mkdir -p "$BENCH_NESTED_KEEP" &&
		cp "$work"/disk-* "$BENCH_NESTED_KEEP/" 2>/dev/null
	[ "$rc" = 0 ] || { echo "bench-nested: the virtio-blk L1 run failed ($rc):" >&2; sed 's/^/  /' "$work/disk-err" >&2; }
	{
		echo
		echo "bench-nested virtio-blk: fio in L2 (-M pc -m 512M -smp 1, Linux $(cat "$CACHE/kernel-release")) on /dev/vdb,"
		echo "  a raw ${BLK_MIB} MiB image on L1's tmpfs: -drive file=IMG,format=raw,if=virtio,cache=writeback,aio=threads"
		echo "  (writeback: tmpfs has no O_DIRECT); libaio, direct=1 in L2, ${BLK_RUNTIME} s per job after 1 s ramp;"
		echo "  $ROUNDS rounds, order rotated; median (runs)"
		echo
		blk_results "$work/disk-out" "$ROUNDS" virtio-blk-pci "$why_mv" "$lacks" $((t1 - t0))
	} | tee "$DISK_RESULT"
}

# --- the contenders -----------------------------------------------------------------
# The same kernel, initramfs, command line, RAM and vCPU count for all.
MINIVMM_L1="/payload/bin/minivmm run -M pc -m 512M -smp 1"
KCACHE=/tmp/kcache
QEMU="qemu-system-x86_64 -enable-kvm -cpu host -nodefaults -display none -serial stdio -no-reboot -m 512M -smp 1"
if [ "$disk_only" = 1 ]; then
	disk_bench
	exit 0
fi
vmm_cmd() { # CONTENDER APPEND: the L2 VMM command line (payload syntax)
	local files
	files="-kernel /l2/bzImage -initrd /l2/initrd.gz -append $(printf %q "$2")"
	case $1 in
	minivmm) echo "$MINIVMM_L1 $files --kernel-cache=$KCACHE -serial stdio" ;;
	minivmm-guest) echo "$MINIVMM_L1 $files --decompress=guest -serial stdio" ;;
	qemu-pc) echo "$QEMU -M pc $files" ;;
	# microvm boots the bzImage through qboot (bios-microvm.bin, added to
	# L1 below): ISA serial at 0x3f8 (ttyS0), in-kernel PIC/PIT/IOAPIC,
	# ACPI (GED: poweroff works), no RTC, no option ROMs.  (Linux's
	# rtc_cmos probe still stalls 4-5 s here, RTC on or off: see README.)
	qemu-microvm) echo "$QEMU -M microvm,x-option-roms=off,rtc=off $files" ;;
	esac
}
label() {
	case $1 in
	minivmm) echo "minivmm -M pc" ;;
	minivmm-guest) echo "  guest-unpacked" ;;
	qemu-pc) echo "QEMU -M pc" ;;
	qemu-microvm) echo "QEMU -M microvm" ;;
	esac
}
contenders=(minivmm qemu-pc qemu-microvm minivmm-guest)

# One L2 boot in the payload: l2-run NAME, unless an earlier boot of the same
# contender did not reach the marker (then each later one would only wait
# for its timeout).
emit_boot() { # CONTENDER NAME APPEND [EXTRA VMM ARGS]
	local c=$1 name=$2 append=$3 v=dead_${1//-/_}
	shift 3
	printf 'if [ -n "$%s" ]; then echo "NESTED: L2 %s end exit=notrun ms=0 marker_ms=-"; else\n' "$v" "$name"
	printf '  l2-run %s %s -s L2-REPORT-END %s -- %s %s || %s=1\nfi\n' \
		"$name" "$L2_TIMEOUT" "$GRACE" "$(vmm_cmd "$c" "$append")" "$*" "$v"
}

{
	echo '# generated by bench/nested.sh'
	echo 'grep -q "^kvm_amd " /proc/modules && [ -c /dev/kvm ] && echo "NESTED: kvm ok" || echo "NESTED: kvm missing"'
} >"$payload"

# First the host-side unpacking of the bzImage into the kernel cache
# (minivmm stops at the guest's first exit; -v reports the time).
[ "$have_minivmm" = 1 ] &&
	echo "$MINIVMM_L1 -kernel /l2/bzImage --kernel-cache=$KCACHE -serial none --max-exits 1 -v </dev/null 2>&1 | sed -n 's/^minivmm: -kernel [^:]*: /NESTED: UNPACK /p'" >>"$payload"

boots=0
if [ "$diag" = 0 ]; then
	# Rotate the order from round to round so that no contender is always
	# the first after L1's boot or always follows the same neighbour.
	n=${#contenders[@]}
	for ((r = 1; r <= ROUNDS; r++)); do
		for ((k = 0; k < n; k++)); do
			c=${contenders[(r - 1 + k) % n]}
			[[ $c == minivmm* ]] && [ "$have_minivmm" = 0 ] && continue
			emit_boot "$c" "$c/$r" "$APPEND" >>"$payload"
			boots=$((boots + 1))
		done
	done
else
	# Count L1's KVM tracepoints with hist triggers (no trace buffer, so
	# little overhead), per boot.  kvm_exit: SVM exit codes; kvm_pio: port
	# accesses (in-kernel devices and user space alike); kvm_mmio: MMIO
	# accesses KVM emulated; kvm_msr: MSR accesses; kvm_userspace_exit:
	# returns to the VMM process.
	cat >>"$payload" <<'EOF'
T=/sys/kernel/tracing
mount -t tracefs nodev $T 2>/dev/null
[ -d $T/events/kvm ] || { mount -t debugfs nodev /sys/kernel/debug; T=/sys/kernel/debug/tracing; }
HISTS="kvm_exit:exit_reason.hex kvm_pio:port.hex,rw kvm_mmio:type,gpa.hex kvm_msr:ecx.hex,write kvm_userspace_exit:reason"
hist() { # on | dump NAME
	for h in $HISTS; do
		ev=${h%%:*} k=${h#*:}
		if [ "$1" = on ]; then
			echo "hist:keys=$k:size=4096" >$T/events/kvm/$ev/trigger ||
				echo "NESTED: HIST $2 $ev cannot add trigger"
		else
			sed -n "s|^{ *|NESTED: HIST $2 $ev { |p; s|^Totals:|NESTED: HIST $2 $ev Totals:|p; s|^ *Hits: |NESTED: HIST $2 $ev hits |p" \
				$T/events/kvm/$ev/hist
			echo "!hist:keys=$k:size=4096" >$T/events/kvm/$ev/trigger
		fi
	done
}
EOF
	for c in minivmm qemu-pc; do
		extra=
		[ "$c" = minivmm ] && extra=--stats
		{
			echo "hist on"
			emit_boot "$c" "$c/traced" "$APPEND" $extra
			echo "hist dump $c/traced"
		} >>"$payload"
		boots=$((boots + 1))
	done
	# The same boots with printk output on the console (no "quiet"), each
	# console line stamped with L1's clock as it arrives.  Not through
	# l2-run: with its FIFO on stdin, a loud minivmm boot sometimes froze
	# L1 for good (see bench/README.md).
	cat >>"$payload" <<'EOF'
loud() { # NAME VMM ARGS...
	name=$1
	shift
	t0=$(awk '{ printf "%d", $1 * 1000 }' /proc/uptime)
	timeout -s TERM -k 3 LIMIT "$@" </dev/null 2>/tmp/loud.err |
		awk -v n="$name" -v t0="$t0" '{ getline u < "/proc/uptime"; close("/proc/uptime")
			split(u, a, " "); sub(/\r$/, ""); printf "NESTED: LOUD %s %6d | %s\n", n, a[1] * 1000 - t0, $0; fflush() }'
	echo "NESTED: LOUD $name end ms=$(($(awk '{ printf "%d", $1 * 1000 }' /proc/uptime) - t0))"
	sed "s|^|NESTED: LOUD $name ! |" /tmp/loud.err
}
EOF
	sed -i "s/LIMIT/$L2_TIMEOUT/" "$payload"
	for c in minivmm qemu-pc; do
		extra=
		[ "$c" = minivmm ] && extra=--stats
		echo "loud $c/loud $(vmm_cmd "$c" "${APPEND//quiet/loglevel=7}") $extra" >>"$payload"
		boots=$((boots + 1))
	done
fi
echo 'exit 0' >>"$payload"

# --- run L1 ----------------------------------------------------------------------------
# Emulated SVM under TCG now and then wedges the whole L1 kernel (no L2
# limit can fire then; tests/nested/run.sh has seen it too, and so has
# --diag).  So L1 gets a limit that a normal run stays well under (~130 s
# for the benchmark, ~70 s for --diag) and one more try when it hits it;
# both tries together stay under about 8 minutes.
l1_timeout=$((60 + boots * (L2_TIMEOUT + GRACE + 4)))
[ "$l1_timeout" -gt 240 ] && l1_timeout=240
l1_args=(--qemu --timeout "$l1_timeout" --stall $((L2_TIMEOUT + GRACE + 60)) --log "$work/console.log" -v)
if [ "$have_minivmm" = 1 ]; then
	l1_args+=(--exe "$MINIVMM=/payload/bin/minivmm")
fi
# microvm's default firmware (qboot); a symlink on Debian, copied as a file.
fw=/usr/share/qemu/bios-microvm.bin
[ -e "$fw" ] && l1_args+=("$payload" "$fw=$fw") || l1_args+=("$payload")
# After the payload: files for L1, here the libraries minivmm opens itself.
if [ "$have_minivmm" = 1 ]; then
	mapfile -t libs < <(minivmm_runtime_libs)
	l1_args+=("${libs[@]}")
fi

echo "bench-nested: one L1 boot, $boots L2 boots (each at most ${L2_TIMEOUT}s; L1 at most ${l1_timeout}s)..." >&2
retried=
for attempt in 1 2; do
	t0=$(date +%s)
	"$NESTED_DIR/run-l1.sh" "${l1_args[@]}" >"$work/out" 2>"$work/err"
	l1rc=$?
	t1=$(date +%s)
	if [ "$l1rc" != 124 ] || [ "$attempt" = 2 ]; then break; fi
	retried="L1 did not finish within ${l1_timeout}s on the first try ($(grep -c '^L2 .* end ' "$work/out") L2 boots done); booted it again"
	echo "bench-nested: $retried" >&2
	cp "$work/console.log" "$work/console-try1.log" 2>/dev/null
done
if [ -n "${BENCH_NESTED_KEEP:-}" ]; then
	mkdir -p "$BENCH_NESTED_KEEP" &&
		cp "$work"/console*.log "$work/payload.sh" "$work/out" "$work/err" "$BENCH_NESTED_KEEP/"
fi
case $l1rc in
0) ;;
125) echo "bench-nested: KVM did not come up in L1" >&2; cat "$work/err" >&2; exit 1 ;;
*)
	echo "bench-nested: L1 run failed ($l1rc):" >&2
	sed 's/^/  /' "$work/err" >&2
	grep -q '^L2 .* end ' "$work/out" || exit 1
	;;
esac

# --- results -----------------------------------------------------------------------------
# end_field NAME KEY: exit / ms / marker_ms of boot NAME.
end_field() {
	sed -n "s|^L2 $1 end ||p" "$work/out" | tail -1 |
		sed -n "s/.*\(^\| \)$2=\([^ ]*\).*/\2/p"
}
sec() { awk -v m="$1" 'BEGIN { printf "%.2f", m / 1000 }'; }
median() { # numbers on stdin -> median (empty when none)
	sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%d", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# why_failed NAME: a short reason a boot did not reach the marker.
why_failed() {
	local e last
	e=$(sed -n "s|^L2 $1 end ||p" "$work/out" | tail -1)
	case $e in
	"") echo "never ran (L1 failed)"; return ;;
	exit=notrun*) echo "not run (an earlier boot failed)"; return ;;
	esac
	last=$(sed -n "s/^L2 ${1//\//\\/} ! //p" "$work/out" | grep -v '^ *$' | tail -1)
	[ -z "$last" ] && last=$(sed -n "s/^L2 ${1//\//\\/} | //p" "$work/out" | grep -v '^ *$' | tail -1)
	echo "${e%% ms=*}${last:+: $last}"
}

if [ "$diag" = 1 ]; then
	{
		echo "bench-nested --diag ($(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(cat "$CACHE/kernel-release"))"
		echo "host-side unpacking into the kernel cache first: $(sed -n 's/^UNPACK //p' "$work/out" | head -n 1)"
		for n in minivmm/traced qemu-pc/traced; do
			echo
			echo "== $n (quiet): $(sed -n "s|^L2 $n end ||p" "$work/out")"
			sed -n "s|^L2 $n ! ||p" "$work/out" | grep -v '^ *$' | sed 's/^/  ! /'
		done
		for n in minivmm/traced qemu-pc/traced; do
			echo
			echo "== L1 KVM tracepoints during $n (hitcount; most frequent first, top 20 per event)"
			for ev in kvm_exit kvm_userspace_exit kvm_pio kvm_mmio kvm_msr; do
				sed -n "s|^HIST $n $ev ||p" "$work/out" | grep -v -e '^hits' -e '^Totals' |
					awk -v ev="$ev" '{ h = $NF; $NF = ""; sub(/hitcount: *$/, ""); print h "\t" ev " " $0 }' |
					sort -t"$(printf '\t')" -k1,1nr | head -20 | awk -F'\t' '{ printf "  %8d  %s\n", $1, $2 }'
				sed -n "s|^HIST $n $ev hits|  total $ev hits|p" "$work/out"
			done
		done
		echo
		echo "SVM exit codes: 0x60 INTR, 0x61 NMI, 0x64 VINTR, 0x72 CPUID, 0x78 HLT, 0x7b IOIO, 0x7c MSR,"
		echo "0x400 NPF (nested page fault: MMIO or first touch), 0x81 VMMCALL, 0x77 PAUSE, 0x6e RDTSC, 0x55 XSETBV"
		echo "kvm_userspace_exit reasons: 2 IO, 5 HLT, 6 MMIO, 8 SHUTDOWN, 17 INTERNAL_ERROR"
		for n in minivmm/loud qemu-pc/loud; do
			echo
			echo "== $n (loglevel=7; L1 ms since the VMM started | console line)"
			sed -n "s|^LOUD $n ||p" "$work/out" | sed 's/^/  /'
		done
	} >"$RESULT"
	echo "bench-nested: diagnosis in $RESULT ($((t1 - t0)) s)" >&2
	exit 0
fi

{
	echo "bench-nested: L2 boot to the marker inside one L1 (QEMU TCG + SVM, Linux $(cat "$CACHE/kernel-release")),"
	echo "  -m 512M -smp 1, bzImage + busybox initramfs, append \"$APPEND\""
	echo "  $ROUNDS rounds, interleaved, order rotated per round; time = VMM start -> marker line (L1 clock)"
	echo
	hdr="%-17s"
	for ((r = 1; r <= ROUNDS; r++)); do hdr+=" %8s"; done
	hdr+=" %8s %8s %9s\n"
	# shellcheck disable=SC2046,SC2059
	printf "$hdr" vmm $(for ((r = 1; r <= ROUNDS; r++)); do echo "run$r"; done) median "vs pc" "exit(med)"
	declare -A med=() why_na=()
	for c in "${contenders[@]}"; do
		times=()
		for ((r = 1; r <= ROUNDS; r++)); do
			m=$(end_field "$c/$r" marker_ms)
			if [[ $m =~ ^[0-9]+$ ]]; then
				times+=("$m")
			elif [ -z "${why_na[$c]:-}" ]; then
				why_na[$c]=$(why_failed "$c/$r")
			fi
		done
		[[ $c == minivmm* ]] && [ "$have_minivmm" = 0 ] && why_na[$c]=$why_minivmm
		if [ ${#times[@]} -gt 0 ]; then
			med[$c]=$(printf '%s\n' "${times[@]}" | median)
		fi
	done
	for c in "${contenders[@]}"; do
		row=$(printf '%-17s' "$(label "$c")")
		for ((r = 1; r <= ROUNDS; r++)); do
			m=$(end_field "$c/$r" marker_ms)
			if [[ $m =~ ^[0-9]+$ ]]; then
				row+=$(printf ' %7ss' "$(sec "$m")")
			else
				row+=$(printf ' %8s' -)
			fi
		done
		if [ -n "${med[$c]:-}" ]; then
			row+=$(printf ' %7ss' "$(sec "${med[$c]}")")
			if [ -n "${med[qemu-pc]:-}" ]; then
				row+=$(printf ' %7sx' "$(awk -v a="${med[$c]}" -v b="${med[qemu-pc]}" 'BEGIN { printf "%.2f", a / b }')")
			else
				row+=$(printf ' %8s' n/a)
			fi
			ex=$(for ((r = 1; r <= ROUNDS; r++)); do
				[ "$(end_field "$c/$r" exit)" = 0 ] && end_field "$c/$r" ms
			done | median)
			row+=$(printf ' %8ss' "${ex:+$(sec "$ex")}")
			[ -z "$ex" ] && row=${row%s}-
		else
			row+=$(printf ' %8s %8s %9s' n/a n/a n/a)
		fi
		echo "$row"
		[ -n "${why_na[$c]:-}" ] && echo "    (${why_na[$c]})"
	done
	echo
	if [ -n "${med[minivmm]:-}" ] && [ -n "${med[qemu-pc]:-}" ]; then
		ratio=$(awk -v a="${med[minivmm]}" -v b="${med[qemu-pc]}" 'BEGIN { printf "%.2f", a / b }')
		verdict=$(awk -v r="$ratio" -v t="$TARGET" 'BEGIN { print (r <= t) ? "met" : "MISSED" }')
		echo "target: minivmm <= ${TARGET}x QEMU -M pc: $verdict (${ratio}x)"
		# The same ratio round by round (neighbouring boots see the same machine).
		pr=$(for ((r = 1; r <= ROUNDS; r++)); do
			a=$(end_field "minivmm/$r" marker_ms) b=$(end_field "qemu-pc/$r" marker_ms)
			[[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f\n", a / b }'
		done | paste -sd' ')
		echo "  per-round minivmm/pc: ${pr:-n/a}"
	else
		echo "target: minivmm <= ${TARGET}x QEMU -M pc: MISSED (no median for $([ -z "${med[minivmm]:-}" ] && echo minivmm || echo "QEMU -M pc"))"
	fi
	bm=$(for ((r = 1; r <= ROUNDS; r++)); do
		sed -n "s|^L2 minivmm/$r ! minivmm: boot marker \([0-9]*\): \([0-9.]*\) ms.*|run$r #\1 \2 ms|p" "$work/out"
	done | paste -sd';' | sed 's/;/; /g')
	up=$(sed -n 's/^UNPACK //p' "$work/out" | head -n 1)
	echo "minivmm's first boot of this bzImage, before the rounds: ${up:-no report}"
	echo "  (guest-unpacked = minivmm -M pc --decompress=guest: no host unpacking, no cache)"
	echo "minivmm boot marker (port 0x3f0): ${bm:-not written by this guest (its /init does not write port 0x3f0)}"
	echo "exit(med) = VMM start -> VMM exit after the guest's poweroff -f (median of the boots that exited 0)"
	echo "one L1 run, $((t1 - t0)) s wall; $(date -u '+%Y-%m-%d %H:%M UTC')"
	[ -z "$retried" ] || echo "note: $retried"
} | tee "$RESULT"
[ "${BENCH_NESTED_DISK:-1}" = 1 ] && disk_bench
# The control API's rows (bench/api.sh: restore latency, snapshot
# creation, round trip, InstanceStart to init); BENCH_NESTED_API=0 skips.
[ "${BENCH_NESTED_API:-1}" = 1 ] && bench/api.sh
# The network rows (bench/net.sh: virtio-net over a tap with vhost off and
# on, vsock; one more L1 boot); BENCH_NESTED_NET=0 skips them.
[ "${BENCH_NESTED_NET:-1}" = 1 ] && bench/net.sh
exit 0
