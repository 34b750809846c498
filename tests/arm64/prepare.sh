#!/usr/bin/env bash
# Build everything the arm64 nested tier boots, from Debian packages only,
# into tests/arm64/cache/ (idempotent: a second run only checks).
#
#   tests/arm64/prepare.sh [-q] [--qemu] [--fio]
#
# 1. apt-get install (only what is missing): qemu-system-arm, qemu-user-static,
#    device-tree-compiler, cpio, gzip, binutils; add the arm64 dpkg
#    architecture when it is missing (for apt-get download of :arm64).
# 2. apt-get download linux-image-6.1.0-*-arm64:arm64 (the -unsigned build
#    when the archive has it) and busybox-static:arm64; dpkg-deb -x them.
#    Debian's arm64 vmlinuz is an uncompressed Image (KVM built in, PL011).
# 3. L1 initramfs: arm64 busybox + tests/nested/{l1-init.sh as /init, l2-run.sh},
#    the disk modules in /modules/disk and the network ones (tun vhost_net
#    vhost_vsock vsock and their dependencies) in /modules/net.
# 4. L2 initramfs: arm64 busybox + tests/nested/l2-init.sh (the same report
#    as on x86); the network part (virtio_net, the virtio vsock transport,
#    the arm64 socat); and a cpio that puts the Image, the initramfs and the
#    initramfs with the network part (/l2/initrd-net.gz) at /l2/ inside L1.
# 5. Programs from arm64 packages (the package and its library
#    dependencies downloaded and unpacked into a sysroot, never
#    installed): socat:arm64 as a cpio putting /payload/bin/socat, its
#    libraries and its loader into L1 (run-l1.sh --net); with --qemu a cpio
#    with qemu-system-aarch64 and every library it needs, for QEMU as the
#    L2 VMM.
# 6. The virtio cases' disk images (cache/images/, tests/nested/virtio.sh):
#    disk.img (ext4 with /hello.txt) and rootfs.img (ext4: the arm64
#    busybox and l2-init.sh as /init).  With --fio (bench/arm64.sh) also
#    fio.img: fio:arm64 and the :arm64 builds of the library packages the
#    host's fio uses (dpkg -S of what ldd lists), downloaded and unpacked.
#
# Exit status: 0 ready; 3 this machine cannot provide the prerequisites
# (no apt, no package archive, not root: the caller SKIPs, the reason is on
# the last line of stderr); anything else is a bug or a broken download.

set -u -o pipefail
. "$(dirname "$0")/lib.sh"

quiet=0 want_qemu=0 want_fio=0
for a in "$@"; do
	case $a in
	-q) quiet=1 ;;
	--qemu) want_qemu=1 ;;
	--fio) want_fio=1 ;;
	*) echo "usage: tests/arm64/prepare.sh [-q] [--qemu] [--fio]" >&2; exit 2 ;;
	esac
done
say() { [ "$quiet" = 1 ] || arm64_log "$@"; }
unavailable() { arm64_log "$*"; exit 3; }
die() { arm64_log "prepare: $*"; exit 1; }

mkdir -p "$CACHE" || die "cannot create $CACHE"

# --- 1. packages and the arm64 architecture ----------------------------------------

ensure_arm64_arch() {
	dpkg --print-foreign-architectures 2>/dev/null | grep -qx arm64 && return 0
	[ "$(id -u)" = 0 ] || unavailable "dpkg has no arm64 architecture and not root"
	say "dpkg --add-architecture arm64"
	dpkg --add-architecture arm64 || unavailable "dpkg --add-architecture arm64 failed"
	# shellcheck disable=SC2034 # read by apt_update_once (lib.sh)
	apt_updated=0
	apt_update_once
}

# --- 2. kernel and busybox ----------------------------------------------------------

install_image() {
	local vmlinuz
	vmlinuz=$(ls "$CACHE"/kernel/boot/vmlinuz-6.1.0-*-arm64 | head -1)
	# arm64 Image header (Documentation/arch/arm64/booting.rst): magic
	# "ARM\x64" at offset 0x38.
	[ "$(od -An -tx1 -j 56 -N4 "$vmlinuz" | tr -d ' ')" = 41524d64 ] ||
		die "$vmlinuz is not an arm64 Image (no ARM\\x64 magic; compressed?)"
	cmp -s "$vmlinuz" "$A64_KERNEL" || cp "$vmlinuz" "$A64_KERNEL"
	basename "$vmlinuz" | sed 's/^vmlinuz-//' >"$CACHE/kernel-release"
}

