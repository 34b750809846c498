/*
 * tinypvh: the smallest ELF kernel with a PVH entry point.
 *
 * The flat binary the build makes from this file is itself an ELF64 file:
 * the ELF header, three program headers and a Xen XEN_ELFNOTE_PHYS32_ENTRY
 * note are written out below as data.  Linked at 0, so a label's value is
 * its file offset; the one PT_LOAD puts the whole file at BASE (1 MiB), so
 * code refers to BASE + label.  A second PT_LOAD at BSS has 4 bytes of
 * data and a page of bss, the stack.
 *
 *   minivmm run -M pc -m 64M -kernel build/guests/tinypvh.bin \
 *     -initrd FILE -append TEXT --timeout 20
 *
 * What it reports on port 0xe9, one line each:
 *   PASS/FAIL entry (CS 0x10, DS/ES/SS 0x18, protected mode, paging off,
 *     EBX = 0x6000), start-info (magic 0x336ec578, version >= 1), bss
 *     (the last segment: 4 bytes from the file, then zeros where the file
 *     has 0xff);
 *   "cmdline: TEXT", "memmap: N", then "e820: ADDR SIZE TYPE" per entry,
 *   "rsdp: ADDR" plus PASS/FAIL rsdp ("RSD PTR " there) or "rsdp: none",
 *   "modules: N", and for module 0 "initrd: ADDR SIZE" and
 *   "initrd-head: HEX" (its first 4 bytes, as a little-endian word);
 *   "DONE", then a reset through the i8042 (HLT does not end a pc run).
 */
#include "guest.h"

#define BASE 0x100000
#define BSS 0x200000
#define BSS_SIZE 0x1000
#define PVH_MAGIC 0x336ec578
#define PRINT32_BASE BASE
#include "print32.inc"

	.text
	.code32
	.globl	_start
_start:
ehdr:	/* Elf64_Ehdr */
	.byte	0x7f, 'E', 'L', 'F', 2, 1, 1, 0	/* 64-bit, LE, version 1 */
	.quad	0
	.word	2, 62				/* ET_EXEC, EM_X86_64 */
	.long	1
	.quad	BASE + entry			/* e_entry (unused by PVH) */
	.quad	phdrs - ehdr			/* e_phoff */
	.quad	0				/* e_shoff */
	.long	0				/* e_flags */
	.word	64, 56, 3, 64, 0, 0		/* sizes and counts */
phdrs:	/* Elf64_Phdr: type, flags, offset, vaddr, paddr, filesz, memsz, align */
	.long	1, 7
	.quad	0, BASE, BASE, file_end - ehdr, file_end - ehdr, 0x1000
	.long	4, 4
	.quad	note - ehdr, BASE + note, BASE + note, note_end - note
	.quad	note_end - note, 4
	.long	1, 6				/* 4 bytes of data, then bss */
	.quad	bss_data - ehdr, BSS, BSS, 4, BSS_SIZE, 0x1000
	.balign	4
note:	/* namesz, descsz, type 18 (PHYS32_ENTRY), "Xen", the entry */
	.long	4, 8, 18
	.asciz	"Xen"
	.quad	BASE + entry			/* 8 bytes, as Linux's */
note_end:
bss_data:	/* the file has 0xff after the 4 bytes: none may be copied */
	.long	0x44332211
	.fill	16, 1, 0xff

entry:
	mov	$(BSS + BSS_SIZE), %esp
	mov	%ebx, %ebp			/* start_info, kept in EBP */

	/* Entry state. */
	mov	%cs, %ax
	cmp	$0x10, %ax
	jne	1f
	mov	%ds, %ax
	cmp	$0x18, %ax
	jne	1f
	mov	%es, %ax
	cmp	$0x18, %ax
	jne	1f
	mov	%ss, %ax
	cmp	$0x18, %ax
	jne	1f
	mov	%cr0, %eax
	and	$0x80000001, %eax		/* PG must be 0, PE 1 */
	cmp	$1, %eax
	jne	1f
	cmp	$0x6000, %ebp
1:	EXPECT	e, entry, "CS/DS/ES/SS, CR0.PE/PG or EBX not as the PVH ABI says"

	cmpl	$PVH_MAGIC, 0(%ebp)
	jne	1f
	cmpl	$1, 4(%ebp)
	jb	1f
	cmp	%eax, %eax
1:	EXPECT	e, start-info, "bad magic or version"

	cmpl	$0x44332211, BSS		/* filesz bytes, then zeros */
	jne	1f
	mov	$(BSS + 4), %edi
	xor	%eax, %eax
	mov	$(BSS_SIZE / 2 / 4 - 1), %ecx
	repe scasl
1:	EXPECT	e, bss, "the segment's data or its zeroed bss is wrong"

	SAY	"cmdline: "
	mov	24(%ebp), %esi
	call	puts
	SAY	"\n"

	SAY	"memmap: "
	mov	48(%ebp), %eax
	call	putdec
	SAY	"\n"
	mov	40(%ebp), %edi
	mov	48(%ebp), %ebx
2:	test	%ebx, %ebx
	jz	3f
	SAY	"e820: "
	mov	0(%edi), %eax
	mov	4(%edi), %edx
	call	puthex64
	SAY	" "
	mov	8(%edi), %eax
	mov	12(%edi), %edx
	call	puthex64
	SAY	" "
	mov	16(%edi), %eax
	call	putdec
	SAY	"\n"
	add	$24, %edi
	dec	%ebx
	jmp	2b
3:
	mov	32(%ebp), %edi
	test	%edi, %edi
	jnz	4f
	SAY	"rsdp: none\n"
	jmp	5f
4:	SAY	"rsdp: "
	mov	%edi, %eax
	xor	%edx, %edx
	call	puthex64
	SAY	"\n"
	cmpl	$0x20445352, 0(%edi)		/* "RSD " */
	jne	6f
	cmpl	$0x20525450, 4(%edi)		/* "PTR " */
6:	EXPECT	e, rsdp, "no RSD PTR signature at rsdp_paddr"
5:
	SAY	"modules: "
	mov	12(%ebp), %eax
	call	putdec
	SAY	"\n"
	cmpl	$0, 12(%ebp)
	je	7f
	mov	16(%ebp), %edi			/* module 0 */
	SAY	"initrd: "
	mov	0(%edi), %eax
	mov	4(%edi), %edx
	call	puthex64
	SAY	" "
	mov	8(%edi), %eax
	mov	12(%edi), %edx
	call	puthex64
	SAY	"\ninitrd-head: "
	mov	0(%edi), %eax
	mov	(%eax), %eax
	xor	%edx, %edx
	call	puthex64
	SAY	"\n"
7:
	mov	$0x3f0, %dx			/* boot-time marker */
	mov	$123, %al
	outb	%al, %dx
	SAY	"DONE\n"
	mov	$0xfe, %al
	outb	%al, $0x64			/* i8042: pulse the reset line */
	HALT

	PRINT32_ROUTINES

	/* guests/flat.ld puts .data after .text and .rodata: the file's end. */
	.section .data
file_end:
