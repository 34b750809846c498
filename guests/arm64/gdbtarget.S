/*
 * gdbtarget: the arm64 guest the gdb stub is tested on (tests/arm64/gdb.sh),
 * the twin of guests/gdbtarget.S.
 *
 * Flat image at 0x40000000, entered in EL1h with the MMU off, like hello.
 * Three times: add one to the byte `counter` in RAM (a store for a
 * watchpoint), make it a digit in w0 and store that to the MMIO debug
 * console (a step right after an MMIO exit).  Then its own `brk #0x123`,
 * which its exception vector takes: it prints '!' when ESR_EL1 says brk
 * #0x123 (EC 0x3c), 'X' when not, and returns past the brk (a debugger must
 * hand the guest its own brk).  Then a newline and PSCI SYSTEM_OFF.  Alone
 * it prints "123!\n" and exits 0:
 *   minivmm run --debugcon-mmio 0x9000000 build-arm64/guests/gdbtarget.bin
 * The test reads the instruction addresses, the counter's address (the adr
 * of x1), the stores, the brk and the PSCI call from the image's
 * disassembly, so the code may change as long as it keeps that shape: the
 * first instructions straight-line from the entry into the loop, x1 =
 * &counter, x2 = the console, x3 = the loop count, the digit in w0 at the
 * console store.
 */
#include "guest.h"

	.text
	.globl _start
_start:
	adr	x1, counter
	ldr	x2, =DEBUGCON_MMIO
	mov	x3, #3
	.globl again
again:
	ldrb	w0, [x1]
	add	w0, w0, #1
	strb	w0, [x1]		/* the counter: RAM */
	add	w0, w0, #'0'
	.globl print
print:
	strb	w0, [x2]		/* the digit: MMIO, plain address */
	subs	x3, x3, #1
	b.ne	again
	adr	x9, vectors
	msr	vbar_el1, x9
	isb
	.globl trap
trap:
	brk	#0x123			/* the guest's own */
	mov	w0, #'\n'
	strb	w0, [x2]
	.globl done
done:
	PSCI	PSCI_SYSTEM_OFF

/* VBAR_EL1: only the current-EL-with-SP_ELx synchronous entry is used. */
	.balign	2048
vectors:
	.skip	0x200
	mrs	x9, esr_el1
	mov	w11, #'X'
	lsr	x10, x9, #26		/* EC */
	cmp	x10, #0x3c		/* brk (AArch64) */
	b.ne	1f
	and	x10, x9, #0xffff	/* the brk's immediate */
	cmp	x10, #0x123
	b.ne	1f
	mov	w11, #'!'
1:	strb	w11, [x2]
	mrs	x9, elr_el1		/* the brk itself: return past it */
	add	x9, x9, #4
	msr	elr_el1, x9
	eret

	.data
	.globl counter
counter:
	.byte	0