fetch_busybox() {
	local deb
	[ -f "$CACHE/busybox/.unpacked" ] && [ -x "$A64_BUSYBOX" ] && return 0
	deb=$(download_deb busybox-static:arm64 'busybox-static_*_arm64.deb') || exit
	unpack_deb "$deb" "$CACHE/busybox"
	[ -x "$A64_BUSYBOX" ] || die "no bin/busybox in $(basename "$deb")"
}

# --- 3./4. the archives ---------------------------------------------------------------

build_l1_base() {
	local key stage
	key=$(key_of "$0" "$ARM64_DIR/lib.sh" "$NESTED_DIR/lib.sh" "$NESTED_DIR/l1-init.sh" \
		"$NESTED_DIR/l2-run.sh" "$A64_BUSYBOX" "$CACHE/kernel-release")
	fresh "$A64_L1_BASE_CPIO" "$key" && return 0
	say "building the L1 initramfs"
	stage=$CACHE/stage-l1
	rm -rf "$stage"
	stage_busybox "$stage" "$A64_BUSYBOX" qemu-aarch64-static
	install -m 755 "$NESTED_DIR/l1-init.sh" "$stage/init" # no /modules/order: KVM is built in
	# The disk modules, loaded when L1 has a disk (run-l1.sh --disk).
	# shellcheck disable=SC2086 # a list of names
	modules_stage "$(echo "$CACHE"/kernel/lib/modules/6.1.0-*-arm64)" "$stage/modules/disk" \
		$L1_DISK_MODULES || die "staging the disk modules failed"
	# The network and vsock cases' modules (tun, vhost_net, vhost_vsock,
	# vsock and what they need), loaded with run-l1.sh --net.
	# shellcheck disable=SC2086 # a list of names
	modules_stage "$(echo "$CACHE"/kernel/lib/modules/6.1.0-*-arm64)" "$stage/modules/net" \
		$L1_NET_MODULES || die "staging the network modules failed"
	install -m 755 "$NESTED_DIR/l2-run.sh" "$stage/usr/bin/l2-run"
	cpio_from_dir "$stage" "$A64_L1_BASE_CPIO" || die "cpio of the L1 initramfs failed"
	rm -rf "$stage"
	mark "$A64_L1_BASE_CPIO" "$key"
}

build_l2() {
	local key
	key=$(key_of "$0" "$ARM64_DIR/lib.sh" "$NESTED_DIR/lib.sh" "$NESTED_DIR/l2-init.sh" "$A64_BUSYBOX")
	if ! fresh "$A64_L2_INITRD" "$key"; then
		say "building the L2 initramfs"
		l2_initrd_build "$A64_L2_INITRD" "$(echo "$CACHE"/kernel/lib/modules/6.1.0-*-arm64)" \
			"$A64_BUSYBOX" qemu-aarch64-static ||
			die "building the L2 initramfs failed"
		mark "$A64_L2_INITRD" "$key"
	fi
	# The network and vsock boots' second archive: virtio_net, the virtio
	# vsock transport and the arm64 socat (tests/nested/net.sh).
	key=$(key_of "$0" "$ARM64_DIR/lib.sh" "$NESTED_DIR/lib.sh" "$A64_SOCAT_ROOT/usr/bin/socat" \
		"$CACHE/kernel-release")
	if ! fresh "$A64_L2_NET_PART" "$key"; then
		say "building the L2 initramfs part of the network cases"
		l2_net_part_build "$A64_L2_NET_PART" "$(echo "$CACHE"/kernel/lib/modules/6.1.0-*-arm64)" \
			/usr/bin/socat "$A64_SOCAT_ROOT" ||
			die "building the network part of the L2 initramfs failed"
		mark "$A64_L2_NET_PART" "$key"
	fi
	key=$(key_of "$A64_L2_INITRD.key" "$A64_L2_NET_PART.key" "$A64_KERNEL")
	if ! fresh "$A64_L2_BUNDLE_CPIO" "$key"; then
		l2_bundle_build "$A64_L2_BUNDLE_CPIO" "$A64_KERNEL" Image "$A64_L2_INITRD" "$A64_L2_NET_PART" ||
			die "building the L2 bundle failed"
		mark "$A64_L2_BUNDLE_CPIO" "$key"
	fi
}

# --- 5. programs from arm64 packages: QEMU, socat -------------------------------------

