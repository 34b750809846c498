/* SPDX-License-Identifier: MIT */
/*
 * The built-in arm64 demo guest (`minivmm run` with no image): prints one
 * line by storing each byte to 0x9000000 (the bare machine's MMIO debug
 * console, the PL011 data register on virt), then asks PSCI for
 * SYSTEM_OFF.  Position-independent: it runs wherever it is loaded.
 */
	.text
	.globl _start
_start:
	adr	x1, msg
	mov	x2, #0x09000000
1:	ldrb	w3, [x1], #1
	cbz	w3, 2f
	strb	w3, [x2]
	b	1b
2:	mov	w0, #0x0008		/* PSCI 0.2 SYSTEM_OFF: 0x84000008 */
	movk	w0, #0x8400, lsl #16
	hvc	#0
3:	wfi				/* not reached */
	b	3b

msg:
	.asciz "Hello from the minivmm demo guest: AArch64 EL1h, one store to 0x9000000 per byte, then PSCI SYSTEM_OFF.\n"
