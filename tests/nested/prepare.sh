#!/usr/bin/env bash
# Build everything the nested tier boots, from Debian packages only, into
# tests/nested/cache/ (idempotent: a second run only checks).
#
#   tests/nested/prepare.sh [-q] [--fio]
#
# 1. apt-get install (only what is missing): qemu-system-x86, busybox-static,
#    cpio, xz-utils, binutils (readelf, objcopy), gzip; e2fsprogs, dosfstools,
#    mtools, syslinux, syslinux-common, fdisk (the disk images, step 7);
#    socat (the network and vsock cases: in L1, and in L2's initramfs).
# 2. apt-get download the kernel package linux-image-6.1.0-*-amd64 (the
#    -unsigned build when the archive has it) and unpack it with dpkg-deb -x.
# 3. Extract the uncompressed vmlinux from the bzImage (its xz payload), so
#    L1 boots through the PVH entry and skips decompression under TCG.
# 4. L1 initramfs: busybox + irqbypass, kvm, ccp, kvm-amd + l1-init.sh;
#    in /modules/disk the modules of L1's disk, in /modules/net those of
#    the network cases (tun, vhost_net, vhost_vsock, vsock + dependencies).
# 5. L2 initramfs: busybox + l2-init.sh, the virtio modules in /modules;
#    a second archive for the network cases (virtio_net in /modules/net,
#    the virtio vsock transport in /modules/vsock, socat with its
#    libraries); and a cpio that puts the L2 kernel, the initramfs
#    (/l2/initrd.gz) and the initramfs with the second archive appended
#    (/l2/initrd-net.gz) at /l2/ inside L1.
# 6. A cpio with qemu-system-x86_64, the libraries ldd lists and the firmware
#    it needs for -M pc, for running QEMU as the L2 VMM inside L1.
# 7. The disk images of the virtio cases (cache/images/): disk.img (ext4
#    with /hello.txt), rootfs.img (ext4 root file system: busybox and
#    l2-init.sh as /init), boot.img (MBR + FAT + SYSLINUX with the bzImage
#    and the L2 initramfs, for SeaBIOS); with --fio (bench/nested.sh) also
#    fio.img (ext4 with fio and the libraries ldd lists; installs fio).
#
# Exit status: 0 ready; 3 this machine cannot provide the prerequisites
# (no apt, no package archive, not root: the caller SKIPs, the reason is on
# the last line of stderr); anything else is a bug or a broken download.

set -u -o pipefail
. "$(dirname "$0")/lib.sh"

quiet=0 want_fio=0
for a in "$@"; do
	case $a in
	-q) quiet=1 ;;
	--fio) want_fio=1 ;;
	*) echo "usage: tests/nested/prepare.sh [-q] [--fio]" >&2; exit 2 ;;
	esac
done
say() { [ "$quiet" = 1 ] || nested_log "$@"; }
unavailable() { nested_log "$*"; exit 3; }
die() { nested_log "prepare: $*"; exit 1; }

mkdir -p "$CACHE" || die "cannot create $CACHE"

# Packages (step 1) and the kernel package (step 2): ensure_packages and
# fetch_kernel_package in lib.sh, shared with tests/arm64/prepare.sh.

# --- 3. vmlinux ---------------------------------------------------------------

le32() { # file offset: unsigned 32-bit little-endian value
	od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '
}

extract_vmlinux() {
	local bz=$1 out=$2 setup_sects payload_off payload_len start
	# Linux boot protocol (Documentation/x86/boot.rst): setup_sects at 0x1f1;
	# payload_offset (0x248) and payload_length (0x24c), protocol 2.08+,
	# locate the compressed kernel relative to the protected-mode code,
	# which starts after the (setup_sects + 1) 512-byte setup sectors.
	[ "$(od -An -c -j $((0x202)) -N4 "$bz" | tr -d ' ')" = HdrS ] ||
		die "$bz is not a bzImage (no HdrS)"
	setup_sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$bz" | tr -d ' ')
	[ "$setup_sects" = 0 ] && setup_sects=4
	payload_off=$(le32 "$bz" $((0x248)))
	payload_len=$(le32 "$bz" $((0x24c)))
	start=$(((setup_sects + 1) * 512 + payload_off))
	[ "$(od -An -tx1 -j "$start" -N6 "$bz" | tr -d ' ')" = fd377a585a00 ] ||
		die "the payload of $bz is not an xz stream (kernel not built with XZ?)"
	dd if="$bz" iflag=skip_bytes,count_bytes skip="$start" count="$payload_len" status=none |
		xz -dc --single-stream >"$out.tmp" || die "xz could not decompress the payload of $bz"
	[ "$(od -An -c -N4 "$out.tmp" | tr -d ' ')" = 177ELF ] || die "extracted payload is not ELF"
	mv "$out.tmp" "$out"
}

