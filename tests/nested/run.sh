#!/usr/bin/env bash
# The nested tier: Linux guests under real KVM (SVM), for what host KVM
# (kvm-pvm) cannot show.  QEMU in TCG emulates an AMD CPU with SVM; Debian's
# kernel boots in it (L1) and loads kvm_amd; a VMM inside L1 boots the L2
# guest (the same kernel + a busybox initramfs that reports what it sees).
#
#   make check-nested            (or tests/nested/run.sh from anywhere)
#   tests/nested/run.sh -k NAME  only the cases whose name contains NAME
#
# Environment: MINIVMM (default ./minivmm); NESTED_L2_TIMEOUT (seconds one
# L2 boot may take, default 60); NESTED_L2_APPEND (the L2 kernel command
# line before the l2.* options, default "console=ttyS0 quiet panic=-1"; drop
# quiet to see where a boot stops); NESTED_KEEP=DIR keeps each L1 boot's
# console log (console.N.log), payload (payload.N.sh) and disk (l1disk.N.img:
# the L2 disk images as L2 left them), and the parsed output, in DIR;
# NESTED_WEDGE_STEP=K makes the first L1 boot go silent at step K (from 0),
# as a wedged L1 does, to watch the next boot take over from there.
#
# One L1 boot runs every L2 boot in sequence (when L1 wedges, a new L1
# boot goes on from the step it stopped in); cases with the same VMM,
# arguments and guest mode share one L2 boot.  Prints PASS name / FAIL
# name: why / SKIP name: why per case and closes with
# "nested: N passed, N failed, N skipped"; exits 1 if any case failed.
# When this machine cannot get QEMU and the kernel package (prepare.sh),
# the whole tier is one SKIP.

set -u -o pipefail
NESTED_DIR=$(cd "$(dirname "$0")" && pwd)
cd "$NESTED_DIR/../.." || exit 2
. "$NESTED_DIR/lib.sh"
. "$NESTED_DIR/virtio.sh"
. "$NESTED_DIR/net.sh"

MINIVMM=${MINIVMM:-./minivmm}
L2_TIMEOUT=${NESTED_L2_TIMEOUT:-60}
L2_GRACE=10
L2_APPEND=${NESTED_L2_APPEND:-console=ttyS0 quiet panic=-1}
filter=
[ "${1:-}" = -k ] && filter=${2:-}

TIER_NAME=nested # pass, fail, skip, closing: tests/nested/lib.sh

# --- the case table ------------------------------------------------------------
#
# qemu_case NAME "ARGS" EXPECT...   L2 VMM: qemu-system-x86_64 -enable-kvm
#                                   -cpu host -nodefaults -display none
#                                   -serial stdio -no-reboot ARGS -kernel ...
# l2_case NAME "ARGS" EXPECT...     L2 VMM: minivmm run ARGS -kernel ...
#                                   -initrd ... -append ... -serial stdio
# EXPECT, all must hold:
#   marker        the L2 init's marker line was printed
#   nproc=N       Linux has N CPUs online
#   mem           MemTotal is between 85 % and 100 % of -m
#   e820          Linux's BIOS-e820 lines equal minivmm's E820 table
#                 (`minivmm memmap ARGS -kernel ...` in L1: on the CPU L2 gets)
#   numa=N        N NUMA nodes in /sys/devices/system/node
#   node=ID:CPUS  node ID has cpulist CPUS (e.g. node=1:2-3)
#   console       boots with l2.mode=console; types a command on the serial
#                 console and expects its output; then types poweroff -f
#   reboot        the guest ends with reboot -f instead of poweroff -f
#   restart       reboot, and the VMM is not stopped after it: with
#                 --reboot=restart the machine is reset in place and boots
#                 again (until the VMM's own --timeout)
#   markers=N     the L2 init's marker line was printed at least N times
#   pvh           boot the vmlinux from minivmm's kernel cache (PVH entry)
#                 instead of the bzImage; needs an earlier minivmm case
#   exit=N        the VMM exits by itself with status N (without exit=, a
#                 case only looks at what the guest printed, and a VMM that
#                 had to be stopped after NESTED_L2_TIMEOUT is not a failure)
#   maxsec=S      the marker came within S seconds of starting the VMM
#   append=WORD   add WORD to the L2 kernel's command line (e.g.
#                 append=pci=nomsi)
#   disk, serials=A,B, ro, discard, rng, hvc, rootfs, diskboot, intx
#                 the virtio checks (tests/nested/virtio.sh); ARGS name
#                 their disk images as @disk@, @disk.2@, @rootfs@, @boot@
#                 (a copy each, on L1's disk); diskboot boots without
#                 -kernel, -initrd and -append; ARGS with -serial replace
#                 the VMM's -serial stdio
#   ping, tcp, macs=A,B, vhostnet=on|off, vsock-echo, vsock-many, vsock-poweroff
#                 the network and vsock checks (tests/nested/net.sh), with
#                 taps in L1; what the guest does follows from ARGS

case_names=() case_vmm=() case_args=() case_expect=()
qemu_case() { add_case qemu "$@"; }
l2_case() { add_case minivmm "$@"; }
add_case() {
	local vmm=$1 name=$2 args=$3
	shift 3
	case $name in *"$filter"*) ;; *) return ;; esac
	case_names+=("$name") case_vmm+=("$vmm") case_args+=("$args") case_expect+=("$*")
}

