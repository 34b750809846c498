#!/usr/bin/env bash
# The arm64 nested tier: minivmm on real arm64 KVM.  The host's /dev/kvm is
# x86 (kvm-pvm), so QEMU emulates an aarch64 machine with EL2 in software;
# Debian's arm64 kernel boots in it (L1) with KVM built in; the
# cross-built static build-arm64/minivmm runs inside L1 and boots its
# guests (L2): the flat test guests of guests/arm64/, then the same Debian
# kernel with a busybox initramfs (tests/nested/l2-init.sh).
#
#   make check-arm64             (or tests/arm64/run.sh from anywhere)
#   tests/arm64/run.sh -k NAME   only the cases whose name contains NAME
#
# Environment: MINIVMM (default build-arm64/minivmm, static, aarch64);
# ARM64_GUESTS (default build-arm64/guests); ARM64_L2_TIMEOUT (seconds one
# Linux boot may take, default 60); ARM64_L2_APPEND (the L2 command line
# before the l2.* options, default "console=ttyAMA0 quiet panic=-1");
# ARM64_QEMU=0 leaves out the reference cases that boot L2 under the arm64
# QEMU (-M virt -enable-kvm -cpu host: qemu-l2-boot and the virtio cases'
# reference, which prove the harness; the QEMU bundle makes L1 slower to
# boot and its first download takes a minute); ARM64_KEEP=DIR keeps L1's
# console, the payload, the parsed output and L1's disk in DIR.
#
# One L1 boot runs every case.  Prints "PASS name (detail)", "FAIL name:
# why" or "SKIP name: why" per case and closes with
# "arm64: N passed, N failed, N skipped"; exits 1 if any case failed.
# When this machine cannot get the packages (prepare.sh exits 3) the
# whole tier is one SKIP.  A missing or broken minivmm is a FAIL.

set -u -o pipefail
ARM64_DIR=$(cd "$(dirname "$0")" && pwd)
cd "$ARM64_DIR/../.." || exit 2
. "$ARM64_DIR/lib.sh"
. "$ARM64_DIR/../nested/virtio.sh"
. "$ARM64_DIR/../nested/net.sh"

MINIVMM=${MINIVMM:-build-arm64/minivmm}
GUESTS=${ARM64_GUESTS:-build-arm64/guests}
L2_TIMEOUT=${ARM64_L2_TIMEOUT:-60}
L2_APPEND=${ARM64_L2_APPEND:-console=ttyAMA0 quiet panic=-1}
FLAT_TIMEOUT=15 # seconds one flat-guest run may take in L1
GRACE=10        # seconds a VMM has to exit after the guest's poweroff
filter=
[ "${1:-}" = -k ] && filter=${2:-}

TIER_NAME=arm64 # pass, fail, skip, closing: tests/nested/lib.sh
wanted() { [[ $1 == *"$filter"* ]]; }

# --- the case table --------------------------------------------------------------
#
# flat NAME EXIT STDOUT STDERR -- ARGS...
#     minivmm ARGS in L1 (a guest path G/x.bin means build-arm64/guests/x.bin)
#     must exit with EXIT; STDOUT must equal the console output (printf %b
#     escapes; "~x": contains x; "-": anything); STDERR: a substring of the
#     monitor's messages ("-": anything).
# signal NAME SIG -- ARGS...
#     minivmm ARGS, sent SIG after 1 s, must exit 3.
# linux NAME "ARGS" EXPECT...       minivmm run ARGS -kernel /l2/Image
#                                   -initrd /l2/initrd.gz -append "..."
# qemu NAME "ARGS" EXPECT...        the same guest under the arm64 QEMU
#     EXPECT, all must hold: marker (the L2 init's marker line), nproc=N,
#     mem=MIB (MemTotal between 85 % and 100 % of MIB), console (a command
#     typed on the console is answered, then "poweroff -f" is typed),
#     reboot (the guest ends with reboot -f), restart (reboot, and the VMM
#     is not stopped after it: --reboot=restart boots it again),
#     markers=N (the marker at least N times), exit=N (the VMM exits by
#     itself with N); and the virtio words of tests/nested/virtio.sh
#     (disk, serials=A,B, ro, discard, rng, hvc, rootfs; @disk@ etc. in
#     ARGS name disk images, each a copy of its own on L1's disk; ARGS
#     with -serial replace QEMU's -serial stdio); and the network and
#     vsock words of tests/nested/net.sh (ping, tcp, macs=A,B,
#     vhostnet=on|off, vsock-echo, vsock-many, vsock-poweroff: taps and
#     the L1 end in L1, tests/nested/net-l1.sh; such a boot gets
#     /l2/initrd-net.gz and NET_EXTRA_SECONDS more).
# dtb NAME ARGS...                  on the host: `minivmm dtb -o F ARGS`
#     (through qemu-aarch64-static), decompiled with dtc and checked
#     against ARGS (see check_dtb).

