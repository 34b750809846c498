#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make bench: minivmm side by side with the raw KVM floor and with QEMU, in
# one run, interleaved; prints one table and keeps it in bench/out/latest.txt.
# See bench/README.md for what each row means.
#
# Knobs (environment):
#   BENCH_START_RUNS  runs per contender for row (a)        (default 60)
#   BENCH_PIO_RUNS    runs per contender for row (b)        (default 9)
#   BENCH_MEM_MIB     guest RAM in MiB, the same for all    (default 1)
#   BENCH_NO_QEMU=1   leave QEMU out
#   BENCH_MINIVMM     the minivmm binary to measure         (default ./minivmm)
#   BUILD             build directory                       (default build)
set -u

cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
START_RUNS=${BENCH_START_RUNS:-60}
PIO_RUNS=${BENCH_PIO_RUNS:-9}
MEM_MIB=${BENCH_MEM_MIB:-1}
OUT=bench/out
mkdir -p "$OUT"
LOG=$OUT/logs
mkdir -p "$LOG"

PIO_OUTS=200000 # what guests/bench_out.S does
QEMU_FW_KIB=64  # the benchmark BIOS image QEMU holds in guest memory

# Targets (issue: "make bench ... prints a table").
TARGET_START=1.30    # minivmm start->HLT <= 1.3 x raw
TARGET_PIO=0.95      # minivmm exits/s >= 0.95 x raw
TARGET_RSS_KIB=2048  # minivmm RSS beyond guest RAM touched <= 2 MiB

note() { printf '%s\n' "$*" >&2; }

# --- build the helpers (works with or without the include in Makefile) ----
if grep -q '^-include bench/bench.mk' Makefile; then
	make -s bench-tools || exit 2
else
	make -s -f Makefile -f bench/bench.mk bench-tools || exit 2
fi
SPAWN=$BUILD/bench/spawn_time
RAW=$BUILD/bench/raw_kvm
HLT=$BUILD/guests/bench_hlt.bin
OUTS=$BUILD/guests/bench_out.bin
QBIOS=$BUILD/guests/bench_qemu_bios.bin
QOUTS=$BUILD/guests/bench_qemu_out.bin

# --- which contenders can run here ----------------------------------------
if ! "$RAW" -m "$MEM_MIB" "$HLT" 2>"$LOG/raw.probe"; then
	note "bench: the raw KVM program cannot run here: $(cat "$LOG/raw.probe")"
	exit 1
fi

MINIVMM=${BENCH_MINIVMM:-./minivmm}
MINIVMM_ARGS=(run -m "${MEM_MIB}M")
have_minivmm=1
why_no_minivmm=""
if [ ! -x "$MINIVMM" ]; then
	have_minivmm=0
	why_no_minivmm="not built"
elif ! timeout 20 "$MINIVMM" "${MINIVMM_ARGS[@]}" "$HLT" >/dev/null 2>"$LOG/minivmm.probe"; then
	have_minivmm=0
	why_no_minivmm="probe run failed: $(head -c 200 "$LOG/minivmm.probe" | tr '\n' ' ')"
fi

QEMU_BIN=$(command -v qemu-system-x86_64 || true)
# shellcheck disable=SC2054 # the commas belong to QEMU options
QEMU_COMMON=(-accel kvm -m "$MEM_MIB" -display none -nodefaults -no-user-config
	-device isa-debug-exit,iobase=0xf4,iosize=1)
# microvm stripped of every optional device, and the classic pc machine;
# the faster of the two (by median) is the QEMU column.
# shellcheck disable=SC2054
QEMU_MICROVM=(-M microvm,x-option-roms=off,pit=off,pic=off,rtc=off,isa-serial=off,acpi=off)
QEMU_PC=(-M pc)
have_qemu=1
why_no_qemu=""
if [ -n "${BENCH_NO_QEMU:-}" ]; then
	have_qemu=0
	why_no_qemu="BENCH_NO_QEMU set"
elif [ -z "$QEMU_BIN" ]; then
	have_qemu=0
	why_no_qemu="qemu-system-x86_64 not installed"