L2_512="-M pc -m 512M -smp 1"
L2_1G_SMP2="-M pc -m 1G -smp 2"
L2_NUMA="-M pc -m 1G -smp 2
 -object memory-backend-ram,id=m0,size=512M -object memory-backend-ram,id=m1,size=512M
 -numa node,memdev=m0,cpus=0,nodeid=0 -numa node,memdev=m1,cpus=1,nodeid=1"

# The reference VMM: proves the tier itself (and these helpers) work.
qemu_case qemu-l2-boot "$L2_512" marker nproc=1 mem exit=0
qemu_case qemu-l2-numa "$L2_NUMA" marker nproc=2 numa=2 node=0:0 node=1:1 mem exit=0
qemu_case qemu-l2-console "$L2_512" marker console exit=0

# ---- minivmm cases (skipped until minivmm can boot Linux) -------------------
l2_case minivmm-l2-boot "$L2_512" marker
l2_case minivmm-l2-smp1 "$L2_512" nproc=1
l2_case minivmm-l2-smp2 "$L2_1G_SMP2" nproc=2
l2_case minivmm-l2-memtotal "$L2_1G_SMP2" mem
l2_case minivmm-l2-e820 "$L2_1G_SMP2" e820
l2_case minivmm-l2-e820-high "-M pc,max-ram-below-4g=1G -m 2G" e820 mem
l2_case minivmm-l2-numa "$L2_NUMA" numa=2 node=0:0 node=1:1 mem
l2_case minivmm-l2-console "$L2_512" console
l2_case minivmm-l2-poweroff "$L2_512" exit=0
l2_case minivmm-l2-reboot "$L2_512" reboot exit=4
# --reboot=restart: Linux reboots, minivmm resets the machine in place (same
# process, VM and memory) and Linux boots again, until --timeout (exit 3).
l2_case minivmm-l2-restart "$L2_1G_SMP2 --reboot=restart --timeout 25" restart markers=2 nproc=2 exit=3
# The bzImage's own decompressor instead of minivmm's host-side unpacking.
l2_case minivmm-l2-decompress-guest "$L2_512 --decompress=guest" marker
# The uncompressed vmlinux (from the kernel cache, which the boots above
# filled) through its PVH entry note, as QEMU and Firecracker boot it.
l2_case minivmm-l2-pvh "$L2_1G_SMP2" pvh marker nproc=2 mem exit=0

# ---- virtio: disks, RNG, console, a root disk, a disk the firmware boots -----
# The QEMU reference proves the cases themselves: one boot checks the disk
# (cache=none: O_DIRECT on L1's ext4), the serials, the read-only disk and
# the RNG.  minivmm gets one boot per device, so a failure names it; until
# `minivmm run -device help` lists a case's devices, the case is skipped.
QDISKS="-drive file=@disk@,format=raw,if=none,id=d0,cache=none -device virtio-blk-pci,drive=d0,serial=SER0
 -drive file=@disk.2@,format=raw,if=none,id=d1 -device virtio-blk-pci,drive=d1,serial=SER1
 -drive file=@disk.3@,format=raw,if=none,id=d2,readonly=on -device virtio-blk-pci,drive=d2
 -device virtio-rng-pci"
HVC="-serial none -chardev stdio,id=hvc0 -device virtio-serial-pci -device virtconsole,chardev=hvc0"
qemu_case qemu-virtio-blk "$L2_512 $QDISKS" marker disk exit=0
qemu_case qemu-virtio-blk-serials "$L2_512 $QDISKS" serials=SER0,SER1
qemu_case qemu-virtio-blk-ro "$L2_512 $QDISKS" ro
qemu_case qemu-virtio-rng "$L2_512 $QDISKS" rng
qemu_case qemu-virtio-blk-discard "$L2_512 -drive file=@disk@,format=raw,if=virtio,discard=unmap" marker discard exit=0
qemu_case qemu-virtconsole "$L2_512 $HVC" marker hvc exit=0
qemu_case qemu-virtio-rootfs "$L2_512 -drive file=@rootfs@,format=raw,if=virtio" marker rootfs exit=0
qemu_case qemu-seabios-disk "-M pc -m 512M -drive file=@boot@,format=raw,if=virtio" diskboot marker exit=0

D0="-drive file=@disk@,format=raw,if=none,id=d0"
D1="-drive file=@disk.2@,format=raw,if=none,id=d1"
l2_case minivmm-virtio-blk-pci "$L2_512 $D0 -device virtio-blk-pci,drive=d0,serial=SER0" marker disk serials=SER0 exit=0
l2_case minivmm-virtio-blk-mmio "$L2_512 $D0 -device virtio-blk-device,drive=d0,serial=SER0" marker disk serials=SER0 exit=0
l2_case minivmm-virtio-blk-direct "$L2_512 $D0,cache=none -device virtio-blk-pci,drive=d0" marker disk exit=0
# Without MSI (pci=nomsi) the driver falls back to the legacy INTx line.
l2_case minivmm-virtio-blk-intx "$L2_512 $D0 -device virtio-blk-pci,drive=d0" append=pci=nomsi marker disk intx exit=0
l2_case minivmm-virtio-blk-serials "$L2_512 $D0 -device virtio-blk-pci,drive=d0,serial=SER0
 $D1 -device virtio-blk-pci,drive=d1,serial=SER1" disk serials=SER0,SER1 exit=0
l2_case minivmm-virtio-blk-ro "$L2_512 -drive file=@disk@,format=raw,if=virtio,readonly=on" ro exit=0
l2_case minivmm-virtio-blk-discard "$L2_512 -drive file=@disk@,format=raw,if=virtio,discard=unmap" discard exit=0
l2_case minivmm-virtio-rng-pci "$L2_512 -device virtio-rng-pci" rng exit=0
l2_case minivmm-virtio-rng-mmio "$L2_512 -device virtio-rng-device" rng exit=0
l2_case minivmm-virtconsole "$L2_512 $HVC" marker hvc exit=0
l2_case minivmm-virtio-rootfs "$L2_512 -drive file=@rootfs@,format=raw,if=virtio" marker rootfs exit=0
# SeaBIOS (minivmm's default firmware for -M pc) boots the disk: SYSLINUX
# loads the bzImage and the initramfs from its FAT partition.
l2_case minivmm-seabios-disk "-M pc -m 512M -drive file=@boot@,format=raw,if=virtio" diskboot marker exit=0

# ---- network and vsock: taps and vhost in L1, never a real network ------------
# One QEMU boot checks two NICs (vhost=off) and vhost-vsock; one more the
# vhost-net path.  minivmm gets one boot per device; until `minivmm run
# -device help` lists it, its cases are skipped.  The hybrid vsock (a Unix
# socket in L1, Firecracker's) has no QEMU equivalent.
TAP0="-netdev tap,id=n0,ifname=tap0,script=no,downscript=no"
TAP1="-netdev tap,id=n1,ifname=tap1,script=no,downscript=no"
MAC0=52:54:00:12:34:56 MAC1=52:54:00:12:34:57
NIC0="-device virtio-net-pci,netdev=n0,mac=$MAC0" NIC1="-device virtio-net-pci,netdev=n1,mac=$MAC1"
NICS2="$TAP0,vhost=off $NIC0 $TAP1,vhost=off $NIC1"
# QEMU: romfile= (none): its iPXE ROM is not in L1's QEMU bundle, and a
# boot with -kernel does not need it.
QNET="$L2_512 $TAP0,vhost=off $NIC0,romfile= $TAP1,vhost=off $NIC1,romfile= -device vhost-vsock-pci,guest-cid=3"
qemu_case qemu-virtio-net "$QNET" marker ping tcp vhostnet=off exit=0
qemu_case qemu-virtio-net-macs "$QNET" macs=$MAC0,$MAC1
qemu_case qemu-vhost-vsock-echo "$QNET" vsock-echo
qemu_case qemu-vhost-vsock-many "$QNET" vsock-many
qemu_case qemu-vhost-vsock-poweroff "$QNET" vsock-poweroff exit=0
qemu_case qemu-vhost-net "$L2_512 $TAP0,vhost=on $NIC0,romfile=" ping tcp vhostnet=on exit=0

l2_case minivmm-virtio-net-pci "$L2_512 $NICS2" marker ping tcp vhostnet=off exit=0
l2_case minivmm-virtio-net-macs "$L2_512 $NICS2" macs=$MAC0,$MAC1
l2_case minivmm-virtio-net-vhost "$L2_512 $TAP0,vhost=on $NIC0" ping tcp vhostnet=on exit=0
l2_case minivmm-virtio-net-mmio "$L2_512 $TAP0 -device virtio-net-device,netdev=n0,mac=$MAC0" marker ping tcp exit=0
VHV="$L2_512 -device vhost-vsock-pci,guest-cid=3"
l2_case minivmm-vhost-vsock-echo "$VHV" marker vsock-echo exit=0
l2_case minivmm-vhost-vsock-many "$VHV" vsock-many
l2_case minivmm-vhost-vsock-poweroff "$VHV" vsock-poweroff exit=0
HYV="$L2_512 -device vsock,guest-cid=3,uds=/tmp/l2-vsock.sock"
l2_case minivmm-vsock-echo "$HYV" marker vsock-echo exit=0
l2_case minivmm-vsock-many "$HYV" vsock-many
l2_case minivmm-vsock-poweroff "$HYV" vsock-poweroff exit=0
# -----------------------------------------------------------------------------

# --- can minivmm boot Linux? ------------------------------------------------------

# Empty when it can; else why not.
minivmm_cannot() {
	local junk out
	[ -x "$MINIVMM" ] || { echo "no $MINIVMM (run make)"; return; }
	# (not a pipe into grep -q: with pipefail, a help text longer than what
	# grep reads before its match fails the test through SIGPIPE)
	grep -q -e '-kernel' <<<"$("$MINIVMM" run --help 2>&1)" ||
		{ echo "minivmm cannot boot Linux yet (run --help has no -kernel)"; return; }
	# A kernel that is not one: a loader that exists rejects it; one that
	# does not exist yet says so first.
	junk=$(mktemp) && head -c 4096 /dev/zero >"$junk"
	out=$(timeout 10 "$MINIVMM" run -M pc -m 64M -kernel "$junk" -append console=ttyS0 \
		-serial none --timeout 2 </dev/null 2>&1 >/dev/null)
	rm -f "$junk"
	if grep -q -i -e 'not supported yet' -e 'unknown option' <<<"$out"; then
		echo "minivmm cannot boot Linux yet ($(head -1 <<<"$out"))"
	fi
}

# --- helpers for the checks -----------------------------------------------------

# size_mib SIZE: minivmm/QEMU size syntax (bare number = MiB) in MiB.
size_mib() {
	local s=${1^^} n
	n=${s%[KMGT]}
	case $s in
	*K) echo $((n / 1024)) ;;
	*G) echo $((n * 1024)) ;;
	*T) echo $((n * 1024 * 1024)) ;;
	*) echo "$n" ;;
	esac
}

arg_after() { # ARGS OPTION: the word after OPTION in ARGS
	local prev='' w
	for w in $1; do
		[ "$prev" = "$2" ] && { echo "$w"; return; }
		prev=$w
	done
}

