#!/usr/bin/env bash
# Linux boot protocol tier: boot guests/tinykernel.S (a bzImage-shaped test
# kernel) with -kernel/-initrd/-append on the pc machine and compare every
# line it reports about what it received: entry state, zero page, command
# line, E820 table, initrd placement and contents.  Then feed the loader
# bad kernels, initrds and options and check that it refuses each cleanly.
#
#   make && tests/guest/linuxboot.sh        # from the repository root
#
# Environment: MINIVMM (default ./minivmm), GUESTS (default build/guests).
#
# Prints one line per case (PASS name / FAIL name: why / SKIP name: why),
# then "linuxboot: N passed, N failed, N skipped"; exits 1 if any failed.

set -u

cd "$(dirname "$0")/../.." || exit 2
MINIVMM=${MINIVMM:-./minivmm}
G=${GUESTS:-build/guests}
KERNEL=$G/tinykernel.bin

WORK=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-linuxboot.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/stdout ERR=$WORK/stderr

rc=-
# pass, fail (with the run's exit code and stderr), skip, closing, kvm_missing
TIER_NAME=linuxboot FAIL_STDERR=$ERR
. tests/verdict.sh

# ready NAME KVM [KERNEL]: may the case run?  KVM is "kvm" when it boots a
# guest or reaches the loader (which runs after /dev/kvm is opened), "-"
# otherwise; KERNEL (default the test kernel) must have been built.
ready() {
	rc=-
	: >"$ERR"
	if [ "$2" = kvm ] && [ -n "$kvm_missing" ]; then
		skip "$1" "$kvm_missing"
		return 1
	fi
	if [ ! -x "$MINIVMM" ] || [ ! -f "${3:-$KERNEL}" ]; then
		fail "$1" "$MINIVMM or ${3:-$KERNEL} is missing (run make first)"
		return 1
	fi
}

# run ARGS...: `minivmm run -M pc ARGS` with both safety bounds.
run() {
	timeout -k 5 30 "$MINIVMM" run -M pc --debugcon 0xe9 --timeout 20 "$@" \
		>"$OUT" 2>"$ERR" </dev/null
	rc=$?
}

# ---------------------------------------------------------------------------
# Inputs.
# ---------------------------------------------------------------------------

# le32 N: four bytes, N little-endian.
le32() {
	printf '%b' "$(printf '\\0%03o' $(($1 & 255)) $(($1 >> 8 & 255)) \
		$(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"
}

# patch FILE OFFSET BYTES...: overwrite bytes of FILE in place (hex values).
patch() {
	local file=$1 off=$2 b s=
	shift 2
	for b in "$@"; do s+=$(printf '\\0%03o' "$((0x$b))"); done
	printf '%b' "$s" | dd of="$file" bs=1 seek="$((off))" conv=notrunc 2>/dev/null
}

# kernel_copy NAME [OFFSET BYTES...]...: a copy of the test kernel with
# header fields changed; each change is "OFFSET:b0,b1,..." (hex bytes).
kernel_copy() { image_copy "$KERNEL" "$@"; }
# image_copy SOURCE NAME [OFFSET BYTES...]...: the same for any file.
image_copy() {
	local f=$WORK/$2 c
	cp "$1" "$f" 2>/dev/null || return
	shift 2
	for c in "$@"; do
		# shellcheck disable=SC2046
		patch "$f" "${c%%:*}" $(tr , ' ' <<<"${c#*:}")
	done
}

# The initrd: "MVMMINIT", random bytes, then the 32-bit sum of all bytes
# before it, little-endian.  Its size is neither a page nor a word multiple.
INITRD=$WORK/initrd.img
INITRD_SIZE=102523
{
	printf MVMMINIT
	head -c $((INITRD_SIZE - 12)) /dev/urandom
} >"$WORK/initrd.body"
sum=$(od -An -v -tu1 "$WORK/initrd.body" |
	awk '{ for (i = 1; i <= NF; i++) s += $i } END { printf "%d", s % 4294967296 }')
{ cat "$WORK/initrd.body"; le32 "$sum"; } >"$INITRD"
INITRD_HEAD=$(head -c 8 "$INITRD" | od -An -tx1 | tr -d ' \n')
INITRD_TAIL=$(tail -c 8 "$INITRD" | od -An -tx1 | tr -d ' \n')

