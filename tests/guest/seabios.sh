#!/bin/bash
# SeaBIOS on the pc machine: boot the Debian SeaBIOS image under minivmm for
# several memory configurations and compare the E820 map it prints (its log
# goes to port 0x402) with the map the same SeaBIOS prints under QEMU 7.2 for
# the same options (tests/guest/seabios-e820/*.txt, recorded from QEMU).
# When qemu-system-x86_64 is installed, each configuration is also booted
# under QEMU right now and the two maps are compared live.
#
# SeaBIOS runs with -boot reboot-timeout=0: it finds no boot device, asks
# for a reset, and minivmm ends with exit code 4.  Each boot takes a few
# seconds of emulated firmware on a PVM host; each run is bounded.
#
# Output: PASS/FAIL/SKIP lines, then "seabios: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."

BIOS=/usr/share/seabios/bios-256k.bin
MINIVMM=${MINIVMM:-./minivmm}
DIR=tests/guest/seabios-e820
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
TIER_NAME=seabios
. tests/verdict.sh # pass, fail, skip, closing

# The "e820 map has N items" line and its entries, from a SeaBIOS log.
e820_of() {
	tr -d '\r' <"$1" | awk '/e820 map has/{p=1; print; next}
		p && /^  [0-9]+: /{print; next} p{exit}'
}

# recorded NAME: QEMU's map for NAME, recorded on an AMD host; on another
# host without the HyperTransport hole QEMU reserves only for AMD vCPUs
# (with KVM its vCPUs take the host's vendor).  The hole is the last entry.
recorded() {
	local f=$DIR/$1.txt ht=': 000000fd00000000 - 0000010000000000 = 2 RESERVED'
	if grep -q -m1 '^vendor_id.*AuthenticAMD' /proc/cpuinfo || ! grep -q -F -- "$ht" "$f"; then
		grep -v '^#' "$f"
	else
		grep -v '^#' "$f" | grep -v -F -- "$ht" |
			awk '/^e820 map has [0-9]+ items:/ { $4 = $4 - 1 } { print }'
	fi
}

# boot NAME ARGS... -> $TMP/NAME.out, .err, .rc
boot_minivmm() {
	local name=$1
	shift
	timeout 120 "$MINIVMM" run -M pc "$@" --bios "$BIOS" --debugcon 0x402 \
		-boot reboot-timeout=0 --timeout 90 \
		>"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
	echo $? >"$TMP/$name.rc"
}

case_e820() { # NAME ARGS...
	local name=$1 rc start end
	shift
	start=$(date +%s.%N)
	boot_minivmm "$name" "$@"
	end=$(date +%s.%N)
	rc=$(cat "$TMP/$name.rc")
	if [ "$rc" != 4 ]; then
		fail "seabios-$name" "exit code $rc, want 4 (reset after 'No bootable device'); stderr: $(grep -m1 'minivmm: [a-z]*:' "$TMP/$name.err")"
		return
	fi
	if ! diff <(recorded "$name") <(e820_of "$TMP/$name.out") >"$TMP/$name.diff"; then
		fail "seabios-$name" "e820 map differs from QEMU's (< QEMU, > minivmm): $(tr '\n' ' ' <"$TMP/$name.diff")"
		return
	fi
	pass "seabios-$name ($(printf '%.1f' "$(echo "$end - $start" | bc)") s)"
}

case_live_qemu() { # NAME ARGS... (minivmm's log from case_e820 is reused)
	local name=$1
	shift
	if ! command -v qemu-system-x86_64 >/dev/null; then
		skip "qemu-live-$name" "qemu-system-x86_64 is not installed"
		return
	fi
	timeout 120 qemu-system-x86_64 -accel kvm -M pc "$@" -nodefaults \
		-display none -no-reboot -bios "$BIOS" -boot reboot-timeout=0 \
		-chardev file,id=dbg,path="$TMP/$name.qemu" \
		-device isa-debugcon,iobase=0x402,chardev=dbg 2>"$TMP/$name.qerr" </dev/null
	if [ ! -s "$TMP/$name.qemu" ]; then
		skip "qemu-live-$name" "QEMU with KVM did not run here: $(head -1 "$TMP/$name.qerr")"
		return
	fi
	if diff <(e820_of "$TMP/$name.qemu") <(e820_of "$TMP/$name.out") >"$TMP/$name.ldiff"; then
		pass "qemu-live-$name"
	else
		fail "qemu-live-$name" "< QEMU now, > minivmm: $(tr '\n' ' ' <"$TMP/$name.ldiff")"
	fi
}

