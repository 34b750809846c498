# shellcheck shell=bash disable=SC2034 # sourced; the scripts use these names
# Shared by the arm64 nested tier's scripts (sourced, not run).
#
# The generic helpers (cpio, packages, .deb download, content keys, busybox
# staging, L1 payload and report) come from tests/nested/lib.sh; this file
# only names what tests/arm64/prepare.sh leaves in the arm64 cache.

ARM64_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/nested/lib.sh
. "$ARM64_DIR/../nested/lib.sh"
# The nested helpers keep their logs and downloads in $CACHE.
CACHE=${ARM64_CACHE:-$ARM64_DIR/cache}
IMAGES=$CACHE/images # the virtio cases' disk images (tests/nested/virtio.sh)

A64_KERNEL=$CACHE/Image                   # Debian's arm64 vmlinuz: an uncompressed Image
A64_L1_BASE_CPIO=$CACHE/l1-base.cpio      # busybox (arm64) + /init + l2-run
A64_L2_INITRD=$CACHE/l2-initrd.cpio.gz    # busybox (arm64) + tests/nested/l2-init.sh
A64_L2_NET_PART=$CACHE/l2-net.cpio.gz    # arm64 virtio_net, vsock modules, socat: appended for l2.mode=net
A64_L2_BUNDLE_CPIO=$CACHE/l2-bundle.cpio  # /l2/Image, /l2/initrd.gz, /l2/initrd-net.gz, for L1
A64_SOCAT_CPIO=$CACHE/socat-bundle.cpio   # /payload/bin/socat (arm64) + libraries + loader, for L1 (run-l1.sh --net)
A64_SOCAT_ROOT=$CACHE/socat-root          # socat:arm64 and its dependencies, unpacked
A64_QEMU_BUNDLE_CPIO=$CACHE/qemu-bundle.cpio # qemu-system-aarch64 (arm64) + libraries
A64_BUSYBOX=$CACHE/busybox/bin/busybox    # from busybox-static:arm64
A64_PREPARED_STAMP=$CACHE/prepared.ok

# Host packages the tier installs when missing (the arm64 ones it only
# downloads).  qemu-user-static runs the arm64 busybox's --list and
# `minivmm dtb` on the host; dtc decompiles that DTB.
# e2fsprogs: mkfs.ext4 -d and debugfs for the virtio cases' disk images.
ARM64_PACKAGES="qemu-system-arm qemu-user-static device-tree-compiler cpio gzip binutils e2fsprogs"

arm64_log() { echo "arm64: $*" >&2; }

# The L1 machine (PLATFORM.md "arm64: a nested tier too"): EL2 for KVM,
# GICv3 (ARM64_L1_GIC=2: a GICv2, for minivmm's fallback), no pointer
# authentication (slow under TCG).
# shellcheck disable=SC2054 # the commas are part of -M and -cpu values
A64_L1_QEMU=(qemu-system-aarch64 -M virt,virtualization=on,gic-version=${ARM64_L1_GIC:-3}
	-cpu max,pauth=off -smp 1 -m 1G -nographic -no-reboot -nic none)
A64_L1_APPEND="console=ttyAMA0 panic=-1 quiet"
