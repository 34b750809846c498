#!/usr/bin/env bash
# The gdb stub under real arm64 KVM: the host's gdb-multiarch debugs the
# guests minivmm runs inside the arm64 L1 (README, "Debugging with gdb").
#
#   host gdb-multiarch ── unix socket ── L1's /dev/hvc0 (a virtconsole:
#   tests/arm64/run-l1.sh --serial) ── minivmm -gdb /dev/hvc0 ── L2
#
# The cases, in one L1 boot (L1 and L2 with nokaslr, so L1's /proc/kallsyms
# gives the addresses L2's kernel runs at: Debian's System.map is a
# placeholder):
#   arm64-gdb-step        the flat guest guests/arm64/gdbtarget.S under -S,
#                         from its first instruction: stepi (the pcs from the
#                         image's disassembly, one step right after an MMIO
#                         store), registers, memory, a software breakpoint, a
#                         register written from gdb changing what the guest
#                         prints, a watchpoint on its counter (old and new
#                         value), the guest's own brk handed to the guest
#                         while a breakpoint is set, then continued to its
#                         PSCI SYSTEM_OFF (gdb: exited normally; exit 0)
#   arm64-gdb-attach      no -S: a spinning guest runs until gdb's first
#                         packet over the line stops it; gdb learns the
#                         architecture from the target description, steps,
#                         continues, stops it again with Ctrl-C and kills
#                         the run (exit 3)
#   arm64-gdb-kernel      Debian's arm64 kernel, -smp 2 -S: a hardware
#                         breakpoint at start_kernel is hit (EL1h, MMU on, its
#                         code read through the kernel's page tables), gdb
#                         lists two threads
#   arm64-gdb-kernel-smp  then a software breakpoint in smp_cpus_done (set
#                         through the page tables) is hit with vCPU 1 running
#                         kernel code; continued, the kernel reaches the L2
#                         init, whose poweroff ends gdb's session (exit 0)
#
#   tests/arm64/gdb.sh         (tests/run.sh --arm64 runs it after run.sh)
#
# Environment: MINIVMM (default build-arm64/minivmm), ARM64_GUESTS (default
# build-arm64/guests), GDB (default gdb-multiarch), ARM64_KEEP=DIR keeps
# L1's console, the payload and gdb's commands and output in DIR.
#
# Prints PASS/FAIL/SKIP lines and "arm64-gdb: N passed, N failed, N skipped".
# SKIPs when prepare.sh cannot get the packages (exit 3) or there is no
# gdb-multiarch.
set -u -o pipefail
ARM64_DIR=$(cd "$(dirname "$0")" && pwd)
cd "$ARM64_DIR/../.." || exit 2
. "$ARM64_DIR/lib.sh"
. tests/gdblib.sh

MINIVMM=${MINIVMM:-build-arm64/minivmm}
GUESTS=${ARM64_GUESTS:-build-arm64/guests}
GDB=${GDB:-gdb-multiarch}
TIER_NAME=arm64-gdb
CASES="arm64-gdb-step arm64-gdb-attach arm64-gdb-kernel arm64-gdb-kernel-smp"
L2_APPEND="console=ttyAMA0 quiet panic=-1 nokaslr l2.mode=report l2.end=poweroff"
IMG=$GUESTS/gdbtarget.bin
LOAD=40000000 # the bare machine's RAM base: the image's load address and entry

fail_all() {
	for c in $CASES; do fail "$c" "$1"; done
	closing
}

gdb_prepare "$ARM64_DIR/prepare.sh" arm64-gdb-prepare
command -v "$GDB" >/dev/null || gdb_skip_all "$GDB is not installed (Debian package gdb-multiarch)"
[ -f "$MINIVMM" ] || fail_all "no $MINIVMM (make arm64)"
readelf -h "$MINIVMM" 2>/dev/null | grep -q AArch64 || fail_all "$MINIVMM is not an AArch64 program"
! readelf -l "$MINIVMM" 2>/dev/null | grep -q INTERP ||
	fail_all "$MINIVMM is dynamically linked (L1 has no libc; build it static)"
for f in "$IMG" "$GUESTS/runaway.bin"; do
	[ -f "$f" ] || fail_all "no $f (make arm64)"
done

# The guest's layout from its disassembly: the instruction addresses from
# the entry, the counter (adr x1), the store to it, the console store, the
# loop's first instruction, the guest's brk and the PSCI call (the
# instruction before the hvc).
DISASM=$(aarch64-linux-gnu-objdump -D -b binary -maarch64 --adjust-vma=0x$LOAD "$IMG" 2>/dev/null)
mapfile -t INSN < <(sed -n 's/^ *\([0-9a-f]*\):\t[0-9a-f]\{8\} \t.*/\1/p' <<<"$DISASM")
first() { sed -n "s/^ *\\([0-9a-f]*\\):.*\\t$1.*/\\1/p" <<<"$DISASM" | head -n 1; }
COUNTER=$(sed -n 's/.*\tadr\tx1, 0x\([0-9a-f]*\).*/\1/p' <<<"$DISASM" | head -n 1)
COUNT=$(first 'strb\tw0, \[x1\]')
PRINT=$(first 'strb\tw0, \[x2\]')
AGAIN=$(first 'ldrb\tw0, \[x1\]')
TRAP=$(first 'brk\t')
DONE=$(awk '/\thvc\t/ { print prev; exit } { sub(/:.*/, ""); gsub(/ /, ""); prev = $0 }' <<<"$DISASM")
# The first four instruction words, as gdb's x/4xw prints them.
WORDS=$(od -An -tx4 -N16 "$IMG" | sed 's/ \([0-9a-f]\{8\}\)/\t0x\1/g')
if [ ${#INSN[@]} -lt 12 ] || [ "${INSN[0]}" != "$LOAD" ] || [ -z "$COUNTER" ] ||
	[ -z "$COUNT" ] || [ -z "$PRINT" ] || [ -z "$AGAIN" ] || [ -z "$TRAP" ] || [ -z "$DONE" ]; then
	fail_all "cannot read gdbtarget's layout from its disassembly (aarch64-linux-gnu-objdump)"
fi
AFTER_COUNT=$(printf '%x' $((0x$COUNT + 4)))

work=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-arm64-gdb.XXXXXX") || exit 2
l1pid=
keep() {
	[ -n "${ARM64_KEEP:-}" ] || return 0
	mkdir -p "$ARM64_KEEP" && cp "$work"/*.log "$work"/*.gdb "$work"/*.out "$work"/payload.sh "$ARM64_KEEP/" 2>/dev/null
}
gdb_pid=
trap 'keep; [ -n "$l1pid" ] && kill "$l1pid" 2>/dev/null; [ -n "$gdb_pid" ] && kill -9 "$gdb_pid" 2>/dev/null; rm -rf "$work"' EXIT
sock=$work/hvc0.sock log=$work/console.log

# The payload: one minivmm run per gdb session, each announced by a
# GDB-READY line once the line is open and raw (gdb may send before minivmm
# has opened it: the bytes wait in the tty).
cat >"$work/payload.sh" <<EOF
# generated by tests/arm64/gdb.sh
sym() { grep " [Tt] \$1\\\$" /proc/kallsyms | cut -d' ' -f1; }
for s in start_kernel primary_entry smp_cpus_done; do echo "NESTED: GDB-SYM \$s \$(sym \$s)"; done
# The guest alone, for a failure's explanation.
out=\$(timeout 20 /payload/bin/minivmm run --debugcon-mmio 0x9000000 /payload/guests/gdbtarget.bin </dev/null 2>&1)
echo "NESTED: GDB-ALONE exit=\$? out=\$(echo "\$out" | tr '\n' '|')"
exec 7<>/dev/hvc0
stty -F /dev/hvc0 raw -echo
echo "NESTED: GDB-READY step"
timeout 200 /payload/bin/minivmm run -S -gdb /dev/hvc0 --timeout 180 --debugcon-mmio 0x9000000 \\
	/payload/guests/gdbtarget.bin </dev/null >/tmp/step.out 2>/tmp/step.err
echo "NESTED: GDB-STEP-EXIT \$? out=\$(tr '\n' '|' </tmp/step.out)"
sed 's/^/NESTED: GDB-STEP-ERR /' /tmp/step.err | head -n 5
echo "NESTED: GDB-READY attach"
timeout 80 /payload/bin/minivmm run -gdb /dev/hvc0 --timeout 60 /payload/guests/runaway.bin \\
	</dev/null >/dev/null 2>/tmp/attach.err
echo "NESTED: GDB-ATTACH-EXIT \$?"
sed 's/^/NESTED: GDB-ATTACH-ERR /' /tmp/attach.err | head -n 5
echo "NESTED: GDB-READY kernel"
timeout 400 /payload/bin/minivmm run -m 256M -smp 2 -S -gdb /dev/hvc0 --timeout 380 \\
	-kernel /l2/Image -initrd /l2/initrd.gz -append "$L2_APPEND" \\
	-serial stdio </dev/null >/tmp/l2.out 2>/tmp/l2.err
echo "NESTED: GDB-KERNEL-EXIT \$?"
grep -q MINIVMM-L2-INIT-REACHED /tmp/l2.out && echo "NESTED: GDB-L2-INIT"
sed 's/^/NESTED: GDB-KERNEL-ERR /' /tmp/l2.err | head -n 5
exit 0
EOF

t0=$(date +%s)
ARM64_L1_APPEND=nokaslr "$ARM64_DIR/run-l1.sh" --serial "$sock" --timeout 900 --stall 420 \
	--log "$log" --exe "$MINIVMM=/payload/bin/minivmm" "$work/payload.sh" \
	"$IMG=/payload/guests/gdbtarget.bin" "$GUESTS/runaway.bin=/payload/guests/runaway.bin" \
	>"$work/l1.out" 2>"$work/l1.err" &
l1pid=$!

# wait_for WHAT: until L1's console has "NESTED: WHAT" (0), or L1 has ended (1).
wait_for() {
	for _ in $(seq 1200); do
		grep -q "^NESTED: $1" "$log" 2>/dev/null && return 0
		kill -0 "$l1pid" 2>/dev/null || break
		sleep 0.5
	done
	grep -q "^NESTED: $1" "$log" 2>/dev/null
}
sym() { sed -n "s/^NESTED: GDB-SYM $1 \\([0-9a-f]*\\).*/\\1/p" "$log" 2>/dev/null | tr -d '\r'; }
l1_tail() { tr -d '\r' <"$log" 2>/dev/null | grep -a -v '^$' | tail -n 3 | tr '\n' '|'; }
gdbout() { tr '\n' '|' <"$1" | tail -c 700; }
# session NAME SECONDS: once L1 says GDB-READY NAME, gdb-multiarch in batch
# mode with $work/NAME.gdb, its output in $work/NAME.out; 1 when L1 never
# got there.
session() {
	: >"$work/$1.out"
	wait_for "GDB-READY $1" || return 1
	sleep 1
	timeout -k 10 "$2" "$GDB" -nx -q -batch -x "$work/$1.gdb" >"$work/$1.out" 2>&1 </dev/null
	return 0
}
common="set pagination off
set confirm off
set remotetimeout 120"

# ---- the sessions -------------------------------------------------------------------
{
	echo "$common"
	echo 'set architecture aarch64'
	echo "target remote $sock"
	echo 'printf "pc=%lx\n", $pc'
	echo 'printf "cpsr=%x\n", $cpsr'
	for _ in $(seq 10); do
		echo 'stepi'
		echo 'printf "pc=%lx\n", $pc'
	done
	echo 'info registers x0'
	echo 'printf "x1=%lx x3=%lx\n", $x1, $x3'
	echo "x/4xw 0x$LOAD"
	echo "printf \"mem=%x\\n\", *(unsigned char *)0x$COUNTER"
	echo "break *0x$PRINT"
	echo 'continue'
	echo 'printf "hit pc=%lx x0=%lx\n", $pc, $x0'
	echo 'set $x0 = 0x5a'
	echo "watch *(char *)0x$COUNTER"
	echo 'continue'
	echo 'printf "watch pc=%lx\n", $pc'
	echo 'continue'
	echo 'printf "hit pc=%lx x0=%lx\n", $pc, $x0'
	echo 'delete'
	# The guest's brk comes while a breakpoint is set: KVM traps it.
	echo "break *0x$DONE"
	echo 'continue'
	echo 'printf "done pc=%lx\n", $pc'
	echo 'delete'
	echo 'continue'
} >"$work/step.gdb"
step_ready=0
session step 240 && step_ready=1

# No "set architecture": gdb must take it from the target description.
# Ctrl-C once gdb has continued the guest (gdb_interrupt: tests/gdblib.sh).
cat >"$work/attach.gdb" <<EOF
$common
target remote $sock
show architecture
printf "attached pc=%lx\\n", \$pc
stepi
printf "stepped pc=%lx\\n", \$pc
continue
printf "stopped pc=%lx\\n", \$pc
kill
EOF
attach_ready=0
: >"$work/attach.out"
if wait_for 'GDB-READY attach'; then
	attach_ready=1
	sleep 1
	"$GDB" -nx -q -batch -x "$work/attach.gdb" >"$work/attach.out" 2>&1 </dev/null &
	gdb_pid=$!
	gdb_wait_for "$gdb_pid" "$work/attach.out" '^stepped pc=' 120
	sleep 2
	gdb_interrupt "$gdb_pid" 120
	gdb_pid=
fi

start=$(sym start_kernel) smpdone=$(sym smp_cpus_done)
kernel_ready=0
if [ -n "$start" ] && [ "$start" != 0000000000000000 ] && [ -n "$smpdone" ]; then
	# smp_cpus_done's third instruction: its first two are ftrace's patch
	# site, which ftrace's start-up checks (a brk there makes it WARN).
	smpbp=$(printf '%x' $((0x$smpdone + 8)))
	cat >"$work/kernel.gdb" <<EOF
$common
set architecture aarch64
target remote $sock
printf "attached pc=%lx\\n", \$pc
hbreak *0x$start
continue
printf "stop1 pc=%lx\\n", \$pc
printf "cpsr=%x sp=%lx\\n", \$cpsr, \$sp
printf "sctlr_el1=%lx\\n", \$sctlr_el1
x/4xw \$pc
info threads
delete
break *0x$smpbp
continue
printf "stop2 pc=%lx\\n", \$pc
thread 2
printf "cpu1 pc=%lx\\n", \$pc
thread 1
delete
continue
EOF
	session kernel 420 && kernel_ready=1
fi
wait "$l1pid"
l1rc=$?
l1pid=
t1=$(date +%s)
sed -i 's/\r$//' "$log"
l1_why="L1 exit $l1rc after $((t1 - t0)) s: $(tail -n 2 "$work/l1.err" | tr '\n' ' ')"

# ---- verdicts ----------------------------------------------------------------------
o=$work/step.out
# want TEXT: gdb's output has TEXT (a fixed string); else `why` says so.
want() { grep -qF -- "$1" "$o" || { why="gdb did not print '$1'"; return 1; }; }
alone=$(sed -n 's/^NESTED: GDB-ALONE //p' "$log")
step_exit=$(sed -n 's/^NESTED: GDB-STEP-EXIT //p' "$log")
# The pcs: the entry, then nine instructions in order, then the loop's
# branch back to the counter's load.
seq_want=
for i in 0 1 2 3 4 5 6 7 8 9; do seq_want+="pc=${INSN[$i]} "; done
seq_want+="pc=$AGAIN"
got=$(grep '^pc=' "$o" | tr '\n' ' ')
why=
if [ "$step_ready" != 1 ]; then
	why="L1 never got ready ($l1_why; console: $(l1_tail))"
elif [ "${got% }" != "$seq_want" ]; then
	why="pcs '${got% }', want '$seq_want'"
elif grep -q SIGTRAP "$o"; then
	why="gdb was told of the guest's own brk at 0x$TRAP"
elif want 'The target architecture is set to "aarch64"' && want "cpsr=3c5" &&
	{ grep -qE '^x0 +0x31 +49$' "$o" || { why="info registers x0 did not show 0x31 (49)"; false; }; } &&
	want "x1=$COUNTER x3=2" && want "0x$LOAD:$WORDS" && want "mem=1" &&
	want "hit pc=$PRINT x0=32" && want "Hardware watchpoint 2: *(char *)0x$COUNTER" &&
	want "Old value = 2 '\\002'" && want "New value = 3 '\\003'" &&
	want "watch pc=$AFTER_COUNT" && want "hit pc=$PRINT x0=33" &&
	want "done pc=$DONE" && want "exited normally" && [ "$step_exit" != '0 out=1Z3!|' ]; then
	why="minivmm in L1: exit and output '$step_exit', want '0 out=1Z3!|' (alone: $alone)"
fi
if [ -n "$why" ]; then
	fail arm64-gdb-step "$why; gdb: $(gdbout "$o")"
	grep -a '^NESTED: GDB-STEP-ERR' "$log" | sed 's/^NESTED: GDB-STEP-ERR /    ! /'
else
	pass arm64-gdb-step "11 pcs from the entry, one after an MMIO store; x0, memory; a breakpoint hit twice, \$x0 written (prints 1Z3); watchpoint 2 -> 3; the guest's brk went to the guest ('!'); continued to SYSTEM_OFF"
fi

o=$work/attach.out
why=
attach_exit=$(sed -n 's/^NESTED: GDB-ATTACH-EXIT //p' "$log")
if [ "$attach_ready" != 1 ]; then
	why="L1 never got to the attach session ($l1_why; console: $(l1_tail))"
elif want '(currently "aarch64")' && want "attached pc=$LOAD" && want "stepped pc=$LOAD" &&
	want 'received signal SIGINT' && want "stopped pc=$LOAD" && want 'killed'; then
	if [ "$attach_exit" != 3 ] || ! grep -q '^NESTED: GDB-ATTACH-ERR.*gdb asked to end the run' "$log"; then
		why="minivmm in L1 exited '$attach_exit' ($(grep -a 'GDB-ATTACH-ERR' "$log" | head -n 2 | tr '\n' ' ')), want 3 for gdb's kill"
	fi
fi
if [ -n "$why" ]; then
	fail arm64-gdb-attach "$why; gdb: $(gdbout "$o")"
else
	pass arm64-gdb-attach "the running guest stopped at gdb's first packet; aarch64 from target.xml; a step on its b .; continued, Ctrl-C stopped it; kill: exit 3"
fi

o=$work/kernel.out
# start_kernel's first four instructions, from the Image: gdb reads them
# through the kernel's page tables (TTBR1).  kallsyms has no _text; the
# Image's header branches to primary_entry (its first word, or the second
# after the EFI "MZ" one), which gives the Image's link address.
entry=$(sym primary_entry)
text='' kwords=''
for i in 0 1; do
	w=$((0x$(od -An -tx4 -j $((4 * i)) -N4 "$A64_KERNEL" | tr -d ' ')))
	if [ -n "$entry" ] && [ $((w >> 26)) = 5 ]; then # B imm26, forwards
		text=$(printf '%x' $((0x$entry - 4 * i - 4 * (w & 0x3ffffff))))
		break
	fi
done
[ -n "$start" ] && [ -n "$text" ] &&
	kwords=$(od -An -tx4 -j $((0x$start - 0x$text)) -N16 "$A64_KERNEL" | sed 's/ \([0-9a-f]\{8\}\)/\t0x\1/g')
kcpsr=$(sed -n 's/^cpsr=\([0-9a-f]*\) sp=.*/\1/p' "$o")
ksp=$(sed -n 's/^cpsr=[0-9a-f]* sp=\([0-9a-f]*\)$/\1/p' "$o")
ksctlr=$(sed -n 's/^sctlr_el1=\([0-9a-f]*\)$/\1/p' "$o")
kernel_log=$(grep -a 'GDB-KERNEL' "$log" | tr '\n' ' ')
why=
if [ -z "$start" ] || [ "$start" = 0000000000000000 ] || [ -z "$smpdone" ]; then
	why="no start_kernel or smp_cpus_done in L1's /proc/kallsyms ('$start' '$smpdone'; $l1_why; console: $(l1_tail))"
elif [ "$kernel_ready" != 1 ]; then
	why="L1 never got to the kernel session ($l1_why; console: $(l1_tail))"
elif ! grep -q "^stop1 pc=$start\$" "$o"; then
	why="gdb did not stop at start_kernel 0x$start"
elif [ -z "$kcpsr" ] || [ $((0x$kcpsr & 0xf)) != 5 ] || [[ $ksp != ffff* ]]; then
	why="at start_kernel cpsr '$kcpsr' sp '$ksp', want EL1h (M = 5) and a kernel stack"
elif [ -z "$ksctlr" ] || [ $((0x$ksctlr & 1)) != 1 ]; then
	why="at start_kernel sctlr_el1 '$ksctlr', want the MMU on (bit 0)"
elif [ -z "$kwords" ] || ! grep -qF -- "0x$start:$kwords" "$o"; then
	why="x/4xw at start_kernel did not show the Image's words '$kwords' (link address 0x$text)"
elif ! grep -q 'Thread 1 (vCPU 0)' "$o" || ! grep -q 'Thread 2 (vCPU 1)' "$o"; then
	why="info threads does not list threads 1 and 2 (vCPU 0, vCPU 1)"
fi
if [ -n "$why" ]; then
	fail arm64-gdb-kernel "$why; gdb: $(gdbout "$o")"
else
	pass arm64-gdb-kernel "hbreak at start_kernel 0x$start hit: cpsr 0x$kcpsr, MMU on, its code read through TTBR1; threads 1 and 2"
fi

cpu1=$(sed -n 's/^cpu1 pc=//p' "$o")
smp_why=
if [ -n "$why" ]; then
	smp_why="the kernel did not stop at start_kernel ($why)"
elif ! grep -q "^stop2 pc=$smpbp\$" "$o"; then
	smp_why="no stop at the breakpoint in smp_cpus_done 0x$smpbp"
elif [[ $cpu1 != ffff* ]]; then
	smp_why="vCPU 1's pc '$cpu1' is not in the kernel"
elif ! grep -q '^NESTED: GDB-L2-INIT' "$log"; then
	smp_why="continued, the kernel did not reach the L2 init ($kernel_log)"
elif ! grep -q '^NESTED: GDB-KERNEL-EXIT 0' "$log" || ! grep -q 'exited normally' "$o"; then
	smp_why="the guest's poweroff did not end the run and gdb's session ($kernel_log)"
fi
if [ -n "$smp_why" ]; then
	fail arm64-gdb-kernel-smp "$smp_why; gdb: $(gdbout "$o")"
else
	pass arm64-gdb-kernel-smp "break in smp_cpus_done hit, vCPU 1 at 0x$cpu1; continued to the L2 init; exit 0 ($((t1 - t0)) s for L1)"
fi
closing
