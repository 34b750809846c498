/*
 * regs: --reg on arm64.
 *
 * Run with
 *   --reg x0=0x0123456789abcdef --reg x1=0xfedcba9876543210
 *   --reg x2=0x1122334455667788 --reg x3=0x99aabbccddeeff00
 *   --reg sp=0x40080000
 * (and --debugcon-mmio 0x9000000).  The guest saves x0-x3 and sp before
 * touching them, prints each as "NAME=0x<16 hex digits>" on its own line,
 * compares them with the table `expected` and ends with "PASS regs" or
 * one "FAIL regs: NAME" line per mismatch, then PSCI SYSTEM_OFF (exit 0).
 */
#include "guest.h"

	.text
	.globl _start
_start:
	adr	x9, got			/* 16-byte aligned: see guest.h */
	stp	x0, x1, [x9]
	stp	x2, x3, [x9, #16]
	mov	x10, sp
	str	x10, [x9, #32]

	adr	x19, table		/* row: name (8 bytes), expected value */
	adr	x20, got
	mov	x21, #0			/* mismatches */
1:	ldr	x22, [x19]		/* -> name, 0 at the end */
	cbz	x22, 3f
	mov	x9, x22
	bl	puts
	PUTS	equals
	ldr	x0, [x20]
	bl	puthex64
	PUTS	newline
	ldr	x0, [x20]
	ldr	x1, [x19, #8]
	cmp	x0, x1
	b.eq	2f
	add	x21, x21, #1
	PUTS	fail_head
	mov	x9, x22
	bl	puts
	PUTS	newline
2:	add	x19, x19, #16
	add	x20, x20, #8
	b	1b
3:	cbnz	x21, 4f
	PUTS	pass
4:	PSCI	PSCI_SYSTEM_OFF

/* puts: print the NUL-terminated string at x9.  Clobbers x9-x11. */
puts:
	ldr	x10, =DEBUGCON_MMIO
1:	ldrb	w11, [x9], #1
	cbz	w11, 2f
	strb	w11, [x10]
	b	1b
2:	ret

/* puthex64: print x0 as "0x" and 16 hex digits.  Clobbers x0-x3, x10. */
puthex64:
	ldr	x10, =DEBUGCON_MMIO
	mov	w1, #'0'
	strb	w1, [x10]
	mov	w1, #'x'
	strb	w1, [x10]
	mov	x2, #16
1:	ror	x0, x0, #60		/* next nibble to the bottom */
	and	x1, x0, #0xf
	add	x1, x1, #'0'
	cmp	x1, #'9'
	b.ls	2f
	add	x1, x1, #('a' - '9' - 1)
2:	strb	w1, [x10]
	subs	x2, x2, #1
	b.ne	1b
	ret

	.section .rodata
	.balign	8
table:
	.quad	name_x0, 0x0123456789abcdef
	.quad	name_x1, 0xfedcba9876543210
	.quad	name_x2, 0x1122334455667788
	.quad	name_x3, 0x99aabbccddeeff00
	.quad	name_sp, 0x0000000040080000
	.quad	0, 0
name_x0:	.asciz	"x0"
name_x1:	.asciz	"x1"
name_x2:	.asciz	"x2"
name_x3:	.asciz	"x3"
name_sp:	.asciz	"sp"
equals:		.asciz	"="
newline:	.asciz	"\n"
fail_head:	.asciz	"FAIL regs: "
pass:		.asciz	"PASS regs\n"

	.data
	.balign	16
got:	.quad	0, 0, 0, 0, 0
