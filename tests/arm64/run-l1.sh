#!/usr/bin/env bash
# Boot the arm64 L1 (Debian's arm64 kernel under qemu-system-aarch64 in
# software, with EL2, so its built-in KVM offers a real /dev/kvm) and run a
# payload script in it.  The arm64 twin of tests/nested/run-l1.sh.
#
#   tests/arm64/run-l1.sh [options] PAYLOAD_SCRIPT [FILE...]
#
# PAYLOAD_SCRIPT becomes /payload.sh in L1 and runs under busybox sh, in
# /payload.  It reports to the host by printing lines that start with
# "NESTED: "; this script prints those lines on stdout without the prefix
# and exits with the payload's exit status.
#
# FILE arguments are copied into L1:
#   PATH            to /payload/<basename of PATH>
#   PATH=DEST       to DEST (an absolute path in L1)
# Options:
#   --exe PATH[=DEST]  a static arm64 program (e.g. build-arm64/minivmm), at
#                      DEST (default /payload/bin/<basename>), executable;
#                      a dynamically linked one is refused (L1 has no libc)
#   --qemu             add the arm64 qemu-system-aarch64 and its libraries
#                      (prepare.sh --qemu; ~100 MB more initramfs)
#   --cpio ARCHIVE     append a ready-made newc cpio archive (repeatable)
#   --timeout SECONDS  bound the whole L1 run (default 300)
#   --stall SECONDS    stop L1 when its console has been silent that long
#                      (exit 124, as for --timeout; default 0: never)
#   --log FILE         keep L1's whole serial console in FILE
#   --disk IMAGE       give L1 a disk: IMAGE (raw, an ext4 file system, e.g.
#                      made by mkfs.ext4 -d) as virtio-blk-pci; L1's init
#                      mounts it at /disk before the payload runs, and
#                      unmounts it at the end, so what L1 wrote there is in
#                      IMAGE on the host afterwards (read it with debugfs)
#   --net              the network and vsock cases' L1 end (tests/nested/net.sh):
#                      L1's init loads tun, vhost_net, vhost_vsock, vsock
#                      (/dev/net/tun, /dev/vhost-net, /dev/vhost-vsock)
#                      before the payload, and the arm64 socat is at
#                      /payload/bin/socat with its own loader and libraries
#   --serial SOCKET    give L1 a virtio console (its /dev/hvc0) whose other
#                      end is a Unix socket at SOCKET on the host (QEMU
#                      listens; a host gdb talks to a stub in L1).  The
#                      virt board has one PL011 only, so it is a
#                      virtconsole on virtio-mmio; L1 loads virtio_mmio and
#                      virtio_console (modules of the kernel package) before
#                      the payload runs, which finds /dev/hvc0 there
#   -v                 also print L1's own status lines and timings on stderr
#
# L1: qemu-system-aarch64 -M virt,virtualization=on,gic-version=3
# -cpu max,pauth=off -smp 1 -m 1G -nographic -no-reboot -nic none
# -kernel cache/Image -initrd ... -append "console=ttyAMA0 panic=-1 quiet".
# In L1: busybox, /dev/kvm, the L2 kernel /l2/Image and initramfs
# /l2/initrd.gz (also $NESTED_L2_KERNEL / $NESTED_L2_INITRD; the network
# and vsock boots' initramfs is /l2/initrd-net.gz), l2-run (see
# tests/nested/README.md), a tmpfs /tmp, vm.overcommit_memory=1.
# ARM64_L1_APPEND adds words to L1's command line (e.g. nokaslr, so that
# L1's /proc/kallsyms has the addresses an L2 of the same kernel runs at).
#
# Exit status: the payload's; 124 L1 did not finish in time (or died
# without reporting); 125 no /dev/kvm in L1; 3 the tier cannot run here
# (prepare.sh could not get its packages); 2 usage.

set -u -o pipefail
. "$(dirname "$0")/lib.sh"

usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 2; }

