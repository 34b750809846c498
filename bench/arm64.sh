#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make bench-arm64: time a real arm64 Linux boot under real arm64 KVM,
# minivmm against QEMU, side by side.  One L1 boot (the arm64 nested tier's:
# Debian's arm64 kernel under qemu-system-aarch64 in software with EL2, KVM
# built in; tests/arm64/run-l1.sh) runs ROUNDS rounds of two L2 boots of
# the same Image + busybox initramfs, -m 256M -smp 1, the same command line,
# the order alternating from round to round:
#
#   minivmm      build-arm64/minivmm run -m 256M -smp 1 -kernel ... -initrd ... -append ...
#   qemu-virt    qemu-system-aarch64 -M virt,gic-version=3 -enable-kvm -cpu host
#                -nodefaults -display none -serial stdio -no-reboot ... (the arm64
#                QEMU, copied into L1 with its libraries by prepare.sh --qemu)
#
# The boot marker: the L2 /init (tests/nested/l2-init.sh) prints the line
# MINIVMM-L2-INIT-REACHED on its console (ttyAMA0) as its first act; l2-run
# in L1 stamps that line's arrival with L1's /proc/uptime (10 ms steps).  A
# boot's time is from starting the VMM process to that line: the same
# yardstick for both VMMs, nothing guest-side is specific to either.
# Prints a table (each run, the median, the ratio to QEMU, the target
# minivmm <= 0.6 x QEMU) and keeps it in bench/out/arm64-latest.txt.
#
#   bench/arm64.sh          the boot benchmark, then the virtio-blk rows
#                           (BENCH_ARM64_DISK=0 leaves them out)
#   bench/arm64.sh --disk   only the virtio-blk rows: fio in L2 on a raw
#                           image in L1 (tests/nested/bench-blk.sh), QEMU's
#                           virtio-blk-device against minivmm's; table in
#                           bench/out/arm64-disk-latest.txt
#
# Knobs (environment):
#   BENCH_MINIVMM           the arm64 minivmm (default build-arm64/minivmm)
#   BENCH_ARM64_ROUNDS      rounds                       (default 3)
#   BENCH_ARM64_L2_TIMEOUT  seconds one L2 boot may take (default 40)
#   BENCH_ARM64_APPEND      L2 command line before l2.* (default
#                           "console=ttyAMA0 quiet panic=-1")
#   BENCH_ARM64_KEEP=DIR    keep L1's console log, the payload and output
#
# When this machine cannot get the packages (prepare.sh exits 3) it prints
# "n/a: <reason>" and exits 0.
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 2
# shellcheck source=tests/arm64/lib.sh
. tests/arm64/lib.sh
# shellcheck source=tests/nested/virtio.sh
. tests/nested/virtio.sh
# shellcheck source=tests/nested/bench-blk.sh
. tests/nested/bench-blk.sh

MINIVMM=${BENCH_MINIVMM:-build-arm64/minivmm}
ROUNDS=${BENCH_ARM64_ROUNDS:-3}
L2_TIMEOUT=${BENCH_ARM64_L2_TIMEOUT:-40}
GRACE=3 # seconds a VMM has to exit after the guest's poweroff
APPEND="${BENCH_ARM64_APPEND:-console=ttyAMA0 quiet panic=-1} l2.mode=report l2.end=poweroff"
TARGET=0.6
RESULT=bench/out/arm64-latest.txt
DISK_RESULT=bench/out/arm64-disk-latest.txt
DISK_L2_TIMEOUT=${BENCH_ARM64_DISK_L2_TIMEOUT:-90}
mkdir -p bench/out
disk_only=0
case ${1:-} in
--disk) disk_only=1 ;;
"") ;;
*) echo "usage: bench/arm64.sh [--disk]" >&2; exit 2 ;;
esac

na() {
	echo "n/a: $*" | tee "$RESULT"
	exit 0
}

perr=$(mktemp) || exit 2
tests/arm64/prepare.sh -q --qemu 2>"$perr"
prc=$?
why=$(tail -n 1 "$perr")
rm -f "$perr"
case $prc in
0) ;;
3) na "${why#arm64: }" ;;
*) echo "bench-arm64: prepare.sh failed ($prc): ${why#arm64: }" >&2; exit 1 ;;
esac

