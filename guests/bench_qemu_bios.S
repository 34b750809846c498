/*
 * Benchmark "firmware" for the QEMU column of `make bench`.
 *
 * QEMU cannot load a flat image at guest-physical 0, so this is a 64 KiB
 * BIOS image: QEMU maps it just below 4 GiB and aliases it at 0xf0000, and
 * the CPU starts at F000:FFF0 (the reset vector, image offset 0xfff0).
 * There we do the same work as bench_hlt: one OUT to port 0x80, then leave
 * through QEMU's isa-debug-exit device at port 0xf4 (QEMU exits with
 * status (value << 1) | 1 = 3 for value 1).  `cli; hlt` backs it up.
 *
 * With BENCH_OUTS defined (guests/bench_qemu_out.S includes this file) it
 * does the 200 000 OUTs of bench_out instead of the single one.
 *
 * Offset 0 is a HLT too, so that the image, run as a flat guest under
 * minivmm by mistake (the guest test runner), just halts cleanly.
 */
	.code16
	.text
	.globl _start
_start:
	hlt
	jmp	_start

	/* Entered with CS = 0xf000 (base 0xf0000): offsets are image offsets. */
main:
	xor	%al, %al
#ifndef BENCH_OUTS
	outb	%al, $0x80
#else
	mov	$4, %bx
outer:
	mov	$50000, %cx
inner:
	outb	%al, $0x80
	dec	%cx
	jnz	inner
	dec	%bx
	jnz	outer
#endif
	mov	$1, %al
	outb	%al, $0xf4
	cli
1:	hlt
	jmp	1b

	.org	0xfff0
reset_vector:
	ljmp	$0xf000, $main
	.org	0x10000