flat_names=() flat_spec=()
flat() {
	local name=$1
	wanted "$name" || return 0
	shift
	flat_names+=("$name")
	flat_spec+=("$(printf '%q ' "$@")")
}
signal() { flat "$1" SIGNAL "$2" - "${@:3}"; }
l2_names=() l2_vmm=() l2_args=() l2_expect=()
linux() { add_l2 minivmm "$@"; }
qemu() { [ "${ARM64_QEMU:-1}" = 1 ] && add_l2 qemu "$@"; return 0; }
add_l2() {
	wanted "$2" || return 0
	l2_vmm+=("$1") l2_names+=("$2") l2_args+=("$3")
	shift 3
	l2_expect+=("$*")
}
dtb_names=() dtb_args=()
dtb() {
	wanted "$1" || return 0
	dtb_names+=("$1")
	shift
	dtb_args+=("$(printf '%q ' "$@")")
}

CON=(--debugcon-mmio 0x9000000)
REGS=(--reg x0=0x0123456789abcdef --reg x1=0xfedcba9876543210
	--reg x2=0x1122334455667788 --reg x3=0x99aabbccddeeff00 --reg sp=0x40080000)
REGS_OUT='x0=0x0123456789abcdef\nx1=0xfedcba9876543210\nx2=0x1122334455667788\n'
REGS_OUT+='x3=0x99aabbccddeeff00\nsp=0x0000000040080000\nPASS regs\n'

# Flat AArch64 images (guests/arm64/*.S).
flat arm64-hello 0 'Hello, world\n' - -- run "${CON[@]}" G/hello.bin
flat arm64-mmio 0 'PASS mmio\n' - -- run "${CON[@]}" -m 16M G/mmio.bin
flat arm64-mmio-trace 0 'PASS mmio\n' 'mmio read addr=0x20000000 size=4 data=0xffffffff' -- \
	run "${CON[@]}" -m 16M --trace mmio G/mmio.bin
flat arm64-psci-off 0 'Hello, world\n' - -- run "${CON[@]}" G/hello.bin
flat arm64-psci-reset 4 'resetting\n' - -- run "${CON[@]}" G/psci_reset.bin
flat arm64-regs 0 "$REGS_OUT" - -- run "${CON[@]}" "${REGS[@]}" G/regs.bin
flat arm64-timeout 3 '' timeout -- run --timeout 1 G/runaway.bin
signal arm64-sigterm TERM -- run G/runaway.bin
flat arm64-caps 0 '~IPA' - -- caps
# Bad input: exit 2 and a message.
flat arm64-missing-image 2 '' 'cannot open image' -- run "${CON[@]}" /payload/no-such-image.bin
flat arm64-empty-image 2 '' 'image is empty' -- run "${CON[@]}" /payload/empty.bin
flat arm64-bad-kernel 2 '' minivmm: -- run -m 256M -kernel /payload/zeros.bin -append console=ttyAMA0
flat arm64-unknown-option 2 '' "unknown option '--bogus'" -- run --bogus G/hello.bin

# Snapshots (tests/arm64/lifecycle.c, one program in L1 through the C API;
# guests/arm64/count.S on the virt machine): pause with a frozen counter,
# snapshot and restore into a new VM, `run --restore` in a new process,
# damaged snapshots refused.
LIFECYCLE=${ARM64_LIFECYCLE:-build-arm64/tests/arm64-lifecycle}
LIFECYCLE_TIMEOUT=240 # seconds the whole program may take in L1
lc_names=()
for n in pause-clock snapshot-restore snapshot-restore-smp2 restore-cli snapshot-damaged; do
	wanted "arm64-lifecycle-$n" && lc_names+=("arm64-lifecycle-$n")
done

# The device tree, inspected on the host.
dtb arm64-dtb -m 256M -smp 2 -append "console=ttyAMA0 arm64-dtb-check"
dtb arm64-dtb-gicv2 -M virt,gic-version=2 -m 256M -smp 2 -append "console=ttyAMA0 arm64-dtb-check"

# Linux (Debian's arm64 kernel + busybox initramfs) as L2.
qemu qemu-l2-boot "-m 256M -smp 2" marker nproc=2 mem=256 exit=0
linux arm64-l2-boot "-m 256M -smp 1" marker nproc=1 mem=256 exit=0
linux arm64-l2-smp2 "-m 512M -smp 2" marker nproc=2 mem=512 exit=0
linux arm64-l2-console "-m 256M -smp 1" marker console exit=0
linux arm64-l2-reboot "-m 256M -smp 1" marker reboot exit=4
# --reboot=restart: PSCI SYSTEM_RESET resets the machine in place and Linux
# boots again, until minivmm's --timeout (exit 3).
linux arm64-l2-restart "-m 256M -smp 2 --reboot=restart --timeout 30" restart markers=2 exit=3

# Virtio (virtio-mmio, as the virt board's device tree describes them): the
# QEMU reference proves the cases (one boot for the disk with cache=none,
# the serials, the read-only disk and the RNG); minivmm gets one boot per
# device, skipped until `minivmm run -device help` lists the devices.
V256="-m 256M -smp 1"
QDISKS="-drive file=@disk@,format=raw,if=none,id=d0,cache=none -device virtio-blk-device,drive=d0,serial=SER0
 -drive file=@disk.2@,format=raw,if=none,id=d1 -device virtio-blk-device,drive=d1,serial=SER1
 -drive file=@disk.3@,format=raw,if=none,id=d2,readonly=on -device virtio-blk-device,drive=d2
 -device virtio-rng-device"
