/*
 * scenario3: memory that does not start at 0 (README, "Flat images on the bare machine").
 *
 * Linked at 0x1000 (guests.mk): RAM is one 16 MiB slot at guest-physical
 * 0x1000 backed by a MAP_SHARED file, the image is copied to its start and
 * entered in real mode at IP 0x1000 with all segment bases 0, RFLAGS 0x2,
 * RSP and RBP 0xffffffff.  The guest writes the NUL-terminated string that
 * sits at 0x1040 with 16-bit `out %ax, $0x10` (low byte = character); the
 * console prints the low byte of each write.  Before that it checks
 * ESP/EBP, so a wrong start state shows up as a FAIL line on port 0xe9.
 *
 *   minivmm run -M bare,ram-base=0x1000 -m 16M --mem-path FILE \
 *     --load 0x1000 --reg rsp=0xffffffff --reg rbp=0xffffffff \
 *     --debugcon 0x10 build/guests/scenario3.bin
 *
 * The stack is never used: SP is 0xffff here.
 */
#include "guest.h"

	.code16
	.text
	.globl _start
_start:
	cli
	cld
	xor	%ax, %ax
	mov	%ax, %ds
	cmpl	$0xffffffff, %esp
	jne	fail_esp
	cmpl	$0xffffffff, %ebp
	jne	fail_ebp
	mov	$0x1040, %si		/* the string's fixed address */
1:	lodsb
	test	%al, %al
	jz	2f
	out	%ax, $0x10		/* AH is 0: the data word is the char */
	jmp	1b
2:	HALT

	.org	0x40		/* = guest-physical 0x1040 */
	.asciz	"Hello from 0x1040, RAM at 0x1000 on a shared mapping\n"

fail_esp:
	PUTS	%si, bad_esp
	HALT
fail_ebp:
	PUTS	%si, bad_ebp
	HALT

bad_esp: .asciz	"FAIL scenario3: ESP is not 0xffffffff\n"
bad_ebp: .asciz	"FAIL scenario3: EBP is not 0xffffffff\n"