else
	timeout 20 "$QEMU_BIN" "${QEMU_COMMON[@]}" "${QEMU_MICROVM[@]}" -bios "$QBIOS" \
		2>"$LOG/qemu.probe"
	rc=$?
	if [ "$rc" != 3 ]; then
		have_qemu=0
		why_no_qemu="probe exit $rc: $(head -c 200 "$LOG/qemu.probe" | tr '\n' ' ')"
	fi
fi

# --- guest RAM touched ------------------------------------------------------
# The raw program counts, with mincore(), the guest RAM pages resident at
# HLT: the image page(s) it loaded plus whatever the guest wrote.  Both
# monitors run the same guest, so that is the guest's share of their RSS.
"$RAW" -m "$MEM_MIB" -v "$HLT" 2>"$LOG/raw.touched" || exit 1
pages=$(awk '/^guest_pages_resident/ {print $2}' "$LOG/raw.touched")
psize=$(awk '/^page_size/ {print $2}' "$LOG/raw.touched")
TOUCHED_KIB=$((pages * psize / 1024))

# --- (a) process start -> HLT, and peak RSS ---------------------------------
set -- raw 0 "$RAW" -m "$MEM_MIB" "$HLT"
[ $have_minivmm = 1 ] && set -- "$@" :: minivmm 0 "$MINIVMM" "${MINIVMM_ARGS[@]}" "$HLT"
if [ $have_qemu = 1 ]; then
	set -- "$@" :: qemu_microvm 3 "$QEMU_BIN" "${QEMU_COMMON[@]}" "${QEMU_MICROVM[@]}" -bios "$QBIOS"
	set -- "$@" :: qemu_pc 3 "$QEMU_BIN" "${QEMU_COMMON[@]}" "${QEMU_PC[@]}" -bios "$QBIOS"
fi
note "bench: (a) start->HLT, $START_RUNS interleaved runs each..."
"$SPAWN" -r -n "$START_RUNS" -w 2 -t 30 -l "$LOG" "$@" >"$OUT/start.txt"
start_rc=$?

# field CONTENDER KEY FILE -> value or empty
field() {
	awk -v n="$1" -v k="$2" '$1 == n {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$3"
}

raw_start=$(field raw median_us "$OUT/start.txt")
vmm_start=$(field minivmm median_us "$OUT/start.txt")
raw_rss=$(field raw rss_kib_median "$OUT/start.txt")
vmm_rss=$(field minivmm rss_kib_median "$OUT/start.txt")

QEMU_MACHINE=""
qemu_start=""
qemu_rss=""
if [ $have_qemu = 1 ]; then
	qm=$(field qemu_microvm median_us "$OUT/start.txt")
	qp=$(field qemu_pc median_us "$OUT/start.txt")
	if [ -n "$qm" ] && { [ -z "$qp" ] || [ "$qm" -le "$qp" ]; }; then
		QEMU_MACHINE=microvm
		qemu_start=$qm
		qemu_rss=$(field qemu_microvm rss_kib_median "$OUT/start.txt")
		QEMU_SEL=("${QEMU_MICROVM[@]}")
	elif [ -n "$qp" ]; then
		QEMU_MACHINE=pc
		qemu_start=$qp
		qemu_rss=$(field qemu_pc rss_kib_median "$OUT/start.txt")
		QEMU_SEL=("${QEMU_PC[@]}")
	else
		have_qemu=0
		why_no_qemu="every timed run failed (see $LOG/)"
	fi
fi
[ $have_minivmm = 1 ] && [ -z "$vmm_start" ] && {
	have_minivmm=0
	why_no_minivmm="every timed run failed (warm-up stderr in $LOG/minivmm.err)"
}

# --- (b) PIO exit throughput ------------------------------------------------
set -- raw_out 0 "$RAW" -m "$MEM_MIB" "$OUTS"
[ $have_minivmm = 1 ] && set -- "$@" :: minivmm_out 0 "$MINIVMM" "${MINIVMM_ARGS[@]}" "$OUTS"
[ $have_qemu = 1 ] && set -- "$@" :: qemu_out 3 "$QEMU_BIN" "${QEMU_COMMON[@]}" "${QEMU_SEL[@]}" -bios "$QOUTS"
note "bench: (b) $PIO_OUTS PIO exits, $PIO_RUNS interleaved runs each..."
"$SPAWN" -r -n "$PIO_RUNS" -w 0 -t 60 "$@" >"$OUT/pio.txt"
pio_rc=$?

