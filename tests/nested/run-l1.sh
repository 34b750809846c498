#!/usr/bin/env bash
# Boot L1 (Debian's kernel under QEMU TCG emulating AMD SVM, with kvm_amd
# loaded, so it has a real /dev/kvm) and run a payload script in it.
#
#   tests/nested/run-l1.sh [options] PAYLOAD_SCRIPT [FILE...]
#
# PAYLOAD_SCRIPT becomes /payload.sh in L1 and runs under busybox sh, in
# /payload, after the KVM modules are loaded.  It reports to the host by
# printing lines that start with "NESTED: "; this script prints those lines
# on stdout without the prefix and exits with the payload's exit status.
#
# FILE arguments are copied into L1:
#   PATH            to /payload/<basename of PATH>
#   PATH=DEST       to DEST (an absolute path in L1)
# Options:
#   --exe PATH[=DEST]  a program plus every library `ldd` lists, at their own
#                      absolute paths (default DEST /payload/bin/<basename>)
#   --qemu             add qemu-system-x86_64 (+ libraries, firmware) to L1
#   --cpio ARCHIVE     append a ready-made newc cpio archive (repeatable)
#   --timeout SECONDS  bound the whole L1 run (default 300)
#   --stall SECONDS    stop L1 when its console has printed nothing for
#                      SECONDS (exit 124 as for --timeout); 0, the default,
#                      never.  Emulated SVM under TCG now and then wedges
#                      the whole L1 kernel: this ends such a run early.
#   --log FILE         keep L1's whole serial console in FILE
#   --disk IMAGE       give L1 a disk: IMAGE (raw, an ext4 file system, e.g.
#                      made by mkfs.ext4 -d) as virtio-blk-pci; L1's init
#                      mounts it at /disk before the payload runs, and
#                      unmounts it at the end, so what L1 wrote there is in
#                      IMAGE on the host afterwards (read it with debugfs)
#   --net              load the network modules in L1 before the payload
#                      (tun, vhost_net, vhost_vsock, vsock: /dev/net/tun,
#                      /dev/vhost-net, /dev/vhost-vsock), for tests/nested/net.sh
#   --bzimage          boot L1 from the bzImage instead of the vmlinux (PVH)
#   --serial SOCKET    give L1 a second serial port (its /dev/ttyS1) whose
#                      other end is a Unix socket at SOCKET on the host
#                      (QEMU listens; a host gdb talks to a stub in L1)
#   -v                 also print L1's own status lines and timings on stderr
#
# Environment, for looking into L1: NESTED_L1_APPEND adds words to L1's
# kernel command line, NESTED_L1_QEMU_ARGS adds QEMU options (e.g.
# "-monitor unix:/tmp/l1mon,server,nowait", to ask QEMU about a wedged L1).
#
# In L1: the L2 kernel is /l2/bzImage and the L2 initramfs /l2/initrd.gz
# (also in $NESTED_L2_KERNEL / $NESTED_L2_INITRD); /tmp is a tmpfs; the
# payload has busybox and whatever was added above.  Writing files that are
# big compared to L1's 2 GiB of RAM is not a good idea.
#
# Exit status: the payload's; 124 L1 did not finish in time (or died
# without reporting); 125 KVM did not come up in L1; 3 the tier cannot run
# here (prepare.sh could not get its packages); 2 usage.

set -u -o pipefail
. "$(dirname "$0")/lib.sh"

usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 2; }

timeout_s=300 stall_s=0 log='' disk='' verbose=0 with_qemu=0 bzimage=0 serial='' net=0
cpios=() files=() exes=()
while [ $# -gt 0 ]; do
	case $1 in
	--exe) exes+=("$2"); shift 2 ;;
	--qemu) with_qemu=1; shift ;;
	--cpio) cpios+=("$2"); shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--stall) stall_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--disk) disk=$2; shift 2 ;;
	--bzimage) bzimage=1; shift ;;
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
files=("$@")
[ -f "$payload" ] || { echo "run-l1.sh: no payload script $payload" >&2; exit 2; }

"$NESTED_DIR/prepare.sh" -q || exit $?

work=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-l1.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
[ -n "$log" ] || log=$work/console.log

# The overlay: /payload.sh and the files, as one more cpio archive.
stage=$work/stage
l1_stage_payload "$stage" "$payload" "${files[@]}" || exit 2
[ -n "$disk" ] && : >"$stage/payload/.l1-disk"
[ "$net" = 1 ] && : >"$stage/payload/.l1-net"
for f in "${exes[@]}"; do
	src=${f%%=*} dest=/payload/bin/$(basename "${f%%=*}")
	[ "$f" != "$src" ] && dest=${f#*=}
	copy_with_libs "$src" "$stage" "$dest" || exit 2
done
cpio_from_dir "$stage" "$work/overlay.cpio" || exit 2

# The kernel unpacks concatenated archives one after the other.
parts=("$L1_BASE_CPIO" "$L2_BUNDLE_CPIO")
[ "$with_qemu" = 1 ] && parts+=("$QEMU_BUNDLE_CPIO")
parts+=("${cpios[@]}" "$work/overlay.cpio")
cat "${parts[@]}" >"$work/initrd" || exit 2

kernel=$CACHE/$(cat "$CACHE/l1-kernel")
[ "$bzimage" = 1 ] && kernel=$L1_KERNEL_BZ

disk_args=()
# shellcheck disable=SC2054 # the commas are part of the option values
[ -n "$disk" ] && disk_args=(-drive "file=$disk,format=raw,if=none,id=l1disk,cache=writeback"
	-device virtio-blk-pci,drive=l1disk)
serial_args=()
# With an explicit -serial, -nographic no longer puts ttyS0 on stdio.
[ -n "$serial" ] && serial_args=(-serial mon:stdio -serial "unix:$serial,server=on,wait=off")
# shellcheck disable=SC2086 # NESTED_L1_QEMU_ARGS: options, split into words
l1_run "$log" "$timeout_s" "$stall_s" qemu-system-x86_64 \
	-M q35 -accel tcg -cpu EPYC,+svm -smp 1 -m 2G \
	-nographic -no-reboot -nic none "${disk_args[@]}" "${serial_args[@]}" ${NESTED_L1_QEMU_ARGS:-} \
	-kernel "$kernel" -initrd "$work/initrd" \
	-append "console=ttyS0 quiet panic=-1${NESTED_L1_APPEND:+ $NESTED_L1_APPEND}"
qrc=$?
l1_report "$log" "$qrc" "$timeout_s" "$verbose" "$l1_start" "$l1_end"
exit $?