D0="-drive file=@disk@,format=raw,if=none,id=d0"
D1="-drive file=@disk.2@,format=raw,if=none,id=d1"
R0="-drive file=@rootfs@,format=raw,if=none,id=r0"
HVC="-serial none -chardev stdio,id=hvc0 -device virtio-serial-device -device virtconsole,chardev=hvc0"
qemu qemu-virtio-blk "$V256 $QDISKS" marker disk exit=0
qemu qemu-virtio-blk-serials "$V256 $QDISKS" serials=SER0,SER1
qemu qemu-virtio-blk-ro "$V256 $QDISKS" ro
qemu qemu-virtio-rng "$V256 $QDISKS" rng
qemu qemu-virtio-blk-discard "$V256 $D0,discard=unmap -device virtio-blk-device,drive=d0" marker discard exit=0
qemu qemu-virtconsole "$V256 $HVC" marker hvc exit=0
qemu qemu-virtio-rootfs "$V256 $R0 -device virtio-blk-device,drive=r0" marker rootfs exit=0
linux arm64-virtio-blk "$V256 $D0 -device virtio-blk-device,drive=d0,serial=SER0" marker disk serials=SER0 exit=0
linux arm64-virtio-blk-direct "$V256 $D0,cache=none -device virtio-blk-device,drive=d0" marker disk exit=0
linux arm64-virtio-blk-serials "$V256 $D0 -device virtio-blk-device,drive=d0,serial=SER0
 $D1 -device virtio-blk-device,drive=d1,serial=SER1" disk serials=SER0,SER1 exit=0
linux arm64-virtio-blk-ro "$V256 $D0,readonly=on -device virtio-blk-device,drive=d0" ro exit=0
linux arm64-virtio-blk-discard "$V256 $D0,discard=unmap -device virtio-blk-device,drive=d0" discard exit=0
linux arm64-virtio-rng "$V256 -device virtio-rng-device" rng exit=0
linux arm64-virtconsole "$V256 $HVC" marker hvc exit=0
linux arm64-virtio-rootfs "$V256 $R0 -device virtio-blk-device,drive=r0" marker rootfs exit=0

# Network and vsock (tests/nested/net.sh; taps in L1, never a real network),
# on virtio-mmio: two boots in all, as each moves 64 MiB each way through
# L1's TCG network stack.  The first has two NICs (vhost=off) and the
# hybrid vsock (Firecracker's: a Unix socket in L1), the second vhost-net
# and vhost-vsock.  Skipped until `minivmm run -device help` lists the
# devices.
TAP0="-netdev tap,id=n0,ifname=tap0,script=no,downscript=no"
TAP1="-netdev tap,id=n1,ifname=tap1,script=no,downscript=no"
MAC0=52:54:00:12:34:56 MAC1=52:54:00:12:34:57
NIC0="-device virtio-net-device,netdev=n0,mac=$MAC0" NIC1="-device virtio-net-device,netdev=n1,mac=$MAC1"
# -m 512M: L2 keeps each 64 MiB file in its initramfs (tmpfs, half of
# RAM); with 256M it fills up a few MiB short of 64.
NET512="-m 512M -smp 1"
NETA="$NET512 $TAP0,vhost=off $NIC0 $TAP1,vhost=off $NIC1 -device vsock-device,guest-cid=3,uds=/tmp/l2-vsock.sock"
NETB="$NET512 $TAP0,vhost=on $NIC0 -device vhost-vsock-device,guest-cid=3"
linux arm64-virtio-net "$NETA" marker ping tcp vhostnet=off exit=0
linux arm64-virtio-net-macs "$NETA" macs=$MAC0,$MAC1
linux arm64-vsock-echo "$NETA" vsock-echo
linux arm64-vsock-many "$NETA" vsock-many
linux arm64-vsock-poweroff "$NETA" vsock-poweroff exit=0
linux arm64-virtio-net-vhost "$NETB" marker ping tcp vhostnet=on exit=0
linux arm64-vhost-vsock-echo "$NETB" vsock-echo
linux arm64-vhost-vsock-many "$NETB" vsock-many
linux arm64-vhost-vsock-poweroff "$NETB" vsock-poweroff exit=0

# --- the run -----------------------------------------------------------------------

perr=$(mktemp) || exit 2
prep=(-q)
[ "${ARM64_QEMU:-1}" = 1 ] && prep+=(--qemu)
"$ARM64_DIR/prepare.sh" "${prep[@]}" 2>"$perr"
prc=$?
why=$(tail -n 1 "$perr")
# Without the arm64 QEMU (its packages cannot be had here) the QEMU
# reference cases are skipped, not the whole tier.
qemu_why=
if [ "$prc" = 3 ] && [ "${ARM64_QEMU:-1}" = 1 ]; then
	qemu_why="no arm64 QEMU for L1 (${why#arm64: })"
	"$ARM64_DIR/prepare.sh" -q 2>"$perr"
	prc=$?
	why=$(tail -n 1 "$perr")