truncate -s 100M "$WORK/initrd-100m"	# sparse: larger than all of -m 64M
truncate -s 63M "$WORK/initrd-63m"	# smaller than RAM, no room above 1 MiB
: >"$WORK/empty"
head -c 600 "$KERNEL" >"$WORK/truncated-600"	# ends inside the header
head -c 1024 "$KERNEL" >"$WORK/setup-only"	# the setup, no kernel part
APPEND_MAX=$(head -c 2048 /dev/zero | tr '\0' k)	# cmdline_size exactly
APPEND_2049=${APPEND_MAX}k
APPEND_3000=$(head -c 3000 /dev/zero | tr '\0' k)

# Header fields of tinykernel (guests/tinykernel.S): version 0x206,
# loadflags 0x211, initrd_addr_max 0x22c, xloadflags 0x236,
# pref_address 0x258, init_size 0x260.
kernel_copy v205 0x206:05,02
kernel_copy v20b 0x206:0b,02			# before 2.12: no 64-bit entry
kernel_copy not-high 0x211:00
kernel_copy no-xlf64 0x236:00,00
kernel_copy addr-max-4g 0x22c:ff,ff,ff,ff
kernel_copy addr-max-low 0x22c:ff,ff,ff,37	# older kernels' 0x37ffffff
kernel_copy init-112m 0x260:00,00,00,07
# Like a real x86-64 bzImage: runs from pref_address 16 MiB (relocatable,
# 2 MiB alignment), needs init_size 48 MiB from there: [16 MiB, 64 MiB).
kernel_copy runtime-16m 0x258:00,00,00,01 0x260:00,00,00,03
# Runtime range [32 MiB, 80 MiB): past the end of -m 64M.
kernel_copy runtime-32m 0x258:00,00,00,02 0x260:00,00,00,03

# ---------------------------------------------------------------------------
# What the test kernel must report.
# ---------------------------------------------------------------------------

# The E820 table each machine size must hand the kernel in the zero page:
# `minivmm memmap -M pc -m SIZE` (under "E820:"), in the same order, with the
# RAM entry at 0 split into RAM below the EBDA, the reserved EBDA and BIOS
# area, RAM from 1 MiB on, and the ACPI tables in the top 128 KiB of low
# RAM.  As the guest prints them: addr size type.
# (Used through namerefs.)
# shellcheck disable=SC2034
E820_64M=(
	"0xfeffc000 0x4000 0x2"
	"0xfd00000000 0x300000000 0x2"
	"0x0 0x9fc00 0x1"
	"0x9fc00 0x400 0x2"
	"0xf0000 0x10000 0x2"
	"0x100000 0x3ee0000 0x1"
	"0x3fe0000 0x20000 0x3"
)
# shellcheck disable=SC2034
E820_1G=(
	"0xfeffc000 0x4000 0x2"
	"0xfd00000000 0x300000000 0x2"
	"0x0 0x9fc00 0x1"
	"0x9fc00 0x400 0x2"
	"0xf0000 0x10000 0x2"
	"0x100000 0x3fee0000 0x1"
	"0x3ffe0000 0x20000 0x3"
)
# shellcheck disable=SC2034
E820_4G=(
	"0xfeffc000 0x4000 0x2"
	"0xfd00000000 0x300000000 0x2"
	"0x0 0x9fc00 0x1"
	"0x9fc00 0x400 0x2"
	"0xf0000 0x10000 0x2"
	"0x100000 0xbfee0000 0x1"
	"0xbffe0000 0x20000 0x3"
	"0x100000000 0x40000000 0x1"
)
# QEMU reserves the HyperTransport hole for AMD vCPUs only, and under KVM the
# vCPUs have the host's vendor: elsewhere the tables above lack it.
if ! grep -q -m1 '^vendor_id.*AuthenticAMD' /proc/cpuinfo; then
	for t in E820_64M E820_1G E820_4G; do
		declare -n tbl=$t
		kept=()
		for e in "${tbl[@]}"; do
			[ "$e" = "0xfd00000000 0x300000000 0x2" ] || kept+=("$e")
		done
		tbl=("${kept[@]}")
		unset -n tbl
	done
fi
# Where the initrd may end for each size: the ACPI tables (128 KiB, E820
# type 3) sit at the top of RAM below 4 GiB (3 GiB for 4G: the PCI hole).
ACPI_SIZE=0x20000
LOW_END_64M=$((0x4000000 - ACPI_SIZE)) LOW_END_1G=$((0x40000000 - ACPI_SIZE))
LOW_END_4G=$((0xc0000000 - ACPI_SIZE))