# exits/s = OUTs / (median run time - median start->HLT time of the same
# program): the start-up is taken out so the row measures the exit path.
rate() { # out_median_us start_median_us
	[ -n "$1" ] && [ -n "$2" ] || return
	awk -v o="$1" -v s="$2" -v n="$PIO_OUTS" 'BEGIN { if (o > s) printf "%.0f", n / ((o - s) / 1e6) }'
}
raw_rate=$(rate "$(field raw_out median_us "$OUT/pio.txt")" "$raw_start")
vmm_rate=""
qemu_rate=""
[ $have_minivmm = 1 ] && vmm_rate=$(rate "$(field minivmm_out median_us "$OUT/pio.txt")" "$vmm_start")
[ $have_qemu = 1 ] && qemu_rate=$(rate "$(field qemu_out median_us "$OUT/pio.txt")" "$qemu_start")

# --- (c) RSS beyond guest RAM touched ---------------------------------------
over() { # rss_kib extra_guest_kib
	[ -n "$1" ] && echo $(($1 - TOUCHED_KIB - ${2:-0}))
}
raw_over=$(over "$raw_rss")
vmm_over=$(over "$vmm_rss")
qemu_over=$(over "$qemu_rss" "$QEMU_FW_KIB")

# Cross-check against drift: the median over rounds of the ratio between
# runs of the same round (spawn_time -r lists runs in round order).
paired() { # file nameA nameB subA subB -> median of (B_i - subB) / (A_i - subA) or A_i / B_i
	awk -v a="$2" -v b="$3" -v sa="${4:-}" -v sb="${5:-}" '
	$1 == a && $2 ~ /^seq_us=/ { na = split(substr($2, 8), A, ",") }
	$1 == b && $2 ~ /^seq_us=/ { split(substr($2, 8), B, ",") }
	END {
		n = 0
		for (i = 1; i <= na; i++) {
			if (A[i] <= 0 || B[i] <= 0) continue
			if (sa == "") r[++n] = A[i] / B[i]
			else if (A[i] > sa && B[i] > sb) r[++n] = (B[i] - sb) / (A[i] - sa)
		}
		if (n == 0) exit
		for (i = 2; i <= n; i++) { v = r[i]; for (j = i - 1; j >= 1 && r[j] > v; j--) r[j + 1] = r[j]; r[j + 1] = v }
		printf "%.3f", (r[int((n + 1) / 2)] + r[int(n / 2) + 1]) / 2
	}' "$1"
}
start_paired=""
pio_paired=""
if [ $have_minivmm = 1 ]; then
	start_paired=$(paired "$OUT/start.txt" minivmm raw)
	pio_paired=$(paired "$OUT/pio.txt" minivmm_out raw_out "$vmm_start" "$raw_start")
fi

# --- the table --------------------------------------------------------------
ratio() { # a b -> a/b with 2 decimals, or n/a
	if [ -n "$1" ] && [ -n "$2" ] && [ "$2" != 0 ]; then
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'
	else
		echo "n/a"
	fi
}
verdict() { # value op limit
	[ -n "$1" ] || { echo "n/a"; return; }
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		ok = (op == "<=") ? (v <= l) : (v >= l)
		print ok ? "✓ ok" : "✗ MISS" }'
}
ms() { [ -n "$1" ] && awk -v u="$1" 'BEGIN { printf "%.2f ms", u / 1000 }' || echo "n/a"; }
krate() { [ -n "$1" ] && awk -v r="$1" 'BEGIN { printf "%.1f k/s", r / 1000 }' || echo "n/a"; }
mib() { [ -n "$1" ] && awk -v k="$1" 'BEGIN { printf "%.2f MiB", k / 1024 }' || echo "n/a"; }

# "vs raw" for (a) and (b) is the paired (same-round) median ratio: on this
# noisy machine it is steadier than the ratio of the two medians, which is
# printed below the table as well.
times() { [ -n "$1" ] && awk -v r="$1" 'BEGIN { printf "%.2fx", r }' || echo "n/a"; }

