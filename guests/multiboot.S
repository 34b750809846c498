/*
 * multiboot: a multiboot v1 test kernel that checks what its loader gives
 * it (tests/guest/multiboot.sh).  Two images come from this file:
 *
 *   multiboot.bin       an ELF32 file itself (the headers are written out
 *                       below as data, as tinypvh does): one PT_LOAD puts
 *                       the whole file at 1 MiB, linked at the virtual
 *                       address 0xc0100000, and e_entry is virtual, so the
 *                       loader must make it physical; a second PT_LOAD at
 *                       2 MiB has 4 bytes of data and a page of bss.
 *   multiboot-aout.bin  (guests/multiboot-aout.S, MB_AOUT) no ELF header:
 *                       the a.out-kludge fields load it at 64 KiB, below
 *                       1 MiB, all but the file's last 16 bytes, with a
 *                       page of bss after them.
 *   multiboot-low.bin   (guests/multiboot-low.S) the same at 32 KiB: its
 *                       bss covers 0x9000, where the information goes
 *                       unless the kernel is there.
 *
 *   minivmm run -M pc -m 64M -kernel build/guests/multiboot.bin \
 *     -initrd "FILE ARGS,FILE2" -append TEXT
 *
 * What it reports on port 0xe9, one line each:
 *   PASS/FAIL entry (EAX 0x2badb002, CR0.PE set, CR0.PG and EFLAGS.IF
 *     clear), info (flags name the memory sizes, boot device, command
 *     line, modules, memory map and loader name; mem_lower 640), bss (the
 *     4 bytes from the file, then zeros where the file has 0xff);
 *   "cmdline: TEXT", "loader: NAME", "mem_upper: KIB";
 *   "mmap: BASE LENGTH TYPE" per record, then PASS/FAIL mmap (every
 *     record's size is 20; exactly one ends at 1 MiB + mem_upper KiB);
 *   "modules: N", and per module "module: START END CMDLINE" and
 *   "module-text: TEXT" (its first bytes, up to 16, up to a control
 *   character), then PASS/FAIL modules (each page aligned, after the
 *   kernel, not ending before it starts);
 *   "DONE", then a reset through the i8042 (HLT does not end a pc run).
 */
#include "guest.h"

#define MB_MAGIC 0x1badb002
#define BSS_SIZE 0x1000

#ifdef MB_AOUT
#ifndef LOADBASE
#define LOADBASE 0x10000
#endif
#define MB_FLAGS 0x00010003 /* page-aligned modules, memory info, a.out kludge */
#define BSS_AT (LOADBASE + bss_data) /* the 4 bytes, then the bss */
#define KERNEL_END (LOADBASE + load_end + BSS_SIZE)
#else
#define LOADBASE 0x100000
#define VBASE 0xc0100000
#define BSS 0x200000
#define MB_FLAGS 0x00000003 /* page-aligned modules, memory info */
#define BSS_AT BSS
#define KERNEL_END (BSS + BSS_SIZE)
#endif
#define PHYS(label) (LOADBASE + (label))
#define PRINT32_BASE LOADBASE
#include "print32.inc"

	.text
	.code32
	.globl	_start
_start:
#ifndef MB_AOUT
ehdr:	/* Elf32_Ehdr */
	.byte	0x7f, 'E', 'L', 'F', 1, 1, 1, 0	/* 32-bit, LE, version 1 */
	.long	0, 0
	.word	2, 3				/* ET_EXEC, EM_386 */
	.long	1
	.long	VBASE + entry			/* e_entry: virtual */
	.long	phdrs - ehdr			/* e_phoff */
	.long	0				/* e_shoff */
	.long	0				/* e_flags */
	.word	52, 32, 2, 40, 0, 0		/* sizes and counts */
phdrs:	/* Elf32_Phdr: type, offset, vaddr, paddr, filesz, memsz, flags, align */
	.long	1, 0, VBASE, LOADBASE, file_end - ehdr, file_end - ehdr, 5, 0x1000
	.long	1, bss_data - ehdr, BSS, BSS, 4, BSS_SIZE, 6, 0x1000
#endif
	.balign	4
mbh:	/* the multiboot header: magic, flags, checksum */
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
#ifdef MB_AOUT
	/* header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr */
	.long	PHYS(mbh), LOADBASE, PHYS(load_end), KERNEL_END, PHYS(entry)
#endif

entry:
	mov	%eax, %edi			/* the loader's magic */
	mov	$KERNEL_END, %esp		/* the top of the bss */
	mov	%ebx, %ebp			/* the information, kept in EBP */
	pushfl
	pop	%ecx
	mov	%cr0, %edx

	cmp	$0x2badb002, %edi
	jne	1f
	test	$0x200, %ecx			/* EFLAGS.IF */
	jnz	1f
	and	$0x80000001, %edx		/* PG must be 0, PE 1 */
	cmp	$1, %edx
1:	EXPECT	e, entry, "EAX, CR0.PE/PG or EFLAGS.IF not as the multiboot spec says"

	mov	0(%ebp), %eax
	and	$0x24f, %eax
	cmp	$0x24f, %eax
	jne	1f
	cmpl	$640, 4(%ebp)
1:	EXPECT	e, info, "flags lack a field QEMU gives, or mem_lower is not 640"

	cmpl	$0x44332211, BSS_AT		/* the file's 4 bytes, then zeros */
	jne	1f
	mov	$(BSS_AT + 4), %edi
	xor	%eax, %eax
	mov	$(BSS_SIZE / 2 / 4), %ecx
	repe scasl
1:	EXPECT	e, bss, "the segment's data or its zeroed bss is wrong"

	SAY	"cmdline: "
	mov	16(%ebp), %esi
	call	puts
	SAY	"\nloader: "
	mov	64(%ebp), %esi
	call	puts
	SAY	"\nmem_upper: "
	mov	8(%ebp), %eax
	call	putdec
	SAY	"\n"

	/* The memory map: records of a size field and the size's bytes. */
	movl	$0, PHYS(bad)
	movl	$0, PHYS(top)
	mov	48(%ebp), %edi
	mov	44(%ebp), %ebx
	add	%edi, %ebx			/* the map's end */
2:	cmp	%ebx, %edi
	jae	3f
	SAY	"mmap: "
	mov	4(%edi), %eax
	mov	8(%edi), %edx
	call	puthex64
	SAY	" "
	mov	12(%edi), %eax
	mov	16(%edi), %edx
	call	puthex64
	SAY	" "
	mov	20(%edi), %eax
	call	putdec
	SAY	"\n"
	cmpl	$20, 0(%edi)
	je	4f
	incl	PHYS(bad)
4:	mov	8(%edi), %edx			/* an end below 4 GiB ... */
	or	16(%edi), %edx
	jnz	5f
	mov	4(%edi), %eax
	add	12(%edi), %eax
	jc	5f
	mov	8(%ebp), %ecx			/* ... at 1 MiB + mem_upper KiB */
	add	$1024, %ecx
	shl	$10, %ecx
	cmp	%ecx, %eax
	jne	5f
	incl	PHYS(top)
5:	mov	0(%edi), %eax			/* the next record (always on) */
	lea	4(%edi, %eax), %edi
	jmp	2b
3:	cmpl	$0, PHYS(bad)
	jne	1f
	cmpl	$1, PHYS(top)
1:	EXPECT	e, mmap, "a record's size is not 20, or not one entry ends at 1 MiB + mem_upper"

	SAY	"modules: "
	mov	20(%ebp), %eax
	call	putdec
	SAY	"\n"
	movl	$0, PHYS(bad)
	mov	24(%ebp), %edi
	mov	20(%ebp), %ebx
	cmp	$16, %ebx			/* bounded: at most 16 are shown */
	jbe	7f
	mov	$16, %ebx
7:	test	%ebx, %ebx
	jz	8f
	SAY	"module: "
	mov	0(%edi), %eax
	call	puthex32
	SAY	" "
	mov	4(%edi), %eax
	call	puthex32
	SAY	" "
	mov	8(%edi), %esi
	call	puts
	SAY	"\nmodule-text: "
	mov	0(%edi), %esi
	mov	4(%edi), %ecx
	sub	%esi, %ecx
	jb	12f
	cmp	$16, %ecx
	jbe	11f
	mov	$16, %ecx
11:	mov	$DEBUGCON_PORT, %dx
	jecxz	12f
13:	lodsb
	cmp	$0x20, %al
	jb	12f
	outb	%al, %dx
	loop	13b
12:	SAY	"\n"
	mov	0(%edi), %eax
	test	$0xfff, %eax
	jnz	9f
	cmp	$KERNEL_END, %eax
	jb	9f
	cmp	4(%edi), %eax
	jbe	10f
9:	incl	PHYS(bad)
10:	add	$16, %edi
	dec	%ebx
	jmp	7b
8:	cmpl	$0, PHYS(bad)
	EXPECT	e, modules, "a module is not page aligned, lies over the kernel or ends before it starts"

	SAY	"DONE\n"
	mov	$0xfe, %al
	outb	%al, $0x64			/* i8042: pulse the reset line */
	HALT

	PRINT32_ROUTINES

	/* guests/flat.ld puts .data after .text and .rodata: the file's end. */
	.section .data
	.balign	4
bad:	.long	0
top:	.long	0
bss_data:	/* 4 bytes; the file's 0xff after them must not be copied */
	.long	0x44332211
load_end:
	.fill	16, 1, 0xff
file_end:
