/*
 * regs: the real-mode start state and --reg overrides.
 *
 * Run at 0 in 16-bit real mode with
 *   --reg rax=0x11223344 --reg rbx=0x55667788 --reg rcx=0x99aabbcc
 *   --reg rdx=0xddeeff00 --reg rsi=0x13579bdf --reg rdi=0x2468ace0
 *   --reg rbp=0xfedcba98 --reg rsp=0x7000
 * and no rflags override.  The guest captures EFLAGS first (PUSHFD/POPD to
 * memory: the only stack use, 4 bytes below SP) and every 32-bit register
 * and segment selector, then compares them with the table `expected`:
 * the values above, EFLAGS = 0x2 (the reset value; nothing given) and
 * all selectors 0 (entry below 64 KiB means all segment bases 0).
 * Verdict on port 0xe9: "PASS regs", or one "FAIL regs: NAME=got want
 * expected" line per mismatch.
 */
#include "guest.h"

	.code16
	.text
	.globl _start
_start:
	pushfl
	popl	got_efl
	mov	%eax, got_eax
	mov	%ebx, got_ebx
	mov	%ecx, got_ecx
	mov	%edx, got_edx
	mov	%esi, got_esi
	mov	%edi, got_edi
	mov	%ebp, got_ebp
	mov	%esp, got_esp
	xor	%eax, %eax
	mov	%cs, %ax
	mov	%eax, got_cs
	mov	%ds, %ax
	mov	%eax, got_ds
	mov	%es, %ax
	mov	%eax, got_es
	mov	%ss, %ax
	mov	%eax, got_ss
	mov	%fs, %ax
	mov	%eax, got_fs
	mov	%gs, %ax
	mov	%eax, got_gs

	/* From here on, a known environment for printing. */
	cli
	cld
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$0x7000, %sp

	xor	%bp, %bp		/* number of mismatches */
	mov	$table, %bx
1:	mov	(%bx), %si		/* name */
	test	%si, %si
	jz	3f
	mov	2(%bx), %di		/* -> got */
	mov	(%di), %eax
	cmp	4(%bx), %eax
	je	2f
	inc	%bp
	PUTS	%si, fail_head
	mov	(%bx), %si
	call	puts
	mov	$'=', %al
	outb	%al, %dx
	mov	2(%bx), %di
	mov	(%di), %eax
	call	puthex32
	mov	$want, %si
	call	puts
	mov	4(%bx), %eax
	call	puthex32
	mov	$'\n', %al
	outb	%al, %dx
2:	add	$8, %bx
	jmp	1b
3:	test	%bp, %bp
	jnz	4f
	PUTS	%si, pass
4:	HALT

/* puts: print the string at SI; leaves DX = 0xe9. */
puts:
	mov	$DEBUGCON_PORT, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	ret

/* puthex32: print EAX as 8 hex digits; leaves DX = 0xe9. */
puthex32:
	mov	$DEBUGCON_PORT, %dx
	mov	$8, %cx
1:	rol	$4, %eax
	push	%ax
	and	$0xf, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	2f
	add	$('a' - '9' - 1), %al
2:	outb	%al, %dx
	pop	%ax
	loop	1b
	ret

/* One row per register: name, where it was saved, expected value. */
.macro ROW name, reg, value
	.word	name_\reg, got_\reg
	.long	\value
	.section .rodata
name_\reg: .asciz "\name"
	.text
.endm

	.balign	4
table:
	ROW	eax, eax, 0x11223344
	ROW	ebx, ebx, 0x55667788
	ROW	ecx, ecx, 0x99aabbcc
	ROW	edx, edx, 0xddeeff00
	ROW	esi, esi, 0x13579bdf
	ROW	edi, edi, 0x2468ace0
	ROW	ebp, ebp, 0xfedcba98
	ROW	esp, esp, 0x00007000
	ROW	eflags, efl, 0x00000002
	ROW	cs, cs, 0
	ROW	ds, ds, 0
	ROW	es, es, 0
	ROW	ss, ss, 0
	ROW	fs, fs, 0
	ROW	gs, gs, 0
	.word	0, 0
	.long	0

	.balign	4
got_eax: .long	0
got_ebx: .long	0
got_ecx: .long	0
got_edx: .long	0
got_esi: .long	0
got_edi: .long	0
got_ebp: .long	0
got_esp: .long	0
got_efl: .long	0
got_cs:	.long	0
got_ds:	.long	0
got_es:	.long	0
got_ss:	.long	0
got_fs:	.long	0
got_gs:	.long	0

pass:		.asciz	"PASS regs\n"
fail_head:	.asciz	"FAIL regs: "
want:		.asciz	" want "
