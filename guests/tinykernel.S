/*
 * tinykernel: the smallest thing that passes for a Linux bzImage.
 *
 * The file has the two parts a boot loader expects (Documentation/arch/x86/
 * boot.rst): a "setup" of (setup_sects + 1) * 512 = 1024 bytes that holds
 * the setup header at 0x1f1 (the setup code itself is never run: a loader
 * that starts the kernel in 64-bit mode skips it), then the protected-mode
 * part, which the loader copies to 0x100000 and enters at 0x100000 + 0x200
 * in long mode.  guests.mk links the file at 0x100000 - 1024 so that the
 * second part lands exactly at 0x100000.
 *
 *   minivmm run -M pc -m 64M -kernel build/guests/tinykernel.bin \
 *     -initrd FILE -append TEXT --debugcon 0xe9 --timeout 20
 *
 * What the kernel checks and reports on port 0xe9, one line each:
 *   PASS/FAIL for the entry state (RSI = zero page at 0x7000, long mode,
 *     interrupts off, CS = 0x10, DS/ES/SS = 0x18), the zero page (our own
 *     setup header copied in, type_of_loader 0xff, the whole kernel copied);
 *   "cmdline: TEXT"              the command line at cmd_line_ptr;
 *   "e820: ADDR SIZE TYPE"       each zero-page E820 entry, in hex;
 *   "initrd: ADDR SIZE", "initrd-head: HEX", "initrd-tail: HEX" (first and
 *     last 8 bytes) or "initrd: none", plus PASS/FAIL for its placement
 *     (page-aligned, clear of the kernel image and of init_size bytes from
 *     the kernel's runtime start, below initrd_addr_max, inside one E820
 *     RAM entry) and contents ("MVMMINIT" magic; the file's last 4 bytes
 *     are the little-endian 32-bit sum of all bytes before them);
 *   "DONE", then a reset through the i8042 (port 0x64 command 0xfe): the
 *   pc machine has an in-kernel interrupt controller, so HLT would not end
 *   the run.  tests/guest/linuxboot.sh compares all of it.
 * A loader that enters at code32_start instead (32-bit protocol) gets the
 * single line "entry32: ..." before the reset.
 */
#include "guest.h"

#define SETUP_SECTS 1
#define SETUP_SIZE ((SETUP_SECTS + 1) * 512)
#define KERNEL_ADDR 0x100000
#define STACK_SIZE 0x4000
/* init_size: the kernel rounded up to a page, then our stack. */
#define INIT_SIZE (((kernel_end - kernel + 0xfff) & ~0xfff) + STACK_SIZE)

#define LOADED_HIGH 0x01
#define XLF_KERNEL_64 0x0001
#define CMDLINE_SIZE 2048
#define INITRD_ADDR_MAX 0x7fffffff

/* Zero page (struct boot_params) offsets. */
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE 0x0c4
#define ZP_EXT_CMD_LINE_PTR 0x0c8
#define ZP_E820_ENTRIES 0x1e8
#define ZP_SETUP_SECTS 0x1f1
#define ZP_SYSSIZE 0x1f4
#define ZP_HEADER 0x202
#define ZP_VERSION 0x206
#define ZP_TYPE_OF_LOADER 0x210
#define ZP_RAMDISK_IMAGE 0x218
#define ZP_RAMDISK_SIZE 0x21c
#define ZP_CMD_LINE_PTR 0x228
#define ZP_INITRD_ADDR_MAX 0x22c
#define ZP_CMDLINE_SIZE 0x238
#define ZP_KERNEL_ALIGNMENT 0x230
#define ZP_RELOCATABLE 0x234
#define ZP_PREF_ADDRESS 0x258
#define ZP_INIT_SIZE 0x260
#define ZP_E820_TABLE 0x2d0

#define EFER_MSR 0xc0000080
#define EFER_LMA (1 << 10)
#define RFLAGS_IF (1 << 9)
#define E820_RAM 1

/*
 * EXPECT ok, name, why: after a compare, print "PASS name" when the flags
 * say `ok`, else "FAIL name: why".  The strings go to subsection 1, after
 * the code (and before the end marker in subsection 2).
 */
.macro EXPECT ok, name, why
	.subsection 1