# want_boot FILE CMDLINE E820NAME [INITRD_ADDR]: write the exact console
# output of a good boot; without INITRD_ADDR the kernel got no initrd.
want_boot() {
	local file=$1 cmdline=$2 addr=${4:-}
	local -n e820=$3
	{
		printf 'PASS %s\n' rsi long-mode interrupts-off cs data-segments \
			type-of-loader zero-page-header kernel-image cmdline-ptr \
			cmdline-length
		printf 'cmdline: %s\n' "$cmdline"
		echo "PASS e820-count"
		printf 'e820: %s\n' "${e820[@]}"
		if [ -z "$addr" ]; then
			echo "initrd: none"
			echo "PASS initrd-none"
		else
			printf 'initrd: %#x %#x\n' "$addr" "$INITRD_SIZE"
			echo "initrd-head: $INITRD_HEAD"
			echo "initrd-tail: $INITRD_TAIL"
			printf 'PASS %s\n' initrd-aligned initrd-clear-of-kernel \
				initrd-below-max initrd-in-ram initrd-magic initrd-sum
		fi
		echo DONE
	} >"$file"
}

# initrd_at TOP: where the initrd goes below TOP (as high as possible,
# page-aligned): TOP = min(initrd_addr_max + 1, end of RAM below 4 GiB).
initrd_at() { echo $((($1 - INITRD_SIZE) & ~0xfff)); }

# compare_boot NAME WANTFILE: exit 4 (reset), the reset message, and stdout
# exactly WANTFILE.  On a mismatch, name the guest's first FAIL line or the
# first line that differs.
compare_boot() {
	local name=$1 want=$2 n got exp
	if [ "$rc" != 4 ]; then
		fail "$name" "exit code $rc, want 4 (reset by the guest)"
		return 1
	fi
	if ! grep -q '^minivmm: reset:' "$ERR"; then
		fail "$name" "no 'minivmm: reset:' line on stderr"
		return 1
	fi
	# The 64-bit path writes the boot-time marker just before DONE.
	if grep -qx DONE "$want" &&
		! grep -q '^minivmm: boot marker 1: [0-9.]* ms after start$' "$ERR"; then
		fail "$name" "no boot-marker line on stderr for the write of 123 to port 0x3f0"
		return 1
	fi
	if cmp -s "$want" "$OUT"; then
		return 0
	fi
	got=$(grep -m 1 '^FAIL ' "$OUT")
	if [ -n "$got" ]; then
		fail "$name" "guest reports '$got'"
		return 1
	fi
	n=$(cmp "$want" "$OUT" 2>/dev/null | sed -n 's/.* line \([0-9]*\)$/\1/p')
	if [ -z "$n" ]; then # one is a prefix of the other
		n=$(($(wc -l <"$OUT") + 1))
		[ "$(wc -l <"$OUT")" -gt "$(wc -l <"$want")" ] &&
			n=$(($(wc -l <"$want") + 1))
	fi
	got=$(sed -n "${n}p" "$OUT" | head -c 120)
	exp=$(sed -n "${n}p" "$want" | head -c 120)
	fail "$name" "console line $n is '${got:-<none>}', want '${exp:-<none>}'"
	return 1
}

# boot NAME CMDLINE E820NAME INITRD_ADDR -- ARGS...: a good boot.  CMDLINE is
# what -append passes (the guest echoes it), INITRD_ADDR "-" for none.
boot() {
	local name=$1 cmdline=$2 e820=$3 addr=$4
	shift 5
	ready "$name" kvm || return
	[ "$addr" = - ] && addr=
	want_boot "$WORK/want" "$cmdline" "$e820" "$addr"
	run "$@"
	compare_boot "$name" "$WORK/want" && pass "$name"
}

# refuse NAME KVM SUBSTR -- ARGS...: exit 2, nothing on stdout, exactly one
# stderr line, starting "minivmm: " and containing SUBSTR.
refuse() {
	local name=$1 kvm=$2 sub=$3 lines
	shift 4
	ready "$name" "$kvm" || return
	run "$@"
	if [ "$rc" != 2 ]; then
		fail "$name" "exit code $rc, want 2"
		return
	fi
	if [ -s "$OUT" ]; then
		fail "$name" "stdout is not empty: '$(head -c 80 "$OUT")'"
		return
	fi
	lines=$(wc -l <"$ERR")
	if [ "$lines" -ne 1 ] || ! grep -q '^minivmm: ' "$ERR"; then
		fail "$name" "want one stderr line starting 'minivmm: ', got $lines"
		return
	fi
	if ! grep -qF -- "$sub" "$ERR"; then
		fail "$name" "stderr lacks '$sub'"
		return
	fi
	pass "$name"
}

