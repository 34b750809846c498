/*
 * testdev: a 64 KiB firmware image that checks pc-testdev from real mode
 * and reports through isa-debug-exit (tests/guest/run.sh):
 *   minivmm run -M pc --bios build/guests/testdev.bin -device pc-testdev \
 *       -device isa-debug-exit,iobase=0xf4,iosize=4; echo $?     # 253
 * Each check has a number N; the first that fails ends the run with exit
 * status (N << 1) | 1, all passing with 0x7e: 253.
 *   1  a 32-bit OUT to 0xe0 reads back at 0xe0
 *   2  its byte 2 reads at 0xe2, a 16-bit read at 0xe2 is its top half
 *   3  a byte written at 0xe9 (byte-wise view) lands in bits 8-15
 *   4  a 16-bit write at 0xe1 changes bits 8-23 only
 *   5  raising IRQ line 3 (OUT 1 to 0x2003) sets the master PIC's IRR bit 3
 *   6  a flush-page write (0xe4) of a RAM page keeps its contents
 * Linked at 0xf0000 (GUEST_LOAD_testdev): CS base 0xf0000, as a BIOS.
 */
#define OFF(x) ((x) - _start)
#define FAIL_IF_NE(n) jne 9f; inc %bl

	.code16
	.text
	.globl _start
_start:
entry16:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	$1, %bl			/* the check being done */
	mov	$0x12345678, %eax
	outl	%eax, $0xe0
	xor	%eax, %eax
	inl	$0xe0, %eax
	cmp	$0x12345678, %eax
	FAIL_IF_NE(1)
	inb	$0xe2, %al
	cmp	$0x34, %al
	jne	9f
	inw	$0xe2, %ax
	cmp	$0x1234, %ax
	FAIL_IF_NE(2)
	mov	$0xab, %al
	outb	%al, $0xe9
	inl	$0xe0, %eax
	cmp	$0x1234ab78, %eax
	FAIL_IF_NE(3)
	mov	$0xcdef, %ax
	outw	%ax, $0xe1
	inl	$0xe0, %eax
	cmp	$0x12cdef78, %eax
	FAIL_IF_NE(4)
	mov	$0x2003, %dx
	mov	$1, %al
	outb	%al, %dx		/* IRQ 3 high */
	mov	$0x0a, %al		/* OCW3: read the IRR */
	outb	%al, $0x20
	inb	$0x20, %al
	test	$0x08, %al
	jz	9f
	mov	$0x2003, %dx
	xor	%al, %al
	outb	%al, %dx		/* and low again */
	inc	%bl
	movl	$0x5a5aa5a5, 0x1000	/* a RAM page: flushed, still there */
	mov	$0x1000, %eax
	outl	%eax, $0xe4
	cmpl	$0x5a5aa5a5, 0x1000
	FAIL_IF_NE(6)
	mov	$0x7e, %bl
9:	movzbl	%bl, %eax
	outl	%eax, $0xf4		/* isa-debug-exit: ends the run */
1:	hlt
	jmp	1b

	.org	0xfff0
reset_vector:				/* F000:FFF0 */
	ljmp	$0xf000, $OFF(entry16)
	.org	0x10000
