#!/usr/bin/env bash
# QEMU's command line tier: minivmm started as build/bin/qemu-system-x86_64
# (and as `minivmm qemu`) must answer the probes kvm-unit-tests' scripts
# make (-version, -help, -device '?'), run kvm-unit-tests' own x86 command
# line, end runs as QEMU does (exit statuses, an empty stderr, QEMU's
# "terminating on signal" line) and refuse what it does not model with one
# line naming the option and exit status 1.
#
#   make && tests/guest/qemu.sh        # from the repository root
#
# Environment: MINIVMM (default ./minivmm), GUESTS (default build/guests),
# QEMU_LINK (default build/bin/qemu-system-x86_64).
#
# Prints PASS/FAIL/SKIP per case, then "qemu: N passed, N failed, N
# skipped"; exits 1 if any failed.

set -u

cd "$(dirname "$0")/../.." || exit 2
MINIVMM=${MINIVMM:-./minivmm}
G=${GUESTS:-build/guests}
Q=${QEMU_LINK:-build/bin/qemu-system-x86_64}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-qemu.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/stdout ERR=$WORK/stderr

rc=-
TIER_NAME=qemu FAIL_STDERR=$ERR
. tests/verdict.sh

if [ "$(uname -m)" != x86_64 ]; then
	skip qemu "the x86 front end is tested on x86_64 hosts"
	closing
fi

# qrun [timeout ARGS --] QEMU-ARGS...: the QEMU-named binary, bounded.
qrun() {
	timeout -k 5 30 "$Q" "$@" >"$OUT" 2>"$ERR" </dev/null
	rc=$?
}

# ready NAME KVM: may the case run ("kvm": it boots a guest)?
ready() {
	rc=-
	: >"$ERR"
	if [ ! -x "$MINIVMM" ] || [ ! -L "$Q" ]; then
		fail "$1" "$MINIVMM or $Q is missing (run make first)"
		return 1
	fi
	if [ "$2" = kvm ] && [ -n "$kvm_missing" ]; then
		skip "$1" "$kvm_missing"
		return 1
	fi
}

# stderr_is NAME TEXT: stderr is exactly TEXT (one line) or empty ("").
stderr_is() {
	if [ "$(cat "$ERR")" != "$2" ]; then
		fail "$1" "stderr is '$(head -c 200 "$ERR" | tr '\n' '|')', want '$2'"
		return 1
	fi
}

# refuse NAME "LINE" --|kvm ARGS: exit 1, nothing on stdout, stderr "qemu-system-x86_64: LINE"
# (kvm: the refusal comes after /dev/kvm is opened, so it needs one).
refuse() {
	local name=$1 line=$2 need=-
	[ "$3" = kvm ] && need=kvm
	shift 3
	ready "$name" "$need" || return
	qrun "$@"
	if [ "$rc" != 1 ]; then
		fail "$name" "exit code $rc, want 1"
	elif [ -s "$OUT" ]; then
		fail "$name" "stdout is not empty: '$(head -c 80 "$OUT")'"
	else
		stderr_is "$name" "qemu-system-x86_64: $line" && pass "$name"
	fi
}

# --- What kvm-unit-tests' scripts probe --------------------------------------

if ready qemu-version -; then
	qrun -version
	first=$(head -n 1 "$OUT")
	if [ "$rc" != 0 ] || [ "$first" != "QEMU emulator version 7.2.0 (minivmm 0.1.0)" ]; then
		fail qemu-version "exit $rc, first line '$first'"
	elif ! grep -q 'This is minivmm' "$OUT"; then
		fail qemu-version "it does not say it is minivmm"
	else
		stderr_is qemu-version "" && pass qemu-version "$first"
	fi
fi

# scripts/arch-run.bash: `$qemu --help | grep -q QEMU`, and the version
# read from `$qemu -h | head -1` with IFS='[ .]'.
if ready qemu-help -; then
	qrun --help
	IFS='[ .]' read -r _ _ _ major minor micro _ <<<"$(head -n 1 "$OUT")"
	if [ "$rc" != 0 ] || ! grep -q QEMU "$OUT"; then
		fail qemu-help "exit $rc or no 'QEMU' in the help"
	elif [ "$major.$minor.$micro" != 7.2.0 ]; then
		fail qemu-help "the harness would read version '$major.$minor.$micro'"
	elif ! grep -q -- '-no-reboot' "$OUT"; then
		fail qemu-help "the options are not listed"
	else
		pass qemu-help "version $major.$minor.$micro as the harness reads it"
	fi
fi