# e820_norm: "START-END type" lines (16 hex digits, Linux's type names),
# sorted, adjacent/overlapping ranges of one type merged.  Reads either
# Linux's "[mem 0x...-0x...] usable" or minivmm's "0x...-0x... RAM ...".
e820_norm() {
	awk '
	function pad(s) { s = tolower(s); sub(/^0x/, "", s); while (length(s) < 16) s = "0" s; return s }
	{
		line = $0; sub(/^.*\[mem /, "", line); sub(/^ *[0-9]+: /, "", line)
		if (!match(line, /^0x[0-9a-fA-F]+-0x[0-9a-fA-F]+/)) next
		r = substr(line, 1, RLENGTH); t = substr(line, RLENGTH + 1)
		sub(/^\] */, "", t); sub(/^ +/, "", t)
		if (t ~ /^RAM/) t = "usable"; else if (t ~ /^RESERVED/) t = "reserved"
		else if (t ~ /^ACPI/ && t !~ /^ACPI (data|NVS)/) t = "ACPI data"
		else if (t ~ /^NVS/) t = "ACPI NVS"; else if (t ~ /^UNUSABLE/) t = "unusable"
		sub(/ +[0-9.]+ [KMGT]?i?B$/, "", t)
		split(r, p, "-")
		print pad(p[1]), pad(p[2]), t
	}' | LC_ALL=C sort | awk '
	function hex(s,   n, i) {
		n = 0
		for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return n
	}
	{
		t = $3; for (i = 4; i <= NF; i++) t = t " " $i
		if (have && t == ct && hex($1) <= hex(ce) + 1) {
			if (hex($2) > hex(ce)) ce = $2
			next
		}
		if (have) print "0x" cs "-0x" ce " " ct
		cs = $1; ce = $2; ct = t; have = 1
	}
	END { if (have) print "0x" cs "-0x" ce " " ct }'
}

# --- the run ------------------------------------------------------------------------

"$NESTED_DIR/prepare.sh" -q 2>"${TMPDIR:-/tmp}/nested-prepare.$$"
prc=$?
preperr=$(tail -n 1 "${TMPDIR:-/tmp}/nested-prepare.$$")
rm -f "${TMPDIR:-/tmp}/nested-prepare.$$"
if [ "$prc" = 3 ]; then
	skip nested "${preperr#nested: }"
	closing
elif [ "$prc" != 0 ]; then
	fail nested-prepare "${preperr#nested: }"
	closing
fi

why_not=$(minivmm_cannot)
# The devices minivmm has (virtio_lacks reads this list).
minivmm_help=
[ -z "$why_not" ] && minivmm_help=$("$MINIVMM" run -device help 2>&1 </dev/null | head -n 50)

work=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-nested.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
payload=$work/payload.sh
virtio_stage_init "$work/l1disk" || exit 2

# The payload is a list of steps (an L2 boot with what goes with it, a
# `minivmm memmap`, the triple fault), each closed by "STEP K done" on L1's
# console.  When L1 wedges, the next L1 boot runs only the steps that had
# not finished; the output of the finished ones is kept.
steps=() step_run=()
stepf=$work/step
: >"$stepf"
end_step() { # RUN: the lines written to $stepf become step K (RUN: its L2 boot)
	if [ -s "$stepf" ]; then
		steps+=("$(cat "$stepf")") step_run+=("${1:-}")
	fi
	: >"$stepf"
}

