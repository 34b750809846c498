/*
 * pmode: the flat 32-bit protected-mode start state (--mode protected).
 *
 * minivmm promises: CR0.PE set, paging off, long mode off, CS = 0x10 a
 * flat 32-bit code segment, DS/ES/SS/FS/GS = 0x18 flat data.  The guest
 * checks each of those (the descriptors as the GDT holds them, and SS's
 * 32-bit stack by pushing with ESP above 64 KiB), then writes and reads back RAM at a few addresses spread over
 * the default 128 MiB (including one above 1 MiB that would alias a low
 * one if A20 were masked) and prints "PASS pmode" or "FAIL pmode: why".
 *   minivmm run --mode protected build/guests/pmode.bin
 */
#include "guest.h"

#define EFER_MSR 0xc0000080
#define EFER_LMA (1 << 10)
#define CR0_PE (1 << 0)
#define CR0_PG (1 << 31)
/*
 * High dword of a flat 4 GiB segment descriptor: base 31:16 = 0, limit
 * 19:16 = 0xf, G = 1, D/B = 1, L = 0, P = 1, S = 1, then the type: code
 * (bit 11) for CS, writable data (bit 9, bit 11 clear) for the rest.
 */
#define DESC_MASK_CODE32 0xffef98ff
#define DESC_CODE32 0x00cf9800
#define DESC_MASK_DATA 0xffcf9aff
#define DESC_DATA 0x00cf9200

	.code32
	.text
	.globl _start
_start:
	cli
	cld

	mov	%cr0, %eax
	test	$CR0_PE, %eax
	FAIL_IF	z, %esi, no_pe
	test	$CR0_PG, %eax
	FAIL_IF	nz, %esi, paging_on

	mov	$EFER_MSR, %ecx
	rdmsr
	test	$EFER_LMA, %eax
	FAIL_IF	nz, %esi, lma_on

	mov	%cs, %ax
	cmp	$0x10, %ax
	FAIL_IF	ne, %esi, bad_cs

	/*
	 * The descriptors behind the selectors, read from the GDT itself
	 * (LAR would be shorter, but kvm-pvm's instruction emulator lacks it).
	 */
	sgdt	gdtr
	cmpw	$0x1f, gdtr		/* limit covers selector 0x18 */
	FAIL_IF	b, %esi, bad_gdt
	mov	gdtr + 2, %ebx
	cmpl	$0x0000ffff, 0x10(%ebx)	/* base 15:0 = 0, limit 15:0 = 0xffff */
	FAIL_IF	ne, %esi, bad_gdt
	mov	0x14(%ebx), %eax
	and	$DESC_MASK_CODE32, %eax
	cmp	$DESC_CODE32, %eax
	FAIL_IF	ne, %esi, bad_gdt
	cmpl	$0x0000ffff, 0x18(%ebx)
	FAIL_IF	ne, %esi, bad_gdt
	mov	0x1c(%ebx), %eax
	and	$DESC_MASK_DATA, %eax
	cmp	$DESC_DATA, %eax
	FAIL_IF	ne, %esi, bad_gdt

	/* SS is a 32-bit stack: a push uses all of ESP, not just SP. */
	mov	$0x19000, %esp
	pushl	$0x1234abcd
	cmpl	$0x1234abcd, 0x18ffc
	FAIL_IF	ne, %esi, ss_not32
	popl	%eax
	cmp	$0x19000, %esp
	FAIL_IF	ne, %esi, ss_not32

	/* Every data segment register holds the flat data selector. */
	mov	%ds, %ax
	cmp	$0x18, %ax
	FAIL_IF	ne, %esi, bad_data
	mov	%es, %ax
	cmp	$0x18, %ax
	FAIL_IF	ne, %esi, bad_data
	mov	%ss, %ax
	cmp	$0x18, %ax
	FAIL_IF	ne, %esi, bad_data
	mov	%fs, %ax
	cmp	$0x18, %ax
	FAIL_IF	ne, %esi, bad_data
	mov	%gs, %ax
	cmp	$0x18, %ax
	FAIL_IF	ne, %esi, bad_data

	/* Write a distinct pattern to each address, then read them all. */
	mov	$addresses, %esi
	mov	$0x5a000001, %edx
1:	lodsl
	test	%eax, %eax
	jz	2f
	mov	%edx, (%eax)
	inc	%edx
	jmp	1b
2:	mov	$addresses, %esi
	mov	$0x5a000001, %edx
3:	lodsl
	test	%eax, %eax
	jz	4f
	cmp	%edx, (%eax)
	FAIL_IF	ne, %esi, bad_ram
	inc	%edx
	jmp	3b
4:
	PUTS	%esi, pass
	HALT

	.balign	4
gdtr:	.word	0
	.long	0

	.balign	4
addresses:		/* all below the boot tables at 128M - 32K */
	.long	0x8000, 0x108000, 0x200004, 0x1234568, 0x7ff0000, 0x7ff7ffc
	.long	0

pass:		.asciz	"PASS pmode\n"
no_pe:		.asciz	"FAIL pmode: CR0.PE clear\n"
paging_on:	.asciz	"FAIL pmode: CR0.PG set\n"
lma_on:		.asciz	"FAIL pmode: EFER.LMA set\n"
bad_cs:		.asciz	"FAIL pmode: CS is not selector 0x10\n"
bad_gdt:	.asciz	"FAIL pmode: GDT entries 0x10/0x18 are not flat 32-bit code/data\n"
ss_not32:	.asciz	"FAIL pmode: SS is not a 32-bit stack segment\n"
bad_data:	.asciz	"FAIL pmode: a data segment register is not 0x18\n"
bad_ram:	.asciz	"FAIL pmode: RAM did not read back what was written\n"
