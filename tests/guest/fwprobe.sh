#!/bin/bash
# The firmware probe (guests/fwprobe.S) on the pc machine: boot it as the
# -bios image under minivmm for several memory configurations and check what
# it read through fw_cfg (port I/O and DMA) and the CMOS against the values
# QEMU's pc machine gives for the same options (written down below).  When
# qemu-system-x86_64 is installed, the same image is also booted under QEMU
# with the same options and the two consoles must be identical, except for
# the "e820 legacy:" lines: the legacy key FW_CFG_E820_TABLE (0x8003) is
# gone from QEMU 7.2 (the guest reads a count of 0 there), minivmm keeps it.
#
#   make && tests/guest/fwprobe.sh          # from the repository root
#
# Environment: MINIVMM (default ./minivmm), FWPROBE (default
# build/guests/fwprobe.bin).  The probe ends by resetting through the
# i8042: minivmm exits with code 4, QEMU (-no-reboot) with 0.
#
# Output: PASS/FAIL/SKIP lines, then "fwprobe: N passed, N failed, N skipped";
# exits 1 if any case failed.
set -u
cd "$(dirname "$0")/../.." || exit 2

MINIVMM=${MINIVMM:-./minivmm}
IMG=${FWPROBE:-build/guests/fwprobe.bin}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-fwprobe.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
TIER_NAME=fwprobe
. tests/verdict.sh # pass, fail, skip, closing

# The lines the probe must print for each configuration, in its order.
# Sources: the README ("The pc machine") and QEMU 7.2's pc machine.
#  - RAM below 4 GiB: all of -m up to 3 GiB, else 3 GiB (max-ram-below-4g
#    lowers it); the rest from 0x100000000.
#  - etc/e820 order as QEMU builds it: KVM's identity map and TSS (4 pages
#    at 0xfeffc000) first, then, on an AMD host, the AMD HyperTransport hole
#    0xfd00000000 to 1 TiB (QEMU >= 7.1 reserves it for AMD vCPUs with 40
#    address bits: qemu64 with KVM takes the host's vendor), then the RAM
#    entries.
#  - the legacy 0x8003 table: the reserved entries only (minivmm).
#  - CMOS: 0x15/0x16 = 640 KiB; 0x17/0x18 = 0x30/0x31 = KiB from 1 MiB,
#    capped at 65535; 0x34/0x35 = (low RAM - 16 MiB) / 64 KiB;
#    0x5b-0x5d = RAM above 4 GiB / 64 KiB; 0x5f = CPUs - 1.
LEGACY_COUNT='e820 legacy: count 2 (key 0x8003; QEMU 7.2 has no such key and reads 0)'
RSV_KVM='00000000feffc000 0000000000004000 2 RESERVED'
RSV_AMD='000000fd00000000 0000000300000000 2 RESERVED'
# expected NAME: the lines below as on an AMD host; elsewhere without the
# HyperTransport hole (one reserved entry fewer in the legacy table).
expected() {
	if grep -q -m1 '^vendor_id.*AuthenticAMD' /proc/cpuinfo; then
		expected_amd "$1"
	else
		expected_amd "$1" | grep -v -F "$RSV_AMD" | sed 's/^e820 legacy: count 2 /e820 legacy: count 1 /'
	fi
}
expected_amd() { # NAME
	case $1 in
	1G | numa-2x512M)
		local cpus=0001 c5f=00
		[ "$1" = numa-2x512M ] && cpus=0004 c5f=03
		cat <<-EOF
			fw_cfg ram size: 0000000040000000
			fw_cfg cpus: $cpus
			e820 port: $RSV_KVM
			e820 port: $RSV_AMD
			e820 port: 0000000000000000 0000000040000000 1 RAM
			$LEGACY_COUNT
			e820 legacy: $RSV_KVM
			e820 legacy: $RSV_AMD
			cmos 15=80 16=02 17=ff 18=ff 30=ff 31=ff 34=00 35=3f 5b=00 5c=00 5d=00 5f=$c5f
			memory map: low RAM end 0000000040000000, high RAM end none
		EOF
		;;
	4G)
		cat <<-EOF
			fw_cfg ram size: 0000000100000000
			fw_cfg cpus: 0001
			e820 port: $RSV_KVM
			e820 port: $RSV_AMD
			e820 port: 0000000000000000 00000000c0000000 1 RAM
			e820 port: 0000000100000000 0000000040000000 1 RAM
			$LEGACY_COUNT
			e820 legacy: $RSV_KVM
			e820 legacy: $RSV_AMD
			cmos 15=80 16=02 17=ff 18=ff 30=ff 31=ff 34=00 35=bf 5b=00 5c=40 5d=00 5f=00
			memory map: low RAM end 00000000c0000000, high RAM end 0000000140000000
		EOF
		;;
	4G-below2G)
		cat <<-EOF
			fw_cfg ram size: 0000000100000000
			fw_cfg cpus: 0001
			e820 port: $RSV_KVM
			e820 port: $RSV_AMD
			e820 port: 0000000000000000 0000000080000000 1 RAM
			e820 port: 0000000100000000 0000000080000000 1 RAM
			$LEGACY_COUNT
			e820 legacy: $RSV_KVM
			e820 legacy: $RSV_AMD
			cmos 15=80 16=02 17=ff 18=ff 30=ff 31=ff 34=00 35=7f 5b=00 5c=80 5d=00 5f=00
			memory map: low RAM end 0000000080000000, high RAM end 0000000180000000
		EOF
		;;
	esac
}
CHECKED='^(fw_cfg ram size|fw_cfg cpus|e820 port|e820 legacy|cmos [0-9a-f]{2}=|memory map)'
VERDICTS='fwcfg-signature fwcfg-dma fwcfg-dma-error fwcfg-cmos ram-size'