vmm_col() { [ $have_minivmm = 1 ] && "$@" || echo "n/a"; }
qemu_col() { [ $have_qemu = 1 ] && "$@" || echo "n/a"; }

row() { printf '%-18s %-11s %-11s %-11s %-8s %-8s %-14s %s\n' "$@"; }
{
	echo "minivmm bench  $(date -u '+%Y-%m-%d %H:%M UTC')  host $(uname -r), $(nproc) CPUs"
	echo "guest RAM ${MEM_MIB} MiB for every contender; medians of interleaved runs"
	echo
	row "" "minivmm" "raw" "QEMU" "vs raw" "vs QEMU" "target" "met?"
	row "(a) start->HLT" "$(vmm_col ms "$vmm_start")" "$(ms "$raw_start")" \
		"$(qemu_col ms "$qemu_start")" "$(times "$start_paired")" \
		"$(ratio "$vmm_start" "$qemu_start")" "<= 1.30x raw" \
		"$(verdict "$start_paired" "<=" "$TARGET_START")"
	row "(b) PIO exits/s" "$(vmm_col krate "$vmm_rate")" "$(krate "$raw_rate")" \
		"$(qemu_col krate "$qemu_rate")" "$(times "$pio_paired")" \
		"$(ratio "$vmm_rate" "$qemu_rate")" ">= 0.95x raw" \
		"$(verdict "$pio_paired" ">=" "$TARGET_PIO")"
	row "(c) RSS overhead" "$(vmm_col mib "$vmm_over")" "$(mib "$raw_over")" \
		"$(qemu_col mib "$qemu_over")" "$(ratio "$vmm_over" "$raw_over")" \
		"$(ratio "$vmm_over" "$qemu_over")" "<= 2 MiB" \
		"$(verdict "$vmm_over" "<=" "$TARGET_RSS_KIB")"
	echo
	echo "(a) fork -> exit of the whole process, $START_RUNS runs each (+2 warm-up), guests/bench_hlt.S."
	echo "(b) $PIO_OUTS OUTs to unclaimed port 0x80 (guests/bench_out.S), $PIO_RUNS runs each;"
	echo "    exits/s = $PIO_OUTS / (median run - median start->HLT of the same program)."
	echo "(c) peak RSS (wait4 ru_maxrss, median of the (a) runs) minus guest RAM touched"
	echo "    (${TOUCHED_KIB} KiB: pages resident in raw's guest mapping at HLT, by mincore);"
	echo "    QEMU also minus its ${QEMU_FW_KIB} KiB firmware image."
	echo "    peak RSS: minivmm $(vmm_col mib "$vmm_rss"), raw $(mib "$raw_rss"), QEMU $(qemu_col mib "$qemu_rss")."
	echo "vs raw for (a), (b): median over rounds of minivmm/raw within the same round;"
	echo "    ratio of the medians instead: (a) $(ratio "$vmm_start" "$raw_start"), (b) $(ratio "$vmm_rate" "$raw_rate")."
	echo "raw = bench/raw_kvm with KVM_SET_CPUID2 from KVM_GET_SUPPORTED_CPUID (as minivmm), no TSS/identity map."
	if [ $have_qemu = 1 ]; then
		echo "QEMU = $($QEMU_BIN --version | head -1 | sed 's/QEMU emulator version //'), -M $QEMU_MACHINE" \
			"(faster of microvm $(ms "$(field qemu_microvm median_us "$OUT/start.txt")")" \
			"and pc $(ms "$(field qemu_pc median_us "$OUT/start.txt")")), -bios guests/bench_qemu_bios.S."
	else
		echo "QEMU: n/a ($why_no_qemu)"
	fi
	[ $have_minivmm = 1 ] || echo "minivmm: n/a ($why_no_minivmm)"
	echo
	echo "raw data (microseconds, KiB):"
	grep -hv ' seq_us=' "$OUT/start.txt" "$OUT/pio.txt" | sed 's/^/  /'
} | tee "$OUT/latest.txt"

if [ "$start_rc" != 0 ] || [ "$pio_rc" != 0 ]; then
	note "bench: some runs failed (see above; warm-up runs' stderr is in $LOG/)"
	exit 1
fi
exit 0