# --reboot=restart: SeaBIOS's reset (after "No bootable device") resets the
# machine in place: vCPUs, devices, the irqchip and the firmware's shadow
# copy below 1 MiB; the same firmware then boots again from the reset
# vector and prints its banner and E820 map once more.
case_restart() {
	local name=restart
	timeout 60 "$MINIVMM" run -M pc -m 128M --bios "$BIOS" --debugcon 0x402 \
		-boot reboot-timeout=0 --reboot=restart --timeout 14 \
		>"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
	local rc=$? boots maps
	boots=$(grep -c '^BUILD: gcc' "$TMP/$name.out")
	maps=$(grep -c 'e820 map has' "$TMP/$name.out")
	if [ "$rc" = 3 ] && [ "$boots" -ge 2 ] && [ "$maps" -ge 2 ] &&
		grep -q 'starting the machine again (--reboot=restart, reset 1)' "$TMP/$name.err" &&
		! grep -q 'minivmm: crashed' "$TMP/$name.err"; then
		pass "seabios-restart ($boots boots)"
	else
		fail "seabios-restart" "exit $rc, $boots boots, $maps E820 maps; want exit 3 (timeout) after at least two boots: $(grep -m2 'minivmm: [a-z]*:' "$TMP/$name.err" | tr '\n' ' ')"
	fi
}

# SeaBIOS boots a disk: guests/bootsector.S as sector 0 of a raw image,
# found on virtio-blk-pci (PCI enumeration, BARs, the virtio capabilities,
# a modern virtqueue from the firmware) and on virtio-mmio (the DSDT's
# LNRO0005 entry); the boot sector says PASS and powers off (exit 0).
case_disk_boot() { # NAME DEVICE-ARGS...
	local name=$1 img=$TMP/boot.img
	shift
	cp "${GUESTS:-build/guests}/bootsector.bin" "$img" && truncate -s 1M "$img"
	timeout 60 "$MINIVMM" run -M pc -m 128M --bios "$BIOS" -serial none \
		-boot reboot-timeout=0 --timeout 40 "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
	local rc=$?
	if [ "$rc" = 0 ] && grep -qx 'PASS seabios-virtio-boot' "$TMP/$name.out" &&
		grep -q 'powered off' "$TMP/$name.err"; then
		pass "$name"
	else
		fail "$name" "exit $rc, want 0 and the boot sector's PASS: $(grep -m2 'minivmm: [a-z]*:' "$TMP/$name.err" | tr '\n' ' ')"
	fi
}

if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	skip seabios "/dev/kvm is not usable here"
elif [ ! -f "$BIOS" ]; then
	skip seabios "$BIOS is missing (Debian package seabios)"
else
	while read -r name args; do
		[ -z "$name" ] && continue
		# shellcheck disable=SC2086
		case_e820 "$name" $args
		# shellcheck disable=SC2086
		case_live_qemu "$name" $args
	done <<'CASES'
1G              -m 1G
4G              -m 4G
4G-below2G      -m 4G -M pc,max-ram-below-4g=2G
3968M-below4G   -m 3968M -M pc,max-ram-below-4g=4G
4G-i440fx-1.7   -m 4G -M pc-i440fx-1.7
numa-2x512M     -m 1G -smp 4 -object memory-backend-ram,id=mem0,size=512M -object memory-backend-ram,id=mem1,size=512M -numa node,memdev=mem0,cpus=0-1,nodeid=0 -numa node,memdev=mem1,cpus=2-3,nodeid=1
CASES
	case_restart
	case_disk_boot seabios-boot-virtio-pci -drive file="$TMP/boot.img",format=raw,if=virtio
	case_disk_boot seabios-boot-virtio-mmio -drive file="$TMP/boot.img",format=raw,if=none,id=d0 \
		-device virtio-blk-device,drive=d0
fi

closing
