#!/bin/bash
# The virtio tier on host KVM: guests of ours drive virtio-mmio devices by
# hand on the bare machine (no interrupt controller: they poll the used
# ring), and the host checks what reached the disk image.
#
#   virtio-blk        guests/virtio_blk.S: reads the signature the test put
#                     in sector 0, writes sector 1, flushes, reads the
#                     serial (GET_ID), gets IOERR past the end and goes on;
#                     the host finds the written sector in the image file
#   virtio-evil       guests/virtio_evil.S: a descriptor loop -> the device
#                     sets DEVICE_NEEDS_RESET (minivmm says why, once), and
#                     works again after the driver resets it
#   virtio-lock       a second minivmm on an image in use: exit 2, "locked"
#   virtio-ro         readonly=on: the same guest's write gets IOERR (FAIL
#                     line from the guest), the image is unchanged
#   virtio-bad-*      bad -drive/-device input: exit 2, one line, nothing run
#   virtio-memmap     `minivmm memmap` lists each virtio device: its
#                     transport, BDF or address, interrupts and back end
#
# Output: PASS/FAIL/SKIP lines, then "virtio: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 2
MINIVMM=${MINIVMM:-./minivmm}
G=${GUESTS:-build/guests}
TIER_NAME=virtio
. tests/verdict.sh

WORK=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-virtio.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
IMG=$WORK/disk.img
OUT=$WORK/out ERR=$WORK/err
FAIL_STDERR=$ERR

# A 1 MiB image with the signature virtio_blk.S looks for in sector 0.
new_image() {
	rm -f "$IMG"
	truncate -s 1M "$IMG"
	printf 'MINIVMM-DISK-SIG' | dd of="$IMG" conv=notrunc status=none
}

FLAT=(--mode long -m 16M --load 0x100000 --entry 0x100000)
blk_args() { # extra -drive properties
	echo "-drive file=$IMG,format=raw,if=none,id=d0$1 -device virtio-blk-device,drive=d0,serial=MINIVMM-SERIAL"
}

AS=() # a command minivmm runs under (setpriv, below)
run() {
	timeout -k 5 20 "${AS[@]}" "$MINIVMM" run "$@" >"$OUT" 2>"$ERR" </dev/null
	rc=$?
}

# memmap (no KVM needed) lists every virtio device: transport, address or
# BDF, interrupts, back end.
truncate -s 1M "$WORK/m.img"
"$MINIVMM" memmap -M pc -m 256M -drive file="$WORK/m.img",if=virtio,serial=S1 \
	-device virtio-rng-pci -device virtio-rng-pci -device virtio-rng-pci -device virtio-rng-pci \
	-device virtio-rng-device >"$OUT" 2>"$ERR"
want=("virtio-blk0 virtio-pci 00:02.0, MSI-X 2 vectors (config, 1 queue), INTx GSI 10; drive virtio0: $WORK/m.img, raw, read-write, cache=writeback, serial S1"
	"virtio-rng3 virtio-pci 00:06.0, MSI-X 2 vectors (config, 1 queue), no INTx; getrandom()"
	"virtio-rng4 virtio-mmio 0xfe800000-0xfe8001ff, interrupt 16; getrandom()")
why=
for w in "${want[@]}"; do
	tr -s ' ' <"$OUT" | grep -qxF " $w" || why="no line '$w'"
done
if [ -z "$why" ]; then
	pass virtio-memmap "$(grep -c '^  virtio-' "$OUT") devices listed"
else
	fail virtio-memmap "$why"
fi

if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	skip virtio "/dev/kvm is not usable here"
	closing
fi
for g in virtio_blk virtio_evil; do
	[ -f "$G/$g.bin" ] || { fail virtio "$G/$g.bin is missing (run make)"; closing; }
done

new_image
# shellcheck disable=SC2046 # the arguments are words
run "${FLAT[@]}" $(blk_args "") "$G/virtio_blk.bin"
sector1=$(dd if="$IMG" bs=512 skip=1 count=1 status=none | head -c 24)
if [ "$rc" = 0 ] && grep -qx 'PASS virtio-blk' "$OUT" &&
	[ "$sector1" = WRITTEN-BY-VIRTIO-GUEST! ]; then
	pass virtio-blk "sector 1 of the image: $sector1"