fi
rm -f "$perr"
if [ "$prc" = 3 ]; then
	skip arm64 "${why#arm64: }"
	closing
elif [ "$prc" != 0 ]; then
	fail arm64-prepare "${why#arm64: }"
	closing
fi

# Empty when MINIVMM can go into L1; else why not.
minivmm_unusable() {
	[ -f "$MINIVMM" ] || { echo "no $MINIVMM (make arm64)"; return; }
	readelf -h "$MINIVMM" 2>/dev/null | grep -q 'AArch64' ||
		{ echo "$MINIVMM is not an AArch64 program"; return; }
	! readelf -l "$MINIVMM" 2>/dev/null | grep -q INTERP ||
		echo "$MINIVMM is dynamically linked (L1 has no libc; build it static)"
}
why_not=$(minivmm_unusable)
# The devices minivmm has (virtio_lacks reads this list).
minivmm_help=
[ -z "$why_not" ] && minivmm_help=$(timeout 20 qemu-aarch64-static "$MINIVMM" run -device help 2>&1 </dev/null | head -n 50)

work=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-arm64.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

# --- the device-tree checks (host) --------------------------------------------------

# check_dtb NAME ARGS: minivmm dtb with ARGS, then what the DTS must say.
check_dtb() {
	local name=$1 args=$2 dts=$work/$1.dts out why='' m n smp want_mem got
	if [ -n "$why_not" ]; then
		fail "$name" "$why_not"
		return
	fi
	eval "set -- $args" # printf %q words
	if ! out=$(timeout 20 qemu-aarch64-static "$MINIVMM" dtb -o "$work/$name.dtb" "$@" 2>&1); then
		fail "$name" "minivmm dtb failed: $(head -3 <<<"$out" | paste -sd' ')"
		return
	fi
	if ! dtc -q -I dtb -O dts -o "$dts" "$work/$name.dtb" 2>"$work/dtc.err"; then
		fail "$name" "dtc cannot read the DTB: $(head -1 "$work/dtc.err")"
		return
	fi
	# dtc prints a string list as "a", "b" or, some versions, "a\0b".
	has_compat() { grep 'compatible = ' "$dts" | grep -q -F "\"$1" || grep 'compatible = ' "$dts" | grep -q -F "0$1"; }
	m=$(sed -n 's/.*-m \([0-9]*\)M.*/\1/p' <<<"$args")
	smp=$(sed -n 's/.*-smp \([0-9]*\).*/\1/p' <<<"$args")
	# memory@40000000 { device_type = "memory"; reg = <0x00 0x40000000 0x00 0x10000000>; }
	want_mem=$(printf '0x%x' $((m * 1024 * 1024)))
	got=$(awk '/memory@/ { inmem = 1 } inmem && /reg = / { print; exit }' "$dts")
	n=$(grep -c 'device_type = "cpu"' "$dts")
	if ! grep -q 'memory@40000000' "$dts"; then
		why="no memory@40000000 node"
	elif [[ $got != *"0x40000000 0x00 $want_mem>"* && $got != *"0x40000000 $want_mem>"* ]]; then
		why="memory reg is '${got//	/}', expected base 0x40000000 size $want_mem"
	elif [ "$n" != "$smp" ]; then
		why="$n cpu nodes, expected $smp"
	elif [ "$(grep -c 'enable-method = "psci"' "$dts")" != "$smp" ]; then
		why="not every cpu has enable-method \"psci\""
	elif ! has_compat arm,psci-0.2; then
		why="no psci node (arm,psci-0.2)"
	elif ! has_compat arm,gic-v3 && ! has_compat arm,cortex-a15-gic; then
		why="no GIC node (arm,gic-v3 or arm,cortex-a15-gic)"
	elif [[ $args == *gic-version=2* ]] && ! has_compat arm,cortex-a15-gic; then
		why="gic-version=2 but no arm,cortex-a15-gic node"
	elif ! has_compat arm,armv8-timer; then
		why="no arm,armv8-timer node"
	elif ! has_compat arm,pl011; then
		why="no arm,pl011 node"
	elif ! grep -q 'bootargs = "console=ttyAMA0 arm64-dtb-check"' "$dts"; then
		why="chosen/bootargs is not the -append string"
	elif ! grep -q 'stdout-path' "$dts"; then
		why="no chosen/stdout-path"
	fi
	if [ -n "$why" ]; then
		fail "$name" "$why"
		sed 's/^/    | /' "$dts" | head -60
	else
		pass "$name" "$(wc -l <"$dts") lines of DTS: memory, $n psci cpus, psci, gic, timer, pl011, chosen"
	fi
}
for i in "${!dtb_names[@]}"; do
	check_dtb "${dtb_names[i]}" "${dtb_args[i]}"
done

# --- the L1 payload ---------------------------------------------------------------------

payload=$work/payload.sh
virtio_stage_init "$work/l1disk" || exit 2
{
	echo '# generated by tests/arm64/run.sh'
	echo '[ -c /dev/kvm ] && echo "NESTED: kvm ok" || echo "NESTED: kvm missing"'
	echo ': >/payload/empty.bin; head -c 4096 /dev/zero >/payload/zeros.bin'
	echo 'dead='
} >"$payload"

runs=0
if [ -z "$why_not" ]; then
	for i in "${!flat_names[@]}"; do
		eval "set -- ${flat_spec[i]}"
		name=${flat_names[i]} kind=$1 sig=$2
		shift 4 # EXIT STDOUT STDERR -- (SIGNAL SIG - --)
		args=()
		for a in "$@"; do
			case $a in G/*) a=/payload/guests/${a#G/} ;; esac
			args+=("$a")
		done
		if [ "$kind" = SIGNAL ]; then
			# busybox timeout execs minivmm in place: $p is minivmm.
			printf '(timeout -s KILL 12 /payload/bin/minivmm %s >/dev/null 2>/tmp/sig.err </dev/null & p=$!; sleep 1; kill -%s $p; wait $p; echo "NESTED: L2 %s end exit=$? ms=0 marker_ms=-"; sed "s/^/NESTED: L2 %s ! /" /tmp/sig.err)\n' \
				"$(printf '%q ' "${args[@]}")" "$sig" "$name" "$name" >>"$payload"
		else
			printf 'L2_MARKER=MINIVMM-NO-MARKER l2-run %s %s -- /payload/bin/minivmm %s\n' \
				"$name" "$FLAT_TIMEOUT" "$(printf '%q ' "${args[@]}")" >>"$payload"
		fi
		runs=$((runs + 1))
	done
fi
# The lifecycle program prints its own PASS/FAIL lines (prefixed LC).
lc_why=
if [ ${#lc_names[@]} -gt 0 ] && [ -z "$why_not" ]; then
	if [ ! -f "$LIFECYCLE" ]; then
		lc_why="no $LIFECYCLE (make arm64)"
	elif readelf -l "$LIFECYCLE" 2>/dev/null | grep -q INTERP; then
		lc_why="$LIFECYCLE is dynamically linked"
	else
		printf 'timeout %s /payload/bin/arm64-lifecycle /payload/guests /payload/bin/minivmm 2>&1 | sed "s/^/NESTED: LC /"\n' \
			"$LIFECYCLE_TIMEOUT" >>"$payload"
	fi
fi
l2_runs=0 net_runs=0
# Cases with the same VMM, ARGS and guest mode share one boot (l2_run[i]:
# the name of the case whose boot it is); l2_skip[i]: why case i is skipped.
declare -A l2_key=()
l2_run=() l2_skip=()
for i in "${!l2_names[@]}"; do
	name=${l2_names[i]} vmm=${l2_vmm[i]} mode=report end=poweroff restart=0
	l2_run[i]='' l2_skip[i]=''
	[ "$vmm" = minivmm ] && [ -n "$why_not" ] && continue
	if [ "$vmm" = qemu ] && [ -n "$qemu_why" ]; then
		l2_skip[i]=$qemu_why
		continue
	fi
	if [ "$vmm" = minivmm ] && [ -n "$(virtio_devices "${l2_args[i]}" virtio-blk-pci)" ]; then
		l2_skip[i]=$(virtio_lacks "$minivmm_help" "${l2_args[i]}" virtio-blk-pci)
		[ -n "${l2_skip[i]}" ] && continue
	fi
	# shellcheck disable=SC2086 # EXPECT words
	vmode=$(virtio_mode ${l2_expect[i]})
	[ -n "$vmode" ] && mode=$vmode
	# shellcheck disable=SC2086 # EXPECT words
	[ -n "$(net_mode ${l2_expect[i]})" ] && mode=net
	for e in ${l2_expect[i]}; do
		case $e in console) mode=console ;; reboot) end=reboot ;; restart) end=reboot restart=1 ;; esac
	done
	key="$vmm|${l2_args[i]}|$mode|$end|$restart"
	if [ -n "${l2_key[$key]:-}" ]; then
		l2_run[i]=${l2_key[$key]}
		continue
	fi
	l2_key[$key]=$name l2_run[i]=$name
	inputs=(-s L2-REPORT-END "$GRACE")
	[ "$restart" = 1 ] && inputs=()
	if [ "$mode" = console ]; then
		inputs=(-i L2-CONSOLE-READY 'echo L2-TYPED-$((6*7))' -i L2-TYPED-42 'poweroff -f'
			-s L2-TYPED-42 "$GRACE")
	elif [ -n "$vmode" ]; then
		virtio_inputs "$mode" "$name" "$GRACE"
		inputs=("${v_inputs[@]}")
	fi
	# Disk images: each @NAME@ becomes a copy of its own on L1's disk.
	virtio_expand "$name" "${l2_args[i]}" || exit 2
	# shellcheck disable=SC2154 # set by virtio_expand
	vargs=$(echo $v_args)
	append="$L2_APPEND l2.mode=$mode l2.end=$end"
	[ "$mode" = rootfs ] && append+=" root=/dev/vda rootfstype=ext4"
	limit=$L2_TIMEOUT initrd=/l2/initrd.gz
	# shellcheck disable=SC2154 # n_inputs, n_append, n_before: set by net_plan
	if [ "$mode" = net ]; then
		# Taps, addresses and the L1 end (tests/nested/net.sh); virtio_net,
		# the vsock transport and socat come in a second archive.
		net_plan "$name" "$GRACE" "$vargs"
		inputs=("${n_inputs[@]}")
		append+=" $n_append"
		limit=$((L2_TIMEOUT + NET_EXTRA_SECONDS)) initrd=/l2/initrd-net.gz
		net_runs=$((net_runs + 1))
		echo "$n_before" >>"$payload"
	fi
	if [ "$vmm" = qemu ]; then
		serial=" -serial stdio"
		[[ " $vargs " == *" -serial "* ]] && serial=
		cmd="qemu-system-aarch64 -M virt,gic-version=3 -enable-kvm -cpu host -nodefaults"
		cmd+=" -display none$serial -no-reboot $vargs"
	else
		cmd="/payload/bin/minivmm run $vargs"
	fi
	line=$(printf 'l2-run %s %s' "$name" "$limit"; printf ' %q' "${inputs[@]}" --
		printf ' %s -kernel /l2/Image -initrd %s -append %q' "$cmd" "$initrd" "$append")
	[ "$mode" = discard ] && virtio_blocks_line "$name" before >>"$payload"
	# When a minivmm Linux boot does not reach the marker, the later ones
	# are not tried: each would only wait for its timeout (a virtio case's
	# failure is its device's, and does not stop the others; so is a
	# network case's).
	if [ "$vmm" = minivmm ]; then
		printf 'if [ -n "$dead" ]; then echo "NESTED: L2 %s end exit=notrun ms=0 marker_ms=-"; else %s%s; fi\n' \
			"$name" "$line" "$([ -z "$vmode" ] && [ "$mode" != net ] && echo ' || dead=1')" >>"$payload"
	else
		echo "$line" >>"$payload"
	fi
	[ "$mode" = discard ] && virtio_blocks_line "$name" after >>"$payload"
	# shellcheck disable=SC2154 # set by net_plan
	[ "$mode" = net ] && echo "$n_after" >>"$payload"
	l2_runs=$((l2_runs + 1))
done
echo 'exit 0' >>"$payload"

# --stall: every run prints within its own limit, so a longer silence
# means L1 itself is stuck.
lc_time=0
[ ${#lc_names[@]} -gt 0 ] && lc_time=$LIFECYCLE_TIMEOUT
net_extra=0
[ "$net_runs" -gt 0 ] && net_extra=$NET_EXTRA_SECONDS
l1_args=(--timeout $((90 + runs * (FLAT_TIMEOUT + 2) + l2_runs * (L2_TIMEOUT + GRACE + 5) + net_runs * (NET_EXTRA_SECONDS + 30) + lc_time))
	--stall $((L2_TIMEOUT + GRACE + 60 + net_extra)) --log "$work/console.log")
[ "${ARM64_QEMU:-1}" = 1 ] && [ -z "$qemu_why" ] && l1_args+=(--qemu)
# L1's disk: every L2 boot's disk images, on an ext4 file system.
if [ -n "$(ls "$VIRTIO_STAGE")" ]; then
	virtio_l1_disk "$work/l1disk.img" || { fail arm64-l1-disk "cannot make L1's disk image"; closing; }
	l1_args+=(--disk "$work/l1disk.img")
fi
files=()
# The network cases: tun, vhost-net and vhost-vsock in L1, the arm64 socat
# (with its loader and libraries) and the L1 end.
if [ "$net_runs" -gt 0 ]; then
	l1_args+=(--net)
	files+=("$ARM64_DIR/../nested/net-l1.sh=/payload/net-l1.sh")
fi
if [ -z "$why_not" ]; then
	l1_args+=(--exe "$MINIVMM=/payload/bin/minivmm")
	[ ${#lc_names[@]} -gt 0 ] && [ -z "$lc_why" ] &&
		l1_args+=(--exe "$LIFECYCLE=/payload/bin/arm64-lifecycle")
	for g in "$GUESTS"/*.bin; do
		[ -f "$g" ] && files+=("$g=/payload/guests/$(basename "$g")")
	done
fi

t0=$(date +%s)
"$ARM64_DIR/run-l1.sh" "${l1_args[@]}" "$payload" "${files[@]}" >"$work/out" 2>"$work/err"
l1rc=$?
t1=$(date +%s)
if [ -n "${ARM64_KEEP:-}" ]; then
	mkdir -p "$ARM64_KEEP" && cp "$work/console.log" "$payload" "$work/out" "$work/err" "$ARM64_KEEP/"
	cp --sparse=always "$work/l1disk.img" "$ARM64_KEEP/" 2>/dev/null
fi
l1_why=
case $l1rc in
0) ;;
125) l1_why="no /dev/kvm in L1" ;;
124) l1_why="L1 did not finish: $(grep -m1 'run-l1.sh:' "$work/err" | sed 's/^run-l1.sh: //')" ;;
*) l1_why="L1 payload exited $l1rc" ;;
esac
if wanted arm64-kvm-available; then
	if grep -q '^kvm ok' "$work/out"; then
		pass arm64-kvm-available "one L1 boot ran $runs flat and $l2_runs Linux runs in $((t1 - t0)) s"
	else
		fail arm64-kvm-available "${l1_why:-no /dev/kvm in L1}"
	fi
fi

# --- verdicts -----------------------------------------------------------------------------

# run_result NAME: sets rc, ms, mk (exit, wall ms, marker ms) and writes
# the console to $work/NAME.out and the messages to $work/NAME.err.
run_result() {
	local endl
	sed -n "s/^L2 $1 | //p" "$work/out" >"$work/$1.out"
	sed -n "s/^L2 $1 ! //p" "$work/out" >"$work/$1.err"
	endl=$(sed -n "s/^L2 $1 end //p" "$work/out" | tail -1)
	rc='' ms='' mk=''
	[ -n "$endl" ] || return 1
	rc=$(sed -n 's/^exit=\(.*\) ms=.*/\1/p' <<<"$endl")
	ms=$(sed -n 's/.* ms=\([0-9]*\) .*/\1/p' <<<"$endl")
	mk=$(sed -n 's/.*marker_ms=\([^ ]*\).*/\1/p' <<<"$endl")
}