why_minivmm=
if [ ! -f "$MINIVMM" ]; then
	why_minivmm="no $MINIVMM (make arm64)"
elif readelf -l "$MINIVMM" 2>/dev/null | grep -q INTERP; then
	why_minivmm="$MINIVMM is dynamically linked (L1 has no libc)"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-bench-arm64.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

FILES="-kernel /l2/Image -initrd /l2/initrd.gz -append $(printf %q "$APPEND")"
declare -A CMD=(
	[minivmm]="/payload/bin/minivmm run -m 256M -smp 1 $FILES"
	[qemu-virt]="qemu-system-aarch64 -M virt,gic-version=3 -enable-kvm -cpu host -nodefaults -display none -serial stdio -no-reboot -m 256M -smp 1 $FILES"
)
contenders=(minivmm qemu-virt)

# --- the virtio-blk rows ---------------------------------------------------------
# fio in L2 (l2.mode=fio) on a raw image on L1's tmpfs, virtio-blk-device
# (virtio-mmio) under QEMU -M virt and under minivmm: the same -drive
# options (cache=writeback: tmpfs has no O_DIRECT; aio=threads), Image,
# initramfs, -m 256M -smp 1.
disk_bench() {
	local why_disk='' perr drives append cmds=() l1d rc t0 t1 boots why_mv=$why_minivmm lacks=''
	perr=$(mktemp) || return 1
	tests/arm64/prepare.sh -q --qemu --fio 2>"$perr" || why_disk="prepare.sh --fio: $(tail -n 1 "$perr")"
	rm -f "$perr"
	if [ -n "$why_disk" ]; then
		echo "virtio-blk rows: n/a ($why_disk)" | tee "$DISK_RESULT"
		return 0
	fi
	if [ -z "$why_mv" ]; then
		lacks=$(virtio_lacks "$(timeout 20 qemu-aarch64-static "$MINIVMM" run -device help 2>&1 </dev/null | head -n 50)" \
			"-device virtio-blk-device" virtio-blk-pci)
		[ -n "$lacks" ] && why_mv="no virtio-blk yet"
	fi
	drives="-drive file=/disk/fio.img,format=raw,if=none,id=fio,readonly=on -device virtio-blk-device,drive=fio"
	drives+=" -drive file=$BLK_IMAGE,format=raw,if=none,id=blk,cache=writeback,aio=threads -device virtio-blk-device,drive=blk"
	append=$(printf %q "${BENCH_ARM64_APPEND:-console=ttyAMA0 quiet panic=-1} l2.mode=fio l2.end=poweroff l2.fio_runtime=$BLK_RUNTIME")
	local files="-kernel /l2/Image -initrd /l2/initrd.gz -append $append"
	cmds=("qemu=qemu-system-aarch64 -M virt,gic-version=3 -enable-kvm -cpu host -nodefaults -display none -serial stdio -no-reboot -m 256M -smp 1 $drives $files")
	[ -z "$why_mv" ] && cmds+=("minivmm=/payload/bin/minivmm run -m 256M -smp 1 $drives $files")
	BLK_ROUNDS=$ROUNDS
	blk_payload "$ROUNDS" "$DISK_L2_TIMEOUT" "$GRACE" "${cmds[@]}" >"$work/disk-payload.sh"
	boots=$(grep -c 'l2-run ' "$work/disk-payload.sh")
	l1d=(--qemu --disk "$work/disk-l1.img" --timeout $((60 + boots * (DISK_L2_TIMEOUT + GRACE + 4)))
		--stall $((DISK_L2_TIMEOUT + GRACE + 60)) --log "$work/disk-console.log")
	[ -z "$why_mv" ] && l1d+=(--exe "$MINIVMM=/payload/bin/minivmm")
	echo "bench-arm64: virtio-blk rows: one L1 boot, $boots L2 boots with fio..." >&2
	rm -rf "$work/disk-stage"
	blk_l1_disk "$work/disk-stage" "$work/disk-l1.img" || { echo "bench-arm64: cannot make L1's disk" >&2; return 1; }
	t0=$(date +%s)
	tests/arm64/run-l1.sh "${l1d[@]}" "$work/disk-payload.sh" >"$work/disk-out" 2>"$work/disk-err"
	rc=$?
	t1=$(date +%s)
	[ -n "${BENCH_ARM64_KEEP:-}" ] && mkdir -p "$BENCH_ARM64_KEEP" &&
		cp "$work"/disk-* "$BENCH_ARM64_KEEP/" 2>/dev/null
	[ "$rc" = 0 ] || { echo "bench-arm64: the virtio-blk L1 run failed ($rc):" >&2; sed 's/^/  /' "$work/disk-err" >&2; }
	{
		echo
		echo "bench-arm64 virtio-blk: fio in L2 (-M virt -m 256M -smp 1, Linux $(cat "$CACHE/kernel-release")) on a"
		echo "  raw ${BLK_MIB} MiB image on L1's tmpfs: -drive file=IMG,format=raw,if=none,id=blk,cache=writeback,aio=threads"
		echo "  -device virtio-blk-device,drive=blk (writeback: tmpfs has no O_DIRECT); libaio, direct=1 in L2,"
		echo "  ${BLK_RUNTIME} s per job after 1 s ramp; $ROUNDS rounds, order rotated; median (runs)"
		echo
		blk_results "$work/disk-out" "$ROUNDS" virtio-blk-device "$why_mv" "$lacks" $((t1 - t0))
	} | tee "$DISK_RESULT"
}
if [ "$disk_only" = 1 ]; then
	disk_bench
	exit 0