# memmap_e820 ARGS...: the E820 list of `minivmm memmap -M pc ARGS`, in its
# order, one "START SIZE TYPE" line an entry: START and SIZE in decimal,
# TYPE the E820 type number (1 RAM ... 5 UNUSABLE; "unknown" for others).
memmap_e820() {
	local start end type
	"$MINIVMM" memmap -M pc "$@" 2>/dev/null |
		sed -n '/^E820:/,/^$/s/^ *[0-9]*: 0x\([0-9a-f]*\)-0x\([0-9a-f]*\) *\([A-Z]*\).*/\1 \2 \3/p' |
		while read -r start end type; do
			case $type in
			RAM) type=1 ;; RESERVED) type=2 ;; ACPI) type=3 ;;
			NVS) type=4 ;; UNUSABLE) type=5 ;; *) type=unknown ;;
			esac
			echo "$((0x$start)) $((0x$end - 0x$start + 1)) $type"
		done
}

# e820_from_memmap SIZE: the zero-page E820 derived from `minivmm memmap`
# (same order; RAM at 0 split as kernel_boot_e820() documents).
e820_from_memmap() {
	local start size type
	memmap_e820 -m "$1" |
		while read -r start size type; do
			if [ "$type" = 1 ] && [ "$start" = 0 ] && [ "$size" -gt $((0x100000)) ]; then
				echo "0x0 0x9fc00 0x1"
				echo "0x9fc00 0x400 0x2"
				echo "0xf0000 0x10000 0x2"
				printf '0x100000 %#x 0x1\n' $((size - 0x100000 - ACPI_SIZE))
				printf '%#x %#x 0x3\n' $((size - ACPI_SIZE)) $((ACPI_SIZE))
			else
				printf '%#x %#x %#x\n' "$start" "$size" "$type" |
					sed 's/^0 /0x0 /'
			fi
		done
}

# memmap_agrees NAME SIZE E820NAME: the expected list in this script is what
# `minivmm memmap` implies (catches a stale list after a layout change).
memmap_agrees() {
	local name=$1 size=$2
	local -n list=$3
	ready "$name" - || return
	rc=0
	printf '%s\n' "${list[@]}" >"$WORK/want"
	e820_from_memmap "$size" >"$WORK/got"
	if ! cmp -s "$WORK/want" "$WORK/got"; then
		fail "$name" "memmap -m $size implies '$(tr '\n' ';' <"$WORK/got")'"
		return
	fi
	pass "$name"
}

# ---------------------------------------------------------------------------
# The cases.
# ---------------------------------------------------------------------------

CMD="console=ttyS0 minivmm-test=1"

memmap_agrees e820-list-64m 64M E820_64M
memmap_agrees e820-list-1g 1G E820_1G
memmap_agrees e820-list-4g 4G E820_4G

# Good boots: every line of the report must match.  initrd_addr_max of the
# test kernel is 0x7fffffff, so the initrd ends at most at 2 GiB.
boot boot-64m "$CMD" E820_64M "$(initrd_at $LOW_END_64M)" -- \
	-m 64M -kernel "$KERNEL" -initrd "$INITRD" -append "$CMD"
boot boot-4g "minivmm-test=4g" E820_4G "$(initrd_at 0x80000000)" -- \
	-m 4G -kernel "$KERNEL" -initrd "$INITRD" -append "minivmm-test=4g"
boot boot-1g-smp2 "$CMD smp=2" E820_1G "$(initrd_at $LOW_END_1G)" -- \
	-m 1G -smp 2 -kernel "$KERNEL" -initrd "$INITRD" -append "$CMD smp=2"
boot boot-no-initrd "" E820_64M - -- -m 64M -kernel "$KERNEL"

# An ELF kernel with a Xen PVH note (guests/tinypvh.S): entered in 32-bit
# protected mode with EBX = hvm_start_info; it checks the start info, the
# memory map, the module list (the initrd) and the command line.
pvh_boot() {
	ready pvh-boot kvm "$G/tinypvh.bin" || return
	run -M pc -m 64M -kernel "$G/tinypvh.bin" -initrd "$INITRD" \
		-append "pvh test" -serial none
	if [ "$rc" = 4 ] && ! grep -q '^FAIL' "$OUT" &&
		grep -qx DONE "$OUT" && grep -qx 'modules: 1' "$OUT" &&
		[ "$(grep -c '^PASS ' "$OUT")" -ge 4 ]; then
		pass pvh-boot
	else
		fail pvh-boot "want exit 4, four PASS lines, 'modules: 1', DONE; got '$(grep -m1 '^FAIL' "$OUT")'"
	fi
}
pvh_boot
boot append-max "$APPEND_MAX" E820_64M - -- \
	-m 64M -kernel "$KERNEL" -append "$APPEND_MAX"
# initrd_addr_max 0xffffffff: the end of RAM below 4 GiB (3 GiB) decides.
boot initrd-addr-max-4g "" E820_4G "$(initrd_at $LOW_END_4G)" -- \
	-m 4G -kernel "$WORK/addr-max-4g" -initrd "$INITRD"
# initrd_addr_max 0x37ffffff: below 896 MiB although RAM goes to 1 GiB.
boot initrd-addr-max-low "" E820_1G "$(initrd_at 0x38000000)" -- \
	-m 1G -kernel "$WORK/addr-max-low" -initrd "$INITRD"

# No 64-bit entry: the loader must use code32_start in protected mode.
for k in no-xlf64 v20b; do
	name=entry32-$k
	if ready "$name" kvm; then
		echo "entry32: at code32_start, ESI 0x7000, CS 0x10" >"$WORK/want"
		run -m 64M -kernel "$WORK/$k"
		compare_boot "$name" "$WORK/want" && pass "$name"
	fi
done

# A kernel that runs from pref_address 16 MiB with init_size 48 MiB uses
# [16 MiB, 64 MiB) before it looks at the E820 map (boot.rst, init_size).
# The initrd must stay clear of that range: refused (exit 2) or placed
# elsewhere, and the guest's initrd-clear-of-kernel check passes.
name=initrd-clear-of-runtime-range
if ready "$name" kvm; then
	run -m 64M -kernel "$WORK/runtime-16m" -initrd "$INITRD"
	if [ "$rc" = 2 ] && [ "$(wc -l <"$ERR")" -eq 1 ]; then
		pass "$name"
	elif [ "$rc" = 4 ] && grep -qx DONE "$OUT" && ! grep -q '^FAIL' "$OUT"; then
		pass "$name"
	else
		fail "$name" "want a refusal or a clean boot, guest says '$(grep -m 1 '^FAIL' "$OUT")'"
	fi
fi
# Same shape, runtime range [32 MiB, 80 MiB): cannot fit in 64 MiB at all.
refuse runtime-range-beyond-ram kvm "-kernel" -- -m 64M -kernel "$WORK/runtime-32m"

# Host-side decompression (--decompress=host, the default): a bzImage whose
# payload is a compressed ELF (guests/tinyvmlinux.S, wrapped by guests.mk as
# tinykernel-FORMAT.bin) is unpacked by minivmm and entered at the ELF's
# 64-bit entry; the guest checks its entry state and prints the command
# line.  The result lands in the kernel cache and the next boot uses it.
CACHE=$WORK/kcache
# unpacked NAME WANT_LOG ARGS...: boots to the tinyvmlinux report, -v says WANT_LOG.
unpacked() {
	local name=$1 want=$2
	shift 2
	ready "$name" kvm || return
	run -m 64M -append "unpack $name" -serial none -v "$@"
	if [ "$rc" != 4 ]; then
		fail "$name" "exit code $rc, want 4 (reset by the guest)"
	elif ! grep -qx 'vmlinux: PASS entry-state' "$OUT" ||
		! grep -qx "vmlinux: cmdline: unpack $name" "$OUT"; then
		fail "$name" "guest says '$(grep -m 1 '^vmlinux: \(FAIL\|cmdline\)' "$OUT")', want PASS and the command line"
	elif ! grep -q "$want" "$ERR"; then
		fail "$name" "stderr lacks '$want'"
	else
		pass "$name"
	fi
}
for f in xz gzip zstd; do
	unpacked "unpack-$f" "$f vmlinux (4968 bytes) decompressed on the host" \
		-kernel "$G/tinykernel-$f.bin" --kernel-cache="$CACHE"
done
unpacked unpack-from-cache "xz vmlinux (4968 bytes) from the kernel cache" \
	-kernel "$G/tinykernel-xz.bin" --kernel-cache="$CACHE"
name=unpack-cache-entries
# The cache is filled by the boots above: they need KVM.
if ready "$name" kvm; then
	n=$(find "$CACHE" -name 'vmlinux-*' -size 4968c | wc -l)
	leftovers=$(find "$CACHE" -name '*.tmp' | wc -l)
	if [ "$n" = 3 ] && [ "$leftovers" = 0 ]; then
		pass "$name"
	else
		fail "$name" "$n cache entries of 4968 bytes (want 3), $leftovers temporary files"
	fi
fi
# --kernel-cache=off: decompressed every time, nothing written.
unpacked unpack-cache-off "xz vmlinux (4968 bytes) decompressed on the host" \
	-kernel "$G/tinykernel-xz.bin" --kernel-cache=off
# The default place: $XDG_CACHE_HOME/minivmm.
name=unpack-cache-xdg
if ready "$name" kvm; then
	XDG_CACHE_HOME=$WORK/xdg run -m 64M -serial none \
		-kernel "$G/tinykernel-gzip.bin"
	if [ "$rc" = 4 ] && [ -n "$(find "$WORK/xdg/minivmm" -name 'vmlinux-*' 2>/dev/null)" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc; no entry in \$XDG_CACHE_HOME/minivmm"
	fi
fi
# --decompress=guest: the bzImage's own code runs (tinykernel's report).
name=unpack-decompress-guest
if ready "$name" kvm; then
	run -m 64M -serial none -kernel "$G/tinykernel-xz.bin" --decompress=guest
	if [ "$rc" = 4 ] && grep -qx DONE "$OUT" && ! grep -q '^vmlinux:' "$OUT"; then
		pass "$name"
	else
		fail "$name" "exit $rc; want tinykernel's DONE and no vmlinux lines"
	fi
fi
# A corrupt payload (one byte of the compressed stream flipped) or a
# corrupt cache entry: the bzImage boots as it is, decompressing in the guest.
cp "$G/tinykernel-xz.bin" "$WORK/corrupt-xz"
off=$(( $(od -An -tu4 -j $((0x248)) -N4 "$WORK/corrupt-xz") + 1024 + 64 ))
printf '\377' | dd of="$WORK/corrupt-xz" bs=1 seek=$off conv=notrunc 2>/dev/null
name=unpack-corrupt-payload
if ready "$name" kvm; then
	run -m 64M -serial none -v -kernel "$WORK/corrupt-xz" --kernel-cache=off
	if [ "$rc" = 4 ] && grep -qx DONE "$OUT" &&
		grep -q 'decompressing in the guest: xz payload: corrupt data' "$ERR"; then
		pass "$name"
	else
		fail "$name" "exit $rc; want tinykernel's DONE and 'decompressing in the guest: xz payload: corrupt data'"
	fi
fi
name=unpack-corrupt-cache-entry
if ready "$name" kvm; then
	entry=$(find "$CACHE" -name 'vmlinux-*' | head -n 1)
	head -c 4968 /dev/zero >"$entry"
	for f in xz gzip zstd; do
		run -m 64M -serial none -v -kernel "$G/tinykernel-$f.bin" \
			--kernel-cache="$CACHE"
		grep -q 'decompressing again' "$ERR" && break
	done
	if [ "$rc" = 4 ] && grep -qx 'vmlinux: PASS entry-state' "$OUT" &&
		grep -q 'no ELF magic; decompressing again' "$ERR"; then
		pass "$name"
	else
		fail "$name" "exit $rc; want the entry refused ('no ELF magic; decompressing again') and a good boot"
	fi
fi

# Bad kernels.
refuse kernel-missing kvm "-kernel $WORK/no-such-kernel: No such file or directory" -- \
	-m 64M -kernel "$WORK/no-such-kernel"
refuse kernel-directory kvm "not a regular file" -- -m 64M -kernel "$WORK"
refuse kernel-empty kvm "file is empty" -- -m 64M -kernel "$WORK/empty"
refuse kernel-flat-image kvm "hello.bin: not a kernel minivmm boots" -- \
	-m 64M -kernel "$G/hello.bin"
refuse kernel-no-boot-flag kvm "not a kernel minivmm boots: no Linux boot header (\"HdrS\" at 0x202), no multiboot header in the first 8 KiB, not an ELF" -- \
	-m 64M -kernel "$G/longmode.bin"
refuse kernel-truncated kvm "600 bytes is too short for a Linux kernel" -- \
	-m 64M -kernel "$WORK/truncated-600"
refuse kernel-setup-only kvm "truncated: 1 setup sectors but only 1024 bytes" -- \
	-m 64M -kernel "$WORK/setup-only"
refuse kernel-protocol-2.05 kvm "boot protocol 2.05 is too old" -- \
	-m 64M -kernel "$WORK/v205"
refuse kernel-not-loaded-high kvm "zImage loaded low" -- -m 64M -kernel "$WORK/not-high"
refuse kernel-init-size-beyond-ram kvm "needs RAM up to 0x7200000 (0x7000000 bytes from its runtime start 0x200000) but RAM below 4 GiB ends at 0x4000000" -- \
	-m 64M -kernel "$WORK/init-112m"

# Bad initrds.
refuse initrd-missing kvm "-initrd $WORK/no-such-initrd: No such file or directory" -- \
	-m 64M -kernel "$KERNEL" -initrd "$WORK/no-such-initrd"
refuse initrd-larger-than-ram kvm "-initrd $WORK/initrd-100m: 104857600 bytes" -- \
	-m 64M -kernel "$KERNEL" -initrd "$WORK/initrd-100m"
refuse initrd-no-room kvm "do not fit between the kernel" -- \
	-m 64M -kernel "$KERNEL" -initrd "$WORK/initrd-63m"

# Bad command lines and option combinations.
refuse append-too-long kvm "-append: 3000 bytes, the kernel takes at most 2048" -- \
	-m 64M -kernel "$KERNEL" -append "$APPEND_3000"
refuse append-one-over kvm "-append: 2049 bytes, the kernel takes at most 2048" -- \
	-m 64M -kernel "$KERNEL" -append "$APPEND_2049"
refuse initrd-without-kernel - "-initrd and -append need -kernel" -- \
	-m 64M -initrd "$INITRD"
refuse append-without-kernel - "-initrd and -append need -kernel" -- \
	-m 64M -append "$CMD"
refuse kernel-with-bios - "-kernel boots Linux directly, without firmware: drop --bios" -- \
	-m 64M -kernel "$KERNEL" --bios "$KERNEL"

# ---------------------------------------------------------------------------
# Multiboot v1 (guests/multiboot.S): the ELF32 kernel at 1 MiB entered
# through its virtual e_entry made physical, and the a.out-kludge one at
# 64 KiB.  Each checks its entry state and information structure and
# prints the command line, loader name, memory map and modules; the memory
# map must be the E820 table `minivmm memmap` gives the kernel, and the
# layout after the kernel QEMU's (module list, strings, then page-aligned
# modules).
# ---------------------------------------------------------------------------
MB_ELF=$G/multiboot.bin MB_AOUT=$G/multiboot-aout.bin
printf 'first-module\n' >"$WORK/mod1"
printf 'second-module\n' >"$WORK/mod,2"

# mb_mmap_want SIZE: the "mmap:" lines for `minivmm memmap -m SIZE -kernel`.
mb_mmap_want() {
	local start size type
	memmap_e820 -m "$1" -kernel "$MB_ELF" |
		while read -r start size type; do
			printf 'mmap: 0x%016x 0x%016x %s\n' "$start" "$size" "$type"
		done
}

# mb_boot NAME KERNEL SIZE MEM_UPPER "CMDLINE" "MODULE LINES" ARGS...: boot
# it with -m SIZE and ARGS; every line of its report must be as given.
mb_boot() {
	local name=$1 k=$2 size=$3 upper=$4 cmdline=$5 mods=$6 n
	shift 6
	ready "$name" kvm "$k" || return
	run -m "$size" -kernel "$k" -serial none "$@"
	n=$(grep -c '^module: ' <<<"$mods")
	{
		printf '%s\n' "PASS entry" "PASS info" "PASS bss" "cmdline: $cmdline" "loader: minivmm" \
			"mem_upper: $upper"
		mb_mmap_want "$size"
		echo "PASS mmap"
		echo "modules: $n"
		[ -n "$mods" ] && printf '%s\n' "$mods"
		printf '%s\n' "PASS modules" DONE
	} >"$WORK/want"
	if [ "$rc" != 4 ]; then
		fail "$name" "exit code $rc, want 4 (reset by the guest)"
	elif ! diff -u "$WORK/want" "$OUT" >"$WORK/diff"; then
		fail "$name" "report differs: $(grep '^[-+][^-+]' "$WORK/diff" | head -4 | paste -sd'|')"
	else
		pass "$name" "$(grep -c '^mmap: ' "$OUT") mmap records, $n module(s)"
	fi
}

# The kernel ends at 0x201000 (its bss at 2 MiB): the module list and the
# strings take the next page, the modules the pages after it.
mb_boot multiboot-elf "$MB_ELF" 64M 64512 "$MB_ELF hello world" \
"module: 00202000 0020200d $WORK/mod1 arg1 arg2
module-text: first-module
module: 00203000 0020300e $WORK/mod,2
module-text: second-module" \
	-initrd "$WORK/mod1 arg1 arg2,$WORK/mod,,2" -append "hello world"
# QEMU's command line for an empty -append: the file name and a space.
mb_boot multiboot-aout-low "$MB_AOUT" 64M 64512 "$MB_AOUT " ""
# A kernel whose bss covers 0x9000 (0x8000-0x9540): the information moves
# to the page after its strings (0xb000), the module after that.
mb_boot multiboot-info-moved "$G/multiboot-low.bin" 64M 64512 "$G/multiboot-low.bin " \
"module: 0000c000 0000c00d $WORK/mod1
module-text: first-module" \
	-initrd "$WORK/mod1"
# mem_upper runs to the end of RAM below 4 GiB (3 GiB of 4).
mb_boot multiboot-4g "$MB_AOUT" 4G 3144704 "$MB_AOUT x" \
"module: 00013000 0001300d $WORK/mod1
module-text: first-module" \
	-initrd "$WORK/mod1" -append x

# mb_aout NAME HEADER LOAD LOAD_END BSS_END ENTRY [FLAGS]: a copy of the
# a.out kernel with other header fields (FLAGS: the checksum follows).
mb_aout() {
	local name=$1 flags=${7:-0x00010003} v off=12 hex
	hex() { printf '%02x,%02x,%02x,%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
	local changes=("4:$(hex "$flags")" "8:$(hex $(((-0x1badb002 - flags) & 0xffffffff)))")
	for v in "$2" "$3" "$4" "$5" "$6"; do
		changes+=("$off:$(hex "$v")")
		off=$((off + 4))
	done
	image_copy "$MB_AOUT" "$name" "${changes[@]}"
}
# The good one: header 0x10000, load 0x10000-0x10540, bss to 0x11540, entry 0x10020.
mb_aout mb-unknown-flag 0x10000 0x10000 0x10540 0x11540 0x10020 0x00010013
mb_aout mb-header-below-load 0x10000 0x10004 0x10540 0x11540 0x10020
mb_aout mb-load-end-past-file 0x10000 0x10000 0x10600 0x11600 0x10020
mb_aout mb-bss-below-load-end 0x10000 0x10000 0x10540 0x10500 0x10020
mb_aout mb-entry-outside 0x10000 0x10000 0x10540 0x11540 0x10600
mb_aout mb-in-ebda 0x9f800 0x9f800 0x9fd40 0xa0d40 0x9f820
mb_aout mb-above-ram 0x8000000 0x8000000 0x8000540 0x8001540 0x8000020
image_copy "$MB_AOUT" mb-bad-checksum 8:00,00,00,00
refuse multiboot-unknown-flag kvm "requires features 0x10 that no loader knows" -- \
	-m 64M -kernel "$WORK/mb-unknown-flag"
refuse multiboot-header-below-load kvm "header_addr 0x10000 does not fit load_addr 0x10004" -- \
	-m 64M -kernel "$WORK/mb-header-below-load"
refuse multiboot-load-end-past-file kvm "load_end_addr 0x10600 asks for 0x600 bytes; the file has 0x550" -- \
	-m 64M -kernel "$WORK/mb-load-end-past-file"
refuse multiboot-bss-below-load-end kvm "bss_end_addr 0x10500 is below the end of the loaded bytes 0x10540" -- \
	-m 64M -kernel "$WORK/mb-bss-below-load-end"
refuse multiboot-entry-outside kvm "entry_addr 0x10600 is outside the loaded bytes 0x10000-0x10540" -- \
	-m 64M -kernel "$WORK/mb-entry-outside"
refuse multiboot-in-ebda kvm "segment 0x9f800-0xa0d40 is not in RAM" -- \
	-m 64M -kernel "$WORK/mb-in-ebda"
refuse multiboot-above-ram kvm "segment 0x8000000-0x8001540 is not in RAM (see \`minivmm memmap\`); give more memory" -- \
	-m 64M -kernel "$WORK/mb-above-ram"
# A magic whose checksum does not match is no header (as QEMU): then the
# file is not a kernel of any kind minivmm boots.
refuse multiboot-bad-checksum kvm "-kernel $WORK/mb-bad-checksum: not a kernel minivmm boots" -- \
	-m 64M -kernel "$WORK/mb-bad-checksum"
refuse multiboot-module-missing kvm "-initrd $WORK/no-such-module: No such file or directory" -- \
	-m 64M -kernel "$MB_ELF" -initrd "$WORK/mod1,$WORK/no-such-module args"
refuse multiboot-module-no-name kvm "-initrd: module 2 has no file name" -- \
	-m 64M -kernel "$MB_ELF" -initrd "$WORK/mod1, args"
refuse multiboot-modules-no-room kvm "the command lines and 1 module(s) need 0x201000-0x4102000 after the kernel; that is not all RAM; give more memory" -- \
	-m 64M -kernel "$MB_ELF" -initrd "$WORK/initrd-63m"

closing
