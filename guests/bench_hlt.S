/*
 * Benchmark guest for `make bench` row (a): the smallest possible run.
 *
 * 16-bit real mode at guest-physical 0, all segment bases 0.  One OUT to
 * port 0x80 (unclaimed on the bare machine: the write is dropped) proves
 * the PIO exit path is live, then HLT ends the run.  Everything the
 * benchmark times is therefore process start, VM setup, one exit and
 * teardown.
 */
	.code16
	.text
	.globl _start
_start:
	xor	%al, %al
	outb	%al, $0x80
1:	hlt
	jmp	1b