fi

# The payload: ROUNDS x (both contenders, order alternating); a contender
# whose boot missed the marker is not tried again (it would only time out).
{
	echo '# generated by bench/arm64.sh'
	echo '[ -c /dev/kvm ] && echo "NESTED: kvm ok" || echo "NESTED: kvm missing"'
	boots=0
	for ((r = 1; r <= ROUNDS; r++)); do
		for ((k = 0; k < 2; k++)); do
			c=${contenders[(r + k) % 2]}
			[ "$c" = minivmm ] && [ -n "$why_minivmm" ] && continue
			v=dead_${c//-/_}
			printf 'if [ -n "$%s" ]; then echo "NESTED: L2 %s/%d end exit=notrun ms=0 marker_ms=-"; else\n' "$v" "$c" "$r"
			printf '  l2-run %s/%d %s -s L2-REPORT-END %s -- %s || %s=1\nfi\n' \
				"$c" "$r" "$L2_TIMEOUT" "$GRACE" "${CMD[$c]}" "$v"
			boots=$((boots + 1))
		done
	done
	echo 'exit 0'
} >"$work/payload.sh"
boots=$(grep -c 'l2-run ' "$work/payload.sh")

l1_args=(--qemu --timeout $((90 + boots * (L2_TIMEOUT + GRACE + 4))) --log "$work/console.log")
[ -z "$why_minivmm" ] && l1_args+=(--exe "$MINIVMM=/payload/bin/minivmm")
echo "bench-arm64: one L1 boot, $boots L2 boots (each at most ${L2_TIMEOUT}s)..." >&2
t0=$(date +%s)
tests/arm64/run-l1.sh "${l1_args[@]}" "$work/payload.sh" >"$work/out" 2>"$work/err"
l1rc=$?
t1=$(date +%s)
if [ -n "${BENCH_ARM64_KEEP:-}" ]; then
	mkdir -p "$BENCH_ARM64_KEEP" && cp "$work"/* "$BENCH_ARM64_KEEP/" 2>/dev/null
fi
if [ "$l1rc" != 0 ]; then
	echo "bench-arm64: L1 run failed ($l1rc):" >&2
	sed 's/^/  /' "$work/err" >&2
	grep -q '^L2 .* end ' "$work/out" || exit 1
fi

# --- the table -------------------------------------------------------------------
# One awk pass over the "L2 NAME/ROUND end exit=E ms=W marker_ms=M" lines
# (and the VMMs' last message for a boot that missed the marker).
{
	echo "bench-arm64: arm64 L2 boot to the marker inside one L1 (QEMU aarch64 TCG + EL2, Linux $(cat "$CACHE/kernel-release")),"
	echo "  -m 256M -smp 1, Image + busybox initramfs, append \"$APPEND\""
	echo "  $ROUNDS rounds, order alternating per round; time = VMM start -> MINIVMM-L2-INIT-REACHED on the console (L1 clock)"
	echo
	awk -v rounds="$ROUNDS" -v target="$TARGET" -v why_minivmm="$why_minivmm" '
	function median(list, n,   a, i, j, t) {
		n = split(list, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		if (n == 0) return ""
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	/^L2 [^ ]+ end / {
		split($2, nr, "/"); c = nr[1]; r = nr[2]
		for (i = 4; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if ($4 ~ /^exit=(timeout|stopped)/) f["exit"] = substr($4, 6) " " $5
		mk[c, r] = f["marker_ms"]; ex[c, r] = f["exit"]; wall[c, r] = f["ms"]
		if (f["marker_ms"] ~ /^[0-9]+$/) times[c] = times[c] " " f["marker_ms"]
		else if (!(c in why)) why[c] = "run " r ": exit=" f["exit"] (last[c, r] != "" ? ": " last[c, r] : "")
		if (f["exit"] == "0") exits[c] = exits[c] " " f["ms"]
		next
	}
	/^L2 [^ ]+ [|!] / { n = $2; sub(/^L2 [^ ]+ [|!] /, ""); if ($0 !~ /^ *$/) { split(n, nr, "/"); last[nr[1], nr[2]] = $0 } }
	END {
		printf "%-12s", "vmm"; for (r = 1; r <= rounds; r++) printf " %8s", "run" r
		printf " %8s %8s %9s\n", "median", "vs qemu", "exit(med)"
		nc = split("minivmm qemu-virt", cs, " ")
		for (k = 1; k <= nc; k++) med[cs[k]] = median(times[cs[k]])
		for (k = 1; k <= nc; k++) {
			c = cs[k]; printf "%-12s", (c == "minivmm" ? "minivmm" : "QEMU virt")
			for (r = 1; r <= rounds; r++) printf (mk[c, r] ~ /^[0-9]+$/) ? " %7.2fs" : " %8s", (mk[c, r] ~ /^[0-9]+$/) ? mk[c, r] / 1000 : "-"
			if (med[c] != "") {
				printf " %7.2fs", med[c] / 1000
				printf (med["qemu-virt"] != "") ? " %7.2fx" : " %8s", (med["qemu-virt"] != "") ? med[c] / med["qemu-virt"] : "n/a"
				e = median(exits[c]); printf (e != "") ? " %8.2fs\n" : " %9s\n", (e != "") ? e / 1000 : "-"
			} else printf " %8s %8s %9s\n", "n/a", "n/a", "n/a"
			if (c == "minivmm" && why_minivmm != "") print "    (" why_minivmm ")"
			else if (c in why) print "    (" why[c] ")"
		}
		print ""
		if (med["minivmm"] != "" && med["qemu-virt"] != "") {
			ratio = med["minivmm"] / med["qemu-virt"]
			printf "target: minivmm <= %.1fx QEMU -M virt: %s (%.2fx)\n", target, (ratio <= target) ? "met" : "MISSED", ratio
		} else printf "target: minivmm <= %.1fx QEMU -M virt: MISSED (no median for %s)\n", target, (med["minivmm"] == "") ? "minivmm" : "QEMU"
	}' "$work/out"
	echo "exit(med) = VMM start -> VMM exit after the guest's poweroff -f (median of the boots that exited 0)"
	echo "one L1 run, $((t1 - t0)) s wall; $(date -u '+%Y-%m-%d %H:%M UTC')"
} | tee "$RESULT"
[ "${BENCH_ARM64_DISK:-1}" = 1 ] && disk_bench
exit 0
