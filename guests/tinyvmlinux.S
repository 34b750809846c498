/*
 * tinyvmlinux: the "vmlinux" inside a test bzImage.  guests.mk compresses
 * this guest's ELF (build/guests/tinyvmlinux.elf, linked at 0x200000, the
 * runtime start tinykernel's header asks for) the way the kernel build
 * does and makes it the payload of tinykernel-FORMAT.bin.  A loader that
 * decompresses the payload on the host loads this ELF and enters _start in
 * long mode with the zero page in RSI, as Linux's own decompressor would;
 * one that does not runs tinykernel's code instead.
 *
 * Reports on port 0xe9, then resets through the i8042 (the pc machine):
 *   "vmlinux: entered"
 *   "vmlinux: PASS entry-state" or "vmlinux: FAIL entry-state" (RSI is the
 *     zero page 0x7000, EFER.LMA set, CS 0x10, the zero page holds the
 *     "HdrS" setup header and type_of_loader 0xff)
 *   "vmlinux: cmdline: TEXT"
 */
#include "guest.h"

#define ZP_HEADER 0x202
#define ZP_TYPE_OF_LOADER 0x210
#define ZP_CMD_LINE_PTR 0x228
#define EFER_MSR 0xc0000080
#define EFER_LMA (1 << 10)

	.code64
	.text
	.globl	_start
_start:
	mov	%rsi, %r15
	cld
	PUTS	%rsi, entered

	cmp	$0x7000, %r15
	jne	1f
	mov	$EFER_MSR, %ecx
	rdmsr
	test	$EFER_LMA, %eax
	jz	1f
	mov	%cs, %ax
	cmp	$0x10, %ax
	jne	1f
	cmpl	$0x53726448, ZP_HEADER(%r15)	/* "HdrS" */
	jne	1f
	cmpb	$0xff, ZP_TYPE_OF_LOADER(%r15)
	jne	1f
	PUTS	%rsi, pass
	jmp	2f
1:	PUTS	%rsi, fail
	mov	$0x7000, %r15		/* still try to show the command line */
2:
	PUTS	%rsi, cmdline
	mov	ZP_CMD_LINE_PTR(%r15), %esi
	mov	$DEBUGCON_PORT, %dx
3:	lodsb
	test	%al, %al
	jz	4f
	outb	%al, %dx
	jmp	3b
4:	mov	$'\n', %al
	outb	%al, %dx

	mov	$0xfe, %al		/* i8042: pulse the reset line */
	outb	%al, $0x64
	HALT

entered:
	.asciz	"vmlinux: entered\n"
pass:
	.asciz	"vmlinux: PASS entry-state\n"
fail:
	.asciz	"vmlinux: FAIL entry-state\n"
cmdline:
	.asciz	"vmlinux: cmdline: "