has_pvh_note() { # Xen ELF note type 18 (XEN_ELFNOTE_PHYS32_ENTRY) = PVH entry
	readelf -n "$1" 2>/dev/null | grep -q -E 'note type: \(0x00000012\)|PHYS32_ENTRY'
}

# --- helpers for the archives (key_of, fresh, mark, stage_busybox: lib.sh) ----

build_l1_base() {
	local key stage
	key=$(key_of "$0" "$NESTED_DIR/lib.sh" "$NESTED_DIR/l1-init.sh" "$NESTED_DIR/l2-run.sh" "$(command -v busybox)" \
		"$CACHE/kernel/.unpacked")
	fresh "$L1_BASE_CPIO" "$key" && return 0
	say "building the L1 initramfs"
	stage=$CACHE/stage-l1
	rm -rf "$stage"
	stage_busybox "$stage"
	install -m 755 "$NESTED_DIR/l1-init.sh" "$stage/init"
	install -m 755 "$NESTED_DIR/l2-run.sh" "$stage/usr/bin/l2-run"
	moddir=$(echo "$CACHE"/kernel/lib/modules/6.1.0-*-amd64)
	[ -d "$moddir" ] || die "no lib/modules in the kernel package"
	# kvm-amd pulls in kvm (which needs irqbypass) and ccp.
	modules_stage "$moddir" "$stage/modules" kvm-amd || die "staging the KVM modules failed"
	say "L1 modules: $(tr '\n' ' ' <"$stage/modules/order")"
	# The disk modules, loaded by a payload that uses L1's disk (run-l1.sh --disk).
	modules_stage "$moddir" "$stage/modules/disk" $L1_DISK_MODULES ||
		die "staging the disk modules failed"
	# The network cases' modules, loaded when the payload asks (run-l1.sh --net).
	modules_stage "$moddir" "$stage/modules/net" $L1_NET_MODULES ||
		die "staging the network modules failed"
	cpio_from_dir "$stage" "$L1_BASE_CPIO" || die "cpio of the L1 initramfs failed"
	rm -rf "$stage"
	mark "$L1_BASE_CPIO" "$key"
}

build_l2() {
	local key moddir
	moddir=$(echo "$CACHE"/kernel/lib/modules/6.1.0-*-amd64)
	key=$(key_of "$0" "$NESTED_DIR/lib.sh" "$NESTED_DIR/l2-init.sh" "$(command -v busybox)" \
		"$CACHE/kernel/.unpacked")
	if ! fresh "$L2_INITRD" "$key"; then
		say "building the L2 initramfs"
		l2_initrd_build "$L2_INITRD" "$moddir" || die "building the L2 initramfs failed"
		mark "$L2_INITRD" "$key"
	fi
	key=$(key_of "$0" "$NESTED_DIR/lib.sh" "$(command -v socat)" "$CACHE/kernel/.unpacked")
	if ! fresh "$L2_NET_PART" "$key"; then
		say "building the L2 initramfs part of the network cases"
		l2_net_part_build "$L2_NET_PART" "$moddir" "$(command -v socat)" ||
			die "building the network part of the L2 initramfs failed"
		mark "$L2_NET_PART" "$key"
	fi
	key=$(key_of "$L2_INITRD.key" "$L2_NET_PART.key" "$L1_KERNEL_BZ")
	if ! fresh "$L2_BUNDLE_CPIO" "$key"; then
		l2_bundle_build "$L2_BUNDLE_CPIO" "$L1_KERNEL_BZ" bzImage "$L2_INITRD" "$L2_NET_PART" ||
			die "building the L2 bundle failed"
		mark "$L2_BUNDLE_CPIO" "$key"
	fi
}

# Firmware QEMU -M pc loads: SeaBIOS, the kvmvapic and Linux-loader option
# ROMs (the pvh/multiboot ones cost nothing to carry).
QEMU_FIRMWARE="/usr/share/seabios/bios-256k.bin /usr/share/seabios/bios.bin
/usr/share/qemu/kvmvapic.bin /usr/share/qemu/linuxboot.bin
/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/pvh.bin
/usr/share/qemu/multiboot.bin /usr/share/qemu/multiboot_dma.bin"

