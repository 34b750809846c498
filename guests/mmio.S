/*
 * mmio: defined answers for unclaimed accesses (README, "Unclaimed accesses").
 *
 * 32-bit protected mode, run with -m 16M so that both 0xd0000000 and the
 * first byte past RAM (0x1000000) are claimed by nothing:
 *   minivmm run --mode protected -m 16M build/guests/mmio.bin
 * For each of those addresses the guest reads 1, 2 and 4 bytes and checks
 * all-ones, writes there (the write must be dropped, not crash the VM)
 * and reads again.  Then it does the same with IN/OUT on port 0x3e0,
 * also checking that an 8- or 16-bit IN leaves the rest of EAX alone.
 * Verdict "PASS mmio" or "FAIL mmio: why" on port 0xe9.
 */
#include "guest.h"

	.code32
	.text
	.globl _start
_start:
	cli
	cld
	mov	$0x9000, %esp

	mov	$mmio_addrs, %ebx
1:	mov	(%ebx), %edi
	test	%edi, %edi
	jz	2f
	movl	(%edi), %eax
	cmp	$0xffffffff, %eax
	FAIL_IF	ne, %esi, bad_mmio32
	movzwl	(%edi), %eax
	cmp	$0xffff, %eax
	FAIL_IF	ne, %esi, bad_mmio16
	movzbl	(%edi), %eax
	cmp	$0xff, %eax
	FAIL_IF	ne, %esi, bad_mmio8
	movl	$0x12345678, (%edi)	/* dropped */
	movb	$0x00, 1(%edi)		/* dropped */
	movl	(%edi), %eax
	cmp	$0xffffffff, %eax
	FAIL_IF	ne, %esi, bad_after_write
	add	$4, %ebx
	jmp	1b
2:
	mov	$UNCLAIMED_PORT, %dx
	mov	$0x12345600, %eax
	inb	%dx, %al
	cmp	$0x123456ff, %eax
	FAIL_IF	ne, %esi, bad_in8
	mov	$0x12340000, %eax
	inw	%dx, %ax
	cmp	$0x1234ffff, %eax
	FAIL_IF	ne, %esi, bad_in16
	xor	%eax, %eax
	inl	%dx, %eax
	cmp	$0xffffffff, %eax
	FAIL_IF	ne, %esi, bad_in32
	mov	$0x5a, %al
	outb	%al, %dx		/* dropped */
	outl	%eax, %dx		/* dropped */
	xor	%eax, %eax
	inb	%dx, %al
	cmp	$0xff, %eax
	FAIL_IF	ne, %esi, bad_in_after_out

	PUTS	%esi, pass
	HALT

	.balign	4
mmio_addrs:
	.long	0xd0000000, 0x1000000, 0xfffffff0, 0

pass:		.asciz	"PASS mmio\n"
bad_mmio32:	.asciz	"FAIL mmio: 32-bit read of unclaimed MMIO is not 0xffffffff\n"
bad_mmio16:	.asciz	"FAIL mmio: 16-bit read of unclaimed MMIO is not 0xffff\n"
bad_mmio8:	.asciz	"FAIL mmio: 8-bit read of unclaimed MMIO is not 0xff\n"
bad_after_write: .asciz	"FAIL mmio: a write to unclaimed MMIO was not dropped\n"
bad_in8:	.asciz	"FAIL mmio: inb from an unclaimed port is not 0xff\n"
bad_in16:	.asciz	"FAIL mmio: inw from an unclaimed port is not 0xffff\n"
bad_in32:	.asciz	"FAIL mmio: inl from an unclaimed port is not 0xffffffff\n"
bad_in_after_out: .asciz "FAIL mmio: an OUT to an unclaimed port was not dropped\n"
