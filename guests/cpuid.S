/*
 * cpuid: what CPUID leaf 1 says of x2APIC (ECX bit 21) and the TSC
 * deadline timer (ECX bit 24), for -cpu's feature list (tests/guest/run.sh).
 * 16-bit real mode on the bare machine; prints "x2apic=B tsc-deadline=B\n"
 * on port 0xe9 and halts.
 *   minivmm run -cpu host,-x2apic build/guests/cpuid.bin   # x2apic=0 ...
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
	HALT

/* bit: print '1' if CF is set, else '0'. */
bit:
	mov	$'0', %al
	adc	$0, %al
	mov	$DEBUGCON_PORT, %dx
	outb	%al, %dx
	ret

x2apic:		.asciz "x2apic="
deadline:	.asciz " tsc-deadline="
newline:	.asciz "\n"