# An arm64 program is not installable next to the host's, so its package
# and its whole dependency closure (apt-cache depends --recurse, the :arm64
# packages) are downloaded in one apt-get call and unpacked into a sysroot;
# a bundle takes the binary, the shared libraries its NEEDED entries reach,
# transitively, and its loader (sysroot_copy_prog, tests/nested/lib.sh).
QEMU_ROOT=$CACHE/qemu-root

# arm64_sysroot ROOT PACKAGE: PACKAGE:arm64 and its dependency closure,
# unpacked into ROOT (never installed); the .deb files stay in $CACHE/debs.
arm64_sysroot() {
	local root=$1 pkg=$2 pkgs p missing=() deb
	[ -f "$root/.complete" ] && return 0
	apt_has "$pkg:arm64" || apt_update_once
	pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "$pkg:arm64" 2>/dev/null |
		grep -E '^[a-z0-9][^ ]*:arm64$' | sort -u)
	[ -n "$pkgs" ] || unavailable "the archive has no $pkg:arm64"
	for p in $pkgs; do
		ls "$CACHE/debs/${p%:arm64}"_*_arm64.deb >/dev/null 2>&1 || missing+=("$p")
	done
	mkdir -p "$CACHE/debs"
	if [ ${#missing[@]} -gt 0 ]; then
		say "downloading ${#missing[@]} arm64 packages ($pkg:arm64 and its dependencies)"
		(cd "$CACHE/debs" && apt-get -q -o APT::Sandbox::User=root download "${missing[@]}" \
			>"$CACHE/download.log" 2>&1) ||
			unavailable "cannot download $pkg:arm64 and its dependencies (see $CACHE/download.log)"
	fi
	say "unpacking $(wc -w <<<"$pkgs") packages into $(basename "$root")"
	rm -rf "$root"
	mkdir -p "$root"
	for p in $pkgs; do
		deb=$(ls "$CACHE/debs/${p%:arm64}"_*_arm64.deb 2>/dev/null | head -1)
		[ -n "$deb" ] || die "apt-get download left no ${p%:arm64}_*_arm64.deb"
		dpkg-deb -x "$deb" "$root" || die "dpkg-deb -x $deb failed"
	done
	touch "$root/.complete"
}

build_qemu_bundle() {
	local key stage
	arm64_sysroot "$QEMU_ROOT" qemu-system-arm
	key=$(key_of "$0" "$ARM64_DIR/lib.sh" "$NESTED_DIR/lib.sh" "$QEMU_ROOT/usr/bin/qemu-system-aarch64")
	fresh "$A64_QEMU_BUNDLE_CPIO" "$key" && return 0
	say "building the arm64 QEMU bundle"
	stage=$CACHE/stage-qemu
	rm -rf "$stage"
	sysroot_copy_prog "$QEMU_ROOT" /usr/bin/qemu-system-aarch64 "$stage" ||
		die "cannot bundle qemu-system-aarch64 from the QEMU sysroot"
	cpio_from_dir "$stage" "$A64_QEMU_BUNDLE_CPIO" || die "cpio of the QEMU bundle failed"
	rm -rf "$stage"
	mark "$A64_QEMU_BUNDLE_CPIO" "$key"
}

# The network and vsock cases' socat (tests/nested/net.sh): the one in L1
# (/payload/bin/socat, run-l1.sh --net) and the one in L2's network part
# (build_l2).  Either runs with its own loader and libraries; the bundle is
# tried once here through qemu-aarch64-static, rooted in its stage.
build_socat() {
	local key stage
	arm64_sysroot "$A64_SOCAT_ROOT" socat
	[ -x "$A64_SOCAT_ROOT/usr/bin/socat" ] || die "no usr/bin/socat in socat:arm64"
	key=$(key_of "$0" "$ARM64_DIR/lib.sh" "$NESTED_DIR/lib.sh" "$A64_SOCAT_ROOT/usr/bin/socat")
	fresh "$A64_SOCAT_CPIO" "$key" && return 0
	say "building the arm64 socat bundle"
	stage=$CACHE/stage-socat
	rm -rf "$stage"
	sysroot_copy_prog "$A64_SOCAT_ROOT" /usr/bin/socat "$stage" /payload/bin/socat ||
		die "cannot bundle socat from the socat:arm64 sysroot"
	qemu-aarch64-static -L "$stage" "$stage/payload/bin/socat" -V 2>&1 | grep -q '^socat version' ||
		die "the arm64 socat bundle does not run: $(qemu-aarch64-static -L "$stage" "$stage/payload/bin/socat" -V 2>&1 | head -n 1)"
	cpio_from_dir "$stage" "$A64_SOCAT_CPIO" || die "cpio of the socat bundle failed"
	rm -rf "$stage"
	mark "$A64_SOCAT_CPIO" "$key"
}

# --- 6. disk images ----------------------------------------------------------------------

build_images() {
	local key
	mkdir -p "$IMAGES"
	key=$(key_of "$NESTED_DIR/lib.sh")
	if ! fresh "$IMAGES/disk.img" "$key"; then
		disk_image_build "$IMAGES/disk.img" || die "building disk.img failed"
		mark "$IMAGES/disk.img" "$key"
	fi
	key=$(key_of "$NESTED_DIR/lib.sh" "$NESTED_DIR/l2-init.sh" "$A64_BUSYBOX")
	if ! fresh "$IMAGES/rootfs.img" "$key"; then
		say "building rootfs.img"
		rootfs_image_build "$IMAGES/rootfs.img" - "$A64_BUSYBOX" qemu-aarch64-static ||
			die "building rootfs.img failed"
		mark "$IMAGES/rootfs.img" "$key"
	fi
	[ "$want_fio" = 1 ] && build_fio_image
	return 0
}

# fio.img: Debian's fio for arm64 with its libraries.  Which library
# packages it needs is read off the host's fio (the same Debian release
# names them the same on every architecture).
FIO_ROOT=$CACHE/fio-root
build_fio_image() {
	local key pkgs p missing=() deb
	ensure_packages fio
	key=$(key_of "$NESTED_DIR/lib.sh" "$(command -v fio)")
	fresh "$IMAGES/fio.img" "$key" && return 0
	# dpkg -S knows a library by the path its package ships (/lib or /usr/lib).
	pkgs=$( (echo fio
		for p in $(ldd "$(command -v fio)" | awk '$3 ~ /^\// { print $3 }'); do
			dpkg -S "$p" 2>/dev/null || dpkg -S "$(readlink -f "$p")" 2>/dev/null
		done | cut -d: -f1) | sort -u)
	if [ "$(cat "$FIO_ROOT/.complete" 2>/dev/null)" != "$(echo $pkgs)" ]; then
		for p in $pkgs; do
			ls "$CACHE/debs/${p}"_*_arm64.deb >/dev/null 2>&1 || missing+=("$p:arm64")
		done
		mkdir -p "$CACHE/debs"
		if [ ${#missing[@]} -gt 0 ]; then
			say "downloading ${#missing[@]} arm64 packages (fio and its libraries)"
			(cd "$CACHE/debs" && apt-get -q -o APT::Sandbox::User=root download "${missing[@]}" \
				>"$CACHE/download.log" 2>&1) ||
				unavailable "cannot download fio:arm64 and its libraries (see $CACHE/download.log)"
		fi
		rm -rf "$FIO_ROOT" && mkdir -p "$FIO_ROOT"
		for p in $pkgs; do
			deb=$(ls "$CACHE/debs/${p}"_*_arm64.deb 2>/dev/null | head -1)
			[ -n "$deb" ] || die "apt-get download left no ${p}_*_arm64.deb"
			dpkg-deb -x "$deb" "$FIO_ROOT" || die "dpkg-deb -x $deb failed"
		done
		echo $pkgs >"$FIO_ROOT/.complete"
	fi
	say "building fio.img"
	fio_image_build "$IMAGES/fio.img" /usr/bin/fio "$FIO_ROOT" || die "building fio.img failed"
	mark "$IMAGES/fio.img" "$key"
}

# --- main ------------------------------------------------------------------------------

# shellcheck disable=SC2086 # a list of names
ensure_packages $ARM64_PACKAGES
for tool in qemu-system-aarch64 qemu-aarch64-static cpio gzip od sha256sum readelf dpkg-deb \
	mkfs.ext4 debugfs; do
	command -v "$tool" >/dev/null || unavailable "$tool not found after installing packages"
done
ensure_arm64_arch
fetch_kernel_package arm64:arm64 "$CACHE/kernel"
install_image
fetch_busybox
build_l1_base
build_socat
build_l2
[ "$want_qemu" = 1 ] && build_qemu_bundle
build_images
touch "$A64_PREPARED_STAMP"
say "ready: L1/L2 kernel $(cat "$CACHE/kernel-release")"