# x86/run: -device '?' must name "pc-testdev" (with the quotes) to get
# pc-testdev and isa-debug-exit; minivmm has no pci-testdev.
if ready qemu-device-help -; then
	qrun -device '?'
	if [ "$rc" != 0 ] || ! grep -qF 'name "pc-testdev", bus ISA' "$OUT" ||
		! grep -qF 'name "isa-debug-exit", bus ISA' "$OUT" ||
		! grep -qF 'name "virtio-blk-pci", bus PCI' "$OUT"; then
		fail qemu-device-help "exit $rc; '$(head -n 2 "$OUT" | tr '\n' '|')'"
	elif grep -qF '"pci-testdev"' "$OUT"; then
		fail qemu-device-help "lists pci-testdev, which minivmm does not have"
	else
		pass qemu-device-help "$(grep -c '^name "' "$OUT") devices in QEMU's format"
	fi
fi

# --- Runs -------------------------------------------------------------------------

# kvm-unit-tests' x86/run command line, around the multiboot test kernel
# (with -debugcon stdio for its report instead of pc-testdev, which owns
# port 0xe9): the guest's reset ends the run with status 0 under
# -no-reboot, and stderr stays empty.
KUT=(--no-reboot -nodefaults -global kvm-pit.lost_tick_policy=discard
	-device isa-debug-exit,iobase=0xf4,iosize=0x4 -display none -serial stdio -machine accel=kvm)
if ready qemu-kut-command-line kvm; then
	qrun "${KUT[@]}" -kernel "$G/multiboot.bin" -smp 1 -append "a b" -initrd "$G/hello.bin" \
		-debugcon stdio
	if [ "$rc" != 0 ]; then
		fail qemu-kut-command-line "exit $rc, want 0 (reset under -no-reboot)"
	elif grep -q '^FAIL' "$OUT" || ! grep -qx 'PASS modules' "$OUT" ||
		! grep -qx "cmdline: $G/multiboot.bin a b" "$OUT" || ! grep -qx DONE "$OUT"; then
		fail qemu-kut-command-line "report: '$(grep -m 3 -e '^FAIL' -e cmdline -e DONE "$OUT" | tr '\n' '|')'"
	else
		stderr_is qemu-kut-command-line "" && pass qemu-kut-command-line "multiboot report complete, exit 0, stderr empty"
	fi
fi

# -cpu qemu64,+x2apic,+tsc-deadline (kvm-unit-tests' vmexit_tscdeadline):
# QEMU's model is taken and the guest runs to its end, stderr empty.
if ready qemu-cpu-qemu64 kvm; then
	qrun "${KUT[@]}" -cpu qemu64,+x2apic,+tsc-deadline -kernel "$G/multiboot.bin" -debugcon stdio
	if [ "$rc" != 0 ] || ! grep -qx DONE "$OUT" || grep -q '^FAIL' "$OUT"; then
		fail qemu-cpu-qemu64 "exit $rc or the guest's report is incomplete"
	else
		stderr_is qemu-cpu-qemu64 "" && pass qemu-cpu-qemu64 "the multiboot guest ran on qemu64"
	fi
fi

# -machine pit=off (kvm-unit-tests' vmexit_ipi): the machine without its
# in-kernel i8254 boots and runs the guest to its end.
if ready qemu-pit-off kvm; then
	qrun -nodefaults -no-reboot -machine pit=off -kernel "$G/multiboot.bin" -debugcon stdio
	if [ "$rc" != 0 ] || ! grep -qx DONE "$OUT" || grep -q '^FAIL' "$OUT"; then
		fail qemu-pit-off "exit $rc or the guest's report is incomplete"
	else
		stderr_is qemu-pit-off "" && pass qemu-pit-off "the multiboot guest ran without an i8254"
	fi
fi
refuse qemu-pit-value "-M pc,pit=maybe: pit=on or pit=off" -- -machine pit=maybe -kernel "$G/multiboot.bin"

# QEMU has no debug console unless -debugcon: the report goes nowhere.
if ready qemu-no-default-debugcon kvm; then
	qrun -nodefaults -no-reboot -kernel "$G/multiboot.bin"
	if [ "$rc" != 0 ] || [ -s "$OUT" ]; then
		fail qemu-no-default-debugcon "exit $rc, stdout '$(head -c 60 "$OUT")'"
	else
		stderr_is qemu-no-default-debugcon "" && pass qemu-no-default-debugcon
	fi
fi

# isa-debug-exit: the guest's status, as under QEMU (guests/testdev.S: 253
# when every pc-testdev check passes), nothing on stderr.
if ready qemu-debug-exit kvm; then
	qrun -nodefaults -bios "$G/testdev.bin" -device pc-testdev \
		-device isa-debug-exit,iobase=0xf4,iosize=4
	if [ "$rc" != 253 ]; then
		fail qemu-debug-exit "exit $rc, want 253"
	else
		stderr_is qemu-debug-exit "" && pass qemu-debug-exit "pc-testdev checks passed: exit 253"
	fi
fi

# Without -no-reboot a guest reset restarts the machine, as QEMU does; a
# SIGTERM ends the run with status 0 and QEMU's line.
if ready qemu-reset-restarts kvm; then
	timeout -s TERM --preserve-status 4 "$Q" -nodefaults -kernel "$G/multiboot.bin" \
		-debugcon stdio >"$OUT" 2>"$ERR" </dev/null
	rc=$?
	n=$(grep -cx DONE "$OUT")
	if [ "$rc" != 0 ] || [ "$n" -lt 2 ]; then
		fail qemu-reset-restarts "exit $rc, the guest's report $n times (want 0, at least 2)"
	else
		stderr_is qemu-reset-restarts "qemu-system-x86_64: terminating on signal 15" &&
			pass qemu-reset-restarts "$n boots, then SIGTERM: exit 0"
	fi
fi

# The subcommand spelling is the same front end; its messages say minivmm.
if ready minivmm-qemu -; then
	timeout 10 "$MINIVMM" qemu -version >"$OUT" 2>"$ERR" </dev/null
	rc=$?
	if [ "$rc" != 0 ] || ! grep -q '^QEMU emulator version 7.2.0 (minivmm' "$OUT"; then
		fail minivmm-qemu "exit $rc, '$(head -n 1 "$OUT")'"
	else
		timeout 10 "$MINIVMM" qemu -cpu EPYC >"$OUT" 2>"$ERR" </dev/null
		rc=$?
		if [ "$rc" != 1 ] || ! grep -q "^minivmm: -cpu EPYC: CPU model 'EPYC' is not modelled" "$ERR"; then
			fail minivmm-qemu "a bad -cpu: exit $rc"
		else
			pass minivmm-qemu "minivmm qemu -version; errors start 'minivmm:'"
		fi
	fi
fi

# --- Refusals: one line naming the option, exit status 1 --------------------------

K=$G/multiboot.bin
refuse qemu-missing-kernel "could not load kernel '$WORK/none': No such file or directory" -- \
	-kernel "$WORK/none"
refuse qemu-cpu-model "-cpu Skylake-Client,+x2apic: CPU model 'Skylake-Client' is not modelled; minivmm has host and max (the CPUID KVM supports on this host) and QEMU's qemu64, kvm64, qemu32, kvm32" -- \
	-cpu Skylake-Client,+x2apic -kernel "$K"
refuse qemu-cpu-model-feature "-cpu qemu64,+foo: 'foo': not a CPU feature minivmm knows (QEMU's names: x2apic, tsc-deadline, pcid, ...)" -- \
	-cpu qemu64,+foo -kernel "$K"
refuse qemu-cpu-features "-cpu host,+foo: 'foo': not a CPU feature minivmm knows (QEMU's names: x2apic, tsc-deadline, pcid, ...)" -- \
	-cpu host,+foo -kernel "$K"
refuse qemu-accel-tcg "-accel tcg: minivmm runs guests on KVM only" -- -accel tcg -kernel "$K"
refuse qemu-machine-accel-tcg "-machine accel=tcg: accelerator 'tcg': minivmm runs guests on KVM only" -- \
	-machine accel=tcg -kernel "$K"
refuse qemu-machine-property "-M pc,kernel-irqchip=split: property 'kernel-irqchip' not found for machine pc" -- \
	-machine kernel-irqchip=split -kernel "$K"
refuse qemu-display "-display gtk: minivmm has no display (-display none)" -- -display gtk -kernel "$K"
refuse qemu-global "-global kvm-pit.lost_tick_policy=delay: a property minivmm does not model" -- \
	-global kvm-pit.lost_tick_policy=delay -kernel "$K"
refuse qemu-unknown-option "-monitor: an option minivmm's QEMU front end does not take (see -help)" -- \
	-monitor stdio -kernel "$K"
refuse qemu-disk-positional "'disk.img': a disk image without -drive is not supported (use -drive file=disk.img,format=raw,if=virtio)" -- \
	disk.img
refuse qemu-missing-value "-kernel: requires an argument" -- -kernel
refuse qemu-memory-slots "-m size=64M,slots=2: only a size (memory hotplug slots are not modelled)" -- \
	-m size=64M,slots=2 -kernel "$K"
refuse qemu-not-a-kernel "-kernel $G/hello.bin: not a kernel minivmm boots: no Linux boot header (\"HdrS\" at 0x202), no multiboot header in the first 8 KiB, not an ELF" kvm \
	-kernel "$G/hello.bin"

closing
