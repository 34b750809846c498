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
L2_BUNDLE_CPIO=$CACHE/l2-bundle.cpio # /l2/bzImage and /l2/initrd.gz, for L1
QEMU_BUNDLE_CPIO=$CACHE/qemu-bundle.cpio # qemu-system-x86_64, its libraries and firmware
PREPARED_STAMP=$CACHE/prepared.ok

# The packages the tier installs with apt-get when they are missing.
NESTED_PACKAGES="qemu-system-x86 busybox-static cpio xz-utils binutils gzip"

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

# l2_initrd_build OUT.cpio.gz [STAGE_BUSYBOX ARGS...]: the L2 initramfs of
# both tiers, busybox (stage_busybox's extra arguments pick a foreign one)
# with tests/nested/l2-init.sh as /init, gzipped to OUT.
l2_initrd_build() {
	local out=$1 stage=$CACHE/stage-l2
	shift
	rm -rf "$stage"
	stage_busybox "$stage" "$@" &&
		install -m 755 "$NESTED_DIR/l2-init.sh" "$stage/init" &&
		cpio_from_dir "$stage" "${out%.gz}" &&
		gzip -6 -n -f "${out%.gz}" || return 1
	rm -rf "$stage"
}

# l2_bundle_build OUT.cpio KERNEL NAME INITRD: the cpio archive that puts
# the L2 kernel at /l2/NAME and the initramfs at /l2/initrd.gz in L1.
l2_bundle_build() {
	local out=$1 kernel=$2 name=$3 initrd=$4 stage=$CACHE/stage-l2b
	rm -rf "$stage"
	mkdir -p "$stage/l2" &&
		cp "$kernel" "$stage/l2/$name" &&
		cp "$initrd" "$stage/l2/initrd.gz" &&
		cpio_from_dir "$stage" "$out" || return 1
	rm -rf "$stage"
}

# --- verdict lines of the tier runners (tests/nested/run.sh, tests/arm64/run.sh):
# pass, fail, skip and closing (with $TIER_NAME) from tests/verdict.sh.
. "$(dirname "${BASH_SOURCE[0]}")/../verdict.sh"
