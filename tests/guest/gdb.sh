#!/usr/bin/env bash
# The gdb stub on host KVM, driven by the stock gdb in batch mode with
# command files (README, "Debugging with gdb").  Guests: gdbtarget (16-bit
# real mode, from its first instruction), runaway (never stops on its own)
# and tinykernel on -M pc -smp 2 (two vCPUs: two threads).
#
# The addresses the cases expect come from the guest image itself: its
# instruction boundaries from objdump's 16-bit disassembly, the byte it
# counts in from its incb operand.
#
#   make && tests/guest/gdb.sh
#
# Prints PASS/FAIL/SKIP lines, then "gdb: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 2
MINIVMM=${MINIVMM:-./minivmm}
G=${GUESTS:-build/guests}
CASE_TIMEOUT=${CASE_TIMEOUT:-60}
TIER_NAME=gdb
. tests/verdict.sh
. tests/gdblib.sh

WORK=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-gdb.XXXXXX") || exit 2
VMM_PID=
cleanup() {
	[ -n "$VMM_PID" ] && kill -9 "$VMM_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
OUT=$WORK/stdout ERR=$WORK/stderr GDB_OUT=$WORK/gdb.out SOCK=$WORK/gdb.sock
FAIL_STDERR=$ERR
IMG=$G/gdbtarget.bin

if [ -n "$kvm_missing" ]; then
	skip gdb "$kvm_missing"
	closing
fi
if ! command -v gdb >/dev/null; then
	skip gdb "gdb is not installed (Debian package gdb)"
	closing
fi
for f in "$MINIVMM" "$IMG" "$G/runaway.bin" "$G/tinykernel.bin"; do
	if [ ! -e "$f" ]; then
		fail gdb "$f is missing (run make first)"
		closing
	fi
done

# Instruction addresses of gdbtarget in order (hex, no 0x), and its counter.
mapfile -t INSN < <(objdump -D -b binary -mi8086 "$IMG" |
	sed -n 's/^ *\([0-9a-f]*\):\t[0-9a-f].*/\1/p')
DISASM=$(objdump -D -b binary -mi8086 "$IMG")
COUNTER=$(sed -n 's/.*incb *0x\([0-9a-f]*\).*/\1/p' <<<"$DISASM" | head -n1)
PRINT=$(sed -n 's/^ *\([0-9a-f]*\):.*out .*/\1/p' <<<"$DISASM" | head -n1)
AGAIN=$(sed -n 's/^ *\([0-9a-f]*\):.*incb.*/\1/p' <<<"$DISASM" | head -n1)
DONE=$(sed -n 's/^ *\([0-9a-f]*\):.*hlt.*/\1/p' <<<"$DISASM" | head -n1)
if [ ${#INSN[@]} -lt 10 ] || [ -z "$COUNTER" ] || [ -z "$PRINT" ] || [ -z "$DONE" ]; then
	fail gdb "cannot read gdbtarget's layout with objdump"
	closing
fi

# start ARGS...: minivmm in the background with -gdb unix:$SOCK; waits
# until the socket is there.
start() {
	rm -f "$SOCK"
	timeout -k 5 "$CASE_TIMEOUT" "$MINIVMM" run -gdb "unix:$SOCK" "$@" \
		>"$OUT" 2>"$ERR" </dev/null &
	VMM_PID=$!
	for _ in $(seq 100); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$VMM_PID" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}

# finish: wait for minivmm; sets rc.
finish() {
	wait "$VMM_PID"
	rc=$?
	VMM_PID=
}

# debug FILE: gdb in batch mode with the commands of FILE (TARGET there
# stands for the socket); its output in $GDB_OUT.
debug() {
	sed "s|TARGET|$SOCK|" "$1" >"$WORK/cmds"
	timeout -k 5 "$CASE_TIMEOUT" gdb -nx -q -batch -x "$WORK/cmds" \
		>"$GDB_OUT" 2>&1 </dev/null
}

# session NAME FILE ARGS...: minivmm ARGS (start), gdb with FILE's commands
# (debug), then minivmm's end (finish: rc); 1, with NAME a FAIL, when
# minivmm did not open the socket.
session() {
	local name=$1 file=$2
	shift 2
	if ! start "$@"; then
		fail "$name" "minivmm did not open $SOCK"
		return 1
	fi
	debug "$file"
	finish
}

# want NAME TEXT: gdb's output must contain TEXT (a fixed string).
want() {
	if ! grep -qF -- "$2" "$GDB_OUT"; then
		fail "$1" "gdb did not print '$2'; it printed: $(tr '\n' '|' <"$GDB_OUT" | head -c 600)"
		return 1
	fi
}

ended() { # NAME CODE STDOUT
	if [ "$rc" != "$2" ]; then
		fail "$1" "minivmm exited $rc, want $2"
		return 1
	fi
	if [ "$(cat "$OUT")" != "$3" ]; then
		fail "$1" "the guest printed '$(tr '\n' '|' <"$OUT")', want '$3'"
		return 1
	fi
}

# ---- stepi from the first instruction: IPs, registers, memory, to HLT ----
{
	echo 'set pagination off'
	echo 'target remote TARGET'
	echo 'show architecture'
	echo 'x/2i $pc'
	echo 'printf "pc=%x\n", $pc'
	for _ in $(seq 9); do
		echo 'stepi'
		echo 'printf "pc=%x\n", $pc'
	done
	echo 'printf "al=%x cx=%x cs=%x ds=%x\n", $eax & 0xff, $ecx, $cs, $ds'
	echo "printf \"mem=%x\\n\", *(unsigned char *)0x$COUNTER"
	echo 'info registers cr0'
	echo 'continue'
} >"$WORK/step.gdb"
if session stepi "$WORK/step.gdb" -S --debugcon 0xf1 "$IMG"; then
	# After the 9th step (the OUT): the LOOP, then back to incb.
	seq_want="pc=${INSN[0]}"
	for i in 1 2 3 4 5 6 7 8; do seq_want="$seq_want pc=${INSN[$i]}"; done
	seq_want="$seq_want pc=$AGAIN"
	got=$(grep '^pc=' "$GDB_OUT" | tr '\n' ' ')
	if [ "${got% }" != "$seq_want" ]; then
		fail stepi "IPs '${got% }', want '$seq_want'"
	elif want stepi "(currently \"i8086\")" && want stepi "cli" &&
		want stepi "xor    %ax,%ax" &&
		want stepi "al=31 cx=2 cs=0 ds=0" && want stepi "mem=1" &&
		want stepi "cr0            0x" &&
		want stepi "exited normally" && ended stepi 0 "123"; then
		pass stepi "10 IPs from 0 through an OUT; registers, memory; continue to HLT"
	fi
fi

# ---- a software breakpoint, and a register written from gdb ----
cat >"$WORK/break.gdb" <<EOF
set pagination off
target remote TARGET
break *0x$PRINT
continue
printf "hit pc=%x al=%x\n", \$pc, \$eax & 0xff
x/1xb 0x$PRINT
set \$al = 0x5a
continue
printf "hit pc=%x al=%x\n", \$pc, \$eax & 0xff
delete
continue
EOF
if session breakpoint "$WORK/break.gdb" -S --debugcon 0xf1 "$IMG"; then
	# 0xe6 is the guest's OUT: gdb never sees the breakpoint byte.
	if want breakpoint "hit pc=$PRINT al=31" && want breakpoint "hit pc=$PRINT al=32" &&
		want breakpoint "0x$PRINT:	0xe6" && want breakpoint "exited normally" &&
		ended breakpoint 0 "Z23"; then
		pass breakpoint "hit twice at the OUT; memory shows the guest's byte; \$al=Z is printed"
	fi
fi

# ---- a write watchpoint on the counter, a hardware breakpoint ----
cat >"$WORK/watch.gdb" <<EOF
set pagination off
target remote TARGET
watch *(unsigned char *)0x$COUNTER
continue
printf "watch pc=%x\n", \$pc
continue
printf "watch pc=%x\n", \$pc
delete
hbreak *0x$DONE
continue
printf "hbreak pc=%x\n", \$pc
delete
continue
EOF
if session watchpoint "$WORK/watch.gdb" -S --debugcon 0xf1 "$IMG"; then
	# The watchpoint stops right after the incb: at the next instruction.
	if want watchpoint "Old value = 0 '\\000'" && want watchpoint "New value = 1 '\\001'" &&
		want watchpoint "New value = 2 '\\002'" && want watchpoint "watch pc=${INSN[5]}" &&
		want watchpoint "hbreak pc=$DONE" && want watchpoint "exited normally" &&
		ended watchpoint 0 "123"; then
		pass watchpoint "two writes of the counter seen; hbreak at the HLT"
	fi
fi

# ---- the target description follows the CPU mode ----
# (32-bit protected and 64-bit long mode flat guests; real mode is above.)
cat >"$WORK/mode.gdb" <<'EOF'
set pagination off
target remote TARGET
show architecture
x/1i $pc
stepi
printf "pc=%lx cs=%x cr0=%lx efer=%lx\n", $pc, $cs, $cr0, $efer
kill
EOF
if session mode-protected "$WORK/mode.gdb" -S --mode protected "$G/pmode.bin"; then
	if want mode-protected '(currently "i386")' && want mode-protected "cr0=11 efer=0" &&
		[ "$rc" = 3 ]; then
		pass mode-protected "i386 registers, a step, cr0 and efer in 32-bit protected mode"
	elif [ "$rc" != 3 ]; then
		fail mode-protected "minivmm exited $rc after kill, want 3"
	fi
fi
if session mode-long "$WORK/mode.gdb" -S --mode long -m 8M --load 0x100000 --entry 0x100000 "$G/longmode.bin"; then
	if want mode-long '(currently "i386:x86-64")' && want mode-long "efer=500" &&
		want mode-long "=> 0x100000:" && [ "$rc" = 3 ]; then
		pass mode-long "x86-64 registers, disassembly at 0x100000 through the page tables, a step"
	elif [ "$rc" != 3 ]; then
		fail mode-long "minivmm exited $rc after kill, want 3"
	fi
fi

# ---- two vCPUs, two threads ----
cat >"$WORK/smp.gdb" <<'EOF'
set pagination off
target remote TARGET
info threads
thread 2
printf "rip2=%x\n", $rip
continue
EOF
if session threads "$WORK/smp.gdb" -S -M pc -smp 2 -m 256M -kernel "$G/tinykernel.bin"; then
	# The AP waits for its INIT/SIPI at the reset vector's IP.
	if want threads "Thread 1 (vCPU 0)" && want threads "Thread 2 (vCPU 1)" &&
		want threads "rip2=fff0" && want threads "exited with code 04" &&
		[ "$rc" = 4 ]; then
		pass threads "-smp 2: threads 1 and 2; the AP's registers; the guest's reset ends gdb's session"
	elif [ "$rc" != 4 ]; then
		fail threads "minivmm exited $rc, want 4 (the test kernel resets)"
	fi
fi

# ---- detach: the guest runs on ----
printf 'set pagination off\ntarget remote TARGET\nstepi\ndetach\n' >"$WORK/detach.gdb"
if session detach "$WORK/detach.gdb" -S --debugcon 0xf1 "$IMG"; then
	if want detach "detached" && ended detach 0 "123"; then
		pass detach "after a step and D the guest ran to its HLT"
	fi
fi

# ---- kill: the run ends, exit code 3 ----
printf 'set pagination off\ntarget remote TARGET\nkill\n' >"$WORK/kill.gdb"
if session kill "$WORK/kill.gdb" -S --debugcon 0xf1 "$IMG"; then
	if [ "$rc" = 3 ] && grep -q "gdb asked to end the run" "$ERR" && [ ! -s "$OUT" ]; then
		pass kill "k: exit code 3, nothing ran"
	else
		fail kill "minivmm exited $rc with '$(tr '\n' '|' <"$ERR")', want 3"
	fi
fi

# ---- Ctrl-C stops a guest that never stops on its own ----
# (gdb gets the SIGINT a terminal's Ctrl-C would send it, mid-continue.)
cat >"$WORK/intr.gdb" <<'EOF'
set pagination off
target remote TARGET
continue
printf "stopped pc=%x\n", $pc
kill
EOF
if start -S "$G/runaway.bin"; then
	sed "s|TARGET|$SOCK|" "$WORK/intr.gdb" >"$WORK/cmds"
	gdb -nx -q -batch -x "$WORK/cmds" >"$GDB_OUT" 2>&1 </dev/null &
	gdb_pid=$!
	sleep 2
	gdb_interrupt "$gdb_pid" 20
	finish
	if want interrupt "received signal SIGINT" && want interrupt "stopped pc=0" &&
		[ "$rc" = 3 ]; then
		pass interrupt "the spinning guest stopped at its jmp; then killed"
	elif [ "$rc" != 3 ]; then
		fail interrupt "minivmm exited $rc, want 3"
	fi
else
	fail interrupt "minivmm did not open $SOCK"
fi

# ---- garbage from a client, a second client refused; then gdb works ----
# pkt DATA: DATA framed with its checksum.
pkt() {
	local d=$1 s=0 i c
	for ((i = 0; i < ${#d}; i++)); do
		printf -v c '%d' "'${d:i:1}"
		s=$(((s + c) & 255))
	done
	printf '$%s#%02x' "$d" "$s"
}
PORT=$((20000 + RANDOM % 20000))
rm -f "$SOCK"
# runaway: the guest runs on once the garbage client is gone.
timeout -k 5 "$CASE_TIMEOUT" "$MINIVMM" run -gdb "tcp:127.0.0.1:$PORT" -S \
	"$G/runaway.bin" >"$OUT" 2>"$ERR" </dev/null &
VMM_PID=$!
connected=
for _ in $(seq 100); do
	if exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then connected=1; break; fi 2>/dev/null
	sleep 0.05
done
if [ -n "$connected" ]; then
	{
		head -c 20000 /dev/urandom
		printf '$qSupported#00'                       # bad checksum
		printf '$'; head -c 40000 /dev/zero | tr '\0' 'a'; printf '#00' # too long
		for p in m mzz,1 m0,ffffffffffffffffffff M0,2:zz X0,5:ab 'Z0,zz' Z9,0,1 \
			Z2,1,3 Z0,fffffffffff000,1 p99999 P0=zz P0=1122 'vCont;q' 'vCont;s:99' \
			Hg99 'qXfer:features:read:nosuch.xml:0,10' 'qXfer:features:read:target.xml:ffffff,10' \
			gx G00 T99 c1234 '}' '*' 'qThreadExtraInfo,zz'; do
			pkt "$p"
		done
		printf '\003'
	} >&3 2>/dev/null
	# A second debugger while this one is attached is turned away.
	second=
	if exec 4<>"/dev/tcp/127.0.0.1/$PORT"; then
		second=$(timeout 2 cat <&4 | head -c 16)
		exec 4>&-
	fi 2>/dev/null
	exec 3>&-
	sleep 0.3
	if ! kill -0 "$VMM_PID" 2>/dev/null; then
		finish
		fail garbage "minivmm ended ($rc) on a garbage packet stream"
	else
		printf 'set pagination off\ntarget remote 127.0.0.1:%s\nprintf "pc=%%x\\n", $pc\nkill\n' "$PORT" >"$WORK/garbage.gdb"
		timeout -k 5 "$CASE_TIMEOUT" gdb -nx -q -batch -x "$WORK/garbage.gdb" \
			>"$GDB_OUT" 2>&1 </dev/null
		finish
		if [ "$second" != '$E01#a6' ]; then
			fail garbage "a second connection got '$second', want \$E01#a6"
		elif [ "$rc" != 3 ]; then
			fail garbage "minivmm exited $rc after gdb's kill, want 3"
		elif want garbage "pc=0"; then
			pass garbage "random bytes, bad checksums, a 40 KB packet and 24 malformed packets; a second client refused; the guest ran on; then gdb attached and killed it"
		fi
	fi
else
	fail garbage "cannot connect to 127.0.0.1:$PORT"
	kill "$VMM_PID" 2>/dev/null
	finish
fi

# ---- -s: tcp::1234, as QEMU ----
if (exec 5<>/dev/tcp/127.0.0.1/1234) 2>/dev/null; then
	skip dash-s "port 1234 is in use on this host"
else
	timeout -k 5 "$CASE_TIMEOUT" "$MINIVMM" run -s -S --debugcon 0xf1 "$IMG" \
		>"$OUT" 2>"$ERR" </dev/null &
	VMM_PID=$!
	sleep 0.5
	printf 'set pagination off\ntarget remote :1234\ncontinue\n' >"$WORK/s.gdb"
	timeout -k 5 "$CASE_TIMEOUT" gdb -nx -q -batch -x "$WORK/s.gdb" >"$GDB_OUT" 2>&1 </dev/null
	finish
	if want dash-s "exited normally" && ended dash-s 0 "123"; then
		pass dash-s "-s -S: gdb on :1234 started the guest"
	fi
fi

closing