# oneline: stdin with newlines shown as " | ".
oneline() { sed ':a;N;$!ba;s/\n/ | /g'; }

case_minivmm() { # NAME ARGS...
	local name=$1 rc v missing=
	shift
	timeout -k 5 60 "$MINIVMM" run -M pc "$@" --bios "$IMG" --debugcon 0x402 \
		--timeout 30 >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
	rc=$?
	if [ "$rc" != 4 ]; then
		fail "fwprobe-$name" "exit code $rc, want 4 (reset through the i8042); stderr: $(head -n 1 "$TMP/$name.err")"
		return
	fi
	if ! grep -qx 'DONE' "$TMP/$name.out"; then
		fail "fwprobe-$name" "no DONE line; last line: '$(tail -n 1 "$TMP/$name.out")'"
		return
	fi
	if grep -q '^FAIL' "$TMP/$name.out"; then
		fail "fwprobe-$name" "the probe says: $(grep '^FAIL' "$TMP/$name.out" | oneline)"
		return
	fi
	for v in $VERDICTS; do
		grep -qx "PASS $v" "$TMP/$name.out" || missing="$missing $v"
	done
	if [ -n "$missing" ]; then
		fail "fwprobe-$name" "no PASS line for:$missing"
		return
	fi
	expected "$name" >"$TMP/$name.want"
	grep -E "$CHECKED" "$TMP/$name.out" >"$TMP/$name.got"
	if ! diff "$TMP/$name.want" "$TMP/$name.got" >"$TMP/$name.diff"; then
		fail "fwprobe-$name" "(< expected, > minivmm) $(grep '^[<>]' "$TMP/$name.diff" | oneline)"
		return
	fi
	# The DMA copy must list the same entries as the port I/O one.
	if ! diff <(sed -n 's/^e820 port: //p' "$TMP/$name.out") \
		<(sed -n 's/^e820 dma: //p' "$TMP/$name.out") >/dev/null; then
		fail "fwprobe-$name" "the 'e820 dma:' lines differ from the 'e820 port:' lines"
		return
	fi
	pass "fwprobe-$name"
}

case_qemu() { # NAME ARGS... (compares with minivmm's console from case_minivmm)
	local name=$1 rc
	shift
	if ! command -v qemu-system-x86_64 >/dev/null; then
		skip "fwprobe-qemu-$name" "qemu-system-x86_64 is not installed"
		return
	fi
	if [ ! -s "$TMP/$name.out" ]; then
		skip "fwprobe-qemu-$name" "minivmm printed nothing to compare with"
		return
	fi
	timeout -k 5 60 qemu-system-x86_64 -accel kvm -M pc "$@" -bios "$IMG" \
		-nodefaults -display none -no-reboot \
		-chardev file,id=dbg,path="$TMP/$name.qemu" \
		-device isa-debugcon,iobase=0x402,chardev=dbg \
		>/dev/null 2>"$TMP/$name.qerr" </dev/null
	rc=$?
	if [ ! -s "$TMP/$name.qemu" ]; then
		skip "fwprobe-qemu-$name" "QEMU with KVM did not run here (exit $rc): $(grep -v warning "$TMP/$name.qerr" | head -n 1)"
		return
	fi
	if [ "$rc" != 0 ]; then
		fail "fwprobe-qemu-$name" "QEMU exit code $rc, want 0 (reset with -no-reboot)"
		return
	fi
	if ! diff <(grep -v '^e820 legacy' "$TMP/$name.out") \
		<(grep -v '^e820 legacy' "$TMP/$name.qemu") >"$TMP/$name.qdiff"; then
		fail "fwprobe-qemu-$name" "(< minivmm, > QEMU) $(grep '^[<>]' "$TMP/$name.qdiff" | oneline)"
		return
	fi
	pass "fwprobe-qemu-$name"
}

if [ ! -e /dev/kvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	skip fwprobe "/dev/kvm is not usable here"
elif [ ! -x "$MINIVMM" ] || [ ! -f "$IMG" ]; then
	fail fwprobe "$MINIVMM or $IMG is missing (run make first)"
else
	while read -r name args; do
		[ -z "$name" ] && continue
		# shellcheck disable=SC2086
		case_minivmm "$name" $args
		# shellcheck disable=SC2086
		case_qemu "$name" $args
	done <<'CASES'
1G              -m 1G
4G              -m 4G
4G-below2G      -m 4G -M pc,max-ram-below-4g=2G
numa-2x512M     -m 1G -smp 4 -object memory-backend-ram,id=mem0,size=512M -object memory-backend-ram,id=mem1,size=512M -numa node,memdev=mem0,cpus=0-1,nodeid=0 -numa node,memdev=mem1,cpus=2-3,nodeid=1
CASES
fi

closing