# show NAME: the last lines of a failed run.
show() {
	tail -n 5 "$work/$1.out" | sed 's/^/    | /'
	head -n 5 "$work/$1.err" | sed 's/^/    ! /'
}

check_flat() {
	local name=$1 want_rc=$2 want_out=$3 want_err=$4 why=
	if [ -n "$why_not" ]; then
		fail "$name" "$why_not"
		return
	fi
	if ! run_result "$name"; then
		fail "$name" "never ran${l1_why:+ ($l1_why)}"
		return
	fi
	[ "$want_rc" = SIGNAL ] && want_rc=3
	# l2-run passes the console on as lines: a missing final newline is added.
	if [ "$rc" != "$want_rc" ]; then
		why="exit $rc, expected $want_rc"
	elif [ "$want_out" != - ] && [ "${want_out:0:1}" = '~' ]; then
		grep -q -F -- "${want_out:1}" "$work/$name.out" || why="stdout lacks '${want_out:1}'"
	elif [ "$want_out" != - ]; then
		printf '%b' "$want_out" >"$work/$name.want"
		[ -z "$want_out" ] || [ "${want_out: -2}" = '\n' ] || printf '\n' >>"$work/$name.want"
		cmp -s "$work/$name.out" "$work/$name.want" ||
			why="stdout '$(paste -sd'|' "$work/$name.out")', expected '$(paste -sd'|' "$work/$name.want")'"
	fi
	if [ -z "$why" ] && [ "$want_err" != - ] && ! grep -q -F -- "$want_err" "$work/$name.err"; then
		why="stderr lacks '$want_err'"
	fi
	if [ -n "$why" ]; then
		fail "$name" "$why"
		show "$name"
	else
		pass "$name" "exit $rc"
	fi
}
for i in "${!flat_names[@]}"; do
	eval "set -- ${flat_spec[i]}"
	case $1 in
	SIGNAL) check_flat "${flat_names[i]}" SIGNAL - - ;;
	*) check_flat "${flat_names[i]}" "$1" "$2" "$3" ;;
	esac
