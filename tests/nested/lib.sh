# shellcheck shell=bash disable=SC2034 # sourced; the scripts use these names
# Shared by the nested tier's scripts (sourced, not run).
#
# Paths of everything prepare.sh builds, and small helpers for making cpio
# archives and copying dynamically linked programs into them.

NESTED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${NESTED_CACHE:-$NESTED_DIR/cache}

# What prepare.sh leaves in $CACHE (see README.md).
L1_KERNEL=$CACHE/vmlinux             # uncompressed ELF, booted through its PVH note
L1_KERNEL_BZ=$CACHE/vmlinuz          # the package's bzImage (fallback for L1, used for L2)
L1_BASE_CPIO=$CACHE/l1-base.cpio     # busybox + KVM modules + /init
L2_INITRD=$CACHE/l2-initrd.cpio.gz   # busybox + the L2 /init (marker and report)
L2_NET_PART=$CACHE/l2-net.cpio.gz    # virtio_net, vsock modules, socat: appended for l2.mode=net
L2_BUNDLE_CPIO=$CACHE/l2-bundle.cpio # /l2/bzImage, /l2/initrd.gz, /l2/initrd-net.gz, for L1
QEMU_BUNDLE_CPIO=$CACHE/qemu-bundle.cpio # qemu-system-x86_64, its libraries and firmware
PREPARED_STAMP=$CACHE/prepared.ok

# The packages the tier installs with apt-get when they are missing.
# e2fsprogs, dosfstools, mtools, syslinux(-common), fdisk: the disk images
# of the virtio cases (mkfs.ext4 -d, debugfs, mkfs.fat, mcopy, syslinux's
# mtools installer and mbr.bin, sfdisk); socat: the network and vsock
# cases (tests/nested/net.sh: TCP and vsock ends in L1 and in L2).
NESTED_PACKAGES="qemu-system-x86 busybox-static cpio xz-utils binutils gzip
e2fsprogs dosfstools mtools syslinux syslinux-common fdisk socat"

nested_log() { echo "nested: $*" >&2; }

# cpio_from_dir DIR OUT: a newc archive of DIR's contents (paths relative to
# DIR, owned by root), as the kernel's initramfs unpacker expects.
cpio_from_dir() {
	local dir=$1 out=$2
	(cd "$dir" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0) >"$out.tmp" && mv "$out.tmp" "$out"
}

# copy_with_libs PROGRAM STAGE DEST: copy PROGRAM to STAGE/DEST and every
# library `ldd` lists (and the dynamic loader) to the same absolute path
# under STAGE, so the program runs in a root that has no libc of its own.
copy_with_libs() {
	local prog=$1 stage=$2 dest=$3 lib
	mkdir -p "$stage/$(dirname "$dest")" || return 1
	cp -L "$prog" "$stage/$dest" || return 1
	chmod 755 "$stage/$dest"
	# ldd lines: "libfoo.so => /path (addr)", "/lib64/ld-linux... (addr)",
	# "linux-vdso.so.1 (addr)" (no file) or "statically linked".
	for lib in $(ldd "$prog" 2>/dev/null |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		[ -e "$stage$lib" ] && continue
		mkdir -p "$stage/$(dirname "$lib")" || return 1
		cp -L "$lib" "$stage$lib" || return 1
	done
}

# --- helpers for the prepare scripts (tests/nested, tests/arm64) --------------
# They call say, unavailable (exit 3: this machine cannot provide it) and
# die, which each prepare script defines, and keep their logs in $CACHE.

pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

apt_updated=0
apt_update_once() {
	[ "$apt_updated" = 1 ] && return 0
	apt_updated=1
	say "apt-get update"
	apt-get update -qq >/dev/null 2>&1
}

apt_has() { # package name: does the archive offer it?
	apt-cache show "$1" >/dev/null 2>&1
}

# ensure_packages [PACKAGE...]: apt-get install those missing (default
# $NESTED_PACKAGES).
ensure_packages() {
	local missing=() p wanted=("$@")
	# shellcheck disable=SC2206 # a space-separated list of names
	[ $# -gt 0 ] || wanted=($NESTED_PACKAGES)
	command -v dpkg-query >/dev/null || unavailable "no dpkg on this machine"
	for p in "${wanted[@]}"; do
		pkg_installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || unavailable "packages ${missing[*]} missing and not root"
	command -v apt-get >/dev/null || unavailable "packages ${missing[*]} missing and no apt-get"
	say "installing ${missing[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >"$CACHE/apt.log" 2>&1; then
		apt_update_once
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >"$CACHE/apt.log" 2>&1 ||
			unavailable "cannot install ${missing[*]} (see $CACHE/apt.log)"
	fi
}

# download_deb PACKAGE GLOB: the path of $CACHE/debs/GLOB, downloading
# PACKAGE (may carry :ARCH) with apt-get download when no file matches.
download_deb() {
	local name=$1 glob=$2 deb
	# shellcheck disable=SC2086 # GLOB is a pattern
	deb=$(ls "$CACHE"/debs/$glob 2>/dev/null | head -1)
	if [ -z "$deb" ]; then
		command -v apt-get >/dev/null || unavailable "no apt-get to fetch $name"
		mkdir -p "$CACHE/debs"
		say "downloading $name"
		# -o APT::Sandbox::User=root: the cache dir need not be readable by _apt.
		(cd "$CACHE/debs" && apt-get -q -o APT::Sandbox::User=root download "$name" \
			>"$CACHE/download.log" 2>&1) ||
			unavailable "cannot download $name (see $CACHE/download.log)"
		# shellcheck disable=SC2086
		deb=$(ls "$CACHE"/debs/$glob 2>/dev/null | head -1)
		[ -n "$deb" ] || die "apt-get download $name left no $glob in $CACHE/debs"
	fi
	echo "$deb"
}

# unpack_deb DEB DIR: dpkg-deb -x DEB into a fresh DIR, marked DIR/.unpacked.
unpack_deb() {
	say "unpacking $(basename "$1")"
	rm -rf "$2"
	dpkg-deb -x "$1" "$2" || die "dpkg-deb -x $1 failed"
	touch "$2/.unpacked"
}

# fetch_kernel_package FLAVOUR[:ARCH] DIR: the Debian 6.1 kernel package
# linux-image-FLAVOUR points at (linux-image-6.1.0-N-FLAVOUR, its -unsigned
# build when the archive has one), downloaded once and unpacked in DIR.
# An unpacked kernel is kept even when the archive has a newer ABI.
fetch_kernel_package() {
	local flavour=${1%%:*} arch='' dir=$2 name deb
	case $1 in *:*) arch=:${1#*:} ;; esac
	if ls "$dir"/boot/vmlinuz-6.1.0-*-"$flavour" >/dev/null 2>&1 && [ -f "$dir/.unpacked" ]; then
		return 0
	fi
	deb=$(ls "$CACHE"/debs/linux-image-6.1.0-*-"$flavour"*.deb 2>/dev/null | head -1)
	if [ -z "$deb" ]; then
		command -v apt-cache >/dev/null || unavailable "no apt-cache to find the kernel"
		name=$(kernel_package_name "$flavour" "$arch")
		if [ -z "$name" ]; then
			apt_update_once
			name=$(kernel_package_name "$flavour" "$arch")
		fi
		[ -n "$name" ] || unavailable "the archive has no linux-image-$flavour$arch (6.1) package"
		apt_has "$name-unsigned$arch" && name=$name-unsigned
		deb=$(download_deb "$name$arch" "linux-image-6.1.0-*-$flavour*.deb") || exit
	fi
	unpack_deb "$deb" "$dir"
}

# kernel_package_name FLAVOUR [:ARCH]: e.g. linux-image-6.1.0-56-amd64.
kernel_package_name() {
	apt-cache depends "linux-image-$1${2:-}" 2>/dev/null |
		sed -n "s/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-$1\)\(:[a-z0-9]*\)\{0,1\}$/\1/p" | head -1
}

# A build is redone when its key (a hash of everything it is made from)
# changes; the key is kept beside the artefact.
key_of() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }
fresh() { [ -f "$1" ] && [ "$(cat "$1.key" 2>/dev/null)" = "$2" ]; }
mark() { echo "$2" >"$1.key"; }

# stage_busybox STAGE [BUSYBOX [RUNNER]]: BUSYBOX (default: the host's) at
# /bin with a link per applet, the usual directories and a console node
# (needed before /init can mount devtmpfs).  RUNNER runs a foreign
# BUSYBOX for its applet list (e.g. qemu-aarch64-static).
stage_busybox() {
	local stage=$1 bb=${2:-} runner=${3:-} a
	[ -n "$bb" ] || bb=$(command -v busybox) || die "busybox not found"
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root}
	cp "$bb" "$stage/bin/busybox"
	! readelf -l "$bb" 2>/dev/null | grep -q INTERP ||
		die "$bb is not statically linked (busybox-static needed)"
	for a in $($runner "$bb" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$stage/bin/$a"
	done
	[ -e "$stage/bin/sh" ] || die "no applets from $runner $bb --list"
	mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null ||
		say "warning: cannot mknod dev/console (not root?); relying on devtmpfs"
	mknod -m 666 "$stage/dev/null" c 1 3 2>/dev/null || true
}

# --- helpers for the L1 runners (tests/nested/run-l1.sh, tests/arm64/run-l1.sh)

# l1_stage_payload STAGE PAYLOAD [FILE | FILE=DEST]...: PAYLOAD at
# STAGE/payload.sh, each FILE at STAGE/payload/<basename> or STAGE/DEST.
l1_stage_payload() {
	local stage=$1 payload=$2 f src dest
	shift 2
	mkdir -p "$stage/payload" || return 1
	install -m 755 "$payload" "$stage/payload.sh" || return 1
	for f in "$@"; do
		src=${f%%=*} dest=/payload/$(basename "${f%%=*}")
		[ "$f" != "$src" ] && dest=${f#*=}
		mkdir -p "$stage$(dirname "$dest")"
		cp -rL "$src" "$stage$dest" || return 1
	done
}

# l1_run LOG TIMEOUT STALL QEMU-COMMAND...: run L1 with its console in
# LOG, bounded by TIMEOUT seconds; with STALL > 0 also stopped once its
# console has been silent for STALL seconds (emulated virtualization under
# TCG now and then wedges a whole L1 kernel).  Sets l1_start, l1_end (for
# l1_report) and returns QEMU's status, 124 for a timeout or a stall.
l1_run() {
	local log=$1 timeout_s=$2 stall_s=$3 qpid size last=-1 still=0 stalled=0 qrc
	shift 3
	l1_start=$(date +%s.%N)
	timeout -k 5 "$timeout_s" "$@" </dev/null >"$log" 2>&1 &
	qpid=$!
	while [ "$stall_s" -gt 0 ] && kill -0 "$qpid" 2>/dev/null; do
		sleep 1
		size=$(stat -c %s "$log" 2>/dev/null || echo 0)
		if [ "$size" != "$last" ]; then
			last=$size still=0
		elif [ $((still += 1)) -ge "$stall_s" ]; then
			stalled=1
			kill "$qpid" 2>/dev/null # timeout passes it on to QEMU
			break
		fi
	done
	wait "$qpid"
	qrc=$?
	l1_end=$(date +%s.%N)
	if [ "$stalled" = 1 ]; then
		echo "run-l1.sh: L1's console was silent for ${stall_s}s: stopped it" >&2
		return 124
	fi
	return "$qrc"
}

# l1_report LOG QEMU_STATUS TIMEOUT VERBOSE START END: after an L1 run,
# print the payload's "NESTED: " lines of the console LOG without the
# prefix, explain a failed run on stderr, and return the payload's exit
# status (NESTED-EXIT), or 124 when L1 did not report one.
l1_report() {
	local log=$1 qrc=$2 timeout_s=$3 verbose=$4 start=$5 end=$6 code
	# Serial output has CRLF line ends.
	sed -i 's/\r$//' "$log"
	sed -n 's/^NESTED: \{0,1\}//p' "$log"
	if [ "$verbose" = 1 ]; then
		grep '^NESTED-' "$log" >&2
		awk -v s="$start" -v e="$end" 'BEGIN { printf "run-l1: L1 run %.1f s wall\n", e - s }' >&2
	fi
	code=$(sed -n 's/^NESTED-EXIT \([0-9][0-9]*\)$/\1/p' "$log" | tail -1)
	if [ -z "$code" ]; then
		if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
			echo "run-l1.sh: L1 did not finish within ${timeout_s}s" >&2
		else
			echo "run-l1.sh: L1 ended (qemu exit $qrc) without reporting" >&2
		fi
		echo "run-l1.sh: last lines of L1's console:" >&2
		tail -n 20 "$log" | sed 's/^/  | /' >&2
		return 124
	fi
	if [ "$code" = 125 ]; then
		echo "run-l1.sh: KVM did not come up in L1:" >&2
		grep '^NESTED-L1' "$log" | sed 's/^/  | /' >&2
	fi
	return "$code"
}

# minivmm_runtime_libs: "HOST_PATH=L1_PATH" file arguments (run-l1.sh) for
# the libraries minivmm dlopen()s to unpack a bzImage on the host
# (src/arch/x86/decompress.h).  ldd does not list them, so --exe misses them.
minivmm_runtime_libs() {
	local lib p
	for lib in liblzma.so.5 libz.so.1 libzstd.so.1; do
		p=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ { print $NF; exit }')
		[ -n "$p" ] && echo "$(readlink -f "$p")=$p"
	done
}

# --- kernel modules (the packages have no modules.dep) -------------------------
# The load order comes from each .ko's .modinfo section: depends= (hard
# dependencies) and softdep=pre: (ext4's "crypto-crc32c", an alias).
# readelf reads any architecture's ELF, so the arm64 modules too.

# Modules L2's virtio tests need; their dependencies are worked out.
L2_MODULES="virtio_pci virtio_mmio virtio_blk virtio_console virtio_rng ext4"
# The network and vsock modes of L2 (l2.mode=net) load these instead
# (/modules/net, /modules/vsock, in l2_net_part_build's archive): virtio_net
# (with failover, net_failover) and the virtio vsock transport (with vsock
# and its common part).
L2_NET_MODULES="virtio_pci virtio_mmio virtio_net"
L2_VSOCK_MODULES="virtio_pci virtio_mmio vmw_vsock_virtio_transport"
# Modules L1 needs for its own disk (run-l1.sh --disk): virtio-blk-pci + ext4.
L1_DISK_MODULES="virtio_pci virtio_blk ext4"
# Modules L1 needs for the network and vsock cases (run-l1.sh --net): tap
# devices, vhost-net and vhost-vsock (vhost, vhost_iotlb, tap, vsock and
# the virtio vsock common part come with them).
L1_NET_MODULES="tun vhost_net vhost_vsock vsock"

modinfo_field() { # KO FIELD: the values of FIELD= in KO's .modinfo, one a line
	readelf -p .modinfo "$1" 2>/dev/null | sed -n "s/^ *\[ *[0-9a-f]*\] *$2=//p"
}

# module_file MODDIR NAME: the .ko for a module name (depends= writes
# kvm_amd for kvm-amd.ko); for a crypto-* alias (softdep=pre:), the module in
# kernel/crypto that declares it, a *generic one first.
module_file() {
	local dir=$1 name=$2 base ko
	for base in "$name" "${name//_/-}" "${name//-/_}"; do
		find "$dir" -name "$base.ko" -print -quit | grep . && return 0
	done
	case $name in crypto-*)
		for ko in "$dir"/kernel/crypto/*generic*.ko "$dir"/kernel/crypto/*.ko; do
			[ -f "$ko" ] && modinfo_field "$ko" alias | grep -qx "$name" && { echo "$ko"; return 0; }
		done ;;
	esac
	return 1
}

module_builtin() { # MODDIR NAME: is NAME built into the kernel (modules.builtin)?
	grep -q -e "/$2\.ko\$" -e "/${2//_/-}\.ko\$" -e "/${2//-/_}\.ko\$" "$1/modules.builtin" 2>/dev/null
}

# modules_stage MODDIR DIR NAME...: copy each module NAME and, first, its
# dependencies into DIR (NAME.ko), their load order in DIR/order.  Built-in
# modules are left out; a module that is neither is an error.
modules_stage() {
	local dir=$1 out=$2 name
	shift 2
	mkdir -p "$out" && : >"$out/order" || return 1
	for name in "$@"; do
		_module_add "$dir" "$out" "$name" || return 1
	done
}
_module_add() {
	local dir=$1 out=$2 name=$3 ko dep
	if ! ko=$(module_file "$dir" "$name"); then
		module_builtin "$dir" "$name" && return 0
		echo "module $name is neither in $dir nor built in" >&2
		return 1
	fi
	name=$(basename "$ko" .ko)
	grep -qx "$name" "$out/order" && return 0
	for dep in $(modinfo_field "$ko" depends | tr ',' ' ') \
		$(modinfo_field "$ko" softdep | sed -n 's/.*pre: *\([^:]*\).*/\1/p' | sed 's/ post$//'); do
		_module_add "$dir" "$out" "$dep" || return 1
	done
	grep -qx "$name" "$out/order" && return 0
	cp "$ko" "$out/$name.ko" && echo "$name" >>"$out/order"
}

# l2_initrd_build OUT.cpio.gz MODDIR [STAGE_BUSYBOX ARGS...]: the L2
# initramfs of both tiers, busybox (stage_busybox's extra arguments pick a
# foreign one) with tests/nested/l2-init.sh as /init and the $L2_MODULES
# (from the kernel package's MODDIR) in /modules with their load order in
# /modules/order, gzipped to OUT.
l2_initrd_build() {
	local out=$1 moddir=$2 stage=$CACHE/stage-l2
	shift 2
	rm -rf "$stage"
	# shellcheck disable=SC2086 # a list of names
	stage_busybox "$stage" "$@" &&
		install -m 755 "$NESTED_DIR/l2-init.sh" "$stage/init" &&
		modules_stage "$moddir" "$stage/modules" $L2_MODULES &&
		cpio_from_dir "$stage" "${out%.gz}" &&
		gzip -6 -n -f "${out%.gz}" || return 1
	rm -rf "$stage"
}

# l2_net_part_build OUT.cpio.gz MODDIR SOCAT [ROOT]: what the network and
# vsock boots (l2.mode=net) add to the L2 initramfs, as an archive of its
# own (the kernel unpacks concatenated archives, so the other boots do not
# carry socat's 4 MiB of libraries): the $L2_NET_MODULES and
# $L2_VSOCK_MODULES in /modules/net and /modules/vsock (load order in each
# one's order file), socat at /usr/bin/socat with its libraries, gzipped
# to OUT.  Without ROOT, SOCAT is a program ldd can read (the host's);
# with ROOT, a path in ROOT, another architecture's sysroot
# (sysroot_copy_prog: its NEEDED libraries and its loader from there).
l2_net_part_build() {
	local out=$1 moddir=$2 socat=$3 root=${4:-} stage=$CACHE/stage-l2net
	rm -rf "$stage"
	# shellcheck disable=SC2086 # a list of names
	modules_stage "$moddir" "$stage/modules/net" $L2_NET_MODULES &&
		modules_stage "$moddir" "$stage/modules/vsock" $L2_VSOCK_MODULES || return 1
	if [ -z "$root" ]; then
		copy_with_libs "$socat" "$stage" /usr/bin/socat || return 1
	else
		sysroot_copy_prog "$root" "$socat" "$stage" /usr/bin/socat || return 1
	fi
	cpio_from_dir "$stage" "${out%.gz}" &&
		gzip -6 -n -f "${out%.gz}" || return 1
	rm -rf "$stage"
}

# l2_bundle_build OUT.cpio KERNEL NAME INITRD [NET_PART]: the cpio archive
# that puts the L2 kernel at /l2/NAME and the initramfs at /l2/initrd.gz in
# L1; with NET_PART (l2_net_part_build) also /l2/initrd-net.gz, the
# initramfs followed by NET_PART, for the network and vsock boots.
l2_bundle_build() {
	local out=$1 kernel=$2 name=$3 initrd=$4 net=${5:-} stage=$CACHE/stage-l2b
	rm -rf "$stage"
	mkdir -p "$stage/l2" &&
		cp "$kernel" "$stage/l2/$name" &&
		cp "$initrd" "$stage/l2/initrd.gz" || return 1
	if [ -n "$net" ]; then
		cat "$initrd" "$net" >"$stage/l2/initrd-net.gz" || return 1
	fi
	cpio_from_dir "$stage" "$out" || return 1
	rm -rf "$stage"
}

# --- verdict lines of the tier runners (tests/nested/run.sh, tests/arm64/run.sh):
# pass, fail, skip and closing (with $TIER_NAME) from tests/verdict.sh.
. "$(dirname "${BASH_SOURCE[0]}")/../verdict.sh"

# --- disk images for L2's virtio tests (tests/nested/virtio.sh) ------------------
# Built on the host from files, never mounted: mkfs.ext4 -d fills an ext4
# file system from a directory (e2fsprogs); the boot disk is a FAT
# partition filled with mtools, made bootable by syslinux's mtools
# installer, behind an MBR written by sfdisk and syslinux's mbr.bin.

# The first line of /hello.txt on disk.img, which L2 reports and run.sh checks.
VIRTIO_HELLO="L2-DISK-HELLO from the host's mkfs.ext4 -d"
IMAGES=$CACHE/images # disk.img, rootfs.img, boot.img (x86), fio.img (benchmarks)

# ext4_image OUT SIZE_MIB DIR LABEL: a sparse ext4 image of DIR's contents.
ext4_image() {
	rm -f "$1" && truncate -s "$2M" "$1" &&
		mkfs.ext4 -q -F -b 4096 -L "$4" -E root_owner=0:0 -d "$3" "$1" >/dev/null
}

# disk_image_build OUT: 64 MiB ext4 with /hello.txt ($VIRTIO_HELLO).
disk_image_build() {
	local stage=$CACHE/stage-disk
	rm -rf "$stage" && mkdir -p "$stage" || return 1
	echo "$VIRTIO_HELLO" >"$stage/hello.txt"
	ext4_image "$1" 64 "$stage" l2disk || return 1
	rm -rf "$stage"
}

# rootfs_image_build OUT MODDIR [STAGE_BUSYBOX ARGS...]: 64 MiB ext4 root
# file system: busybox, l2-init.sh as /init and /sbin/init, /etc/l2-rootfs
# (which tells the script it runs from the disk).
rootfs_image_build() {
	local out=$1 stage=$CACHE/stage-rootfs
	shift 2
	rm -rf "$stage"
	stage_busybox "$stage" "$@" || return 1
	install -m 755 "$NESTED_DIR/l2-init.sh" "$stage/init" &&
		ln -s ../init "$stage/sbin/init" &&
		mkdir -p "$stage/mnt" "$stage/newroot" &&
		echo "the L2 root file system of tests/nested (l2.mode=rootfs)" >"$stage/etc/l2-rootfs" &&
		ext4_image "$out" 64 "$stage" l2root || return 1
	rm -rf "$stage"
}

# boot_image_build OUT KERNEL INITRD APPEND: a 64 MiB disk SeaBIOS boots:
# MBR (syslinux mbr.bin) with one active FAT16 partition from 1 MiB that
# holds KERNEL, INITRD and syslinux.cfg; SYSLINUX (ldlinux.sys, ldlinux.c32)
# installed by its mtools installer, so nothing is mounted.
boot_image_build() {
	local out=$1 kernel=$2 initrd=$3 append=$4 cfg=$CACHE/syslinux.cfg.tmp
	local off=$((2048 * 512)) mbr=/usr/lib/syslinux/mbr/mbr.bin
	[ -f "$mbr" ] || { echo "no $mbr (package syslinux-common)" >&2; return 1; }
	rm -f "$out" && truncate -s 64M "$out" || return 1
	echo 'start=2048, type=6, bootable' | sfdisk -q "$out" >/dev/null || return 1
	dd if="$mbr" of="$out" bs=440 count=1 conv=notrunc status=none || return 1
	mkfs.fat -F 16 -n L2BOOT --offset 2048 "$out" $(((64 * 1024 - 1024))) >/dev/null || return 1
	cat >"$cfg" <<CFG
SERIAL 0 115200
DEFAULT l2
PROMPT 0
TIMEOUT 0
LABEL l2
  KERNEL /vmlinuz
  INITRD /initrd.gz
  APPEND $append
CFG
	mcopy -i "$out@@$off" "$kernel" ::/vmlinuz &&
		mcopy -i "$out@@$off" "$initrd" ::/initrd.gz &&
		mcopy -i "$out@@$off" "$cfg" ::/syslinux.cfg &&
		syslinux --install --offset "$off" "$out" || return 1
	rm -f "$cfg"
	mdir -i "$out@@$off" -a -b :: | grep -q -i ldlinux.sys || { echo "syslinux left no ldlinux.sys" >&2; return 1; }
}

# fio_image_build OUT FIO ROOT: an ext4 image with FIO at /usr/bin/fio and
# the libraries it needs at their own paths, and /ld.path, the directories
# that hold them (for ld.so --library-path with /fio in front; L2 mounts the
# image at /fio).  ROOT empty: FIO is the host's, its libraries what ldd
# lists; else ROOT is a sysroot of another architecture's packages, FIO a
# path in it, and the libraries are found from the NEEDED entries there.
fio_image_build() {
	local out=$1 fio=$2 root=$3 stage=$CACHE/stage-fio size
	rm -rf "$stage"
	if [ -z "$root" ]; then
		copy_with_libs "$fio" "$stage" /usr/bin/fio || return 1
	else
		sysroot_copy_prog "$root" "$fio" "$stage" || return 1
		[ "$fio" = /usr/bin/fio ] || { mkdir -p "$stage/usr/bin" && cp "$stage$fio" "$stage/usr/bin/fio"; }
	fi
	(cd "$stage" && find . -name '*.so*' -printf '/%h\n' | sed 's|^/\./|/|' | sort -u | paste -sd:) >"$stage/ld.path"
	size=$(($(du -sm "$stage" | cut -f1) + 32))
	ext4_image "$out" "$size" "$stage" l2fio || return 1
	rm -rf "$stage"
}

# sysroot_copy_elf ROOT FILE STAGE: copy ROOT/FILE to STAGE/FILE and, once
# each, the shared libraries its NEEDED entries reach, transitively, looked
# up in ROOT's multiarch and plain library directories.
sysroot_copy_elf() {
	local root=$1 f=$2 stage=$3 so d path
	[ -e "$stage$f" ] && return 0
	mkdir -p "$stage$(dirname "$f")" && cp -L "$root$f" "$stage$f" || return 1
	for so in $(readelf -d "$root$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		path=
		for d in $(cd "$root" && ls -d lib/*-linux-gnu usr/lib/*-linux-gnu usr/lib/*-linux-gnu/* lib usr/lib 2>/dev/null); do
			[ -f "$root/$d/$so" ] && { path=/$d/$so; break; }
		done
		[ -n "$path" ] || { echo "$f needs $so, not in $root" >&2; return 1; }
		sysroot_copy_elf "$root" "$path" "$stage" || return 1
	done
}

# sysroot_copy_prog ROOT FILE STAGE [DEST]: the program ROOT/FILE ready to
# run in a root without a libc of its own: at STAGE/DEST (default FILE),
# the libraries it needs (sysroot_copy_elf) and its dynamic loader (its
# PT_INTERP) at their own paths under STAGE.
sysroot_copy_prog() {
	local root=$1 f=$2 stage=$3 dest=${4:-$2} interp
	interp=$(readelf -l "$root$f" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
	[ -n "$interp" ] || { echo "$root$f names no program interpreter" >&2; return 1; }
	sysroot_copy_elf "$root" "$f" "$stage" || return 1
	if [ "$dest" != "$f" ]; then
		mkdir -p "$stage$(dirname "$dest")" && mv "$stage$f" "$stage$dest" || return 1
	fi
	chmod 755 "$stage$dest"
	[ -e "$stage$interp" ] && return 0
	mkdir -p "$stage$(dirname "$interp")" && cp -L "$root$interp" "$stage$interp"
}