# Which L2 boot each case uses (run_of[i]); cases that boot the same thing
# share one.  A run is "VMM|ARGS|EXPECT words that change the guest".
declare -A run_id=()
run_of=() runs=0 net_runs=0 need_minivmm=0 first_minivmm='' first_minivmm_run='' case_skip=()
for i in "${!case_names[@]}"; do
	# shellcheck disable=SC2086,SC2116 # ARGS on one line, spaces collapsed
	vmm=${case_vmm[i]} args=$(echo ${case_args[i]}) mode=report end=poweroff restart=0
	kernel=/l2/bzImage diskboot=0 extra='' pvh=0
	run_of[i]='' case_skip[i]=$why_not
	if [ "$vmm" = minivmm ] && [ -n "$why_not" ]; then
		continue
	fi
	if [ "$vmm" = minivmm ] && [ -n "$(virtio_devices "$args" virtio-blk-pci)" ]; then
		case_skip[i]=$(virtio_lacks "$minivmm_help" "$args" virtio-blk-pci)
		[ -n "${case_skip[i]}" ] && continue
	fi
	# shellcheck disable=SC2086 # EXPECT words
	vmode=$(virtio_mode ${case_expect[i]})
	[ -n "$vmode" ] && mode=$vmode
	# shellcheck disable=SC2086 # EXPECT words
	[ -n "$(net_mode ${case_expect[i]})" ] && mode=net
	for e in ${case_expect[i]}; do
		case $e in
		console) mode=console ;;
		reboot) end=reboot ;;
		restart) end=reboot restart=1 ;;
		# The vmlinux minivmm unpacked from the bzImage into its kernel
		# cache on an earlier boot (expanded by L1's shell).
		# An L1 booted again for the steps left over has an empty
		# cache: a short run fills it.
		pvh) kernel='$(ls /tmp/cache/minivmm/vmlinux-* | head -n 1)' pvh=1 ;;
		diskboot) diskboot=1 ;;
		append=*) extra+=" ${e#append=}" ;;
		esac
	done
	key="$vmm|$args|$mode|$end|$restart|$kernel|$diskboot|$extra"
	if [ -z "${run_id[$key]:-}" ]; then
		runs=$((runs + 1))
		run_id[$key]=r$runs
		append="$L2_APPEND$extra l2.mode=$mode l2.end=$end"
		[ "$mode" = rootfs ] && append+=" root=/dev/vda rootfstype=ext4"
		# Once the guest is about to power off or reboot, the VMM has
		# $L2_GRACE s to exit by itself before it is stopped.
		inputs=(-s L2-REPORT-END "$L2_GRACE")
		[ "$restart" = 1 ] && inputs=()
		if [ "$mode" = console ]; then
			inputs=(-i L2-CONSOLE-READY 'echo L2-TYPED-$((6*7))' -i L2-TYPED-42 'poweroff -f'
				-s L2-TYPED-42 "$L2_GRACE")
		elif [ -n "$vmode" ]; then
			virtio_inputs "$mode" "r$runs" "$L2_GRACE"
			inputs=("${v_inputs[@]}")
		elif [ "$mode" = net ]; then
			# Taps, addresses and the L1 end (tests/nested/net.sh).
			net_plan "r$runs" "$L2_GRACE" "$args"
			inputs=("${n_inputs[@]}")
			append+=" $n_append"
			net_runs=$((net_runs + 1))
			echo "$n_before" >>"$stepf"
		fi
		# Disk images: each @NAME@ becomes a copy of its own on L1's disk.
		virtio_expand "r$runs" "$args" || exit 2
		vargs=$v_args # shellcheck disable=SC2154 # set by virtio_expand
		serial=" -serial stdio"
		[[ " $vargs " == *" -serial "* ]] && serial=
		if [ "$vmm" = qemu ]; then
			cmd="qemu-system-x86_64 -enable-kvm -cpu host -nodefaults -display none"
			cmd+="$serial -no-reboot $vargs"
		else
			cmd="/payload/bin/minivmm run $vargs"
			need_minivmm=1
		fi
		[ "$mode" = discard ] && virtio_blocks_line "r$runs" before >>"$stepf"
		[ "$pvh" = 1 ] && echo 'ls /tmp/cache/minivmm/vmlinux-* >/dev/null 2>&1 ||' \
			'/payload/bin/minivmm run -M pc -m 512M -kernel /l2/bzImage -serial none --timeout 1 </dev/null >/dev/null 2>&1' >>"$stepf"
		# When minivmm's first boot does not reach the marker, its other
		# boots are not tried: each would only wait for its timeout.
		if [ "$vmm" = minivmm ] && [ -n "$first_minivmm" ]; then
			printf 'if [ -n "$minivmm_dead" ]; then echo "NESTED: L2 %s end exit=notrun ms=0 marker_ms=-"; else ' \
				"r$runs" >>"$stepf"
		fi
		limit=$L2_TIMEOUT
		[ "$mode" = net ] && limit=$((L2_TIMEOUT + NET_EXTRA_SECONDS))
		printf 'l2-run %s %s' "r$runs" "$limit" >>"$stepf"
		printf ' %q' "${inputs[@]}" -- >>"$stepf"
		if [ "$diskboot" = 1 ]; then
			printf ' %s' "$cmd" >>"$stepf"
		else
			initrd=/l2/initrd.gz
			# virtio_net, the vsock transport and socat come in a second archive.
			[ "$mode" = net ] && initrd=/l2/initrd-net.gz
			printf ' %s -kernel %s -initrd %s -append %q' "$cmd" "$kernel" "$initrd" "$append" >>"$stepf"
		fi
		[ "$vmm" = minivmm ] && printf '%s' "$serial" >>"$stepf"
		if [ "$vmm" = minivmm ]; then
			if [ -z "$first_minivmm" ]; then
				first_minivmm=${case_names[i]} first_minivmm_run=r$runs
				printf ' || minivmm_dead=1' >>"$stepf"
			else
				printf '; fi' >>"$stepf"
			fi
		fi
		echo >>"$stepf"
		[ "$mode" = discard ] && virtio_blocks_line "r$runs" after >>"$stepf"
		[ "$mode" = net ] && echo "$n_after" >>"$stepf"
		end_step "r$runs"
	fi
	run_of[i]=${run_id[$key]}
	# The map minivmm gives on L1's CPU (its vendor decides QEMU's AMD
	# hole), for the e820 check: `minivmm memmap` in L1, not here.
	if [[ " ${case_expect[i]} " == *" e820 "* ]]; then
		printf '/payload/bin/minivmm memmap %s -kernel /l2/bzImage 2>&1 | sed -n "/^E820:/,/^\$/p" | sed "s/^/NESTED: MEMMAP %s /"\n' \
			"$args" "$i" >>"$stepf"
		end_step
	fi
done
# A triple fault under real KVM (KVM_EXIT_SHUTDOWN; the PVM host reports it
# differently): guests/triplefault.S in 32-bit protected mode, exit code 1.
triple=0
if [ -z "$why_not" ] && [[ minivmm-triple-fault == *"$filter"* ]]; then
	triple=1 need_minivmm=1
	echo '/payload/bin/minivmm run --mode protected --timeout 20 /payload/triplefault.bin </dev/null >/dev/null 2>/tmp/tf.err; echo "NESTED: TRIPLE exit=$? $(grep -m 1 "^minivmm: crashed" /tmp/tf.err)"' >>"$stepf"
	end_step