.Lpass\@:	.asciz	"PASS \name\n"
.Lfail\@:	.asciz	"FAIL \name: \why\n"
	.subsection 0
	lea	.Lpass\@(%rip), %rsi
	j\ok	.Lprint\@
	lea	.Lfail\@(%rip), %rsi
.Lprint\@:
	call	puts
.endm

/* SAY text: print a constant string (no newline added). */
.macro SAY text
	.subsection 1
.Lsay\@:	.asciz	"\text"
	.subsection 0
	lea	.Lsay\@(%rip), %rsi
	call	puts
.endm

	.text
/* ----------------------------------------------------------------------
 * Part 1: the real-mode setup (file offset 0, never executed).
 * ---------------------------------------------------------------------- */
setup:
	.org	0x1f1
	.byte	SETUP_SECTS		/* 0x1f1 setup_sects */
	.word	0			/* 0x1f2 root_flags */
	.long	(kernel_end - kernel + 15) / 16	/* 0x1f4 syssize */
	.word	0			/* 0x1f8 ram_size (obsolete) */
	.word	0			/* 0x1fa vid_mode */
	.word	0			/* 0x1fc root_dev */
	.word	0xaa55			/* 0x1fe boot_flag */
	.byte	0xeb, header_end - setup - 0x202 /* 0x200 jmp: header length */
	.ascii	"HdrS"			/* 0x202 header */
	.word	0x020f			/* 0x206 version 2.15 */
	.long	0			/* 0x208 realmode_swtch */
	.word	0			/* 0x20c start_sys_seg */
	.word	0			/* 0x20e kernel_version */
	.byte	0			/* 0x210 type_of_loader */
	.byte	LOADED_HIGH		/* 0x211 loadflags */
	.word	0			/* 0x212 setup_move_size */
	.long	KERNEL_ADDR		/* 0x214 code32_start */
	.long	0			/* 0x218 ramdisk_image */
	.long	0			/* 0x21c ramdisk_size */
	.long	0			/* 0x220 bootsect_kludge */
	.word	0			/* 0x224 heap_end_ptr */
	.byte	0			/* 0x226 ext_loader_ver */
	.byte	0			/* 0x227 ext_loader_type */
	.long	0			/* 0x228 cmd_line_ptr */
	.long	INITRD_ADDR_MAX		/* 0x22c initrd_addr_max */
	.long	0x200000		/* 0x230 kernel_alignment */
	.byte	1			/* 0x234 relocatable_kernel */
	.byte	21			/* 0x235 min_alignment: 2 MiB */
	.word	XLF_KERNEL_64		/* 0x236 xloadflags */
	.long	CMDLINE_SIZE		/* 0x238 cmdline_size */
	.long	0			/* 0x23c hardware_subarch */
	.quad	0			/* 0x240 hardware_subarch_data */
#ifdef PAYLOAD
	.long	payload - kernel	/* 0x248 payload_offset */
	.long	payload_end - payload	/* 0x24c payload_length */
#else
	.long	0			/* 0x248 payload_offset */
	.long	0			/* 0x24c payload_length */
#endif
	.quad	0			/* 0x250 setup_data */
	.quad	KERNEL_ADDR		/* 0x258 pref_address */
	.long	INIT_SIZE		/* 0x260 init_size */
	.long	0			/* 0x264 handover_offset */
	.long	0			/* 0x268 kernel_info_offset */
header_end:				/* 0x26c */
	.org	SETUP_SIZE

/* ----------------------------------------------------------------------
 * Part 2: the protected-mode kernel, at KERNEL_ADDR.
 * ---------------------------------------------------------------------- */
kernel:
	.code32
	/*
	 * code32_start: the 32-bit entry, used only when a loader does not
	 * take the 64-bit one (XLF_KERNEL_64 clear or a protocol before 2.12).
	 * Check the two things the 32-bit protocol promises that are cheap to
	 * see, ESI = zero page and CS = 0x10, say so and reset.  These bytes
	 * also decode the same in 64-bit mode, so a loader that jumps here in
	 * long mode gets the same (unexpected) line.
	 */
	cmp	$0x7000, %esi
	jne	1f
	mov	%cs, %ax
	cmp	$0x10, %ax
	jne	1f
	PUTS	%esi, entry32_ok
	jmp	2f
1:	PUTS	%esi, entry32_bad
2:	mov	$0xfe, %al
	outb	%al, $0x64
	HALT

	.code64
	.org	kernel + 0x200
	.globl	_start
_start:
	/* Entry state first, before anything changes it. */
	mov	%rsi, %r15		/* keep the zero page pointer */
	/* RSP is not part of the protocol: our stack is the top of init_size. */
	lea	kernel_end + 0xfff(%rip), %rsp
	and	$~0xfff, %rsp		/* (AND and ADD leave RFLAGS.IF alone) */
	add	$STACK_SIZE, %rsp
	pushfq
	pop	%r13			/* RFLAGS as the loader left it */
	cli
	cld

	cmp	$0x7000, %r15
	EXPECT	e, rsi, "RSI is not the zero page 0x7000"

	mov	$EFER_MSR, %ecx
	rdmsr
	test	$EFER_LMA, %eax
	EXPECT	nz, long-mode, "EFER.LMA is clear"

	test	$RFLAGS_IF, %r13d
	EXPECT	z, interrupts-off, "RFLAGS.IF is set on entry"

	mov	%cs, %ax
	cmp	$0x10, %ax
	EXPECT	e, cs, "CS is not selector 0x10"

	mov	%ds, %ax
	mov	%es, %bx
	mov	%ss, %cx
	cmp	$0x18, %ax
	jne	1f
	cmp	$0x18, %bx
	jne	1f
	cmp	$0x18, %cx
1:	EXPECT	e, data-segments, "DS/ES/SS are not selector 0x18"

	/*
	 * From here on the zero page is read through %r15.  If RSI was wrong,
	 * still look at 0x7000 so that the rest of the report means something.
	 */
	mov	$0x7000, %r15d

	cmpb	$0xff, ZP_TYPE_OF_LOADER(%r15)
	EXPECT	e, type-of-loader, "type_of_loader is not 0xff"

	/* Our header, copied into the zero page: a few of its fields. */
	cmpl	$0x53726448, ZP_HEADER(%r15)
	jne	1f
	cmpw	$0x020f, ZP_VERSION(%r15)
	jne	1f
	cmpb	$SETUP_SECTS, ZP_SETUP_SECTS(%r15)
	jne	1f
	cmpl	$CMDLINE_SIZE, ZP_CMDLINE_SIZE(%r15)
1:	EXPECT	e, zero-page-header, "the setup header was not copied to the zero page"

	/* The last bytes of the file arrived too. */
	movabs	$0x21444e454e495424, %rax	/* "$TINEND!" */
	cmp	%rax, kernel_tail(%rip)
	EXPECT	e, kernel-image, "the end of the kernel image is missing at 0x100000"

	/* ---- command line ---- */
	mov	ZP_CMD_LINE_PTR(%r15), %ebx
	mov	ZP_EXT_CMD_LINE_PTR(%r15), %eax
	shl	$32, %rax
	or	%rax, %rbx
	test	%rbx, %rbx
	EXPECT	nz, cmdline-ptr, "cmd_line_ptr is 0"
	test	%rbx, %rbx
	jz	no_cmdline
	mov	%rbx, %rdi		/* its length, at most cmdline_size */
	xor	%ecx, %ecx
1:	cmpb	$0, (%rdi,%rcx)
	je	2f
	inc	%rcx
	cmp	$CMDLINE_SIZE, %rcx
	jbe	1b
2:	cmp	$CMDLINE_SIZE, %rcx
	EXPECT	be, cmdline-length, "no NUL within cmdline_size bytes"
	SAY	"cmdline: "
	mov	%rbx, %rsi
	mov	$CMDLINE_SIZE, %ecx
	call	putsn
	SAY	"\n"
no_cmdline:

	/* ---- E820 ---- */
	movzbl	ZP_E820_ENTRIES(%r15), %r12d
	test	%r12d, %r12d
	jz	1f
	cmp	$128, %r12d
1:	EXPECT	be, e820-count, "e820_entries is 0 or above 128"
	lea	ZP_E820_TABLE(%r15), %rbx
	mov	%r12d, %ebp
	test	%ebp, %ebp
	jz	2f
