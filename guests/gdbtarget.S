/*
 * gdbtarget: the guest the gdb stub is tested on (tests/guest/gdb.sh).
 *
 * 16-bit real mode at guest-physical 0, CS base 0, IP 0, like hello.
 * Three times: add one to the byte `counter` (a write for a watchpoint),
 * load it, make it a digit and print it with `out %al, $0xf1` (a step
 * right after an OUT); then a newline and HLT.  Alone it prints "123\n":
 *   minivmm run --debugcon 0xf1 build/guests/gdbtarget.bin
 * The labels are there for the test, which reads their addresses from the
 * ELF (nm) and the instruction boundaries from its disassembly.
 */
	.code16
	.text
	.globl _start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	$3, %cx
	.globl again
again:
	incb	counter
	mov	counter, %al
	add	$'0', %al
	.globl print
print:
	out	%al, $0xf1
	loop	again
	mov	$'\n', %al
	out	%al, $0xf1
	.globl done
done:
	hlt
	jmp	done

	.globl counter
counter:
	.byte	0