fi
# The VM lifecycle program (tests/guest/lifecycle.c: pause, resume, reset
# in place, snapshot and restore of the counting guest) under real KVM.
lifecycle=0
LIFECYCLE=${LIFECYCLE:-build/tests/guest-lifecycle}
if [ -z "$why_not" ] && [[ minivmm-lifecycle == *"$filter"* ]] && [ -x "$LIFECYCLE" ]; then
	lifecycle=1 need_minivmm=1
	echo '/payload/bin/lifecycle /payload /payload/bin/minivmm </dev/null 2>&1 | sed "s/^/NESTED: LIFECYCLE /"' >>"$stepf"
	end_step
fi

# write_payload: the payload for the next L1 boot, the steps not yet done
# ($step_done[K] set), after the first minivmm boot failed or not ($dead).
write_payload() {
	local k
	{
		echo '# generated by tests/nested/run.sh'
		echo 'grep -q "^kvm_amd " /proc/modules && [ -c /dev/kvm ] && kvm=ok || kvm=missing'
		echo 'echo "NESTED: kvm $kvm npt=$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null)"'
		echo "minivmm_dead=$dead"
		# L1 has not been seen to wedge with a process in it that wakes
		# every few seconds (bench/README.md, "L1 wedging").
		echo '(while :; do sleep 2; done) </dev/null >/dev/null 2>&1 &'
		# minivmm unpacks the bzImage on the first boot and keeps it here.
		echo 'export XDG_CACHE_HOME=/tmp/cache'
		for k in "${!steps[@]}"; do
			[ -n "${step_done[k]:-}" ] && continue
			[ "$attempt" = 1 ] && [ "$k" = "${NESTED_WEDGE_STEP:-}" ] && echo 'sleep 100000'
			# sync: a step is done once what L2 wrote is on L1's disk,
			# so an L1 that wedges later (and is stopped) keeps it.
			printf '%s\nsync\necho "NESTED: STEP %s done"\n' "${steps[k]}" "$k"
		done
		echo 'exit 0'
	} >"$payload"
}

# Every L2 boot prints its start and, within its own limit, its end, so a
# console silent for longer means L1 itself has wedged: --stall ends that
# run early for the next L1 boot.
net_extra=0
[ "$net_runs" -gt 0 ] && net_extra=$NET_EXTRA_SECONDS
l1_args=(--timeout $((90 + runs * (L2_TIMEOUT + 15) + net_runs * (NET_EXTRA_SECONDS + 30)))
	--stall $((L2_TIMEOUT + L2_GRACE + 30 + net_extra)))
[ "$runs" -gt 0 ] && l1_args+=(--qemu)
# L1's disk: every L2 boot's disk images, on an ext4 file system (made
# again from the stage for each L1 boot: the host reads a run's images
# back from the disk of the boot that ran it, img_of[RUN]).
l1_disk=0
[ -n "$(ls "$VIRTIO_STAGE")" ] && l1_disk=1
l1_files=()
if [ "$need_minivmm" = 1 ]; then
	l1_args+=(--exe "$MINIVMM=/payload/bin/minivmm")
	# run-l1.sh takes files after the payload: minivmm's dlopen()ed libraries.
	mapfile -t l1_files < <(minivmm_runtime_libs)
	[ "$triple" = 1 ] && l1_files+=("${GUESTS:-build/guests}/triplefault.bin")
	if [ "$lifecycle" = 1 ]; then
		l1_args+=(--exe "$LIFECYCLE=/payload/bin/lifecycle")
		l1_files+=("${GUESTS:-build/guests}/count.bin")
	fi
fi
# The network cases: tun, vhost-net and vhost-vsock in L1, socat, the L1 end.
if [ "$net_runs" -gt 0 ]; then
	l1_args+=(--net --exe "$(command -v socat)=/payload/bin/socat")
	l1_files+=("$NESTED_DIR/net-l1.sh=/payload/net-l1.sh")
fi