done

check_l2() {
	local name=$1 vmm=$2 expect=$3 run=$4 skip_why=$5 why='' e v got lo hi want_exit='' detail=''
	if [ "$vmm" = minivmm ] && [ -n "$why_not" ]; then
		fail "$name" "$why_not"
		return
	fi
	if [ -n "$skip_why" ]; then
		skip "$name" "$skip_why"
		return
	fi
	if ! run_result "$run"; then
		fail "$name" "the L2 boot never finished${l1_why:+ ($l1_why)}"
		return
	fi
	for e in $expect; do
		case $e in exit=*) want_exit=${e#exit=} ;; esac
	done
	case $rc in
	notrun) why="not run: the first minivmm Linux boot did not reach the L2 marker" ;;
	timeout*)
		why="stopped after ${L2_TIMEOUT}s"
		# shellcheck disable=SC2086 # EXPECT words
		[ -n "$(net_mode $expect)" ] && why="stopped after $((L2_TIMEOUT + NET_EXTRA_SECONDS))s"
		;;
	stopped*) [ -n "$want_exit" ] && why="the VMM did not exit within ${GRACE}s of the guest's end (${rc})" ;;
	*) [ -n "$want_exit" ] && [ "$rc" != "$want_exit" ] && why="exit $rc, expected $want_exit" ;;
	esac
	if [ -n "$why" ] && [ "$rc" != notrun ] && grep -q MINIVMM-L2-INIT-REACHED "$work/$run.out"; then
		why+=" (the L2 init was reached)"
	fi
	for e in $expect; do
		[ -z "$why" ] || break
		v=${e#*=}
		case $e in
		marker) grep -qx MINIVMM-L2-INIT-REACHED "$work/$run.out" || why="no marker line from the L2 init" ;;
		markers=*)
			got=$(grep -cx MINIVMM-L2-INIT-REACHED "$work/$run.out")
			[ "$got" -ge "$v" ] || why="the L2 init's marker $got times, expected at least $v"
			;;
		nproc=*)
			got=$(sed -n 's/^L2-NPROC: //p' "$work/$run.out")
			[ "$got" = "$v" ] || why="nproc ${got:-missing}, expected $v"
			;;
		mem=*)
			got=$(sed -n 's/^L2-MEMTOTAL-KB: //p' "$work/$run.out")
			lo=$((v * 1024 * 85 / 100)) hi=$((v * 1024))
			if [ -z "$got" ] || [ "$got" -lt "$lo" ] || [ "$got" -gt "$hi" ]; then
				why="MemTotal ${got:-missing} kB, expected $lo..$hi for -m ${v}M"
			fi
			;;
		console) grep -q 'L2-TYPED-42$' "$work/$run.out" || why="the command typed on the console did not run" ;;
		reboot | restart | exit=*) ;;
		ping | tcp | macs=* | vhostnet=* | vsock-echo | vsock-many | vsock-poweroff)
			why=$(net_check "$e" "$work/$run.out" "$run" "$work/out")
			[ -z "$why" ] && v=$(net_detail "$e" "$work/$run.out" "$run" "$work/out") &&
				[ -n "$v" ] && detail+="; $v"
			;;
		disk | serials=* | ro | discard | rng | hvc | rootfs)
			why=$(virtio_check "$e" "$work/$run.out" "$run" "$work/out" "$work/l1disk.img" "$work/$run.check")
			[ -z "$why" ] && v=$(virtio_detail "$e" "$work/$run.out" "$run" "$work/out" "$work/l1disk.img") &&
				[ -n "$v" ] && detail+="; $v"
			;;
		*) why="unknown expectation '$e' in the case table" ;;
		esac
	done
	if [ -n "$why" ]; then
		fail "$name" "$why"
		show "$run"
	else
		pass "$name" "$(awk -v m="$mk" -v e="$ms" -v rc="$rc" 'BEGIN {
			if (m ~ /^[0-9]+$/) printf "marker at %.1f s, ", m / 1000
			printf "exit %s at %.1f s", rc, e / 1000 }')$detail"
	fi
}
for i in "${!l2_names[@]}"; do
	check_l2 "${l2_names[i]}" "${l2_vmm[i]}" "${l2_expect[i]}" "${l2_run[i]}" "${l2_skip[i]}"
