/*
 * count: a counting guest for the pause/resume tests (tests/guest/lifecycle.c).
 *
 * 16-bit real mode at 0.  Writes 0, 1, 2, ... CX-1 to port 0x10 with a
 * 16-bit OUT (each one an exit to the monitor), and after each of them a
 * byte to port 0x20 (which the test turns into an ioeventfd: no exit to
 * user space), then halts.  CX comes from --reg rcx=N (0 counts 65536).
 */
	.code16
	.text
	.globl _start
_start:
	xor	%ax, %ax
1:	out	%ax, $0x10
	out	%al, $0x20
	inc	%ax
	loop	1b
	hlt
