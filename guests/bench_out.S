/*
 * Benchmark guest for `make bench` row (b): PIO exit throughput.
 *
 * 16-bit real mode at guest-physical 0.  Performs exactly 200 000 byte
 * writes to port 0x80, which the bare machine leaves unclaimed (writes are
 * dropped, logged once), so the run prints nothing and every OUT is one
 * exit to user space.  The count is split into 4 x 50 000 because a 16-bit
 * register holds at most 65 535.  Then HLT.
 */
	.code16
	.text
	.globl _start
_start:
	xor	%al, %al
	mov	$4, %bx
outer:
	mov	$50000, %cx
inner:
	outb	%al, $0x80
	dec	%cx
	jnz	inner
	dec	%bx
	jnz	outer
1:	hlt
	jmp	1b