1:	SAY	"e820: "
	mov	(%rbx), %rax
	call	puthex
	SAY	" "
	mov	8(%rbx), %rax
	call	puthex
	SAY	" "
	mov	16(%rbx), %eax
	call	puthex
	SAY	"\n"
	add	$20, %rbx
	dec	%ebp
	jnz	1b
2:

	/* ---- initrd ---- */
	mov	ZP_RAMDISK_IMAGE(%r15), %ebx
	mov	ZP_EXT_RAMDISK_IMAGE(%r15), %eax
	shl	$32, %rax
	or	%rax, %rbx		/* %rbx = address */
	mov	ZP_RAMDISK_SIZE(%r15), %r12d
	mov	ZP_EXT_RAMDISK_SIZE(%r15), %eax
	shl	$32, %rax
	or	%rax, %r12		/* %r12 = size */
	test	%r12, %r12
	jnz	have_initrd
	SAY	"initrd: none\n"
	test	%rbx, %rbx
	EXPECT	z, initrd-none, "ramdisk_size is 0 but ramdisk_image is not"
	jmp	done

have_initrd:
	SAY	"initrd: "
	mov	%rbx, %rax
	call	puthex
	SAY	" "
	mov	%r12, %rax
	call	puthex
	SAY	"\ninitrd-head: "
	mov	%rbx, %rsi
	mov	$8, %ecx
	cmp	%rcx, %r12
	cmovb	%r12, %rcx
	call	puthexbytes
	SAY	"\ninitrd-tail: "
	mov	$8, %ecx
	cmp	%rcx, %r12
	cmovb	%r12, %rcx
	lea	(%rbx,%r12), %rsi
	sub	%rcx, %rsi
	call	puthexbytes
	SAY	"\n"

	test	$0xfff, %ebx
	EXPECT	z, initrd-aligned, "ramdisk_image is not page-aligned"

	/*
	 * Clear of the kernel: of the image as loaded, [0x100000, + syssize *
	 * 16), and of the init_size bytes from the runtime start, where the
	 * kernel moves itself before decompressing (boot.rst, init_size):
	 *   relocatable: align_up(max(load address, pref_address),
	 *                         kernel_alignment)
	 *   otherwise:   pref_address
	 */
	lea	(%rbx,%r12), %r8	/* initrd end */
	mov	$KERNEL_ADDR, %edi
	mov	ZP_SYSSIZE(%r15), %esi
	shl	$4, %rsi
	add	%rdi, %rsi
	call	overlaps
	jc	1f
	mov	ZP_PREF_ADDRESS(%r15), %rdi
	cmpb	$0, ZP_RELOCATABLE(%r15)
	je	2f
	mov	$KERNEL_ADDR, %eax
	cmp	%rax, %rdi
	cmovb	%rax, %rdi
	mov	ZP_KERNEL_ALIGNMENT(%r15), %eax
	test	%eax, %eax
	jz	2f
	dec	%rax
	add	%rax, %rdi
	not	%rax
	and	%rax, %rdi
2:	mov	ZP_INIT_SIZE(%r15), %esi
	add	%rdi, %rsi
	call	overlaps
1:	EXPECT	nc, initrd-clear-of-kernel, "the initrd overlaps the kernel image or its init_size from the runtime start"

	lea	-1(%rbx,%r12), %rdx	/* last byte */
	mov	ZP_INITRD_ADDR_MAX(%r15), %eax
	cmp	%rax, %rdx
	EXPECT	be, initrd-below-max, "the initrd goes past initrd_addr_max"

	/* One E820 RAM entry must hold [addr, addr + size). */
	lea	(%rbx,%r12), %rdx	/* end */
	lea	ZP_E820_TABLE(%r15), %rsi
	movzbl	ZP_E820_ENTRIES(%r15), %ecx
	test	%ecx, %ecx
	jz	3f
1:	cmpl	$E820_RAM, 16(%rsi)
	jne	2f
	cmp	(%rsi), %rbx
	jb	2f
	mov	(%rsi), %rax
	add	8(%rsi), %rax
	cmp	%rax, %rdx
	jbe	4f			/* found */
2:	add	$20, %rsi
	dec	%ecx
	jnz	1b
3:	xor	%eax, %eax		/* not found: ZF set */
	jmp	5f
