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
