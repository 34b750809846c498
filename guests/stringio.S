/*
 * stringio: string port I/O with a repeat count above 1.
 *
 * KVM hands the monitor one exit carrying `count` items of `size` bytes
 * (split into several exits when they do not fit its data page); the
 * monitor must deliver every item.  16-bit real mode at 0:
 *   rep outsb to port 0xe9 prints a line, rep outsw prints another (the
 *   debug console shows the low byte of each 16-bit item);
 *   rep insb (5000 bytes, more than one page) and rep insw from the
 *   unclaimed port 0x3e0 must fill their buffers with 0xff, exactly up to
 *   the count (guard bytes after each buffer stay untouched), and leave
 *   CX = 0 and DI just past the buffer.
 * Verdict "PASS stringio" or "FAIL stringio: why" on port 0xe9.
 */
#include "guest.h"

#define INSB_BUF 0x2000
#define INSB_COUNT 5000
#define INSW_BUF 0x4000
#define INSW_COUNT 300
#define GUARD 0xa5a5

	.code16
	.text
	.globl _start
_start:
	cli
	cld
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$0x8000, %sp

	mov	$DEBUGCON_PORT, %dx
	mov	$line_b, %si
	mov	$line_b_len, %cx
	rep outsb
	mov	$line_w, %si
	mov	$line_w_len, %cx
	rep outsw

	/* rep insb: zero buffer + guard, then fill from the unclaimed port. */
	mov	$INSB_BUF, %di
	mov	$(INSB_COUNT / 2 + 1), %cx
	xor	%ax, %ax
	rep stosw
	movw	$GUARD, INSB_BUF + INSB_COUNT
	mov	$UNCLAIMED_PORT, %dx
	mov	$INSB_BUF, %di
	mov	$INSB_COUNT, %cx
	rep insb
	test	%cx, %cx
	FAIL_IF	nz, %si, cx_left
	cmp	$(INSB_BUF + INSB_COUNT), %di
	FAIL_IF	ne, %si, bad_di
	cmpw	$GUARD, INSB_BUF + INSB_COUNT
	FAIL_IF	ne, %si, overrun
	mov	$INSB_BUF, %si
	mov	$INSB_COUNT, %cx
1:	lodsb
	cmp	$0xff, %al
	FAIL_IF	ne, %si, not_ff
	loop	1b

	/* rep insw, same checks. */
	mov	$INSW_BUF, %di
	mov	$(INSW_COUNT + 1), %cx
	xor	%ax, %ax
	rep stosw
	movw	$GUARD, INSW_BUF + 2 * INSW_COUNT
	mov	$UNCLAIMED_PORT, %dx
	mov	$INSW_BUF, %di
	mov	$INSW_COUNT, %cx
	rep insw
	test	%cx, %cx
	FAIL_IF	nz, %si, cx_left
	cmp	$(INSW_BUF + 2 * INSW_COUNT), %di
	FAIL_IF	ne, %si, bad_di
	cmpw	$GUARD, INSW_BUF + 2 * INSW_COUNT
	FAIL_IF	ne, %si, overrun
	mov	$INSW_BUF, %si
	mov	$INSW_COUNT, %cx
2:	lodsw
	cmp	$0xffff, %ax
	FAIL_IF	ne, %si, not_ff
	loop	2b

	PUTS	%si, pass
	HALT

line_b:	.ascii	"rep outsb: many bytes per exit\n"
	line_b_len = . - line_b

/* One character per 16-bit item; the console must ignore the high byte. */
.macro WCHARS chars:vararg
	.irp	c, \chars
	.byte	\c, 0x7e
	.endr
.endm
line_w:	WCHARS	'r', 'e', 'p', ' ', 'o', 'u', 't', 's', 'w', ':', ' ', 'o', 'k', '\n'
	line_w_len = (. - line_w) / 2

pass:		.asciz	"PASS stringio\n"
cx_left:	.asciz	"FAIL stringio: CX not 0 after rep ins\n"
bad_di:		.asciz	"FAIL stringio: DI not just past the buffer after rep ins\n"
overrun:	.asciz	"FAIL stringio: rep ins wrote past its count\n"
not_ff:		.asciz	"FAIL stringio: rep ins from an unclaimed port is not all-ones\n"
