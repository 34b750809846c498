/*
 * The built-in demo guest: what `minivmm run` boots with no image.
 *
 * 16-bit real mode, loaded and entered at guest-physical 0 with all segment
 * bases 0 (README, "Flat images on the bare machine").  It writes a greeting to the debug
 * console at port 0xe9 one byte at a time, then halts; on the bare machine
 * HLT returns to the monitor, which ends the run with exit code 0.
 */
	.code16
	.text
	.globl _start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	$message, %si
	mov	$0xe9, %dx
	cld
1:	lodsb
	test	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	hlt
	jmp	2b

message:
	.ascii	"Hello from the minivmm demo guest: 16-bit real mode, "
	.ascii	"one OUT to port 0xe9 per byte, then HLT.\n"
	.byte	0
