/*
 * hello: the smallest guest (README, "Flat images on the bare machine").
 *
 * 16-bit real mode at guest-physical 0, CS base 0, IP 0.  Writes
 * "Hello, world\n" one byte at a time with `out %al, $0xf1` and halts.
 *   minivmm run --debugcon 0xf1 build/guests/hello.bin
 * must print exactly that line on stdout and exit 0.
 */
	.code16
	.text
	.globl _start
_start:
	cli
	cld
	xor	%ax, %ax
	mov	%ax, %ds
	mov	$greeting, %si
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, $0xf1
	jmp	1b
2:	hlt
	jmp	2b

greeting:
	.asciz	"Hello, world\n"