# Emulated SVM under TCG now and then wedges the whole L1 kernel (every L2
# boot has its own limit, so a stuck VMM alone cannot cause this).  Then L1
# is booted again for the steps that had not finished, up to five L1 boots;
# a step L1 wedged in three times is given up.  Each retry is reported.  $work/out
# collects the output of the finished steps (and, from the last boot, of
# the step it stopped in).
declare -A img_of=()
step_done=() wedged=() dead=
: >"$work/out"
t_all=$(date +%s)
MAX_L1_BOOTS=5
for attempt in $(seq 1 $MAX_L1_BOOTS); do
	write_payload
	cp "$payload" "$work/payload.$attempt.sh"
	disk_arg=()
	if [ "$l1_disk" = 1 ]; then
		if ! virtio_l1_disk "$work/l1disk.$attempt.img"; then
			fail nested-l1-disk "cannot make L1's disk image from $VIRTIO_STAGE"
			closing
		fi
		disk_arg=(--disk "$work/l1disk.$attempt.img")
	fi
	t0=$(date +%s)
	"$NESTED_DIR/run-l1.sh" "${l1_args[@]}" --log "$work/console.$attempt.log" "${disk_arg[@]}" \
		"$payload" "${l1_files[@]}" >"$work/out.$attempt" 2>"$work/err"
	l1rc=$?
	t1=$(date +%s)
	retry=0
	[ "$l1rc" = 124 ] && [ "$attempt" -lt "$MAX_L1_BOOTS" ] && retry=1
	# The finished steps' lines go to $work/out (a step's lines come before
	# its STEP line); the last boot's unfinished step's lines too.
	awk -v keep_tail=$((1 - retry)) -v done="$work/done" '
		/^STEP [0-9]+ done$/ { printf "%s", buf; buf = ""; print $2 > done; next }
		{ buf = buf $0 "\n" }
		END { if (keep_tail) printf "%s", buf }' "$work/out.$attempt" >>"$work/out"
	while read -r k; do
		step_done[k]=1
		[ -n "${step_run[k]}" ] && img_of[${step_run[k]}]=$work/l1disk.$attempt.img
	done < <(cat "$work/done" 2>/dev/null)
	rm -f "$work/done"
	# The step L1 wedged in; one that has done so three times is given up
	# (its cases fail: "never finished"), so every L1 boot gets further.
	if [ "$retry" = 1 ]; then
		for k in "${!steps[@]}"; do
			[ -n "${step_done[k]:-}" ] && continue
			wedged[k]=$((${wedged[k]:-0} + 1))
			if [ "${wedged[k]}" -ge 3 ]; then
				step_done[k]=1
				echo "NOTE nested: step $k${step_run[k]:+ (L2 ${step_run[k]})} wedged L1 three times; given up"
			fi
			break
		done
	fi
	# A first minivmm boot that failed stops the other minivmm boots in
	# later L1 boots too.
	[ -n "$first_minivmm_run" ] && grep -q "^L2 $first_minivmm_run end .*marker_ms=-$" "$work/out" && dead=1
	[ "$retry" = 1 ] || break
	left=0
	for k in "${!steps[@]}"; do [ -n "${step_done[k]:-}" ] || left=$((left + 1)); done
	echo "NOTE nested: L1 boot $attempt did not finish ($((t1 - t0)) s; $(grep -m1 'run-l1.sh:' "$work/err" |
		sed 's/^run-l1.sh: //'); last L2 lines: $(grep -o '^L2 r[0-9]* end.*' "$work/out" | tail -1));" \
		"booting L1 again for the $left of ${#steps[@]} steps left"
done
t1=$(date +%s) t0=$t_all
if [ -n "${NESTED_KEEP:-}" ]; then
	mkdir -p "$NESTED_KEEP" && cp "$work"/console.*.log "$work"/payload.*.sh "$work/out" "$NESTED_KEEP/"
	for f in "$work"/l1disk.*.img; do
		[ -f "$f" ] && cp --sparse=always "$f" "$NESTED_KEEP/"
	done
fi
l1_why=
case $l1rc in
0) ;;
125) l1_why="KVM did not come up in L1" ;;
124) l1_why="L1 did not finish: $(grep -m1 'run-l1.sh:' "$work/err" | sed 's/^run-l1.sh: //')" ;;
*) l1_why="L1 payload exited $l1rc" ;;
esac

if [ -z "$filter" ] || [[ nested-kvm-available == *"$filter"* ]]; then
	if grep -q '^kvm ok' "$work/out"; then
		given_up=0
		for k in "${!wedged[@]}"; do
			[ "${wedged[k]}" -ge 3 ] && given_up=$((given_up + 1))
		done
		v="one L1 boot ran all L2 boots in $((t1 - t0)) s"
		[ "$attempt" -gt 1 ] && v="$attempt L1 boots ran all L2 boots in $((t1 - t0)) s"
		if [ "$given_up" = 1 ]; then
			v+=" but those of 1 step, given up after L1 wedged three times"
		elif [ "$given_up" -gt 1 ]; then
			v+=" but those of $given_up steps, each given up after L1 wedged three times"
		fi
		pass nested-kvm-available "$v"
	else
		fail nested-kvm-available "${l1_why:-no kvm_amd or no /dev/kvm in L1}"
	fi
fi

if [ "$triple" = 1 ]; then
	got=$(sed -n 's/^TRIPLE //p' "$work/out")
	if [[ $got == "exit=1 "*"triple fault"* ]]; then
		pass minivmm-triple-fault "${got#exit=1 }"
	else
		fail minivmm-triple-fault "want exit 1 and a triple-fault line, got '${got:-nothing}'${l1_why:+ ($l1_why)}"
	fi
fi

if [ "$lifecycle" = 1 ]; then
	# Each of the program's PASS/FAIL lines as a case of its own.
	got=$(sed -n 's/^LIFECYCLE //p' "$work/out")
	if ! grep -q '^lifecycle: ' <<<"$got"; then
		fail minivmm-lifecycle "the lifecycle program did not finish${l1_why:+ ($l1_why)}: ${got:-no output}"
	fi
	while read -r verdict name rest; do
		case $verdict in
		PASS) pass "minivmm-lifecycle-$name" "under nested KVM" ;;
		FAIL) fail "minivmm-lifecycle-${name%:}" "$rest" ;;
		SKIP) skip "minivmm-lifecycle-${name%:}" "$rest" ;;
		esac
	done <<<"$got"
fi

