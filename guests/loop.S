/*
 * loop: the endless guest (README, "Flat images on the bare machine").
 *
 * Linked for 0x10000 (guests.mk) but uses no absolute address, so it runs
 * wherever it is loaded.  16-bit real mode; writes 0, 1, 2, ... to port
 * 0x10 with a 16-bit OUT forever and never halts.  The monitor must stop
 * it: with `--trace io --max-exits 20` stderr carries the 20 lines
 * "io out port=0x10 size=2 data=0x0000" ... "data=0x0013" and the exit
 * code is 3.
 */
	.code16
	.text
	.globl _start
_start:
	xor	%ax, %ax
1:	out	%ax, $0x10
	inc	%ax
	jmp	1b