timeout_s=300 stall_s=0 log='' disk='' verbose=0 with_qemu=0 serial='' net=0
cpios=() files=()
while [ $# -gt 0 ]; do
	case $1 in
	--exe)
		src=${2%%=*} dest=/payload/bin/$(basename "${2%%=*}")
		[ "$2" != "$src" ] && dest=${2#*=}
		if readelf -l "$src" 2>/dev/null | grep -q INTERP; then
			echo "run-l1.sh: $src is dynamically linked; L1 runs static programs only" >&2
			exit 2
		fi
		files+=("$src=$dest")
		shift 2 ;;
	--qemu) with_qemu=1; shift ;;
	--cpio) cpios+=("$2"); shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--stall) stall_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--disk) disk=$2; shift 2 ;;
	--net) net=1; shift ;;
	--serial) serial=$2; shift 2 ;;
	-v) verbose=1; shift ;;
	-h | --help) usage ;;
	-*) echo "run-l1.sh: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
payload=$1
shift
files+=("$@")
[ -f "$payload" ] || { echo "run-l1.sh: no payload script $payload" >&2; exit 2; }

prep=(-q)
[ "$with_qemu" = 1 ] && prep+=(--qemu)
"$ARM64_DIR/prepare.sh" "${prep[@]}" || exit $?

work=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-a64-l1.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
[ -n "$log" ] || log=$work/console.log

# --serial: the console's modules in /modules/serial, loaded by a few lines
# put in front of the payload (L1's /init knows only KVM's and the disk's).
if [ -n "$serial" ]; then
	modules_stage "$(echo "$CACHE"/kernel/lib/modules/6.1.0-*-arm64)" "$work/stage/modules/serial" \
		virtio_mmio virtio_console || exit 2
	{
		cat <<'EOF'
# run-l1.sh --serial: the virtio console /dev/hvc0
while read -r mod; do
	insmod "/modules/serial/$mod.ko" || echo "NESTED-L1: insmod $mod failed"
done </modules/serial/order
i=0
while [ ! -c /dev/hvc0 ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -c /dev/hvc0 ] || echo "NESTED-L1: no /dev/hvc0 (run-l1.sh --serial)"
EOF
		cat "$payload"
	} >"$work/payload.sh" || exit 2
	payload=$work/payload.sh
fi

# The overlay: /payload.sh and the files, as one more cpio archive (the
# kernel unpacks concatenated archives one after the other).
l1_stage_payload "$work/stage" "$payload" "${files[@]}" || exit 2
[ -n "$disk" ] && : >"$work/stage/payload/.l1-disk"
[ "$net" = 1 ] && : >"$work/stage/payload/.l1-net"
chmod -R a+rX "$work/stage/payload"
[ -d "$work/stage/payload/bin" ] && chmod 755 "$work/stage/payload/bin"/*
cpio_from_dir "$work/stage" "$work/overlay.cpio" || exit 2
parts=("$A64_L1_BASE_CPIO" "$A64_L2_BUNDLE_CPIO")
[ "$with_qemu" = 1 ] && parts+=("$A64_QEMU_BUNDLE_CPIO")
[ "$net" = 1 ] && parts+=("$A64_SOCAT_CPIO")
parts+=("${cpios[@]}" "$work/overlay.cpio")
cat "${parts[@]}" >"$work/initrd" || exit 2

disk_args=()
# shellcheck disable=SC2054 # the commas are part of the option values
[ -n "$disk" ] && disk_args=(-drive "file=$disk,format=raw,if=none,id=l1disk,cache=writeback"
	-device virtio-blk-pci,drive=l1disk)
serial_args=()
# shellcheck disable=SC2054 # the commas are part of the option values
[ -n "$serial" ] && serial_args=(-device virtio-serial-device
	-chardev "socket,id=gdbl1,path=$serial,server=on,wait=off" -device virtconsole,chardev=gdbl1)
l1_run "$log" "$timeout_s" "$stall_s" "${A64_L1_QEMU[@]}" "${disk_args[@]}" "${serial_args[@]}" \
	-kernel "$A64_KERNEL" -initrd "$work/initrd" \
	-append "$A64_L1_APPEND${ARM64_L1_APPEND:+ $ARM64_L1_APPEND}"
qrc=$?
l1_report "$log" "$qrc" "$timeout_s" "$verbose" "$l1_start" "$l1_end"
exit $?