done

# The lifecycle cases: the program's own verdict lines.
for name in "${lc_names[@]}"; do
	line=$(grep -m1 -E "^LC (PASS|FAIL) $name( |:|\$)" "$work/out")
	if [ -n "$why_not" ] || [ -n "$lc_why" ]; then
		fail "$name" "${why_not:-$lc_why}"
	elif [[ $line == "LC PASS $name"* ]]; then
		detail=${line#"LC PASS $name"}
		detail=${detail# (}
		pass "$name" "${detail%)}"
	elif [ -n "$line" ]; then
		fail "$name" "${line#"LC FAIL $name: "}"
	else
		fail "$name" "never ran${l1_why:+ ($l1_why)}$(grep '^LC ' "$work/out" | grep -v '^LC PASS' | tail -n 1 | sed 's/^LC /: /')"
	fi
done

# --- the GICv2 fallback: a second L1 whose GIC is a v2 -------------------------------
# minivmm must find no in-kernel GICv3, take the GICv2 and still boot Linux
# on two vCPUs (the device tree then describes an arm,cortex-a15-gic).
if wanted arm64-gicv2-fallback; then
	cat >"$work/gic2.sh" <<'P'
/payload/bin/minivmm caps 2>&1 | sed -n 's/^in-kernel GIC/NESTED: CAPS in-kernel GIC/p'
timeout 60 /payload/bin/minivmm run -m 256M -smp 2 -kernel /l2/Image -initrd /l2/initrd.gz \
	-append "console=ttyAMA0 quiet panic=-1 l2.mode=report l2.end=poweroff" -serial stdio </dev/null 2>&1 |
	tr -d '\r' | grep -E "REACHED|NPROC" | sed 's/^/NESTED: /'
P
	ARM64_L1_GIC=2 "$ARM64_DIR/run-l1.sh" --timeout 150 --exe "$MINIVMM=/payload/bin/minivmm" \
		"$work/gic2.sh" >"$work/gic2.out" 2>"$work/gic2.err"
	g=$work/gic2.out
	if grep -qx 'CAPS in-kernel GICv3: no' "$g" && grep -qx 'CAPS in-kernel GICv2: yes' "$g" &&
		grep -qx MINIVMM-L2-INIT-REACHED "$g" && grep -qx 'L2-NPROC: 2' "$g"; then
		pass arm64-gicv2-fallback "L1 with GICv2 only: Linux reached init on 2 vCPUs"
	else
		fail arm64-gicv2-fallback "want caps GICv3 no / GICv2 yes, the marker and nproc 2; got '$(paste -sd';' "$g")' $(tail -n 1 "$work/gic2.err")"
	fi
fi
closing