4:	or	$1, %eax		/* found: ZF clear */
5:	EXPECT	nz, initrd-in-ram, "the initrd is not inside one E820 RAM entry"

	/* Contents: "MVMMINIT", then a byte sum in the last 4 bytes. */
	cmp	$12, %r12
	jb	1f
	movabs	$0x54494e494d4d564d, %rax	/* "MVMMINIT" */
	cmp	%rax, (%rbx)
1:	EXPECT	e, initrd-magic, "the initrd does not start with MVMMINIT"

	cmp	$12, %r12
	jb	3f
	lea	-4(%r12), %rcx
	mov	%rbx, %rsi
	xor	%edx, %edx		/* sum */
	xor	%eax, %eax
1:	lodsb
	add	%eax, %edx
	dec	%rcx
	jnz	1b
	cmp	%edx, (%rsi)
	jmp	4f
3:	test	%rsp, %rsp		/* too short: ZF clear, a failure */
4:	EXPECT	e, initrd-sum, "the byte sum does not match the initrd's last 4 bytes"

done:
	mov	$0x3f0, %dx		/* boot-time marker, as Firecracker's */
	mov	$123, %al
	outb	%al, %dx
	SAY	"DONE\n"
	mov	$0xfe, %al
	outb	%al, $0x64		/* i8042: pulse the reset line */
	HALT

/* overlaps: CF set if [%rbx, %r8) and [%rdi, %rsi) share a byte. */
overlaps:
	cmp	%rsi, %rbx		/* initrd starts at or after the end? */
	jae	1f
	cmp	%r8, %rdi		/* the range starts at or after its end? */
	jae	1f
	stc
	ret
1:	clc
	ret

/* puts: print the NUL-terminated string at %rsi.  Clobbers %rax, %rdx, %rsi. */
puts:
	mov	$-1, %rcx
	/* fall through */
/* putsn: print up to %rcx bytes of the string at %rsi, stopping at NUL. */
putsn:
	mov	$DEBUGCON_PORT, %dx
1:	test	%rcx, %rcx
	jz	2f
	lodsb
	test	%al, %al
	jz	2f
	outb	%al, %dx
	dec	%rcx
	jmp	1b
2:	ret

/* puthex: print %rax as 0x followed by its hex digits, no leading zeros. */
puthex:
	push	%rbx
	push	%rcx
	mov	%rax, %rbx
	mov	$DEBUGCON_PORT, %dx
	mov	$'0', %al
	outb	%al, %dx
	mov	$'x', %al
	outb	%al, %dx
	mov	$60, %ecx
1:	mov	%rbx, %rax		/* skip leading zero digits, keep the last */
	shr	%cl, %rax
	test	$0xf, %al
	jnz	2f
	sub	$4, %ecx
	jnz	1b
2:	mov	%rbx, %rax
	shr	%cl, %rax
	call	putdigit
	sub	$4, %ecx
	jns	2b
	pop	%rcx
	pop	%rbx
	ret

/* puthexbytes: print %rcx bytes at %rsi as two hex digits each. */
puthexbytes:
	mov	$DEBUGCON_PORT, %dx
	test	%rcx, %rcx
	jz	2f
1:	movzbl	(%rsi), %eax
	shr	$4, %al
	call	putdigit
	movzbl	(%rsi), %eax
	call	putdigit
	inc	%rsi
	dec	%rcx
	jnz	1b
2:	ret

/* putdigit: print the low nibble of %al as a hex digit to port %dx. */
putdigit:
	and	$0xf, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	1f
	add	$'a' - '9' - 1, %al
1:	outb	%al, %dx
	ret

	.subsection 1
entry32_ok:
	.asciz	"entry32: at code32_start, ESI 0x7000, CS 0x10\n"
entry32_bad:
	.asciz	"entry32: at code32_start, ESI is not 0x7000 or CS is not 0x10\n"

	/*
	 * Built with -DPAYLOAD=FILE (guests.mk): a compressed "vmlinux"
	 * (tinyvmlinux.S) that a loader may unpack and run instead of us.
	 */
#ifdef PAYLOAD
	.subsection 2
payload:
	.incbin	PAYLOAD
payload_end:
#endif

	/* Last: a marker at the very end of the file, then the stack. */
	.subsection 2
	.balign	8
kernel_tail:
	.ascii	"$TINEND!"
kernel_end:
