#!/usr/bin/env bash
# The guest test tier: boot each test guest (guests/*.S) under ./minivmm on
# host KVM and match its exit code, its console (stdout) and its messages
# (stderr); then feed the monitor bad input and check it refuses cleanly.
#
#   make && tests/guest/run.sh          # from the repository root
#
# Environment: MINIVMM (default ./minivmm), GUESTS (default build/guests),
# CASE_TIMEOUT (default 20 s: a safety bound on every run, never expected).
#
# Prints one line per case (PASS name / FAIL name: why / SKIP name: why),
# then "guest: N passed, N failed, N skipped"; exits 1 if any case failed.

set -u

cd "$(dirname "$0")/../.." || exit 2
MINIVMM=${MINIVMM:-./minivmm}
G=${GUESTS:-build/guests}
CASE_TIMEOUT=${CASE_TIMEOUT:-20}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-guest.XXXXXX") || exit 2
SHM_DIR=/dev/shm
[ -d "$SHM_DIR" ] && [ -w "$SHM_DIR" ] || SHM_DIR=$WORK
MEMFILE=$(mktemp "$SHM_DIR/minivmm-test-XXXXXX") || exit 2
trap 'rm -rf "$WORK" "$MEMFILE"' EXIT

OUT=$WORK/stdout ERR=$WORK/stderr
# pass, fail (with the run's exit code and stderr), skip, closing, kvm_missing
TIER_NAME=guest FAIL_STDERR=$ERR
. tests/verdict.sh

# oneline FILE: the first 200 bytes of FILE with newlines shown as \n.
oneline() {
	local s
	s=$(head -c 200 "$1"; echo .)
	s=${s%.}
	printf '%s' "${s//$'\n'/\\n}"
}

# Precondition shared by every case that boots a guest.
# $1 case name, $2 "kvm" when KVM is needed; remaining: files that must exist.
ready() {
	local name=$1 kvm=$2 f
	shift 2
	rc=-
	if [ "$kvm" = kvm ] && [ -n "$kvm_missing" ]; then
		skip "$name" "$kvm_missing"
		return 1
	fi
	: >"$ERR"
	for f in "$MINIVMM" "$@"; do
		if [ ! -e "$f" ]; then
			fail "$name" "$f is missing (run make first)"
			return 1
		fi
	done
	return 0
}

# The image arguments (build/guests/*.bin) of a command line, for ready().
images_in() {
	local a
	for a in "$@"; do
		case $a in "$G"/*) echo "$a" ;; esac
	done
}

# run ARGS...: run the monitor with the safety bound; sets rc, fills OUT/ERR.
run() {
	timeout -k 5 "$CASE_TIMEOUT" "$MINIVMM" "$@" >"$OUT" 2>"$ERR" </dev/null
	rc=$?
}

# check_stdout NAME EXPECTED: "-" skips; "~TEXT" means OUT contains TEXT;
# anything else must equal OUT exactly (printf %b escapes, so "\n" works).
check_stdout() {
	local name=$1 want=$2
	case $want in
	-) return 0 ;;
	~*)
		if ! grep -qF -- "${want#\~}" "$OUT"; then
			fail "$name" "stdout lacks '${want#\~}', got '$(oneline "$OUT")'"
			return 1
		fi
		;;
	*)
		printf '%b' "$want" >"$WORK/want"
		if ! cmp -s "$WORK/want" "$OUT"; then
			fail "$name" "stdout is '$(oneline "$OUT")', want '$want'"
			return 1
		fi
		;;
	esac
}

# check_stderr NAME "A && B ...": "-" skips; else every substring must occur.
check_stderr() {
	local name=$1 want=$2 part rest
	[ "$want" = - ] && return 0
	rest=$want
	while [ -n "$rest" ]; do
		part=${rest%% && *}
		if [ "$part" = "$rest" ]; then rest=; else rest=${rest#* && }; fi
		if ! grep -qF -- "$part" "$ERR"; then
			fail "$name" "stderr lacks '$part'"
			return 1
		fi
	done
}

check_rc() {
	if [ "$rc" != "$2" ]; then
		fail "$1" "exit code $rc, want $2"
		return 1
	fi
}

# expect NAME CODE STDOUT STDERR -- ARGS...: boot a guest (needs KVM).
expect() {
	local name=$1 code=$2 out=$3 err=$4
	shift 5
	# shellcheck disable=SC2046
	ready "$name" kvm $(images_in "$@") || return
	run "$@"
	check_rc "$name" "$code" && check_stdout "$name" "$out" &&
		check_stderr "$name" "$err" && pass "$name"
}

# refuse NAME KVM SUBSTR -- ARGS...: bad input.  Exit 2, nothing on stdout,
# exactly one stderr line "minivmm: ..." containing SUBSTR.  KVM is "kvm"
# when the check may legitimately come after opening /dev/kvm, else "-".
refuse() {
	local name=$1 kvm=$2 sub=$3 lines
	shift 4
	# shellcheck disable=SC2046
	ready "$name" "$kvm" $(images_in "$@") || return
	run "$@"
	check_rc "$name" 2 && check_stdout "$name" "" || return
	lines=$(wc -l <"$ERR")
	if [ "$lines" -ne 1 ] || ! head -n 1 "$ERR" | grep -q '^minivmm: '; then
		fail "$name" "want one stderr line starting 'minivmm: ', got $lines lines"
		return
	fi
	check_stderr "$name" "$sub" && pass "$name"
}

# expect_trace NAME CODE PATTERN WANT -- ARGS...: like expect, but the
# stderr lines matching the extended regex PATTERN must be exactly WANT
# (one line per element of the array named WANT).
expect_trace() {
	local name=$1 code=$2 pattern=$3
	local -n want_lines=$4
	shift 5
	# shellcheck disable=SC2046
	ready "$name" kvm $(images_in "$@") || return
	run "$@"
	check_rc "$name" "$code" || return
	printf '%s\n' "${want_lines[@]}" >"$WORK/want"
	grep -E -- "$pattern" "$ERR" >"$WORK/got"
	if ! cmp -s "$WORK/want" "$WORK/got"; then
		fail "$name" "$(wc -l <"$WORK/got") trace lines, want ${#want_lines[@]}; first: '$(head -n 1 "$WORK/got")'"
		return
	fi
	pass "$name"
}

# expect_count NAME CODE PATTERN N -- ARGS...: like expect, but exactly N
# stderr lines match the extended regex PATTERN.
expect_count() {
	local name=$1 code=$2 pattern=$3 want=$4 got
	shift 5
	# shellcheck disable=SC2046
	ready "$name" kvm $(images_in "$@") || return
	run "$@"
	check_rc "$name" "$code" || return
	got=$(grep -cE -- "$pattern" "$ERR")
	if [ "$got" -ne "$want" ]; then
		fail "$name" "$got stderr lines match '$pattern', want $want"
		return
	fi
	pass "$name"
}

# expect_signal NAME SIG -- ARGS...: start a guest that never stops, send
# SIG after 0.5 s; the monitor must exit 3 within 3 s of the signal.  The
# child starts with default signal dispositions (a background job of a
# non-interactive shell would otherwise inherit SIGINT ignored).
expect_signal() {
	local name=$1 sig=$2 pid waited=0
	shift 3
	# shellcheck disable=SC2046
	ready "$name" kvm $(images_in "$@") || return
	env --default-signal=INT,TERM "$MINIVMM" "$@" >"$OUT" 2>"$ERR" </dev/null &
	pid=$!
	sleep 0.5
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid"
		rc=$?
		fail "$name" "the guest stopped before the signal"
		return
	fi
	kill -s "$sig" "$pid"
	while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 30 ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -s KILL "$pid"
		wait "$pid"
		rc=$?
		fail "$name" "still running 3 s after SIG$sig"
		return
	fi
	wait "$pid"
	rc=$?
	check_rc "$name" 3 && pass "$name"
}

# same_prefix NAME FILE IMAGE: FILE begins with the bytes of IMAGE (the
# guest's RAM was a MAP_SHARED mapping of FILE and the image went to its
# start).  Runs after the case that used FILE.
same_prefix() {
	local name=$1 file=$2 image=$3
	ready "$name" kvm "$image" || return
	rc=0
	if [ ! -s "$file" ]; then
		fail "$name" "$file is empty or gone after the run"
	elif ! cmp -s -n "$(stat -c %s "$image")" "$image" "$file"; then
		fail "$name" "$file does not start with the image"
	else
		pass "$name"
	fi
}

# Inputs for the bad-input cases.
: >"$WORK/empty.bin"
head -c 2M /dev/zero >"$WORK/big.bin"

# scenario 2: the first 20 port writes of the endless guest.
LOOP_TRACE=()
for i in $(seq 0 19); do
	LOOP_TRACE+=("$(printf 'io out port=0x10 size=2 data=0x%04x' "$i")")
done

# Every access the mmio guest makes, in order, as --trace io,mmio shows it.
MMIO_TRACE=()
for a in 0xd0000000 0x1000000 0xfffffff0; do
	MMIO_TRACE+=("mmio read addr=$a size=4 data=0xffffffff"
		"mmio read addr=$a size=2 data=0xffff"
		"mmio read addr=$a size=1 data=0xff"
		"mmio write addr=$a size=4 data=0x12345678"
		"mmio write addr=$(printf '%#x' $((a + 1))) size=1 data=0x00"
		"mmio read addr=$a size=4 data=0xffffffff")
done
MMIO_TRACE+=("io in port=0x3e0 size=1 data=0xff"
	"io in port=0x3e0 size=2 data=0xffff"
	"io in port=0x3e0 size=4 data=0xffffffff"
	"io out port=0x3e0 size=1 data=0x5a"
	"io out port=0x3e0 size=4 data=0xffffff5a"
	"io in port=0x3e0 size=1 data=0xff")
for c in P A S S ' ' m m i o $'\n'; do
	MMIO_TRACE+=("$(printf 'io out port=0xe9 size=1 data=0x%02x' "'$c")")
done

REGS=(--reg rax=0x11223344 --reg rbx=0x55667788 --reg rcx=0x99aabbcc
	--reg rdx=0xddeeff00 --reg rsi=0x13579bdf --reg rdi=0x2468ace0
	--reg rbp=0xfedcba98 --reg rsp=0x7000)

# ---------------------------------------------------------------------------
# The cases.  Columns after the helper's name, up to "--" (then the minivmm
# arguments):
#   expect        NAME EXIT STDOUT STDERR   STDOUT exact ("~x": contains x,
#                                           "-": any), STDERR substrings
#                                           joined by " && " ("-": any)
#   expect_trace  NAME EXIT REGEX LINES     stderr lines matching REGEX are
#                                           exactly the array LINES
#   expect_count  NAME EXIT REGEX N         exactly N stderr lines match
#   expect_signal NAME SIG                  exit 3 soon after SIG
#   refuse        NAME KVM SUBSTR           exit 2, one "minivmm: " line
# ---------------------------------------------------------------------------

# Guests that check themselves and print a verdict.
expect hello        0 "Hello, world\n" - -- run --debugcon 0xf1 "$G/hello.bin"
expect demo         0 "~Hello from the minivmm demo guest" - -- run
expect_trace loop   3 '^io ' LOOP_TRACE -- run --trace io --max-exits 20 "$G/loop.bin"
expect_trace loop-at-64k 3 '^io ' LOOP_TRACE -- run --load 0x10000 --trace io --max-exits 20 "$G/loop.bin"
expect scenario3    0 "Hello from 0x1040, RAM at 0x1000 on a shared mapping\n" - -- \
	run -M bare,ram-base=0x1000 -m 16M --mem-path "$MEMFILE" --load 0x1000 \
	--reg rsp=0xffffffff --reg rbp=0xffffffff --debugcon 0x10 "$G/scenario3.bin"
same_prefix scenario3-shared-file "$MEMFILE" "$G/scenario3.bin"
expect pmode        0 "PASS pmode\n" - -- run --mode protected "$G/pmode.bin"
expect longmode     0 "PASS longmode\n" - -- \
	run --mode long -m 8M --load 0x100000 --entry 0x100000 "$G/longmode.bin"
expect mmio         0 "PASS mmio\n" - -- run --mode protected -m 16M "$G/mmio.bin"
expect stringio     0 "rep outsb: many bytes per exit\nrep outsw: ok\nPASS stringio\n" - -- \
	run "$G/stringio.bin"
expect regs         0 "PASS regs\n" - -- run "${REGS[@]}" "$G/regs.bin"

# isa-debug-exit: a write of v ends the run with status (v << 1) | 1 and,
# as under QEMU, nothing on stderr (checked after each run).
debug_exit() { # NAME V STATUS
	expect "$1" "$3" "" - -- run -device isa-debug-exit,iobase=0xf4,iosize=4 \
		--reg "rax=$2" "$G/debugexit.bin"
	if [ "$rc" = "$3" ] && [ -s "$ERR" ]; then
		fail "$1-quiet" "stderr is not empty: $(oneline "$ERR")"
	elif [ "$rc" = "$3" ]; then
		pass "$1-quiet"
	fi
}
debug_exit debug-exit-1 1 3
debug_exit debug-exit-7f 0x7f 255
debug_exit debug-exit-32bit 0x12345678 241
expect debug-exit-absent 0 "" "io write at 0xf4 size=4 data=0x1 unclaimed" -- \
	run --reg rax=1 "$G/debugexit.bin"
expect debug-exit-v 3 "" "minivmm: exited: isa-debug-exit: exit status 3" -- \
	run -v -device isa-debug-exit,iobase=0xf4,iosize=4 --reg rax=1 "$G/debugexit.bin"
# pc-testdev, checked by a firmware of ours that reports through
# isa-debug-exit (guests/testdev.S: 253 when every check passes, else the
# failing check's number N as (N << 1) | 1; without the device, check 1).
TESTDEV=(-M pc --bios "$G/testdev.bin" -device isa-debug-exit,iobase=0xf4,iosize=4)
expect pc-testdev 253 "" - -- run "${TESTDEV[@]}" -device pc-testdev
expect pc-testdev-absent 3 "" "io write at 0xe0 size=4" -- run "${TESTDEV[@]}"
# -cpu MODEL[,FEATURES] (guests/cpuid.S reads CPUID leaf 1): host and max are the CPUID
# KVM supports, the TSC deadline timer included (as QEMU's -cpu host);
# -FEAT clears a bit, +FEAT one KVM cannot give is refused.
expect cpu-host 0 "~x2apic=1 tsc-deadline=1" - -- run -cpu host "$G/cpuid.bin"
expect cpu-minus-x2apic 0 "x2apic=0 tsc-deadline=1\n" - -- run -cpu host,-x2apic "$G/cpuid.bin"
expect cpu-off-deadline 0 "x2apic=0 tsc-deadline=0\n" - -- run -cpu max,tsc-deadline=off,x2apic=off "$G/cpuid.bin"
# QEMU's generic models (--reg rax=1: guests/cpuid.S also prints the
# highest leaves, the signature, the feature words, vendor and model-id):
# x2apic on and the deadline timer only when asked for, as QEMU under KVM;
# the vendor is the host's, and on AMD leaf 0x80000001 EDX repeats leaf 1's.
VENDOR=$(sed -n 's/^vendor_id[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
amd() { if [ "$VENDOR" = AuthenticAMD ]; then echo "$1"; else echo "$2"; fi; }
expect cpu-qemu64 0 "x2apic=1 tsc-deadline=0\n" - -- run -cpu qemu64 "$G/cpuid.bin"
expect cpu-qemu64-deadline 0 "x2apic=1 tsc-deadline=1\n" - -- \
	run -cpu qemu64,+x2apic,+tsc-deadline "$G/cpuid.bin"
expect cpu-qemu64-words 0 "x2apic=1 tsc-deadline=0\nlevel=0000000d xlevel=8000000a sig=00060fb1
1: ecx=80202001 edx=078bfbfd\n80000001: ecx=00000001 edx=$(amd 2193fbfd 20100800)
vendor=$VENDOR\nmodel-id=QEMU Virtual CPU version 2.5+\n" - -- run --reg rax=1 -cpu qemu64 "$G/cpuid.bin"
expect cpu-kvm64-minus-lm 0 "x2apic=0 tsc-deadline=0\nlevel=0000000d xlevel=80000008 sig=00000f61
1: ecx=80002001 edx=078bfbfd\n80000001: ecx=00000000 edx=$(amd 0193fbfd 00100800)
vendor=$VENDOR\nmodel-id=Common KVM processor\n" - -- run --reg rax=1 -cpu kvm64,-lm,x2apic=off "$G/cpuid.bin"
expect cpu-qemu32 0 "x2apic=1 tsc-deadline=0\nlevel=00000004 xlevel=80000004 sig=00000663
1: ecx=80200001 edx=0781abfd\n80000001: ecx=00000000 edx=$(amd 0181a3fd 00000000)
vendor=$VENDOR\nmodel-id=QEMU Virtual CPU version 2.5+\n" - -- run --reg rax=1 -cpu qemu32 "$G/cpuid.bin"
expect cpu-kvm32-deadline 0 "x2apic=1 tsc-deadline=1\nlevel=00000005 xlevel=80000008 sig=00000f61
1: ecx=81200001 edx=078bfbfd\n80000001: ecx=00000000 edx=$(amd 0183f3fd 00000000)
vendor=$VENDOR\nmodel-id=Common 32-bit KVM processor\n" - -- run --reg rax=1 -cpu kvm32,+tsc-deadline "$G/cpuid.bin"
refuse cpu-model - "-cpu Skylake-Client: CPU model 'Skylake-Client' is not modelled; minivmm has host and max (the CPUID KVM supports on this host) and QEMU's qemu64, kvm64, qemu32, kvm32" -- \
	run -cpu Skylake-Client "$G/cpuid.bin"
refuse cpu-model-feature - "-cpu qemu64,+foo: 'foo': not a CPU feature minivmm knows" -- run -cpu qemu64,+foo "$G/cpuid.bin"
refuse cpu-model-unsupported kvm "-cpu: +monitor: KVM on this host cannot give the guest monitor" -- \
	run -cpu qemu64,+monitor "$G/cpuid.bin"
refuse cpu-unknown-feature - "-cpu host,+foo: 'foo': not a CPU feature minivmm knows" -- run -cpu host,+foo "$G/cpuid.bin"
refuse cpu-feature-syntax - "-cpu host,x2apic: 'x2apic': a CPU feature is +NAME, -NAME, NAME=on or NAME=off" -- \
	run -cpu host,x2apic "$G/cpuid.bin"
refuse cpu-unsupported kvm "-cpu: +monitor: KVM on this host cannot give the guest monitor" -- \
	run -cpu host,+monitor "$G/cpuid.bin"
# ACPI S3 (guests/s3.S, as kvm-unit-tests' x86/s3.c): suspended by
# PM1a_CNT, woken by the RTC alarm about a second later, resumed in real
# mode at the FACS waking vector with nothing run in between: exit 65.
expect acpi-s3 65 "PASS s3-resume\nPASS s3-wak-sts\n" \
	"suspended to RAM (ACPI S3); the RTC alarm wakes it in && resumes in real mode at the FACS waking vector 0x1000" -- \
	run -M pc -m 64M -kernel "$G/s3.bin" -device isa-debug-exit -v

# Negative guests: the monitor must stop them and say why.
expect runaway-timeout 3 "" timeout -- run --timeout 1 "$G/runaway.bin"
expect triplefault  1 "" crashed -- run --mode protected "$G/triplefault.bin"
expect_signal sigterm TERM -- run "$G/runaway.bin"
expect_signal sigint INT -- run "$G/runaway.bin"

# Observability.
expect stats        0 "Hello, world\n" "IO && HLT" -- run --stats --debugcon 0xf1 "$G/hello.bin"
expect verbose      0 "Hello, world\n" ram -- run -v --debugcon 0xf1 "$G/hello.bin"
expect caps         0 "~API version 12" - -- caps
expect_trace mmio-trace 0 '^(mmio|io) ' MMIO_TRACE -- run --trace io,mmio --mode protected -m 16M "$G/mmio.bin"
expect_count unclaimed-logged-once 0 '^minivmm: .*0xd0000000 .*unclaimed' 1 -- \
	run --mode protected -m 16M "$G/mmio.bin"

# Bad input: exit 2 and one "minivmm: ..." line naming the problem.
refuse missing-image    kvm "cannot open image" -- run "$WORK/no-such-image.bin"
refuse empty-image      kvm "image is empty" -- run "$WORK/empty.bin"
refuse image-too-big    kvm "larger than RAM" -- run -m 1M "$WORK/big.bin"
refuse load-outside-ram kvm "load address 0x200000 is outside RAM" -- \
	run -m 1M --load 0x200000 "$G/hello.bin"
refuse unknown-option   - "unknown option '--bogus'" -- run --bogus "$G/hello.bin"
refuse bad-mem-size     - "minivmm: -m 12Q: unknown size suffix 'Q'" -- run -m 12Q "$G/hello.bin"
refuse bad-load-value   - "minivmm: --load 12Q: unknown size suffix 'Q'" -- run --load 12Q "$G/hello.bin"
refuse bad-reg-name     - "unknown register 'xyz'" -- run --reg xyz=1 "$G/hello.bin"
refuse bad-mode         - "--mode bogus: expected real, protected or long" -- \
	run --mode bogus "$G/hello.bin"
refuse bad-debugcon     - "--debugcon 0x10000:" -- run --debugcon 0x10000 "$G/hello.bin"
refuse debug-exit-iosize - "iosize must be 1, 2 or 4" -- run -device isa-debug-exit,iosize=3 "$G/debugexit.bin"
refuse debug-exit-past   - "the ports go past 0xffff" -- run -device isa-debug-exit,iobase=0xfffe,iosize=4 "$G/debugexit.bin"
refuse debug-exit-prop   - "unknown property 'port'" -- run -device isa-debug-exit,port=1 "$G/debugexit.bin"
refuse debug-exit-twice  - "one isa-debug-exit only" -- run -device isa-debug-exit -device isa-debug-exit "$G/debugexit.bin"
refuse pc-testdev-bare   - "a device of the pc machine" -- run -device pc-testdev "$G/hello.bin"
refuse pc-testdev-e9     - "belongs to -device pc-testdev" -- run "${TESTDEV[@]}" -device pc-testdev --debugcon 0xe9
refuse pc-testdev-prop   - "unknown property 'irq'" -- run "${TESTDEV[@]}" -device pc-testdev,irq=3
refuse mem-path-no-dir  kvm "--mem-path /nonexistent-dir/ram:" -- \
	run --mem-path /nonexistent-dir/ram "$G/hello.bin"
refuse long-over-tables kvm "overlaps the boot tables" -- \
	run -m 1M --mode long --load 0xf9000 "$G/longmode.bin"

# The pc machine's serial console: Ctrl-A x on its input quits (exit 3), as
# in QEMU; SeaBIOS, with nothing to boot, would otherwise wait forever.
console_quit() {
	ready console-ctrl-a-x kvm || return
	printf '\001x' | timeout -k 5 "$CASE_TIMEOUT" "$MINIVMM" run -M pc -m 64M \
		--timeout 15 >"$OUT" 2>"$ERR"
	rc=$?
	if [ "$rc" = 3 ] && grep -q 'stopped: Ctrl-A x on the console' "$ERR"; then
		pass console-ctrl-a-x
	else
		fail console-ctrl-a-x "want exit 3 and 'stopped: Ctrl-A x on the console'"
	fi
}
console_quit

# --reboot=restart: each reset of the tiny kernel starts it again, until
# --timeout (which bounds all the restarts together) ends the run.  The
# machine is reset in place: the boot-marker device keeps counting across
# resets (a rebuilt machine would start again at marker 1).
reboot_restart() {
	ready reboot-restart kvm "$G/tinykernel.bin" || return
	run run -M pc -m 64M -kernel "$G/tinykernel.bin" -serial none \
		--reboot=restart --timeout 2
	if [ "$rc" = 3 ] && [ "$(grep -c 'starting the machine again' "$ERR")" -ge 2 ] &&
		grep -q 'boot marker 3:' "$ERR" && grep -q 'reset 2)' "$ERR"; then
		pass reboot-restart
	else
		fail reboot-restart "want exit 3 after at least two in-place resets (boot marker 3, reset 2)"
	fi
}
reboot_restart

# ---------------------------------------------------------------------------
closing
