/*
 * cpuid: what CPUID leaf 1 says of x2APIC (ECX bit 21) and the TSC
 * deadline timer (ECX bit 24), for -cpu's feature list (tests/guest/run.sh).
 * 16-bit real mode on the bare machine; prints "x2apic=B tsc-deadline=B\n"
 * on port 0xe9 and halts.
 *   minivmm run -cpu host,-x2apic build/guests/cpuid.bin   # x2apic=0 ...
 *
 * Started with EAX non-zero (--reg rax=1) it goes on, for -cpu's models,
 * with the highest basic and extended leaves, leaf 1's signature, the
 * feature words of leaves 1 and 0x80000001 (hex), the vendor and the model
 * name of leaves 0x80000002-4:
 *   level=0000000d xlevel=8000000a sig=00060fb1
 *   1: ecx=80202001 edx=078bfbfd
 *   80000001: ecx=00000001 edx=20100800
 *   vendor=GenuineIntel
 *   model-id=QEMU Virtual CPU version 2.5+
 */
#include "guest.h"

	.code16
	.text
	.globl _start
_start:
	cli
	cld
	mov	%eax, %edi		/* the verbose switch */
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	$1, %eax
	cpuid
	mov	%ecx, %ebx
	PUTS	%si, x2apic
	bt	$21, %ebx
	call	bit
	PUTS	%si, deadline
	bt	$24, %ebx
	call	bit
	PUTS	%si, newline
	test	%edi, %edi
	jz	done

	PUTS	%si, s_level
	xor	%eax, %eax
	cpuid
	mov	%ebx, buf
	mov	%edx, buf + 4
	mov	%ecx, buf + 8
	movb	$0, buf + 12
	call	hex
	PUTS	%si, s_xlevel
	mov	$0x80000000, %eax
	cpuid
	mov	%eax, %ebp		/* the highest extended leaf */
	call	hex
	PUTS	%si, s_sig
	mov	$1, %eax
	cpuid
	push	%edx
	push	%ecx
	call	hex
	PUTS	%si, s_l1
	pop	%eax
	call	hex
	PUTS	%si, s_edx
	pop	%eax
	call	hex
	PUTS	%si, s_ext
	mov	$0x80000001, %eax
	cpuid
	push	%edx
	mov	%ecx, %eax
	call	hex
	PUTS	%si, s_edx
	pop	%eax
	call	hex
	PUTS	%si, s_vendor
	PUTS	%si, buf
	PUTS	%si, s_model
	cmp	$0x80000004, %ebp
	jb	1f
	mov	$0x80000002, %esi
	mov	$buf, %di
2:	mov	%esi, %eax
	cpuid
	stosl
	mov	%ebx, %eax
	stosl
	mov	%ecx, %eax
	stosl
	mov	%edx, %eax
	stosl
	inc	%esi
	cmp	$0x80000005, %esi
	jne	2b
	movb	$0, buf + 48
	PUTS	%si, buf
1:	PUTS	%si, newline
done:
	HALT

/* bit: print '1' if CF is set, else '0'. */
bit:
	mov	$'0', %al
	adc	$0, %al
	mov	$DEBUGCON_PORT, %dx
	outb	%al, %dx
	ret

/* hex: print EAX as 8 hex digits.  Clobbers EAX, ECX, EDX. */
hex:
	mov	$8, %cx
	mov	%eax, %edx
3:	rol	$4, %edx
	mov	%dl, %al
	and	$0xf, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	4f
	add	$'a' - '9' - 1, %al
4:	push	%dx
	mov	$DEBUGCON_PORT, %dx
	outb	%al, %dx
	pop	%dx
	loop	3b
	ret

x2apic:		.asciz "x2apic="
deadline:	.asciz " tsc-deadline="
newline:	.asciz "\n"
s_level:	.asciz "level="
s_xlevel:	.asciz " xlevel="
s_sig:		.asciz " sig="
s_l1:		.asciz "\n1: ecx="
s_edx:		.asciz " edx="
s_ext:		.asciz "\n80000001: ecx="
s_vendor:	.asciz "\nvendor="
s_model:	.asciz "\nmodel-id="
buf:		.space 52
