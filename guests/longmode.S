/*
 * longmode: the flat 64-bit start state (--mode long).
 *
 * Linked and loaded at 0x100000 (guests.mk), entered there:
 *   minivmm run --mode long -m 8M --load 0x100000 --entry 0x100000 \
 *     build/guests/longmode.bin
 * minivmm promises EFER.LME/LMA, CR0.PG, CR4.PAE, CS = 0x08 a 64-bit code
 * segment, data selectors 0x18 and identity paging of 0-4 GiB with 2 MiB
 * pages.  The guest checks those, runs an instruction only 64-bit code has
 * (a 64-bit immediate), walks its own page tables from CR3 to check that
 * a few addresses up to 4 GiB map to themselves with 2 MiB pages, and
 * writes/reads RAM at 0x200000 and 0x3ff000.  Verdict "PASS longmode" or
 * "FAIL longmode: why" on port 0xe9.
 */
#include "guest.h"

#define EFER_MSR 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_LMA (1 << 10)
#define CR0_PE (1 << 0)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
/* High dword of the 64-bit code descriptor: P, S, code, L = 1, D = 0. */
#define DESC_MASK_CODE64 0x00609800
#define DESC_CODE64 0x00209800
#define PTE_P 0x1
#define PTE_PS 0x80
#define PTE_ADDR 0x000ffffffffff000

	.code64
	.text
	.globl _start
_start:
	cli
	cld
	mov	$0x180000, %rsp

	mov	$EFER_MSR, %ecx
	rdmsr
	test	$EFER_LMA, %eax
	FAIL_IF	z, %rsi, no_lma
	test	$EFER_LME, %eax
	FAIL_IF	z, %rsi, no_lme

	mov	%cr0, %rax
	test	$CR0_PE, %eax
	FAIL_IF	z, %rsi, no_pe
	bt	$31, %rax		/* CR0.PG */
	FAIL_IF	nc, %rsi, no_pg
	mov	%cr4, %rax
	test	$CR4_PAE, %eax
	FAIL_IF	z, %rsi, no_pae

	/* A 64-bit immediate and shift: decodes as something else in 32-bit. */
	movabs	$0x1122334455667788, %rax
	shr	$32, %rax
	cmp	$0x11223344, %eax
	FAIL_IF	ne, %rsi, not64

	mov	%cs, %ax
	cmp	$0x08, %ax
	FAIL_IF	ne, %rsi, bad_cs
	/* Its GDT descriptor: P, S, code, L = 1, D = 0 (no LAR under kvm-pvm). */
	sgdt	gdtr(%rip)
	cmpw	$0x1f, gdtr(%rip)
	FAIL_IF	b, %rsi, bad_cs
	mov	gdtr + 2(%rip), %rbx
	mov	0x0c(%rbx), %eax
	and	$DESC_MASK_CODE64, %eax
	cmp	$DESC_CODE64, %eax
	FAIL_IF	ne, %rsi, bad_cs
	mov	%ds, %ax
	cmp	$0x18, %ax
	FAIL_IF	ne, %rsi, bad_data
	mov	%ss, %ax
	cmp	$0x18, %ax
	FAIL_IF	ne, %rsi, bad_data

	/*
	 * Page walk for each address in `walk`: PML4 -> PDPT -> PD, where the
	 * PD entry must be present, a 2 MiB page, and point at the address's
	 * own 2 MiB frame.  The tables themselves are identity-mapped too.
	 */
	lea	walk(%rip), %rbx
1:	mov	(%rbx), %rdi
	cmp	$-1, %rdi
	je	2f
	mov	%cr3, %rax
	mov	$PTE_ADDR, %r8
	and	%r8, %rax		/* PML4 */
	mov	%rdi, %rcx
	shr	$39, %rcx
	and	$511, %ecx
	mov	(%rax,%rcx,8), %rax
	test	$PTE_P, %al
	FAIL_IF	z, %rsi, bad_walk
	and	%r8, %rax		/* PDPT */
	mov	%rdi, %rcx
	shr	$30, %rcx
	and	$511, %ecx
	mov	(%rax,%rcx,8), %rax
	test	$PTE_P, %al
	FAIL_IF	z, %rsi, bad_walk
	test	$PTE_PS, %al		/* a 1 GiB page would be a surprise */
	FAIL_IF	nz, %rsi, bad_walk
	and	%r8, %rax		/* PD */
	mov	%rdi, %rcx
	shr	$21, %rcx
	and	$511, %ecx
	mov	(%rax,%rcx,8), %rax
	test	$PTE_P, %al
	FAIL_IF	z, %rsi, bad_walk
	test	$PTE_PS, %al
	FAIL_IF	z, %rsi, bad_walk
	and	%r8, %rax
	and	$~0x1fffff, %rdi
	cmp	%rdi, %rax
	FAIL_IF	ne, %rsi, bad_walk
	add	$8, %rbx
	jmp	1b
2:
	/* Touch RAM through the mapping. */
	mov	$0x200000, %rdi
	movabs	$0x0123456789abcdef, %rax
	mov	%rax, (%rdi)
	mov	$0x3ff000, %rdi
	not	%rax
	mov	%rax, (%rdi)
	cmp	%rax, (%rdi)
	FAIL_IF	ne, %rsi, bad_ram
	not	%rax
	cmp	%rax, 0x200000
	FAIL_IF	ne, %rsi, bad_ram

	PUTS	%rsi, pass
	HALT

	.balign	8
gdtr:	.word	0
	.quad	0

	.balign	8
walk:
	.quad	0x100000, 0x200000, 0x3ff000, 0x40000000, 0x80000000
	.quad	0xc0000000, 0xfffff000, -1

pass:		.asciz	"PASS longmode\n"
no_lma:		.asciz	"FAIL longmode: EFER.LMA clear\n"
no_lme:		.asciz	"FAIL longmode: EFER.LME clear\n"
no_pe:		.asciz	"FAIL longmode: CR0.PE clear\n"
no_pg:		.asciz	"FAIL longmode: CR0.PG clear\n"
no_pae:		.asciz	"FAIL longmode: CR4.PAE clear\n"
not64:		.asciz	"FAIL longmode: not running 64-bit code\n"
bad_cs:		.asciz	"FAIL longmode: CS is not selector 0x08 with L set\n"
bad_data:	.asciz	"FAIL longmode: DS/SS are not selector 0x18\n"
bad_walk:	.asciz	"FAIL longmode: page tables are not a 2 MiB identity map\n"
bad_ram:	.asciz	"FAIL longmode: RAM did not read back what was written\n"