else
	fail virtio-blk "want exit 0, PASS and sector 1 written; got '$(head -c 200 "$OUT")', sector 1 '$sector1'"
fi

new_image
# shellcheck disable=SC2046
run "${FLAT[@]}" $(blk_args "") "$G/virtio_evil.bin"
if [ "$rc" = 0 ] && grep -q 'NEEDS_RESET after a descriptor loop' "$OUT" &&
	grep -qx 'PASS virtio-blk' "$OUT" && grep -q 'a loop; the device needs a reset' "$ERR" &&
	[ "$(grep -c 'needs a reset' "$ERR")" = 1 ]; then
	pass virtio-evil "needs-reset, reset, then the device works"
else
	fail virtio-evil "want the loop refused once, a reset and PASS; got '$(tr '\n' ' ' <"$OUT")'"
fi

# The image stays locked while a VM has it: a second one is refused.
new_image
# shellcheck disable=SC2046
timeout 20 "$MINIVMM" run --timeout 3 $(blk_args "") "$G/runaway.bin" \
	>/dev/null 2>"$WORK/first.err" </dev/null &
first=$!
sleep 0.5
# shellcheck disable=SC2046
run "${FLAT[@]}" $(blk_args "") "$G/virtio_blk.bin"
kill "$first" 2>/dev/null
wait "$first" 2>/dev/null
if [ "$rc" = 2 ] && grep -q 'is in use by another process (locked)' "$ERR" && [ ! -s "$OUT" ]; then
	pass virtio-lock "$(head -n 1 "$ERR")"
else
	fail virtio-lock "want exit 2 and the lock message"
fi

new_image
before=$(md5sum <"$IMG")
# shellcheck disable=SC2046
run "${FLAT[@]}" $(blk_args ",readonly=on") "$G/virtio_blk.bin"
if [ "$rc" = 0 ] && grep -qx 'FAIL virtio-blk: write status not OK' "$OUT" &&
	[ "$(md5sum <"$IMG")" = "$before" ]; then
	pass virtio-ro "the write answered IOERR, the image unchanged"
else
	fail virtio-ro "want the guest's write refused and the image unchanged; got '$(tr '\n' ' ' <"$OUT")'"
fi

# Bad input: one line, exit 2, the guest never runs.
bad() { # NAME WANT-IN-STDERR ARGS...
	local name=$1 want=$2
	shift 2
	run "${FLAT[@]}" "$@" "$G/virtio_blk.bin"
	if [ "$rc" = 2 ] && grep -qF -- "$want" "$ERR" && [ ! -s "$OUT" ] &&
		[ "$(wc -l <"$ERR")" = 1 ]; then
		pass "virtio-bad-$name"
	else
		fail "virtio-bad-$name" "want exit 2 and one line with '$want'"
	fi
}
new_image
chmod 444 "$IMG"
mkdir -p "$WORK/dir"
bad missing-image 'No such file or directory' -drive file="$WORK/none.img",if=none,id=d0 \
	-device virtio-blk-device,drive=d0
bad directory 'is a directory' -drive file="$WORK/dir",if=none,id=d0 \
	-device virtio-blk-device,drive=d0
# Root writes any file: it runs this one without that capability.
[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && AS=(setpriv --bounding-set -dac_override)
if [ "$(id -u)" != 0 ] || [ ${#AS[@]} -gt 0 ]; then
	bad readonly-file 'add readonly=on' -drive file="$IMG",if=none,id=d0 \
		-device virtio-blk-device,drive=d0
else
	skip virtio-bad-readonly-file "root may write a mode-444 file (and there is no setpriv to drop that)"
fi
AS=()
chmod 644 "$IMG"
bad format 'only raw images are supported' -drive file="$IMG",format=qcow2
bad unknown-drive "no -drive with id 'nope'" -device virtio-blk-device,drive=nope
bad pci-on-bare 'has no PCI bus' -drive file="$IMG",if=none,id=d0 -device virtio-blk-pci,drive=d0
bad drive-twice 'already used' -drive file="$IMG",if=none,id=d0 \
	-device virtio-blk-device,drive=d0 -device virtio-blk-device,drive=d0
closing