# check_case I: PASS/FAIL/SKIP line for case I.
check_case() {
	local i=$1 name=${case_names[$1]} rid=${run_of[$1]} out end rc ms mk e why=
	local want_exit='' v m lo hi got exp detail='' 
	if [ -z "$rid" ]; then
		skip "$name" "${case_skip[i]}"
		return
	fi
	out=$work/$rid.console
	sed -n "s/^L2 $rid | //p" "$work/out" >"$out"
	end=$(sed -n "s/^L2 $rid end //p" "$work/out" | tail -1)
	if [ -z "$end" ]; then
		fail "$name" "the L2 boot never finished${l1_why:+ ($l1_why)}"
		return
	fi
	rc=$(sed -n 's/.*exit=\([^ ]*\).*/\1/p' <<<"$end")
	ms=$(sed -n 's/.*ms=\([0-9]*\) .*/\1/p' <<<"$end")
	mk=$(sed -n 's/.*marker_ms=\([^ ]*\).*/\1/p' <<<"$end")
	for e in ${case_expect[i]}; do
		case $e in exit=*) want_exit=${e#exit=} ;; esac
	done
	if [ "$rc" = notrun ]; then
		fail "$name" "not run: the first minivmm boot ($first_minivmm) did not reach the L2 marker"
		return
	elif [ "$rc" = stopped ] && [ -n "$want_exit" ]; then
		v=poweroff
		[[ " ${case_expect[i]} " == *" reboot "* ]] && v=reboot
		why="the VMM did not exit within ${L2_GRACE}s of the guest's $v (stopped, code ${end#*code=})"
		why=${why%% ms=*}")"
	elif [ "$rc" = timeout ]; then
		# shellcheck disable=SC2086 # EXPECT words
		if [ -n "$(net_mode ${case_expect[i]})" ]; then
			why="stopped after $((L2_TIMEOUT + NET_EXTRA_SECONDS))s"
		else
			why="stopped after ${L2_TIMEOUT}s"
		fi
		if grep -q MINIVMM-L2-INIT-REACHED "$out"; then
			why+=" (the L2 init was reached)"
		fi
	elif [ -n "$want_exit" ] && [ "$rc" != "$want_exit" ]; then
		why="exit $rc, expected $want_exit"
	fi
	for e in ${case_expect[i]}; do
		[ -z "$why" ] || break
		v=${e#*=}
		case $e in
		marker)
			grep -qx MINIVMM-L2-INIT-REACHED "$out" || why="no marker line from the L2 init"
			;;
		markers=*)
			got=$(grep -cx MINIVMM-L2-INIT-REACHED "$out")
			[ "$got" -ge "$v" ] || why="the L2 init's marker $got times, expected at least $v"
			;;
		nproc=*)
			# Every boot's count (a restarted machine boots again).
			got=$(sed -n 's/^L2-NPROC: //p' "$out" | sort -u | paste -sd,)
			[ "$got" = "$v" ] || why="nproc ${got:-missing}, expected $v"
			;;
		mem)
			m=$(size_mib "$(arg_after "${case_args[i]}" -m)")
			got=$(sed -n 's/^L2-MEMTOTAL-KB: //p' "$out")
			lo=$((m * 1024 * 85 / 100)) hi=$((m * 1024))
			if [ -z "$got" ] || [ "$got" -lt "$lo" ] || [ "$got" -gt "$hi" ]; then
				why="MemTotal ${got:-missing} kB, expected $lo..$hi for -m ${m}M"
			fi
			;;
		e820)
			sed -n 's/^L2-E820: //p' "$out" | e820_norm >"$out.e820"
			sed -n "s/^MEMMAP $i //p" "$work/out" | e820_norm >"$out.want"
			if [ ! -s "$out.want" ]; then
				why="minivmm memmap printed no E820 table"
			elif ! cmp -s "$out.e820" "$out.want"; then
				why="E820 differs: Linux only [$(comm -23 "$out.e820" "$out.want" | paste -sd';')]"
				why+=" minivmm only [$(comm -13 "$out.e820" "$out.want" | paste -sd';')]"
			fi
			;;
		numa=*)
			got=$(sed -n 's/^L2-NUMA-NODES: //p' "$out")
			[ "$got" = "$v" ] || why="${got:-no} NUMA nodes, expected $v"
			;;
		node=*)
			exp="L2-NUMA-NODE: ${v%%:*} cpus=${v#*:} "
			grep -q -F "$exp" "$out" ||
				why="node ${v%%:*}: $(grep "^L2-NUMA-NODE: ${v%%:*} " "$out" | cut -c15- || echo missing), expected cpus=${v#*:}"
			;;
		console)
			grep -q 'L2-TYPED-42$' "$out" || why="the command typed on the console did not run"
			;;
		maxsec=*)
			case $mk in
			[0-9]*) [ "$mk" -le $((v * 1000)) ] || why="marker after $mk ms, limit ${v}s" ;;
			*) why="no marker" ;;
			esac
			;;
		reboot | restart | pvh | exit=* | append=*) ;;
		ping | tcp | macs=* | vhostnet=* | vsock-echo | vsock-many | vsock-poweroff)
			why=$(net_check "$e" "$out" "$rid" "$work/out")
			[ -z "$why" ] && v=$(net_detail "$e" "$out" "$rid" "$work/out") &&
				[ -n "$v" ] && detail+="${detail:+; }$v"
			;;
		disk | serials=* | ro | discard | rng | hvc | rootfs | diskboot | intx)
			why=$(virtio_check "$e" "$out" "$rid" "$work/out" "${img_of[$rid]:-$work/l1disk.1.img}" "$work/$rid.check")
			[ -z "$why" ] && v=$(virtio_detail "$e" "$out" "$rid" "$work/out" "${img_of[$rid]:-$work/l1disk.1.img}") &&
				[ -n "$v" ] && detail+="${detail:+; }$v"
			;;
		*) why="unknown expectation '$e' in the case table" ;;
		esac
	done
	if [ -n "$why" ]; then
		fail "$name" "$why"
		tail -n 5 "$out" | sed 's/^/    | /'
		sed -n "s/^L2 $rid ! /    ! /p" "$work/out" | head -5
	else
		v=$(awk -v m="$mk" -v e="$ms" -v rc="$rc" 'BEGIN {
			if (m ~ /^[0-9]+$/) printf "marker at %.1f s, ", m / 1000
			if (rc == "stopped") printf "VMM stopped at %.1f s", e / 1000
			else printf "exit %s at %.1f s", rc, e / 1000 }')
		pass "$name" "$v${detail:+; $detail}"
	fi
}

for i in "${!case_names[@]}"; do
	check_case "$i"
done
closing