build_qemu_bundle() {
	local key stage qemu f
	qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found"
	# shellcheck disable=SC2086 # a list of paths
	key=$(key_of "$0" "$NESTED_DIR/lib.sh" "$qemu" $QEMU_FIRMWARE)
	fresh "$QEMU_BUNDLE_CPIO" "$key" && return 0
	say "building the QEMU bundle"
	stage=$CACHE/stage-qemu
	rm -rf "$stage"
	copy_with_libs "$qemu" "$stage" /usr/bin/qemu-system-x86_64 || die "copying QEMU failed"
	for f in $QEMU_FIRMWARE; do
		[ -e "$f" ] || continue
		mkdir -p "$stage$(dirname "$f")"
		cp -L "$f" "$stage$f"
	done
	cpio_from_dir "$stage" "$QEMU_BUNDLE_CPIO" || die "cpio of the QEMU bundle failed"
	rm -rf "$stage"
	mark "$QEMU_BUNDLE_CPIO" "$key"
}

# --- main ----------------------------------------------------------------------

ensure_packages
for tool in qemu-system-x86_64 busybox cpio xz objcopy readelf gzip od sha256sum \
	mkfs.ext4 debugfs mkfs.fat mcopy syslinux sfdisk socat; do
	command -v "$tool" >/dev/null || unavailable "$tool not found after installing packages"
done
fetch_kernel_package amd64 "$CACHE/kernel"

bz=$(ls "$CACHE"/kernel/boot/vmlinuz-6.1.0-*-amd64 | head -1)
if [ ! -f "$L1_KERNEL_BZ" ] || ! cmp -s "$bz" "$L1_KERNEL_BZ"; then
	cp "$bz" "$L1_KERNEL_BZ"
	rm -f "$L1_KERNEL"
fi
if [ ! -f "$L1_KERNEL" ]; then
	say "extracting vmlinux from $(basename "$bz")"
	extract_vmlinux "$L1_KERNEL_BZ" "$L1_KERNEL"
fi
# L1 boots the vmlinux through PVH when it has the note, else the bzImage.
if has_pvh_note "$L1_KERNEL"; then
	basename "$L1_KERNEL" >"$CACHE/l1-kernel"
else
	say "vmlinux has no PVH note; L1 will boot the bzImage"
	basename "$L1_KERNEL_BZ" >"$CACHE/l1-kernel"
fi

build_images() {
	local key moddir
	moddir=$(echo "$CACHE"/kernel/lib/modules/6.1.0-*-amd64)
	mkdir -p "$IMAGES"
	key=$(key_of "$NESTED_DIR/lib.sh")
	if ! fresh "$IMAGES/disk.img" "$key"; then
		disk_image_build "$IMAGES/disk.img" || die "building disk.img failed"
		mark "$IMAGES/disk.img" "$key"
	fi
	key=$(key_of "$NESTED_DIR/lib.sh" "$NESTED_DIR/l2-init.sh" "$(command -v busybox)")
	if ! fresh "$IMAGES/rootfs.img" "$key"; then
		say "building rootfs.img"
		rootfs_image_build "$IMAGES/rootfs.img" "$moddir" || die "building rootfs.img failed"
		mark "$IMAGES/rootfs.img" "$key"
	fi
	key=$(key_of "$NESTED_DIR/lib.sh" "$L2_INITRD" "$L1_KERNEL_BZ")
	if ! fresh "$IMAGES/boot.img" "$key"; then
		say "building boot.img"
		boot_image_build "$IMAGES/boot.img" "$L1_KERNEL_BZ" "$L2_INITRD" \
			"console=ttyS0 quiet panic=-1 l2.mode=report l2.end=poweroff" ||
			die "building boot.img failed"
		mark "$IMAGES/boot.img" "$key"
	fi
	[ "$want_fio" = 1 ] || return 0
	ensure_packages fio
	key=$(key_of "$NESTED_DIR/lib.sh" "$(command -v fio)")
	if ! fresh "$IMAGES/fio.img" "$key"; then
		say "building fio.img"
		fio_image_build "$IMAGES/fio.img" "$(command -v fio)" "" || die "building fio.img failed"
		mark "$IMAGES/fio.img" "$key"
	fi
}

build_l1_base
build_l2
build_qemu_bundle
build_images
basename "$bz" | sed 's/^vmlinuz-//' >"$CACHE/kernel-release"
touch "$PREPARED_STAMP"
say "ready: L1 kernel $(cat "$CACHE/l1-kernel"), release $(cat "$CACHE/kernel-release")"
